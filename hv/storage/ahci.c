/*
 * ahci.c - the AHCI driver: one blk_dev per SATA disk behind an AHCI HBA.
 *
 * Bring-up follows AHCI 1.3.1 chapter 10: take the HBA from the firmware
 * (BIOS/OS handoff, 10.6.3), reset it (GHC.HR, 10.4.3), enable AHCI mode
 * (GHC.AE), then per implemented port: make sure the command engine is
 * idle (10.3.1), point PxCLB/PxFB at our command list and received-FIS
 * area, spin up and wait for the link (PxSSTS.DET = 3), wait for the
 * device's first D2H FIS (PxTFD not BSY/DRQ), check the signature, start
 * the engine (PxCMD.ST) and run IDENTIFY DEVICE.
 *
 * Commands: READ/WRITE DMA EXT (or the 28-bit forms for old disks) with
 * one request in flight, or READ/WRITE FPDMA QUEUED (NCQ) with up to the
 * disk's queue depth in flight when both HBA (CAP.SNCQ) and disk support
 * it.  A flush (BLK_FLUSH) is FLUSH CACHE [EXT], a command FIS with no
 * PRDs; it is not a queued command, and SATA forbids mixing the two, so it
 * waits until no queued command is in flight and holds the port while it
 * runs.  Completion is noticed by polling PxCI/PxSACT: the hv runs with
 * interrupts off (PxIE = 0, GHC.IE = 0, PCI INTx disabled).
 *
 * Errors (6.2.2): a task-file error (PxIS.TFES) or a fatal HBA error, or a
 * command past its deadline, gets one log line, then the port is stopped
 * (PxCMD.ST = 0, wait PxCMD.CR), PxSERR/PxIS cleared, the device reset
 * with COMRESET if it is still BSY/DRQ (or timed out), and the engine
 * restarted.  In-flight requests are retried once (NCQ is switched off
 * first, since a queued error aborts every queued command); a second
 * failure completes the request with BLK_EIO / BLK_ETIMEDOUT.  If the
 * port cannot be recovered the disk is marked failed and every request
 * fails with BLK_EFAILED: the hv goes on without that disk.
 *
 * Memory: command lists, FIS areas and command tables come from
 * pmm_alloc_pages(), whose pointers are physical addresses.  Without
 * CAP.S64A the HBA can only address 4 GiB, so those pages and every data
 * buffer must lie below it; we check rather than assume.  DMA on x86 is
 * cache-coherent, so write-back memory is fine for them.  The ABAR is
 * reached through the hv's identity map, which maps every 2 MiB page
 * without RAM uncached (hv/kernel/hvpaging.c; the firmware's MTRRs agree on real
 * machines).  That map covers the low 4 GiB, so an ABAR above 4 GiB is
 * refused rather than touched.
 */
#include "types.h"
#include "string.h"
#include "io.h"
#include "kprintf.h"
#include "pmm.h"
#include "tsc.h"
#include "pci/pci.h"
#include "storage/ata.h"
#include "storage/ahci.h"
#include "storage/block.h"

#define AHCI_MAX_HBAS 4
#define AHCI_MAX_DISKS 8
#define AHCI_PRDT_MAX 8
#define AHCI_CMD_TABLE_SIZE (AHCI_CMD_TABLE_PRDT_OFF + AHCI_PRDT_MAX * 16)
#define AHCI_MAX_SECTORS 32768 /* 16 MiB: four 4 MiB PRDs */
#define AHCI_CMD_TIMEOUT_US 10000000ull
/* A flush writes back a whole cache of scattered sectors: more time
 * (Linux's libata allows 30 s too). */
#define AHCI_FLUSH_TIMEOUT_US 30000000ull
#define AHCI_RFIS_OFF 0x400   /* in the port page: command list 1 KiB, then 256-byte FIS area */
#define AHCI_IDBUF_OFF 0x800  /* then a 512-byte buffer for IDENTIFY */

/* Set to false to keep every port on non-queued DMA commands. */
static const bool ahci_allow_ncq = true;

struct ahci_hba {
	u64 abar;
	u32 cap;
	u32 nslots;
	u32 idx;
	bool s64a;
};

struct ahci_port {
	struct blk_dev blk;
	struct ahci_hba *hba;
	u32 num;
	u64 regs;
	struct ahci_cmd_hdr *cl; /* 32 command headers */
	u8 *rfis;
	u8 *idbuf;
	u8 *tables; /* nslots command tables */
	struct blk_req *slot[32];
	u32 busy;   /* slots in flight */
	u32 depth;  /* how many slots we use at once */
	bool use_ncq;
	struct blk_req *qhead, *qtail;
};

static struct ahci_hba hbas[AHCI_MAX_HBAS];
static u32 nhbas;
static struct ahci_port ports[AHCI_MAX_DISKS];
static u32 nports;

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static u32 prd(const struct ahci_port *p, u32 reg) { return mmio_read32(p->regs + reg); }
static void pwr(const struct ahci_port *p, u32 reg, u32 v) { mmio_write32(p->regs + reg, v); }
static u32 hrd(const struct ahci_hba *h, u32 reg) { return mmio_read32(h->abar + reg); }
static void hwr(const struct ahci_hba *h, u32 reg, u32 v) { mmio_write32(h->abar + reg, v); }

/* Poll until (reg & mask) == want; false on timeout. */
static bool wait_mmio(u64 addr, u32 mask, u32 want, u64 timeout_us)
{
	u64 end = now_us() + timeout_us;
	for (;;) {
		if ((mmio_read32(addr) & mask) == want)
			return true;
		if (now_us() > end)
			return (mmio_read32(addr) & mask) == want;
		cpu_pause();
	}
}

static bool below_4g(const void *p, u64 len) { return (u64)(uintptr_t)p + len <= (1ull << 32); }

/* ---- port engine control (10.3) ---- */

static bool port_stop(struct ahci_port *p)
{
	u32 cmd = prd(p, PxCMD);
	if (cmd & (PxCMD_ST | PxCMD_CR)) {
		pwr(p, PxCMD, cmd & ~PxCMD_ST);
		if (!wait_mmio(p->regs + PxCMD, PxCMD_CR, 0, 500000))
			return false;
	}
	return true;
}

static bool port_stop_fis(struct ahci_port *p)
{
	u32 cmd = prd(p, PxCMD);
	if (cmd & (PxCMD_FRE | PxCMD_FR)) {
		pwr(p, PxCMD, cmd & ~PxCMD_FRE);
		if (!wait_mmio(p->regs + PxCMD, PxCMD_FR, 0, 500000))
			return false;
	}
	return true;
}

static void port_start(struct ahci_port *p)
{
	pwr(p, PxCMD, prd(p, PxCMD) | PxCMD_FRE | PxCMD_ST);
}

/* Wait for the device to leave BSY/DRQ (its D2H FIS after reset updates PxTFD). */
static bool port_wait_ready(struct ahci_port *p, u64 timeout_us)
{
	return wait_mmio(p->regs + PxTFD, ATA_SR_BSY | ATA_SR_DRQ, 0, timeout_us);
}

/* COMRESET (10.4.2): PxSCTL.DET = 1 for at least 1 ms, then 0; the engine
 * must be stopped.  Then wait for the link and for the device. */
static bool port_comreset(struct ahci_port *p)
{
	u32 sctl = prd(p, PxSCTL) & ~0xfu;
	pwr(p, PxSCTL, sctl | PxSCTL_DET_COMRESET);
	udelay(2000);
	pwr(p, PxSCTL, sctl);
	if (!wait_mmio(p->regs + PxSSTS, 0xf, PxSSTS_DET_PRESENT, 1000000))
		return false;
	pwr(p, PxSERR, 0xffffffffu);
	return port_wait_ready(p, 5000000);
}

/* ---- commands ---- */

static u8 *cmd_table(struct ahci_port *p, u32 slot)
{
	return p->tables + slot * AHCI_CMD_TABLE_SIZE;
}

static int build_cmd(struct ahci_port *p, u32 slot, const struct ata_taskfile *tf, u64 buf,
		     u32 bytes, bool write)
{
	u8 *ct = cmd_table(p, slot);
	memset(ct, 0, AHCI_CMD_TABLE_PRDT_OFF);
	ata_fis_h2d(tf, ct);
	int n = 0;
	if (bytes) {
		struct ahci_prd *prdt = (struct ahci_prd *)(ct + AHCI_CMD_TABLE_PRDT_OFF);
		n = ahci_build_prdt(prdt, AHCI_PRDT_MAX, buf, bytes);
		if (n < 0)
			return -1;
	}
	ahci_cmd_hdr_fill(&p->cl[slot], FIS_H2D_LEN, write, (u16)n, (u64)(uintptr_t)ct);
	return 0;
}

static void issue(struct ahci_port *p, u32 slot, bool ncq)
{
	/* The command header and table are ordinary memory: make sure the
	 * compiler has written them before the doorbell (x86 keeps the
	 * stores in order with respect to the uncached MMIO write). */
	barrier();
	if (ncq)
		pwr(p, PxSACT, 1u << slot);
	pwr(p, PxCI, 1u << slot);
}

/* Synchronous command on slot 0, for bring-up (engine idle otherwise). */
static int exec_sync(struct ahci_port *p, const struct ata_taskfile *tf, void *buf, u32 bytes,
		     u64 timeout_us)
{
	if (build_cmd(p, 0, tf, (u64)(uintptr_t)buf, bytes, false) < 0)
		return BLK_EINVAL;
	pwr(p, PxIS, 0xffffffffu);
	issue(p, 0, false);
	u64 end = now_us() + timeout_us;
	for (;;) {
		u32 is = prd(p, PxIS);
		if (is & PxIS_ERRORS)
			return BLK_EIO;
		if (!(prd(p, PxCI) & 1)) {
			barrier();
			return (PxTFD_STS(prd(p, PxTFD)) & ATA_SR_ERR) ? BLK_EIO : BLK_OK;
		}
		if (now_us() > end)
			return BLK_ETIMEDOUT;
		cpu_pause();
	}
}

static const char *op_name(const struct ahci_port *p, const struct blk_req *r)
{
	bool w = r->op == BLK_WRITE;
	if (r->op == BLK_FLUSH)
		return p->blk.lba48 ? "FLUSH CACHE EXT" : "FLUSH CACHE";
	if (p->use_ncq)
		return w ? "WRITE FPDMA QUEUED" : "READ FPDMA QUEUED";
	if (p->blk.lba48)
		return w ? "WRITE DMA EXT" : "READ DMA EXT";
	return w ? "WRITE DMA" : "READ DMA";
}

static void complete(struct ahci_port *p, u32 slot, int status)
{
	struct blk_req *r = p->slot[slot];
	p->slot[slot] = NULL;
	p->busy &= ~(1u << slot);
	r->status = status;
	if (r->done)
		r->done(r);
}

static void requeue_front(struct ahci_port *p, struct blk_req *r)
{
	r->next = p->qhead;
	p->qhead = r;
	if (!p->qtail)
		p->qtail = r;
}

static int fail_all(struct ahci_port *p, int status)
{
	int n = 0;
	for (u32 s = 0; s < 32; s++)
		if (p->busy & (1u << s)) {
			complete(p, s, status);
			n++;
		}
	while (p->qhead) {
		struct blk_req *r = p->qhead;
		p->qhead = r->next;
		r->status = status;
		if (r->done)
			r->done(r);
		n++;
	}
	p->qtail = NULL;
	return n;
}

static void mark_failed(struct ahci_port *p, const char *why)
{
	kprintf("%s: %s; disk marked failed, its requests fail from now on\n", p->blk.name, why);
	p->blk.failed = true;
	port_stop(p);
}

/*
 * Recover the port after an error or timeout (6.2.2.1), then retry or fail
 * whatever was in flight.  Returns the number of requests completed.
 */
static int port_recover(struct ahci_port *p, int status, bool force_reset)
{
	if (!port_stop(p)) {
		mark_failed(p, "PxCMD.CR did not clear after PxCMD.ST=0");
		return fail_all(p, BLK_EFAILED);
	}
	pwr(p, PxSERR, 0xffffffffu);
	pwr(p, PxIS, 0xffffffffu);
	u32 tfd = prd(p, PxTFD);
	if (force_reset || (PxTFD_STS(tfd) & (ATA_SR_BSY | ATA_SR_DRQ))) {
		kprintf("%s: COMRESET (PxTFD=0x%x)\n", p->blk.name, tfd);
		if (!port_comreset(p)) {
			mark_failed(p, "device not ready after COMRESET");
			return fail_all(p, BLK_EFAILED);
		}
	}
	pwr(p, PxIS, 0xffffffffu);
	port_start(p);

	if (p->use_ncq) {
		/* A failed queued command aborts every queued command and we do
		 * not read the NCQ error log to tell which: retry all, queued no
		 * more. */
		p->use_ncq = false;
		p->depth = 1;
		p->blk.ncq = false;
		p->blk.transport = "AHCI DMA";
		kprintf("%s: NCQ off after the error, non-queued commands from now on\n",
			p->blk.name);
	}

	int n = 0;
	for (u32 s = 0; s < 32; s++) {
		if (!(p->busy & (1u << s)))
			continue;
		struct blk_req *r = p->slot[s];
		p->slot[s] = NULL;
		p->busy &= ~(1u << s);
		if (r->tries < 2) {
			requeue_front(p, r);
			kprintf("%s: retrying LBA %llu+%u\n", p->blk.name,
				(unsigned long long)r->lba, r->count);
		} else {
			r->status = status;
			if (r->done)
				r->done(r);
			n++;
		}
	}
	return n;
}

/* A flush holds the port: nothing is issued beside it. */
static bool flush_in_flight(const struct ahci_port *p)
{
	for (u32 s = 0; s < 32; s++)
		if ((p->busy & (1u << s)) && p->slot[s]->op == BLK_FLUSH)
			return true;
	return false;
}

static void start_queued(struct ahci_port *p)
{
	while (p->qhead && __builtin_popcount(p->busy) < (int)p->depth) {
		struct blk_req *r = p->qhead;
		bool flush = r->op == BLK_FLUSH;
		/* SATA does not allow a non-queued command while queued ones
		 * are outstanding; nothing is issued beside it either. */
		if ((flush && p->busy) || flush_in_flight(p))
			return;
		u32 slot = 0;
		while (p->busy & (1u << slot))
			slot++;
		p->qhead = r->next;
		if (!p->qhead)
			p->qtail = NULL;
		r->next = NULL;

		struct ata_taskfile tf;
		bool w = r->op == BLK_WRITE;
		int rc;
		if (flush) {
			ata_flush_taskfile(&tf, p->blk.lba48, false);
			rc = build_cmd(p, slot, &tf, 0, 0, false); /* no PRDs */
		} else {
			rc = ata_rw_taskfile(&tf, w, p->blk.lba48, p->use_ncq ? ATA_NCQ : ATA_DMA,
					     r->lba, r->count, false, (u8)slot);
			if (rc == 0)
				rc = build_cmd(p, slot, &tf, r->buf, r->count * BLK_SECTOR_SIZE, w);
		}
		if (rc < 0) {
			r->status = BLK_EINVAL;
			if (r->done)
				r->done(r);
			continue;
		}
		p->slot[slot] = r;
		p->busy |= 1u << slot;
		r->tries++;
		r->deadline_us = now_us() + (flush ? AHCI_FLUSH_TIMEOUT_US : AHCI_CMD_TIMEOUT_US);
		issue(p, slot, p->use_ncq && !flush);
	}
}

/* ---- blk_ops ---- */

static int ahci_submit(struct blk_dev *d, struct blk_req *r)
{
	struct ahci_port *p = d->drv;
	int rc = blk_check_req(d, r, d->dma32);
	if (rc < 0)
		return rc;
	r->status = BLK_PENDING;
	r->next = NULL;
	r->tries = 0;
	if (p->qtail)
		p->qtail->next = r;
	else
		p->qhead = r;
	p->qtail = r;
	start_queued(p);
	return 0;
}

static int ahci_poll(struct blk_dev *d)
{
	struct ahci_port *p = d->drv;
	if (d->failed)
		return fail_all(p, BLK_EFAILED);

	int done = 0;
	if (p->busy) {
		u32 is = prd(p, PxIS);
		if (is) {
			pwr(p, PxIS, is);
			hwr(p->hba, AHCI_IS, 1u << p->num);
		}
		u32 ci = prd(p, PxCI);
		u32 sact = p->use_ncq ? prd(p, PxSACT) : 0;
		if (is & PxIS_ERRORS) {
			u32 tfd = prd(p, PxTFD);
			struct blk_req *r = NULL;
			for (u32 s = 0; s < 32 && !r; s++)
				if (p->busy & (ci | sact) & (1u << s))
					r = p->slot[s];
			kprintf("%s: %s error: PxIS=0x%x PxTFD=0x%x (status 0x%02x error 0x%02x) "
				"PxSERR=0x%x, %s LBA %llu+%u\n",
				d->name, (is & PxIS_TFES) ? "task file" : "host bus/interface", is,
				tfd, PxTFD_STS(tfd), PxTFD_ERR(tfd), prd(p, PxSERR),
				r ? op_name(p, r) : "command",
				r ? (unsigned long long)r->lba : 0ull, r ? r->count : 0);
			/* Commands the HBA had already finished completed fine. */
			barrier();
			for (u32 s = 0; s < 32; s++)
				if ((p->busy & (1u << s)) && !((ci | sact) & (1u << s))) {
					complete(p, s, BLK_OK);
					done++;
				}
			done += port_recover(p, BLK_EIO, false);
		} else {
			barrier();
			for (u32 s = 0; s < 32; s++)
				if ((p->busy & (1u << s)) && !((ci | sact) & (1u << s))) {
					complete(p, s, BLK_OK);
					done++;
				}
			u64 now = now_us();
			for (u32 s = 0; s < 32; s++) {
				struct blk_req *r = p->slot[s];
				if (!r || now <= r->deadline_us)
					continue;
				kprintf("%s: %s LBA %llu+%u timed out after %llu ms (PxCI=0x%x "
					"PxTFD=0x%x)\n",
					d->name, op_name(p, r), (unsigned long long)r->lba,
					r->count,
					(r->op == BLK_FLUSH ? AHCI_FLUSH_TIMEOUT_US
							    : AHCI_CMD_TIMEOUT_US) / 1000,
					prd(p, PxCI),
					prd(p, PxTFD));
				done += port_recover(p, BLK_ETIMEDOUT, true);
				break;
			}
		}
	}
	if (!d->failed)
		start_queued(p);
	else
		done += fail_all(p, BLK_EFAILED);
	return done;
}

static const struct blk_ops ahci_ops = {
	.submit = ahci_submit,
	.poll = ahci_poll,
};

/* ---- bring-up ---- */

/* BIOS/OS handoff (10.6.3): ask for ownership, give the BIOS up to 25 ms
 * to release it, 2 s more if it says it is busy finishing commands. */
static void bios_handoff(struct ahci_hba *h)
{
	if (!(hrd(h, AHCI_CAP2) & AHCI_CAP2_BOH))
		return;
	u32 bohc = hrd(h, AHCI_BOHC);
	if (!(bohc & AHCI_BOHC_BOS)) {
		hwr(h, AHCI_BOHC, (bohc | AHCI_BOHC_OOS) & ~AHCI_BOHC_OOC);
		return;
	}
	hwr(h, AHCI_BOHC, (bohc | AHCI_BOHC_OOS) & ~AHCI_BOHC_OOC);
	if (!wait_mmio(h->abar + AHCI_BOHC, AHCI_BOHC_BOS, 0, 25000)) {
		if (hrd(h, AHCI_BOHC) & AHCI_BOHC_BB)
			wait_mmio(h->abar + AHCI_BOHC, AHCI_BOHC_BOS, 0, 2000000);
	}
	if (hrd(h, AHCI_BOHC) & AHCI_BOHC_BOS)
		kprintf("ahci%u: BIOS did not release the HBA (BOHC=0x%x), taking it anyway\n",
			h->idx, hrd(h, AHCI_BOHC));
	else
		kprintf("ahci%u: BIOS/OS handoff done\n", h->idx);
}

static bool hba_reset(struct ahci_hba *h)
{
	/* GHC.AE must be set before any other AHCI register write (3.1.2). */
	hwr(h, AHCI_GHC, hrd(h, AHCI_GHC) | AHCI_GHC_AE);
	hwr(h, AHCI_GHC, hrd(h, AHCI_GHC) | AHCI_GHC_HR);
	if (!wait_mmio(h->abar + AHCI_GHC, AHCI_GHC_HR, 0, 1000000))
		return false;
	/* HR clears AE on HBAs that also do legacy mode; polled: IE = 0. */
	hwr(h, AHCI_GHC, AHCI_GHC_AE);
	hwr(h, AHCI_IS, 0xffffffffu);
	return true;
}

static const char *sig_name(u32 sig)
{
	switch (sig) {
	case AHCI_SIG_ATAPI: return "ATAPI device";
	case AHCI_SIG_SEMB: return "enclosure bridge";
	case AHCI_SIG_PM: return "port multiplier";
	default: return "unknown device";
	}
}

static void port_probe(struct ahci_hba *h, u32 n)
{
	struct ahci_port tmp = { .hba = h, .num = n, .regs = h->abar + AHCI_PORT(n) };
	struct ahci_port *p = &tmp;
	char name[BLK_NAME_LEN];
	ksnprintf(name, sizeof(name), "ahci%u.p%u", h->idx, n);

	if (!port_stop(p) || !port_stop_fis(p)) {
		kprintf("%s: command engine does not stop (PxCMD=0x%x), port skipped\n", name,
			prd(p, PxCMD));
		return;
	}
	pwr(p, PxIE, 0);
	/* Staggered spin-up: after an HBA reset the port waits for SUD before
	 * sending COMRESET (10.4.3, 10.10.1). */
	if (h->cap & AHCI_CAP_SSS)
		pwr(p, PxCMD, prd(p, PxCMD) | PxCMD_SUD);

	/* Presence (DET != 0) shows within ~10 ms of COMRESET, the Phy link
	 * (DET = 3) shortly after.  An empty port costs us 50 ms. */
	u64 t0 = now_us();
	while (PxSSTS_DET(prd(p, PxSSTS)) == 0 && now_us() - t0 < 50000)
		cpu_pause();
	if (PxSSTS_DET(prd(p, PxSSTS)) == 0)
		return;
	if (!wait_mmio(p->regs + PxSSTS, 0xf, PxSSTS_DET_PRESENT, 1000000)) {
		kprintf("%s: device present but no Phy link (PxSSTS=0x%x), port skipped\n", name,
			prd(p, PxSSTS));
		return;
	}

	if (nports == AHCI_MAX_DISKS) {
		kprintf("%s: more than %d AHCI disks, ignored\n", name, AHCI_MAX_DISKS);
		return;
	}

	/* Command list (1 KiB aligned), FIS area (256 aligned), IDENTIFY buffer
	 * in one page; command tables (128 aligned) in the next ones. */
	u8 *page = pmm_alloc_pages(1);
	u32 tpages = (u32)((h->nslots * AHCI_CMD_TABLE_SIZE + PAGE_SIZE - 1) / PAGE_SIZE);
	u8 *tables = pmm_alloc_pages(tpages);
	if (!h->s64a && (!below_4g(page, PAGE_SIZE) || !below_4g(tables, tpages * PAGE_SIZE))) {
		kprintf("%s: HBA has no 64-bit addressing and our memory is above 4 GiB, port "
			"skipped\n", name);
		pmm_free_pages(tables, tpages);
		pmm_free_pages(page, 1);
		return;
	}
	tmp.cl = (struct ahci_cmd_hdr *)page;
	tmp.rfis = page + AHCI_RFIS_OFF;
	tmp.idbuf = page + AHCI_IDBUF_OFF;
	tmp.tables = tables;
	u64 clb = (u64)(uintptr_t)tmp.cl, fb = (u64)(uintptr_t)tmp.rfis;
	pwr(p, PxCLB, (u32)clb);
	pwr(p, PxCLBU, (u32)(clb >> 32));
	pwr(p, PxFB, (u32)fb);
	pwr(p, PxFBU, (u32)(fb >> 32));
	pwr(p, PxSERR, 0xffffffffu);
	pwr(p, PxIS, 0xffffffffu);
	pwr(p, PxCMD, prd(p, PxCMD) | PxCMD_FRE);

	bool ready = port_wait_ready(p, 10000000);
	if (!ready) {
		kprintf("%s: device stays busy (PxTFD=0x%x), trying COMRESET\n", name,
			prd(p, PxTFD));
		ready = port_comreset(p);
	}
	u32 sig = prd(p, PxSIG);
	if (!ready) {
		kprintf("%s: device not ready (PxTFD=0x%x), port skipped\n", name, prd(p, PxTFD));
		goto out_free;
	}
	if (sig == AHCI_SIG_ATAPI || sig == AHCI_SIG_SEMB || sig == AHCI_SIG_PM) {
		kprintf("%s: %s (PxSIG=0x%08x), not a disk, ignored\n", name, sig_name(sig), sig);
		goto out_free;
	}
	pwr(p, PxIS, 0xffffffffu);
	port_start(p);

	struct ata_taskfile tf = { .command = ATA_CMD_IDENTIFY };
	int rc = exec_sync(p, &tf, tmp.idbuf, 512, 5000000);
	if (rc != BLK_OK) {
		kprintf("%s: IDENTIFY DEVICE failed (%s, PxIS=0x%x PxTFD=0x%x PxSIG=0x%08x), port "
			"skipped\n", name, rc == BLK_ETIMEDOUT ? "timeout" : "error", prd(p, PxIS),
			prd(p, PxTFD), sig);
		port_stop(p);
		port_stop_fis(p);
		goto out_free;
	}
	struct ata_identify id;
	int idrc = ata_parse_identify(tmp.idbuf, &id);
	if (idrc != ATA_ID_OK || id.sector_size != BLK_SECTOR_SIZE || id.sectors == 0) {
		kprintf("%s: \"%s\": %s, port skipped\n", name, id.model,
			idrc == ATA_ID_NOT_ATA ? "not an ATA disk" :
			idrc == ATA_ID_BAD_SUM ? "IDENTIFY checksum wrong" :
			idrc == ATA_ID_NO_LBA ? "no LBA addressing" :
			idrc == ATA_ID_EMPTY ? "empty IDENTIFY data" :
			id.sectors == 0 ? "zero capacity" : "logical sectors are not 512 bytes");
		port_stop(p);
		port_stop_fis(p);
		goto out_free;
	}

	struct ahci_port *np = &ports[nports++];
	*np = tmp;
	np->use_ncq = ahci_allow_ncq && (h->cap & AHCI_CAP_SNCQ) && id.ncq && id.lba48;
	np->depth = np->use_ncq ? (id.queue_depth < h->nslots ? id.queue_depth : h->nslots) : 1;
	struct blk_dev *b = &np->blk;
	memcpy(b->name, name, sizeof(name));
	memcpy(b->model, id.model, sizeof(b->model));
	b->ops = &ahci_ops;
	b->sectors = id.sectors;
	b->lba48 = id.lba48;
	b->ncq = np->use_ncq;
	b->max_sectors = id.lba48 ? AHCI_MAX_SECTORS : 256;
	b->dma32 = !p->hba->s64a;
	b->transport = np->use_ncq ? "AHCI NCQ" : "AHCI DMA";
	b->drv = np;
	kprintf("%s: \"%s\" serial \"%s\" fw \"%s\": %llu sectors (%llu MiB), %s, NCQ %s "
		"(depth %u), using %s\n",
		name, id.model, id.serial, id.firmware, (unsigned long long)id.sectors,
		(unsigned long long)(id.sectors >> 11), id.lba48 ? "LBA48" : "LBA28",
		id.ncq ? "supported" : "not supported", id.queue_depth, b->transport);
	if (blk_register(b) < 0)
		kprintf("%s: block layer full, disk not registered\n", name);
	return;

out_free:
	pmm_free_pages(tables, tpages);
	pmm_free_pages(page, 1);
}

void ahci_probe(const struct pci_dev *pd)
{
	const struct pci_bar *abar = &pd->bar[5];
	if (nhbas == AHCI_MAX_HBAS) {
		kprintf("ahci: more than %d HBAs, %02x:%02x.%x ignored\n", AHCI_MAX_HBAS, pd->bus,
			pd->dev, pd->fn);
		return;
	}
	if ((abar->kind != PCI_BAR_MEM32 && abar->kind != PCI_BAR_MEM64) || abar->base == 0) {
		kprintf("ahci: %02x:%02x.%x has no ABAR (BAR5), ignored\n", pd->bus, pd->dev,
			pd->fn);
		return;
	}
	if (abar->base + abar->size > (1ull << 32)) {
		kprintf("ahci: %02x:%02x.%x ABAR 0x%llx is above 4 GiB (not mapped), ignored\n",
			pd->bus, pd->dev, pd->fn, (unsigned long long)abar->base);
		return;
	}
	struct ahci_hba *h = &hbas[nhbas];
	h->idx = nhbas;
	h->abar = abar->base;
	pci_enable(pd, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

	bios_handoff(h);
	if (!hba_reset(h)) {
		kprintf("ahci%u: GHC.HR did not clear within 1 s, HBA ignored\n", h->idx);
		return;
	}
	nhbas++;
	h->cap = hrd(h, AHCI_CAP);
	h->nslots = AHCI_CAP_NCS(h->cap);
	h->s64a = (h->cap & AHCI_CAP_S64A) != 0;
	u32 pi = hrd(h, AHCI_PI), vs = hrd(h, AHCI_VS);
	kprintf("ahci%u: %02x:%02x.%x ABAR 0x%llx, AHCI %x.%x, %u ports (PI=0x%x), %u slots%s%s\n",
		h->idx, pd->bus, pd->dev, pd->fn, (unsigned long long)h->abar, vs >> 16,
		(vs >> 8) & 0xff, AHCI_CAP_NP(h->cap), pi, h->nslots,
		h->s64a ? ", 64-bit" : ", 32-bit only", (h->cap & AHCI_CAP_SNCQ) ? ", NCQ" : "");
	for (u32 n = 0; n < 32; n++)
		if (pi & (1u << n))
			port_probe(h, n);
}
