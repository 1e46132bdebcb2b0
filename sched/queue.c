/*
 * queue.c - finding requests in the queue: the oldest (FIFO order, for
 * expiry and FCFS) and the best next one for the head (the elevator).
 *
 * The queue is the set of slots in state SLOT_QUEUED; each scan walks the
 * caller's pool.  Pools are small (a disk queue holds tens of requests, not
 * thousands), and a flat scan has no structure that can go stale.  Ties
 * always go to the earlier arrival, so every choice is deterministic.
 */
#include "types.h"
#include "sched.h"
#include "internal.h"

/* Elevator costs of requests the sweep has passed: after every reachable one. */
#define COST_NEXT_SWEEP (1ull << 62)

static bool better(const struct sched *s, u64 cost, u32 i, u64 best_cost, int best)
{
	if (best < 0 || cost < best_cost)
		return true;
	return cost == best_cost && s->slots[i].seq < s->slots[best].seq;
}

int sched_queue_oldest(const struct sched *s, int dir)
{
	int best = -1;
	for (u32 i = 0; i < s->nslots; i++)
		if (slot_queued(s, i, dir) && (best < 0 || s->slots[i].seq < s->slots[best].seq))
			best = (int)i;
	return best;
}

int sched_queue_oldest_any(const struct sched *s)
{
	int r = sched_queue_oldest(s, SCHED_READ);
	int w = sched_queue_oldest(s, SCHED_WRITE);
	if (r < 0)
		return w;
	if (w < 0)
		return r;
	return s->slots[r].seq < s->slots[w].seq ? r : w;
}

/* When the first queued request of direction dir expires; SCHED_NEVER if none. */
u64 sched_queue_first_expiry(const struct sched *s, int dir)
{
	u64 t = SCHED_NEVER;
	for (u32 i = 0; i < s->nslots; i++)
		if (slot_queued(s, i, dir))
			t = min_u64(t, s->slots[i].expires);
	return t;
}

/*
 * How much moving the head to lba costs, in forward-sector units (as-iosched's
 * elevator): a forward seek costs its distance, a backward seek of up to
 * max_back costs back_penalty times its distance, and a request further
 * behind waits for the next sweep, which starts at the lowest sector.
 */
static u64 elevator_cost(const struct sched *s, u64 lba)
{
	if (lba >= s->head)
		return lba - s->head;
	u64 back = s->head - lba;
	if (back <= s->p.max_back)
		return back * s->p.back_penalty;
	return COST_NEXT_SWEEP + lba;
}

/* The cheapest queued request of direction dir; of process proc only if proc >= 0. */
int sched_elevator_best(const struct sched *s, int dir, int proc)
{
	int best = -1;
	u64 best_cost = 0;
	for (u32 i = 0; i < s->nslots; i++) {
		if (!slot_queued(s, i, dir) || (proc >= 0 && s->slots[i].proc != proc))
			continue;
		u64 cost = elevator_cost(s, s->slots[i].req.lba);
		if (better(s, cost, i, best_cost, best)) {
			best = (int)i;
			best_cost = cost;
		}
	}
	return best;
}

/* The queued request of direction dir at or after the head with the lowest
 * sector: the next stop of a one-way sweep (deadline's sort order). */
int sched_elevator_forward(const struct sched *s, int dir)
{
	int best = -1;
	u64 best_lba = 0;
	for (u32 i = 0; i < s->nslots; i++) {
		if (!slot_queued(s, i, dir) || s->slots[i].req.lba < s->head)
			continue;
		if (better(s, s->slots[i].req.lba, i, best_lba, best)) {
			best = (int)i;
			best_lba = s->slots[i].req.lba;
		}
	}
	return best;
}
