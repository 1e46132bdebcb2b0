/*
 * test_block.c - the block layer's request checks and extent translation
 * (hv/storage/block.c) against a fake driver, and the self-test pattern
 * (hv/storage/pattern.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "types.h"
#include "string.h"
#include "storage/block.h"
#include "storage/pattern.h"

/* A fake driver that records what reached it. */
static struct blk_req *last;
static int submits;

static int fake_submit(struct blk_dev *d, struct blk_req *r)
{
	int rc = blk_check_req(d, r, true);
	if (rc < 0)
		return rc;
	last = r;
	submits++;
	r->status = BLK_PENDING;
	return 0;
}

static int fake_poll(struct blk_dev *d) { return 0; }

static const struct blk_ops fake_ops = { .submit = fake_submit, .poll = fake_poll };

static struct blk_dev fake_dev(void)
{
	struct blk_dev d;
	memset(&d, 0, sizeof(d));
	d.ops = &fake_ops;
	d.sectors = 131072;
	d.max_sectors = 1024;
	return d;
}

static void test_check_req(void **state)
{
	struct blk_dev d = fake_dev();
	struct blk_req r = { .op = BLK_READ, .lba = 0, .count = 8, .buf = 0x100000 };
	assert_int_equal(blk_check_req(&d, &r, true), BLK_OK);
	r.count = 0;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.count = 1025;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.count = 8;
	r.lba = 131072 - 8;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_OK);
	r.lba = 131072 - 7;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.lba = 0;
	r.buf = 0x100001;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.buf = 0xfffff000; /* 4 KiB fit below 4 GiB */
	assert_int_equal(blk_check_req(&d, &r, true), BLK_OK);
	r.buf = 0xfffff200; /* ends 512 bytes above 4 GiB */
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	assert_int_equal(blk_check_req(&d, &r, false), BLK_OK);
	r.buf = 0x1000;
	r.op = 7;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.op = BLK_WRITE;
	d.failed = true;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EFAILED);
}

/* A flush names no sectors and no buffer: count 0 is the only valid one,
 * its lba and buf are not looked at (a dma32 disk takes one with a buffer
 * address above 4 GiB), a failed disk refuses it like anything else. */
static void test_check_flush(void **state)
{
	struct blk_dev d = fake_dev();
	struct blk_req r = { .op = BLK_FLUSH };
	assert_int_equal(blk_check_req(&d, &r, true), BLK_OK);
	r.lba = 1ull << 40;
	r.buf = 0x100000001ull;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_OK);
	r.count = 1;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EINVAL);
	r.count = 0;
	d.failed = true;
	assert_int_equal(blk_check_req(&d, &r, true), BLK_EFAILED);

	/* It has no range inside an extent: blk_extent_submit() refuses it,
	 * untouched and without reaching the driver. */
	d.failed = false;
	struct blk_extent e = { .dev = &d, .lba = 2048, .sectors = 100 };
	struct blk_req f = { .op = BLK_FLUSH, .lba = 3 };
	submits = 0;
	assert_int_equal(blk_extent_submit(&e, &f), BLK_ERANGE);
	assert_int_equal(f.lba, 3);
	assert_int_equal(submits, 0);
	assert_int_equal(d.ops->submit(&d, &f), 0);
	assert_ptr_equal(last, &f);

	assert_string_equal(blk_op_name(BLK_FLUSH), "flush");
	assert_string_equal(blk_op_name(BLK_READ), "read");
	assert_string_equal(blk_op_name(BLK_WRITE), "write");
	assert_string_equal(blk_op_name(9), "?");
}

static void test_extent_submit(void **state)
{
	struct blk_dev d = fake_dev();
	struct blk_extent e = { .dev = &d, .lba = 2048, .sectors = 100 };
	struct blk_req r = { .op = BLK_WRITE, .lba = 0, .count = 10, .buf = 0x10000 };
	submits = 0;
	assert_int_equal(blk_extent_submit(&e, &r), 0);
	assert_ptr_equal(last, &r);
	assert_int_equal(r.lba, 2048); /* translated */

	struct blk_req r2 = { .op = BLK_WRITE, .lba = 90, .count = 10, .buf = 0x10000 };
	assert_int_equal(blk_extent_submit(&e, &r2), 0);
	assert_int_equal(r2.lba, 2138);

	/* one sector too far, starting past, huge counts: never reach the driver */
	struct blk_req bad[] = {
		{ .op = BLK_WRITE, .lba = 91, .count = 10, .buf = 0x10000 },
		{ .op = BLK_WRITE, .lba = 100, .count = 1, .buf = 0x10000 },
		{ .op = BLK_WRITE, .lba = 0xffffffffffffffffull, .count = 2, .buf = 0x10000 },
		{ .op = BLK_WRITE, .lba = 1, .count = 0xffffffffu, .buf = 0x10000 },
		{ .op = BLK_WRITE, .lba = 0, .count = 0, .buf = 0x10000 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		u64 lba = bad[i].lba;
		assert_int_equal(blk_extent_submit(&e, &bad[i]), BLK_ERANGE);
		assert_int_equal(bad[i].lba, lba); /* untouched */
	}
	assert_int_equal(submits, 2);

	/* the driver refusing leaves the request as the caller wrote it */
	d.failed = true;
	struct blk_req r3 = { .op = BLK_READ, .lba = 5, .count = 1, .buf = 0x10000 };
	assert_int_equal(blk_extent_submit(&e, &r3), BLK_EFAILED);
	assert_int_equal(r3.lba, 5);

	struct blk_extent none = { 0 };
	assert_int_equal(blk_extent_submit(&none, &r3), BLK_ERANGE);
}

static void test_register(void **state)
{
	static struct blk_dev devs[BLK_MAX_DEVS + 1];
	u32 before = blk_ndevs();
	for (u32 i = before; i < BLK_MAX_DEVS; i++)
		assert_int_equal(blk_register(&devs[i]), 0);
	assert_int_equal(blk_register(&devs[BLK_MAX_DEVS]), BLK_EBUSY);
	assert_int_equal(blk_ndevs(), BLK_MAX_DEVS);
	assert_ptr_equal(blk_get(BLK_MAX_DEVS - 1), &devs[BLK_MAX_DEVS - 1]);
	assert_null(blk_get(BLK_MAX_DEVS));
}

static void test_pattern(void **state)
{
	u8 *b = malloc(4 * 512);
	u64 first = 0;
	pattern_fill(b, 1000, 4, 0x1234);
	assert_memory_equal(b, PATTERN_MAGIC, 8);
	assert_int_equal(b[8], 1000 & 0xff);
	assert_int_equal(b[9], 1000 >> 8);
	assert_int_equal(b[512 + 8], 1001 & 0xff);
	assert_int_equal(b[16], 0x34);
	assert_int_equal(pattern_check(b, 1000, 4, 0x1234, &first), 0);
	/* wrong seed: stale data from an earlier run fails */
	assert_int_equal(pattern_check(b, 1000, 4, 0x1235, &first), 4);
	assert_int_equal(first, 1000);
	/* wrong place: every sector knows its LBA */
	assert_int_equal(pattern_check(b, 1001, 4, 0x1234, &first), 4);
	/* one flipped bit deep inside one sector */
	b[2 * 512 + 300] ^= 0x10;
	assert_int_equal(pattern_check(b, 1000, 4, 0x1234, &first), 1);
	assert_int_equal(first, 1002);
	/* different sectors are different even with the same seed */
	pattern_fill(b, 0, 2, 0);
	assert_memory_not_equal(b + 24, b + 512 + 24, 488);
	free(b);
}

static void test_kib_per_s(void **state)
{
	assert_int_equal(kib_per_s(1 << 20, 1000000), 1024);
	assert_int_equal(kib_per_s(8u << 20, 500000), 16384);
	assert_int_equal(kib_per_s(1024, 0), 1000000); /* no division by zero */
	assert_int_equal(kib_per_s(1ull << 50, 1000000), 1ull << 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_req),
		cmocka_unit_test(test_check_flush),
		cmocka_unit_test(test_extent_submit),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_kib_per_s),
	};
	return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
