/*
 * sched.c - the scheduler's life cycle: requests come in (sched_add), go to
 * the disk (sched_dispatch) and come back (sched_complete).  The policies
 * only choose; the bookkeeping all happens here, so every policy sees the
 * same consistent queue.
 *
 * Every entry point checks all of its input before it changes anything: a
 * bad request from a guest is refused with an error code and leaves the
 * scheduler exactly as it was.
 */
#include "types.h"
#include "string.h"
#include "sched.h"
#include "internal.h"

/* Bounds that keep the fixed-point and sector arithmetic inside 64 bits. */
#define MAX_DISK_SECTORS (1ull << 48)
#define MAX_SLOTS (1u << 20)
#define MAX_PROCS 0xffffu
#define MAX_WINDOW (1ull << 40)

static bool params_ok(const struct sched_params *p)
{
	return p->read_expire && p->write_expire && p->read_batch_expire &&
	       p->write_batch_expire && p->think_cap <= 1000 * SCHED_NS_PER_MS &&
	       p->close_ahead < MAX_WINDOW && p->close_behind < MAX_WINDOW &&
	       p->max_back < MAX_DISK_SECTORS && p->back_penalty >= 1 &&
	       p->back_penalty <= 1024 && p->fifo_batch >= 1;
}

int sched_init(struct sched *s, enum sched_policy policy, const struct sched_params *p,
	       u64 disk_sectors, struct sched_slot *slots, u32 nslots,
	       struct sched_proc *procs, u32 nprocs)
{
	if (!s || !p || !slots || !procs || (u32)policy >= SCHED_NPOLICIES)
		return SCHED_EINVAL;
	if (!params_ok(p) || disk_sectors == 0 || disk_sectors > MAX_DISK_SECTORS ||
	    nslots == 0 || nslots > MAX_SLOTS || nprocs == 0 || nprocs > MAX_PROCS)
		return SCHED_EINVAL;

	memset(s, 0, sizeof(*s));
	memset(slots, 0, nslots * sizeof(*slots));
	memset(procs, 0, nprocs * sizeof(*procs));
	s->policy = policy;
	s->p = *p;
	s->disk_sectors = disk_sectors;
	s->slots = slots;
	s->nslots = nslots;
	s->procs = procs;
	s->nprocs = nprocs;
	s->batch_dir = SCHED_READ;
	return SCHED_OK;
}

/* Time only moves forward: a decision depends on the order of the calls. */
static int advance(struct sched *s, u64 now)
{
	if (now < s->now)
		return SCHED_ETIME;
	s->now = now;
	return SCHED_OK;
}

int sched_add(struct sched *s, const struct sched_req *r)
{
	if (!s || !r || r->dir > SCHED_WRITE)
		return SCHED_EINVAL;
	if (r->nsect == 0)
		return SCHED_ELEN;
	if (r->lba >= s->disk_sectors || r->nsect > s->disk_sectors - r->lba)
		return SCHED_ERANGE;
	int pi = sched_proc_find(s, r->guest, r->proc);
	if (pi < 0)
		return SCHED_ENOPROC;
	if (r->arrival < s->now)
		return SCHED_ETIME;
	int id = -1;
	for (u32 i = 0; i < s->nslots && id < 0; i++)
		if (s->slots[i].state == SLOT_FREE)
			id = (int)i;
	if (id < 0)
		return SCHED_EFULL;

	/* Everything checked: from here on, the request is in. */
	advance(s, r->arrival);
	struct sched_proc *p = &s->procs[pi];
	sched_proc_note_arrival(s, p, r);

	struct sched_slot *sl = &s->slots[id];
	sl->req = *r;
	sl->seq = s->seq++;
	sl->expires = r->arrival + (r->dir == SCHED_READ ? s->p.read_expire : s->p.write_expire);
	sl->proc = (u16)pi;
	sl->state = SLOT_QUEUED;
	s->queued[r->dir]++;
	p->queued[r->dir]++;
	return id;
}

/* Indexed by enum sched_policy; sched_init() refuses any other value. */
static const struct sched_policy_ops *const policies[SCHED_NPOLICIES] = {
	[SCHED_FCFS] = &sched_fcfs_ops,
	[SCHED_DEADLINE] = &sched_deadline_ops,
	[SCHED_ANTICIPATORY] = &sched_as_ops,
};

const struct sched_policy_ops *sched_ops(const struct sched *s)
{
	return policies[s->policy];
}

int sched_dispatch(struct sched *s, u64 now, struct sched_decision *d)
{
	if (!s || !d)
		return SCHED_EINVAL;
	if (advance(s, now) < 0)
		return SCHED_ETIME;

	memset(d, 0, sizeof(*d));
	d->id = -1;
	u64 until = SCHED_NEVER;
	int id = sched_ops(s)->choose(s, now, &until);
	if (id == CHOOSE_IDLE) {
		d->action = SCHED_IDLE;
		d->until = until;
		return SCHED_OK;
	}
	if (id < 0) {
		d->action = SCHED_EMPTY;
		return SCHED_OK;
	}

	struct sched_slot *sl = &s->slots[id];
	struct sched_proc *p = &s->procs[sl->proc];
	u8 dir = sl->req.dir;
	sl->state = SLOT_INFLIGHT;
	s->queued[dir]--;
	p->queued[dir]--;
	s->in_flight++;
	p->in_flight[dir]++;
	s->head = sl->req.lba + sl->req.nsect;
	s->stats.dispatched++;
	u64 wait = now - sl->req.arrival;
	p->st.wait_total_ns += wait;
	if (wait > p->st.wait_max_ns)
		p->st.wait_max_ns = wait;
	if (sched_ops(s)->dispatched)
		sched_ops(s)->dispatched(s);

	d->action = SCHED_DISPATCH;
	d->id = id;
	d->req = sl->req;
	return SCHED_OK;
}

int sched_complete(struct sched *s, int id, u64 now)
{
	if (!s)
		return SCHED_EINVAL;
	if (id < 0 || (u32)id >= s->nslots || s->slots[id].state != SLOT_INFLIGHT)
		return SCHED_EBADID;
	if (advance(s, now) < 0)
		return SCHED_ETIME;

	struct sched_slot *sl = &s->slots[id];
	struct sched_proc *p = &s->procs[sl->proc];
	sl->state = SLOT_FREE;
	s->in_flight--;
	p->in_flight[sl->req.dir]--;
	sched_proc_note_done(p, &sl->req, now);
	if (sched_ops(s)->completed)
		sched_ops(s)->completed(s, sl, now);
	return SCHED_OK;
}

/*
 * Recount everything from the slots and compare with the counters the entry
 * points keep.  For tests, and for an hv that wants to check after an error.
 */
bool sched_consistent(const struct sched *s)
{
	u32 q[2] = { 0, 0 }, inflight = 0;

	for (u32 i = 0; i < s->nprocs; i++) {
		const struct sched_proc *p = &s->procs[i];
		u32 pq[2] = { 0, 0 }, pf[2] = { 0, 0 };
		for (u32 j = 0; j < s->nslots; j++) {
			const struct sched_slot *sl = &s->slots[j];
			if (sl->state == SLOT_FREE || sl->proc != i)
				continue;
			if (!p->used)
				return false;
			if (sl->state == SLOT_QUEUED)
				pq[sl->req.dir]++;
			else
				pf[sl->req.dir]++;
		}
		for (int d = 0; d < 2; d++) {
			if (pq[d] != p->queued[d] || pf[d] != p->in_flight[d])
				return false;
			q[d] += pq[d];
			inflight += pf[d];
		}
	}
	for (u32 j = 0; j < s->nslots; j++) {
		const struct sched_slot *sl = &s->slots[j];
		if (sl->state > SLOT_INFLIGHT)
			return false;
		if (sl->state != SLOT_FREE && (sl->proc >= s->nprocs || sl->req.nsect == 0 ||
					       sl->req.lba + sl->req.nsect > s->disk_sectors))
			return false;
	}
	if (s->antic.armed && (s->antic.proc >= s->nprocs || !s->procs[s->antic.proc].used))
		return false;
	return q[0] == s->queued[0] && q[1] == s->queued[1] && inflight == s->in_flight;
}

const char *sched_strerror(int err)
{
	switch (err) {
	case SCHED_OK:
		return "ok";
	case SCHED_EINVAL:
		return "invalid argument";
	case SCHED_ELEN:
		return "zero-length request";
	case SCHED_ERANGE:
		return "request past the end of the disk";
	case SCHED_ENOPROC:
		return "unknown (guest, process)";
	case SCHED_EEXIST:
		return "process already known";
	case SCHED_EFULL:
		return "no free request slot or process entry";
	case SCHED_EBUSY:
		return "process has requests outstanding";
	case SCHED_EBADID:
		return "request not in flight";
	case SCHED_ETIME:
		return "time went backwards";
	default:
		return "unknown error";
	}
}

const char *sched_policy_name(enum sched_policy policy)
{
	return (u32)policy < SCHED_NPOLICIES ? policies[policy]->name : "?";
}
