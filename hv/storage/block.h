/*
 * block.h - the one interface every disk driver implements.
 *
 * A request (struct blk_req) names an operation, a disk LBA, a sector count
 * and one physically contiguous buffer.  The caller owns the request; the
 * driver holds a pointer to it from submit() until it completes it.
 *
 * BLK_FLUSH names no sectors and no buffer (count 0): the disk writes
 * everything in its volatile write cache to the media before it completes
 * (ATA FLUSH CACHE [EXT], a non-data command).  It covers the writes the
 * disk has completed before it; it is not a barrier for requests queued
 * with or after it - whoever needs an order waits for completions.  A disk
 * without a write cache completes it at once, so it is always sent.
 *
 *     submit(dev, req)  queue the request; never waits for the disk.
 *     poll(dev)         advance the hardware: start queued requests,
 *                       notice finished ones, time out stuck ones.  Each
 *                       finished request gets req->status set (BLK_OK or a
 *                       negative enum blk_err) and, if set, req->done(req)
 *                       called, from inside poll().
 *
 * Nothing here waits or sleeps: the hv runs with interrupts off and polls
 * everything, so completion is always noticed by poll().  That shape is
 * what sched/ needs: it keeps per-guest queues, decides which request goes
 * to the driver next, calls submit() for it and poll() from its loop, and
 * gets its done() callbacks.  blk_rw_sync() below is the trivial scheduler
 * for boot-time callers (IDENTIFY-time reads, the self-test).
 *
 * Guests never see a whole disk: they get extents (blk_extent), windows of
 * a disk validated at boot (extents.c).  blk_extent_submit() translates and
 * bounds-checks the LBA, which is the single place that keeps a guest's I/O
 * inside its slice.
 */
#ifndef FORMICA_BLOCK_H
#define FORMICA_BLOCK_H

#include "types.h"

#define BLK_SECTOR_SIZE 512
#define BLK_NAME_LEN 16
#define BLK_MODEL_LEN 41
#define BLK_MAX_DEVS 8

enum blk_op {
	BLK_READ = 0,
	BLK_WRITE = 1,
	BLK_FLUSH = 2, /* the disk's write cache to the media; count 0, no buffer */
};

enum blk_err {
	BLK_OK = 0,
	BLK_PENDING = 1,      /* queued or in flight: status while the driver owns it */
	BLK_EINVAL = -1,      /* bad request: LBA range, alignment, buffer above 4 GiB */
	BLK_EIO = -2,         /* the device reported an error (task file ERR / TFES) */
	BLK_ETIMEDOUT = -3,   /* the device did not finish in time */
	BLK_EFAILED = -4,     /* the disk is marked failed: no more requests */
	BLK_EBUSY = -5,       /* the driver's queue is full: try again after poll() */
	BLK_ERANGE = -6,      /* outside the extent */
};

struct blk_req;
typedef void (*blk_done_fn)(struct blk_req *r);

struct blk_req {
	/* Filled by the caller. */
	u8 op;           /* enum blk_op */
	u64 lba;         /* on the device (blk_extent_submit translates) */
	u32 count;       /* sectors, 1 .. dev->max_sectors (BLK_FLUSH: 0) */
	u64 buf;         /* physical address, 2-byte aligned, count * 512 bytes, contiguous
			  * (BLK_FLUSH: unused) */
	blk_done_fn done; /* optional, called from poll() */
	void *priv;      /* the caller's: sched/ links its own state here */

	/* Owned by the driver between submit() and completion. */
	volatile int status; /* BLK_PENDING, then BLK_OK or a negative enum blk_err */
	struct blk_req *next;
	u64 deadline_us; /* now_us() value after which the request has timed out */
	u8 tries;        /* times issued to the hardware (drivers retry once) */
};

struct blk_dev;

struct blk_ops {
	int (*submit)(struct blk_dev *d, struct blk_req *r); /* 0 or negative enum blk_err */
	int (*poll)(struct blk_dev *d);                      /* requests completed by this call */
};

struct blk_dev {
	const struct blk_ops *ops;
	char name[BLK_NAME_LEN];   /* "ahci0.p1", "ide0.1" */
	char model[BLK_MODEL_LEN]; /* from IDENTIFY DEVICE */
	u64 sectors;               /* capacity in 512-byte sectors */
	u32 max_sectors;           /* largest count one request may carry */
	bool lba48;
	bool ncq;
	bool failed;               /* set by the driver after an unrecoverable error */
	bool dma32;                /* its DMA reaches only the low 4 GiB (buffers above
				    * need a bounce buffer: diskq_set_bounce()) */
	const char *transport;     /* "AHCI", "IDE BM-DMA", "IDE PIO" */
	void *drv;                 /* the driver's per-disk state */
};

/* A guest's window on a disk: device LBAs [lba, lba + sectors). */
struct blk_extent {
	struct blk_dev *dev;
	u64 lba;
	u64 sectors;
};

/* "read", "write", "flush" (or "?"): for log lines. */
const char *blk_op_name(u8 op);

/* The disks the drivers registered (storage.c). */
u32 blk_ndevs(void);
struct blk_dev *blk_get(u32 i);
int blk_register(struct blk_dev *d);

/*
 * Common checks every driver's submit() starts with: count within
 * 1..max_sectors, the range inside the disk, buffer 2-byte aligned and
 * below 4 GiB when the controller cannot address more (dma32).  A
 * BLK_FLUSH must have count 0; its lba and buf are not looked at.  Pure.
 */
int blk_check_req(const struct blk_dev *d, const struct blk_req *r, bool dma32);

/*
 * Submit a request whose lba is relative to the extent: checks it lies
 * inside, rewrites r->lba to the device LBA, forwards to the driver.
 * Reads and writes only (a flush has no range: BLK_ERANGE; send it to
 * the disk's own submit()).  Pure apart from the driver call.
 */
int blk_extent_submit(const struct blk_extent *e, struct blk_req *r);

#ifndef FORMICA_HOST
/* Submit and poll until done or timeout_us passed (the driver's own
 * timeouts normally fire first).  Returns the request's final status. */
int blk_rw_sync(struct blk_dev *d, struct blk_req *r, u64 timeout_us);
#endif

#endif
