/*
 * test_synced.c - the synced shadow policy's promises, one at a time
 * (hv/mm/synced.c).
 *
 * The differential test (test_shadow_diff.c) runs it against the guest's
 * tables over random traces; these tests name each behaviour on its own so
 * a failure says which one broke: a CR3 load keeps the shadow, a shadowed
 * guest table is write-protected (also through leaves built before it was
 * shadowed), a trapped write reaches every root that shares the table,
 * page tables go out of sync and come back at a CR3 load, upper tables
 * written often are let go, Antfarm's watch and the shadow's
 * protection are two holds on one page, without its records the policy
 * falls back to the cached one, and so it does while the guest boots and
 * for a young root's user leaves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mm/shadow.h"
#include "mm/synced.h"
#include "mm/tests/guest_pt.h"
#include "mm/tests/shadow_cpu.h"

#define KB 1024ull
#define UVA 0x00007f8040201000ull
#define KVA 0xffff888040201000ull
#define TVA 0xffff888040400000ull /* where a test maps a page table as data */
#define RWD (PTE_P | PTE_RW | PTE_A | PTE_D)

static u64 pt_of(struct fix *f, u64 gva)
{
	return gpt_entry(&f->g, gva, 1) & ~(PAGE_SIZE - 1);
}

/* The guest's store to a table entry, trapped and emulated. */
static void store(struct fix *f, u64 entry, u64 v)
{
	gpt_set(&f->g, entry, v);
	shadow_guest_write(f->ctx, entry, 8);
}

/* A context switch away and back costs nothing: the user leaf stays (under
 * the cached policy it refaults, which is what synced is for). */
static void test_cr3_load_keeps_user_leaves(void **state)
{
	for (int synced = 0; synced < 2; synced++) {
		struct fix f;

		fix_init(&f, PAGING_LONG4, synced ? SHADOW_SYNCED : SHADOW_CACHED);
		u64 root_a = f.g.cr3;
		gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
		u64 root_b = fix_second_root(&f);
		gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);

		assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
		shadow_cr3_load(f.ctx, root_b);
		shadow_cr3_load(f.ctx, root_a);
		assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, synced ? 0 : 1);
		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, synced ? 0 : 1);
		fix_done(&f);
	}
}

/* A guest table a leaf came from is read-only in the shadow: a write to it
 * through any mapping exits, also through a writable leaf built before the
 * table was shadowed.  (Strict, so that the user page table here is
 * emulated; otherwise its first write fault lets it out of sync, as
 * test_write_fault_lets_out_of_sync shows.) */
static void test_table_write_protected(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	f.ctx->sync_strict = true;
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pt = pt_of(&f, UVA);
	gpt_map(&f.g, TVA, pt, 4 * KB, RWD, PTE_RW); /* the guest's view of its table */

	/* Before anything is shadowed through it, the page is plain data. */
	assert_int_equal(shadow_run(f.ctx, TVA + 8, WALK_WRITE, false).kind, RAN);
	assert_true(shadow_leaf(f.ctx, TVA) & PTE_RW);
	assert_false(shadow_is_protected(f.ctx, pt));

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, RAN);
	assert_true(shadow_is_protected(f.ctx, pt));
	assert_false(shadow_leaf(f.ctx, TVA) & PTE_RW); /* taken back */
	assert_true(shadow_take_tlb_flush(f.ctx));
	r = shadow_run(f.ctx, TVA + 8, WALK_WRITE, false);
	assert_int_equal(r.kind, SHADOW_WATCHED_WRITE);
	assert_int_equal(r.f.gpa, pt + 8);
	assert_int_equal(shadow_run(f.ctx, TVA + 8, WALK_READ, false).kind, RAN); /* reads go on */

	/* The emulated write of UVA's own entry drops its leaf, and the next
	 * access sees the new page. */
	store(&f, gpt_entry(&f.g, UVA, 1), 0x7000 | PTE_P | PTE_US);
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_P);
	r = shadow_run(f.ctx, UVA, WALK_USER, false);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, gpa_to_hpa(&f.g.m, 0x7000));
	/* A write beside it (another entry of the table) leaves it alone. */
	store(&f, gpt_entry(&f.g, UVA, 1) + 8, 0);
	assert_true(shadow_leaf(f.ctx, UVA) & PTE_P);
	fix_done(&f);
}

/* A kernel page table shared by two roots: one trapped write reaches the
 * shadow of both, the loaded one and the other. */
static void test_write_reaches_every_root(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	u64 root_b = fix_second_root(&f);

	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	store(&f, gpt_entry(&f.g, KVA, 1), 0x8000 | PTE_P | PTE_RW);
	for (int i = 0; i < 2; i++) {
		struct run r = shadow_run(f.ctx, KVA, WALK_READ, false);

		assert_int_equal(r.exits, 1);
		assert_int_equal(r.hpa, gpa_to_hpa(&f.g.m, 0x8000));
		shadow_cr3_load(f.ctx, root_a);
	}
	/* A write to an upper level (the PDE) drops the whole 2 MiB below. */
	store(&f, gpt_entry(&f.g, KVA, 2), gpt_get(&f.g, gpt_entry(&f.g, KVA, 2)));
	assert_false(shadow_leaf(f.ctx, KVA) & PTE_P);
	assert_int_equal(f.ctx->stats.sync_writes, 2);
	fix_done(&f);
}

/* Strict: written SYNC_UNSHADOW_WRITES times with no walk through it
 * between, an upper table is let go at once (writes to it run at full
 * speed); the next walk through it takes it back.  (Not strict, it goes
 * out of sync instead, as a page table does below.) */
static void test_written_often_unshadowed(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	f.ctx->sync_strict = true; /* let go, not out of sync */
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pde = gpt_entry(&f.g, UVA, 2), pd = pde & ~(PAGE_SIZE - 1);

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	for (int i = 1; i < SYNC_UNSHADOW_WRITES; i++)
		store(&f, pde + 8 * i, 0);
	assert_true(shadow_is_protected(f.ctx, pd));
	assert_true(shadow_leaf(f.ctx, UVA) & PTE_P); /* other entries' writes */
	store(&f, pde + 8 * SYNC_UNSHADOW_WRITES, 0);
	assert_false(shadow_is_protected(f.ctx, pd));
	assert_int_equal(f.ctx->stats.sync_unshadows, 1);
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_P); /* nothing built from it stays */
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, pd));

	/* A root is never let go, however often written (Antfarm traps its
	 * writes anyway, and its kernel half would refault). */
	for (int i = 0; i < 3 * SYNC_UNSHADOW_WRITES; i++)
		store(&f, f.g.cr3 + 8 * (i % 200), 0);
	assert_true(shadow_is_protected(f.ctx, f.g.cr3));
	assert_int_equal(f.ctx->stats.sync_unshadows, 1);
	fix_done(&f);
}

/* A page table's first trapped write lets it out of sync: later writes run
 * unseen, its leaves stay until the root's next CR3 load (a TLB's licence:
 * the guest must flush), and then they go and it is synced again. */
static void test_page_table_out_of_sync(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 4 * KB, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 8 * KB, 0xa000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pte = gpt_entry(&f.g, UVA, 1), pt = pt_of(&f, UVA), root = f.g.cr3;

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, UVA + 4 * KB, WALK_USER, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, UVA + 8 * KB, WALK_USER, false).exits, 1);
	store(&f, pte + 24, 0); /* a fourth entry: trapped, then out of sync */
	assert_false(shadow_is_protected(f.ctx, pt));
	assert_int_equal(f.ctx->stats.sync_unsyncs, 1);
	assert_true(shadow_leaf(f.ctx, UVA) & PTE_P);
	gpt_set(&f.g, pte, 0x8000 | PTE_P | PTE_US); /* unseen */
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).hpa, gpa_to_hpa(&f.g.m, 0x6000));
	/* INVLPG takes the one leaf, as under every policy. */
	shadow_invlpg(f.ctx, UVA);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).hpa, gpa_to_hpa(&f.g.m, 0x8000));
	gpt_set(&f.g, pte + 8, 0x9000 | PTE_P | PTE_US); /* unseen, no INVLPG */
	shadow_cr3_load(f.ctx, root);
	assert_int_equal(f.ctx->stats.sync_resyncs, 1);
	struct run r = shadow_run(f.ctx, UVA + 4 * KB, WALK_USER, false);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, gpa_to_hpa(&f.g.m, 0x9000));
	/* An entry that did not change since the copy keeps its leaf. */
	assert_int_equal(shadow_run(f.ctx, UVA + 8 * KB, WALK_USER, false).exits, 0);
	assert_true(shadow_is_protected(f.ctx, pt)); /* synced again */

	/* Out of sync again: an entry goes 0 -> page -> 0 unseen, with a walk
	 * in between.  Equal to the copy at the load, but its leaf must go. */
	u64 e5 = pte + 4 * 8, va5 = UVA + 4 * 4 * KB; /* UVA is entry 1 */
	store(&f, pte + 24, 0);
	assert_false(shadow_is_protected(f.ctx, pt));
	gpt_set(&f.g, e5, 0xb000 | PTE_P | PTE_US);
	assert_int_equal(shadow_run(f.ctx, va5, WALK_USER, false).exits, 1);
	gpt_set(&f.g, e5, 0);
	shadow_cr3_load(f.ctx, root);
	assert_int_equal(shadow_run(f.ctx, va5, WALK_USER, false).kind, SHADOW_INJECT);
	fix_done(&f);
}

/* A write fault on a user page table lets it out of sync at once, and the
 * guest's own store runs: one exit, no emulation, and no second fault to
 * make the leaf writable.  The store is unseen until the root's next CR3
 * load, which drops the leaf of the entry it changed and protects the table
 * again.  A kernel-half page table (shared by every root) is still
 * emulated. */
static void test_write_fault_lets_out_of_sync(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	gpt_map(&f.g, UVA + 4 * KB, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pte = gpt_entry(&f.g, UVA, 1), pt = pt_of(&f, UVA), root = f.g.cr3;
	gpt_map(&f.g, TVA, pt, 4 * KB, RWD, PTE_RW);

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, UVA + 4 * KB, WALK_USER, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, pt));
	r = shadow_run(f.ctx, TVA + 8, WALK_WRITE, false);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_false(shadow_is_protected(f.ctx, pt));
	assert_true(shadow_leaf(f.ctx, TVA) & PTE_RW);
	assert_int_equal(f.ctx->stats.sync_write_faults, 1);
	assert_int_equal(f.ctx->stats.sync_unsyncs, 1);
	assert_int_equal(f.ctx->stats.watched_writes, 0);
	assert_int_equal(f.ctx->stats.dirty_upgrades, 0);

	gpt_set(&f.g, pte, 0x8000 | PTE_P | PTE_US); /* the guest's store, unseen */
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 0); /* not flushed */
	shadow_cr3_load(f.ctx, root);
	assert_int_equal(f.ctx->stats.sync_resyncs, 1);
	assert_true(shadow_is_protected(f.ctx, pt));
	assert_false(shadow_leaf(f.ctx, TVA) & PTE_RW);
	r = shadow_run(f.ctx, UVA, WALK_USER, false);
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.hpa, gpa_to_hpa(&f.g.m, 0x8000));
	assert_int_equal(shadow_run(f.ctx, UVA + 4 * KB, WALK_USER, false).exits, 0);

	/* A kernel-half page table: its writes are emulated, as before. */
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	u64 kpt = pt_of(&f, KVA);
	gpt_map(&f.g, TVA + 4 * KB, kpt, 4 * KB, RWD, PTE_RW);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	r = shadow_run(f.ctx, TVA + 4 * KB + 8, WALK_WRITE, false);
	assert_int_equal(r.kind, SHADOW_WATCHED_WRITE);
	assert_true(shadow_is_protected(f.ctx, kpt));
	assert_int_equal(f.ctx->stats.sync_write_faults, 1);
	fix_done(&f);
}

/* A root that is not loaded (nor watched by Antfarm) is let out of sync
 * at a write fault too: Linux clears a dead process's root page for reuse
 * with REP STOSQ, which would be 512 emulated stores.  If the page is loaded
 * as a root again, only what changed goes: the kernel half stays.  The
 * loaded root's writes are still emulated. */
static void test_write_fault_unsyncs_idle_root(void **state)
{
	struct fix f;
	struct run r;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	gpt_map(&f.g, TVA, root_a, 4 * KB, RWD, PTE_RW); /* root_a seen as data */
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US); /* in root_a */

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, root_a));
	/* Loaded, it is emulated. */
	assert_int_equal(shadow_run(f.ctx, TVA + 8, WALK_WRITE, false).kind, SHADOW_WATCHED_WRITE);

	shadow_cr3_load(f.ctx, root_b);
	r = shadow_run(f.ctx, TVA + 8, WALK_WRITE, false);
	assert_int_equal(r.kind, RAN);
	assert_int_equal(r.exits, 1);
	assert_false(shadow_is_protected(f.ctx, root_a));
	assert_int_equal(f.ctx->stats.sync_write_faults, 1);
	/* The guest clears root_a's user half (entry 0 here), unseen. */
	gpt_set(&f.g, gpt_entry(&f.g, UVA, 4), 0); /* (f.g.cr3 is still root_a) */
	shadow_cr3_load(f.ctx, root_a);
	assert_true(shadow_is_protected(f.ctx, root_a));
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, SHADOW_INJECT);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 0); /* kept */
	fix_done(&f);
}

/* A write the emulator cannot do to a new root (pgd_ctor()'s REP MOVSQ):
 * the root goes out of sync, and its first load drops only what changed,
 * so the kernel half stays. */
static void test_unemulable_root_write(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 root = f.g.cr3, other = fix_second_root(&f);

	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	shadow_cr3_load(f.ctx, other);
	assert_true(shadow_unshadow_frame(f.ctx, root));
	assert_false(shadow_is_protected(f.ctx, root));
	memset(f.g.m.base + root, 0, 256 * 8); /* the user half, unseen */
	shadow_cr3_load(f.ctx, root);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 0);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, SHADOW_INJECT);
	assert_true(shadow_is_protected(f.ctx, root));
	fix_done(&f);
}

/* An Antfarm watch and the shadow's protection are two holds: letting go of
 * one keeps the page protected while the other holds it. */
static void test_watch_and_shadow_two_holds(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	f.ctx->sync_strict = true; /* a let-go drops everything now */
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 root = f.g.cr3;

	assert_int_equal(shadow_watch(f.ctx, root), SHADOW_OK);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, RAN); /* the shadow holds the PML4 */
	shadow_unwatch(f.ctx, root);
	assert_true(shadow_is_protected(f.ctx, root));
	/* The write cannot be emulated: the shadow lets go, and the root is
	 * plain memory for the guest's own store. */
	assert_true(shadow_unshadow_frame(f.ctx, root));
	assert_false(shadow_is_protected(f.ctx, root));
	assert_false(shadow_leaf(f.ctx, UVA) & PTE_P);
	assert_false(shadow_unshadow_frame(f.ctx, root));
	/* Antfarm's watch stays when the shadow lets go. */
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, RAN);
	assert_int_equal(shadow_watch(f.ctx, root), SHADOW_OK);
	assert_true(shadow_unshadow_frame(f.ctx, root));
	assert_true(shadow_is_protected(f.ctx, root));
	fix_done(&f);
}

/* A switch to another policy forgets every record: nothing stays protected. */
static void test_policy_switch_lets_go(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, RAN);
	assert_true(f.ctx->sync->used >= 4); /* PML4, PDPT, PD, PT */
	shadow_set_policy(f.ctx, SHADOW_CACHED);
	assert_int_equal(f.ctx->sync->used, 0);
	assert_int_equal(f.ctx->sync->wp.used, 0);
	assert_false(shadow_is_protected(f.ctx, pt_of(&f, UVA)));
	fix_done(&f);
}

/* Without its records (the glue had no memory for them) the policy keeps
 * no promise it cannot: each leaf is dropped at the next CR3 load, as the
 * cached policy does. */
static void test_no_records_acts_cached(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	free(f.ctx->sync);
	f.ctx->sync = NULL;
	u64 root_a = f.g.cr3;
	u64 root_b = fix_second_root(&f);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);

	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_true(f.ctx->stats.sync_unsynced > 0);
	shadow_cr3_load(f.ctx, root_b);
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	fix_done(&f);
}

/* The boot rule: until the first #PF with U/S = 1 (the guest runs user
 * code) synced acts as cached, so a booting kernel's writes to its own
 * tables do not trap; that fault empties every shadow once, and from then
 * on the tables leaves are built from are protected.  A policy switch at
 * run time (the mark port) after that is synced at once. */
static void test_boot_rule(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	f.ctx->user_seen = false; /* booting */
	u64 root_a = f.g.cr3, gva = KVA + 4 * KB;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	gpt_map(&f.g, gva, 0x7000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW); /* kept at loads */
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 root_b = fix_second_root(&f), kpt = pt_of(&f, KVA);

	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	assert_int_equal(shadow_run(f.ctx, gva, WALK_READ, false).exits, 1);
	assert_false(shadow_is_protected(f.ctx, kpt)); /* no record while booting */
	assert_int_equal(f.ctx->sync->used, 0);
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	shadow_cr3_load(f.ctx, root_a);

	/* The first user access: every shadow emptied, then synced. */
	assert_true(shadow_leaf(f.ctx, gva) & PTE_P);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_true(f.ctx->user_seen);
	assert_false(shadow_leaf(f.ctx, gva) & PTE_P);
	assert_true(shadow_is_protected(f.ctx, pt_of(&f, UVA)));
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, kpt));
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1); /* emptied too */
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 0); /* and kept now */

	/* Booted cached, switched to synced after user code ran: synced now. */
	shadow_set_policy(f.ctx, SHADOW_CACHED);
	assert_false(shadow_is_protected(f.ctx, kpt));
	shadow_set_policy(f.ctx, SHADOW_SYNCED);
	assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, kpt));
	fix_done(&f);
}

/* Young roots: a root's user leaves follow the cached rule (no record, no
 * protection, dropped at its next CR3 load) for its first sync_young loads;
 * from the next one on they are kept in sync.  Its kernel leaves are
 * recorded from the start.  A root page written while idle (reused for a
 * new process) is young again. */
static void test_young_root(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	f.ctx->sync_young = 2;
	u64 root_a = f.g.cr3;
	gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW, PTE_RW);
	u64 root_b = fix_second_root(&f); /* the young one (root_a: loaded once) */
	u64 kpt = pt_of(&f, KVA);

	shadow_cr3_load(f.ctx, root_b); /* its first load */
	f.g.cr3 = root_b;
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 upt = pt_of(&f, UVA);

	for (int load = 1; load <= 2; load++) {
		assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
		assert_false(shadow_is_protected(f.ctx, upt));
		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, load == 1);
		assert_true(shadow_is_protected(f.ctx, kpt));
		shadow_cr3_load(f.ctx, root_a);
		shadow_cr3_load(f.ctx, root_b);
	}
	/* The third load: grown up.  The young leaf went at that load (the
	 * cached rule), the new one is recorded and stays. */
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 1);
	assert_true(shadow_is_protected(f.ctx, upt));
	shadow_cr3_load(f.ctx, root_a);
	shadow_cr3_load(f.ctx, root_b);
	assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).exits, 0);
	assert_int_equal(f.ctx->stats.sync_unsynced, 2); /* the two young leaves */

	/* Its process is gone and Linux clears the root page for a new one
	 * while another root is loaded (a write fault through the direct
	 * map): the record is young again from its next load. */
	gpt_map(&f.g, TVA, root_b, 4 * KB, RWD, PTE_RW); /* (in root_b; the kernel half is shared) */
	shadow_cr3_load(f.ctx, root_a);
	assert_int_equal(shadow_run(f.ctx, TVA, WALK_WRITE, false).kind, RAN);
	assert_int_equal(f.ctx->stats.sync_write_faults, 1);
	shadow_cr3_load(f.ctx, root_b);
	gpt_map(&f.g, UVA + 4 * KB, 0x7000, 4 * KB, PTE_P | PTE_US, PTE_US);
	assert_int_equal(shadow_run(f.ctx, UVA + 4 * KB, WALK_USER, false).exits, 1);
	assert_int_equal(f.ctx->stats.sync_unsynced, 3);
	fix_done(&f);
}

/* A global leaf follows the cached rule (kept across CR3 loads, dropped by
 * INVLPG and flushes, its tables not protected): that rule already keeps
 * it as long as synced would, and protecting the kernel's tables for it
 * would trap the kernel's writes to them (a vmalloc'ed stack at each
 * fork).  Strict, it is kept in sync like any other. */
static void test_global_leaf_cached_rule(void **state)
{
	for (int strict = 0; strict < 2; strict++) {
		struct fix f;

		fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
		f.ctx->sync_strict = strict;
		u64 root_a = f.g.cr3;
		gpt_map(&f.g, KVA, 0x5000, 4 * KB, PTE_P | PTE_RW | PTE_G, PTE_RW);
		u64 root_b = fix_second_root(&f), kpt = pt_of(&f, KVA);

		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 1);
		assert_int_equal(shadow_is_protected(f.ctx, kpt), strict);
		shadow_cr3_load(f.ctx, root_b);
		shadow_cr3_load(f.ctx, root_a);
		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).exits, 0);
		/* Not strict: the guest's write is unseen, its INVLPG drops it. */
		if (!strict) {
			gpt_set(&f.g, gpt_entry(&f.g, KVA, 1), 0x8000 | PTE_P | PTE_RW | PTE_G);
			shadow_invlpg(f.ctx, KVA);
		} else {
			store(&f, gpt_entry(&f.g, KVA, 1), 0x8000 | PTE_P | PTE_RW | PTE_G);
		}
		assert_int_equal(shadow_run(f.ctx, KVA, WALK_READ, false).hpa,
				 gpa_to_hpa(&f.g.m, 0x8000));
		fix_done(&f);
	}
}

/* A table's copy (made when it goes out of sync) lives in a page the next
 * copy reuses: a fork lets the parent's page tables out of sync, and its
 * next load brings them back, at every fork. */
static void test_copy_page_reused(void **state)
{
	struct fix f;

	fix_init(&f, PAGING_LONG4, SHADOW_SYNCED);
	gpt_map(&f.g, UVA, 0x6000, 4 * KB, PTE_P | PTE_US, PTE_US);
	u64 pte = gpt_entry(&f.g, UVA, 1), pt = pt_of(&f, UVA), root = f.g.cr3;
	long pages = 0;

	for (int round = 0; round < 3; round++) {
		assert_int_equal(shadow_run(f.ctx, UVA, WALK_USER, false).kind, RAN);
		store(&f, pte + 8, 0); /* out of sync: a copy */
		assert_false(shadow_is_protected(f.ctx, pt));
		shadow_cr3_load(f.ctx, root); /* synced again: the copy's slot is free */
		assert_true(shadow_is_protected(f.ctx, pt));
		if (round == 0)
			pages = f.pool.total;
		assert_int_equal(f.pool.total, pages);
	}
	assert_int_equal(f.ctx->stats.sync_resyncs, 3);
	fix_done(&f); /* and the kept page came back */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr3_load_keeps_user_leaves),
		cmocka_unit_test(test_table_write_protected),
		cmocka_unit_test(test_write_reaches_every_root),
		cmocka_unit_test(test_written_often_unshadowed),
		cmocka_unit_test(test_page_table_out_of_sync),
		cmocka_unit_test(test_write_fault_lets_out_of_sync),
		cmocka_unit_test(test_write_fault_unsyncs_idle_root),
		cmocka_unit_test(test_unemulable_root_write),
		cmocka_unit_test(test_watch_and_shadow_two_holds),
		cmocka_unit_test(test_policy_switch_lets_go),
		cmocka_unit_test(test_no_records_acts_cached),
		cmocka_unit_test(test_boot_rule),
		cmocka_unit_test(test_young_root),
		cmocka_unit_test(test_global_leaf_cached_rule),
		cmocka_unit_test(test_copy_page_reused),
	};
	return cmocka_run_group_tests_name("synced", tests, NULL, NULL);
}
