/*
 * le.h - little-endian fields in byte arrays.
 *
 * Firmware tables (ACPI MCFG), on-disk structures (GPT, the bzImage setup
 * header) and device registers kept as bytes (PCI configuration space) are
 * little-endian and often unaligned.  Reading them byte by byte is correct
 * on any CPU and at any alignment, and says what the format is; these are
 * the only readers and writers the hv and boot/ use for them.
 */
#ifndef FORMICA_LE_H
#define FORMICA_LE_H

#include "types.h"

static inline u16 le16_get(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static inline u32 le32_get(const u8 *p) { return (u32)le16_get(p) | (u32)le16_get(p + 2) << 16; }
static inline u64 le64_get(const u8 *p) { return (u64)le32_get(p) | (u64)le32_get(p + 4) << 32; }

static inline void le16_put(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void le32_put(u8 *p, u32 v)
{
	le16_put(p, (u16)v);
	le16_put(p + 2, (u16)(v >> 16));
}

static inline void le64_put(u8 *p, u64 v)
{
	le32_put(p, (u32)v);
	le32_put(p + 4, (u32)(v >> 32));
}

#endif
