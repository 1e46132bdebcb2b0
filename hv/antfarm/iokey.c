/*
 * iokey.c - a sched/ process key from Antfarm's current address space.
 *
 * The key packs the root's page number (bits 51:12 of the PML4 address,
 * 40 bits) and its generation into one u64, with bit 63 set so that no
 * process key is ever IOKEY_NONE - not even a root at guest-physical 0.
 */
#include "antfarm/iokey.h"

#define IOKEY_PROC_FLAG BIT(63)
#define IOKEY_GEN_SHIFT 40

u64 iokey_make(u64 asid, u32 gen)
{
	u64 pfn = (asid & AF_CR3_ADDR_MASK) >> 12;
	return IOKEY_PROC_FLAG | ((u64)gen << IOKEY_GEN_SHIFT) | pfn;
}

u64 iokey_asid(u64 key)
{
	return (key & (BIT(IOKEY_GEN_SHIFT) - 1)) << 12;
}

u32 iokey_gen(u64 key)
{
	return (u32)((key & ~IOKEY_PROC_FLAG) >> IOKEY_GEN_SHIFT);
}

u64 iokey_current(const struct af *af, u32 vcpu, enum iokey_mode mode)
{
	u64 asid;
	u32 gen;
	if (mode != IOKEY_PROCESS || !af_current(af, vcpu, &asid, &gen))
		return IOKEY_NONE;
	return iokey_make(asid, gen);
}
