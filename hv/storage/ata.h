/*
 * ata.h - the ATA command set and the structures AHCI and bus-master IDE
 * share with the disk, built and parsed by pure code (ata.c).
 *
 * Everything that decides a bit pattern lives here: which command and
 * task-file values read or write a range (ATA8-ACS 7.x), the Register
 * Host-to-Device FIS that carries them over SATA (SATA 3.x 10.5.5, AHCI
 * 1.3.1 4.2.3.1), the AHCI command header and PRDT (AHCI 1.3.1 4.2.2,
 * 4.2.3.3), the bus-master IDE PRD table (Intel PIIX/ICH datasheets, "Bus
 * Master IDE" / SFF-8038i), and the IDENTIFY DEVICE data (ATA8-ACS
 * 7.16.7).  The drivers (ahci.c, ide.c) only copy these to the hardware.
 */
#ifndef FORMICA_ATA_H
#define FORMICA_ATA_H

#include "types.h"

/* Commands (ATA8-ACS table B.2). */
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_EXT 0x24
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_EXT 0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_READ_FPDMA_QUEUED 0x60
#define ATA_CMD_WRITE_FPDMA_QUEUED 0x61
#define ATA_CMD_READ_DMA 0xc8
#define ATA_CMD_WRITE_DMA 0xca
#define ATA_CMD_FLUSH_CACHE 0xe7
#define ATA_CMD_FLUSH_CACHE_EXT 0xea
#define ATA_CMD_IDENTIFY_PACKET 0xa1
#define ATA_CMD_IDENTIFY 0xec

/* Status register bits (ATA8-ACS 6.2.11 / task file). */
#define ATA_SR_ERR 0x01
#define ATA_SR_DRQ 0x08
#define ATA_SR_DF 0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY 0x80

#define ATA_DEV_LBA 0x40   /* device register bit 6: LBA addressing */
#define ATA_DEV_SLAVE 0x10 /* device register bit 4: device 1 (IDE only) */

#define ATA_LBA28_MAX (1ull << 28)
#define ATA_LBA48_MAX (1ull << 48)

/* What goes into the task-file registers for one command. */
struct ata_taskfile {
	u8 command;
	u8 device;
	u16 features;
	u16 count;  /* 0 means 65536 (48-bit) or 256 (28-bit) sectors */
	u64 lba;    /* 28 or 48 bits */
	bool lba48; /* write the "previous" (high-order) register halves too */
};

enum ata_xfer { ATA_PIO = 0, ATA_DMA = 1, ATA_NCQ = 2 };

/*
 * Task file for reading or writing count sectors at lba.  lba48 picks the
 * EXT commands; xfer picks PIO, DMA or NCQ (FPDMA QUEUED: count goes into
 * FEATURES, the tag into COUNT bits 7:3).  slave sets the IDE device bit.
 * Returns 0, or -1 when count is 0 or too large, or the range does not fit
 * the addressing mode.
 */
int ata_rw_taskfile(struct ata_taskfile *tf, bool write, bool lba48, enum ata_xfer xfer,
		    u64 lba, u32 count, bool slave, u8 ncq_tag);

/*
 * Task file for FLUSH CACHE EXT (lba48) or FLUSH CACHE: the disk writes its
 * volatile write cache to the media (ACS-3, FLUSH CACHE / FLUSH CACHE EXT).
 * A non-data command: COUNT, LBA and FEATURES are reserved (zero), DEVICE
 * only selects the device (slave) and keeps the bits the read/write
 * commands of the same width set.  48-bit disks get the EXT form, which
 * ACS-3 makes mandatory with the 48-bit Address feature set.
 */
void ata_flush_taskfile(struct ata_taskfile *tf, bool lba48, bool slave);

/* Register Host-to-Device FIS, 20 bytes (5 dwords), C bit set. */
#define FIS_TYPE_REG_H2D 0x27
#define FIS_TYPE_REG_D2H 0x34
#define FIS_TYPE_PIO_SETUP 0x5f
#define FIS_TYPE_SET_DEVICE_BITS 0xa1
#define FIS_H2D_LEN 20
void ata_fis_h2d(const struct ata_taskfile *tf, u8 fis[FIS_H2D_LEN]);

/* ---- AHCI command structures (AHCI 1.3.1 4.2.2, 4.2.3) ---- */

struct ahci_cmd_hdr {
	u32 dw0;   /* PRDTL 31:16, PMP 15:12, C 10, B 9, R 8, P 7, W 6, A 5, CFL 4:0 */
	u32 prdbc; /* bytes transferred, written by the HBA */
	u32 ctba;  /* command table base, 128-byte aligned */
	u32 ctbau;
	u32 rsvd[4];
};

struct ahci_prd {
	u32 dba;  /* data base address, bit 0 must be 0 */
	u32 dbau;
	u32 rsvd;
	u32 dbc;  /* bit 31 I (interrupt), 21:0 byte count - 1 (odd: even byte counts) */
};

#define AHCI_CMDHDR_W BIT(6)
#define AHCI_CMDHDR_C BIT(10)
#define AHCI_PRD_MAX_BYTES (4u << 20) /* 22-bit DBC */
#define AHCI_CMD_TABLE_PRDT_OFF 0x80  /* CFIS 64 + ACMD 16 + reserved 48 */

void ahci_cmd_hdr_fill(struct ahci_cmd_hdr *h, u32 fis_len, bool write, u16 prdtl, u64 ctba);

/*
 * Describe [buf, buf + bytes) in at most max PRDT entries of at most 4 MiB
 * each.  Returns the number of entries, or -1 if bytes is 0 or odd, buf is
 * odd, or max entries are not enough.
 */
int ahci_build_prdt(struct ahci_prd *prdt, u32 max, u64 buf, u32 bytes);

/* ---- bus-master IDE PRD table (SFF-8038i, PIIX/ICH "Bus Master IDE") ---- */

struct bmdma_prd {
	u32 addr;  /* physical, even */
	u16 count; /* bytes, 0 means 64 KiB */
	u16 flags; /* bit 15: EOT, last entry */
};

#define BMDMA_PRD_EOT 0x8000

/*
 * Describe [buf, buf + bytes) for a bus-master IDE engine: each region is
 * at most 64 KiB and does not cross a 64 KiB boundary, addresses are 32
 * bits.  Returns the number of entries, or -1 if bytes is 0 or odd, buf is
 * odd, the buffer ends above 4 GiB, or max entries are not enough.
 */
int bmdma_build_prdt(struct bmdma_prd *prdt, u32 max, u64 buf, u32 bytes);

/* ---- IDENTIFY DEVICE (ATA8-ACS 7.16.7) ---- */

struct ata_identify {
	char model[41];
	char serial[21];
	char firmware[9];
	bool lba;         /* word 49 bit 9 */
	bool dma;         /* word 49 bit 8 */
	bool lba48;       /* word 83 bit 10 and word 86 bit 10 */
	bool ncq;         /* word 76 bit 8 */
	u32 queue_depth;  /* word 75 bits 4:0, plus one */
	u64 sectors;      /* user-addressable logical sectors */
	u32 sector_size;  /* logical sector size in bytes */
	u8 udma_modes;    /* word 88 bits 7:0, supported Ultra DMA modes */
	int checksum;     /* 1 valid, 0 absent (word 255 signature not 0xA5), -1 bad */
};

enum ata_identify_err {
	ATA_ID_OK = 0,
	ATA_ID_NOT_ATA = -1,   /* word 0 bit 15: a packet (ATAPI) device */
	ATA_ID_BAD_SUM = -2,   /* integrity word present and wrong */
	ATA_ID_NO_LBA = -3,    /* CHS-only device */
	ATA_ID_EMPTY = -4,     /* all zeros or all ones: nothing answered */
};

/* Parse the 512 bytes IDENTIFY DEVICE returned.  Fills *id even on error
 * where it can, so the caller can log the model. */
int ata_parse_identify(const u8 data[512], struct ata_identify *id);

/* Copy an ATA string (two characters per word, first in the high byte),
 * trimming trailing spaces; out gets nwords * 2 + 1 bytes. */
void ata_string(const u8 *words, u32 nwords, char *out);

#endif
