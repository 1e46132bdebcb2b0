/*
 * cpuid.c - what CPUID tells a guest.  Pure: the glue executes the real
 * CPUID and passes its result through cpuid_filter().
 *
 * We pass the host's answer through, except for what Formica does not
 * virtualise, which must look absent so the guest does not use it:
 *   VMX and SMX        - no nested virtualisation
 *   MONITOR/MWAIT      - we exit on them; idle in HLT instead
 *   PCID, INVPCID      - the shadow pager treats every CR3 load as a flush
 *   MCE, MCA           - machine checks are the hv's business
 *   APIC, x2APIC, TSC-deadline - there is no virtual local APIC (a Linux
 *                      guest then runs its timer on the 8254 and 8259)
 *   XSAVE, AVX, ...    - the hv does not switch XCR0 between guests
 *   LA57               - 4-level paging only
 *   CET, PKS, Key Locker, UINTR - their CR4 bits are #GP (cr_check.c), and
 *                        their state is not switched between guests
 *   bus-lock detection - its IA32_DEBUGCTL bit is #GP (msr_filter.c)
 *   RDTSCP             - unless the VM-execution control allows it
 * and the physical-address width is GUEST_MAXPHYADDR, the one the shadow
 * pager and the CR3 check use for reserved bits.
 * We add the hypervisor bit and our own leaves at 0x40000000.
 */
#include "guest/guest.h"
#include "string.h"
#include "x86.h"

/* CPUID.1:ECX */
#define C1_MONITOR BIT(3)
#define C1_VMX BIT(5)
#define C1_SMX BIT(6)
#define C1_PCID BIT(17)
#define C1_X2APIC BIT(21)
#define C1_TSC_DEADLINE BIT(24)
#define C1_XSAVE BIT(26)
#define C1_OSXSAVE BIT(27)
#define C1_AVX BIT(28)
#define C1_HYPERVISOR BIT(31)
#define C1D_MCE BIT(7)  /* no machine-check architecture: its MSRs are not */
#define C1D_MCA BIT(14) /* virtualised, and Linux panics on a half-present MCA */
#define C1D_APIC BIT(9) /* no local APIC: the guest's timer is the 8254 via the 8259 */
/* CPUID.(7,0) */
#define C7B_AVX2 BIT(5)
#define C7B_INVPCID BIT(10)
#define C7B_AVX512 0xdc230000u /* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define C7C_PKU BIT(3)
#define C7C_WAITPKG BIT(5)
#define C7C_LA57 BIT(16)
#define C7C_CET_SS BIT(7)
#define C7C_KEYLOCKER BIT(23)
#define C7C_BUS_LOCK_DETECT BIT(24)
#define C7C_PKS BIT(31)
#define C7D_UINTR BIT(5)
#define C7D_CET_IBT BIT(20)
#define C7D_ARCH_CAPABILITIES BIT(29)
/* CPUID.80000001H:EDX */
#define C81D_RDTSCP BIT(27)

void cpuid_filter(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	switch (leaf) {
	case 1:
		r->ecx &= ~(C1_VMX | C1_SMX | C1_MONITOR | C1_PCID | C1_X2APIC | C1_TSC_DEADLINE |
			    C1_XSAVE | C1_OSXSAVE | C1_AVX);
		r->ecx |= C1_HYPERVISOR;
		r->edx &= ~(C1D_APIC | C1D_MCE | C1D_MCA);
		break;
	case 5: /* MONITOR/MWAIT leaf: gone with the feature */
	case 6: /* thermal and power management: no APERF/MPERF, no HWP MSRs */
	case 0xd: /* XSAVE state enumeration: gone with XSAVE */
		r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	case 7:
		if (subleaf == 0) {
			r->ebx &= ~(C7B_AVX2 | C7B_INVPCID | C7B_AVX512);
			r->ecx &= ~(C7C_PKU | C7C_WAITPKG | C7C_LA57 | C7C_CET_SS | C7C_KEYLOCKER |
				    C7C_BUS_LOCK_DETECT | C7C_PKS);
			r->edx &= ~(C7D_UINTR | C7D_CET_IBT);
			/* We answer IA32_ARCH_CAPABILITIES (with RDCL_NO), so a
			 * Linux guest knows it needs no page-table isolation. */
			r->edx |= C7D_ARCH_CAPABILITIES;
		} else {
			r->eax = r->ebx = r->ecx = r->edx = 0;
		}
		break;
	case 0x40000000: {
		const char sig[12] = FORMICA_CPUID_SIGNATURE;
		r->eax = FORMICA_CPUID_MAX_LEAF;
		memcpy(&r->ebx, sig, 4);
		memcpy(&r->ecx, sig + 4, 4);
		memcpy(&r->edx, sig + 8, 4);
		break;
	}
	case 0x40000001: /* Formica feature leaf: nothing yet */
		r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	case 0x80000001:
		r->edx &= ~C81D_RDTSCP;
		break;
	case 0x80000008: /* EAX[7:0] physical, [15:8] linear address bits */
		if ((r->eax & 0xff) > GUEST_MAXPHYADDR)
			r->eax = (r->eax & ~0xffu) | GUEST_MAXPHYADDR;
		break;
	default:
		/* Other hypervisor leaves (0x40000002-0x400000ff) are ours and empty. */
		if (leaf > FORMICA_CPUID_MAX_LEAF && leaf < 0x40000100)
			r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	}
}
