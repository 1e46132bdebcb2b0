/*
 * cr_check.h - the checks a CPU makes before MOV to CR0/CR3/CR4 or WRMSR
 * to IA32_EFER changes anything (pure).
 *
 * Every guest write to CR0, CR3, CR4 and EFER exits to the hv (the CR0/CR4
 * guest/host masks own every bit), so the hv, not the CPU, must refuse what
 * the CPU would refuse.  If it did not, a bad value either reached the VMCS
 * and failed the next VM entry (the guest ended with "entry-failure" where
 * a real machine gives the guest a #GP it can handle), or was silently
 * accepted (CR3 bit 63 with CR4.PCIDE = 0).  The rules are the SDM's:
 * Vol. 2B "MOV-Move to/from Control Registers" (exceptions), Vol. 3A 2.5
 * (control registers), 4.5 (CR3 in 4-level paging), 9.8.5 (IA-32e mode).
 * Each check returns NULL if the CPU accepts the write, with *val set to
 * what the register then holds, or the reason for the #GP(0) it raises.
 */
#ifndef FORMICA_CR_CHECK_H
#define FORMICA_CR_CHECK_H

#include "types.h"
#include "x86.h"

/* The guest's own view of its registers before the write. */
struct cr_regs {
	u64 cr0, cr3, cr4, efer;
	bool cs_l; /* CS.L: with EFER.LMA, the guest runs in 64-bit mode */
};

/* CR4 bits a Formica guest may set, if the real CPU has them too (the glue
 * passes what VMX lets a guest run with).  Left out, because CPUID hides
 * the feature (hv/guest/cpuid.c) and a CPU without it raises #GP: MCE,
 * LA57, VMXE, SMXE, PCIDE, OSXSAVE, PKE, and everything newer. */
#define CR4_GUEST_BITS                                                                  \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE |  \
	 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_FSGSBASE | CR4_SMEP | CR4_SMAP)

const char *cr_check_cr0(const struct cr_regs *r, u64 *val);
const char *cr_check_cr3(const struct cr_regs *r, u8 maxphyaddr, u64 *val);
const char *cr_check_cr4(const struct cr_regs *r, u64 cpu_allows, u64 *val);
/* WRMSR IA32_EFER after msr_filter_write() accepted the bits themselves. */
const char *cr_check_efer(const struct cr_regs *r, u64 *val);

#endif
