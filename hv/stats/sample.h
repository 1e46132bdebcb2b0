/*
 * sample.h - one guest's virtualization events per interval, as `sample`
 * lines (the format: tools/homogeneity/README.md, "The `sample` line").
 *
 * Issue 14 redoes a study that asks whether two guest OSes produce the
 * same low-level behaviour (exits by reason, CR3 loads, working set).  The
 * hv sees every event anyway; this core turns two snapshots of a guest's
 * running totals into one interval's counts and prints them.  Pure: the
 * glue (hv/guest/sample_glue.c) reads the counters and the clock, this
 * file subtracts and formats, and hands each finished line to a callback.
 */
#ifndef FORMICA_STATS_SAMPLE_H
#define FORMICA_STATS_SAMPLE_H

#include "types.h"

/* Exit codes a snapshot keeps: as many as the guest's counters
 * (VCPU_EXIT_SLOTS, hv/include/vcpu.h: VMX reasons < 70, SVM codes < 0xa0). */
#define SAMPLE_EXIT_SLOTS 0xa0

/* Running totals since the guest started: only ever grow. */
struct sample_totals {
	u64 exits[SAMPLE_EXIT_SLOTS]; /* by basic exit reason */
	u64 pf_exits;                 /* #PF exits (shadow paging) */
	u64 cr3_loads;                /* MOV to CR3 */
	u64 af_created, af_exited, af_switches; /* Antfarm */
	u64 invlpg;
	u64 irq_injected;
	u64 hlt_exits;
	u64 hlt_ns;                   /* guest time spent halted */
	u64 io_reqs, io_bytes;        /* virtio disk */
};

/* What is measured for the interval itself, not by difference. */
struct sample_now {
	u64 t_ms;         /* guest time at the end of the interval */
	u64 cr3_distinct; /* distinct roots loaded in the interval */
	u64 af_live;      /* live address spaces now */
	u64 wss_pages;    /* accessed-bit harvest: pages used in the interval */
	u64 wss_new;      /* ... that were not used in the interval before */
	/* the sampling estimator (hv/stats/wss.h); printed when est_n > 0 */
	u32 est_n, est_hits;
	u64 est_pages, est_lo, est_hi;
};

/* A sample line body is cut below this many characters: with the console's
 * "[   12.345678] " stamp and "\n" it stays under samples2csv's 510. */
#define SAMPLE_BODY_MAX 480

struct sample_out {
	/* Called once per line, without the newline; line is NUL-terminated. */
	void (*emit)(void *ctx, const char *line);
	void *ctx;
	/* Name of a basic exit reason, or NULL if it has none. */
	const char *(*reason_name)(u32 reason);
};

/* The `exit_<reason>` key of a reason: its name lower-cased, every run of
 * other characters than a-z0-9 one '_', none at the ends; `exit_reason_N`
 * without a name (NULL, or no letter or digit in it).  Returns the length written (out NUL-terminated; cut to
 * size - 1). */
u32 sample_exit_key(const char *name, u32 reason, char *out, u32 size);

/* Print the interval from *prev to *cur for guest `name` (lines of at most
 * SAMPLE_BODY_MAX characters, each starting `sample guest=NAME t_ms=T`).
 * Exit reasons with no exits in the interval are left out.  Returns the
 * number of lines emitted. */
int sample_print(const char *name, const struct sample_totals *prev,
		 const struct sample_totals *cur, const struct sample_now *now,
		 const struct sample_out *out);

#endif
