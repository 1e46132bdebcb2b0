/*
 * test_virtqueue.c - the device side of a legacy split virtqueue against a
 * fake driver: the layout arithmetic, happy chains, wrap-around of the
 * 16-bit indexes, the used ring, and every rejection vq_pop can make.
 */
#include "dev/tests/vqdriver.h"
#include "dev/virtqueue.h"

#define QSZ 8
#define BUF 0x20000 /* data buffers start here */

static struct fake_drv drv;
static struct virtqueue q;
static struct vq_chain ch;

static int setup(void **state)
{
	drv_init(&drv, QSZ);
	vq_init(&q, QSZ);
	assert_int_equal(vq_set_pfn(&q, &drv.mem, RING_PFN), VQ_OK);
	return 0;
}

static int teardown(void **state)
{
	drv_free(&drv);
	return 0;
}

/* The legacy sizes: 128 entries are desc 2048 + avail 6 + 256 = 2310 bytes,
 * rounded to 4096, then used 6 + 1024, rounded to 4096. */
static void test_layout(void **state)
{
	assert_int_equal(vq_legacy_bytes(128), 8192);
	/* 256: desc 4096 + avail 518 -> 8192; used 2054 -> 4096. */
	assert_int_equal(vq_legacy_bytes(256), 12288);
	assert_int_equal(q.desc, 0x10000);
	assert_int_equal(q.avail, 0x10000 + 16 * QSZ);
	assert_int_equal(q.used, 0x11000);
	assert_int_equal(q.used, drv.used);
}

static void test_pfn_outside_ram(void **state)
{
	/* Last page of RAM: the used ring would fall off the end. */
	assert_int_equal(vq_set_pfn(&q, &drv.mem, (RAM_SIZE >> 12) - 1), VQ_ERR_RING_RAM);
	assert_false(vq_ready(&q));
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_NOT_READY);
	assert_int_equal(vq_set_pfn(&q, &drv.mem, 0xfffff), VQ_ERR_RING_RAM);
	/* Exactly fitting at the end is fine. */
	assert_int_equal(vq_set_pfn(&q, &drv.mem, (RAM_SIZE >> 12) - 2), VQ_OK);
	assert_int_equal(vq_set_pfn(&q, &drv.mem, 0), VQ_OK);
	assert_false(vq_ready(&q));
}

static void test_empty(void **state)
{
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_EMPTY);
}

static void test_three_part_chain(void **state)
{
	/* Descriptors out of order in the table: 5 -> 2 -> 7. */
	drv_desc(&drv, 5, BUF, 16, VQ_DESC_F_NEXT, 2);
	drv_desc(&drv, 2, BUF + 0x1000, 4096, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 7);
	drv_desc(&drv, 7, BUF + 0x2000, 1, VQ_DESC_F_WRITE, 0);
	drv_kick(&drv, 5);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
	assert_int_equal(ch.head, 5);
	assert_int_equal(ch.n, 3);
	assert_int_equal(ch.nread, 1);
	assert_int_equal(ch.nwrite, 2);
	assert_int_equal(ch.buf[0].gpa, BUF);
	assert_int_equal(ch.buf[0].len, 16);
	assert_false(ch.buf[0].write);
	assert_int_equal(ch.buf[1].gpa, BUF + 0x1000);
	assert_int_equal(ch.buf[1].len, 4096);
	assert_true(ch.buf[1].write);
	assert_int_equal(ch.buf[2].len, 1);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_EMPTY);

	assert_int_equal(vq_push_used(&q, &drv.mem, 5, 4097), VQ_OK);
	assert_int_equal(drv_used_idx(&drv), 1);
	u32 id, len;
	drv_used(&drv, 0, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, 4097);
	/* The device never asks not to be notified. */
	assert_int_equal(get_le(&drv, drv.used, 2), 0);
}

/* A chain as long as the table is legal: every descriptor once. */
static void test_full_length_chain(void **state)
{
	for (u16 i = 0; i < QSZ; i++)
		drv_desc(&drv, i, BUF + 512u * i, 512, i + 1 < QSZ ? VQ_DESC_F_NEXT : 0, i + 1);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
	assert_int_equal(ch.n, QSZ);
}

/* 16-bit indexes wrap; ring slots are idx % size. */
static void test_index_wrap(void **state)
{
	drv_desc(&drv, 3, BUF, 8, 0, 0);
	for (unsigned n = 0; n < 70000; n++) {
		drv_kick(&drv, 3);
		assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
		assert_int_equal(ch.head, 3);
		assert_int_equal(vq_push_used(&q, &drv.mem, 3, n), VQ_OK);
	}
	assert_int_equal(drv_used_idx(&drv), (u16)70000);
	u32 id, len;
	drv_used(&drv, (u16)69999, &id, &len);
	assert_int_equal(len, 69999);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_EMPTY);
}

/* The driver may queue up to size chains before the device looks. */
static void test_batch_and_idx_too_far(void **state)
{
	for (u16 i = 0; i < QSZ; i++) {
		drv_desc(&drv, i, BUF + 8u * i, 8, 0, 0);
		drv_kick(&drv, i);
	}
	for (int i = 0; i < QSZ; i++)
		assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_EMPTY);
	/* avail.idx jumps more than size ahead: a driver bug or an attack. */
	put_le(&drv, drv.avail + 2, (u16)(drv.avail_idx + QSZ + 1), 2);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_AVAIL_IDX);
}

/*
 * A descriptor the device holds (popped, not yet used) offered again, as
 * the head or inside another chain, is refused; once the chain is in the
 * used ring its descriptors may be offered again.  Without this a guest
 * re-offering one chain had any number of requests outstanding (found by
 * tools/fuzz/fuzz_virtq.c: 66 in flight on a 128-entry queue).
 */
static void test_descriptor_in_use(void **state)
{
	drv_desc(&drv, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	drv_desc(&drv, 1, BUF + 0x1000, 1, VQ_DESC_F_WRITE, 0);
	drv_desc(&drv, 2, BUF, 16, VQ_DESC_F_NEXT, 1); /* shares 1 with chain 0 */
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_IN_USE);
	drv_kick(&drv, 2);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_IN_USE);
	assert_int_equal(vq_push_used(&q, &drv.mem, 0, 1), VQ_OK);
	drv_kick(&drv, 2);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
	assert_int_equal(ch.buf[1].desc, 1);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_IN_USE);
	/* A reset (new ring) frees everything. */
	assert_int_equal(vq_set_pfn(&q, &drv.mem, RING_PFN), VQ_OK);
	drv.avail_idx = 0;
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
}

static void test_head_out_of_range(void **state)
{
	drv_kick(&drv, QSZ);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_HEAD_RANGE);
	/* Consumed: the next pop does not report it again. */
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_EMPTY);
}

static void test_next_out_of_range(void **state)
{
	drv_desc(&drv, 0, BUF, 16, VQ_DESC_F_NEXT, QSZ);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_NEXT_RANGE);
}

static void test_loop(void **state)
{
	drv_desc(&drv, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	drv_desc(&drv, 1, BUF, 16, VQ_DESC_F_NEXT, 0);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_LOOP);
	/* A descriptor that names itself. */
	drv_desc(&drv, 4, BUF, 16, VQ_DESC_F_NEXT, 4);
	drv_kick(&drv, 4);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_LOOP);
}

/* The loop guard at the largest queue: a looping chain must stop at
 * VQ_MAX_SIZE buffers, not write one past the end of buf[] (ASan). */
static void test_loop_max_size(void **state)
{
	struct fake_drv big;
	struct virtqueue bq;
	struct vq_chain *c = malloc(sizeof(*c));
	assert_non_null(c);
	drv_init(&big, VQ_MAX_SIZE);
	vq_init(&bq, VQ_MAX_SIZE);
	assert_int_equal(vq_set_pfn(&bq, &big.mem, RING_PFN), VQ_OK);
	for (u16 i = 0; i < VQ_MAX_SIZE; i++)
		drv_desc(&big, i, BUF, 16, VQ_DESC_F_NEXT, (u16)((i + 1) % VQ_MAX_SIZE));
	drv_kick(&big, 0);
	assert_int_equal(vq_pop(&bq, &big.mem, c), VQ_ERR_LOOP);
	free(c);
	drv_free(&big);
}

static void test_indirect(void **state)
{
	drv_desc(&drv, 0, BUF, 32, VQ_DESC_F_INDIRECT, 0);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_INDIRECT);
}

static void test_buffer_outside_ram(void **state)
{
	const struct { u64 addr; u32 len; } bad[] = {
		{ RAM_SIZE, 1 },            /* starts past the end */
		{ RAM_SIZE - 511, 512 },    /* runs past the end by one */
		{ ~0ull - 10, 512 },        /* wraps around */
		{ 0x1000, 0xffffffffu },    /* longer than RAM */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		drv_desc(&drv, 1, BUF, 16, VQ_DESC_F_NEXT, 2);
		drv_desc(&drv, 2, bad[i].addr, bad[i].len, VQ_DESC_F_WRITE, 0);
		drv_kick(&drv, 1);
		assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_BUF_RAM);
	}
	/* The last byte of RAM is fine. */
	drv_desc(&drv, 2, RAM_SIZE - 1, 1, VQ_DESC_F_WRITE, 0);
	drv_kick(&drv, 2);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_OK);
}

static void test_zero_length(void **state)
{
	drv_desc(&drv, 0, BUF, 16, VQ_DESC_F_NEXT, 1);
	drv_desc(&drv, 1, BUF, 0, VQ_DESC_F_WRITE, 0);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_ZERO_LEN);
}

static void test_readable_after_writable(void **state)
{
	drv_desc(&drv, 0, BUF, 1, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	drv_desc(&drv, 1, BUF, 16, 0, 0);
	drv_kick(&drv, 0);
	assert_int_equal(vq_pop(&q, &drv.mem, &ch), VQ_ERR_ORDER);
}

static void test_used_errors(void **state)
{
	assert_int_equal(vq_push_used(&q, &drv.mem, QSZ, 0), VQ_ERR_USED_ID);
	assert_int_equal(drv_used_idx(&drv), 0);
	vq_reset(&q);
	assert_int_equal(vq_push_used(&q, &drv.mem, 0, 0), VQ_ERR_NOT_READY);
}

static void test_names(void **state)
{
	assert_string_equal(vq_err_name(VQ_OK), "ok");
	assert_string_equal(vq_err_name(VQ_EMPTY), "empty");
	assert_string_equal(vq_err_name(VQ_ERR_LOOP), "chain-loops");
	assert_string_equal(vq_err_name(VQ_ERR_USED_ID), "used-id-out-of-range");
	assert_string_equal(vq_err_name(-99), "unknown");
	for (int e = VQ_ERR_NOT_READY; e >= VQ_ERR_IN_USE; e--)
		assert_string_not_equal(vq_err_name(e), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pfn_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_part_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_length_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_and_idx_too_far, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_after_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
