/*
 * ide.c - the legacy ATA/IDE driver: one blk_dev per ATA disk on a PCI IDE
 * controller (Intel PIIX and compatibles; Bochs has no AHCI, this is its
 * disk path).
 *
 * A channel runs one command at a time for both of its devices, so the
 * queue is per channel: each disk keeps its own list and the channel takes
 * from master and slave in turn.  Transfers use bus-master DMA (READ/WRITE
 * DMA EXT and a PRD table) when the controller has a bus-master BAR, the
 * disk reports DMA support, and a test read of LBA 0 by DMA matches the
 * same read by PIO; otherwise PIO (READ/WRITE SECTORS EXT, one 512-byte
 * DRQ block at a time).  A flush (BLK_FLUSH) is FLUSH CACHE [EXT], the
 * non-data protocol: write the command, wait for BSY to clear, check ERR
 * and DF.
 *
 * We poll: INTRQ is masked (device control nIEN), completion is the
 * device's status leaving BSY and DRQ.  The bus-master status INTR bit
 * follows INTRQ, so with nIEN it cannot be relied on.  Errors: ERR or DF
 * in the status, the bus-master ERROR bit, or the deadline passing get one
 * log line, a software reset of the channel (SRST), and one retry; a disk
 * that does not come back from the reset is marked failed.
 */
#include "types.h"
#include "string.h"
#include "io.h"
#include "kprintf.h"
#include "pmm.h"
#include "tsc.h"
#include "pci/pci.h"
#include "storage/ata.h"
#include "storage/ide.h"
#include "storage/block.h"

#define IDE_MAX_CHANS 4
#define IDE_MAX_SECTORS 8192 /* 4 MiB per request: 64 PRDs */
#define IDE_PRDT_MAX 512     /* one page of 8-byte PRDs, never crosses 64 KiB */
#define IDE_CMD_TIMEOUT_US 10000000ull
#define IDE_FLUSH_TIMEOUT_US 30000000ull /* a whole write cache to the media */
#define IDE_RESET_TIMEOUT_US 5000000ull

struct ide_chan;

struct ide_disk {
	struct blk_dev blk;
	struct ide_chan *ch;
	bool slave;
	bool dma;
	struct blk_req *qhead, *qtail;
};

struct ide_chan {
	u16 cmd, ctl, bm; /* bm 0: no bus master */
	u32 ctrl, num;     /* controller index, 0 primary / 1 secondary */
	struct bmdma_prd *prdt;
	struct ide_disk *disk[2];
	/* the command in flight */
	struct blk_req *cur;
	struct ide_disk *cur_disk;
	bool cur_dma;
	u32 cur_done; /* PIO: sectors moved */
	u32 turn;     /* which disk's queue goes next */
};

static struct ide_chan chans[IDE_MAX_CHANS];
static u32 nchans, nctrls;
static struct ide_disk disks[IDE_MAX_CHANS * 2];
static u32 ndisks;

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static u8 alt_status(struct ide_chan *c) { return inb(c->ctl); }

/* 400 ns after selecting a device or writing a command before the status
 * means anything (ATA8-ACS): four alternate-status reads. */
static void delay400(struct ide_chan *c)
{
	for (int i = 0; i < 4; i++)
		alt_status(c);
}

static bool wait_not_busy(struct ide_chan *c, u64 timeout_us)
{
	u64 end = now_us() + timeout_us;
	while (alt_status(c) & ATA_SR_BSY) {
		if (now_us() > end)
			return false;
		cpu_pause();
	}
	return true;
}

static void pio_in(u16 port, void *buf, u32 words)
{
	__asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static void pio_out(u16 port, const void *buf, u32 words)
{
	__asm__ volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

static void select_dev(struct ide_chan *c, bool slave, u8 extra)
{
	outb(c->cmd + ATA_REG_DEVICE, 0xa0 | (slave ? ATA_DEV_SLAVE : 0) | extra);
	delay400(c);
}

/* Write the task file.  For 48-bit commands each register is a two-deep
 * FIFO: the high-order ("previous") bytes are written first, then the
 * low-order ones (ATA8-ACS, 48-bit Address feature set). */
static void write_taskfile(struct ide_chan *c, const struct ata_taskfile *tf)
{
	outb(c->cmd + ATA_REG_DEVICE, tf->device);
	delay400(c);
	if (tf->lba48) {
		outb(c->cmd + ATA_REG_FEATURES, tf->features >> 8);
		outb(c->cmd + ATA_REG_COUNT, tf->count >> 8);
		outb(c->cmd + ATA_REG_LBA_LOW, (tf->lba >> 24) & 0xff);
		outb(c->cmd + ATA_REG_LBA_MID, (tf->lba >> 32) & 0xff);
		outb(c->cmd + ATA_REG_LBA_HIGH, (tf->lba >> 40) & 0xff);
	}
	outb(c->cmd + ATA_REG_FEATURES, tf->features & 0xff);
	outb(c->cmd + ATA_REG_COUNT, tf->count & 0xff);
	outb(c->cmd + ATA_REG_LBA_LOW, tf->lba & 0xff);
	outb(c->cmd + ATA_REG_LBA_MID, (tf->lba >> 8) & 0xff);
	outb(c->cmd + ATA_REG_LBA_HIGH, (tf->lba >> 16) & 0xff);
}

/* Software reset of the channel (both devices).  True if they came back. */
static bool chan_reset(struct ide_chan *c)
{
	outb(c->ctl, ATA_CTL_NIEN | ATA_CTL_SRST);
	udelay(10);
	outb(c->ctl, ATA_CTL_NIEN);
	udelay(2000);
	return wait_not_busy(c, IDE_RESET_TIMEOUT_US);
}

/* ---- request engine ---- */

static void finish(struct ide_chan *c, int status)
{
	struct blk_req *r = c->cur;
	c->cur = NULL;
	c->cur_disk = NULL;
	r->status = status;
	if (r->done)
		r->done(r);
}

static int fail_queue(struct ide_disk *d, int status)
{
	int n = 0;
	while (d->qhead) {
		struct blk_req *r = d->qhead;
		d->qhead = r->next;
		r->status = status;
		if (r->done)
			r->done(r);
		n++;
	}
	d->qtail = NULL;
	return n;
}

/* FLUSH CACHE [EXT]: no data phase, no bus master; chan_poll() waits for
 * BSY to clear. */
static void start_flush(struct ide_chan *c, struct ide_disk *d, struct blk_req *r)
{
	struct ata_taskfile tf;
	c->cur_dma = false;
	r->deadline_us = now_us() + IDE_FLUSH_TIMEOUT_US;
	ata_flush_taskfile(&tf, d->blk.lba48, d->slave);
	write_taskfile(c, &tf);
	outb(c->cmd + ATA_REG_COMMAND, tf.command);
	delay400(c);
}

static void start(struct ide_chan *c, struct ide_disk *d, struct blk_req *r)
{
	bool w = r->op == BLK_WRITE;
	struct ata_taskfile tf;
	c->cur = r;
	c->cur_disk = d;
	c->cur_dma = d->dma;
	c->cur_done = 0;
	r->tries++;
	if (r->op == BLK_FLUSH) {
		start_flush(c, d, r);
		return;
	}
	r->deadline_us = now_us() + IDE_CMD_TIMEOUT_US;
	if (ata_rw_taskfile(&tf, w, d->blk.lba48, d->dma ? ATA_DMA : ATA_PIO, r->lba, r->count,
			    d->slave, 0) < 0) {
		finish(c, BLK_EINVAL);
		return;
	}
	if (d->dma) {
		u32 bytes = r->count * BLK_SECTOR_SIZE;
		if (bmdma_build_prdt(c->prdt, IDE_PRDT_MAX, r->buf, bytes) < 0) {
			finish(c, BLK_EINVAL);
			return;
		}
		barrier();
		outb(c->bm + BM_COMMAND, 0);
		outl(c->bm + BM_PRDT, (u32)(uintptr_t)c->prdt);
		outb(c->bm + BM_COMMAND, w ? 0 : BM_CMD_READ);
		outb(c->bm + BM_STATUS, inb(c->bm + BM_STATUS) | BM_ST_ERROR | BM_ST_INTR);
	}
	write_taskfile(c, &tf);
	outb(c->cmd + ATA_REG_COMMAND, tf.command);
	if (d->dma)
		outb(c->bm + BM_COMMAND, (w ? 0 : BM_CMD_READ) | BM_CMD_START);
	delay400(c);
}

/* Pick the next request, alternating between master and slave. */
static void start_next(struct ide_chan *c)
{
	if (c->cur)
		return;
	for (int k = 0; k < 2; k++) {
		struct ide_disk *d = c->disk[(c->turn + k) & 1];
		if (!d || !d->qhead)
			continue;
		struct blk_req *r = d->qhead;
		d->qhead = r->next;
		if (!d->qhead)
			d->qtail = NULL;
		r->next = NULL;
		c->turn = ((c->turn + k) & 1) ^ 1;
		start(c, d, r);
		return;
	}
}

static const char *cmd_name(const struct ide_chan *c, const struct blk_req *r)
{
	bool w = r->op == BLK_WRITE, e = c->cur_disk->blk.lba48;
	if (r->op == BLK_FLUSH)
		return e ? "FLUSH CACHE EXT" : "FLUSH CACHE";
	if (c->cur_dma)
		return w ? (e ? "WRITE DMA EXT" : "WRITE DMA") : (e ? "READ DMA EXT" : "READ DMA");
	return w ? (e ? "WRITE SECTORS EXT" : "WRITE SECTORS") :
		   (e ? "READ SECTORS EXT" : "READ SECTORS");
}

/* Error or timeout on the command in flight: log, reset, retry once. */
static int cmd_failed(struct ide_chan *c, int status, u8 st, u8 bmst)
{
	struct blk_req *r = c->cur;
	struct ide_disk *d = c->cur_disk;
	u8 err = inb(c->cmd + ATA_REG_ERROR);
	kprintf("%s: %s LBA %llu+%u %s (status 0x%02x error 0x%02x bm-status 0x%02x), "
		"resetting the channel\n",
		d->blk.name, cmd_name(c, r), (unsigned long long)r->lba, r->count,
		status == BLK_ETIMEDOUT ? "timed out" : "failed", st, err, bmst);
	if (c->cur_dma)
		outb(c->bm + BM_COMMAND, 0);
	bool ok = chan_reset(c);
	c->cur = NULL;
	c->cur_disk = NULL;
	if (!ok) {
		kprintf("%s: channel still busy after reset; disk marked failed, its requests fail "
			"from now on\n", d->blk.name);
		for (int i = 0; i < 2; i++)
			if (c->disk[i])
				c->disk[i]->blk.failed = true;
		r->status = BLK_EFAILED;
		if (r->done)
			r->done(r);
		int n = 1;
		for (int i = 0; i < 2; i++)
			if (c->disk[i])
				n += fail_queue(c->disk[i], BLK_EFAILED);
		return n;
	}
	if (r->tries < 2) {
		kprintf("%s: retrying LBA %llu+%u\n", d->blk.name, (unsigned long long)r->lba,
			r->count);
		r->next = d->qhead;
		d->qhead = r;
		if (!d->qtail)
			d->qtail = r;
		return 0;
	}
	r->status = status;
	if (r->done)
		r->done(r);
	return 1;
}

/* Advance the command in flight; returns requests completed. */
static int chan_poll(struct ide_chan *c)
{
	struct blk_req *r = c->cur;
	if (!r)
		return 0;
	for (;;) {
		u8 st = alt_status(c);
		if (st & ATA_SR_BSY) {
			if (now_us() > r->deadline_us)
				return cmd_failed(c, BLK_ETIMEDOUT, st,
						  c->cur_dma ? inb(c->bm + BM_STATUS) : 0);
			return 0;
		}
		if (r->op == BLK_FLUSH) {
			/* Non-data: done when BSY clears; a data request would be
			 * a protocol error.  Reading STATUS acknowledges INTRQ. */
			st = inb(c->cmd + ATA_REG_STATUS);
			if (st & (ATA_SR_ERR | ATA_SR_DF | ATA_SR_DRQ))
				return cmd_failed(c, BLK_EIO, st, 0);
			finish(c, BLK_OK);
			return 1;
		}
		if (c->cur_dma) {
			if (st & ATA_SR_DRQ) {
				/* data phase still running */
				if (now_us() > r->deadline_us)
					return cmd_failed(c, BLK_ETIMEDOUT, st,
							  inb(c->bm + BM_STATUS));
				return 0;
			}
			u8 bmst = inb(c->bm + BM_STATUS);
			outb(c->bm + BM_COMMAND, r->op == BLK_WRITE ? 0 : BM_CMD_READ);
			outb(c->bm + BM_STATUS, bmst | BM_ST_ERROR | BM_ST_INTR);
			st = inb(c->cmd + ATA_REG_STATUS); /* also acknowledges INTRQ */
			if ((st & (ATA_SR_ERR | ATA_SR_DF)) || (bmst & BM_ST_ERROR))
				return cmd_failed(c, BLK_EIO, st, bmst);
			barrier();
			finish(c, BLK_OK);
			return 1;
		}
		/* PIO */
		if (st & (ATA_SR_ERR | ATA_SR_DF))
			return cmd_failed(c, BLK_EIO, st, 0);
		if (c->cur_done == r->count) {
			if (st & ATA_SR_DRQ)
				return cmd_failed(c, BLK_EIO, st, 0);
			inb(c->cmd + ATA_REG_STATUS);
			finish(c, BLK_OK);
			return 1;
		}
		if (!(st & ATA_SR_DRQ)) {
			if (now_us() > r->deadline_us)
				return cmd_failed(c, BLK_ETIMEDOUT, st, 0);
			return 0;
		}
		u8 *p = (u8 *)(uintptr_t)(r->buf + (u64)c->cur_done * BLK_SECTOR_SIZE);
		if (r->op == BLK_WRITE)
			pio_out(c->cmd + ATA_REG_DATA, p, 256);
		else
			pio_in(c->cmd + ATA_REG_DATA, p, 256);
		c->cur_done++;
		delay400(c);
	}
}

/* ---- blk_ops ---- */

static int ide_submit(struct blk_dev *bd, struct blk_req *r)
{
	struct ide_disk *d = bd->drv;
	int rc = blk_check_req(bd, r, bd->dma32);
	if (rc < 0)
		return rc;
	r->status = BLK_PENDING;
	r->next = NULL;
	r->tries = 0;
	if (d->qtail)
		d->qtail->next = r;
	else
		d->qhead = r;
	d->qtail = r;
	start_next(d->ch);
	return 0;
}

static int ide_poll(struct blk_dev *bd)
{
	struct ide_disk *d = bd->drv;
	struct ide_chan *c = d->ch;
	int n = chan_poll(c);
	if (bd->failed) {
		/* Failed from outside (blk_rw_sync's safety net): give back the
		 * request in flight too. */
		if (c->cur && c->cur_disk == d) {
			if (c->cur_dma)
				outb(c->bm + BM_COMMAND, 0);
			finish(c, BLK_EFAILED);
			n++;
		}
		n += fail_queue(d, BLK_EFAILED);
	}
	start_next(c);
	return n;
}

static const struct blk_ops ide_ops = {
	.submit = ide_submit,
	.poll = ide_poll,
};

/* ---- bring-up ---- */

/* IDENTIFY DEVICE by PIO (it always is: ATA8-ACS 7.16).  0 or -1. */
static int identify(struct ide_chan *c, bool slave, u8 *buf, bool *atapi)
{
	*atapi = false;
	select_dev(c, slave, 0);
	u8 st = alt_status(c);
	if (st == 0 || st == 0xff)
		return -1; /* nobody home */
	if (!wait_not_busy(c, 1000000))
		return -1;
	outb(c->cmd + ATA_REG_COUNT, 0);
	outb(c->cmd + ATA_REG_LBA_LOW, 0);
	outb(c->cmd + ATA_REG_LBA_MID, 0);
	outb(c->cmd + ATA_REG_LBA_HIGH, 0);
	outb(c->cmd + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	delay400(c);
	if (alt_status(c) == 0)
		return -1;
	if (!wait_not_busy(c, 3000000))
		return -1;
	st = alt_status(c);
	if (st & ATA_SR_ERR) {
		/* A packet device aborts IDENTIFY DEVICE and shows its
		 * signature in LBA mid/high (ATA8-ACS 9.12). */
		u8 mid = inb(c->cmd + ATA_REG_LBA_MID), high = inb(c->cmd + ATA_REG_LBA_HIGH);
		*atapi = (mid == 0x14 && high == 0xeb) || (mid == 0x69 && high == 0x96);
		inb(c->cmd + ATA_REG_STATUS);
		return -1;
	}
	u64 end = now_us() + 1000000;
	while (!(alt_status(c) & ATA_SR_DRQ)) {
		if (now_us() > end)
			return -1;
		cpu_pause();
	}
	pio_in(c->cmd + ATA_REG_DATA, buf, 256);
	inb(c->cmd + ATA_REG_STATUS);
	return 0;
}

/* Sync read used to check the DMA path at bring-up. */
static int read_sync(struct ide_disk *d, u64 lba, u8 *buf)
{
	struct blk_req r = { .op = BLK_READ, .lba = lba, .count = 1, .buf = (u64)(uintptr_t)buf };
	int rc = ide_submit(&d->blk, &r);
	if (rc < 0)
		return rc;
	u64 end = now_us() + IDE_CMD_TIMEOUT_US * 3;
	while (r.status == BLK_PENDING && now_us() < end)
		ide_poll(&d->blk);
	return r.status;
}

static void probe_disk(struct ide_chan *c, bool slave, u8 *page)
{
	char name[BLK_NAME_LEN];
	ksnprintf(name, sizeof(name), "ide%u.%u%s", c->ctrl, c->num, slave ? "s" : "m");
	bool atapi;
	if (identify(c, slave, page, &atapi) < 0) {
		if (atapi)
			kprintf("%s: packet (ATAPI) device, ignored\n", name);
		return;
	}
	struct ata_identify id;
	int idrc = ata_parse_identify(page, &id);
	if (idrc != ATA_ID_OK || id.sector_size != BLK_SECTOR_SIZE || id.sectors == 0) {
		kprintf("%s: \"%s\": unusable (IDENTIFY: %d, %u-byte sectors, %llu sectors), "
			"ignored\n", name, id.model, idrc, id.sector_size,
			(unsigned long long)id.sectors);
		return;
	}
	if (ndisks == ARRAY_SIZE(disks))
		return;
	struct ide_disk *d = &disks[ndisks];
	memset(d, 0, sizeof(*d));
	d->ch = c;
	d->slave = slave;
	struct blk_dev *b = &d->blk;
	memcpy(b->name, name, sizeof(name));
	memcpy(b->model, id.model, sizeof(b->model));
	b->ops = &ide_ops;
	b->sectors = id.sectors;
	b->lba48 = id.lba48;
	b->max_sectors = id.lba48 ? IDE_MAX_SECTORS : 256;
	b->drv = d;

	/* DMA only if it demonstrably works: LBA 0 by DMA equals LBA 0 by PIO.
	 * Firmware that did not program the controller's DMA timings, or an
	 * emulator without the engine, shows up here instead of as corrupt
	 * data later. */
	c->disk[slave] = d; /* start_next() finds the test reads through it */
	const char *why = "no bus-master BAR";
	if (c->bm && id.dma) {
		u8 *a = page + 1024, *bb = page + 2048;
		memset(bb, 0x5a, 512);
		d->dma = false;
		int rp = read_sync(d, 0, a);
		d->dma = true;
		int rd = read_sync(d, 0, bb);
		if (rp == BLK_OK && rd == BLK_OK && memcmp(a, bb, 512) == 0)
			why = NULL;
		else
			why = rd != BLK_OK ? "DMA test read failed" :
					     "DMA test read differs from PIO";
	} else if (c->bm) {
		why = "disk reports no DMA";
	}
	d->dma = why == NULL;
	b->dma32 = d->dma; /* bus-master PRDs hold 32-bit addresses; PIO copies by CPU */
	b->transport = d->dma ? "IDE BM-DMA" : "IDE PIO";
	b->failed = false;
	kprintf("%s: \"%s\" serial \"%s\" fw \"%s\": %llu sectors (%llu MiB), %s, using %s%s%s\n",
		name, id.model, id.serial, id.firmware, (unsigned long long)id.sectors,
		(unsigned long long)(id.sectors >> 11), id.lba48 ? "LBA48" : "LBA28", b->transport,
		why ? " - " : "", why ? why : "");
	ndisks++;
	if (blk_register(b) < 0)
		kprintf("%s: block layer full, disk not registered\n", name);
}

static void probe_chan(u32 ctrl, u32 num, u16 cmd, u16 ctl, u16 bm)
{
	if (nchans == IDE_MAX_CHANS)
		return;
	struct ide_chan *c = &chans[nchans];
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->ctl = ctl;
	c->bm = bm;
	c->ctrl = ctrl;
	c->num = num;

	/* A status of 0xff is a floating bus: no device drives it. */
	if (inb(cmd + ATA_REG_STATUS) == 0xff && alt_status(c) == 0xff) {
		kprintf("ide%u.%u: cmd 0x%x ctl 0x%x: no devices (floating bus)\n", ctrl, num, cmd,
			ctl);
		return;
	}
	if (!chan_reset(c)) {
		kprintf("ide%u.%u: cmd 0x%x: still busy after software reset, channel ignored\n",
			ctrl, num, cmd);
		return;
	}
	kprintf("ide%u.%u: cmd 0x%x ctl 0x%x bus-master %s0x%x\n", ctrl, num, cmd, ctl,
		bm ? "" : "none ", bm);
	nchans++;
	u8 *page = pmm_alloc_pages(1);
	c->prdt = pmm_alloc_pages(1);
	if (!(bm && (u64)(uintptr_t)c->prdt + PAGE_SIZE <= (1ull << 32)))
		c->bm = 0; /* the PRD table pointer register is 32 bits */
	probe_disk(c, false, page);
	probe_disk(c, true, page);
	pmm_free_pages(page, 1);
}

void ide_probe(const struct pci_dev *pd)
{
	u32 ctrl = nctrls++;
	u8 pi = pd->prog_if;
	u16 bm = pd->bar[4].kind == PCI_BAR_IO ? (u16)pd->bar[4].base : 0;
	pci_enable(pd, PCI_COMMAND_IO | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

	/* Intel PIIX/ICH: IDETIM bit 15 (config 0x41/0x43 bit 7) gates each
	 * channel's legacy decode; firmware normally sets it, make sure. */
	if (pd->vendor == 0x8086) {
		u32 idetim = pci_read32(pd, 0x40);
		if ((idetim & 0x80008000u) != 0x80008000u) {
			pci_write32(pd, 0x40, idetim | 0x80008000u);
			kprintf("ide%u: enabled PIIX IDE decode (IDETIM 0x%08x)\n", ctrl,
				pci_read32(pd, 0x40));
		}
	}
	kprintf("ide%u: %02x:%02x.%x %04x:%04x prog-if 0x%02x (%s/%s mode)\n", ctrl, pd->bus,
		pd->dev, pd->fn, pd->vendor, pd->device, pi, (pi & 1) ? "native" : "compat",
		(pi & 4) ? "native" : "compat");

	/* Prog-if bit 0 (primary) / bit 2 (secondary): native mode, ports in
	 * BAR0/1 (BAR2/3); otherwise the ISA compatibility addresses. */
	u16 cmd0 = 0x1f0, ctl0 = 0x3f6, cmd1 = 0x170, ctl1 = 0x376;
	if ((pi & 1) && pd->bar[0].kind == PCI_BAR_IO && pd->bar[1].kind == PCI_BAR_IO) {
		cmd0 = (u16)pd->bar[0].base;
		ctl0 = (u16)pd->bar[1].base + 2;
	}
	if ((pi & 4) && pd->bar[2].kind == PCI_BAR_IO && pd->bar[3].kind == PCI_BAR_IO) {
		cmd1 = (u16)pd->bar[2].base;
		ctl1 = (u16)pd->bar[3].base + 2;
	}
	probe_chan(ctrl, 0, cmd0, ctl0, bm ? bm : 0);
	probe_chan(ctrl, 1, cmd1, ctl1, bm ? bm + 8 : 0);
}
