/*
 * pattern.c - self-test data pattern and throughput arithmetic (pure).
 * See pattern.h for the sector layout.
 */
#include "types.h"
#include "string.h"
#include "storage/pattern.h"

static u64 stream_seed(u64 lba, u64 seed)
{
	u64 x = (lba + 1) * 0x9e3779b97f4a7c15ull ^ seed;
	return x ? x : 0x2545f4914f6cdd1dull; /* xorshift must not start at 0 */
}

static u64 xorshift64(u64 *s)
{
	u64 x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void fill_sector(u8 *s, u64 lba, u64 seed)
{
	u64 st = stream_seed(lba, seed);
	memcpy(s, PATTERN_MAGIC, 8);
	for (int i = 0; i < 8; i++) {
		s[8 + i] = (u8)(lba >> (8 * i));
		s[16 + i] = (u8)(seed >> (8 * i));
	}
	for (u32 off = 24; off < 512; off += 8) {
		u64 v = xorshift64(&st);
		memcpy(s + off, &v, 8);
	}
}

void pattern_fill(u8 *buf, u64 lba, u32 count, u64 seed)
{
	for (u32 i = 0; i < count; i++)
		fill_sector(buf + (u64)i * 512, lba + i, seed);
}

u32 pattern_check(const u8 *buf, u64 lba, u32 count, u64 seed, u64 *first_bad)
{
	u8 want[512];
	u32 bad = 0;
	for (u32 i = 0; i < count; i++) {
		fill_sector(want, lba + i, seed);
		if (memcmp(want, buf + (u64)i * 512, 512) != 0) {
			if (bad == 0 && first_bad)
				*first_bad = lba + i;
			bad++;
		}
	}
	return bad;
}

u64 kib_per_s(u64 bytes, u64 us)
{
	if (us == 0)
		us = 1;
	/* bytes * 1e6 overflows past 16 TiB moved: divide early only then. */
	if (bytes <= ~0ull / 1000000)
		return bytes * 1000000 / us / 1024;
	if (bytes / 1024 <= ~0ull / 1000000)
		return bytes / 1024 * 1000000 / us;
	return bytes / 1024 / us * 1000000;
}
