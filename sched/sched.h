/*
 * sched.h - the disk request scheduler: which guest request the disk serves next.
 *
 * Every guest disk request goes through here on its way to the one physical
 * disk, tagged with its guest and with the process the hv inferred for it
 * (Antfarm).  The scheduler orders the queued requests and, with the
 * anticipatory policy, may keep the disk idle for a few milliseconds after a
 * read because the process that issued it is likely to read again right next
 * to where the head now is (Iyer and Druschel, SOSP 2001).  A process is the
 * pair (guest, key): two processes in two guests never look like one.
 *
 * A pure core: the caller passes the time in, provides all storage (a pool of
 * request slots and a table of processes) and drives the disk, so every
 * decision is a function of the calls made so far.
 *
 * Time is in nanoseconds (u64) everywhere.  Disk positions are 512-byte
 * sectors (LBA).
 *
 *	sched_default_params(SCHED_ANTICIPATORY, &p);
 *	sched_init(&s, SCHED_ANTICIPATORY, &p, disk_sectors, slots, NSLOTS, procs, NPROCS);
 *	sched_proc_add(&s, guest, key);		the hv saw a new process
 *	id = sched_add(&s, &req);		a guest request arrived (at req.arrival)
 *	sched_dispatch(&s, now, &d);		the disk is free: what now?
 *		SCHED_DISPATCH: send d.req to the disk; d.id names it
 *		SCHED_IDLE:     leave the disk idle; ask again at d.until, or
 *		                sooner if a request arrives
 *		SCHED_EMPTY:    nothing queued; ask again when a request arrives
 *	sched_complete(&s, id, now);		the disk finished request id
 *	sched_proc_remove(&s, guest, key);	the process exited
 *
 * The anticipatory policy decides to idle only when nothing is in flight: it
 * is meant for a disk driven one request at a time, the setting in which the
 * paper and Linux's as-iosched keep a disk idle.  FCFS and deadline may be
 * asked for several requests in a row.
 */
#ifndef FORMICA_SCHED_H
#define FORMICA_SCHED_H

#include "types.h"

#define SCHED_NS_PER_US 1000ull
#define SCHED_NS_PER_MS 1000000ull
#define SCHED_NEVER UINT64_MAX

/* Errors: negative, so that sched_add() can return an id or an error. */
enum sched_err {
	SCHED_OK = 0,
	SCHED_EINVAL = -1,	/* bad argument: NULL, unknown policy or direction, bad params */
	SCHED_ELEN = -2,	/* request of zero sectors */
	SCHED_ERANGE = -3,	/* request runs past the end of the disk */
	SCHED_ENOPROC = -4,	/* (guest, key) was never added, or was removed */
	SCHED_EEXIST = -5,	/* (guest, key) is already in the table */
	SCHED_EFULL = -6,	/* no free request slot or process entry */
	SCHED_EBUSY = -7,	/* the process still has requests queued or in flight */
	SCHED_EBADID = -8,	/* completion of a request that is not in flight */
	SCHED_ETIME = -9,	/* a time earlier than one already passed in */
};

enum sched_policy {
	SCHED_FCFS,		/* arrival order: the no-op baseline */
	SCHED_DEADLINE,		/* LBA-sorted batches with read and write expiry */
	SCHED_ANTICIPATORY,	/* as-iosched: batches, expiry, and anticipation */
	SCHED_NPOLICIES
};

enum sched_dir { SCHED_READ = 0, SCHED_WRITE = 1 };

struct sched_req {
	u32 guest;
	u64 proc;		/* process key inside the guest, as the hv inferred it */
	u64 lba;		/* first sector */
	u32 nsect;		/* length in sectors */
	u8 dir;			/* SCHED_READ or SCHED_WRITE */
	u64 arrival;		/* ns; also "now" for sched_add() */
};

/*
 * Tunables.  sched_default_params() fills them in; params.c gives each
 * default and where it comes from.
 */
struct sched_params {
	u64 read_expire;	/* ns: a read older than this goes next (deadline, as) */
	u64 write_expire;	/* ns: same for writes */
	u64 read_batch_expire;	/* ns: as: reads run this long while writes wait */
	u64 write_batch_expire;	/* ns: as: writes run this long while reads wait */
	u64 antic_expire;	/* ns: as: longest idle wait for one process; 0 = never wait */
	u64 think_cap;		/* ns: as: think-time samples are clipped to this */
	u64 close_ahead;	/* sectors: as: a request this near ahead ends the wait... */
	u64 close_behind;	/* ...or this near behind; both double every ms of waiting */
	u64 max_back;		/* sectors: as: how far the head may go backwards */
	u32 back_penalty;	/* as: a backward sector costs as much as this many forward */
	u32 fifo_batch;		/* deadline: requests per sorted batch */
	u32 writes_starved;	/* deadline: read batches that may pass waiting writes */
};

/* A decayed mean in fixed point (see proc.c). */
struct sched_mean {
	u64 total;
	u32 weight;
};

struct sched_proc_stats {
	u64 reads, writes;		/* completed requests */
	u64 sectors_read, sectors_written;
	u32 queued, in_flight;		/* now */
	u64 wait_total_ns, wait_max_ns;	/* arrival to dispatch, dispatched requests */
	u32 think_samples;		/* 0: think_mean_ns means nothing yet */
	u64 think_mean_ns;		/* decayed mean time from a read's completion to the next */
	u32 seek_samples;
	u64 seek_mean_sectors;		/* decayed mean distance between consecutive reads */
	u64 antic_waits;		/* times the disk idled waiting for this process */
	u64 antic_hits;			/* ...and it came with its next read in time */
	u64 antic_timeouts;		/* ...and it did not */
};

struct sched_stats {
	u64 dispatched;
	u64 antic_waits, antic_hits, antic_timeouts;
	u64 antic_broken;	/* waits ended early: a close request, an expiry, a batch end */
};

/*
 * The structures below are the caller's storage.  Their fields are private to
 * sched/; use the functions.
 */
struct sched_slot {
	struct sched_req req;
	u64 seq;		/* arrival order, for FIFO and ties */
	u64 expires;		/* arrival + read_expire or write_expire */
	u16 proc;		/* index into the process table */
	u8 state;		/* SLOT_FREE, SLOT_QUEUED, SLOT_INFLIGHT */
};

struct sched_proc {
	bool used;
	u32 guest;
	u64 key;
	u32 queued[2], in_flight[2];	/* by direction */
	bool has_last;			/* last_end and last_done are valid */
	u64 last_end;			/* sector after this process's last read */
	bool has_done;
	u64 last_done;			/* when its last read completed */
	struct sched_mean think, seek;
	struct sched_proc_stats st;
};

/* The anticipation in progress, if any. */
struct sched_antic {
	bool armed;		/* a read completed; its process may come back */
	bool waited;		/* the disk has idled in this episode */
	u16 proc;
	u64 start;		/* when that read completed */
	u64 until;		/* start + antic_expire */
};

struct sched {
	enum sched_policy policy;
	struct sched_params p;
	u64 disk_sectors;
	struct sched_slot *slots;
	u32 nslots;
	struct sched_proc *procs;
	u32 nprocs;

	u64 now;		/* latest time passed in */
	u64 seq;		/* next arrival number */
	u64 head;		/* sector after the last dispatched request */
	u32 queued[2];		/* by direction */
	u32 in_flight;

	/* Batches: deadline and anticipatory serve one direction at a time. */
	u8 batch_dir;
	bool new_batch;		/* as: the batch has not dispatched yet */
	u64 batch_start;	/* as */
	u32 batch_count;	/* deadline: requests dispatched in this batch */
	u32 starved;		/* deadline: read batches since writes last ran */

	struct sched_antic antic;
	struct sched_stats stats;
};

enum sched_action { SCHED_DISPATCH, SCHED_IDLE, SCHED_EMPTY };

struct sched_decision {
	enum sched_action action;
	int id;			/* SCHED_DISPATCH: the request's id */
	struct sched_req req;	/* SCHED_DISPATCH: the request */
	u64 until;		/* SCHED_IDLE: ask again then */
};

void sched_default_params(enum sched_policy policy, struct sched_params *p);
int sched_init(struct sched *s, enum sched_policy policy, const struct sched_params *p,
	       u64 disk_sectors, struct sched_slot *slots, u32 nslots,
	       struct sched_proc *procs, u32 nprocs);

int sched_proc_add(struct sched *s, u32 guest, u64 key);
int sched_proc_remove(struct sched *s, u32 guest, u64 key);

int sched_add(struct sched *s, const struct sched_req *r);	/* id >= 0, or error */
int sched_dispatch(struct sched *s, u64 now, struct sched_decision *d);
int sched_complete(struct sched *s, int id, u64 now);

int sched_proc_stats(const struct sched *s, u32 guest, u64 key, struct sched_proc_stats *st);
bool sched_consistent(const struct sched *s);

const char *sched_strerror(int err);
const char *sched_policy_name(enum sched_policy policy);

#endif
