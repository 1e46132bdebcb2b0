/*
 * sample_glue.h - a guest's sampler state (hv/guest/sample_glue.c): the
 * running totals at the last sample and the working-set estimators.
 */
#ifndef FORMICA_GUEST_SAMPLE_GLUE_H
#define FORMICA_GUEST_SAMPLE_GLUE_H

#include "stats/rootset.h"
#include "stats/sample.h"
#include "stats/wss.h"
#include "types.h"

struct guest_sampler {
	bool on;                   /* formica.cfg sample_ms > 0 */
	u64 interval_ns, next_ns;  /* the next sample is due at next_ns (guest time) */
	struct sample_totals prev; /* the totals at the last sample */
	struct rootset roots;      /* roots loaded in the interval (cr3_distinct) */
	u64 irq_injected;          /* interrupts injected (guest.c prepare_entry()) */
	u64 hlt_exits;             /* HLT exits (guest_sample_exit()) */
	u64 hlt_ns, hlt_since;     /* time halted; when the current halt began (0: none) */
	struct wss wss;
};

struct guest;
/* Set up g's sampler; after shadow_init() (it gives the pager a bitmap). */
void guest_sample_init(struct guest *g);
/* Print g's sample if one is due at guest time now (any guest, on the CPU
 * or not: it reads no VMCS). */
void guest_sample_tick(struct guest *g, u64 now);
/* After each exit of g (the run loop): count it, then guest_sample_tick(). */
void guest_sample_exit(struct guest *g, u64 now);
/* g woke from HLT at now: the halt's time goes to hlt_ms. */
void guest_sample_wake(struct guest *g, u64 now);
/* The guest loaded CR3 (MOV to CR3 that the shadow pager took). */
void guest_sample_cr3(struct guest *g, u64 cr3);
/* A #PF exit that shadow_page_fault() fixed (or found a watched write). */
struct shadow_fault;
void guest_sample_fault(struct guest *g, const struct shadow_fault *f);

#endif
