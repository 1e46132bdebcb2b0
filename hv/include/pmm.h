/*
 * pmm.h - the hypervisor's physical page allocator.
 *
 * boot/ reserves one contiguous heap for the hv (handoff.heap_base/size).
 * pmm hands out zeroed 4 KiB pages from it.  Because the hv identity-maps
 * physical memory, the returned pointer IS the physical address:
 *     void *p = pmm_alloc_pages(1);  u64 pa = (u64)p;
 * VMCS regions, shadow page tables, DMA buffers all come from here.
 */
#ifndef FORMICA_PMM_H
#define FORMICA_PMM_H

#include "types.h"

void pmm_init(u64 base, u64 size);
void *pmm_alloc_pages(u64 n);   /* zeroed, page-aligned; panics when out of memory */
/* The same, but NULL when out of memory: for what a guest makes the hv
 * allocate (shadow tables), where running out must stop that guest's
 * caches, not the machine. */
void *pmm_try_alloc_pages(u64 n);
void pmm_free_pages(void *p, u64 n);
u64 pmm_free_bytes(void);

#endif
