/*
 * ata.c - ATA task files, FISes, PRD tables and IDENTIFY data (pure).
 *
 * See ata.h for the spec sections.  Nothing here touches hardware: the
 * drivers pass in buffers and get bytes back, so every bit pattern that
 * reaches a disk is unit-tested in hv/storage/tests/test_ata.c.
 */
#include "types.h"
#include "string.h"
#include "storage/ata.h"

int ata_rw_taskfile(struct ata_taskfile *tf, bool write, bool lba48, enum ata_xfer xfer,
		    u64 lba, u32 count, bool slave, u8 ncq_tag)
{
	memset(tf, 0, sizeof(*tf));
	if (count == 0)
		return -1;

	if (xfer == ATA_NCQ) {
		/* FPDMA QUEUED is 48-bit only; the sector count moves to
		 * FEATURES and COUNT carries the tag (ATA8-ACS 7.23, 7.62). */
		if (!lba48 || count > 65536 || lba + count > ATA_LBA48_MAX || ncq_tag > 31)
			return -1;
		tf->command = write ? ATA_CMD_WRITE_FPDMA_QUEUED : ATA_CMD_READ_FPDMA_QUEUED;
		tf->features = (u16)count; /* 65536 wraps to 0, which means 65536 */
		tf->count = (u16)(ncq_tag << 3);
		tf->lba = lba;
		tf->device = ATA_DEV_LBA;
		tf->lba48 = true;
		return 0;
	}

	if (lba48) {
		if (count > 65536 || lba + count > ATA_LBA48_MAX)
			return -1;
		if (xfer == ATA_DMA)
			tf->command = write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT;
		else
			tf->command = write ? ATA_CMD_WRITE_SECTORS_EXT : ATA_CMD_READ_SECTORS_EXT;
		tf->count = (u16)count;
		tf->lba = lba;
		tf->device = ATA_DEV_LBA | (slave ? ATA_DEV_SLAVE : 0);
		tf->lba48 = true;
		return 0;
	}

	/* 28-bit commands: 256 sectors at most (COUNT 0), LBA bits 27:24 in
	 * the device register; bits 7 and 5 are obsolete, set for old disks. */
	if (count > 256 || lba + count > ATA_LBA28_MAX)
		return -1;
	if (xfer == ATA_DMA)
		tf->command = write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA;
	else
		tf->command = write ? ATA_CMD_WRITE_SECTORS : ATA_CMD_READ_SECTORS;
	tf->count = (u16)(count & 0xff);
	tf->lba = lba;
	tf->device = 0xa0 | ATA_DEV_LBA | (slave ? ATA_DEV_SLAVE : 0) | ((lba >> 24) & 0xf);
	tf->lba48 = false;
	return 0;
}

void ata_flush_taskfile(struct ata_taskfile *tf, bool lba48, bool slave)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = lba48 ? ATA_CMD_FLUSH_CACHE_EXT : ATA_CMD_FLUSH_CACHE;
	tf->device = (lba48 ? 0 : 0xa0) | ATA_DEV_LBA | (slave ? ATA_DEV_SLAVE : 0);
	/* No "previous" register halves to write: there is no LBA or count. */
	tf->lba48 = false;
}

void ata_fis_h2d(const struct ata_taskfile *tf, u8 fis[FIS_H2D_LEN])
{
	memset(fis, 0, FIS_H2D_LEN);
	fis[0] = FIS_TYPE_REG_H2D;
	fis[1] = 0x80; /* C: this FIS updates the Command register */
	fis[2] = tf->command;
	fis[3] = tf->features & 0xff;
	fis[4] = tf->lba & 0xff;
	fis[5] = (tf->lba >> 8) & 0xff;
	fis[6] = (tf->lba >> 16) & 0xff;
	fis[7] = tf->device;
	if (tf->lba48) {
		fis[8] = (tf->lba >> 24) & 0xff;
		fis[9] = (tf->lba >> 32) & 0xff;
		fis[10] = (tf->lba >> 40) & 0xff;
		fis[11] = tf->features >> 8;
		fis[13] = tf->count >> 8;
	}
	fis[12] = tf->count & 0xff;
}

void ahci_cmd_hdr_fill(struct ahci_cmd_hdr *h, u32 fis_len, bool write, u16 prdtl, u64 ctba)
{
	/* CFL counts dwords; C (clear busy upon R_OK) is only for commands
	 * without a data phase or reset sequences, so it stays 0 here. */
	h->dw0 = ((u32)prdtl << 16) | (write ? AHCI_CMDHDR_W : 0) | ((fis_len / 4) & 0x1f);
	h->prdbc = 0;
	h->ctba = (u32)ctba;
	h->ctbau = (u32)(ctba >> 32);
	h->rsvd[0] = h->rsvd[1] = h->rsvd[2] = h->rsvd[3] = 0;
}

int ahci_build_prdt(struct ahci_prd *prdt, u32 max, u64 buf, u32 bytes)
{
	if (bytes == 0 || (bytes & 1) || (buf & 1))
		return -1;
	u32 n = 0;
	while (bytes) {
		if (n == max)
			return -1;
		u32 len = bytes > AHCI_PRD_MAX_BYTES ? AHCI_PRD_MAX_BYTES : bytes;
		prdt[n].dba = (u32)buf;
		prdt[n].dbau = (u32)(buf >> 32);
		prdt[n].rsvd = 0;
		prdt[n].dbc = len - 1; /* I = 0: we poll PxCI, no interrupt wanted */
		buf += len;
		bytes -= len;
		n++;
	}
	return (int)n;
}

int bmdma_build_prdt(struct bmdma_prd *prdt, u32 max, u64 buf, u32 bytes)
{
	if (bytes == 0 || (bytes & 1) || (buf & 1) || buf + bytes > (1ull << 32))
		return -1;
	u32 n = 0;
	while (bytes) {
		if (n == max)
			return -1;
		/* A region may not cross a 64 KiB boundary: the engine's
		 * address counter only carries through the low 16 bits. */
		u64 to_boundary = 0x10000 - (buf & 0xffff);
		u32 len = bytes < to_boundary ? bytes : (u32)to_boundary;
		prdt[n].addr = (u32)buf;
		prdt[n].count = (u16)(len & 0xffff); /* 0x10000 -> 0 means 64 KiB */
		prdt[n].flags = 0;
		buf += len;
		bytes -= len;
		n++;
	}
	prdt[n - 1].flags = BMDMA_PRD_EOT;
	return (int)n;
}

static u16 word(const u8 *d, u32 i) { return (u16)(d[2 * i] | (d[2 * i + 1] << 8)); }

void ata_string(const u8 *words, u32 nwords, char *out)
{
	u32 n = 0;
	for (u32 i = 0; i < nwords; i++) {
		u16 w = word(words, i);
		out[n++] = (char)(w >> 8);
		out[n++] = (char)(w & 0xff);
	}
	out[n] = 0;
	/* Pad bytes are spaces; a NUL or a non-printable byte ends it too. */
	for (u32 i = 0; i < n; i++)
		if ((u8)out[i] < 0x20 || (u8)out[i] > 0x7e) {
			out[i] = 0;
			n = i;
			break;
		}
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = 0;
}

int ata_parse_identify(const u8 data[512], struct ata_identify *id)
{
	memset(id, 0, sizeof(*id));

	bool zeros = true, ones = true;
	for (u32 i = 0; i < 512; i++) {
		zeros &= data[i] == 0;
		ones &= data[i] == 0xff;
	}
	if (zeros || ones)
		return ATA_ID_EMPTY;

	ata_string(data + 2 * 10, 10, id->serial);
	ata_string(data + 2 * 23, 4, id->firmware);
	ata_string(data + 2 * 27, 20, id->model);

	/* Word 255: bits 7:0 = 0xA5 signature, 15:8 = checksum making the
	 * 512 bytes sum to zero.  Optional, but wrong when present means the
	 * transfer was corrupted. */
	if (data[510] == 0xa5) {
		u8 sum = 0;
		for (u32 i = 0; i < 512; i++)
			sum += data[i];
		id->checksum = sum == 0 ? 1 : -1;
	}

	u16 w0 = word(data, 0), w49 = word(data, 49), w75 = word(data, 75), w76 = word(data, 76);
	u16 w83 = word(data, 83), w86 = word(data, 86), w106 = word(data, 106);

	id->lba = (w49 & BIT(9)) != 0;
	id->dma = (w49 & BIT(8)) != 0;
	/* Words 83/86 are valid when bits 15:14 of 83 read 01. */
	bool w83_valid = (w83 & 0xc000) == 0x4000;
	id->lba48 = w83_valid && (w83 & BIT(10)) && (w86 & BIT(10));
	/* Word 76 is 0 or 0xFFFF on parallel ATA devices. */
	id->ncq = w76 != 0 && w76 != 0xffff && (w76 & BIT(8));
	id->queue_depth = id->ncq ? (w75 & 0x1f) + 1 : 1;
	id->udma_modes = word(data, 53) & BIT(2) ? word(data, 88) & 0xff : 0;

	u64 s28 = (u64)word(data, 60) | ((u64)word(data, 61) << 16);
	u64 s48 = (u64)word(data, 100) | ((u64)word(data, 101) << 16) |
		  ((u64)word(data, 102) << 32) | ((u64)word(data, 103) << 48);
	id->sectors = id->lba48 ? s48 : s28;

	id->sector_size = 512;
	/* Word 106 valid when bits 15:14 read 01; bit 12: logical sectors
	 * longer than 256 words, their size in words 117-118. */
	if ((w106 & 0xc000) == 0x4000 && (w106 & BIT(12))) {
		u32 words = (u32)word(data, 117) | ((u32)word(data, 118) << 16);
		id->sector_size = words * 2;
	}

	if (w0 & BIT(15))
		return ATA_ID_NOT_ATA;
	if (id->checksum < 0)
		return ATA_ID_BAD_SUM;
	if (!id->lba)
		return ATA_ID_NO_LBA;
	return ATA_ID_OK;
}
