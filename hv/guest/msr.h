/*
 * msr.h - the guest's model-specific registers.
 *
 * Every RDMSR and WRMSR in a guest exits (no MSR bitmap).  msr_filter_read()
 * and msr_filter_write() are the pure policy: they decide, for each MSR,
 * whether the guest may access it and where the value lives:
 *   MSR_IN_VMCS   - the VMCS switches it (EFER, PAT, FS/GS base, SYSENTER)
 *   MSR_IN_STATE  - struct guest_msrs holds it (and the glue loads the
 *                   SYSCALL MSRs into the CPU, which uses them in guest mode)
 *   MSR_CONST     - a fixed value (IA32_ARCH_CAPABILITIES, MTRRcap, ...)
 *   MSR_IGNORE    - writes are accepted and dropped
 *   MSR_GP        - unknown: the guest gets #GP(0) and the log says so
 */
#ifndef FORMICA_MSR_H
#define FORMICA_MSR_H

#include "types.h"

struct guest_msrs {
	u64 star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	u64 apic_base, misc_enable, spec_ctrl, tsc_adjust, mtrr_def_type;
};

enum msr_where { MSR_GP = 0, MSR_IN_VMCS, MSR_IN_STATE, MSR_CONST, MSR_IGNORE };

/* IA32_ARCH_CAPABILITIES: RDCL_NO (bit 0) tells Linux the (virtual) CPU is
 * not vulnerable to Meltdown, so it leaves page-table isolation off and
 * writes CR3 only on real address-space switches. */
#define ARCH_CAP_RDCL_NO BIT(0)

/* IA32_MISC_ENABLE bit 0, fast-string operations (SDM Vol. 4, table 2-2).
 * Firmware sets it; when it is clear, Linux drops its REP MOVSB/STOSB
 * string routines (ERMS, REP_GOOD: "Disabled fast string operations") for
 * unrolled loops.  A guest sees the host's bit, so it runs the string code
 * the same kernel runs bare on this machine: Bochs clears the bit, and
 * since Bochs counts every iteration of a REP string instruction as one
 * instruction, a guest told otherwise ran ~6x the instructions in memset
 * and clear_page that a bare run did (README, "Shadow pager performance"). */
#define MISC_ENABLE_FAST_STRING BIT(0)

void msr_state_init(struct guest_msrs *m, bool fast_strings);
/* For reads: *val is filled for MSR_IN_STATE and MSR_CONST. */
enum msr_where msr_filter_read(const struct guest_msrs *m, u32 msr, u64 *val);
/* For writes: MSR_IN_STATE updates *m; MSR_GP also for bad values. */
enum msr_where msr_filter_write(struct guest_msrs *m, u32 msr, u64 val);

#endif
