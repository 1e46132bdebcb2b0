/*
 * proc.c - the process table, and what the scheduler remembers of each
 * process: how long it thinks between reads and how far apart its reads are.
 *
 * Anticipation is a bet that the process whose read just completed will soon
 * read again near the head.  Both halves of the bet are judged from its
 * history, as decayed means in which each new sample weighs 1/8 and the past
 * 7/8 (as-iosched's weights: a process's recent behaviour counts most, but one
 * odd request does not flip the decision).
 */
#include "types.h"
#include "string.h"
#include "sched.h"
#include "internal.h"

/*
 * The mean is total / weight, both in fixed point with one sample worth
 * MEAN_ONE.  The weight starts at 0 and converges to MEAN_ONE, so the first
 * sample alone is the mean instead of being diluted by a zero start.  Integer
 * truncation stops the weight a few units short of MEAN_ONE, an error below
 * 0.02%.  Overflow: samples are nanoseconds capped at think_cap, or sectors
 * below 2^48 (sched_init), times 2^16 stays below 2^64.
 */
#define MEAN_ONE (1u << 16)

void sched_mean_add(struct sched_mean *m, u64 sample)
{
	m->weight = (7 * m->weight + MEAN_ONE) / 8;
	m->total = (7 * m->total + (u64)MEAN_ONE * sample) / 8;
}

u64 sched_mean_get(const struct sched_mean *m)
{
	if (m->weight == 0)
		return 0;
	return (m->total + m->weight / 2) / m->weight;
}

int sched_proc_find(const struct sched *s, u32 guest, u64 key)
{
	for (u32 i = 0; i < s->nprocs; i++) {
		const struct sched_proc *p = &s->procs[i];
		if (p->used && p->guest == guest && p->key == key)
			return (int)i;
	}
	return -1;
}

/*
 * A read arrives.  Its distance from the end of the process's previous read
 * is a seek sample.  If the process had no read outstanding, the time since
 * its last read completed is a think-time sample: the process was computing,
 * not waiting for the disk.  Writes are asynchronous (the guest's page cache
 * issues them), so they say nothing about when the process reads next.
 */
void sched_proc_note_arrival(struct sched *s, struct sched_proc *p, const struct sched_req *r)
{
	if (r->dir != SCHED_READ)
		return;
	if (p->has_last) {
		sched_mean_add(&p->seek, absdiff(r->lba, p->last_end));
		p->st.seek_samples++;
	}
	if (p->has_done && p->queued[SCHED_READ] == 0 && p->in_flight[SCHED_READ] == 0) {
		sched_mean_add(&p->think, min_u64(r->arrival - p->last_done, s->p.think_cap));
		p->st.think_samples++;
	}
	p->has_last = true;
	p->last_end = r->lba + r->nsect;
}

void sched_proc_note_done(struct sched_proc *p, const struct sched_req *r, u64 now)
{
	if (r->dir == SCHED_READ) {
		p->st.reads++;
		p->st.sectors_read += r->nsect;
		p->has_done = true;
		p->last_done = now;
	} else {
		p->st.writes++;
		p->st.sectors_written += r->nsect;
	}
}

int sched_proc_add(struct sched *s, u32 guest, u64 key)
{
	if (!s)
		return SCHED_EINVAL;
	if (sched_proc_find(s, guest, key) >= 0)
		return SCHED_EEXIST;
	for (u32 i = 0; i < s->nprocs; i++) {
		struct sched_proc *p = &s->procs[i];
		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->guest = guest;
		p->key = key;
		return SCHED_OK;
	}
	return SCHED_EFULL;
}

/*
 * The process exited.  Its requests must drain first: the hv still owes the
 * guest their completions.  An anticipation waiting for it ends now, as in
 * as-iosched: a process that has exited will not read again.
 */
int sched_proc_remove(struct sched *s, u32 guest, u64 key)
{
	if (!s)
		return SCHED_EINVAL;
	int i = sched_proc_find(s, guest, key);
	if (i < 0)
		return SCHED_ENOPROC;
	struct sched_proc *p = &s->procs[i];
	if (p->queued[0] + p->queued[1] + p->in_flight[0] + p->in_flight[1] != 0)
		return SCHED_EBUSY;
	if (sched_ops(s)->proc_gone)
		sched_ops(s)->proc_gone(s, i);
	p->used = false;
	return SCHED_OK;
}

int sched_proc_stats(const struct sched *s, u32 guest, u64 key, struct sched_proc_stats *st)
{
	if (!s || !st)
		return SCHED_EINVAL;
	int i = sched_proc_find(s, guest, key);
	if (i < 0)
		return SCHED_ENOPROC;
	const struct sched_proc *p = &s->procs[i];
	*st = p->st;
	st->queued = p->queued[0] + p->queued[1];
	st->in_flight = p->in_flight[0] + p->in_flight[1];
	st->think_mean_ns = sched_mean_get(&p->think);
	st->seek_mean_sectors = sched_mean_get(&p->seek);
	return SCHED_OK;
}
