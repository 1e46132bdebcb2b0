/*
 * splitmix.h - SplitMix64 (Steele, Lea and Flood, OOPSLA 2014), the
 * disk models' source of rotational positions after a seek: a fixed seed
 * makes every run the same, and its output is spread like a real one.
 * Shared by the float model (tools/schedsim/simdisk.c) and its integer port
 * (hdd_model.c), which must draw the same numbers.
 */
#ifndef FORMICA_SCHED_SPLITMIX_H
#define FORMICA_SCHED_SPLITMIX_H

#include "types.h"

static inline u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
