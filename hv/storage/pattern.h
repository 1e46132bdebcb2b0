/*
 * pattern.h - the data the storage self-test writes and expects back (pure).
 *
 * Each 512-byte sector carries its own address, so a write that lands on
 * the wrong LBA, a read that returns the wrong sector and a stale sector
 * from an earlier run all fail the check:
 *
 *   bytes 0..7    "FORMICA!"
 *   bytes 8..15   the sector's device LBA, little endian
 *   bytes 16..23  the run's seed (the TSC when the self-test started)
 *   bytes 24..511 xorshift64 stream seeded from LBA and seed
 *
 * tools/storage-test.sh reads the first 16 bytes of every sector of the
 * extents back from the image to prove the writes landed where intended.
 */
#ifndef FORMICA_PATTERN_H
#define FORMICA_PATTERN_H

#include "types.h"

#define PATTERN_MAGIC "FORMICA!"

void pattern_fill(u8 *buf, u64 lba, u32 count, u64 seed);

/* Returns the number of sectors that differ; *first_bad gets the LBA of
 * the first (untouched if none). */
u32 pattern_check(const u8 *buf, u64 lba, u32 count, u64 seed, u64 *first_bad);

/* Integer throughput: bytes moved in us microseconds, in KiB/s. */
u64 kib_per_s(u64 bytes, u64 us);

#endif
