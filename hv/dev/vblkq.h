/*
 * vblkq.h - the guests' disk requests on their way to the one real disk.
 *
 * This is the virtual disk's I/O path with the hardware left out: each
 * guest's virtio-blk device (virtio_blk.h) hands over validated requests,
 * each is keyed with its (guest, process) at the exit where it was
 * submitted (iokey.h), queued in the I/O scheduler (sched/), and, when the
 * scheduler says so, cut into block-layer pieces over the guest's extents
 * (vdisk.h) and sent to the disk driver one piece at a time.  When the last
 * piece is done, and - with a disk model (sched/hdd_model.h) - not before
 * the modelled disk would have finished, the guest gets its completion.
 *
 * One request is at the disk at a time: that is how the anticipatory
 * scheduler must drive a disk (it decides to idle only with nothing in
 * flight), and what makes the disk model's times meaningful.
 *
 * The glue:
 *   vblkq_init(...), vblkq_add_guest(...)    at boot
 *   after a guest's I/O exit to its device   vblkq_notify(q, guest, vcpu, now)
 *   in the run loop, and at next_event       vblkq_poll(q, now)
 *   to bound the time it sleeps              vblkq_next_event(q)
 * Faults a guest causes are reported through q->fault (one call each, with
 * the guest's index and vblk_fault_name()) for the glue's log line.
 *
 * Pure: the disk driver is reached only through its struct blk_ops (the
 * tests give it a fake one), the time is a parameter.
 *
 * Not here yet: FLUSH reaches no disk cache (the block layer has no flush
 * operation; a FLUSH completes at once, which is only as durable as the
 * drive's write cache allows), and Antfarm's process exits are not passed
 * on (a process's scheduler entry is recycled when the table is full and
 * it has nothing queued).
 */
#ifndef FORMICA_DEV_VBLKQ_H
#define FORMICA_DEV_VBLKQ_H

#include "antfarm/iokey.h"
#include "dev/vdisk.h"
#include "dev/virtio_blk.h"
#include "sched/hdd_model.h"
#include "sched/sched.h"
#include "storage/block.h"
#include "types.h"

#define VBLKQ_MAX_GUESTS 4
/* A chain needs at least 2 descriptors, so a guest can have at most
 * VBLK_QUEUE_SIZE / 2 requests outstanding: room for all of them. */
#define VBLKQ_PER_GUEST (VBLK_QUEUE_SIZE / 2)
#define VBLKQ_SLOTS (VBLKQ_MAX_GUESTS * VBLKQ_PER_GUEST)
#define VBLKQ_PROCS 64

struct vblkq_guest {
	struct vblk *blk;
	const struct gmem *mem;
	struct vdisk disk;
	const struct af *af; /* NULL: every request has key 0 */
	u32 outstanding;
};

struct vblkq_req {
	bool used;
	u32 guest;
	int sched_id;
	struct vblk_req vr;
	struct vdisk_cursor cur;
	struct blk_req piece;   /* the piece at the disk */
	u32 piece_extent;
	u8 status;              /* VIRTIO_BLK_S_* so far */
	bool pieces_done;
	u64 model_done;         /* ns: the modelled disk's completion (0: no model) */
};

struct vblkq_proc {
	bool used;
	u32 guest;
	u64 key;
};

struct vblkq_stats {
	u64 requests, completed, ioerr, faults, flushes, proc_evictions;
};

struct vblkq {
	struct blk_dev *dev;
	struct hdd *model;               /* NULL: complete as soon as the disk does */
	enum iokey_mode key_mode;
	struct sched s;
	struct sched_slot slots[VBLKQ_SLOTS];
	struct sched_proc procs[VBLKQ_PROCS];
	struct vblkq_proc known[VBLKQ_PROCS]; /* (guest, key) pairs the scheduler has */
	struct vblkq_guest g[VBLKQ_MAX_GUESTS];
	u32 nguests;
	struct vblkq_req req[VBLKQ_SLOTS];
	int active;                      /* req[] index at the disk, or -1 */
	u64 idle_until;                  /* the scheduler is anticipating until then */
	void (*fault)(void *ctx, u32 guest, const char *what);
	void *fault_ctx;
	struct vblkq_stats st;
};

enum vblkq_err {
	VBLKQ_EINVAL = -1, /* bad extents, too many guests, extents on another disk */
	VBLKQ_ESCHED = -2, /* the scheduler refused its parameters */
};

/* dev: the disk every guest extent is on; model may be NULL. */
int vblkq_init(struct vblkq *q, struct blk_dev *dev, enum sched_policy policy,
	       enum iokey_mode key_mode, struct hdd *model);

/* A guest: its device, its RAM, its extents (kept by pointer), its Antfarm.
 * Returns the guest's index or a negative enum vblkq_err. */
int vblkq_add_guest(struct vblkq *q, struct vblk *blk, const struct gmem *mem,
		    const struct blk_extent *ext, u32 next, const struct af *af);

/* Take every new request from guest's device, keyed by what vcpu runs now. */
void vblkq_notify(struct vblkq *q, u32 guest, u32 vcpu, u64 now);

/* Move the disk along: finished pieces, held completions, the next dispatch. */
void vblkq_poll(struct vblkq *q, u64 now);

/* When vblkq_poll() next has something to do by the clock (a held
 * completion, the end of an anticipation), or SCHED_NEVER. */
u64 vblkq_next_event(const struct vblkq *q);

#endif
