/*
 * diskq.c - sched/ in front of one disk, one request on the disk at a time.
 *
 * The life of a request: diskq_submit() checks it against the guest's
 * extent and hands it to sched_add(); kick() asks sched_dispatch() whether
 * to send a request to the disk now, or to keep the disk idle until a given
 * time (anticipation), and sends it through the driver's submit();
 * diskq_poll() runs the driver's poll(), and when the request on the disk
 * has finished, tells sched_complete() (which starts the process's think-
 * time clock), calls the caller's done() and kicks again.  The queue holds
 * no clock of its own: whoever calls it passes the time in.
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

/* Exited processes leave the scheduler once their requests have drained. */
static void reap_gone(struct diskq *q)
{
	u32 i = 0;

	while (i < q->ngone) {
		int rc = sched_proc_remove(&q->s, q->gone_guest[i], q->gone_key[i]);

		if (rc == SCHED_EBUSY) {
			i++;
			continue;
		}
		q->ngone--;
		q->gone_guest[i] = q->gone_guest[q->ngone];
		q->gone_key[i] = q->gone_key[q->ngone];
	}
}

static void finish(struct diskq *q, struct diskq_req *r, int status, u64 now)
{
	sched_complete(&q->s, r->id, now);
	q->by_id[r->id] = NULL;
	r->status = status;
	r->complete_ns = now;
	q->st.completed++;
	if (status != BLK_OK)
		q->st.errors++;
	reap_gone(q);
	if (r->done)
		r->done(r);
}

/* The disk is free (or just became so): ask the scheduler what now. */
static void kick(struct diskq *q, u64 now)
{
	struct sched_decision d;

	while (!q->inflight) {
		if (sched_dispatch(&q->s, now, &d) < 0)
			return; /* a time that went backwards: ask again later */
		q->idle_until = d.action == SCHED_IDLE ? d.until : SCHED_NEVER;
		if (d.action != SCHED_DISPATCH)
			return;

		struct diskq_req *r = q->by_id[d.id];
		memset(&r->blk, 0, sizeof(r->blk));
		r->blk.op = r->op;
		r->blk.lba = r->lba;
		r->blk.count = r->count;
		r->blk.buf = r->buf;
		r->dispatch_ns = now;
		/* The extent check once more, right before the disk: the one
		 * place that keeps a guest inside its window. */
		int rc = blk_extent_submit(r->ext, &r->blk);
		if (rc < 0) {
			finish(q, r, rc, now); /* refused by the driver: done, next */
			continue;
		}
		q->inflight = r;
	}
}

int diskq_submit(struct diskq *q, struct diskq_req *r, u64 now)
{
	if (r->op != BLK_READ && r->op != BLK_WRITE)
		return BLK_EINVAL;
	if (!r->ext || r->count == 0 || r->count > q->dev->max_sectors)
		return BLK_EINVAL;
	if (r->ext->dev != q->dev || r->lba >= r->ext->sectors ||
	    r->count > r->ext->sectors - r->lba) {
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
	if (id == SCHED_ENOPROC && sched_proc_add(&q->s, r->guest, r->proc) == SCHED_OK)
		id = sched_add(&q->s, &sr);
	if (id < 0) {
		q->st.refused++;
		return id == SCHED_EFULL ? BLK_EBUSY : BLK_EINVAL;
	}
	r->id = id;
	r->status = BLK_PENDING;
	r->submit_ns = now;
	r->dispatch_ns = r->complete_ns = 0;
	q->by_id[id] = r;
	q->st.submitted++;
	kick(q, now);
	return 0;
}

u32 diskq_poll(struct diskq *q, u64 now)
{
	u32 done = 0;

	if (q->inflight) {
		q->dev->ops->poll(q->dev);
		struct diskq_req *r = q->inflight;
		if (r->blk.status != BLK_PENDING) {
			q->inflight = NULL;
			q->st.busy_ns += now - r->dispatch_ns;
			finish(q, r, r->blk.status, now);
			done++;
		}
	}
	kick(q, now);
	return done;
}

u64 diskq_deadline(const struct diskq *q)
{
	return q->inflight ? SCHED_NEVER : q->idle_until;
}

void diskq_proc_gone(struct diskq *q, u32 guest, u64 proc)
{
	if (sched_proc_remove(&q->s, guest, proc) != SCHED_EBUSY || q->ngone >= DISKQ_PROCS)
		return;
	q->gone_guest[q->ngone] = guest;
	q->gone_key[q->ngone++] = proc;
}

int diskq_proc_stats(const struct diskq *q, u32 guest, u64 proc, struct sched_proc_stats *st)
{
	return sched_proc_stats(&q->s, guest, proc, st);
}
