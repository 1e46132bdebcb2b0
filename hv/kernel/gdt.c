/*
 * gdt.c - the hv's own GDT and TSS.
 *
 * Long mode barely uses segmentation, but the CPU still needs a code
 * segment with L=1, a data segment, and a TSS (for the stacks it switches
 * to on a double fault or NMI, through the IST).  VMX needs them too: the
 * host-state area names a non-zero CS and TR (SDM Vol. 3, 27.2.3).
 *
 * The firmware's GDT lives in boot-services memory we may overwrite, so
 * this runs first thing.
 */
#include "cpu.h"
#include "string.h"
#include "x86.h"

struct __attribute__((packed)) tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
};

static struct tss64 tss;
static u8 ist_stack[2][8192] __attribute__((aligned(16)));

/* Descriptor words, SDM Vol. 3, 3.4.5: flat 64-bit code, flat data. */
static u64 gdt[5] = {
	0,
	0x00af9a000000ffffull, /* 0x08: code, L=1, DPL 0 */
	0x00cf92000000ffffull, /* 0x10: data, DPL 0 */
	0, 0,                  /* 0x18: 64-bit TSS, 16 bytes, filled below */
};

u64 tss_base(void) { return (u64)&tss; }

void gdt_init(void)
{
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;
	memset(&tss, 0, sizeof(tss));
	tss.ist[0] = (u64)&ist_stack[0][sizeof(ist_stack[0])]; /* IST1: #DF */
	tss.ist[1] = (u64)&ist_stack[1][sizeof(ist_stack[1])]; /* IST2: NMI */
	tss.iomap_base = sizeof(tss);                         /* no I/O bitmap */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) /* P, type 9 */
		 | (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	struct dtr d = { sizeof(gdt) - 1, (u64)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 /* Reload CS with a far return, then the data segments. */
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(d), "i"(SEL_CODE), "r"((u64)SEL_DATA), "r"((u64)SEL_TSS)
			 : "rax", "memory");
}
