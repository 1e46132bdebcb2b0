/*
 * test_string.c - the hv's own memset/memcpy/memmove (hv/lib/string.c),
 * built here under other names beside the host's libc: every length
 * around the eight-byte steps of the bulk, every misalignment, and
 * overlapping moves both ways, against a byte-by-byte reference.
 */
#define memset hv_memset
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strncpy hv_strncpy
#include "lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strncpy

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define N 96

static void fill(u8 *b, unsigned seed)
{
	for (unsigned i = 0; i < N; i++)
		b[i] = (u8)(i * 7 + seed);
}

static void test_memset_lengths_and_offsets(void **state)
{
	u8 b[N], want[N];

	for (unsigned off = 0; off < 8; off++)
		for (unsigned n = 0; off + n <= N - 8; n++) {
			fill(b, n);
			fill(want, n);
			for (unsigned i = 0; i < n; i++)
				want[off + i] = 0xa5;
			assert_ptr_equal(hv_memset(b + off, 0xa5, n), b + off);
			assert_memory_equal(b, want, N);
		}
}

static void test_memcpy_lengths_and_offsets(void **state)
{
	u8 src[N], b[N], want[N];

	fill(src, 3);
	for (unsigned so = 0; so < 8; so++)
		for (unsigned doff = 0; doff < 8; doff++)
			for (unsigned n = 0; n <= N - 8; n++) {
				fill(b, 11);
				fill(want, 11);
				for (unsigned i = 0; i < n; i++)
					want[doff + i] = src[so + i];
				assert_ptr_equal(hv_memcpy(b + doff, src + so, n), b + doff);
				assert_memory_equal(b, want, N);
			}
}

/* Overlap in both directions: the result is as if through a temporary. */
static void test_memmove_overlaps(void **state)
{
	u8 b[N], want[N], tmp[N];

	for (unsigned from = 0; from < 24; from++)
		for (unsigned to = 0; to < 24; to++)
			for (unsigned n = 0; n + 24 <= N; n++) {
				fill(b, 5);
				fill(want, 5);
				for (unsigned i = 0; i < n; i++)
					tmp[i] = want[from + i];
				for (unsigned i = 0; i < n; i++)
					want[to + i] = tmp[i];
				assert_ptr_equal(hv_memmove(b + to, b + from, n), b + to);
				assert_memory_equal(b, want, N);
			}
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Every length and misalignment, equal or differing first at each position
 * (up or down, with a later difference too): the sign is the first
 * differing byte's, as a byte-by-byte loop says. */
static void test_memcmp_lengths_and_differences(void **state)
{
	u8 a[N], b[N];

	for (unsigned off = 0; off < 8; off++)
		for (unsigned n = 0; off + n <= N; n++)
			for (int d = -1; d < (int)n; d++)
				for (int up = 0; up < 2; up++) {
					int ref = 0;

					fill(a, 5);
					fill(b, 5);
					if (d >= 0) {
						b[off + d] += up ? 1 : -1;
						if (off + d + 1 < N)
							b[N - 1] ^= 0x5a; /* a later one */
					}
					for (unsigned i = 0; i < n && !ref; i++)
						ref = sign(a[off + i] - b[off + i]);
					assert_int_equal(sign(hv_memcmp(a + off, b + off, n)), ref);
					assert_true(d < 0 || !n || ref != 0 || off + d == N - 1);
				}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memset_lengths_and_offsets),
		cmocka_unit_test(test_memcpy_lengths_and_offsets),
		cmocka_unit_test(test_memmove_overlaps),
		cmocka_unit_test(test_memcmp_lengths_and_differences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
