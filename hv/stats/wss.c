/*
 * wss.c - the working-set estimators' arithmetic (wss.h says what they are).
 *
 * (a) is two bitmaps: the pages used in this interval and in the one
 * before, so the size and the pages new to the set are popcounts.  (b) is
 * a sample of distinct random pages (xorshift64, drawn again on a
 * duplicate), a bitmap of those not yet touched, and a confidence interval
 * in fixed point: the hv does no floating point (-mgeneral-regs-only).
 */
#include "types.h"
#include "string.h"
#include "stats/wss.h"

static bool test_bit(const u64 *m, u64 i)
{
	return m[i / 64] & (1ull << (i % 64));
}

static void set_bit(u64 *m, u64 i)
{
	m[i / 64] |= 1ull << (i % 64);
}

/* Set bits of x, by halves (the hv has no POPCNT it may assume, and a
 * loop per bit would cost a working set's worth of steps per sample). */
static u32 popcount(u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (u32)((x * 0x0101010101010101ull) >> 56);
}

u64 wss_words(u64 nframes)
{
	return (nframes + 63) / 64;
}

void wss_init(struct wss *w, u64 nframes, u64 *seen, u64 *prev, u64 *sample, u32 n, u64 seed)
{
	memset(w, 0, sizeof(*w));
	w->nframes = nframes;
	w->words = wss_words(nframes);
	w->seen = seen;
	w->prev = prev;
	w->sample = sample;
	w->n = sample ? (n > nframes / 2 ? (u32)(nframes / 2) : n) : 0;
	w->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* xorshift64 (Marsaglia 2003): good enough to pick pages. */
static u64 next_random(struct wss *w)
{
	u64 x = w->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return w->rng = x;
}

void wss_fault(struct wss *w, u64 gpa)
{
	u64 f = gpa >> 12;

	if (!w->n || f >= w->nframes || !test_bit(w->sample, f))
		return;
	w->sample[f / 64] &= ~(1ull << (f % 64));
	w->hits++;
}

/* Integer square root (floor), bit by bit. */
static u64 isqrt(u64 x)
{
	u64 r = 0, b = 1ull << 62;

	while (b > x)
		b >>= 2;
	while (b) {
		if (x >= r + b) {
			x -= r + b;
			r = (r >> 1) + b;
		} else {
			r >>= 1;
		}
		b >>= 2;
	}
	return r;
}

/*
 * Wilson: with p^ = hits/n and k = z^2 f / n (f the finite-population
 * factor), the p with (p^ - p)^2 = k p (1 - p) are
 *     (p^ + k/2 -+ sqrt(k p^ (1 - p^) + k^2/4)) / (1 + k).
 * Fixed point with S = 2^20 (k <= 9 S): every product stays under 2^62.
 */
#define S (1ull << 20)
void wss_estimate(u64 N, u32 n, u32 hits, u64 *est, u64 *lo, u64 *hi)
{
	if (!n || !N) {
		*est = *lo = *hi = 0;
		return;
	}
	u64 ph = (u64)hits * S / n;
	u64 k = N > 1 ? (u64)WSS_Z2 * S * (N - n) / ((u64)n * (N - 1)) : 0;
	u64 a = ph + k / 2;
	/* the square root's argument at scale S^2: ph (S - ph) <= S^2 / 4,
	 * times k <= 9 S, is under 2^61 */
	u64 r = isqrt(k * (ph * (S - ph)) / S + k * k / 4);
	u64 plo = a > r ? (a - r) * S / (S + k) : 0;
	u64 phi = (a + r) * S / (S + k);

	if (phi > S)
		phi = S;
	*est = (u64)hits * N / n;
	*lo = (plo * N) / S;
	*hi = (phi * N + S - 1) / S; /* rounded outwards, both ends */
	/* The exact interval holds the estimate; keep it so after rounding. */
	if (*lo > *est)
		*lo = *est;
	if (*hi < *est)
		*hi = *est;
}
#undef S

void wss_next_sample(struct wss *w)
{
	if (!w->n)
		return;
	if (w->sampling) {
		wss_estimate(w->nframes, w->n, w->hits, &w->est, &w->est_lo, &w->est_hi);
		w->est_hits = w->hits;
		w->est_n = w->n;
	}
	memset(w->sample, 0, w->words * 8);
	for (u32 i = 0; i < w->n;) {
		u64 f = next_random(w) % w->nframes;

		if (!test_bit(w->sample, f)) {
			set_bit(w->sample, f);
			i++;
		}
	}
	w->hits = 0;
	w->sampling = true;
}

void wss_count(struct wss *w)
{
	u64 pages = 0, fresh = 0;

	for (u64 i = 0; i < w->words; i++) {
		pages += popcount(w->seen[i]);
		fresh += popcount(w->seen[i] & ~w->prev[i]);
		w->prev[i] = w->seen[i];
		w->seen[i] = 0;
	}
	w->pages = pages;
	w->new_pages = fresh;
}
