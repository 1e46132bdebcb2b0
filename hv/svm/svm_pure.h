/*
 * svm_pure.h - the parts of the SVM backend that are arithmetic, not
 * instructions: what CPUID 8000_000A says this CPU's SVM can do, the exit
 * code and its EXITINFO fields as a vendor-neutral struct vcpu_exit, the
 * permission maps.  (Events: svm_event.h.)
 * Unit-tested on the host (hv/svm/tests/test_svm_pure.c).
 */
#ifndef FORMICA_SVM_PURE_H
#define FORMICA_SVM_PURE_H

#include "types.h"
#include "vcpu.h"
#include "svm/vmcb.h"

/* CPUID Fn8000_000A (APM Vol. 3, E.4.9): the SVM revision, the number of
 * ASIDs, and in EDX the optional features the backend uses if present. */
struct svm_caps {
	u32 revision;
	u32 nasid;
	bool np;             /* EDX[0]  nested paging (not used: shadow paging) */
	bool nrips;          /* EDX[3]  NRIP save: the VMCB says where the next instruction is */
	bool vmcb_clean;     /* EDX[5]  VMCB clean bits */
	bool flush_by_asid;  /* EDX[6]  TLB_CONTROL 3 and 7 */
	bool decode_assists; /* EDX[7]  MOV CR / INVLPG operands in EXITINFO1 */
};
void svm_parse_caps(u32 eax, u32 ebx, u32 edx, struct svm_caps *c);

/* The exit that just happened, as an event for hv/guest/exit.c.  vmcb is
 * only read.  What the CPU did not report stays zero (insn_len,
 * decoded = false): the guest core decodes it from guest memory. */
void svm_translate_exit(const struct vmcb *vmcb, const struct svm_caps *caps,
			struct vcpu_exit *x);

/* "CPUID", "IOIO", "#PF", ... for an exit code (APM Vol. 2, Appendix C). */
const char *svm_exit_name(u32 code);

/* Permission maps (15.10.1, 15.11): a set bit intercepts.  The MSR map has
 * two bits per MSR (read, write) for three ranges of 8 K MSRs; an MSR
 * outside them always exits.  Returns false for such an MSR. */
bool svm_msrpm_set(u8 *msrpm, u32 msr, bool intercept_read, bool intercept_write);

/* The CR4 bits this CPU implements (CPUID 1 ECX, 7 EBX and ECX), for the
 * MOV to CR4 check: SVM has no IA32_VMX_CR4_FIXED1 MSR to say it. */
u64 svm_cr4_allowed(u32 cpuid1_ecx, u32 cpuid7_ebx, u32 cpuid7_ecx);

#endif
