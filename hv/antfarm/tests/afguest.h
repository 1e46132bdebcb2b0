/*
 * afguest.h - a tiny guest for tests that need Antfarm to know some
 * processes: NPAGES root pages, page 0 init_mm's (kernel half only), and
 * the few steps that make Antfarm see a process start, run and exit.
 * One copy per test program (static state).
 */
#ifndef FORMICA_ANTFARM_TESTS_AFGUEST_H
#define FORMICA_ANTFARM_TESTS_AFGUEST_H

#include <string.h>

#include "antfarm/antfarm.h"

#define AFG_NPAGES 4
#define AFG_ROOT(i) (0x10000ull + 0x1000ull * (i))

static u64 afg_pages[AFG_NPAGES][512];
static struct af afg;
static u64 afg_now;

static inline unsigned afg_idx(u64 gpa)
{
	unsigned i = (unsigned)((gpa - AFG_ROOT(0)) >> 12);
	assert_true(gpa >= AFG_ROOT(0) && i < AFG_NPAGES);
	return i;
}

static inline bool afg_watch(void *ctx, u64 gpa)
{
	return true;
}

static inline void afg_unwatch(void *ctx, u64 gpa)
{
}

static inline int afg_count(void *ctx, u64 gpa)
{
	return (int)af_count_user(afg_pages[afg_idx(gpa)]);
}

/* The guest writes PML4 entry i of root; Antfarm hears of watched pages. */
static inline void afg_set(u64 root, unsigned i, u64 v)
{
	u64 old = afg_pages[afg_idx(root)][i];
	afg_pages[afg_idx(root)][i] = v;
	if (af_is_watched(&afg, root))
		af_root_write(&afg, root, i, old, v, ++afg_now);
}

static inline void afg_load(u32 vcpu, u64 cr3)
{
	af_cr3_load(&afg, vcpu, cr3, ++afg_now, 0);
}

/* Every root maps the kernel half; none has a user half yet. */
static inline void afg_init(void)
{
	static const struct af_ops ops = { NULL, afg_watch, afg_unwatch, afg_count, NULL };
	memset(afg_pages, 0, sizeof(afg_pages));
	for (unsigned p = 0; p < AFG_NPAGES; p++)
		afg_pages[p][511] = 0x5000 | AF_PTE_PRESENT;
	af_init(&afg, &ops, 0, 0);
	afg_now = 0;
}

#endif
