/*
 * test_wpset.c - the write-protect set (hv/mm/wpset.h): the two-owner rule,
 * a full set, and long random hold/release sequences against a plain array
 * model (which also exercises removal inside colliding probe runs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mm/wpset.h"

static struct wpset *new_set(void)
{
	struct wpset *s = malloc(sizeof(*s));

	assert_non_null(s);
	wp_init(s);
	return s;
}

/* Antfarm lets go of a root the shadow still shadows: it stays protected,
 * and only the shadow is fed its writes from then on. */
static void test_two_owners_one_count(void **state)
{
	struct wpset *s = new_set();

	assert_int_equal(wp_hold(s, 0x1234, WP_ANTFARM), 1); /* newly protected */
	assert_int_equal(wp_hold(s, 0x1234, WP_SHADOW), 0);
	assert_int_equal(wp_hold(s, 0x1234, WP_SHADOW), 0);  /* a second role */
	assert_int_equal(wp_owners(s, 0x1234), 3);
	assert_int_equal(wp_release(s, 0x1234, WP_ANTFARM), 0);
	assert_int_equal(wp_release(s, 0x1234, WP_ANTFARM), -1); /* held no more */
	assert_true(wp_is_protected(s, 0x1234));
	assert_int_equal(wp_owners(s, 0x1234), 1u << WP_SHADOW);
	assert_int_equal(wp_holds(s, 0x1234, WP_SHADOW), 2);
	assert_int_equal(wp_release(s, 0x1234, WP_SHADOW), 0);
	assert_int_equal(wp_release(s, 0x1234, WP_SHADOW), 1); /* unprotected now */
	assert_false(wp_is_protected(s, 0x1234));
	assert_int_equal(wp_owners(s, 0x1234), 0);
	assert_int_equal(s->used, 0);
	free(s);
}

static void test_full(void **state)
{
	struct wpset *s = new_set();

	for (u64 i = 0; i < WPSET_MAX; i++)
		assert_int_equal(wp_hold(s, i * 7, WP_SHADOW), 1);
	assert_int_equal(wp_hold(s, 0xabcdef, WP_ANTFARM), -1);
	assert_false(wp_is_protected(s, 0xabcdef));
	assert_int_equal(wp_hold(s, 7, WP_ANTFARM), 0); /* a held frame: fine */
	assert_int_equal(wp_release(s, 14, WP_SHADOW), 1);
	assert_int_equal(wp_hold(s, 0xabcdef, WP_ANTFARM), 1);
	for (u64 i = 0; i < WPSET_MAX; i++)
		assert_true(wp_is_protected(s, i * 7) == (i != 2));
	free(s);
}

/* Random holds and releases on few frames (so probe runs collide and
 * removals shift members), checked against counts in a plain array. */
static void test_random_against_model(void **state)
{
	enum { FRAMES = 3000 };
	struct wpset *s = new_set();
	static u32 model[FRAMES][WP_OWNERS];
	u32 held = 0;
	u64 x = 88172645463325252ull;

	memset(model, 0, sizeof(model));
	for (int step = 0; step < 400000; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		u64 f = x % FRAMES, gfn = f * 4096 + 17; /* spread like real frames */
		enum wp_owner o = (x >> 20) & 1 ? WP_SHADOW : WP_ANTFARM;
		u32 before = model[f][0] + model[f][1];

		if ((x >> 30) % 100 < 52) {
			int r = wp_hold(s, gfn, o);

			if (before == 0 && held >= WPSET_MAX) {
				assert_int_equal(r, -1);
				continue;
			}
			assert_int_equal(r, before == 0);
			model[f][o]++;
			held += before == 0;
		} else {
			int r = wp_release(s, gfn, o);

			if (!model[f][o]) {
				assert_int_equal(r, -1);
				continue;
			}
			model[f][o]--;
			assert_int_equal(r, before == 1);
			held -= before == 1;
		}
		if (step % 1000 == 0)
			for (u64 g = 0; g < FRAMES; g++) {
				assert_int_equal(wp_holds(s, g * 4096 + 17, WP_ANTFARM), model[g][0]);
				assert_int_equal(wp_holds(s, g * 4096 + 17, WP_SHADOW), model[g][1]);
				assert_true(wp_is_protected(s, g * 4096 + 17) ==
					    (model[g][0] + model[g][1] > 0));
			}
		assert_int_equal(s->used, held);
	}
	assert_true(held > WPSET_MAX / 2); /* the set was put under load */
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_owners_one_count),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
