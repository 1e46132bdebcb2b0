/*
 * test_ata.c - task files, FISes, command headers, PRD tables and IDENTIFY
 * parsing (hv/storage/ata.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "types.h"
#include "string.h"
#include "storage/ata.h"

static void test_taskfile_lba48_dma(void **state)
{
	struct ata_taskfile tf;
	assert_int_equal(ata_rw_taskfile(&tf, false, true, ATA_DMA, 0x123456789abcull, 512, false, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_READ_DMA_EXT);
	assert_int_equal(tf.count, 512);
	assert_int_equal(tf.lba, 0x123456789abcull);
	assert_int_equal(tf.device, 0x40);
	assert_true(tf.lba48);
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_DMA, 0, 65536, true, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_WRITE_DMA_EXT);
	assert_int_equal(tf.count, 0); /* 0 means 65536 */
	assert_int_equal(tf.device, 0x50);
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_DMA, 0, 65537, false, 0), -1);
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_DMA, 0, 0, false, 0), -1);
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_DMA, (1ull << 48) - 1, 2, false, 0), -1);
}

static void test_taskfile_pio_and_lba28(void **state)
{
	struct ata_taskfile tf;
	assert_int_equal(ata_rw_taskfile(&tf, false, true, ATA_PIO, 10, 1, false, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_READ_SECTORS_EXT);
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_PIO, 10, 1, false, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_WRITE_SECTORS_EXT);

	assert_int_equal(ata_rw_taskfile(&tf, false, false, ATA_DMA, 0x0abcdef1, 256, true, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_READ_DMA);
	assert_int_equal(tf.count, 0); /* 256 */
	assert_false(tf.lba48);
	assert_int_equal(tf.device, 0xa0 | 0x40 | 0x10 | 0x0a); /* LBA 27:24 in the low nibble */
	assert_int_equal(ata_rw_taskfile(&tf, true, false, ATA_PIO, 5, 3, false, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_WRITE_SECTORS);
	assert_int_equal(ata_rw_taskfile(&tf, true, false, ATA_DMA, 0, 257, false, 0), -1);
	assert_int_equal(ata_rw_taskfile(&tf, true, false, ATA_DMA, (1u << 28) - 1, 2, false, 0), -1);
	assert_int_equal(ata_rw_taskfile(&tf, true, false, ATA_DMA, (1u << 28) - 1, 1, false, 0), 0);
}

static void test_taskfile_ncq(void **state)
{
	struct ata_taskfile tf;
	assert_int_equal(ata_rw_taskfile(&tf, true, true, ATA_NCQ, 0x1000, 300, false, 17), 0);
	assert_int_equal(tf.command, ATA_CMD_WRITE_FPDMA_QUEUED);
	assert_int_equal(tf.features, 300);  /* sector count in FEATURES */
	assert_int_equal(tf.count, 17 << 3); /* tag in COUNT 7:3 */
	assert_int_equal(tf.device, 0x40);
	assert_int_equal(ata_rw_taskfile(&tf, false, true, ATA_NCQ, 0, 1, false, 0), 0);
	assert_int_equal(tf.command, ATA_CMD_READ_FPDMA_QUEUED);
	assert_int_equal(ata_rw_taskfile(&tf, false, false, ATA_NCQ, 0, 1, false, 0), -1);
	assert_int_equal(ata_rw_taskfile(&tf, false, true, ATA_NCQ, 0, 1, false, 32), -1);
}

static void test_fis_h2d(void **state)
{
	struct ata_taskfile tf;
	u8 fis[FIS_H2D_LEN];
	ata_rw_taskfile(&tf, false, true, ATA_DMA, 0x0000a1b2c3d4e5f6ull & ((1ull << 48) - 1), 0x1234,
			false, 0);
	memset(fis, 0xee, sizeof(fis));
	ata_fis_h2d(&tf, fis);
	const u8 want[FIS_H2D_LEN] = { 0x27, 0x80, 0x25, 0x00, 0xf6, 0xe5, 0xd4, 0x40, 0xc3, 0xb2,
				       0xa1, 0x00, 0x34, 0x12, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(fis, want, FIS_H2D_LEN);

	/* 28-bit: the high bytes stay zero, LBA 27:24 rides in DEVICE */
	ata_rw_taskfile(&tf, true, false, ATA_DMA, 0x0badcafe & 0x0fffffff, 8, false, 0);
	ata_fis_h2d(&tf, fis);
	assert_int_equal(fis[2], ATA_CMD_WRITE_DMA);
	assert_int_equal(fis[4], 0xfe);
	assert_int_equal(fis[5], 0xca);
	assert_int_equal(fis[6], 0xad);
	assert_int_equal(fis[7], 0xeb);
	assert_int_equal(fis[8], 0);
	assert_int_equal(fis[12], 8);
	assert_int_equal(fis[13], 0);

	/* IDENTIFY: a bare command */
	struct ata_taskfile id = { .command = ATA_CMD_IDENTIFY };
	ata_fis_h2d(&id, fis);
	assert_int_equal(fis[0], FIS_TYPE_REG_H2D);
	assert_int_equal(fis[1], 0x80);
	assert_int_equal(fis[2], 0xec);
	for (int i = 3; i < FIS_H2D_LEN; i++)
		assert_int_equal(fis[i], 0);

	/* NCQ: count in FEATURES 7:0 / 15:8, tag in COUNT */
	ata_rw_taskfile(&tf, false, true, ATA_NCQ, 7, 0x0203, false, 5);
	ata_fis_h2d(&tf, fis);
	assert_int_equal(fis[2], 0x60);
	assert_int_equal(fis[3], 0x03);
	assert_int_equal(fis[11], 0x02);
	assert_int_equal(fis[12], 5 << 3);
}

/* FLUSH CACHE [EXT]: the command, the device select, and nothing else -
 * as a FIS, and with an AHCI command header without PRDs or W. */
static void test_flush(void **state)
{
	struct ata_taskfile tf;
	u8 fis[FIS_H2D_LEN];
	memset(&tf, 0xee, sizeof(tf));
	ata_flush_taskfile(&tf, true, false);
	assert_int_equal(tf.command, 0xea);
	assert_int_equal(tf.device, 0x40);
	assert_int_equal(tf.features | tf.count, 0);
	assert_int_equal(tf.lba, 0);
	ata_flush_taskfile(&tf, false, true);
	assert_int_equal(tf.command, 0xe7);
	assert_int_equal(tf.device, 0xa0 | 0x40 | 0x10);
	assert_int_equal(tf.lba, 0);

	ata_flush_taskfile(&tf, true, false);
	memset(fis, 0xee, sizeof(fis));
	ata_fis_h2d(&tf, fis);
	const u8 want[FIS_H2D_LEN] = { 0x27, 0x80, 0xea, 0, 0, 0, 0, 0x40 };
	assert_memory_equal(fis, want, FIS_H2D_LEN);

	struct ahci_cmd_hdr h;
	ahci_cmd_hdr_fill(&h, FIS_H2D_LEN, false, 0, 0x2000);
	assert_int_equal(h.dw0, 5); /* PRDTL 0, W 0, CFL 5 dwords */
}

static void test_cmd_header(void **state)
{
	struct ahci_cmd_hdr h;
	memset(&h, 0xff, sizeof(h));
	ahci_cmd_hdr_fill(&h, FIS_H2D_LEN, true, 3, 0x123456780ull);
	assert_int_equal(h.dw0, (3u << 16) | (1u << 6) | 5);
	assert_int_equal(h.prdbc, 0);
	assert_int_equal(h.ctba, 0x23456780);
	assert_int_equal(h.ctbau, 0x1);
	assert_int_equal(h.rsvd[0] | h.rsvd[1] | h.rsvd[2] | h.rsvd[3], 0);
	ahci_cmd_hdr_fill(&h, FIS_H2D_LEN, false, 1, 0x1000);
	assert_int_equal(h.dw0, (1u << 16) | 5);
	assert_int_equal(sizeof(struct ahci_cmd_hdr), 32);
	assert_int_equal(sizeof(struct ahci_prd), 16);
	assert_int_equal(sizeof(struct bmdma_prd), 8);
}

static void test_ahci_prdt(void **state)
{
	struct ahci_prd p[4];
	assert_int_equal(ahci_build_prdt(p, 4, 0x10000, 512), 1);
	assert_int_equal(p[0].dba, 0x10000);
	assert_int_equal(p[0].dbau, 0);
	assert_int_equal(p[0].dbc, 511);
	/* 10 MiB above 4 GiB: 4 + 4 + 2 MiB */
	assert_int_equal(ahci_build_prdt(p, 4, 0x100000000ull, 10u << 20), 3);
	assert_int_equal(p[0].dbau, 1);
	assert_int_equal(p[0].dbc, (4u << 20) - 1);
	assert_int_equal(p[1].dba, 4u << 20);
	assert_int_equal(p[2].dbc, (2u << 20) - 1);
	assert_int_equal(ahci_build_prdt(p, 2, 0, 10u << 20), -1); /* not enough entries */
	assert_int_equal(ahci_build_prdt(p, 4, 1, 512), -1);       /* odd address */
	assert_int_equal(ahci_build_prdt(p, 4, 0, 511), -1);       /* odd length */
	assert_int_equal(ahci_build_prdt(p, 4, 0, 0), -1);
}

static void test_bmdma_prdt(void **state)
{
	struct bmdma_prd p[8];
	/* 64 KiB aligned: one full region, count 0 means 64 KiB */
	assert_int_equal(bmdma_build_prdt(p, 8, 0x20000, 0x10000), 1);
	assert_int_equal(p[0].addr, 0x20000);
	assert_int_equal(p[0].count, 0);
	assert_int_equal(p[0].flags, BMDMA_PRD_EOT);
	/* 128 KiB starting 512 bytes before a boundary: split at each boundary */
	assert_int_equal(bmdma_build_prdt(p, 8, 0x2fe00, 0x20000), 3);
	assert_int_equal(p[0].addr, 0x2fe00);
	assert_int_equal(p[0].count, 0x200);
	assert_int_equal(p[0].flags, 0);
	assert_int_equal(p[1].addr, 0x30000);
	assert_int_equal(p[1].count, 0);
	assert_int_equal(p[1].flags, 0);
	assert_int_equal(p[2].addr, 0x40000);
	assert_int_equal(p[2].count, 0xfe00);
	assert_int_equal(p[2].flags, BMDMA_PRD_EOT);
	/* no region crosses a 64 KiB boundary */
	int n = bmdma_build_prdt(p, 8, 0x12345600, 300 * 512);
	assert_true(n > 0);
	u64 total = 0;
	for (int i = 0; i < n; i++) {
		u32 len = p[i].count ? p[i].count : 0x10000;
		assert_int_equal(p[i].addr >> 16, (p[i].addr + len - 1) >> 16);
		total += len;
	}
	assert_int_equal(total, 300 * 512);
	assert_int_equal(bmdma_build_prdt(p, 8, 0xffffff00, 0x200), -1); /* ends above 4 GiB */
	assert_int_equal(bmdma_build_prdt(p, 2, 0x2fe00, 0x20000), -1);
	assert_int_equal(bmdma_build_prdt(p, 8, 0x1001, 512), -1);
	assert_int_equal(bmdma_build_prdt(p, 8, 0x1000, 0), -1);
}

/* ---- IDENTIFY ---- */

static void setw(u8 *d, int i, u16 v)
{
	d[2 * i] = v & 0xff;
	d[2 * i + 1] = v >> 8;
}

static void sets(u8 *d, int w, int nwords, const char *s)
{
	char tmp[80];
	memset(tmp, ' ', sizeof(tmp));
	memcpy(tmp, s, strlen(s));
	for (int i = 0; i < nwords; i++)
		setw(d, w + i, (u16)((u8)tmp[2 * i] << 8 | (u8)tmp[2 * i + 1]));
}

static void seal(u8 *d)
{
	u8 s = 0;
	d[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		s += d[i];
	d[511] = (u8)(0 - s);
}

/* A SATA disk like QEMU's: 64 MiB, LBA48, NCQ depth 32. */
static void make_identify(u8 *d)
{
	memset(d, 0, 512);
	setw(d, 0, 0x0040);
	sets(d, 10, 10, "QM00005");
	sets(d, 23, 4, "2.5+");
	sets(d, 27, 20, "QEMU HARDDISK");
	setw(d, 49, BIT(9) | BIT(8));
	setw(d, 53, 0x0007);
	setw(d, 60, 0xffff);
	setw(d, 61, 0x0fff);
	setw(d, 75, 31);
	setw(d, 76, BIT(8) | BIT(2) | BIT(1));
	setw(d, 83, 0x4000 | BIT(10));
	setw(d, 86, BIT(10));
	setw(d, 88, 0x203f);
	setw(d, 100, 0x0000);
	setw(d, 101, 0x0002); /* 0x20000 sectors = 64 MiB */
	setw(d, 106, 0x4000);
	seal(d);
}

static void test_identify_sata(void **state)
{
	u8 d[512];
	struct ata_identify id;
	make_identify(d);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_OK);
	assert_string_equal(id.model, "QEMU HARDDISK");
	assert_string_equal(id.serial, "QM00005");
	assert_string_equal(id.firmware, "2.5+");
	assert_true(id.lba);
	assert_true(id.dma);
	assert_true(id.lba48);
	assert_true(id.ncq);
	assert_int_equal(id.queue_depth, 32);
	assert_int_equal(id.sectors, 0x20000);
	assert_int_equal(id.sector_size, 512);
	assert_int_equal(id.udma_modes, 0x3f);
	assert_int_equal(id.checksum, 1);
}

static void test_identify_lba28_pata(void **state)
{
	u8 d[512];
	struct ata_identify id;
	make_identify(d);
	setw(d, 76, 0);             /* parallel ATA: no SATA capabilities, no NCQ */
	setw(d, 83, 0x4000);        /* no 48-bit */
	setw(d, 86, 0);
	setw(d, 60, 0x1000);
	setw(d, 61, 0x0001);
	d[510] = d[511] = 0;        /* no integrity word */
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_OK);
	assert_false(id.lba48);
	assert_false(id.ncq);
	assert_int_equal(id.queue_depth, 1);
	assert_int_equal(id.sectors, 0x11000);
	assert_int_equal(id.checksum, 0);
	/* 48-bit supported but not enabled (word 86) is treated as 28-bit */
	make_identify(d);
	setw(d, 86, 0);
	seal(d);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_OK);
	assert_false(id.lba48);
	assert_int_equal(id.sectors, 0x0fffffff);
}

static void test_identify_errors(void **state)
{
	u8 d[512];
	struct ata_identify id;
	make_identify(d);
	d[100] ^= 1; /* corrupt, checksum now wrong */
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_BAD_SUM);
	assert_int_equal(id.checksum, -1);
	assert_string_equal(id.model, "QEMU HARDDISK"); /* still filled for the log */

	make_identify(d);
	setw(d, 0, 0x85c0); /* ATAPI */
	seal(d);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_NOT_ATA);

	make_identify(d);
	setw(d, 49, BIT(8)); /* CHS only */
	seal(d);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_NO_LBA);

	memset(d, 0, 512);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_EMPTY);
	memset(d, 0xff, 512);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_EMPTY);
}

static void test_identify_4k_sectors(void **state)
{
	u8 d[512];
	struct ata_identify id;
	make_identify(d);
	setw(d, 106, 0x4000 | BIT(12) | BIT(13) | 3);
	setw(d, 117, 2048); /* words: 4096-byte logical sectors */
	setw(d, 118, 0);
	seal(d);
	assert_int_equal(ata_parse_identify(d, &id), ATA_ID_OK);
	assert_int_equal(id.sector_size, 4096);
}

static void test_ata_string(void **state)
{
	u8 w[8];
	char out[9];
	sets(w, 0, 4, "AB CD");
	ata_string(w, 4, out);
	assert_string_equal(out, "AB CD");
	memset(w, 0, sizeof(w));
	ata_string(w, 4, out);
	assert_string_equal(out, "");
	sets(w, 0, 4, "ABCDEFGH");
	ata_string(w, 4, out);
	assert_string_equal(out, "ABCDEFGH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taskfile_lba48_dma),
		cmocka_unit_test(test_taskfile_pio_and_lba28),
		cmocka_unit_test(test_taskfile_ncq),
		cmocka_unit_test(test_fis_h2d),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_cmd_header),
		cmocka_unit_test(test_ahci_prdt),
		cmocka_unit_test(test_bmdma_prdt),
		cmocka_unit_test(test_identify_sata),
		cmocka_unit_test(test_identify_lba28_pata),
		cmocka_unit_test(test_identify_errors),
		cmocka_unit_test(test_identify_4k_sectors),
		cmocka_unit_test(test_ata_string),
	};
	return cmocka_run_group_tests_name("ata", tests, NULL, NULL);
}
