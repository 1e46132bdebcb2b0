/*
 * wss.h - a guest's working set per interval, two ways.
 *
 * The working set of an interval is the set of guest pages the guest used
 * in it.  (a) Accessed-bit harvesting: the hv owns the shadow page tables
 * the CPU really uses, so at each sample it collects the pages whose shadow
 * leaves have A set and clears A (shadow_harvest(), hv/mm/shadow.h): exact,
 * for accesses through paging.  (b) Statistical sampling, as VMware ESX
 * does it (Waldspurger, "Memory Resource Management in VMware ESX Server",
 * OSDI 2002, 3.3): each interval, invalidate the mappings of n pages drawn
 * at random from the guest's RAM; the fraction of them touched again (each
 * touch is a page fault) estimates the fraction of RAM in use.  ESX needs
 * (b) because its hardware had no accessed bits for it; here it is kept to
 * compare cost and accuracy.  This file is the arithmetic of both (pure);
 * hv/guest/sample_glue.c runs them.
 */
#ifndef FORMICA_STATS_WSS_H
#define FORMICA_STATS_WSS_H

#include "types.h"

/* The confidence level of the sampling estimator's interval: z = 3, about
 * 99.7% for a normal approximation. */
#define WSS_Z2 9

struct wss {
	u64 nframes;       /* guest RAM in 4 KiB pages */
	u64 words;         /* u64 words per bitmap: (nframes + 63) / 64 */
	/* (a) bitmaps over guest pages (bit gpa >> 12), the caller's memory */
	u64 *seen;         /* used in the current interval: shadow_harvest() fills it */
	u64 *prev;         /* used in the interval before */
	u64 pages, new_pages; /* the last interval: |seen|, |seen \ prev| */
	/* (b) */
	u32 n;             /* pages sampled per interval; 0: estimator off */
	u64 *sample;       /* the sampled pages not touched yet (bitmap) */
	u32 hits;          /* sampled pages touched in this interval */
	u64 rng;           /* xorshift64 state, never 0 */
	bool sampling;     /* a sample was drawn: the estimate below means something */
	u64 est, est_lo, est_hi; /* the last interval's estimate and its interval, pages */
	u32 est_hits, est_n;
};

/*
 * Set up for nframes pages.  seen, prev and sample are three zeroed arrays
 * of wss_words(nframes) words (sample may be NULL when n == 0).  n: pages
 * to sample per interval (at most nframes / 2; more are cut), seed: any value.
 */
u64 wss_words(u64 nframes);
void wss_init(struct wss *w, u64 nframes, u64 *seen, u64 *prev, u64 *sample, u32 n, u64 seed);

/* (b) A page fault that built a shadow entry for the page at gpa: a touch
 * if the page is in the sample (each page counts once). */
void wss_fault(struct wss *w, u64 gpa);

/*
 * At the end of an interval, before shadow_harvest(): turn the hits into
 * the estimate (w->est, est_lo, est_hi) and draw the next sample into
 * w->sample, which the harvest then invalidates (pass it as `drop`).
 */
void wss_next_sample(struct wss *w);

/* (a) After shadow_harvest() filled w->seen: count the interval (w->pages,
 * w->new_pages); seen becomes prev and is cleared for the next interval. */
void wss_count(struct wss *w);

/*
 * The estimate for `hits` of n sampled pages out of N: N * hits / n pages,
 * with a Wilson score interval at z^2 = WSS_Z2 whose variance has the
 * finite-population factor (N - n) / (N - 1) (the pages are drawn without
 * replacement).  Integer arithmetic, to about 1e-6 of N.
 */
void wss_estimate(u64 N, u32 n, u32 hits, u64 *est, u64 *lo, u64 *hi);

#endif
