/*
 * sim.c - a deterministic, trace-driven run of the scheduler on the disk model.
 *
 * Discrete events on one clock (ns): a request completes, a process issues a
 * request, the scheduler's idle wait ends.  At each instant, in this order:
 * the completion, then the processes that are ready issue, then, if the disk
 * is free, the scheduler decides.  The disk serves one request at a time.
 * No randomness but a fixed-seed generator per process, so two runs print the
 * same numbers.
 *
 * A process issues its next request think_ns after one completes, keeping at
 * most depth outstanding.  When a process has issued everything and its last
 * request completed, it exits (sched_proc_remove), as a guest process would.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#define NSLOTS 256
#define NPROCS WL_MAX_PROCS

struct sproc {
	const struct wl_proc *w;
	u64 key;		/* as the scheduler sees it */
	u64 issued, completed;
	u32 out;
	u64 ready;
	u64 next;
	u64 rng;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "schedsim: %s: %s\n", what, sched_strerror(err));
	exit(2);
}

static u64 next_lba(struct sproc *p)
{
	const struct wl_proc *w = p->w;
	if (w->kind == WL_RAND_READ) {
		p->rng = p->rng * 6364136223846793005ull + 1442695040888963407ull;
		return w->start + ((p->rng >> 33) % (w->span / w->req_sectors)) * w->req_sectors;
	}
	u64 lba = p->next;
	p->next += w->req_sectors;
	if (p->next + w->req_sectors > w->start + w->span)
		p->next = w->start;
	return lba;
}

/* Does any process tagged like p still have requests to issue or complete? */
static bool key_in_use(const struct sproc *ps, u32 n, const struct sproc *p)
{
	for (u32 i = 0; i < n; i++)
		if (ps[i].w->guest == p->w->guest && ps[i].key == p->key &&
		    ps[i].completed < ps[i].w->requests)
			return true;
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return x < y ? -1 : x > y;
}

int sim_run(const struct workload *w, const struct sim_config *c, const struct disk_params *dp,
	    struct sim_result *r)
{
	struct disk disk;
	struct sched s;
	struct sched_params sp;
	static struct sched_slot slots[NSLOTS];
	static struct sched_proc procs[NPROCS];
	struct sproc ps[WL_MAX_PROCS];
	int owner[NSLOTS];
	u64 total = 0;

	if (disk_init(&disk, dp) < 0)
		return -1;
	sched_default_params(c->policy, &sp);
	int err = sched_init(&s, c->policy, &sp, disk.sectors, slots, NSLOTS, procs, NPROCS);
	if (err < 0)
		die("sched_init", err);
	for (u32 i = 0; i < w->nprocs; i++) {
		struct sproc *p = &ps[i];
		*p = (struct sproc){ .w = &w->procs[i], .next = w->procs[i].start };
		p->key = c->guest_keys_only ? 0 : p->w->key;
		p->rng = 0x9e3779b97f4a7c15ull * (i + 1);
		total += p->w->requests;
		err = sched_proc_add(&s, p->w->guest, p->key);
		if (err < 0 && !(err == SCHED_EEXIST && c->guest_keys_only))
			die("sched_proc_add", err);
	}
	u64 *lat = calloc(total ? total : 1, sizeof(u64));
	if (!lat)
		return -1;

	*r = (struct sim_result){ 0 };
	u64 t = 0, done_at = 0, wake = SCHED_NEVER, end = 0;
	int busy = -1;
	struct sched_req cur = { 0 };
	for (;;) {
		if (busy >= 0 && done_at == t) {
			struct sproc *p = &ps[owner[busy]];
			if ((err = sched_complete(&s, busy, t)) < 0)
				die("sched_complete", err);
			lat[r->requests++] = t - cur.arrival;
			r->bytes += cur.nsect * 512ull;
			p->out--;
			p->completed++;
			p->ready = t + p->w->think_ns;
			if (p->completed == p->w->requests && !key_in_use(ps, w->nprocs, p))
				if ((err = sched_proc_remove(&s, p->w->guest, p->key)) < 0)
					die("sched_proc_remove", err);
			busy = -1;
			end = t;
		}
		for (u32 i = 0; i < w->nprocs; i++) {
			struct sproc *p = &ps[i];
			while (p->out < p->w->depth && p->ready <= t && p->issued < p->w->requests) {
				struct sched_req q = {
					.guest = p->w->guest, .proc = p->key, .lba = next_lba(p),
					.nsect = p->w->req_sectors, .arrival = t,
					.dir = p->w->kind == WL_SEQ_WRITE ? SCHED_WRITE : SCHED_READ,
				};
				int id = sched_add(&s, &q);
				if (id < 0)
					die("sched_add", id);
				owner[id] = (int)i;
				p->issued++;
				p->out++;
			}
		}
		if (busy < 0) {
			struct sched_decision d;
			if ((err = sched_dispatch(&s, t, &d)) < 0)
				die("sched_dispatch", err);
			wake = SCHED_NEVER;
			if (d.action == SCHED_DISPATCH) {
				busy = d.id;
				cur = d.req;
				done_at = disk_serve(&disk, d.req.lba, d.req.nsect,
						     d.req.dir == SCHED_READ, t);
			} else if (d.action == SCHED_IDLE) {
				wake = d.until;
			}
		}
		u64 next = busy >= 0 ? done_at : wake;
		for (u32 i = 0; i < w->nprocs; i++) {
			const struct sproc *p = &ps[i];
			if (p->out < p->w->depth && p->issued < p->w->requests && p->ready > t &&
			    p->ready < next)
				next = p->ready;
		}
		if (next == SCHED_NEVER)
			break;
		t = next;
	}
	if (r->requests != total || !sched_consistent(&s)) {
		fprintf(stderr, "schedsim: %s: %llu of %llu requests served\n", w->name,
			(unsigned long long)r->requests, (unsigned long long)total);
		exit(2);
	}

	qsort(lat, r->requests, sizeof(u64), cmp_u64);
	double sum = 0;
	for (u64 i = 0; i < r->requests; i++)
		sum += lat[i];
	r->makespan_ns = end;
	r->mbps = end ? r->bytes / (end / 1e9) / 1e6 : 0;
	r->mean_ms = r->requests ? sum / r->requests / 1e6 : 0;
	r->p99_ms = r->requests ? lat[(r->requests * 99 + 99) / 100 - 1] / 1e6 : 0;
	r->seek_gib = disk.seek_sectors * 512.0 / (1024.0 * 1024 * 1024);
	r->st = s.stats;
	free(lat);
	disk_free(&disk);
	return 0;
}
