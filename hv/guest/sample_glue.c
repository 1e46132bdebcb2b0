/*
 * sample_glue.c - the sampler in the run loop (issue 14): every sample_ms
 * of guest time, one `sample` line per guest with what it did in the
 * interval (format: tools/homogeneity/README.md).
 *
 * The counters already exist where the events happen (g->exits[], the
 * shadow pager's stats, Antfarm's, the disk queue's); this file only reads
 * them into a snapshot, lets hv/stats/sample.c print the difference to the
 * last one, and runs the working-set estimators (hv/stats/wss.h): a
 * harvest of the shadow tables' accessed flags (shadow_harvest()), which
 * also invalidates the sampling estimator's pages.  It reads no VMCS
 * field, so the scheduler can sample a guest that is halted or waiting.
 */
#include "guest/guest.h"
#include "guest/disk_glue.h"
#include "kprintf.h"
#include "pmm.h"
#include "string.h"

/* Distinct roots per interval: at most 3/4 of this (rootset.h). */
#define ROOT_SLOTS 4096

static u64 *bitmap(u64 words)
{
	return pmm_alloc_pages((words * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
}

void guest_sample_init(struct guest *g)
{
	struct guest_sampler *s = &g->smp;
	const struct formica_config *cfg = g->hv_cfg;
	u64 nframes = g->mem.size / PAGE_SIZE, words = wss_words(nframes);

	memset(s, 0, sizeof(*s));
	if (!cfg || !cfg->sample_ms)
		return;
	s->on = true;
	s->interval_ns = (u64)cfg->sample_ms * 1000000;
	s->next_ns = s->interval_ns;
	rootset_init(&s->roots, pmm_alloc_pages(ROOT_SLOTS * 8 / PAGE_SIZE), ROOT_SLOTS);
	u64 *sample = cfg->wss_sample ? bitmap(words) : NULL;
	wss_init(&s->wss, nframes, bitmap(words), bitmap(words), sample, cfg->wss_sample,
		 0x5eed0000ull + (u64)g->id);
	/* Leaves the pager drops between two samples keep their A flag here. */
	g->shadow.wss_seen = s->wss.seen;
	wss_next_sample(&s->wss); /* the first interval's sample */
	shadow_harvest(&g->shadow, s->wss.seen, s->wss.sample);
}

void guest_sample_wake(struct guest *g, u64 now)
{
	struct guest_sampler *s = &g->smp;

	if (s->hlt_since && now > s->hlt_since)
		s->hlt_ns += now - s->hlt_since;
	s->hlt_since = 0;
}

void guest_sample_fault(struct guest *g, const struct shadow_fault *f)
{
	/* page_size is 0 when the walk was only retried (nothing built) */
	if (g->smp.on && f->walk.page_size)
		wss_fault(&g->smp.wss, f->walk.page_gpa);
}

/* The backend's names (VMX: SDM Appendix C; SVM: APM Vol. 2, appendix C)
 * as sample_exit_key() wants them: NULL for a code without one. */
static const char *reason_name(u32 r)
{
	const char *n = vcpu_ops->exit_name(r);
	return n && strncmp(n, "unknown", 7) ? n : NULL; /* "?" too: sample_exit_key() */
}

static void emit(void *ctx, const char *line) { kprintf("%s\n", line); }

static void totals(struct guest *g, struct sample_totals *t)
{
	const struct shadow_stats *ss = &g->shadow.stats;
	memset(t, 0, sizeof(*t));
	for (u32 r = 0; r < VCPU_EXIT_SLOTS && r < SAMPLE_EXIT_SLOTS; r++)
		t->exits[r] = g->exits[r];
	t->pf_exits = ss->faults;
	t->cr3_loads = ss->cr3_loads;
	t->af_created = g->af.st.creates;
	t->af_exited = g->af.st.exits;
	t->af_switches = g->af.st.switches;
	t->invlpg = ss->invlpgs;
	t->irq_injected = g->smp.irq_injected;
	t->hlt_exits = g->smp.hlt_exits;
	t->hlt_ns = g->smp.hlt_ns;
	guest_disk_totals(g, &t->io_reqs, &t->io_bytes);
}

void guest_sample_cr3(struct guest *g, u64 cr3)
{
	if (g->smp.on)
		rootset_add(&g->smp.roots, shadow_root_key(g->shadow.paging.mode, cr3));
}

void guest_sample_exit(struct guest *g, u64 now)
{
	if (g->exit.event == VE_HLT)
		g->smp.hlt_exits++;
	guest_sample_tick(g, now);
}

void guest_sample_tick(struct guest *g, u64 now)
{
	struct guest_sampler *s = &g->smp;
	if (!s->on || g->state != GUEST_RUNNING)
		return;
	if (g->idle && !s->hlt_since)
		s->hlt_since = now;
	if (now < s->next_ns)
		return;
	if (s->hlt_since) { /* halted across the boundary: count it so far */
		s->hlt_ns += now - s->hlt_since;
		s->hlt_since = now;
	}
	/* The interval that just ended is the last boundary passed (a guest
	 * that was not looked at for longer gets one sample, not several). */
	u64 t = now - now % s->interval_ns;
	s->next_ns = t + s->interval_ns;

	struct sample_totals cur;
	totals(g, &cur);
	struct wss *w = &s->wss;
	wss_next_sample(w); /* the estimate from the last sample's pages, and new ones */
	shadow_harvest(&g->shadow, w->seen, w->n ? w->sample : NULL);
	wss_count(w);
	struct sample_now n = {
		.t_ms = t / 1000000,
		.cr3_distinct = s->roots.n,
		.af_live = guest_af_live(g),
		.wss_pages = w->pages,
		.wss_new = w->new_pages,
		.est_n = w->est_n,
		.est_hits = w->est_hits,
		.est_pages = w->est,
		.est_lo = w->est_lo,
		.est_hi = w->est_hi,
	};
	static const struct sample_out out = { emit, NULL, reason_name };
	sample_print(g->name, &s->prev, &cur, &n, &out);
	s->prev = cur;
	rootset_clear(&s->roots);
}
