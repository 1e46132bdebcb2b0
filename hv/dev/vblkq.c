/*
 * vblkq.c - guest requests through the scheduler to the disk, one at a time.
 *
 * A request's life: vblkq_notify() takes it from the guest's device and
 * adds it to the scheduler under (guest, key), at the position of its first
 * sector on the real disk; vblkq_poll() asks the scheduler which request
 * goes next (or whether to idle), sends its pieces to the driver one after
 * another, and when the last is done - and the disk model's time has come -
 * completes it to the guest and to the scheduler.
 */
#include "dev/vblkq.h"
#include "string.h"

int vblkq_init(struct vblkq *q, struct blk_dev *dev, enum sched_policy policy,
	       enum iokey_mode key_mode, struct hdd *model)
{
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->model = model;
	q->key_mode = key_mode;
	q->active = -1;
	struct sched_params p;
	sched_default_params(policy, &p);
	if (sched_init(&q->s, policy, &p, dev->sectors, q->slots, VBLKQ_SLOTS, q->procs,
		       VBLKQ_PROCS))
		return VBLKQ_ESCHED;
	return 0;
}

int vblkq_add_guest(struct vblkq *q, struct vblk *blk, const struct gmem *mem,
		    const struct blk_extent *ext, u32 next, const struct af *af)
{
	if (q->nguests == VBLKQ_MAX_GUESTS)
		return VBLKQ_EINVAL;
	for (u32 i = 0; i < next; i++)
		if (ext[i].dev != q->dev)
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
	if (q->fault)
		q->fault(q->fault_ctx, guest, what);
}

/* Make (guest, key) known to the scheduler.  When its table is full, one
 * process with nothing queued or in flight gives up its entry (and the
 * think-time history the scheduler kept for it). */
static int proc_ensure(struct vblkq *q, u32 guest, u64 key)
{
	int rc = sched_proc_add(&q->s, guest, key);
	if (rc == SCHED_EEXIST)
		return 0;
	if (rc == SCHED_EFULL) {
		for (u32 i = 0; i < VBLKQ_PROCS; i++) {
			struct vblkq_proc *k = &q->known[i];
			if (k->used && sched_proc_remove(&q->s, k->guest, k->key) == SCHED_OK) {
				k->used = false;
				q->st.proc_evictions++;
				break;
			}
		}
		rc = sched_proc_add(&q->s, guest, key);
	}
	if (rc)
		return rc;
	/* The scheduler has VBLKQ_PROCS entries, so has this table. */
	for (u32 i = 0; i < VBLKQ_PROCS; i++) {
		if (!q->known[i].used) {
			q->known[i] = (struct vblkq_proc){ true, guest, key };
			break;
		}
	}
	return 0;
}

#define ENQ_OUTSIDE 1

/* Queue request i (just taken from guest's device) in the scheduler:
 * 0, ENQ_OUTSIDE, or the scheduler's negative enum sched_err. */
static int enqueue(struct vblkq *q, u32 guest, int i, u64 key, u64 now)
{
	struct vblkq_guest *g = &q->g[guest];
	struct vblkq_req *r = &q->req[i];
	struct vdisk_cursor c = { 0 };
	struct vdisk_piece p;
	if (vdisk_next(&g->disk, &r->vr, &c, &p) != 1)
		return ENQ_OUTSIDE; /* vblk_init was given more than the extents hold */
	int rc = proc_ensure(q, guest, key);
	if (rc)
		return rc;
	struct sched_req sr = {
		.guest = guest,
		.proc = key,
		.lba = g->disk.ext[p.extent].lba + p.lba,
		.nsect = r->vr.nsect,
		.dir = r->vr.type == VIRTIO_BLK_T_IN ? SCHED_READ : SCHED_WRITE,
		.arrival = now,
	};
	int id = sched_add(&q->s, &sr);
	if (id < 0)
		return id;
	r->used = true;
	r->guest = guest;
	r->sched_id = id;
	r->cur = (struct vdisk_cursor){ 0 };
	r->status = VIRTIO_BLK_S_OK;
	r->pieces_done = false;
	r->model_done = 0;
	g->outstanding++;
	q->st.requests++;
	return 0;
}

static int free_slot(const struct vblkq *q)
{
	for (int i = 0; i < VBLKQ_SLOTS; i++)
		if (!q->req[i].used)
			return i;
	return -1;
}

void vblkq_notify(struct vblkq *q, u32 guest, u32 vcpu, u64 now)
{
	if (guest >= q->nguests)
		return;
	struct vblkq_guest *g = &q->g[guest];
	/* The process loaded at this exit submitted what is new in the ring. */
	u64 key = g->af ? iokey_current(g->af, vcpu, q->key_mode) : IOKEY_NONE;
	int i;
	/* With no free slot the rest stays in the ring until the next notify;
	 * VBLKQ_PER_GUEST makes that impossible for a guest within its share. */
	while ((i = free_slot(q)) >= 0) {
		struct vblk_req *vr = &q->req[i].vr;
		int rc = vblk_next(g->blk, vr);
		if (rc == VBLK_NONE)
			break;
		if (rc == VBLK_DONE)
			continue;
		if (rc < 0) {
			report(q, guest, vblk_fault_name(g->blk, rc));
			continue;
		}
		if (vr->type == VIRTIO_BLK_T_FLUSH) {
			q->st.flushes++;
			vblk_complete(g->blk, vr, VIRTIO_BLK_S_OK);
			continue;
		}
		rc = enqueue(q, guest, i, key, now);
		if (rc) {
			q->st.ioerr++;
			report(q, guest,
			       rc == ENQ_OUTSIDE ? "request-outside-extents" : sched_strerror(rc));
			vblk_complete(g->blk, vr, VIRTIO_BLK_S_IOERR);
		}
	}
}

/* Send the driver the piece in r->piece (again, if it was busy). */
static void issue(struct vblkq *q, struct vblkq_req *r, u32 extent)
{
	const struct blk_extent *e = &q->g[r->guest].disk.ext[extent];
	r->piece.status = BLK_PENDING;
	int rc = blk_extent_submit(e, &r->piece);
	if (rc == BLK_EBUSY) {
		r->piece.status = BLK_EBUSY; /* the driver's queue is full: retry at poll */
	} else if (rc < 0) {
		r->status = VIRTIO_BLK_S_IOERR;
		r->pieces_done = true;
	}
}

/* Cut and send the next piece, or note that there is none. */
static void next_piece(struct vblkq *q, struct vblkq_req *r)
{
	struct vblkq_guest *g = &q->g[r->guest];
	struct vdisk_piece p;
	int rc = vdisk_next(&g->disk, &r->vr, &r->cur, &p);
	if (rc <= 0) {
		if (rc < 0)
			r->status = VIRTIO_BLK_S_IOERR;
		r->pieces_done = true;
		return;
	}
	r->piece = (struct blk_req){
		.op = r->vr.type == VIRTIO_BLK_T_IN ? BLK_READ : BLK_WRITE,
		.lba = p.lba,
		.count = p.count,
		.buf = gpa_to_hpa(g->mem, p.gpa),
		.priv = r,
	};
	r->piece_extent = p.extent;
	issue(q, r, p.extent);
}

/* Look at the piece the driver had: false while it still has it. */
static bool pieces_settled(struct vblkq *q, struct vblkq_req *r)
{
	int st = r->piece.status;
	if (st == BLK_PENDING || st == BLK_EBUSY)
		return false;
	if (st != BLK_OK) {
		r->status = VIRTIO_BLK_S_IOERR;
		r->pieces_done = true;
		return true;
	}
	next_piece(q, r);
	return r->pieces_done;
}

/* The request at the disk: true once it is finished and its slot free. */
static bool advance(struct vblkq *q, u64 now)
{
	struct vblkq_req *r = &q->req[q->active];
	if (!r->pieces_done) {
		if (r->piece.status == BLK_EBUSY)
			issue(q, r, r->piece_extent);
		else
			q->dev->ops->poll(q->dev);
		if (!r->pieces_done && !pieces_settled(q, r))
			return false;
	}
	/* The real disk is done; the modelled one may not be. */
	if (q->model && now < r->model_done)
		return false;

	struct vblkq_guest *g = &q->g[r->guest];
	if (r->status != VIRTIO_BLK_S_OK)
		q->st.ioerr++;
	vblk_complete(g->blk, &r->vr, r->status); /* 1: the device was reset meanwhile */
	sched_complete(&q->s, r->sched_id, now);
	g->outstanding--;
	r->used = false;
	q->active = -1;
	q->st.completed++;
	return true;
}

static int find(const struct vblkq *q, int sched_id)
{
	for (int i = 0; i < VBLKQ_SLOTS; i++)
		if (q->req[i].used && q->req[i].sched_id == sched_id)
			return i;
	return -1;
}

void vblkq_poll(struct vblkq *q, u64 now)
{
	for (;;) {
		if (q->active >= 0 && !advance(q, now))
			return;
		struct sched_decision d;
		q->idle_until = 0;
		if (sched_dispatch(&q->s, now, &d) < 0)
			return;
		if (d.action == SCHED_IDLE)
			q->idle_until = d.until;
		if (d.action != SCHED_DISPATCH)
			return;
		int i = find(q, d.id);
		if (i < 0)
			return; /* cannot happen: every scheduled id has a slot */
		struct vblkq_req *r = &q->req[i];
		q->active = i;
		if (q->model)
			r->model_done = hdd_serve(q->model, d.req.lba, d.req.nsect,
						  d.req.dir == SCHED_READ, now);
		next_piece(q, r);
	}
}

u64 vblkq_next_event(const struct vblkq *q)
{
	if (q->active >= 0) {
		const struct vblkq_req *r = &q->req[q->active];
		return q->model && r->pieces_done ? r->model_done : SCHED_NEVER;
	}
	return q->idle_until ? q->idle_until : SCHED_NEVER;
}
