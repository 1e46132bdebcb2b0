/*
 * pmm.c - physical page allocator.
 *
 * The simplest allocator that can free: pages come from a bump pointer
 * over the heap boot/ reserved; single pages that are freed go on a free
 * list (the list link lives in the free page itself) and are handed out
 * again first.  Runs of several pages are only ever bump-allocated; they
 * are the long-lived structures (VMCS regions, guest page tables).
 */
#include "kprintf.h"
#include "pmm.h"
#include "string.h"

static u64 heap_next, heap_end;
static void *free_list;
static u64 free_count;

void pmm_init(u64 base, u64 size)
{
	heap_next = ALIGN_UP(base, PAGE_SIZE);
	heap_end = ALIGN_DOWN(base + size, PAGE_SIZE);
	kprintf("pmm: heap 0x%lx-0x%lx (%lu KiB)\n", heap_next, heap_end,
		(heap_end - heap_next) / 1024);
}

void *pmm_try_alloc_pages(u64 n)
{
	void *p;
	if (n == 1 && free_list) {
		p = free_list;
		free_list = *(void **)p;
		free_count--;
	} else {
		if (heap_next + n * PAGE_SIZE > heap_end)
			return NULL;
		p = (void *)heap_next;
		heap_next += n * PAGE_SIZE;
	}
	memset(p, 0, n * PAGE_SIZE);
	return p;
}

void *pmm_alloc_pages(u64 n)
{
	void *p = pmm_try_alloc_pages(n);
	if (!p)
		panic("pmm: out of memory (wanted %lu pages, %lu KiB free)\n", n,
		      pmm_free_bytes() / 1024);
	return p;
}

void pmm_free_pages(void *p, u64 n)
{
	for (u64 i = 0; i < n; i++) {
		void **page = (void **)((u8 *)p + i * PAGE_SIZE);
		*page = free_list;
		free_list = page;
		free_count++;
	}
}

u64 pmm_free_bytes(void) { return heap_end - heap_next + free_count * PAGE_SIZE; }
