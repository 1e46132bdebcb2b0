/*
 * cpu.h - the hv's own descriptor tables and its exception handling.
 */
#ifndef FORMICA_CPU_H
#define FORMICA_CPU_H

#include "types.h"

/* Selectors of the hv's GDT (hv/kernel/gdt.c).  VMX host state uses them too. */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

/* What traps.S pushes: the hv's registers at the moment of an exception. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void gdt_init(void);
void idt_init(void);
u64 tss_base(void);
/* Take the interrupts pending in the local APIC now (idt.c says when). */
void cpu_take_pending_interrupts(void);

#endif
