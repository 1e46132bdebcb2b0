/*
 * test_spcache.c - the synced policy's shadow-page index (hv/mm/spcache.h):
 * roles that must differ do, several roles of one frame, the walk over a
 * frame's shadow pages, and random adds and deletes against a plain model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mm/spcache.h"

static struct spcache *new_cache(void)
{
	struct spcache *c = malloc(sizeof(*c));

	assert_non_null(c);
	sp_init(c);
	return c;
}

/* Every input of the role changes it: a shadow built under one setting
 * must never be found under another. */
static void test_roles_differ(void **state)
{
	struct guest_paging base = { .mode = PAGING_LONG4, .wp = true, .nxe = true };
	u32 r0 = sp_role(&base, 2, true, true, false);
	struct guest_paging v[6];

	for (int i = 0; i < 6; i++)
		v[i] = base;
	v[0].mode = PAGING_PAE;
	v[1].wp = false;
	v[2].nxe = false;
	v[3].smep = true;
	v[4].smap = true;
	v[5].pse = true;
	for (int i = 0; i < 6; i++)
		assert_true(sp_role(&v[i], 2, true, true, false) != r0);
	assert_true(sp_role(&base, 1, true, true, false) != r0);
	assert_true(sp_role(&base, 2, false, true, false) != r0);
	assert_true(sp_role(&base, 2, true, false, false) != r0);
	assert_true(sp_role(&base, 2, true, true, true) != r0);
	assert_int_equal(SP_ROLE_LEVEL(r0), 2);
	/* The CR3 value is no part of it: two roots share a kernel table. */
	base.cr3 = 0x5000;
	assert_int_equal(sp_role(&base, 2, true, true, false), r0);
}

static void test_roles_of_one_frame(void **state)
{
	struct spcache *c = new_cache();
	u64 t1[1], t2[1], t3[1];

	struct sp *a = sp_add(c, 0x42, 1, t1), *b = sp_add(c, 0x42, 2, t2);
	struct sp *o = sp_add(c, 0x42 + SPCACHE_HASH * 7, 1, t3); /* likely another bucket */

	assert_ptr_equal(sp_find(c, 0x42, 1), a);
	assert_ptr_equal(sp_find(c, 0x42, 2), b);
	assert_null(sp_find(c, 0x42, 3));
	assert_ptr_equal(sp_find(c, 0x42 + SPCACHE_HASH * 7, 1), o);
	int n = 0;
	for (struct sp *sp = sp_first_of_gfn(c, 0x42); sp; sp = sp_next_of_gfn(c, sp)) {
		assert_int_equal(sp->gfn, 0x42);
		n++;
	}
	assert_int_equal(n, 2);
	sp_del(c, a);
	assert_null(sp_find(c, 0x42, 1));
	assert_ptr_equal(sp_find(c, 0x42, 2), b);
	assert_int_equal(c->used, 2);
	free(c);
}

static void test_full(void **state)
{
	struct spcache *c = new_cache();
	u64 t[1];

	for (u64 i = 0; i < SPCACHE_MAX; i++)
		assert_non_null(sp_add(c, i, 0, t));
	assert_null(sp_add(c, 1ull << 40, 0, t));
	sp_del(c, sp_find(c, 17, 0));
	assert_non_null(sp_add(c, 1ull << 40, 0, t));
	free(c);
}

/* Random adds and deletes over few frames and roles, against a table of
 * which (frame, role) pairs exist. */
static void test_random_against_model(void **state)
{
	enum { FRAMES = 1500, ROLES = 4 };
	struct spcache *c = new_cache();
	static u64 *model[FRAMES][ROLES];
	static u64 tables[FRAMES][ROLES];
	u64 x = 0x2545f4914f6cdd1dull;

	memset(model, 0, sizeof(model));
	for (int step = 0; step < 200000; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		u64 f = x % FRAMES;
		u32 r = (u32)(x >> 24) % ROLES;
		struct sp *sp = sp_find(c, f, r);

		assert_true(sp ? sp->table == model[f][r] : model[f][r] == NULL);
		if (!sp && c->used < SPCACHE_MAX) {
			assert_non_null(sp = sp_add(c, f, r, &tables[f][r]));
			model[f][r] = &tables[f][r];
		} else if (sp) {
			sp_del(c, sp);
			model[f][r] = NULL;
		}
		int n = 0, want = 0;
		for (sp = sp_first_of_gfn(c, f); sp; sp = sp_next_of_gfn(c, sp))
			n++;
		for (u32 k = 0; k < ROLES; k++)
			want += model[f][k] != NULL;
		assert_int_equal(n, want);
	}
	assert_true(c->used > SPCACHE_MAX / 2);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_differ),
		cmocka_unit_test(test_roles_of_one_frame),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
