/*
 * test_extents.c - partition-table scanning (the ESP rule), the choice of
 * the guest disk and extent validation with bad configs
 * (hv/storage/extents.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>

#include "types.h"
#include "string.h"
#include "storage/extents.h"

/* ---- an in-memory disk ---- */

struct mdisk {
	u8 *d;
	u64 sectors;
	u32 reads;
	bool broken; /* every read fails */
};

static int mread(void *ctx, u64 lba, u8 buf[512])
{
	struct mdisk *m = ctx;
	m->reads++;
	if (m->broken || lba >= m->sectors)
		return -1;
	memcpy(buf, m->d + lba * 512, 512);
	return 0;
}

static struct mdisk *mdisk_new(u64 sectors)
{
	struct mdisk *m = calloc(1, sizeof(*m));
	m->sectors = sectors;
	m->d = calloc(sectors, 512);
	return m;
}

static void mdisk_free(struct mdisk *m)
{
	free(m->d);
	free(m);
}

static void put16(u8 *p, u16 v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) p[i] = (u8)(v >> (8 * i)); }
static void put64(u8 *p, u64 v) { for (int i = 0; i < 8; i++) p[i] = (u8)(v >> (8 * i)); }

/* A FAT boot sector as mkfs.fat/mformat writes one. */
static void fat_bpb(u8 *s)
{
	memset(s, 0, 512);
	s[0] = 0xeb; s[1] = 0x3c; s[2] = 0x90;
	memcpy(s + 3, "MSWIN4.1", 8);
	put16(s + 11, 512);
	s[13] = 4;
	put16(s + 14, 1);
	s[16] = 2;
	put16(s + 17, 512);
	s[21] = 0xf8;
	memcpy(s + 54, "FAT16   ", 8);
	s[510] = 0x55; s[511] = 0xaa;
}

static void mbr_entry(u8 *s, int i, u8 type, u32 first, u32 n)
{
	u8 *e = s + 446 + 16 * i;
	e[0] = 0;
	e[4] = type;
	put32(e + 8, first);
	put32(e + 12, n);
	s[510] = 0x55; s[511] = 0xaa;
}

static const u8 esp_guid[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
static const u8 linux_guid[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
				   0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };

/* GPT header at lba with entries at elba (128 x 128 bytes). */
static void gpt_header(struct mdisk *m, u64 lba, u64 alt, u64 elba)
{
	u8 *h = m->d + lba * 512;
	memset(h, 0, 512);
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x00010000);
	put32(h + 12, 92);
	put64(h + 24, lba);
	put64(h + 32, alt);
	put64(h + 40, 34);
	put64(h + 48, m->sectors - 34);
	put64(h + 72, elba);
	put32(h + 80, 128);
	put32(h + 84, 128);
	put32(h + 88, crc32_ieee(0, m->d + elba * 512, 128 * 128));
	put32(h + 16, crc32_ieee(0, h, 92));
}

static void gpt_part(struct mdisk *m, u64 elba, int i, const u8 *type, u64 first, u64 last)
{
	u8 *e = m->d + elba * 512 + i * 128;
	memcpy(e, type, 16);
	e[16] = (u8)(i + 1);
	put64(e + 32, first);
	put64(e + 40, last);
}

/* GPT disk: ESP at 2048..206847 (100 MiB), Linux data 206848..end-34. */
static struct mdisk *gpt_disk(u64 sectors)
{
	struct mdisk *m = mdisk_new(sectors);
	mbr_entry(m->d, 0, 0xee, 1, (u32)(sectors - 1));
	for (int copy = 0; copy < 2; copy++) {
		u64 elba = copy == 0 ? 2 : sectors - 33;
		gpt_part(m, elba, 0, esp_guid, 2048, 206847);
		gpt_part(m, elba, 1, linux_guid, 206848, sectors - 35);
	}
	gpt_header(m, 1, sectors - 1, 2);
	gpt_header(m, sectors - 1, 1, sectors - 33);
	return m;
}

static void test_crc32(void **state)
{
	assert_int_equal(crc32_ieee(0, "123456789", 9), 0xcbf43926u);
	/* chained */
	assert_int_equal(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

static void test_scan_raw(void **state)
{
	struct mdisk *m = mdisk_new(1000);
	struct disk_layout l;
	memset(m->d, 0xc3, 512); /* a data disk full of pattern: no 0x55aa */
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_RAW);
	assert_int_equal(l.nregions, 0);
	assert_int_equal(l.nesp, 0);
	/* 0x55aa but garbage entries (status not 0/0x80): still raw */
	m->d[510] = 0x55; m->d[511] = 0xaa;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_RAW);
	mdisk_free(m);
}

static void test_scan_fat_superfloppy(void **state)
{
	struct mdisk *m = mdisk_new(131072);
	struct disk_layout l;
	fat_bpb(m->d);
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_FAT);
	assert_int_equal(l.nesp, 1);
	assert_int_equal(l.nregions, 1);
	assert_int_equal(l.region[0].lba, 0);
	assert_int_equal(l.region[0].sectors, 131072);
	assert_int_equal(l.region[0].kind, REGION_FAT);
	/* a FAT-looking sector with a silly BPB is not FAT */
	m->d[13] = 3; /* sectors per cluster not a power of two */
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_not_equal(l.scheme, DISK_FAT);
	mdisk_free(m);
}

static void test_scan_mbr(void **state)
{
	struct mdisk *m = mdisk_new(100000);
	struct disk_layout l;
	mbr_entry(m->d, 0, 0xef, 63, 2000);
	mbr_entry(m->d, 1, 0x83, 2063, 50000);
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_MBR);
	assert_int_equal(l.nesp, 1);
	assert_int_equal(l.nregions, 2);
	assert_int_equal(l.region[0].kind, REGION_PARTTABLE);
	assert_int_equal(l.region[0].lba, 0);
	assert_int_equal(l.region[0].sectors, 1);
	assert_int_equal(l.region[1].kind, REGION_ESP);
	assert_int_equal(l.region[1].lba, 63);
	assert_int_equal(l.region[1].sectors, 2000);
	/* an ESP entry past the end of the disk: protect everything */
	mbr_entry(m->d, 0, 0xef, 99999, 2000);
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_UNKNOWN);
	assert_int_equal(l.region[0].sectors, 100000);
	mdisk_free(m);
}

static void test_scan_gpt(void **state)
{
	struct mdisk *m = gpt_disk(409600);
	struct disk_layout l;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_GPT);
	assert_int_equal(l.nesp, 1);
	assert_int_equal(l.nregions, 3);
	assert_int_equal(l.region[0].kind, REGION_PARTTABLE);
	assert_int_equal(l.region[0].lba, 0);
	assert_int_equal(l.region[0].sectors, 34);
	assert_int_equal(l.region[1].kind, REGION_PARTTABLE);
	assert_int_equal(l.region[1].lba, 409600 - 33);
	assert_int_equal(l.region[1].sectors, 33);
	assert_int_equal(l.region[2].kind, REGION_ESP);
	assert_int_equal(l.region[2].lba, 2048);
	assert_int_equal(l.region[2].sectors, 204800);
	mdisk_free(m);
}

static void test_scan_gpt_backup(void **state)
{
	/* Primary header corrupt: the backup at the last LBA is used. */
	struct mdisk *m = gpt_disk(409600);
	struct disk_layout l;
	m->d[512 + 40] ^= 0xff;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_GPT);
	assert_int_equal(l.nesp, 1);
	/* Primary entry array corrupt (CRC mismatch): backup too. */
	mdisk_free(m);
	m = gpt_disk(409600);
	m->d[2 * 512 + 40] ^= 0xff;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_GPT);
	assert_int_equal(l.region[2].lba, 2048); /* from the intact backup array */
	/* Both bad: the whole disk is protected. */
	m->d[(409600 - 1) * 512 + 40] ^= 0xff;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), 0);
	assert_int_equal(l.scheme, DISK_UNKNOWN);
	assert_int_equal(l.nregions, 1);
	assert_int_equal(l.region[0].kind, REGION_UNKNOWN);
	assert_int_equal(l.region[0].sectors, 409600);
	mdisk_free(m);
}

static void test_scan_unreadable(void **state)
{
	struct mdisk *m = mdisk_new(100);
	struct disk_layout l;
	m->broken = true;
	assert_int_equal(disk_scan_layout(&l, m->sectors, mread, m), -1);
	assert_int_equal(l.scheme, DISK_UNKNOWN);
	assert_int_equal(l.region[0].sectors, 100);
	mdisk_free(m);
}

static void test_pick_disk(void **state)
{
	struct disk_layout l[3];
	bool ok[3] = { true, true, true };
	memset(l, 0, sizeof(l));
	/* FAT ESP disk first, raw data disk second: the data disk */
	l[0].scheme = DISK_FAT; l[0].nesp = 1;
	l[1].scheme = DISK_RAW;
	assert_int_equal(storage_pick_disk(l, ok, 2), 1);
	/* only the FAT disk: none */
	assert_int_equal(storage_pick_disk(l, ok, 1), -1);
	/* GPT with ESP and a raw disk: the raw one */
	l[0].scheme = DISK_GPT;
	assert_int_equal(storage_pick_disk(l, ok, 2), 1);
	/* the raw disk failed: fall back to the GPT disk (ESP protected) */
	ok[1] = false;
	assert_int_equal(storage_pick_disk(l, ok, 2), 0);
	/* unknown layout is never picked */
	l[0].scheme = DISK_UNKNOWN;
	assert_int_equal(storage_pick_disk(l, ok, 2), -1);
	/* MBR disk without ESP is a fine guest disk */
	l[2].scheme = DISK_MBR; l[2].nesp = 0;
	assert_int_equal(storage_pick_disk(l, ok, 3), 2);
}

/* ---- extent validation ---- */

static struct formica_config *cfg_new(void)
{
	struct formica_config *c = calloc(1, sizeof(*c));
	return c;
}

static void guest(struct formica_config *c, const char *name)
{
	struct cfg_guest *g = &c->guest[c->nguests++];
	strncpy(g->name, name, CFG_NAME_LEN - 1);
}

static void ext(struct formica_config *c, u64 lba, u64 n)
{
	struct cfg_guest *g = &c->guest[c->nguests - 1];
	g->extent[g->nextents].lba = lba;
	g->extent[g->nextents].sectors = n;
	g->nextents++;
}

static struct disk_layout raw_disk(u64 sectors)
{
	struct disk_layout l;
	memset(&l, 0, sizeof(l));
	l.sectors = sectors;
	l.scheme = DISK_RAW;
	return l;
}

static void test_extents_good(void **state)
{
	struct formica_config *c = cfg_new();
	struct extent_check chk;
	struct disk_layout d = raw_disk(131072);
	guest(c, "a");
	ext(c, 2048, 16384);
	ext(c, 20000, 1000);
	guest(c, "b");
	ext(c, 18432, 1568); /* touches a's first extent end and a's second start exactly */
	guest(c, "nodisk");
	ext(c, 131071, 1);   /* the very last sector */
	assert_int_equal(extents_validate(c, &d, &chk), 0);
	for (int i = 0; i < 3; i++)
		assert_true(chk.guest_ok[i]);
	free(c);
}

static void test_extents_overlap(void **state)
{
	struct formica_config *c = cfg_new();
	struct extent_check chk;
	struct disk_layout d = raw_disk(131072);
	char line[256];
	guest(c, "a");
	ext(c, 1000, 100);
	guest(c, "b");
	ext(c, 5000, 10);
	ext(c, 1099, 10); /* overlaps a's last sector */
	guest(c, "c");
	ext(c, 7000, 10);
	assert_int_equal(extents_validate(c, &d, &chk), 1);
	assert_int_equal(chk.err[0].code, EXT_OVERLAP);
	assert_int_equal(chk.err[0].guest, 1);
	assert_int_equal(chk.err[0].idx, 1);
	assert_int_equal(chk.err[0].other_guest, 0);
	assert_int_equal(chk.err[0].other_idx, 0);
	assert_false(chk.guest_ok[0]); /* both sides lose their disk */
	assert_false(chk.guest_ok[1]);
	assert_true(chk.guest_ok[2]);
	extent_error_str(line, sizeof(line), c, &chk.err[0]);
	assert_string_equal(line, "storage: guest \"b\" extent 1 (LBA 1099+10): refused: overlaps "
				  "guest \"a\" extent 0 (LBA 1000+100)");
	free(c);

	/* within one guest */
	c = cfg_new();
	guest(c, "self");
	ext(c, 100, 50);
	ext(c, 120, 50);
	assert_int_equal(extents_validate(c, &d, &chk), 1);
	assert_int_equal(chk.err[0].code, EXT_OVERLAP);
	assert_int_equal(chk.err[0].other_guest, 0);
	assert_false(chk.guest_ok[0]);
	/* one extent inside another */
	c->guest[0].extent[1].lba = 110;
	c->guest[0].extent[1].sectors = 5;
	assert_int_equal(extents_validate(c, &d, &chk), 1);
	free(c);
}

static void test_extents_past_end(void **state)
{
	struct formica_config *c = cfg_new();
	struct extent_check chk;
	struct disk_layout d = raw_disk(131072);
	char line[256];
	guest(c, "a");
	ext(c, 131000, 73);             /* one sector too many */
	guest(c, "b");
	ext(c, 0xffffffffffffff00ull, 0x200); /* wraps around */
	guest(c, "c");
	ext(c, 131072, 1);               /* starts at the end */
	guest(c, "d");
	ext(c, 10, 0);                   /* empty */
	assert_int_equal(extents_validate(c, &d, &chk), 4);
	assert_int_equal(chk.err[0].code, EXT_PAST_END);
	assert_int_equal(chk.err[1].code, EXT_PAST_END);
	assert_int_equal(chk.err[2].code, EXT_PAST_END);
	assert_int_equal(chk.err[3].code, EXT_EMPTY);
	for (int i = 0; i < 4; i++)
		assert_false(chk.guest_ok[i]);
	extent_error_str(line, sizeof(line), c, &chk.err[0]);
	assert_string_equal(line, "storage: guest \"a\" extent 0 (LBA 131000+73): refused: past the "
				  "end of the disk (131072 sectors)");
	extent_error_str(line, sizeof(line), c, &chk.err[3]);
	assert_string_equal(line, "storage: guest \"d\" extent 0 (LBA 10+0): refused: zero sectors");
	free(c);
}

static void test_extents_on_esp(void **state)
{
	struct mdisk *m = gpt_disk(409600);
	struct disk_layout d;
	struct extent_check chk;
	char line[256];
	assert_int_equal(disk_scan_layout(&d, m->sectors, mread, m), 0);
	struct formica_config *c = cfg_new();
	guest(c, "esp");
	ext(c, 206847, 10);     /* last sector of the ESP */
	guest(c, "table");
	ext(c, 0, 100);         /* over the protective MBR and the GPT */
	guest(c, "backup");
	ext(c, 409600 - 40, 10); /* into the backup entry array */
	guest(c, "fine");
	ext(c, 206900, 100000); /* inside the data partition */
	assert_int_equal(extents_validate(c, &d, &chk), 3);
	assert_int_equal(chk.err[0].code, EXT_PROTECTED);
	assert_int_equal(chk.err[0].region.kind, REGION_ESP);
	assert_int_equal(chk.err[1].code, EXT_PROTECTED);
	assert_int_equal(chk.err[1].region.kind, REGION_PARTTABLE);
	assert_int_equal(chk.err[2].code, EXT_PROTECTED);
	assert_false(chk.guest_ok[0]);
	assert_false(chk.guest_ok[1]);
	assert_false(chk.guest_ok[2]);
	assert_true(chk.guest_ok[3]);
	extent_error_str(line, sizeof(line), c, &chk.err[0]);
	assert_string_equal(line, "storage: guest \"esp\" extent 0 (LBA 206847+10): refused: overlaps "
				  "the EFI System Partition (LBA 2048+204800)");
	free(c);
	mdisk_free(m);
}

static void test_extents_fat_and_no_disk(void **state)
{
	struct mdisk *m = mdisk_new(131072);
	struct disk_layout d;
	struct extent_check chk;
	char line[256];
	fat_bpb(m->d);
	disk_scan_layout(&d, m->sectors, mread, m);
	struct formica_config *c = cfg_new();
	guest(c, "a");
	ext(c, 100000, 10);
	assert_int_equal(extents_validate(c, &d, &chk), 1);
	assert_int_equal(chk.err[0].code, EXT_PROTECTED);
	assert_int_equal(chk.err[0].region.kind, REGION_FAT);
	extent_error_str(line, sizeof(line), c, &chk.err[0]);
	assert_string_equal(line, "storage: guest \"a\" extent 0 (LBA 100000+10): refused: overlaps "
				  "a whole-disk FAT volume (ESP) (LBA 0+131072)");
	assert_int_equal(extents_validate(c, NULL, &chk), 1);
	assert_int_equal(chk.err[0].code, EXT_NO_DISK);
	/* guests without extents are never refused */
	guest(c, "diskless");
	assert_int_equal(extents_validate(c, NULL, &chk), 1);
	assert_true(chk.guest_ok[1]);
	free(c);
	mdisk_free(m);
}

static void test_extents_many_errors(void **state)
{
	/* Every extent the same: errors are counted past what is stored. */
	struct formica_config *c = cfg_new();
	struct disk_layout d = raw_disk(1000);
	struct extent_check chk;
	for (int g = 0; g < CFG_MAX_GUESTS; g++) {
		char n[16];
		snprintf(n, sizeof(n), "g%d", g);
		guest(c, n);
		for (int i = 0; i < CFG_MAX_EXTENTS; i++)
			ext(c, 10, 10);
	}
	u32 pairs = (CFG_MAX_GUESTS * CFG_MAX_EXTENTS) * (CFG_MAX_GUESTS * CFG_MAX_EXTENTS - 1) / 2;
	assert_int_equal(extents_validate(c, &d, &chk), pairs);
	assert_true(chk.nerr > EXT_MAX_ERRORS);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_scan_raw),
		cmocka_unit_test(test_scan_fat_superfloppy),
		cmocka_unit_test(test_scan_mbr),
		cmocka_unit_test(test_scan_gpt),
		cmocka_unit_test(test_scan_gpt_backup),
		cmocka_unit_test(test_scan_unreadable),
		cmocka_unit_test(test_pick_disk),
		cmocka_unit_test(test_extents_good),
		cmocka_unit_test(test_extents_overlap),
		cmocka_unit_test(test_extents_past_end),
		cmocka_unit_test(test_extents_on_esp),
		cmocka_unit_test(test_extents_fat_and_no_disk),
		cmocka_unit_test(test_extents_many_errors),
	};
	return cmocka_run_group_tests_name("extents", tests, NULL, NULL);
}
