/*
 * test_diskq.c - the disk queue (hv/storage/diskq.c) with sched/ and a fake
 * disk whose requests finish when the test says so.
 *
 * What must hold: one request on the disk at a time; the policies' order;
 * anticipation keeps the disk idle for the process whose read just finished
 * and diskq_deadline() names the end of that wait, so the glue's timer can
 * end it; the extent is enforced before anything is queued; a request the
 * driver refuses completes with its error and the queue moves on; a process
 * that exits leaves the scheduler only once its I/O has drained.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "types.h"
#include "string.h"
#include "storage/diskq.h"

#define MS 1000000ull

/* ---- a fake disk: requests stay pending until finish_disk() ---- */
static struct blk_req *on_disk;
static int disk_submits, refuse_next;

static int fake_submit(struct blk_dev *d, struct blk_req *r)
{
	int rc = blk_check_req(d, r, false);
	if (rc < 0)
		return rc;
	if (refuse_next) {
		refuse_next = 0;
		return BLK_EIO;
	}
	assert_null(on_disk); /* the queue must never stack requests on the disk */
	on_disk = r;
	disk_submits++;
	r->status = BLK_PENDING;
	return 0;
}

static int fake_poll(struct blk_dev *d) { return 0; }

static const struct blk_ops fake_ops = { .submit = fake_submit, .poll = fake_poll };
static struct blk_dev dev;
static struct blk_extent ext_a, ext_b; /* two guests' windows */
static struct diskq q;

static void finish_disk(int status)
{
	assert_non_null(on_disk);
	on_disk->status = status;
	on_disk = NULL;
}

/* ---- requests and what completed ---- */
#define MAXR 32
static struct diskq_req reqs[MAXR];
static int nreq;
static struct diskq_req *completed[MAXR];
static int ncompleted;

static void done(struct diskq_req *r)
{
	completed[ncompleted++] = r;
}

static struct diskq_req *req(u32 guest, u64 proc, const struct blk_extent *e, u8 op, u64 lba,
			     u32 count)
{
	struct diskq_req *r = &reqs[nreq++];

	memset(r, 0, sizeof(*r));
	r->guest = guest;
	r->proc = proc;
	r->ext = e;
	r->op = op;
	r->lba = lba;
	r->count = count;
	r->buf = 0x100000;
	r->done = done;
	return r;
}

static int setup(enum sched_policy pol)
{
	memset(&dev, 0, sizeof(dev));
	dev.ops = &fake_ops;
	dev.sectors = 1000000;
	dev.max_sectors = 256;
	ext_a = (struct blk_extent){ .dev = &dev, .lba = 1000, .sectors = 100000 };
	ext_b = (struct blk_extent){ .dev = &dev, .lba = 500000, .sectors = 100000 };
	on_disk = NULL;
	disk_submits = refuse_next = 0;
	nreq = ncompleted = 0;
	return diskq_init(&q, &dev, pol, NULL);
}

static int setup_fcfs(void **state) { (void)state; return setup(SCHED_FCFS); }
static int setup_as(void **state) { (void)state; return setup(SCHED_ANTICIPATORY); }

/* ---- tests ---- */

/* FCFS: arrival order, one on the disk at a time, LBAs made absolute. */
static void test_fcfs_one_at_a_time(void **state)
{
	(void)state;
	struct diskq_req *a = req(0, 1, &ext_a, BLK_READ, 0, 8);
	struct diskq_req *b = req(1, 1, &ext_b, BLK_WRITE, 10, 8);

	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, b, 1 * MS), 0);
	assert_int_equal(disk_submits, 1);
	assert_ptr_equal(on_disk, &a->blk);
	assert_int_equal(on_disk->lba, 1000); /* extent base + 0 */

	assert_int_equal(diskq_poll(&q, 2 * MS), 0); /* still on the disk */
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_int_equal(ncompleted, 1);
	assert_ptr_equal(completed[0], a);
	assert_int_equal(a->status, BLK_OK);
	assert_int_equal(a->complete_ns, 3 * MS);
	assert_ptr_equal(on_disk, &b->blk); /* the next went at once */
	assert_int_equal(on_disk->lba, 500010);
	finish_disk(BLK_OK);
	diskq_poll(&q, 4 * MS);
	assert_int_equal(ncompleted, 2);
	assert_int_equal(q.st.completed, 2);
	assert_int_equal(q.st.busy_ns, 3 * MS);
	assert_true(sched_consistent(&q.s));
}

/* Outside the extent: refused before the scheduler sees it. */
static void test_extent_enforced(void **state)
{
	(void)state;
	assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_WRITE, 99999, 2), 1 * MS),
			 BLK_ERANGE);
	assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_WRITE, 100000, 1), 1 * MS),
			 BLK_ERANGE);
	assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_WRITE, 0, 0), 1 * MS),
			 BLK_EINVAL);
	assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, 7, 0, 1), 1 * MS), BLK_EINVAL);
	assert_int_equal(disk_submits, 0);
	assert_int_equal(ncompleted, 0);
	assert_int_equal(q.st.refused, 2);
	assert_int_equal(q.s.queued[0] + q.s.queued[1], 0);
}

/* The driver refuses: that request completes with the error, the next goes. */
static void test_driver_refusal(void **state)
{
	(void)state;
	struct diskq_req *a = req(0, 1, &ext_a, BLK_READ, 0, 8);
	struct diskq_req *b = req(0, 2, &ext_a, BLK_READ, 64, 8);

	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	refuse_next = 1;
	assert_int_equal(diskq_submit(&q, b, 1 * MS), 0);
	finish_disk(BLK_OK);
	diskq_poll(&q, 2 * MS);
	assert_int_equal(ncompleted, 2);
	assert_int_equal(b->status, BLK_EIO);
	assert_int_equal(q.st.errors, 1);
	assert_null(on_disk);
	assert_true(sched_consistent(&q.s));
}

/*
 * Anticipation: process 1 reads sequentially, process 2 (another guest)
 * has a read queued far away.  When 1's read finishes the disk idles for 1 and the deadline
 * is that wait's end; 1 comes back in time (a hit) and is served first.
 * The next time it does not come back: at the deadline, 2 goes.
 */
static void test_anticipation_and_deadline(void **state)
{
	(void)state;
	struct sched_params p;
	struct sched_proc_stats st;

	sched_default_params(SCHED_ANTICIPATORY, &p);
	struct diskq_req *a1 = req(0, 1, &ext_a, BLK_READ, 0, 8);
	/* far enough that sched/'s widening "close" window (8192 sectors,
	 * doubling every ms) does not reach it within antic_expire */
	struct diskq_req *b1 = req(1, 2, &ext_b, BLK_READ, 90000, 8);

	/* Teach the scheduler that process 1 thinks briefly: a few
	 * sequential reads with 100 us between completion and the next. */
	u64 t = 1 * MS;
	assert_int_equal(diskq_submit(&q, a1, t), 0);
	for (int i = 1; i <= 4; i++) {
		finish_disk(BLK_OK);
		t += 100000;
		diskq_poll(&q, t);
		t += 100000;
		assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_READ, 8 * i, 8), t), 0);
	}
	assert_int_equal(diskq_submit(&q, b1, t), 0); /* 2 waits behind 1's read */
	finish_disk(BLK_OK);
	t += 100000;
	diskq_poll(&q, t);
	assert_null(on_disk); /* idling for 1, although 2 is queued */
	assert_int_equal(diskq_deadline(&q), t + p.antic_expire);

	/* 1 comes back, sequential: served before 2 */
	t += 100000;
	struct diskq_req *a6 = req(0, 1, &ext_a, BLK_READ, 40, 8);
	assert_int_equal(diskq_submit(&q, a6, t), 0);
	assert_ptr_equal(on_disk, &a6->blk);
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER);

	/* 1 does not come back: nothing moves before the deadline... */
	finish_disk(BLK_OK);
	t += 100000;
	diskq_poll(&q, t);
	u64 until = diskq_deadline(&q);
	assert_int_equal(until, t + p.antic_expire);
	diskq_poll(&q, until - 1);
	assert_null(on_disk);
	/* ...and at the deadline, the queue gives up on 1 and serves 2 */
	diskq_poll(&q, until);
	assert_ptr_equal(on_disk, &b1->blk);

	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), 0);
	assert_true(st.antic_waits >= 2);
	assert_true(st.antic_hits >= 1);
	assert_int_equal(st.antic_timeouts, 1);
	assert_true(sched_consistent(&q.s));
}

/* An exited process stays until its last request has completed. */
static void test_proc_gone_after_drain(void **state)
{
	(void)state;
	struct sched_proc_stats st;

	assert_int_equal(diskq_submit(&q, req(0, 7, &ext_a, BLK_WRITE, 0, 8), 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, req(0, 7, &ext_a, BLK_WRITE, 8, 8), 1 * MS), 0);
	diskq_proc_gone(&q, 0, 7);
	assert_int_equal(diskq_proc_stats(&q, 0, 7, &st), 0); /* still there */
	finish_disk(BLK_OK);
	diskq_poll(&q, 2 * MS);
	assert_int_equal(diskq_proc_stats(&q, 0, 7, &st), 0);
	finish_disk(BLK_OK);
	diskq_poll(&q, 3 * MS);
	assert_int_equal(diskq_proc_stats(&q, 0, 7, &st), SCHED_ENOPROC); /* gone now */
	assert_int_equal(q.ngone, 0);
	/* with nothing outstanding, at once */
	assert_int_equal(diskq_submit(&q, req(0, 8, &ext_a, BLK_READ, 0, 8), 4 * MS), 0);
	finish_disk(BLK_OK);
	diskq_poll(&q, 5 * MS);
	diskq_proc_gone(&q, 0, 8);
	assert_int_equal(diskq_proc_stats(&q, 0, 8, &st), SCHED_ENOPROC);
}

/* Full: BLK_EBUSY, and room again after a completion. */
static void test_full(void **state)
{
	(void)state;
	static struct diskq_req many[DISKQ_SLOTS + 1];

	for (int i = 0; i < DISKQ_SLOTS; i++) {
		many[i] = (struct diskq_req){ .guest = 0, .proc = 1, .ext = &ext_a, .op = BLK_WRITE,
					      .lba = (u64)i * 8, .count = 8, .buf = 0x1000 };
		assert_int_equal(diskq_submit(&q, &many[i], 1 * MS), 0);
	}
	many[DISKQ_SLOTS] = many[0];
	assert_int_equal(diskq_submit(&q, &many[DISKQ_SLOTS], 1 * MS), BLK_EBUSY);
	finish_disk(BLK_OK);
	diskq_poll(&q, 2 * MS);
	assert_int_equal(diskq_submit(&q, &many[DISKQ_SLOTS], 2 * MS), 0);
	assert_true(sched_consistent(&q.s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fcfs_one_at_a_time, setup_fcfs),
		cmocka_unit_test_setup(test_extent_enforced, setup_fcfs),
		cmocka_unit_test_setup(test_driver_refusal, setup_fcfs),
		cmocka_unit_test_setup(test_anticipation_and_deadline, setup_as),
		cmocka_unit_test_setup(test_proc_gone_after_drain, setup_as),
		cmocka_unit_test_setup(test_full, setup_fcfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
