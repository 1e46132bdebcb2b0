/*
 * diskq.h - sched/ between the guests and one physical disk.
 *
 * Every guest request, and every request of the iosched self-test, goes
 * through one disk queue: the queue hands it to sched/ keyed by (guest,
 * process), asks sched/ what the disk should do next, and drives the disk
 * through the block layer (block.h), one request at a time.  One at a time
 * is the disk the anticipatory scheduler was designed for: it can only keep
 * a disk idle for a process if the disk is not busy with someone else.
 *
 * The queue is pure in the project's sense: it never reads a clock (time in
 * nanoseconds is a parameter) and touches hardware only through the
 * blk_ops of the disk it was given, so the host tests drive it with a fake
 * disk.  The glue calls diskq_poll() after VM exits and when the time
 * diskq_deadline() names has come: that is how anticipation timeouts fire
 * from the hypervisor's own timer rather than from whichever exit happens
 * to come next.
 */
#ifndef FORMICA_DISKQ_H
#define FORMICA_DISKQ_H

#include "types.h"
#include "sched/sched.h"
#include "storage/block.h"

#define DISKQ_SLOTS 64 /* requests queued or in flight, all guests together */
#define DISKQ_PROCS 64 /* (guest, process) pairs known to the scheduler */

struct diskq_req;
typedef void (*diskq_done_fn)(struct diskq_req *r);

struct diskq_req {
	/* Filled by the caller. */
	u32 guest;                    /* formica.cfg index of the guest */
	u64 proc;                     /* inferred process key; 0 = the guest as a whole */
	const struct blk_extent *ext; /* the guest's window on the disk */
	u8 op;                        /* BLK_READ or BLK_WRITE */
	u64 lba;                      /* relative to the extent */
	u32 count;                    /* sectors */
	u64 buf;                      /* physical address, contiguous */
	diskq_done_fn done;           /* called once, from diskq_poll() or diskq_submit() */
	void *priv;

	/* Set by the queue. */
	int status;                   /* BLK_PENDING, then BLK_OK or a negative enum blk_err */
	u64 submit_ns, dispatch_ns, complete_ns;

	/* Private. */
	struct blk_req blk;
	int id;                       /* sched/'s id while queued or in flight */
};

struct diskq_stats {
	u64 submitted, completed, errors, refused;
	u64 busy_ns;                  /* time with a request on the disk */
};

struct diskq {
	struct blk_dev *dev;
	struct sched s;
	struct sched_slot slots[DISKQ_SLOTS];
	struct sched_proc procs[DISKQ_PROCS];
	struct diskq_req *by_id[DISKQ_SLOTS];
	struct diskq_req *inflight;   /* on the disk now, or NULL */
	u64 idle_until;               /* anticipating until then; SCHED_NEVER: not */
	u32 ngone;                    /* processes that exited with I/O still queued */
	u32 gone_guest[DISKQ_PROCS];
	u64 gone_key[DISKQ_PROCS];
	struct diskq_stats st;
};

/* 0, or a negative enum sched_err (bad policy or an empty disk). */
int diskq_init(struct diskq *q, struct blk_dev *dev, enum sched_policy policy,
	       const struct sched_params *params);

/*
 * Queue r at time now.  0: queued (r->done comes later, from diskq_poll(),
 * or at once if the disk refuses it); negative enum blk_err: refused before
 * it was queued, r->done is not called (BLK_ERANGE outside the extent,
 * BLK_EINVAL a bad count or op, BLK_EBUSY no free slot: try after a
 * completion).  A process not seen before is added to the scheduler.
 */
int diskq_submit(struct diskq *q, struct diskq_req *r, u64 now);

/* Advance: notice the disk's completion, call done(), dispatch the next
 * request or decide to idle.  Returns the requests completed by this call. */
u32 diskq_poll(struct diskq *q, u64 now);

/* The latest time diskq_poll() must run even if nothing else happens: the
 * end of an anticipation wait.  SCHED_NEVER when no such time is due
 * (completions are noticed by polling after exits anyway). */
u64 diskq_deadline(const struct diskq *q);

/* The process exited (Antfarm's EXIT): it leaves the scheduler once its
 * queued and in-flight requests have drained. */
void diskq_proc_gone(struct diskq *q, u32 guest, u64 proc);

/* sched/'s per-process counters (think time, anticipation hits...). */
int diskq_proc_stats(const struct diskq *q, u32 guest, u64 proc, struct sched_proc_stats *st);

#endif
