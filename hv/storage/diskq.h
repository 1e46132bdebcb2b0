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
 * A request is usually one block-layer request (its ext, lba, count, buf).
 * A virtual disk's request (hv/dev/vblkq.c) may instead be several pieces
 * (it crosses extents, or guest buffers): its pieces() callback cuts them,
 * and the queue sends them one after another while, for sched/, the whole
 * request is on the disk.  With a disk model (sched/hdd_model.h) the queue
 * also holds each completion until the modelled disk would have finished:
 * emulated disks never seek, and anticipation is about seeks.
 *
 * A flush (op BLK_FLUSH, count 0) does not go through sched/.  It names no
 * sectors, so there is nothing to sort, and it need not wait for the writes
 * queued beside it: a virtio flush covers the writes that completed before
 * it was submitted (virtio 1.x 5.2.6), and the guest's block layer waits
 * for the writes a flush must cover before it sends one.  So flushes wait
 * in a FIFO of their own and go to the disk as soon as it is free - before
 * sched/ is asked for its next request, and also when sched/ would rather
 * keep the disk idle for a process (the wait goes on in sched/'s books and
 * ends as it would have: the flush used time the disk had to spare).  Only
 * when a flush was the last thing on the disk does a request of sched/'s go
 * first, so a guest that floods the queue with flushes cannot keep the
 * others' requests off the disk.  The disk model charges a flush nothing:
 * the modelled disk has no write cache (every write paid for its seek and
 * rotation when it was served), so nothing is left to write back; the
 * flush's completion still waits for the real disk.
 *
 * The queue is pure in the project's sense: it never reads a clock (time in
 * nanoseconds is a parameter) and touches hardware only through the
 * blk_ops of the disk it was given, so the host tests drive it with a fake
 * disk.  The glue calls diskq_poll() after VM exits and when the time
 * diskq_deadline() names has come: that is how anticipation timeouts and
 * modelled completions fire from the hypervisor's own timer rather than
 * from whichever exit happens to come next.
 */
#ifndef FORMICA_DISKQ_H
#define FORMICA_DISKQ_H

#include "types.h"
#include "sched/hdd_model.h"
#include "sched/sched.h"
#include "storage/block.h"

/* Requests queued or in flight, all guests together: room for everything
 * the virtio guests can have outstanding (VBLKQ_SLOTS, hv/dev/vblkq.h). */
#define DISKQ_SLOTS 256
#define DISKQ_PROCS 64 /* (guest, process) pairs known to the scheduler */

struct diskq_req;
typedef void (*diskq_done_fn)(struct diskq_req *r);

/* One block-layer request's worth of a diskq request. */
struct diskq_piece {
	const struct blk_extent *ext; /* the extent it lies in */
	u64 lba;                      /* relative to that extent */
	u32 count;                    /* sectors, 1 .. the driver's max_sectors */
	u64 buf;                      /* physical address, contiguous */
};

/* Cut r's next piece into *p: 1, 0 when r has no more, or a negative enum
 * blk_err that ends r with that status.  Called when r goes to the disk and
 * each time a piece of it has finished. */
typedef int (*diskq_pieces_fn)(struct diskq_req *r, struct diskq_piece *p);

struct diskq_req {
	/* Filled by the caller. */
	u32 guest;                    /* formica.cfg index of the guest */
	u64 proc;                     /* inferred process key; 0 = the guest as a whole */
	const struct blk_extent *ext; /* the extent of its first sector (not for a flush) */
	u8 op;                        /* BLK_READ, BLK_WRITE or BLK_FLUSH */
	u64 lba;                      /* first sector, relative to the extent */
	u32 count;                    /* sectors, all pieces together (a flush: 0) */
	u64 buf;                      /* physical address, contiguous (no pieces()) */
	diskq_pieces_fn pieces;       /* NULL: one piece, (ext, lba, count, buf) */
	diskq_done_fn done;           /* called once, from diskq_poll() or diskq_submit() */
	void *priv;

	/* Set by the queue. */
	int status;                   /* BLK_PENDING, then BLK_OK or a negative enum blk_err */
	u64 submit_ns, dispatch_ns, complete_ns;
	u32 npieces;                  /* pieces sent to the driver so far */

	/* Private. */
	struct blk_req blk;           /* the piece at the driver */
	const struct blk_extent *piece_ext;
	bool pieces_done;             /* the last piece has finished (or one failed) */
	u64 model_ns;                 /* when the modelled disk finishes it */
	u64 bounced;                  /* the piece at the disk goes through the bounce
				       * buffer; its real buffer is here (0: not) */
	int id;                       /* sched/'s id while queued or in flight */
	struct diskq_req *next_flush; /* a flush: the next in the flush FIFO */
};

struct diskq_stats {
	u64 submitted, completed, errors, refused; /* flushes included */
	u64 flushes;                  /* flushes completed (ok or not) */
	u64 busy_ns;                  /* time with a request on the disk */
	u64 driver_busy;              /* pieces the driver refused as busy (sent again) */
	u64 proc_evictions;           /* idle processes dropped for a new one */
	u64 bounced;                  /* pieces copied through the bounce buffer */
};

/* A (guest, process) pair the scheduler's table holds. */
struct diskq_proc {
	bool used;
	bool gone;                    /* exited: leaves once its I/O has drained */
	u32 guest;
	u64 key;
};

struct diskq {
	struct blk_dev *dev;
	struct hdd *model;            /* NULL: complete as soon as the disk does */
	struct sched s;
	struct sched_slot slots[DISKQ_SLOTS];
	struct sched_proc procs[DISKQ_PROCS];
	struct diskq_proc known[DISKQ_PROCS];
	struct diskq_req *by_id[DISKQ_SLOTS];
	struct diskq_req *inflight;   /* on the disk now (or held by the model), or NULL */
	struct diskq_req *flush_head, *flush_tail; /* flushes waiting for the disk */
	bool last_was_flush;          /* the disk's last request was a flush */
	u64 idle_until;               /* anticipating until then; SCHED_NEVER: not */
	u8 *bounce;                   /* below 4 GiB, for a dma32 disk (or NULL) */
	u32 bounce_sectors;
	struct diskq_stats st;
};

/* 0, or a negative enum sched_err (bad policy or an empty disk). */
int diskq_init(struct diskq *q, struct blk_dev *dev, enum sched_policy policy,
	       const struct sched_params *params);

/* Hold completions until model (initialised, owned by the caller) says the
 * disk is done; NULL turns that off.  Before the first diskq_submit(). */
void diskq_set_model(struct diskq *q, struct hdd *model);

/*
 * A disk whose controller reaches only the low 4 GiB (dev->dma32) cannot
 * read into or write from guest RAM above it, which UEFI may have given a
 * guest on a large machine.  Give the queue a buffer below 4 GiB of at
 * least the driver's max_sectors: a piece above the line is then copied
 * through it (one request is at the disk at a time, so one buffer does).
 * Without one, such a piece fails (BLK_EINVAL from the driver).
 */
void diskq_set_bounce(struct diskq *q, u8 *buf, u32 sectors);

/*
 * Queue r at time now.  0: queued (r->done comes later, from diskq_poll(),
 * or at once if the disk refuses it); negative enum blk_err: refused before
 * it was queued, r->done is not called (BLK_ERANGE outside the extent,
 * BLK_EINVAL a bad count or op, BLK_EBUSY no free slot or no room in the
 * process table: try after a completion).  A flush (BLK_FLUSH, count 0;
 * ext, lba, buf and pieces unused) takes no slot and is never refused
 * for room.  A process not seen before is added to the scheduler; if
 * its table is full, a process with nothing queued or in flight leaves it
 * (and the think-time history sched/ kept for it).  With pieces(), only
 * the first sector is checked here; each piece is checked against its
 * extent when it goes to the disk.
 */
int diskq_submit(struct diskq *q, struct diskq_req *r, u64 now);

/* Advance: notice the disk's completion of a piece and send the next,
 * complete a request whose pieces are done (and whose modelled time has
 * come), dispatch the next request or decide to idle.  Returns the
 * requests completed by this call. */
u32 diskq_poll(struct diskq *q, u64 now);

/* The latest time diskq_poll() must run even if nothing else happens: the
 * end of an anticipation wait, or the modelled completion of the request
 * on the disk.  SCHED_NEVER when no such time is due (the disk's own
 * completions are noticed by polling after exits anyway). */
u64 diskq_deadline(const struct diskq *q);

/* The process exited (Antfarm's EXIT): it leaves the scheduler once its
 * queued and in-flight requests have drained. */
void diskq_proc_gone(struct diskq *q, u32 guest, u64 proc);

/* Where (guest, proc) is in q->known[], or -1: not a process of the disk. */
int diskq_proc_find(const struct diskq *q, u32 guest, u64 proc);

/* sched/'s per-process counters (think time, anticipation hits...). */
int diskq_proc_stats(const struct diskq *q, u32 guest, u64 proc, struct sched_proc_stats *st);

#endif
