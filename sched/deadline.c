/*
 * deadline.c - the deadline policy (Linux's deadline and mq-deadline): sorted
 * batches, with an expiry time on every request.
 *
 * Requests are served in batches of up to fifo_batch, one direction at a time,
 * each batch sweeping forward through the sectors.  A new batch starts with
 * the oldest request of its direction if that has expired (or if nothing lies
 * ahead of the head), so a request waits at most about its expiry plus one
 * batch.  Reads are preferred, but writes get a batch after writes_starved
 * read batches have passed them over.
 *
 * It reorders what is queued, but never waits: with one synchronous reader
 * per region, the queue never holds a reader's next request when the disk
 * frees up, so the sweep jumps between regions (Iyer and Druschel's
 * "deceptive idleness").
 */
#include "types.h"
#include "sched.h"
#include "internal.h"

static int new_batch_dir(struct sched *s)
{
	bool reads = s->queued[SCHED_READ] != 0, writes = s->queued[SCHED_WRITE] != 0;

	if (reads && !(writes && s->starved >= s->p.writes_starved)) {
		if (writes)
			s->starved++;
		return SCHED_READ;
	}
	s->starved = 0;
	return SCHED_WRITE;
}

static int deadline_choose(struct sched *s, u64 now, u64 *until)
{
	if (s->queued[SCHED_READ] + s->queued[SCHED_WRITE] == 0)
		return CHOOSE_EMPTY;

	/* Continue the sweep while the batch lasts (count 0: none yet). */
	if (s->batch_count && s->batch_count < s->p.fifo_batch) {
		int next = sched_elevator_forward(s, s->batch_dir);
		if (next >= 0) {
			s->batch_count++;
			return next;
		}
	}

	int dir = new_batch_dir(s);
	s->batch_dir = (u8)dir;
	s->batch_count = 1;
	int oldest = sched_queue_oldest(s, dir);
	int next = sched_elevator_forward(s, dir);
	if (next < 0 || slot_expired(s, oldest, now))
		return oldest;
	return next;
}

const struct sched_policy_ops sched_deadline_ops = { .name = "deadline", .choose = deadline_choose };
