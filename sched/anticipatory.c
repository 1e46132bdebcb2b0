/*
 * anticipatory.c - the anticipatory policy: after Iyer and Druschel (SOSP
 * 2001) and Linux's as-iosched (2.6.0 to 2.6.32).
 *
 * A process that reads a file sequentially has one read outstanding at a
 * time.  When that read completes, the process thinks briefly, then asks for
 * the next blocks, right where the head is.  A scheduler that dispatches at
 * once sees only other processes' requests in the queue and seeks away: it is
 * fooled by the process's "deceptive idleness".  This policy instead keeps the
 * disk idle for up to antic_expire, waiting for that process, when its history
 * says the wait pays: it thinks for less than antic_expire on average, and its
 * reads land nearer to each other than the best request already queued lies
 * from the head.  The process is (guest, key): in a VMM that knows only guests,
 * two readers in one guest look like one process that seeks all the time, and
 * anticipation never pays (the Antfarm case study).
 *
 * Around it, as in as-iosched:
 *  - batches: reads run for read_batch_expire, then writes, if any wait, for
 *    write_batch_expire; a batch starts with its direction's oldest request;
 *  - expiry: a request older than read_expire / write_expire goes next in its
 *    direction's batch, before any anticipation, so no reader can hold the
 *    disk for ever;
 *  - the elevator: otherwise the cheapest request from the head, backward
 *    seeks allowed up to max_back at back_penalty times their distance.
 *
 * Anticipation is judged in sectors, not milliseconds: the scheduler has no
 * disk model.  The paper's benefit (positioning time of the best queued
 * request minus that of the process's next one) becomes "the best queued
 * request is farther from the head than the process's mean seek distance and
 * outside the close window"; its cost (the process's think time) must stay
 * under antic_expire.
 */
#include "types.h"
#include "sched.h"
#include "internal.h"

/* The close window doubles after each ms of waiting, up to this many times
 * (as-iosched): the longer the disk has idled, the less of the gain is left. */
#define CLOSE_STEP SCHED_NS_PER_MS
#define CLOSE_MAX_SHIFT 20

enum antic_outcome { ANTIC_HIT, ANTIC_TIMEOUT, ANTIC_BROKEN };

static u64 batch_end(const struct sched *s)
{
	u64 len = s->batch_dir == SCHED_READ ? s->p.read_batch_expire : s->p.write_batch_expire;
	return s->batch_start + len;
}

static bool think_ok(const struct sched *s, const struct sched_proc *p)
{
	return p->st.think_samples == 0 || sched_mean_get(&p->think) <= s->p.antic_expire;
}

static void antic_end(struct sched *s, enum antic_outcome why)
{
	struct sched_antic *a = &s->antic;
	if (!a->armed)
		return;
	a->armed = false;
	if (!a->waited)
		return;
	struct sched_proc *p = &s->procs[a->proc];
	switch (why) {
	case ANTIC_HIT:
		s->stats.antic_hits++;
		p->st.antic_hits++;
		break;
	case ANTIC_TIMEOUT:
		s->stats.antic_timeouts++;
		p->st.antic_timeouts++;
		break;
	case ANTIC_BROKEN:
		s->stats.antic_broken++;
		break;
	}
}

/* Could anticipation keep a read batch going with no read queued? */
static bool antic_holds(const struct sched *s, u64 now)
{
	const struct sched_antic *a = &s->antic;
	return a->armed && now < a->until && think_ok(s, &s->procs[a->proc]);
}

static bool in_window(const struct sched *s, u64 lba, u32 shift)
{
	if (lba >= s->head)
		return lba - s->head <= s->p.close_ahead << shift;
	return s->head - lba <= s->p.close_behind << shift;
}

static bool is_close(const struct sched *s, u64 lba, u64 now)
{
	u64 shift = (now - s->antic.start) / CLOSE_STEP;
	return in_window(s, lba, shift > CLOSE_MAX_SHIFT ? CLOSE_MAX_SHIFT : (u32)shift);
}

/* The first moment of this anticipation at which lba counts as close. */
static u64 close_time(const struct sched *s, u64 lba)
{
	for (u32 k = 0; k <= CLOSE_MAX_SHIFT; k++)
		if (in_window(s, lba, k))
			return s->antic.start + k * CLOSE_STEP;
	return SCHED_NEVER;
}

/*
 * A read batch, and the last read's process may come back.  Returns that
 * process's read (it came), CHOOSE_IDLE (keep waiting), or cand (stop).
 */
static int anticipate(struct sched *s, u64 now, int cand, u64 *until)
{
	struct sched_antic *a = &s->antic;
	struct sched_proc *p = &s->procs[a->proc];

	int mine = sched_elevator_best(s, SCHED_READ, a->proc);
	if (mine >= 0) {
		antic_end(s, ANTIC_HIT);
		return mine;
	}
	if (now >= a->until) {
		antic_end(s, ANTIC_TIMEOUT);
		return cand;
	}
	if (!think_ok(s, p)) {
		antic_end(s, ANTIC_BROKEN);
		return cand;
	}
	if (cand >= 0) {
		u64 lba = s->slots[cand].req.lba;
		u64 dist = absdiff(lba, s->head);
		bool nearer = p->st.seek_samples && dist <= sched_mean_get(&p->seek);
		if (nearer || is_close(s, lba, now)) {
			antic_end(s, ANTIC_BROKEN);
			return cand;
		}
	}

	if (!a->waited) {
		a->waited = true;
		s->stats.antic_waits++;
		p->st.antic_waits++;
	}
	/* Wake for whatever would end the wait first. */
	u64 t = min_u64(a->until, sched_queue_first_expiry(s, SCHED_READ));
	if (cand >= 0)
		t = min_u64(t, close_time(s, s->slots[cand].req.lba));
	if (s->queued[SCHED_WRITE])
		t = min_u64(t, batch_end(s));
	*until = t;
	return CHOOSE_IDLE;
}

static void switch_batch(struct sched *s, int dir, u64 now)
{
	antic_end(s, ANTIC_BROKEN);
	s->batch_dir = (u8)dir;
	s->batch_start = now;
	s->new_batch = true;
}

static int as_choose(struct sched *s, u64 now, u64 *until)
{
	if (s->queued[SCHED_READ] + s->queued[SCHED_WRITE] == 0)
		return CHOOSE_EMPTY;

	int dir = s->batch_dir;
	if (s->queued[!dir] == 0) {
		/* Nobody waits for the other direction: the batch's clock
		 * starts when somebody does. */
		s->batch_start = now;
	} else if (now >= batch_end(s) ||
		   (s->queued[dir] == 0 && !(dir == SCHED_READ && antic_holds(s, now)))) {
		switch_batch(s, !dir, now);
		dir = !dir;
	}

	int oldest = sched_queue_oldest(s, dir);
	if (oldest >= 0 && (s->new_batch || slot_expired(s, oldest, now))) {
		s->new_batch = false;
		antic_end(s, ANTIC_BROKEN);
		return oldest;
	}

	int cand = sched_elevator_best(s, dir, -1);
	if (dir == SCHED_READ && s->antic.armed) {
		cand = anticipate(s, now, cand, until);
		if (cand == CHOOSE_IDLE)
			return CHOOSE_IDLE;
	}
	if (cand < 0) {
		/* Only an anticipation held this read batch open, and it just
		 * ended: the writes' turn. */
		switch_batch(s, !dir, now);
		s->new_batch = false;
		cand = sched_queue_oldest(s, !dir);
	}
	return cand >= 0 ? cand : CHOOSE_EMPTY;
}

/* A read completed with nothing else in flight: its process may come back. */
static void as_completed(struct sched *s, const struct sched_slot *sl, u64 now)
{
	if (s->policy != SCHED_ANTICIPATORY || s->p.antic_expire == 0)
		return;
	if (sl->req.dir != SCHED_READ || s->in_flight != 0)
		return;
	s->antic = (struct sched_antic){
		.armed = true,
		.proc = sl->proc,
		.start = now,
		.until = now + s->p.antic_expire,
	};
}

/* Whatever went to the disk, the head moved: the next completion re-arms.
 * (The choice above has already ended any anticipation; this is the net.) */
static void as_dispatched(struct sched *s)
{
	antic_end(s, ANTIC_BROKEN);
}

static void as_proc_gone(struct sched *s, int proc)
{
	if (s->antic.armed && s->antic.proc == proc)
		antic_end(s, ANTIC_BROKEN);
}

const struct sched_policy_ops sched_as_ops = {
	.name = "anticipatory",
	.choose = as_choose,
	.dispatched = as_dispatched,
	.completed = as_completed,
	.proc_gone = as_proc_gone,
};
