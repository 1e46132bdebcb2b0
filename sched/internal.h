/*
 * internal.h - what the files of sched/ share and callers do not see: slot
 * states, queue scans, the process table and the policies' entry points.
 */
#ifndef FORMICA_SCHED_INTERNAL_H
#define FORMICA_SCHED_INTERNAL_H

#include "types.h"
#include "sched.h"

enum { SLOT_FREE, SLOT_QUEUED, SLOT_INFLIGHT };

/* What a policy's choose function returns when it picks no slot. */
#define CHOOSE_EMPTY (-1)	/* nothing to do */
#define CHOOSE_IDLE (-2)	/* keep the disk idle until *until */

static inline u64 absdiff(u64 a, u64 b)
{
	return a > b ? a - b : b - a;
}

static inline u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline bool slot_queued(const struct sched *s, u32 i, int dir)
{
	return s->slots[i].state == SLOT_QUEUED && s->slots[i].req.dir == dir;
}

static inline bool slot_expired(const struct sched *s, int i, u64 now)
{
	return i >= 0 && now >= s->slots[i].expires;
}

/* queue.c: scans of the queued requests.  Each returns a slot or -1. */
int sched_queue_oldest(const struct sched *s, int dir);
int sched_queue_oldest_any(const struct sched *s);
u64 sched_queue_first_expiry(const struct sched *s, int dir);
int sched_elevator_best(const struct sched *s, int dir, int proc);
int sched_elevator_forward(const struct sched *s, int dir);

/* proc.c: the process table and each process's history. */
int sched_proc_find(const struct sched *s, u32 guest, u64 key);
void sched_proc_note_arrival(struct sched *s, struct sched_proc *p, const struct sched_req *r);
void sched_proc_note_done(struct sched_proc *p, const struct sched_req *r, u64 now);
void sched_mean_add(struct sched_mean *m, u64 sample);
u64 sched_mean_get(const struct sched_mean *m);

/*
 * A policy: its choice, and hooks for the events the bookkeeping in sched.c
 * and proc.c sees (a hook may be NULL).  The bookkeeping calls a policy only
 * through its ops, so no file of sched/ calls back into a policy by name.
 */
struct sched_policy_ops {
	const char *name;
	/* A slot to dispatch, CHOOSE_EMPTY, or CHOOSE_IDLE with *until set. */
	int (*choose)(struct sched *s, u64 now, u64 *until);
	void (*dispatched)(struct sched *s);
	void (*completed)(struct sched *s, const struct sched_slot *sl, u64 now);
	void (*proc_gone)(struct sched *s, int proc);
};

extern const struct sched_policy_ops sched_fcfs_ops, sched_deadline_ops, sched_as_ops;

/* sched.c: the ops of s's policy. */
const struct sched_policy_ops *sched_ops(const struct sched *s);

#endif
