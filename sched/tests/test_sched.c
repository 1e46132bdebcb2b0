/*
 * test_sched.c - pins each policy's decisions on hand-built cases.
 *
 * Time is driven by hand: a test adds requests, asks for a decision at a
 * chosen time, and completes requests when it says the disk finished.  The
 * last tests run a small closed loop (fixed 1 ms service) to check that
 * expiry bounds every request's wait, and that without expiry the same load
 * does starve a request, so that the bound is not vacuous.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "types.h"
#include "sched/sched.h"

#define US SCHED_NS_PER_US
#define MS SCHED_NS_PER_MS
#define DISK (1ull << 30)		/* sectors: 512 GiB */
#define FAR (10ull * 1000 * 1000)	/* sectors: far from anything near 0 */
#define NSLOTS 64
#define NPROCS 16

static struct sched S;
static struct sched_slot slots[NSLOTS];
static struct sched_proc procs[NPROCS];

/* Processes: A and B in guest 0, X with A's key in guest 1. */
#define A 0, 1
#define B 0, 2
#define X 1, 1

static void setup_with(enum sched_policy pol, const struct sched_params *p)
{
	assert_int_equal(sched_init(&S, pol, p, DISK, slots, NSLOTS, procs, NPROCS), SCHED_OK);
	assert_int_equal(sched_proc_add(&S, A), SCHED_OK);
	assert_int_equal(sched_proc_add(&S, B), SCHED_OK);
	assert_int_equal(sched_proc_add(&S, X), SCHED_OK);
}

static void setup(enum sched_policy pol)
{
	struct sched_params p;
	sched_default_params(pol, &p);
	setup_with(pol, &p);
}

static int add_req(u32 g, u64 k, u64 lba, u32 n, int dir, u64 t)
{
	struct sched_req r = { .guest = g, .proc = k, .lba = lba, .nsect = n, .dir = (u8)dir,
			       .arrival = t };
	return sched_add(&S, &r);
}

/* A read of 8 sectors that must be accepted. */
static int rd(u32 g, u64 k, u64 lba, u64 t)
{
	int id = add_req(g, k, lba, 8, SCHED_READ, t);
	assert_true(id >= 0);
	return id;
}

static int wr(u32 g, u64 k, u64 lba, u64 t)
{
	int id = add_req(g, k, lba, 8, SCHED_WRITE, t);
	assert_true(id >= 0);
	return id;
}

static struct sched_decision decide(u64 now)
{
	struct sched_decision d;
	assert_int_equal(sched_dispatch(&S, now, &d), SCHED_OK);
	return d;
}

static int expect_dispatch(u64 now)
{
	struct sched_decision d = decide(now);
	assert_int_equal(d.action, SCHED_DISPATCH);
	return d.id;
}

static u64 expect_idle(u64 now)
{
	struct sched_decision d = decide(now);
	assert_int_equal(d.action, SCHED_IDLE);
	assert_true(d.until > now);
	return d.until;
}

static void done(int id, u64 now)
{
	assert_int_equal(sched_complete(&S, id, now), SCHED_OK);
}

static struct sched_proc_stats stats(u32 g, u64 k)
{
	struct sched_proc_stats st;
	assert_int_equal(sched_proc_stats(&S, g, k, &st), SCHED_OK);
	return st;
}

/* ------------------------------------------------------------ bad input */

static void test_bad_requests_leave_state_alone(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int a = rd(A, 100, 1 * MS);

	assert_int_equal(add_req(A, 200, 0, SCHED_READ, 2 * MS), SCHED_ELEN);
	assert_int_equal(add_req(A, DISK - 4, 8, SCHED_READ, 2 * MS), SCHED_ERANGE);
	assert_int_equal(add_req(A, DISK, 1, SCHED_READ, 2 * MS), SCHED_ERANGE);
	assert_int_equal(add_req(A, 16, UINT32_MAX, SCHED_READ, 2 * MS), SCHED_ERANGE);
	assert_int_equal(add_req(0, 99, 200, 8, SCHED_READ, 2 * MS), SCHED_ENOPROC);
	assert_int_equal(add_req(7, 1, 200, 8, SCHED_READ, 2 * MS), SCHED_ENOPROC);
	assert_int_equal(add_req(A, 200, 8, 2, 2 * MS), SCHED_EINVAL);
	assert_int_equal(add_req(A, 200, 8, SCHED_READ, 0), SCHED_ETIME);
	assert_int_equal(sched_add(&S, NULL), SCHED_EINVAL);
	assert_true(sched_consistent(&S));
	assert_int_equal(stats(A).queued, 1);
	assert_int_equal(stats(A).seek_samples, 0);

	/* Only the good request is there, and it still flows. */
	assert_int_equal(expect_dispatch(2 * MS), a);
	assert_int_equal(decide(2 * MS).action, SCHED_EMPTY);
	assert_int_equal(sched_complete(&S, a + 1, 3 * MS), SCHED_EBADID);
	assert_int_equal(sched_complete(&S, -1, 3 * MS), SCHED_EBADID);
	assert_int_equal(sched_complete(&S, NSLOTS, 3 * MS), SCHED_EBADID);
	assert_int_equal(sched_complete(&S, a, 1 * MS), SCHED_ETIME);
	done(a, 3 * MS);
	assert_int_equal(sched_complete(&S, a, 3 * MS), SCHED_EBADID);
	struct sched_decision d;
	assert_int_equal(sched_dispatch(&S, 2 * MS, &d), SCHED_ETIME);
	assert_true(sched_consistent(&S));
	assert_int_equal(stats(A).reads, 1);
}

static void test_process_table(void **unused)
{
	setup(SCHED_FCFS);
	assert_int_equal(sched_proc_add(&S, A), SCHED_EEXIST);
	for (u64 k = 100; k < 100 + NPROCS - 3; k++)
		assert_int_equal(sched_proc_add(&S, 0, k), SCHED_OK);
	assert_int_equal(sched_proc_add(&S, 0, 999), SCHED_EFULL);

	int a = rd(A, 0, 0);
	assert_int_equal(sched_proc_remove(&S, A), SCHED_EBUSY);
	assert_int_equal(sched_proc_remove(&S, 0, 999), SCHED_ENOPROC);
	assert_int_equal(expect_dispatch(0), a);
	assert_int_equal(sched_proc_remove(&S, A), SCHED_EBUSY);
	done(a, 1 * MS);
	assert_int_equal(sched_proc_remove(&S, A), SCHED_OK);
	assert_int_equal(add_req(A, 0, 8, SCHED_READ, 2 * MS), SCHED_ENOPROC);
	struct sched_proc_stats st;
	assert_int_equal(sched_proc_stats(&S, A, &st), SCHED_ENOPROC);
	/* The freed entry is reusable, and starts from a clean history. */
	assert_int_equal(sched_proc_add(&S, 0, 999), SCHED_OK);
	assert_int_equal(stats(0, 999).reads, 0);
	assert_true(sched_consistent(&S));
}

static void test_pool_full(void **unused)
{
	setup(SCHED_DEADLINE);
	for (int i = 0; i < NSLOTS; i++)
		assert_int_equal(rd(A, (u64)i * 8, 0), i);
	assert_int_equal(add_req(B, 0, 8, SCHED_READ, 0), SCHED_EFULL);
	assert_int_equal(stats(B).queued, 0);
	assert_true(sched_consistent(&S));
	int id = expect_dispatch(0);
	done(id, 1 * MS);
	assert_int_equal(rd(B, 0, 1 * MS), id);
	assert_true(sched_consistent(&S));
}

static void test_init_rejects_bad_params(void **unused)
{
	struct sched_params p;
	sched_default_params(SCHED_ANTICIPATORY, &p);
	p.back_penalty = 0;
	assert_int_equal(sched_init(&S, SCHED_ANTICIPATORY, &p, DISK, slots, NSLOTS, procs,
				    NPROCS), SCHED_EINVAL);
	sched_default_params(SCHED_ANTICIPATORY, &p);
	assert_int_equal(sched_init(&S, SCHED_NPOLICIES, &p, DISK, slots, NSLOTS, procs,
				    NPROCS), SCHED_EINVAL);
	assert_int_equal(sched_init(&S, SCHED_FCFS, &p, 0, slots, NSLOTS, procs, NPROCS),
			 SCHED_EINVAL);
	assert_int_equal(sched_init(&S, SCHED_FCFS, &p, DISK, slots, 0, procs, NPROCS),
			 SCHED_EINVAL);
}

/* ------------------------------------------------------------ fcfs, deadline */

static void test_fcfs_keeps_arrival_order(void **unused)
{
	setup(SCHED_FCFS);
	int r1 = rd(A, 5000, 0), w = wr(B, 10, 1), r2 = rd(X, 100, 2);
	assert_int_equal(expect_dispatch(10), r1);
	assert_int_equal(expect_dispatch(10), w);
	assert_int_equal(expect_dispatch(10), r2);
	assert_int_equal(decide(10).action, SCHED_EMPTY);
}

static void test_deadline_sweeps_forward(void **unused)
{
	setup(SCHED_DEADLINE);
	int r500 = rd(A, 500, 0), r100 = rd(A, 100, 0), r300 = rd(B, 300, 0);
	assert_int_equal(expect_dispatch(0), r100);
	done(r100, 1 * MS);
	int r50 = rd(X, 50, 1 * MS), r900 = rd(X, 900, 1 * MS);
	/* The head is at 108: on through 300, 500, 900; 50 waits for the next sweep. */
	assert_int_equal(expect_dispatch(1 * MS), r300);
	assert_int_equal(expect_dispatch(1 * MS), r500);
	assert_int_equal(expect_dispatch(1 * MS), r900);
	assert_int_equal(expect_dispatch(1 * MS), r50);
}

/*
 * A streams forward from sector 1M with its next read always queued; B's read
 * at sector 0 is behind the head.  The sweep passes B by until B expires, then
 * serves it at the next batch, within fifo_batch dispatches.
 */
static u64 stream_until_served(u64 victim_lba, int victim_dir, u64 limit)
{
	u64 t = 0, lba = 1000000;
	int a = rd(A, lba, t);
	assert_int_equal(expect_dispatch(t), a);
	int v = add_req(B, victim_lba, 8, victim_dir, t);
	assert_true(v >= 0);
	for (;;) {
		t += 1 * MS;
		done(a, t);
		if (t > limit)
			return SCHED_NEVER;
		lba += 8;
		a = rd(A, lba, t);
		int id = expect_dispatch(t);
		if (id == v)
			return t;
		assert_int_equal(id, a);
	}
}

static void test_deadline_honours_read_expiry(void **unused)
{
	setup(SCHED_DEADLINE);
	u64 t = stream_until_served(0, SCHED_READ, 2000 * MS);
	assert_true(t >= 500 * MS);
	assert_true(t <= 500 * MS + 16 * MS);
	assert_int_equal(stats(B).wait_max_ns, t);

	/* Without expiry, the same stream starves B. */
	struct sched_params p;
	sched_default_params(SCHED_DEADLINE, &p);
	p.read_expire = 1000000 * MS;
	setup_with(SCHED_DEADLINE, &p);
	assert_int_equal(stream_until_served(0, SCHED_READ, 2000 * MS), SCHED_NEVER);
}

static void test_deadline_writes_starved(void **unused)
{
	setup(SCHED_DEADLINE);
	int w = wr(B, 100000, 0);
	for (int i = 0; i < 40; i++)
		rd(A, (u64)i * 8, 0);
	/* Two batches of 16 reads pass the write by, then it goes. */
	for (int i = 0; i < 32; i++)
		assert_int_not_equal(expect_dispatch(0), w);
	assert_int_equal(expect_dispatch(0), w);
}

/* ------------------------------------------------------------ anticipatory */

/* A has just read at sector 1000 (completed at 1 ms); B's read waits far away. */
static int a_read_then_b_waits(void)
{
	int a = rd(A, 1000, 0);
	int b = rd(B, FAR, 0);
	assert_int_equal(expect_dispatch(0), a);
	done(a, 1 * MS);
	return b;
}

static void test_as_waits_for_same_process(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int b = a_read_then_b_waits();
	assert_int_equal(expect_idle(1 * MS), 1 * MS + 6 * MS);
	assert_int_equal(expect_idle(3 * MS), 1 * MS + 6 * MS);
	int a2 = rd(A, 1008, 3 * MS);
	struct sched_decision d = decide(3 * MS);
	assert_int_equal(d.action, SCHED_DISPATCH);
	assert_int_equal(d.id, a2);
	assert_int_equal(d.req.lba, 1008);
	assert_int_equal(d.req.guest, 0);
	assert_int_equal(d.req.proc, 1);
	struct sched_proc_stats st = stats(A);
	assert_int_equal(st.antic_waits, 1);
	assert_int_equal(st.antic_hits, 1);
	assert_int_equal(st.antic_timeouts, 0);
	done(a2, 4 * MS);
	assert_int_equal(stats(B).queued, 1);
	(void)b;
}

static void test_deadline_is_fooled_by_deceptive_idleness(void **unused)
{
	setup(SCHED_DEADLINE);
	int b = a_read_then_b_waits();
	assert_int_equal(expect_dispatch(1 * MS), b);
}

static void test_as_stops_at_timeout(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int b = a_read_then_b_waits();
	assert_int_equal(expect_idle(1 * MS), 7 * MS);
	assert_int_equal(expect_idle(7 * MS - 1), 7 * MS);
	assert_int_equal(expect_dispatch(7 * MS), b);
	assert_int_equal(stats(A).antic_waits, 1);
	assert_int_equal(stats(A).antic_timeouts, 1);
	assert_int_equal(stats(A).antic_hits, 0);
	/* A's read, arriving after the timeout, is served normally. */
	int a2 = rd(A, 1008, 8 * MS);
	assert_int_equal(expect_dispatch(8 * MS), a2);
}

static void test_as_empty_queue_still_anticipates(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int a = rd(A, 1000, 0);
	assert_int_equal(expect_dispatch(0), a);
	done(a, 1 * MS);
	assert_int_equal(decide(1 * MS).action, SCHED_EMPTY);
	rd(B, FAR, 2 * MS);
	assert_int_equal(expect_idle(2 * MS), 7 * MS);
}

/* The close window starts at 8192 sectors ahead and doubles each ms: a read
 * 20000 sectors ahead becomes close after 2 ms of waiting. */
static void test_as_close_window_widens(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int a = rd(A, 1000, 0);
	assert_int_equal(expect_dispatch(0), a);
	done(a, 1 * MS);
	int b = rd(B, 1008 + 20000, 1 * MS);
	assert_int_equal(expect_idle(1 * MS), 3 * MS);
	assert_int_equal(expect_dispatch(3 * MS), b);

	/* Reads 4000 sectors ahead, or 3000 behind, are close at once. */
	done(b, 4 * MS);
	a = rd(A, 21016 + 4000, 4 * MS);
	assert_int_equal(expect_dispatch(4 * MS), a);
	done(a, 5 * MS);
	b = rd(B, 25024 - 3000, 5 * MS);
	assert_int_equal(expect_dispatch(5 * MS), b);
	assert_int_equal(stats(A).antic_waits, 1);
	assert_int_equal(stats(B).antic_waits, 0);
}

/* Two processes with the same key in two guests are two processes. */
static void test_as_key_includes_guest(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int a = rd(A, 1000, 0);
	assert_int_equal(expect_dispatch(0), a);
	done(a, 1 * MS);
	int x = rd(X, FAR, 1 * MS);
	assert_int_equal(expect_idle(1 * MS), 7 * MS);
	assert_int_equal(expect_dispatch(7 * MS), x);
}

/*
 * Train process A: `rounds` reads, each thinking `think` after the previous
 * completed, seeking `jump` sectors each time.  Returns the time of the last
 * completion (which arms an anticipation for A).
 */
static u64 train(int rounds, u64 think, u64 jump)
{
	u64 t = 0, lba = 1000;
	for (int i = 0; i < rounds; i++) {
		int a = rd(A, lba, t);
		assert_int_equal(expect_dispatch(t), a);
		t += 1 * MS;
		done(a, t);
		t += think;
		lba += jump;
	}
	return t - think;
}

static void test_as_skips_long_thinkers(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	u64 t = train(5, 10 * MS, 8);
	assert_true(stats(A).think_mean_ns > 6 * MS);
	int b = rd(B, FAR, t);
	assert_int_equal(expect_dispatch(t), b);
	assert_int_equal(stats(A).antic_waits, 0);

	/* The same with a 1 ms thinker: worth the wait. */
	setup(SCHED_ANTICIPATORY);
	t = train(5, 1 * MS, 8);
	rd(B, FAR, t);
	assert_int_equal(expect_idle(t), t + 6 * MS);
}

/* A process that seeks 3M sectors between reads gains nothing from waiting
 * when a queued read is 500k sectors from the head. */
static void test_as_skips_seeky_processes(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	u64 t = train(5, 100 * US, 3000000);
	assert_true(stats(A).seek_mean_sectors > 500000);
	u64 head = 1000 + 4 * 3000000 + 8;
	int b = rd(B, head + 500000, t);
	assert_int_equal(expect_dispatch(t), b);

	/* A sequential reader, the same distance: wait. */
	setup(SCHED_ANTICIPATORY);
	t = train(5, 100 * US, 8);
	rd(B, 1000 + 4 * 8 + 8 + 500000, t);
	assert_int_equal(expect_idle(t), t + 6 * MS);
}

static void test_as_process_exit_ends_wait(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int b = a_read_then_b_waits();
	expect_idle(1 * MS);
	assert_int_equal(sched_proc_remove(&S, A), SCHED_OK);
	assert_int_equal(expect_dispatch(1 * MS), b);
	assert_true(sched_consistent(&S));
}

/* A queued read that expires during the wait ends it at its expiry. */
static void test_as_expiry_ends_wait(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	int b = rd(B, FAR, 0);
	u64 t = 125 * MS - 3 * MS;
	int a = rd(A, 1000, t);
	assert_int_equal(expect_dispatch(t), a);
	done(a, t + 1 * MS);
	assert_int_equal(expect_idle(t + 1 * MS), 125 * MS);
	rd(A, 1008, 125 * MS);
	assert_int_equal(expect_dispatch(125 * MS), b);
}

/* An anticipating stream passes B by until B expires, then B goes next. */
static void test_as_read_expiry_bounds_wait(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	u64 t = stream_until_served(0, SCHED_READ, 2000 * MS);
	assert_true(t >= 125 * MS);
	assert_true(t <= 125 * MS + 1 * MS);

	struct sched_params p;
	sched_default_params(SCHED_ANTICIPATORY, &p);
	p.read_expire = 1000000 * MS;
	setup_with(SCHED_ANTICIPATORY, &p);
	assert_int_equal(stream_until_served(0, SCHED_READ, 2000 * MS), SCHED_NEVER);
}

/* A write waits for the read batch to end (500 ms), then starts the write batch. */
static void test_as_write_waits_for_read_batch(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	u64 t = stream_until_served(FAR, SCHED_WRITE, 2000 * MS);
	assert_true(t >= 500 * MS);
	assert_true(t <= 500 * MS + 1 * MS);
}

static void test_as_history_means(void **unused)
{
	setup(SCHED_ANTICIPATORY);
	/* Reads at 0, 8 (sequential), 1016 (a 1000-sector jump); think 2 then 4 ms. */
	int a = rd(A, 0, 0);
	assert_int_equal(expect_dispatch(0), a);
	done(a, 1 * MS);
	a = rd(A, 8, 3 * MS);
	assert_int_equal(expect_dispatch(3 * MS), a);
	done(a, 4 * MS);
	a = rd(A, 1016, 8 * MS);
	struct sched_proc_stats st = stats(A);
	/* Decayed means, new sample 1/8, bias-corrected: (28 x + 32 y) / 60. */
	assert_int_equal(st.think_samples, 2);
	assert_int_equal(st.think_mean_ns, 3066667);
	assert_int_equal(st.seek_samples, 2);
	assert_int_equal(st.seek_mean_sectors, 533);
	assert_int_equal(st.reads, 2);
	assert_int_equal(st.queued, 1);

	/* A constant sample converges to itself. */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(expect_dispatch(8 * MS + (u64)i * 3 * MS), a);
		done(a, 8 * MS + (u64)i * 3 * MS + 1 * MS);
		a = rd(A, 1024 + (u64)i * 8, 8 * MS + (u64)(i + 1) * 3 * MS);
	}
	st = stats(A);
	assert_true(st.think_mean_ns >= 2 * MS - 1000 && st.think_mean_ns <= 2 * MS + 1000);
	assert_true(st.seek_mean_sectors <= 1);
}

/* ------------------------------------------------------------ no starvation */

/*
 * A closed loop on a disk that takes 1 ms per request: two sequential readers
 * in two guests (think 0.1 ms) and a random reader (think 0.3 ms), each with
 * one read outstanding, and a
 * sequential writer keeping 4 writes queued.  Returns the longest time any
 * request waited from arrival to dispatch (or until the end, if never served).
 */
struct hproc {
	u32 g;
	u64 k;
	u8 dir;
	bool random;
	u64 next, think, ready;
	u32 depth, out;
};

static u64 max_wait[2];

static void run_mix(enum sched_policy pol, const struct sched_params *p, u64 horizon)
{
	struct hproc hp[] = {
		{ 0, 1, SCHED_READ, false, 0, 100 * US, 0, 1, 0 },
		{ 1, 1, SCHED_READ, false, 100000000, 100 * US, 0, 1, 0 },
		{ 0, 2, SCHED_READ, true, 0, 300 * US, 0, 1, 0 },
		{ 1, 2, SCHED_WRITE, false, 50000000, 0, 0, 4, 0 },
	};
	int owner[NSLOTS];
	u64 rng = 12345;

	assert_int_equal(sched_init(&S, pol, p, DISK, slots, NSLOTS, procs, NPROCS), SCHED_OK);
	for (size_t i = 0; i < ARRAY_SIZE(hp); i++)
		assert_int_equal(sched_proc_add(&S, hp[i].g, hp[i].k), SCHED_OK);
	max_wait[0] = max_wait[1] = 0;

	u64 t = 0, done_at = 0, wake = SCHED_NEVER;
	int busy = -1;
	for (;;) {
		if (busy >= 0 && done_at == t) {
			struct hproc *h = &hp[owner[busy]];
			done(busy, t);
			h->out--;
			h->ready = t + h->think;
			busy = -1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(hp); i++) {
			struct hproc *h = &hp[i];
			while (h->out < h->depth && h->ready <= t) {
				u64 lba = h->next;
				if (h->random) {
					rng = rng * 6364136223846793005ull + 1442695040888963407ull;
					lba = (rng >> 33) % 200000000;
				}
				int id = add_req(h->g, h->k, lba, 8, h->dir, t);
				assert_true(id >= 0);
				owner[id] = (int)i;
				h->next = lba + 8;
				h->out++;
			}
		}
		if (busy < 0) {
			struct sched_decision d = decide(t);
			wake = SCHED_NEVER;
			if (d.action == SCHED_DISPATCH) {
				busy = d.id;
				done_at = t + 1 * MS;
				u64 w = t - d.req.arrival;
				if (w > max_wait[d.req.dir])
					max_wait[d.req.dir] = w;
			} else if (d.action == SCHED_IDLE) {
				assert_true(d.until > t);
				wake = d.until;
			}
		}
		u64 next = busy >= 0 ? done_at : wake;
		for (size_t i = 0; i < ARRAY_SIZE(hp); i++)
			if (hp[i].out < hp[i].depth && hp[i].ready > t && hp[i].ready < next)
				next = hp[i].ready;
		if (next >= horizon)
			break;
		t = next;
	}
	/* Every wait ended one way or another, or is the one still going on. */
	const struct sched_stats *st = &S.stats;
	u64 ongoing = S.antic.armed && S.antic.waited;
	assert_int_equal(st->antic_waits,
			 st->antic_hits + st->antic_timeouts + st->antic_broken + ongoing);
	/* Requests never served waited until the end. */
	for (int i = 0; i < NSLOTS; i++) {
		const struct sched_slot *sl = &slots[i];
		if (sl->state == 1 /* SLOT_QUEUED */ && horizon - sl->req.arrival > max_wait[sl->req.dir])
			max_wait[sl->req.dir] = horizon - sl->req.arrival;
	}
	assert_true(sched_consistent(&S));
}

static void test_as_expiry_bounds_every_wait(void **unused)
{
	struct sched_params p;
	sched_default_params(SCHED_ANTICIPATORY, &p);
	run_mix(SCHED_ANTICIPATORY, &p, 3000 * MS);
	assert_true(S.stats.antic_hits > 100);
	/* A read: its expiry, plus a write batch that was running, plus the
	 * older expired reads ahead of it.  A write: a read batch, then the
	 * writes ahead of it in its own batch. */
	assert_true(max_wait[SCHED_READ] <= p.read_expire + p.write_batch_expire + 10 * MS);
	assert_true(max_wait[SCHED_WRITE] <= p.read_batch_expire + p.write_batch_expire + 10 * MS);

	/* Without expiry and batch ends, the load does starve someone. */
	p.read_expire = p.write_expire = p.read_batch_expire = p.write_batch_expire = 100000 * MS;
	run_mix(SCHED_ANTICIPATORY, &p, 3000 * MS);
	assert_true(max_wait[SCHED_READ] > 2000 * MS);
}

static void test_deadline_expiry_bounds_every_wait(void **unused)
{
	struct sched_params p;
	sched_default_params(SCHED_DEADLINE, &p);
	run_mix(SCHED_DEADLINE, &p, 3000 * MS);
	u64 batches = 3ull * p.fifo_batch * MS;
	assert_true(max_wait[SCHED_READ] <= p.read_expire + batches);
	assert_true(max_wait[SCHED_WRITE] <= p.write_expire + batches);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_requests_leave_state_alone),
		cmocka_unit_test(test_process_table),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_init_rejects_bad_params),
		cmocka_unit_test(test_fcfs_keeps_arrival_order),
		cmocka_unit_test(test_deadline_sweeps_forward),
		cmocka_unit_test(test_deadline_honours_read_expiry),
		cmocka_unit_test(test_deadline_writes_starved),
		cmocka_unit_test(test_as_waits_for_same_process),
		cmocka_unit_test(test_deadline_is_fooled_by_deceptive_idleness),
		cmocka_unit_test(test_as_stops_at_timeout),
		cmocka_unit_test(test_as_empty_queue_still_anticipates),
		cmocka_unit_test(test_as_close_window_widens),
		cmocka_unit_test(test_as_key_includes_guest),
		cmocka_unit_test(test_as_skips_long_thinkers),
		cmocka_unit_test(test_as_skips_seeky_processes),
		cmocka_unit_test(test_as_process_exit_ends_wait),
		cmocka_unit_test(test_as_expiry_ends_wait),
		cmocka_unit_test(test_as_read_expiry_bounds_wait),
		cmocka_unit_test(test_as_write_waits_for_read_batch),
		cmocka_unit_test(test_as_history_means),
		cmocka_unit_test(test_as_expiry_bounds_every_wait),
		cmocka_unit_test(test_deadline_expiry_bounds_every_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
