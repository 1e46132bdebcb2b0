/*
 * shadow_cpu.h - what the host tests put around the shadow pager.
 *
 *   - pool: the page allocator, counting pages handed out and poisoning
 *     freed ones (so leaks, double frees, use after free and the below-4 GiB
 *     rule show);
 *   - cpu_access(): a small model of the real MMU walking the SHADOW tables
 *     with the control bits the hv runs the guest with (CR0.WP = 1,
 *     EFER.NXE = 1, CR4.SMEP/SMAP = the guest's); it asserts that the CPU
 *     never has to write a shadow entry (A and D preset);
 *   - shadow_run(): the exit loop: try the access on the CPU; on a #PF call
 *     shadow_page_fault() and retry while it says FIXED;
 *   - struct fix: a guest's page tables (guest_pt.h) and a shadow pager on
 *     them with every policy's memory (the synced one's records too).
 */
#ifndef FORMICA_MM_TESTS_SHADOW_CPU_H
#define FORMICA_MM_TESTS_SHADOW_CPU_H

#include "mm/shadow.h"
#include "mm/tests/guest_pt.h"

struct pool {
	long live;       /* pages handed out and not freed */
	long total;      /* pages ever handed out */
	long fail_after; /* refuse once total reaches this (-1: never) */
	long low_pages;  /* below_4g requests */
	int evicted;     /* as_evict calls */
	u64 last_evicted_root;
};

/* struct shadow_ops callbacks; opaque is a struct pool. */
void *pool_alloc(void *opaque, bool below_4g);
void pool_free(void *opaque, void *page);
void pool_evict(void *opaque, struct shadow_as *as);

struct cpu {
	bool ok;   /* the access completed ... */
	u64 hpa;   /* ... at this host address */
	u32 pfec;  /* or: the #PF error code the CPU raised */
};
struct cpu cpu_access(struct shadow_ctx *ctx, u64 gva, u32 access, bool ac);
/* After shadow_harvest() cleared A in leaves, the CPU sets it again on use
 * (the one shadow write it makes); everywhere else A must be preset. */
extern bool cpu_may_set_a;

/* The shadow leaf for gva (0 if none), read the way the CPU reads it. */
u64 shadow_leaf(struct shadow_ctx *ctx, u64 gva);
/* 1 if gva's shadow leaf is a PTE, 2 if a 2 MiB leaf (PS), 0 if none. */
int shadow_leaf_level(struct shadow_ctx *ctx, u64 gva);

#define RAN 100 /* shadow_run(): the access completed */

struct run {
	int kind; /* RAN or an enum shadow_fault_kind */
	u64 hpa;
	int exits;
	struct shadow_fault f;
};
/* Run one access to the end: completed, or the first non-FIXED fault. */
struct run shadow_run(struct shadow_ctx *ctx, u64 gva, u32 access, bool ac);

/* A guest in `mode` (guest_pt.c) under a shadow pager with `policy`, paging
 * loaded; fix_done() checks that every shadow page came back. */
struct fix {
	struct gpt g;
	struct pool pool;
	struct shadow_ctx *ctx;
};
void fix_init(struct fix *f, enum paging_mode mode, enum shadow_policy policy);
void fix_done(struct fix *f);
/* A new 4-level root sharing the current one's kernel half (entries
 * 256-511), as Linux's process roots do. */
u64 fix_second_root(struct fix *f);

#endif
