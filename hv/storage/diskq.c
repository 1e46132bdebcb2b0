/*
 * diskq.c - sched/ in front of one disk, one request on the disk at a time.
 *
 * The life of a request: diskq_submit() checks it against the guest's
 * extent and hands it to sched_add(); kick() asks sched_dispatch() whether
 * to send a request to the disk now, or to keep the disk idle until a given
 * time (anticipation), starts the disk model's clock for it and sends its
 * first piece through the driver's submit(); diskq_poll() runs the driver's
 * poll() and sends the next piece when one has finished.  When the last
 * piece is done - and the modelled disk would be done too - retire() tells
 * sched_complete() (which starts the process's think-time clock), calls
 * the caller's done() and the queue kicks again.  The queue holds no clock
 * of its own: whoever calls it passes the time in.
 *
 * A flush skips sched/: diskq_submit() puts it in the flush FIFO, kick()
 * sends it when the disk is free (diskq.h says why and when it may wait
 * for one request of sched/'s), as one piece with no extent, straight to
 * the disk's submit(); retire() completes it without telling sched/.
 */
#include "types.h"
#include "string.h"
#include "storage/diskq.h"

int diskq_init(struct diskq *q, struct blk_dev *dev, enum sched_policy policy,
	       const struct sched_params *params)
{
	struct sched_params p;

	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->idle_until = SCHED_NEVER;
	if (params)
		p = *params;
	else
		sched_default_params(policy, &p);
	return sched_init(&q->s, policy, &p, dev->sectors, q->slots, DISKQ_SLOTS, q->procs,
			  DISKQ_PROCS);
}

void diskq_set_model(struct diskq *q, struct hdd *model)
{
	q->model = model;
}

/* ---- the scheduler's process table ---- */

int diskq_proc_find(const struct diskq *q, u32 guest, u64 key)
{
	for (u32 i = 0; i < DISKQ_PROCS; i++) {
		const struct diskq_proc *k = &q->known[i];
		if (k->used && k->guest == guest && k->key == key)
			return (int)i;
	}
	return -1;
}

static struct diskq_proc *known(struct diskq *q, u32 guest, u64 key)
{
	int i = diskq_proc_find(q, guest, key);
	return i < 0 ? NULL : &q->known[i];
}

/* Remove k from the scheduler if it has nothing queued or in flight. */
static bool drop_if_idle(struct diskq *q, struct diskq_proc *k)
{
	if (sched_proc_remove(&q->s, k->guest, k->key) == SCHED_EBUSY)
		return false;
	k->used = false;
	return true;
}

/* Add (guest, key) to the scheduler; when its table is full, an idle
 * process gives up its entry. */
static int proc_add(struct diskq *q, u32 guest, u64 key)
{
	int rc = sched_proc_add(&q->s, guest, key);

	for (u32 i = 0; rc == SCHED_EFULL && i < DISKQ_PROCS; i++) {
		if (q->known[i].used && drop_if_idle(q, &q->known[i])) {
			q->st.proc_evictions++;
			rc = sched_proc_add(&q->s, guest, key);
		}
	}
	if (rc)
		return rc;
	/* The scheduler has DISKQ_PROCS entries, so has this table. */
	for (u32 i = 0; i < DISKQ_PROCS; i++) {
		if (!q->known[i].used) {
			q->known[i] = (struct diskq_proc){ .used = true, .guest = guest, .key = key };
			break;
		}
	}
	return 0;
}

/* Exited processes leave the scheduler once their requests have drained. */
static void reap_gone(struct diskq *q)
{
	for (u32 i = 0; i < DISKQ_PROCS; i++)
		if (q->known[i].used && q->known[i].gone)
			drop_if_idle(q, &q->known[i]);
}

void diskq_proc_gone(struct diskq *q, u32 guest, u64 proc)
{
	struct diskq_proc *k = known(q, guest, proc);

	if (k && !drop_if_idle(q, k))
		k->gone = true;
}

int diskq_proc_stats(const struct diskq *q, u32 guest, u64 proc, struct sched_proc_stats *st)
{
	return sched_proc_stats(&q->s, guest, proc, st);
}

/* ---- the request on the disk ---- */

/* A request without pieces() (and a flush): its one piece. */
static int one_piece(struct diskq_req *r, struct diskq_piece *p)
{
	if (r->npieces)
		return 0;
	*p = (struct diskq_piece){ .ext = r->ext, .lba = r->lba, .count = r->count, .buf = r->buf };
	return 1;
}

void diskq_set_bounce(struct diskq *q, u8 *buf, u32 sectors)
{
	q->bounce = buf;
	q->bounce_sectors = buf ? sectors : 0;
}

/* A piece the controller cannot reach goes through the bounce buffer: a
 * write's data is copied there now, a read's is copied out when it is
 * done (advance()). */
static void bounce_if_needed(struct diskq *q, struct diskq_req *r)
{
	u64 bytes = (u64)r->blk.count * BLK_SECTOR_SIZE;
	r->bounced = 0;
	if (r->op == BLK_FLUSH || !q->dev->dma32 || r->blk.buf + bytes <= (1ull << 32) ||
	    !q->bounce || r->blk.count > q->bounce_sectors)
		return; /* reachable, or the driver will refuse it */
	if (r->op == BLK_WRITE)
		memcpy(q->bounce, (const void *)(uintptr_t)r->blk.buf, bytes);
	r->bounced = r->blk.buf;
	r->blk.buf = (u64)(uintptr_t)q->bounce;
	q->st.bounced++;
}

/* Send the piece in r->blk to the driver (again, if it was busy). */
static void issue(struct diskq *q, struct diskq_req *r)
{
	r->blk.status = BLK_PENDING;
	/* The extent check once more, right before the disk: the one place
	 * that keeps a guest inside its window.  A flush has no window: it
	 * writes nothing of its own, it only makes the disk's cache durable. */
	int rc = r->op == BLK_FLUSH ? q->dev->ops->submit(q->dev, &r->blk)
				    : blk_extent_submit(r->piece_ext, &r->blk);
	if (rc == BLK_EBUSY) {
		r->blk.status = BLK_EBUSY; /* the driver's queue is full: again at poll */
		q->st.driver_busy++;
	} else if (rc < 0) {
		r->status = rc; /* refused by the driver: r ends with its error */
		r->pieces_done = true;
	}
}

/* Cut r's next piece and send it, or note that r has none left. */
static void next_piece(struct diskq *q, struct diskq_req *r)
{
	struct diskq_piece p;
	int rc = r->pieces && r->op != BLK_FLUSH ? r->pieces(r, &p) : one_piece(r, &p);

	if (rc <= 0) {
		r->status = rc < 0 ? rc : BLK_OK;
		r->pieces_done = true;
		return;
	}
	r->blk = (struct blk_req){
		.op = r->op, .lba = p.lba, .count = p.count, .buf = p.buf, .priv = r,
	};
	r->piece_ext = p.ext;
	r->npieces++;
	bounce_if_needed(q, r);
	issue(q, r);
}

/* Move the request on the disk along: resend a piece the driver was too
 * busy for, or poll the driver and follow a finished piece with the next. */
static void advance(struct diskq *q, struct diskq_req *r)
{
	if (r->blk.status == BLK_EBUSY) {
		issue(q, r);
		return;
	}
	q->dev->ops->poll(q->dev);
	int st = r->blk.status;
	if (st == BLK_PENDING || st == BLK_EBUSY)
		return;
	if (st != BLK_OK) {
		r->status = st; /* the rest of its pieces are not sent */
		r->pieces_done = true;
		return;
	}
	if (r->bounced && r->op == BLK_READ)
		memcpy((void *)(uintptr_t)r->bounced, q->bounce,
		       (u64)r->blk.count * BLK_SECTOR_SIZE);
	r->bounced = 0;
	next_piece(q, r);
}

/* Complete the request on the disk if it is done, by the disk and by the
 * model: the scheduler, then the caller's done(). */
static void retire(struct diskq *q, u64 now)
{
	struct diskq_req *r = q->inflight;

	if (!r->pieces_done || (q->model && now < r->model_ns))
		return;
	q->inflight = NULL;
	q->st.busy_ns += now - r->dispatch_ns;
	if (r->op == BLK_FLUSH) {
		q->st.flushes++;
	} else {
		sched_complete(&q->s, r->id, now);
		q->by_id[r->id] = NULL;
	}
	r->complete_ns = now;
	q->st.completed++;
	if (r->status != BLK_OK)
		q->st.errors++;
	reap_gone(q);
	if (r->done)
		r->done(r);
}

/* Put r on the disk now: its first piece to the driver. */
static void start(struct diskq *q, struct diskq_req *r, u64 now)
{
	r->dispatch_ns = now;
	q->inflight = r;
	q->last_was_flush = r->op == BLK_FLUSH;
	next_piece(q, r);
	retire(q, now); /* refused before it reached the disk: done, next */
}

/* The flush FIFO's first, taken off it; the disk is about to get it. */
static struct diskq_req *take_flush(struct diskq *q)
{
	struct diskq_req *r = q->flush_head;

	q->flush_head = r->next_flush;
	if (!q->flush_head)
		q->flush_tail = NULL;
	r->next_flush = NULL;
	/* r->model_ns stays 0: the modelled disk has no write cache, nothing
	 * to write back, so the model holds it no longer than the real disk. */
	return r;
}

/* The disk is free (or just became so): a flush, or ask the scheduler. */
static void kick(struct diskq *q, u64 now)
{
	struct sched_decision d;

	while (!q->inflight) {
		/* A waiting flush goes first, unless a flush was the disk's
		 * last request: then sched/ may send one of its own first. */
		if (q->flush_head && !q->last_was_flush) {
			q->idle_until = SCHED_NEVER;
			start(q, take_flush(q), now);
			continue;
		}
		if (sched_dispatch(&q->s, now, &d) < 0)
			return; /* a time that went backwards: ask again later */
		q->idle_until = d.action == SCHED_IDLE ? d.until : SCHED_NEVER;
		if (d.action != SCHED_DISPATCH) {
			/* Idle or empty: a waiting flush uses the free disk (an
			 * anticipation wait goes on in sched/'s books). */
			q->last_was_flush = false;
			if (q->flush_head)
				continue;
			return;
		}

		struct diskq_req *r = q->by_id[d.id];
		if (q->model) /* the modelled disk starts it now, where sched/ put it */
			r->model_ns = hdd_serve(q->model, d.req.lba, d.req.nsect,
						d.req.dir == SCHED_READ, now);
		start(q, r, now);
	}
}

/* Reset the queue's fields of r as it is accepted. */
static void accept(struct diskq *q, struct diskq_req *r, u64 now)
{
	r->status = BLK_PENDING;
	r->submit_ns = now;
	r->dispatch_ns = r->complete_ns = 0;
	r->npieces = 0;
	r->pieces_done = false;
	r->model_ns = 0;
	r->next_flush = NULL;
	q->st.submitted++;
}

/* A flush: to the end of the flush FIFO, no slot, no scheduler. */
static int submit_flush(struct diskq *q, struct diskq_req *r, u64 now)
{
	if (r->count != 0)
		return BLK_EINVAL;
	accept(q, r, now);
	r->id = -1;
	if (q->flush_tail)
		q->flush_tail->next_flush = r;
	else
		q->flush_head = r;
	q->flush_tail = r;
	kick(q, now);
	return 0;
}

int diskq_submit(struct diskq *q, struct diskq_req *r, u64 now)
{
	if (r->op == BLK_FLUSH)
		return submit_flush(q, r, now);
	if (r->op != BLK_READ && r->op != BLK_WRITE)
		return BLK_EINVAL;
	if (!r->ext || r->count == 0 || (!r->pieces && r->count > q->dev->max_sectors))
		return BLK_EINVAL;
	if (r->ext->dev != q->dev || r->lba >= r->ext->sectors ||
	    (!r->pieces && r->count > r->ext->sectors - r->lba)) {
		q->st.refused++;
		return BLK_ERANGE;
	}

	struct sched_req sr = {
		.guest = r->guest,
		.proc = r->proc,
		.lba = r->ext->lba + r->lba,
		.nsect = r->count,
		.dir = r->op == BLK_READ ? SCHED_READ : SCHED_WRITE,
		.arrival = now,
	};
	int id = sched_add(&q->s, &sr);
	if (id == SCHED_ENOPROC) {
		int rc = proc_add(q, r->guest, r->proc);
		id = rc ? rc : sched_add(&q->s, &sr);
	}
	if (id < 0) {
		q->st.refused++;
		return id == SCHED_EFULL ? BLK_EBUSY : BLK_EINVAL;
	}
	accept(q, r, now);
	r->id = id;
	q->by_id[id] = r;
	kick(q, now);
	return 0;
}

u32 diskq_poll(struct diskq *q, u64 now)
{
	u64 before = q->st.completed;

	if (q->inflight) {
		if (!q->inflight->pieces_done)
			advance(q, q->inflight);
		retire(q, now);
	}
	kick(q, now);
	return (u32)(q->st.completed - before);
}

u64 diskq_deadline(const struct diskq *q)
{
	const struct diskq_req *r = q->inflight;

	if (r)
		return q->model && r->pieces_done ? r->model_ns : SCHED_NEVER;
	return q->idle_until;
}
