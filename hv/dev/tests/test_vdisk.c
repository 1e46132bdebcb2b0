/*
 * test_vdisk.c - a guest request cut into block-layer pieces: at extent
 * boundaries, at buffer boundaries, at the driver's max_sectors, and a
 * randomised check that the pieces cover the request exactly, in order,
 * each inside one extent and one buffer.
 */
#include <stdlib.h>

#include "dev/tests/devtest.h"
#include "dev/vdisk.h"

static struct blk_dev disk = { .sectors = 1 << 20, .max_sectors = 256 };
static struct blk_dev small = { .sectors = 1 << 20, .max_sectors = 8 };

static struct vblk_req make_req(u64 sector, unsigned nseg, const u32 *len)
{
	struct vblk_req r = { .type = VIRTIO_BLK_T_IN, .sector = sector };
	u64 bytes = 0;
	for (unsigned i = 0; i < nseg; i++) {
		r.seg[i] = (struct vq_buf){ .gpa = 0x100000 * (i + 1), .len = len[i], .write = true };
		bytes += len[i];
	}
	r.nseg = (u16)nseg;
	r.nsect = (u32)(bytes / 512);
	return r;
}

static void expect_piece(const struct vdisk *v, const struct vblk_req *r, struct vdisk_cursor *c,
			 u32 ext, u64 lba, u32 count, u64 gpa)
{
	struct vdisk_piece p;
	assert_int_equal(vdisk_next(v, r, c, &p), 1);
	assert_int_equal(p.extent, ext);
	assert_int_equal(p.lba, lba);
	assert_int_equal(p.count, count);
	assert_int_equal(p.gpa, gpa);
}

static void test_init(void **state)
{
	struct vdisk v;
	struct blk_extent e[VDISK_MAX_EXTENTS + 1] = {
		{ &disk, 1000, 100 }, { &disk, 5000, 50 },
	};
	assert_int_equal(vdisk_init(&v, e, 2), 0);
	assert_int_equal(v.sectors, 150);
	assert_int_equal(vdisk_init(&v, e, 0), VDISK_EINVAL);
	assert_int_equal(vdisk_init(&v, e, 3), VDISK_EINVAL); /* e[2] has no disk */
	e[1].sectors = 0;
	assert_int_equal(vdisk_init(&v, e, 2), VDISK_EINVAL);
	e[1].sectors = ~0ull - 100; /* total 2^64 - 1 */
	assert_int_equal(vdisk_init(&v, e, 2), 0);
	e[1].sectors = ~0ull - 99; /* total 2^64 */
	assert_int_equal(vdisk_init(&v, e, 2), VDISK_EINVAL);
	for (unsigned i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct blk_extent){ &disk, i * 10, 10 };
	assert_int_equal(vdisk_init(&v, e, VDISK_MAX_EXTENTS + 1), VDISK_EINVAL);
}

static void test_one_piece_and_flush(void **state)
{
	struct vdisk v;
	struct blk_extent e[] = { { &disk, 1000, 100 } };
	assert_int_equal(vdisk_init(&v, e, 1), 0);
	u32 len[] = { 4096 };
	struct vblk_req r = make_req(10, 1, len);
	struct vdisk_cursor c = { 0 };
	struct vdisk_piece p;
	expect_piece(&v, &r, &c, 0, 10, 8, 0x100000);
	assert_int_equal(vdisk_next(&v, &r, &c, &p), 0);

	struct vblk_req f = { .type = VIRTIO_BLK_T_FLUSH };
	c = (struct vdisk_cursor){ 0 };
	assert_int_equal(vdisk_next(&v, &f, &c, &p), 0);
}

static void test_max_sectors(void **state)
{
	struct vdisk v;
	struct blk_extent e[] = { { &small, 0, 100 } };
	assert_int_equal(vdisk_init(&v, e, 1), 0);
	u32 len[] = { 20 * 512 };
	struct vblk_req r = make_req(0, 1, len);
	struct vdisk_cursor c = { 0 };
	expect_piece(&v, &r, &c, 0, 0, 8, 0x100000);
	expect_piece(&v, &r, &c, 0, 8, 8, 0x100000 + 8 * 512);
	expect_piece(&v, &r, &c, 0, 16, 4, 0x100000 + 16 * 512);
	struct vdisk_piece p;
	assert_int_equal(vdisk_next(&v, &r, &c, &p), 0);
}

static void test_across_extents_and_segments(void **state)
{
	struct vdisk v;
	struct blk_extent e[] = { { &disk, 1000, 100 }, { &disk, 5000, 50 } };
	assert_int_equal(vdisk_init(&v, e, 2), 0);
	u32 len[] = { 4096, 4096, 4096 };
	struct vblk_req r = make_req(96, 3, len);
	struct vdisk_cursor c = { 0 };
	expect_piece(&v, &r, &c, 0, 96, 4, 0x100000);
	expect_piece(&v, &r, &c, 1, 0, 4, 0x100000 + 2048);
	expect_piece(&v, &r, &c, 1, 4, 8, 0x200000);
	expect_piece(&v, &r, &c, 1, 12, 8, 0x300000);
	struct vdisk_piece p;
	assert_int_equal(vdisk_next(&v, &r, &c, &p), 0);
}

static void test_past_the_end(void **state)
{
	struct vdisk v;
	struct blk_extent e[] = { { &disk, 1000, 100 }, { &disk, 5000, 50 } };
	assert_int_equal(vdisk_init(&v, e, 2), 0);
	u32 len[] = { 4096 };
	struct vblk_req r = make_req(143, 1, len); /* 143 + 8 > 150 */
	struct vdisk_cursor c = { 0 };
	struct vdisk_piece p;
	assert_int_equal(vdisk_next(&v, &r, &c, &p), VDISK_ERANGE);
	r = make_req(142, 1, len); /* the last 8 sectors: fine */
	expect_piece(&v, &r, &c, 1, 42, 8, 0x100000);
	r.sector = ~0ull;
	c = (struct vdisk_cursor){ 0 };
	assert_int_equal(vdisk_next(&v, &r, &c, &p), VDISK_ERANGE);
}

/* Random extents, limits and requests: the pieces tile the request. */
static void test_random_tiling(void **state)
{
	srand(7);
	for (int round = 0; round < 2000; round++) {
		struct blk_dev d = { .sectors = 1ull << 40, .max_sectors = 1 + rand() % 64 };
		struct blk_extent e[VDISK_MAX_EXTENTS];
		u32 n = 1 + rand() % VDISK_MAX_EXTENTS;
		for (u32 i = 0; i < n; i++)
			e[i] = (struct blk_extent){ &d, 1000000ull * i, 1 + rand() % 40 };
		struct vdisk v;
		assert_int_equal(vdisk_init(&v, e, n), 0);
		u32 len[VBLK_SEG_MAX];
		unsigned nseg = 1 + rand() % 6;
		u64 total = 0;
		for (unsigned i = 0; i < nseg; i++) {
			len[i] = 512u * (1 + rand() % 16);
			total += len[i] / 512;
		}
		if (total > v.sectors)
			continue;
		struct vblk_req r = make_req(rand() % (v.sectors - total + 1), nseg, len);

		struct vdisk_cursor c = { 0 };
		struct vdisk_piece p;
		u64 vsect = r.sector, seen = 0;
		unsigned seg = 0;
		u64 seg_used = 0;
		int rc;
		while ((rc = vdisk_next(&v, &r, &c, &p)) == 1) {
			/* In one extent, at the virtual sector we expect. */
			assert_true(p.extent < n);
			u64 base = 0;
			for (u32 i = 0; i < p.extent; i++)
				base += e[i].sectors;
			assert_int_equal(base + p.lba, vsect);
			assert_true(p.count >= 1 && p.count <= d.max_sectors);
			assert_true(p.lba + p.count <= e[p.extent].sectors);
			/* In one buffer, where the last piece stopped. */
			if (seg_used == len[seg]) {
				seg++;
				seg_used = 0;
			}
			assert_int_equal(p.gpa, r.seg[seg].gpa + seg_used);
			assert_true(seg_used + 512ull * p.count <= len[seg]);
			seg_used += 512ull * p.count;
			vsect += p.count;
			seen += p.count;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(seen, r.nsect);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_one_piece_and_flush),
		cmocka_unit_test(test_max_sectors),
		cmocka_unit_test(test_across_extents_and_segments),
		cmocka_unit_test(test_past_the_end),
		cmocka_unit_test(test_random_tiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
