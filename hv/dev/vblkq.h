/*
 * vblkq.h - the guests' virtio disk requests on their way to the real disk.
 *
 * The virtio front of the disk queue (hv/storage/diskq.h): each guest's
 * virtio-blk device (virtio_blk.h) hands over validated requests, each is
 * keyed with its (guest, process) at the exit where it was submitted
 * (iokey.h) and handed to the disk queue with a piece cutter that lays it
 * over the guest's extents (vdisk.h).  The disk queue does the rest - the
 * scheduler (sched/), one request at the disk at a time, the pieces one
 * after another, the disk model's hold (sched/hdd_model.h), the deadlines -
 * and calls back when the request is done; the guest's device then gets
 * its status and completion.
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
 * A FLUSH becomes a BLK_FLUSH at the disk (ATA FLUSH CACHE [EXT]): the
 * guest gets its status only once the disk has written its cache back, and
 * VIRTIO_BLK_S_IOERR if the disk failed it.  It takes a slot of the guest's
 * share like any request, but not sched/'s order (diskq.h says why).
 * Antfarm's process exits reach the disk queue from the glue
 * (hv/guest/disk_glue.c, diskq_proc_gone()).
 */
#ifndef FORMICA_DEV_VBLKQ_H
#define FORMICA_DEV_VBLKQ_H

#include "antfarm/iokey.h"
#include "dev/vdisk.h"
#include "dev/virtio_blk.h"
#include "sched/hdd_model.h"
#include "storage/diskq.h"
#include "types.h"

#define VBLKQ_MAX_GUESTS 4
/* A chain needs at least 2 descriptors, so a guest can have at most
 * VBLK_QUEUE_SIZE / 2 requests outstanding: room for all of them, here
 * and in the disk queue. */
#define VBLKQ_PER_GUEST (VBLK_QUEUE_SIZE / 2)
#define VBLKQ_SLOTS (VBLKQ_MAX_GUESTS * VBLKQ_PER_GUEST)
_Static_assert(VBLKQ_SLOTS <= DISKQ_SLOTS, "the disk queue must hold every virtio request");

/* One guest's requests, counted when they complete without error. */
struct vblkq_gstats {
	u64 reads, writes, sectors_read, sectors_written, flushes, ioerr, faults;
};

struct vblkq_guest {
	struct vblk *blk;
	const struct gmem *mem;
	struct vdisk disk;
	const struct af *af; /* NULL: every request has key 0 */
	u32 outstanding;     /* at most VBLKQ_PER_GUEST, stale ones included */
	/* Requests completed to its device (any status, flushes too): when it
	 * moves, the device may have raised its interrupt. */
	u64 completed;
	/* Requests left in its ring because it had VBLKQ_PER_GUEST outstanding
	 * (only after a reset with requests in flight): taken by vblkq_poll()
	 * once some complete, keyed as at the notify that found them. */
	bool deferred;
	u64 deferred_key;
	struct vblkq_gstats st;
};

struct vblkq_req {
	struct diskq_req dr;    /* first: the disk queue's callbacks get &dr */
	bool used;
	struct vblk_req vr;
	struct vdisk_cursor cur; /* how far the disk queue has cut it */
};

struct vblkq_stats {
	u64 ioerr, faults, flushes;
};

struct vblkq {
	struct diskq dq;                 /* the disk, its scheduler and model */
	enum iokey_mode key_mode;
	struct vblkq_guest g[VBLKQ_MAX_GUESTS];
	u32 nguests;
	u32 outstanding; /* the sum of g[].outstanding: nothing to poll when 0 */
	u64 completed;   /* the sum of g[].completed */
	struct vblkq_req req[VBLKQ_SLOTS];
	void (*fault)(void *ctx, u32 guest, const char *what);
	void *cb_ctx; /* passed to fault() and trace() */
	/* Optional: each request as it completes (log = verbose lines).  Called
	 * before the guest's device hears of it; r's times are filled in. */
	void (*trace)(void *ctx, u32 guest, const struct diskq_req *r);
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

/* Take every new request from guest's device, keyed by what vcpu runs now
 * (at most VBLKQ_PER_GUEST outstanding: the rest later, from vblkq_poll). */
void vblkq_notify(struct vblkq *q, u32 guest, u32 vcpu, u64 now);

/* Move the disk along (diskq_poll()): pieces, held completions, the next
 * dispatch. */
void vblkq_poll(struct vblkq *q, u64 now);

/* When vblkq_poll() next has something to do by the clock (a held
 * completion, the end of an anticipation: diskq_deadline()), or SCHED_NEVER. */
u64 vblkq_next_event(const struct vblkq *q);

/* Anything for vblkq_poll() to do: a request outstanding or an
 * anticipation running.  The run loop asks after every VM exit, so this
 * is the cheap test that lets a guest with an idle disk skip the poll
 * (which reads the controller's registers).  Completions can still be new
 * when it says no (vblkq_notify() may finish requests, other guests' too):
 * the glue compares q->completed with what it has seen. */
bool vblkq_busy(const struct vblkq *q);

#endif
