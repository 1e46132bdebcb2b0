/*
 * msr.c - RDMSR/WRMSR exits: the glue around msr_filter.c.
 *
 * The SYSCALL MSRs (STAR, LSTAR, CSTAR, FMASK) and KERNEL_GS_BASE are used
 * by the CPU itself while the guest runs, and the VMCS does not switch
 * them.  The hv never uses SYSCALL or SWAPGS, so we simply leave the
 * running guest's values in the real MSRs (msr_load_guest() on every
 * switch to a guest).  So every value msr_filter_write() lets into
 * struct guest_msrs must be one the real WRMSR takes: a value it would
 * fault on would fault in the hv, on the next switch.
 */
#include "guest/guest.h"
#include "io.h"
#include "kprintf.h"
#include "vmx/vmx.h"
#include "x86.h"

static u32 vmcs_field_of(u32 msr)
{
	switch (msr) {
	case MSR_IA32_EFER: return GUEST_IA32_EFER;
	case MSR_IA32_PAT: return GUEST_IA32_PAT;
	case MSR_IA32_FS_BASE: return GUEST_FS_BASE;
	case MSR_IA32_GS_BASE: return GUEST_GS_BASE;
	case MSR_IA32_SYSENTER_CS: return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return GUEST_SYSENTER_EIP;
	case MSR_IA32_DEBUGCTL: return GUEST_IA32_DEBUGCTL;
	default: return 0;
	}
}

void msr_load_guest(const struct guest *g)
{
	wrmsr(MSR_IA32_STAR, g->msrs.star);
	wrmsr(MSR_IA32_LSTAR, g->msrs.lstar);
	wrmsr(MSR_IA32_CSTAR, g->msrs.cstar);
	wrmsr(MSR_IA32_FMASK, g->msrs.fmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, g->msrs.kernel_gs_base);
	wrmsr(MSR_IA32_TSC_AUX, g->msrs.tsc_aux);
}

/* When g leaves the CPU.  SWAPGS exchanges GS.base with KERNEL_GS_BASE
 * without a VM exit, so the real MSR, not our copy, holds the guest's
 * value: save it, or the next guest's load destroys it. */
void msr_save_guest(struct guest *g)
{
	g->msrs.kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
}

static void gp(struct guest *g, const char *op, u32 msr, u64 val)
{
	kprintf("guest %s: %s of MSR 0x%x (value 0x%lx) at rip=0x%lx: #GP injected\n", g->name,
		op, msr, val, vmread(GUEST_RIP));
	guest_inject_exception(VEC_GP, true, 0);
}

void guest_msr_read(struct guest *g)
{
	u64 *r = g->regs.gpr;
	u32 msr = (u32)r[R_RCX];
	u64 val = 0;
	if (msr == MSR_IA32_KERNEL_GS_BASE) /* SWAPGS changes it with no exit */
		g->msrs.kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
	switch (msr_filter_read(&g->msrs, msr, &val)) {
	case MSR_GP:
		gp(g, "RDMSR", msr, 0);
		return;
	case MSR_IN_VMCS:
		if (msr == MSR_IA32_TSC)
			val = rdtsc() + vmread(TSC_OFFSET);
		else if (msr == MSR_IA32_EFER) /* the real EFER is the shadow pager's, */
			val = (g->efer & ~EFER_LMA) |  /* but its LMA is the guest's: */
			      (vmread(GUEST_IA32_EFER) & EFER_LMA); /* LME && PG */
		else
			val = vmread(vmcs_field_of(msr));
		break;
	default:
		break;
	}
	r[R_RAX] = (u32)val;
	r[R_RDX] = val >> 32;
	guest_skip_instruction();
}

void guest_msr_write(struct guest *g)
{
	u64 *r = g->regs.gpr;
	u32 msr = (u32)r[R_RCX];
	u64 val = (r[R_RDX] << 32) | (u32)r[R_RAX];
	switch (msr_filter_write(&g->msrs, msr, val)) {
	case MSR_GP:
		gp(g, "WRMSR", msr, val);
		return;
	case MSR_IN_VMCS:
		if (msr == MSR_IA32_EFER) { /* paging.c: LME vs. paging, then the shadow */
			if (guest_write_efer(g, val))
				guest_skip_instruction();
			return;
		}
		vmwrite(vmcs_field_of(msr), val);
		break;
	case MSR_IN_STATE:
		msr_load_guest(g);
		break;
	default:
		break;
	}
	guest_skip_instruction();
}
