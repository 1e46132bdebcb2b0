/*
 * test_diskq.c - the disk queue (hv/storage/diskq.c) with sched/ and a fake
 * disk whose requests finish when the test says so.
 *
 * What must hold: one request on the disk at a time; the policies' order;
 * anticipation keeps the disk idle for the process whose read just finished
 * and diskq_deadline() names the end of that wait, so the glue's timer can
 * end it; the extent is enforced before anything is queued; a request the
 * driver refuses completes with its error and the queue moves on, one it
 * is too busy for goes again; a request of several pieces sends them one
 * after another and is on the disk until the last is done; the disk model
 * holds a completion until its time, which diskq_deadline() names; a
 * process that exits leaves the scheduler only once its I/O has drained,
 * and an idle one makes room when the process table is full.  A flush goes
 * to the disk as soon as it is free, ahead of sched/'s order (and of its
 * anticipation, which goes on), taking turns when flushes come back to
 * back; its errors reach done(), and the disk model charges it nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "types.h"
#include "string.h"
#include "storage/diskq.h"

#define MS 1000000ull

/* ---- a fake disk: requests stay pending until finish_disk() ---- */
static struct blk_req *on_disk;
static int disk_submits, refuse_next, busy_next;

static int fake_submit(struct blk_dev *d, struct blk_req *r)
{
	int rc = blk_check_req(d, r, d->dma32);
	if (rc < 0)
		return rc;
	if (refuse_next) {
		refuse_next = 0;
		return BLK_EIO;
	}
	if (busy_next) {
		busy_next = 0;
		return BLK_EBUSY;
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
#define MAXR 160
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
	disk_submits = refuse_next = busy_next = 0;
	nreq = ncompleted = 0;
	return diskq_init(&q, &dev, pol, NULL);
}

static int setup_fcfs(void **state) { (void)state; return setup(SCHED_FCFS); }
static int setup_as(void **state) { (void)state; return setup(SCHED_ANTICIPATORY); }
static int setup_deadline(void **state) { (void)state; return setup(SCHED_DEADLINE); }

static struct diskq_req *flush_req(u32 guest)
{
	return req(guest, 0, NULL, BLK_FLUSH, 0, 0);
}

/*
 * The disk idling for a process: process 1 (guest 0) reads sequentially
 * from LBA 0 and thinks for 100 us between a read's completion and the
 * next, so the scheduler learns it is worth waiting for; process 2 (guest
 * 1) has a read queued far away - far enough that sched/'s widening
 * "close" window (8192 sectors, doubling every ms) does not reach it
 * within antic_expire - in *far.  When 1's fifth read finishes, the disk
 * idles for 1 although 2 waits, until the deadline this returns; the time
 * then is in *now.
 */
static u64 idle_for_process_1(const struct sched_params *p, struct diskq_req **far, u64 *now)
{
	u64 t = 1 * MS;

	assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_READ, 0, 8), t), 0);
	for (int i = 1; i <= 4; i++) {
		finish_disk(BLK_OK);
		t += 100000;
		diskq_poll(&q, t);
		t += 100000;
		assert_int_equal(diskq_submit(&q, req(0, 1, &ext_a, BLK_READ, 8 * i, 8), t), 0);
	}
	*far = req(1, 2, &ext_b, BLK_READ, 90000, 8);
	assert_int_equal(diskq_submit(&q, *far, t), 0); /* 2 waits behind 1's read */
	finish_disk(BLK_OK);
	t += 100000;
	diskq_poll(&q, t);
	assert_null(on_disk); /* idling for 1, although 2 is queued */
	assert_int_equal(diskq_deadline(&q), t + p->antic_expire);
	*now = t;
	return t + p->antic_expire;
}

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
	struct diskq_req *b1;
	u64 t;

	sched_default_params(SCHED_ANTICIPATORY, &p);
	idle_for_process_1(&p, &b1, &t);

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
	for (int i = 0; i < DISKQ_PROCS; i++)
		assert_false(q.known[i].used && q.known[i].key == 7);
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

/* ---- requests of several pieces ---- */
struct cut {
	struct diskq_piece p[4];
	int n, next;
	int fail_at; /* the cutter fails here instead of giving a piece; -1: never */
};

static int cut_next(struct diskq_req *r, struct diskq_piece *p)
{
	struct cut *c = r->priv;

	if (c->next == c->fail_at)
		return BLK_ERANGE;
	if (c->next == c->n)
		return 0;
	*p = c->p[c->next++];
	return 1;
}

static struct diskq_req *cut_req(struct cut *c, u32 guest, u64 proc, u8 op, u32 count)
{
	struct diskq_req *r = req(guest, proc, c->p[0].ext, op, c->p[0].lba, count);

	r->pieces = cut_next;
	r->priv = c;
	return r;
}

/* Pieces go one after another; the request is on the disk (and the next
 * one waits) until the last is done; sched/ sees one request of them all. */
static void test_pieces_one_after_another(void **state)
{
	(void)state;
	struct cut c = { .n = 3, .fail_at = -1, .p = {
		{ &ext_a, 99990, 10, 0x100000 },	/* the end of guest 0's first extent... */
		{ &ext_b, 0, 256, 0x200000 },		/* ...then a second, max_sectors long */
		{ &ext_b, 256, 6, 0x300000 },
	} };
	struct diskq_req *r = cut_req(&c, 0, 1, BLK_WRITE, 272); /* > max_sectors: fine */
	struct diskq_req *b = req(1, 2, &ext_b, BLK_READ, 1000, 8);
	struct sched_proc_stats st;

	assert_int_equal(diskq_submit(&q, r, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, b, 1 * MS), 0);
	assert_ptr_equal(on_disk, &r->blk);
	assert_int_equal(on_disk->lba, 1000 + 99990);
	assert_int_equal(on_disk->count, 10);
	assert_int_equal(diskq_poll(&q, 2 * MS), 0);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 0); /* the next piece, not the next request */
	assert_int_equal(on_disk->lba, 500000);
	assert_int_equal(on_disk->count, 256);
	assert_int_equal(on_disk->buf, 0x200000);
	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), 0);
	assert_int_equal(st.in_flight, 1);
	finish_disk(BLK_OK);
	diskq_poll(&q, 4 * MS);
	assert_int_equal(on_disk->lba, 500256);
	assert_int_equal(ncompleted, 0);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 5 * MS), 1);
	assert_ptr_equal(completed[0], r);
	assert_int_equal(r->status, BLK_OK);
	assert_int_equal(r->npieces, 3);
	assert_ptr_equal(on_disk, &b->blk); /* only now */
	assert_int_equal(disk_submits, 4);
	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), 0);
	assert_int_equal(st.sectors_written, 272);
	assert_int_equal(q.st.busy_ns, 4 * MS);
	assert_true(sched_consistent(&q.s));
}

/* A piece that fails at the disk ends its request: the rest is not sent.
 * So does a cutter that fails, with its own error. */
static void test_piece_errors(void **state)
{
	(void)state;
	struct cut c1 = { .n = 3, .fail_at = -1, .p = {
		{ &ext_a, 0, 8, 0x100000 }, { &ext_a, 8, 8, 0x200000 }, { &ext_a, 16, 8, 0x300000 },
	} };
	struct cut c2 = { .n = 2, .fail_at = 1, .p = {
		{ &ext_a, 64, 8, 0x100000 }, { &ext_a, 72, 8, 0x200000 },
	} };
	struct diskq_req *r1 = cut_req(&c1, 0, 1, BLK_READ, 24);
	struct diskq_req *r2 = cut_req(&c2, 0, 2, BLK_READ, 16);

	assert_int_equal(diskq_submit(&q, r1, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, r2, 1 * MS), 0);
	finish_disk(BLK_OK);
	diskq_poll(&q, 2 * MS);
	finish_disk(BLK_EIO);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_int_equal(r1->status, BLK_EIO);
	assert_int_equal(r1->npieces, 2);
	assert_ptr_equal(on_disk, &r2->blk); /* r2's first piece; r1's third never went */
	assert_int_equal(disk_submits, 3);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 4 * MS), 1);
	assert_int_equal(r2->status, BLK_ERANGE);
	assert_int_equal(r2->npieces, 1);
	assert_null(on_disk);
	assert_int_equal(q.st.errors, 2);
	assert_true(sched_consistent(&q.s));
}

/* The driver's queue is full: the piece goes again at the next poll. */
static void test_driver_busy_resent(void **state)
{
	(void)state;
	struct diskq_req *a = req(0, 1, &ext_a, BLK_READ, 0, 8);

	busy_next = 1;
	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	assert_null(on_disk);
	assert_int_equal(q.st.driver_busy, 1);
	assert_int_equal(diskq_poll(&q, 2 * MS), 0);
	assert_ptr_equal(on_disk, &a->blk);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_int_equal(a->status, BLK_OK);
	assert_int_equal(q.st.errors, 0);
}

/*
 * The disk model: a request the real disk has finished stays on the disk
 * until the modelled one would have; diskq_deadline() names that time, the
 * completion comes not a nanosecond earlier, and the next request waits
 * for it.  The model sees each request where sched/ put it on the disk.
 */
static void test_model_holds(void **state)
{
	(void)state;
	static struct hdd model, twin;
	struct hdd_params hp;
	struct diskq_req *a = req(0, 1, &ext_a, BLK_READ, 0, 8);
	struct diskq_req *b = req(0, 1, &ext_a, BLK_READ, 5000, 8);

	hdd_default_params(&hp);
	assert_int_equal(hdd_init(&model, &hp), 0);
	twin = model; /* the same disk, to know the times */
	diskq_set_model(&q, &model);

	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	u64 t_a = hdd_serve(&twin, 1000, 8, true, 1 * MS);
	assert_true(t_a > 1 * MS && t_a < 31 * MS); /* within one seek and turn */
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER); /* the real disk has it */
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 1 * MS + 1), 0);
	assert_int_equal(diskq_deadline(&q), t_a);
	assert_int_equal(diskq_submit(&q, b, 1 * MS + 2), 0);
	assert_null(on_disk); /* one at a time, the modelled disk included */
	assert_int_equal(diskq_poll(&q, t_a - 1), 0);
	assert_int_equal(ncompleted, 0);
	assert_int_equal(diskq_poll(&q, t_a), 1);
	assert_int_equal(a->complete_ns, t_a);
	assert_ptr_equal(on_disk, &b->blk);
	u64 t_b = hdd_serve(&twin, 6000, 8, true, t_a);
	finish_disk(BLK_OK);
	diskq_poll(&q, t_a + 1);
	assert_int_equal(diskq_deadline(&q), t_b);
	assert_int_equal(diskq_poll(&q, t_b), 1);
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER);
	assert_int_equal(model.head_lba, 6008);
	assert_true(sched_consistent(&q.s));
}

/* The process table is full: an idle process makes room (its history
 * goes); with every process busy, the request must wait (BLK_EBUSY). */
static void test_proc_table_full(void **state)
{
	(void)state;
	struct sched_proc_stats st;
	u64 t = 1 * MS;

	for (u64 k = 1; k <= DISKQ_PROCS; k++) {
		assert_int_equal(diskq_submit(&q, req(0, k, &ext_a, BLK_READ, k * 8, 8), t), 0);
		finish_disk(BLK_OK);
		diskq_poll(&q, ++t);
	}
	assert_int_equal(diskq_submit(&q, req(0, 100, &ext_a, BLK_READ, 0, 8), t), 0);
	assert_int_equal(q.st.proc_evictions, 1);
	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), SCHED_ENOPROC); /* the first idle */
	for (u64 k = 2; k <= DISKQ_PROCS; k++) /* every process busy */
		assert_int_equal(diskq_submit(&q, req(0, k, &ext_a, BLK_READ, 0, 8), t), 0);
	assert_int_equal(diskq_submit(&q, req(0, 200, &ext_a, BLK_READ, 0, 8), t), BLK_EBUSY);
	finish_disk(BLK_OK); /* process 100's read: it is idle now */
	diskq_poll(&q, ++t);
	assert_int_equal(diskq_submit(&q, req(0, 200, &ext_a, BLK_READ, 0, 8), t), 0);
	assert_int_equal(q.st.proc_evictions, 2);
	assert_int_equal(diskq_proc_stats(&q, 0, 100, &st), SCHED_ENOPROC);
	assert_true(sched_consistent(&q.s));
}

/* A dma32 disk and guest buffers above 4 GiB (any malloc on a 64-bit
 * host): each piece goes through the bounce buffer, which lies below 4 GiB
 * (MAP_32BIT); a write's data is there when the disk takes it, a read's
 * lands in the real buffer when its piece is done.  Without a bounce
 * buffer the driver refuses the piece. */
static void test_bounce(void **state)
{
	(void)state;
	dev.dma32 = true;
	u8 *low = mmap(NULL, 256 * 512, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	assert_true(low != MAP_FAILED);
	assert_true((u64)(uintptr_t)low + 256 * 512 <= (1ull << 32));
	u8 *high = malloc(8 * 512);
	assert_true((u64)(uintptr_t)high > (1ull << 32));

	struct diskq_req *w = req(0, 1, &ext_a, BLK_WRITE, 10, 8);
	w->buf = (u64)(uintptr_t)high;
	assert_int_equal(diskq_submit(&q, w, 1 * MS), 0);
	diskq_poll(&q, 1 * MS);
	assert_int_equal(ncompleted, 1); /* no bounce buffer: the driver refused it */
	assert_int_equal(w->status, BLK_EINVAL);

	diskq_set_bounce(&q, low, 256);
	memset(high, 0xab, 8 * 512);
	w = req(0, 1, &ext_a, BLK_WRITE, 10, 8);
	w->buf = (u64)(uintptr_t)high;
	assert_int_equal(diskq_submit(&q, w, 2 * MS), 0);
	assert_ptr_equal(on_disk, &w->blk);
	assert_int_equal(on_disk->buf, (u64)(uintptr_t)low);
	assert_int_equal(low[0], 0xab);
	assert_int_equal(low[8 * 512 - 1], 0xab);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_int_equal(w->status, BLK_OK);

	struct diskq_req *r = req(0, 1, &ext_a, BLK_READ, 10, 8);
	r->buf = (u64)(uintptr_t)high;
	assert_int_equal(diskq_submit(&q, r, 4 * MS), 0);
	memset(low, 0x5c, 8 * 512); /* what "the disk" read */
	assert_int_equal(high[0], 0xab); /* not before the piece is done */
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 5 * MS), 1);
	assert_int_equal(r->status, BLK_OK);
	assert_int_equal(high[0], 0x5c);
	assert_int_equal(high[8 * 512 - 1], 0x5c);
	assert_int_equal(q.st.bounced, 2);

	/* A buffer below 4 GiB is not copied. */
	struct diskq_req *d = req(0, 1, &ext_a, BLK_READ, 10, 8);
	d->buf = (u64)(uintptr_t)low + 8 * 512;
	assert_int_equal(diskq_submit(&q, d, 6 * MS), 0);
	assert_int_equal(on_disk->buf, (u64)(uintptr_t)low + 8 * 512);
	finish_disk(BLK_OK);
	diskq_poll(&q, 7 * MS);
	assert_int_equal(q.st.bounced, 2);
	free(high);
	munmap(low, 256 * 512);
}

/* ---- flushes ---- */

/* A flush on a free disk goes at once: one piece, count 0, the device's
 * own LBA space untouched; it completes through done() like any request
 * and sched/ never sees it. */
static void test_flush_free_disk(void **state)
{
	(void)state;
	struct diskq_req *f = flush_req(0);

	assert_int_equal(diskq_submit(&q, f, 1 * MS), 0);
	assert_ptr_equal(on_disk, &f->blk);
	assert_int_equal(on_disk->op, BLK_FLUSH);
	assert_int_equal(on_disk->count, 0);
	assert_int_equal(f->dispatch_ns, 1 * MS);
	assert_int_equal(q.s.queued[0] + q.s.queued[1] + q.s.in_flight, 0);
	assert_int_equal(diskq_poll(&q, 2 * MS), 0); /* the disk has not finished it */
	assert_int_equal(ncompleted, 0);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_ptr_equal(completed[0], f);
	assert_int_equal(f->status, BLK_OK);
	assert_int_equal(f->complete_ns, 3 * MS);
	assert_int_equal(q.st.flushes, 1);
	assert_int_equal(q.st.completed, 1);
	assert_int_equal(q.st.busy_ns, 2 * MS);
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER);
	/* a flush names no sectors: any other count is refused, done() not called */
	struct diskq_req *bad = flush_req(0);
	bad->count = 8;
	assert_int_equal(diskq_submit(&q, bad, 4 * MS), BLK_EINVAL);
	assert_int_equal(ncompleted, 1);

	/* Two back to back, sched/ with nothing to send: the second follows. */
	struct diskq_req *f2 = flush_req(0), *f3 = flush_req(1);
	assert_int_equal(diskq_submit(&q, f2, 5 * MS), 0);
	assert_int_equal(diskq_submit(&q, f3, 5 * MS), 0);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 6 * MS), 1);
	assert_ptr_equal(on_disk, &f3->blk);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 7 * MS), 1);
	assert_int_equal(q.st.flushes, 3);
	assert_true(sched_consistent(&q.s));
}

/* Deadline sorts its queue; a flush submitted after the queued requests
 * waits only for the request on the disk, then goes before all of them. */
static void test_flush_not_behind_sorted(void **state)
{
	(void)state;
	struct diskq_req *w = req(0, 1, &ext_a, BLK_WRITE, 5000, 8);
	struct diskq_req *r1 = req(0, 2, &ext_a, BLK_READ, 9000, 8);
	struct diskq_req *r2 = req(1, 3, &ext_b, BLK_READ, 100, 8);
	struct diskq_req *r3 = req(0, 2, &ext_a, BLK_READ, 6000, 8);
	struct diskq_req *f = flush_req(1);

	assert_int_equal(diskq_submit(&q, w, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, r1, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, r2, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, r3, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, f, 2 * MS), 0);
	assert_ptr_equal(on_disk, &w->blk); /* not stacked on the write */
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 3 * MS), 1);
	assert_ptr_equal(on_disk, &f->blk);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, 4 * MS), 1);
	assert_ptr_equal(completed[1], f);
	/* then sched/'s order, as if the flush had never been there */
	assert_int_equal(on_disk->op, BLK_READ);
	for (int i = 0; i < 3; i++) {
		finish_disk(BLK_OK);
		diskq_poll(&q, (5 + i) * MS);
	}
	assert_int_equal(ncompleted, 5);
	assert_ptr_equal(completed[2], r3); /* the elevator: 6000, 9000, then guest 1's */
	assert_ptr_equal(completed[3], r1);
	assert_ptr_equal(completed[4], r2);
	assert_true(sched_consistent(&q.s));
}

/* Flushes back to back take turns with sched/'s requests: one guest's
 * flushes cannot keep the others' requests off the disk. */
static void test_flushes_take_turns(void **state)
{
	(void)state;
	struct diskq_req *w = req(0, 1, &ext_a, BLK_WRITE, 0, 8);
	struct diskq_req *f1 = flush_req(1), *f2 = flush_req(1), *f3 = flush_req(1);
	struct diskq_req *a = req(0, 1, &ext_a, BLK_WRITE, 8, 8);
	struct diskq_req *b = req(0, 1, &ext_a, BLK_WRITE, 16, 8);
	struct diskq_req *want[] = { w, f1, a, f2, b, f3 };

	assert_int_equal(diskq_submit(&q, w, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, f1, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, f2, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, f3, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, b, 1 * MS), 0);
	for (int i = 0; i < 6; i++) {
		assert_ptr_equal(on_disk, &want[i]->blk);
		finish_disk(BLK_OK);
		assert_int_equal(diskq_poll(&q, (2 + i) * MS), 1);
	}
	assert_null(on_disk);
	assert_int_equal(q.st.flushes, 3);
	assert_true(sched_consistent(&q.s));
}

/* A flush the disk fails, one the driver refuses, one on a failed disk:
 * each completes with its error and the queue goes on. */
static void test_flush_errors(void **state)
{
	(void)state;
	struct diskq_req *f1 = flush_req(0), *f2 = flush_req(0), *f3 = flush_req(0);
	struct diskq_req *r = req(0, 1, &ext_a, BLK_READ, 0, 8);

	assert_int_equal(diskq_submit(&q, f1, 1 * MS), 0);
	assert_int_equal(diskq_submit(&q, r, 1 * MS), 0);
	finish_disk(BLK_EIO);
	assert_int_equal(diskq_poll(&q, 2 * MS), 1);
	assert_int_equal(f1->status, BLK_EIO);
	assert_ptr_equal(on_disk, &r->blk);
	finish_disk(BLK_OK);
	diskq_poll(&q, 3 * MS);

	refuse_next = 1;
	assert_int_equal(diskq_submit(&q, f2, 4 * MS), 0);
	assert_int_equal(f2->status, BLK_EIO); /* done() at once, from submit */
	assert_ptr_equal(completed[2], f2);

	dev.failed = true;
	assert_int_equal(diskq_submit(&q, f3, 5 * MS), 0);
	assert_int_equal(f3->status, BLK_EFAILED);
	assert_int_equal(q.st.errors, 3);
	assert_int_equal(q.st.flushes, 3);
	assert_null(on_disk);
	assert_null(q.inflight);
}

/*
 * Anticipation: the disk idles for process 1; a flush arriving meanwhile
 * uses the idle disk.  The wait goes on in sched/'s books: 1 reading again
 * while the flush is on the disk is served next (a hit); not reading
 * again, the wait ends at its own deadline (a timeout) and the other
 * process's read goes.
 */
static void test_flush_during_anticipation(void **state)
{
	(void)state;
	struct sched_params p;
	struct sched_proc_stats st;
	struct diskq_req *b1;
	u64 t;

	sched_default_params(SCHED_ANTICIPATORY, &p);
	u64 until = idle_for_process_1(&p, &b1, &t);

	struct diskq_req *f = flush_req(1);
	assert_int_equal(diskq_submit(&q, f, t + 1000), 0);
	assert_ptr_equal(on_disk, &f->blk);
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER); /* the disk is busy */
	struct diskq_req *a6 = req(0, 1, &ext_a, BLK_READ, 40, 8);
	assert_int_equal(diskq_submit(&q, a6, t + 2000), 0);
	assert_ptr_equal(on_disk, &f->blk); /* one at a time */
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, t + 3000), 1);
	assert_ptr_equal(on_disk, &a6->blk); /* 1's read, before 2's */
	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), 0);
	assert_int_equal(st.antic_hits, 1);
	assert_int_equal(st.antic_timeouts, 0);

	/* Again, and 1 does not come back: the flush ends before the wait
	 * would; the wait resumes with its deadline and times out there. */
	finish_disk(BLK_OK);
	t += 200000;
	diskq_poll(&q, t);
	until = diskq_deadline(&q);
	assert_int_equal(until, t + p.antic_expire);
	struct diskq_req *f2 = flush_req(1);
	assert_int_equal(diskq_submit(&q, f2, t + 1000), 0);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, t + 2000), 1);
	assert_null(on_disk);
	assert_int_equal(diskq_deadline(&q), until);
	diskq_poll(&q, until);
	assert_ptr_equal(on_disk, &b1->blk);
	assert_int_equal(diskq_proc_stats(&q, 0, 1, &st), 0);
	assert_int_equal(st.antic_hits, 1);
	assert_int_equal(st.antic_timeouts, 1);
	assert_true(sched_consistent(&q.s));
}

/* The disk model charges a flush nothing: it completes when the real disk
 * has done it, and the model's head and clock are where they were. */
static void test_flush_with_model(void **state)
{
	(void)state;
	static struct hdd model, twin;
	struct hdd_params hp;
	struct diskq_req *a = req(0, 1, &ext_a, BLK_WRITE, 0, 8);
	struct diskq_req *f = flush_req(0);

	hdd_default_params(&hp);
	assert_int_equal(hdd_init(&model, &hp), 0);
	diskq_set_model(&q, &model);
	assert_int_equal(diskq_submit(&q, a, 1 * MS), 0);
	finish_disk(BLK_OK);
	diskq_poll(&q, 1 * MS); /* the real disk is done, the model holds it */
	u64 t_a = diskq_deadline(&q);
	assert_true(t_a > 1 * MS && t_a != SCHED_NEVER);
	assert_int_equal(diskq_poll(&q, t_a), 1);
	twin = model;
	assert_int_equal(diskq_submit(&q, f, t_a + 5), 0);
	assert_ptr_equal(on_disk, &f->blk);
	assert_int_equal(diskq_deadline(&q), SCHED_NEVER);
	finish_disk(BLK_OK);
	assert_int_equal(diskq_poll(&q, t_a + 10), 1); /* no hold */
	assert_int_equal(f->complete_ns, t_a + 10);
	assert_memory_equal(&model, &twin, sizeof(model));
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
		cmocka_unit_test_setup(test_pieces_one_after_another, setup_fcfs),
		cmocka_unit_test_setup(test_piece_errors, setup_fcfs),
		cmocka_unit_test_setup(test_driver_busy_resent, setup_fcfs),
		cmocka_unit_test_setup(test_model_holds, setup_fcfs),
		cmocka_unit_test_setup(test_proc_table_full, setup_fcfs),
		cmocka_unit_test_setup(test_bounce, setup_fcfs),
		cmocka_unit_test_setup(test_flush_free_disk, setup_fcfs),
		cmocka_unit_test_setup(test_flush_not_behind_sorted, setup_deadline),
		cmocka_unit_test_setup(test_flushes_take_turns, setup_fcfs),
		cmocka_unit_test_setup(test_flush_errors, setup_fcfs),
		cmocka_unit_test_setup(test_flush_during_anticipation, setup_as),
		cmocka_unit_test_setup(test_flush_with_model, setup_fcfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
