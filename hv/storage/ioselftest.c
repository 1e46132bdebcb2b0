/*
 * ioselftest.c - `selftest = iosched`: several processes' streams at once
 * through sched/ (the disk queue, diskq.c) and the real disk driver (glue).
 *
 * Guests cannot run where there is no VT-x (QEMU under TCG), yet that is
 * where the AHCI driver is tested.  So before any guest runs, this replays
 * what guest processes would do: per guest with a disk, two sequential
 * readers in their own regions and one random reader, each keyed as its own
 * process, each thinking a little between a completion and its next
 * request.  The same streams run under each policy (fcfs, deadline,
 * anticipatory).  Checked: every read carries the pattern written first
 * (data integrity), FCFS completes in arrival order, anticipation waits and
 * is rewarded for sequential readers, the anticipation deadline is kept
 * (how late the poll noticed it is measured), and a request past the
 * extent is refused before it reaches the disk.  One line per stream and
 * policy, then `iosched selftest: PASS ...` or `... FAIL ...`.
 */
#include "types.h"
#include "string.h"
#include "io.h"
#include "kprintf.h"
#include "pmm.h"
#include "tsc.h"
#include "handoff.h"
#include "sched/sched.h"
#include "storage/diskq.h"
#include "storage/pattern.h"
#include "storage/storage.h"

#define IOST_GUESTS 2            /* guests whose first extent is used */
#define IOST_STREAMS (3 * IOST_GUESTS)
#define IOST_REQ 16              /* sectors per request: 8 KiB.  Bochs spends a whole
				 * DMA transfer's emulated time inside one port access
				 * (5 ms for 32 KiB), and a dispatch between a process's
				 * reads adds that to its think time: 32 KiB requests
				 * made it longer than antic_expire. */
#define IOST_SEQ_MAX 32          /* requests per sequential stream, at most */
#define IOST_RANDOM 16           /* requests of the random stream */
#define IOST_RANDOM_LEN 8        /* sectors per random request */
#define IOST_THINK_SEQ_NS 300000ull  /* 0.3 ms: well inside antic_expire (6 ms) */
#define IOST_THINK_RAND_NS 1000000ull
#define IOST_CHECK_STEP 4        /* sectors verified per turn of the loop */
#define IOST_GIVE_UP_NS 120000000000ull /* 120 s of no progress: the disk hangs */

enum { SEQ, RANDOM };

struct stream {
	u32 guest;
	u64 key;
	const struct blk_extent *e;
	u8 kind;
	u8 op;
	u64 start, len;          /* the region, relative to the extent */
	u32 nreq, issued, done;
	u64 think_ns, next_at;
	bool busy;
	u64 rng;
	u8 *buf[2];              /* requests alternate between the two */
	u8 *check;               /* a read to verify, once the next one is out */
	u64 check_lba;
	u32 check_count, checked;
	struct diskq_req r;
	u32 bad, errs;
	u64 bytes;
};

static struct diskq q;
static struct stream st[IOST_STREAMS];
static u32 nst;
static u64 seed;
static u64 last_fcfs_submit; /* FCFS: completions must come in arrival order */
static u32 order_errors;

static u64 now_ns(void)
{
	return tsc_to_ns(rdtsc());
}

static u64 xorshift(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void stream_check(struct stream *s);

static void stream_done(struct diskq_req *r)
{
	struct stream *s = r->priv;

	s->busy = false;
	s->done++;
	s->next_at = r->complete_ns + s->think_ns;
	if (q.s.policy == SCHED_FCFS) {
		if (r->submit_ns < last_fcfs_submit)
			order_errors++;
		last_fcfs_submit = r->submit_ns;
	}
	if (r->status != BLK_OK) {
		if (s->errs++ == 0)
			kprintf("iosched selftest: guest %u proc %llu LBA %llu+%u: error %d\n",
				s->guest, (unsigned long long)s->key,
				(unsigned long long)(s->e->lba + r->lba), r->count, r->status);
		return;
	}
	s->bytes += (u64)r->count * BLK_SECTOR_SIZE;
	if (r->op == BLK_READ) {
		while (s->check) /* the previous one, if the disk outran us */
			stream_check(s);
		s->check = (u8 *)(uintptr_t)r->buf;
		s->check_lba = s->e->lba + r->lba;
		s->check_count = r->count;
		s->checked = 0;
	}
}

/*
 * Verify the next few sectors of a completed read, and make them stale
 * again for the buffer's next use.  Checking a whole read at once would
 * hold up the loop, and so every stream's next request, for milliseconds
 * in Bochs, and a process whose think time looks longer than antic_expire
 * (6 ms) is not worth waiting for.  So the loop checks a little per turn,
 * and only once the stream's next request is on its way.
 */
static void stream_check(struct stream *s)
{
	u32 n = s->check_count - s->checked;
	u8 *p = s->check + (u64)s->checked * BLK_SECTOR_SIZE;
	u64 first = 0;

	if (n > IOST_CHECK_STEP)
		n = IOST_CHECK_STEP;
	u32 bad = pattern_check(p, s->check_lba + s->checked, n, seed, &first);
	if (bad && s->bad == 0)
		kprintf("iosched selftest: guest %u proc %llu: %u bad sectors, first at LBA %llu\n",
			s->guest, (unsigned long long)s->key, bad, (unsigned long long)first);
	s->bad += bad;
	memset(p, 0xa5, (u64)n * BLK_SECTOR_SIZE);
	s->checked += n;
	if (s->checked == s->check_count)
		s->check = NULL;
}

static void stream_submit(struct stream *s, u64 now)
{
	struct diskq_req *r = &s->r;
	u32 i = s->issued;

	memset(r, 0, sizeof(*r));
	r->guest = s->guest;
	r->proc = s->key;
	r->ext = s->e;
	r->op = s->op;
	if (s->kind == SEQ) {
		r->lba = s->start + (u64)i * IOST_REQ;
		r->count = IOST_REQ;
	} else { /* 4 KiB anywhere in the two sequential regions (written first) */
		u64 x = xorshift(&s->rng);
		r->lba = (x & 1 ? s->e->sectors / 2 : 0) +
			 (x >> 1) % (s->len / IOST_RANDOM_LEN) * IOST_RANDOM_LEN;
		r->count = IOST_RANDOM_LEN;
	}
	u8 *buf = s->buf[i & 1];
	r->buf = (u64)(uintptr_t)buf;
	r->done = stream_done;
	r->priv = s;
	if (r->op == BLK_WRITE)
		pattern_fill(buf, s->e->lba + r->lba, r->count, seed);
	int rc = diskq_submit(&q, r, now);
	if (rc < 0) { /* refused before queueing: counts as that request's error */
		kprintf("iosched selftest: guest %u proc %llu: submit refused (%d)\n", s->guest,
			(unsigned long long)s->key, rc);
		s->errs++;
		s->done++;
	} else {
		s->busy = true;
	}
	s->issued++;
}

/* Run every stream to its end; returns how late (ns) the latest
 * anticipation deadline was noticed, or ~0 if the disk stopped moving.
 * *gap gets the longest time between two turns of the loop: a deadline
 * cannot be noticed sooner than that (a driver call that Bochs makes
 * slow, or the emulator's host being busy, takes the loop away). */
static u64 run_streams(u64 *gap)
{
	u64 late = 0, progress = now_ns(), prev = progress;
	u64 done_before = q.st.completed;

	*gap = 0;
	for (;;) {
		/* The driver first, the clock second: a driver call that takes
		 * long (in Bochs, emulated DMA time can land in one port access)
		 * then counts as disk time, not as the process's think time:
		 * diskq_poll() below finds the request finished and stamps it
		 * with this time. */
		q.dev->ops->poll(q.dev);
		u64 now = now_ns();
		if (now - prev > *gap)
			*gap = now - prev;
		prev = now;
		bool all_done = true;
		for (u32 i = 0; i < nst; i++) {
			struct stream *s = &st[i];
			if (s->done < s->nreq || s->check)
				all_done = false;
			if (!s->busy && s->issued < s->nreq && now >= s->next_at)
				stream_submit(s, now);
			if (s->check && (s->busy || s->issued == s->nreq))
				stream_check(s);
		}
		if (all_done)
			return late;
		u64 dl = diskq_deadline(&q);
		if (dl != SCHED_NEVER && now >= dl && now - dl > late)
			late = now - dl;
		if (diskq_poll(&q, now) || q.st.completed != done_before) {
			done_before = q.st.completed;
			progress = now;
		} else if (now - progress > IOST_GIVE_UP_NS) {
			return ~0ull;
		}
	}
}

static void setup_streams(const struct handoff *h)
{
	nst = 0;
	for (u32 g = 0; g < h->cfg.nguests && nst < IOST_STREAMS; g++) {
		const struct blk_extent *e = storage_guest_extent(g, 0);
		if (!e || e->sectors < 8 * IOST_REQ)
			continue;
		/* Two sequential regions, a quarter of the extent apart. */
		u64 len = e->sectors / 4 / IOST_REQ * IOST_REQ;
		if (len > (u64)IOST_SEQ_MAX * IOST_REQ)
			len = (u64)IOST_SEQ_MAX * IOST_REQ;
		for (u32 k = 0; k < 3; k++) {
			struct stream *s = &st[nst++];
			u8 *buf0 = s->buf[0], *buf1 = s->buf[1];
			memset(s, 0, sizeof(*s));
			s->buf[0] = buf0;
			s->buf[1] = buf1;
			s->guest = g;
			s->key = k + 1;
			s->e = e;
			s->kind = k < 2 ? SEQ : RANDOM;
			s->start = k == 1 ? e->sectors / 2 : 0;
			s->len = len;
		}
	}
}

/* Reset every stream for a phase: op, request count, think time. */
static void phase(u8 op)
{
	for (u32 i = 0; i < nst; i++) {
		struct stream *s = &st[i];
		s->op = op;
		s->issued = s->done = 0;
		s->busy = false;
		s->next_at = 0;
		s->rng = seed ^ (i + 1) * 0x9e3779b97f4a7c15ull; /* same random LBAs each policy */
		if (s->kind == SEQ) {
			s->nreq = (u32)(s->len / IOST_REQ);
			s->think_ns = IOST_THINK_SEQ_NS;
		} else {
			s->nreq = op == BLK_WRITE ? 0 : IOST_RANDOM;
			s->think_ns = IOST_THINK_RAND_NS;
		}
	}
}

static bool run_policy(enum sched_policy pol, u8 op)
{
	struct sched_stats before;

	if (diskq_init(&q, storage_guest_disk(), pol, NULL) < 0) {
		kprintf("iosched selftest: cannot set up %s\n", sched_policy_name(pol));
		return false;
	}
	before = q.s.stats;
	phase(op);
	last_fcfs_submit = 0;
	u64 t0 = now_ns(), gap;
	u64 late = run_streams(&gap);
	u64 ns = now_ns() - t0;
	if (late == ~0ull) {
		kprintf("iosched selftest: %s: the disk stopped completing requests\n",
			sched_policy_name(pol));
		return false;
	}
	for (u32 i = 0; i < nst; i++) {
		struct stream *s = &st[i];
		struct sched_proc_stats ps;
		if (diskq_proc_stats(&q, s->guest, s->key, &ps) < 0)
			memset(&ps, 0, sizeof(ps));
		if (s->nreq == 0)
			continue;
		kprintf("iosched selftest: %s %s guest=%u proc=%llu %s reqs=%u think_us=%llu "
			"wait_max_us=%llu antic_waits=%llu hits=%llu timeouts=%llu\n",
			sched_policy_name(pol), op == BLK_READ ? "read" : "write", s->guest,
			(unsigned long long)s->key, s->kind == SEQ ? "seq" : "random", s->nreq,
			(unsigned long long)(ps.think_samples ? ps.think_mean_ns / 1000 : 0),
			(unsigned long long)(ps.wait_max_ns / 1000),
			(unsigned long long)ps.antic_waits, (unsigned long long)ps.antic_hits,
			(unsigned long long)ps.antic_timeouts);
	}
	kprintf("iosched selftest: %s %s: %llu requests in %llu us, disk busy %llu%%, antic "
		"waits=%llu hits=%llu timeouts=%llu, deadline noticed at most %llu us late (longest loop turn %llu us)\n",
		sched_policy_name(pol), op == BLK_READ ? "read" : "write",
		(unsigned long long)q.st.completed, (unsigned long long)(ns / 1000),
		(unsigned long long)(ns ? q.st.busy_ns * 100 / ns : 0),
		(unsigned long long)(q.s.stats.antic_waits - before.antic_waits),
		(unsigned long long)(q.s.stats.antic_hits - before.antic_hits),
		(unsigned long long)(q.s.stats.antic_timeouts - before.antic_timeouts),
		(unsigned long long)(late / 1000), (unsigned long long)(gap / 1000));
	return true;
}

int iosched_selftest(const struct handoff *h)
{
	static const enum sched_policy pols[] = { SCHED_FCFS, SCHED_DEADLINE, SCHED_ANTICIPATORY };
	const u64 pages = (u64)IOST_REQ * BLK_SECTOR_SIZE / PAGE_SIZE;
	bool ok = true;
	u64 antic_hits = 0;

	if (h->cfg.selftest != SELFTEST_IOSCHED)
		return 0;
	if (!storage_guest_disk()) {
		kprintf("iosched selftest: FAIL no guest disk\n");
		return -1;
	}
	seed = rdtsc();
	for (u32 i = 0; i < IOST_STREAMS; i++)
		for (u32 b = 0; b < 2; b++)
			if (!st[i].buf[b]) {
				st[i].buf[b] = pmm_alloc_pages(pages);
				memset(st[i].buf[b], 0xa5, pages * PAGE_SIZE);
			}
	setup_streams(h);
	kprintf("iosched selftest: start, %u streams on %s (%s), seed 0x%llx\n", nst,
		storage_guest_disk()->name, storage_guest_disk()->transport,
		(unsigned long long)seed);
	if (nst == 0) {
		kprintf("iosched selftest: FAIL no guest extent large enough\n");
		return -1;
	}

	/* The sequential streams write the pattern the reads will check. */
	ok &= run_policy(SCHED_ANTICIPATORY, BLK_WRITE);
	for (u32 p = 0; p < sizeof(pols) / sizeof(pols[0]); p++) {
		ok &= run_policy(pols[p], BLK_READ);
		if (pols[p] == SCHED_ANTICIPATORY)
			antic_hits = q.s.stats.antic_hits;
	}

	/* The extent's end, through the same queue the guests use. */
	struct diskq_req past = { .guest = st[0].guest, .proc = 1, .ext = st[0].e, .op = BLK_WRITE,
				  .lba = st[0].e->sectors, .count = 1,
				  .buf = (u64)(uintptr_t)st[0].buf[0] };
	bool refused = diskq_submit(&q, &past, now_ns()) == BLK_ERANGE;

	u32 bad = 0, errs = 0;
	for (u32 i = 0; i < nst; i++) {
		bad += st[i].bad;
		errs += st[i].errs;
	}
	ok = ok && bad == 0 && errs == 0 && order_errors == 0 && antic_hits > 0 && refused;
	kprintf("iosched selftest: %s %u streams, %u bad sectors, %u I/O errors, %u FCFS order "
		"errors, %llu anticipation hits, past-the-end write %s\n",
		ok ? "PASS" : "FAIL", nst, bad, errs, order_errors, (unsigned long long)antic_hits,
		refused ? "refused" : "NOT refused");
	return ok ? 0 : -1;
}
