/*
 * vblkq.c - guest virtio requests into the disk queue, and back.
 *
 * A request's life here: vblkq_notify() takes it from the guest's device,
 * keys it by the process loaded at that exit, finds where its first sector
 * lies on the real disk (where the scheduler will see it) and submits it to
 * the disk queue (hv/storage/diskq.c) with cut_piece() as its piece
 * cutter.  Everything between - the scheduler's order, anticipation, one
 * request at the disk, the pieces one after another, the disk model's
 * hold - is the disk queue's.  When it calls request_done(), the guest's
 * device gets the virtio status and the used-ring entry.  A FLUSH goes the
 * same way as a BLK_FLUSH with no sectors: the disk queue sends it to the
 * disk as soon as the disk is free (diskq.h), and the guest hears of it
 * when the disk has written its cache back.
 */
#include "dev/vblkq.h"
#include "string.h"

int vblkq_init(struct vblkq *q, struct blk_dev *dev, enum sched_policy policy,
	       enum iokey_mode key_mode, struct hdd *model)
{
	memset(q, 0, sizeof(*q));
	q->key_mode = key_mode;
	if (diskq_init(&q->dq, dev, policy, NULL))
		return VBLKQ_ESCHED;
	diskq_set_model(&q->dq, model);
	return 0;
}

int vblkq_add_guest(struct vblkq *q, struct vblk *blk, const struct gmem *mem,
		    const struct blk_extent *ext, u32 next, const struct af *af)
{
	if (q->nguests == VBLKQ_MAX_GUESTS)
		return VBLKQ_EINVAL;
	for (u32 i = 0; i < next; i++)
		if (ext[i].dev != q->dq.dev)
			return VBLKQ_EINVAL;
	struct vblkq_guest *g = &q->g[q->nguests];
	if (vdisk_init(&g->disk, ext, next))
		return VBLKQ_EINVAL;
	g->blk = blk;
	g->mem = mem;
	g->af = af;
	g->outstanding = 0;
	return (int)q->nguests++;
}

static void report(struct vblkq *q, u32 guest, const char *what)
{
	q->st.faults++;
	q->g[guest].st.faults++;
	if (q->fault)
		q->fault(q->cb_ctx, guest, what);
}

/* The disk queue asks for the request's next piece: vdisk cuts it. */
static int cut_piece(struct diskq_req *dr, struct diskq_piece *p)
{
	struct vblkq *q = dr->priv;
	struct vblkq_req *r = (struct vblkq_req *)dr; /* dr is its first member */
	struct vblkq_guest *g = &q->g[dr->guest];
	struct vdisk_piece vp;
	int rc = vdisk_next(&g->disk, &r->vr, &r->cur, &vp);
	if (rc <= 0)
		return rc < 0 ? BLK_ERANGE : 0;
	*p = (struct diskq_piece){
		.ext = &g->disk.ext[vp.extent],
		.lba = vp.lba,
		.count = vp.count,
		.buf = gpa_to_hpa(g->mem, vp.gpa),
	};
	return 1;
}

/* The guest's device got an answer and may have raised its interrupt:
 * the run loop wakes the guest when these counts move (vblkq.h). */
static void note_completion(struct vblkq *q, struct vblkq_guest *g)
{
	g->completed++;
	q->completed++;
}

/* The disk queue is done with the request: tell the guest's device. */
static void request_done(struct diskq_req *dr)
{
	struct vblkq *q = dr->priv;
	struct vblkq_req *r = (struct vblkq_req *)dr;
	struct vblkq_guest *g = &q->g[dr->guest];
	u8 status = dr->status == BLK_OK ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	if (status != VIRTIO_BLK_S_OK) {
		q->st.ioerr++;
		g->st.ioerr++;
	} else if (dr->op == BLK_FLUSH) {
		q->st.flushes++;
		g->st.flushes++;
	} else if (dr->op == BLK_READ) {
		g->st.reads++;
		g->st.sectors_read += dr->count;
	} else {
		g->st.writes++;
		g->st.sectors_written += dr->count;
	}
	if (q->trace)
		q->trace(q->cb_ctx, dr->guest, dr);
	vblk_complete(g->blk, &r->vr, status); /* 1: the device was reset meanwhile */
	g->outstanding--;
	q->outstanding--;
	note_completion(q, g);
	r->used = false;
}

#define ENQ_OUTSIDE 1

/* Submit r (just taken from guest's device) to the disk queue: 0,
 * ENQ_OUTSIDE, or the disk queue's negative enum blk_err. */
static int enqueue(struct vblkq *q, u32 guest, struct vblkq_req *r, u64 key, u64 now)
{
	struct vblkq_guest *g = &q->g[guest];
	if (r->vr.type == VIRTIO_BLK_T_FLUSH) {
		/* No sectors, no extent: the whole disk's cache. */
		r->dr = (struct diskq_req){
			.guest = guest, .proc = key, .op = BLK_FLUSH,
			.done = request_done, .priv = q,
		};
	} else {
		struct vdisk_cursor c = { 0 };
		struct vdisk_piece first;
		if (vdisk_next(&g->disk, &r->vr, &c, &first) != 1)
			return ENQ_OUTSIDE; /* vblk_init was given more than the extents hold */
		r->dr = (struct diskq_req){
			.guest = guest,
			.proc = key,
			.ext = &g->disk.ext[first.extent],
			.op = r->vr.type == VIRTIO_BLK_T_IN ? BLK_READ : BLK_WRITE,
			.lba = first.lba,
			.count = r->vr.nsect,
			.pieces = cut_piece,
			.done = request_done,
			.priv = q,
		};
	}
	r->cur = (struct vdisk_cursor){ 0 };
	/* Taken before submitting: the disk queue may finish it at once. */
	r->used = true;
	g->outstanding++;
	q->outstanding++;
	int rc = diskq_submit(&q->dq, &r->dr, now);
	if (rc < 0) {
		r->used = false;
		g->outstanding--;
		q->outstanding--;
	}
	return rc;
}

static struct vblkq_req *free_slot(struct vblkq *q)
{
	for (int i = 0; i < VBLKQ_SLOTS; i++)
		if (!q->req[i].used)
			return &q->req[i];
	return NULL;
}

/* Take guest's new requests, as far as its share of the slots allows. */
static void take(struct vblkq *q, u32 guest, u64 key, u64 now)
{
	struct vblkq_guest *g = &q->g[guest];
	struct vblkq_req *r;
	g->deferred = false;
	for (;;) {
		/* A guest's share: VBLKQ_PER_GUEST.  Within it a slot is always
		 * free (VBLKQ_SLOTS), so one guest that resets its device with
		 * requests in flight and offers new ones cannot take the others'
		 * slots: the rest wait in its ring until some of its own
		 * complete. */
		if (g->outstanding >= VBLKQ_PER_GUEST || !(r = free_slot(q))) {
			g->deferred = true;
			g->deferred_key = key;
			return;
		}
		int rc = vblk_next(g->blk, &r->vr);
		if (rc == VBLK_NONE)
			return;
		if (rc == VBLK_DONE)
			continue;
		if (rc < 0) {
			report(q, guest, vblk_fault_name(g->blk, rc));
			/* The device answered it (IOERR) or needs a reset: either
			 * way it may have raised its interrupt. */
			note_completion(q, g);
			continue;
		}
		rc = enqueue(q, guest, r, key, now);
		if (rc) {
			q->st.ioerr++;
			g->st.ioerr++;
			report(q, guest,
			       rc == ENQ_OUTSIDE ? "request-outside-extents"
			       : rc == BLK_EBUSY ? "disk-queue-full"
						 : "disk-queue-refused");
			vblk_complete(g->blk, &r->vr, VIRTIO_BLK_S_IOERR);
			note_completion(q, g);
		}
	}
}

void vblkq_notify(struct vblkq *q, u32 guest, u32 vcpu, u64 now)
{
	if (guest >= q->nguests)
		return;
	const struct vblkq_guest *g = &q->g[guest];
	/* The process loaded at this exit submitted what is new in the ring. */
	take(q, guest, g->af ? iokey_current(g->af, vcpu, q->key_mode) : IOKEY_NONE, now);
}

void vblkq_poll(struct vblkq *q, u64 now)
{
	diskq_poll(&q->dq, now);
	for (u32 i = 0; i < q->nguests; i++)
		if (q->g[i].deferred && q->g[i].outstanding < VBLKQ_PER_GUEST)
			take(q, i, q->g[i].deferred_key, now);
}

u64 vblkq_next_event(const struct vblkq *q)
{
	return diskq_deadline(&q->dq);
}

/* A deferred guest has VBLKQ_PER_GUEST outstanding, so the total covers it;
 * an anticipation is the only work that has no request. */
bool vblkq_busy(const struct vblkq *q)
{
	return q->outstanding || q->dq.idle_until != SCHED_NEVER;
}
