/*
 * gmem.h - a guest's physical memory, as the hypervisor sees it.
 *
 * Each guest's RAM is one physically contiguous block of host memory
 * (boot/ allocates it, 2 MiB aligned).  Guest-physical address gpa lives at
 * host address base + gpa, for gpa < size.  Every access the hv makes on a
 * guest's behalf goes through gpa_ptr(), which refuses anything outside the
 * block: that check is what keeps one guest out of the hv's and the other
 * guests' memory, whatever its page tables say.
 *
 * In the hv, base is an identity-mapped host-physical address; in unit
 * tests it is a malloc()ed buffer.  Pure code cannot tell the difference.
 */
#ifndef FORMICA_GMEM_H
#define FORMICA_GMEM_H

#include "types.h"

struct gmem {
	u8 *base; /* host address of guest-physical 0 */
	u64 size; /* bytes */
};

/* Host pointer to [gpa, gpa+len) or NULL if any byte is outside the guest. */
static inline void *gpa_ptr(const struct gmem *m, u64 gpa, u64 len)
{
	if (gpa >= m->size || len > m->size - gpa)
		return NULL;
	return m->base + gpa;
}

/* Host-physical address of a guest-physical page (hv: pointer == phys). */
static inline u64 gpa_to_hpa(const struct gmem *m, u64 gpa)
{
	return (u64)(uintptr_t)m->base + gpa;
}

#endif
