/*
 * msr.c - RDMSR/WRMSR exits: the glue around msr_filter.c.
 *
 * The SYSCALL MSRs (STAR, LSTAR, CSTAR, FMASK) and KERNEL_GS_BASE are used
 * by the CPU itself while the guest runs.  VMX entry does not switch them:
 * the hv never uses SYSCALL or SWAPGS, so the VMX backend simply leaves the
 * running guest's values in the real MSRs; the SVM backend keeps them in
 * the VMCB, which VMLOAD loads (msr_load_guest() on every switch to a
 * guest, through vcpu.h).  So every value msr_filter_write() lets into
 * struct guest_msrs must be one the real WRMSR takes: a value it would
 * fault on would fault in the hv, on the next switch.
 */
#include "guest/guest.h"
#include "io.h"
#include "kprintf.h"
#include "x86.h"

/* MSRs msr_filter.c says the control block switches (MSR_IN_VMCS). */
static enum vcpu_reg vcpu_reg_of(u32 msr)
{
	switch (msr) {
	case MSR_IA32_EFER: return VCPU_EFER;
	case MSR_IA32_PAT: return VCPU_PAT;
	case MSR_IA32_FS_BASE: return VCPU_FS_BASE;
	case MSR_IA32_GS_BASE: return VCPU_GS_BASE;
	case MSR_IA32_SYSENTER_CS: return VCPU_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return VCPU_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return VCPU_SYSENTER_EIP;
	default: return VCPU_DEBUGCTL; /* MSR_IA32_DEBUGCTL */
	}
}

/* Around a guest's stay on the CPU: the SYSCALL MSRs and KERNEL_GS_BASE
 * (the backend says where they live while the guest runs). */
void msr_load_guest(struct guest *g) { vcpu_ops->load_msrs(&g->vcpu, &g->msrs); }
void msr_save_guest(struct guest *g) { vcpu_ops->save_msrs(&g->vcpu, &g->msrs); }

static void gp(struct guest *g, const char *op, u32 msr, u64 val)
{
	kprintf("guest %s: %s of MSR 0x%x (value 0x%lx) at rip=0x%lx: #GP injected\n", g->name,
		op, msr, val, guest_rip(g));
	guest_inject_exception(g, VEC_GP, true, 0);
}

void guest_msr_read(struct guest *g, const struct vcpu_exit *x)
{
	struct vcpu *v = &g->vcpu;
	u64 *r = v->regs.gpr;
	u32 msr = (u32)r[R_RCX];
	u64 val = 0;
	if (msr == MSR_IA32_KERNEL_GS_BASE) /* SWAPGS changes it with no exit */
		msr_save_guest(g);
	switch (msr_filter_read(&g->msrs, msr, &val)) {
	case MSR_GP:
		gp(g, "RDMSR", msr, 0);
		return;
	case MSR_IN_VMCS:
		if (msr == MSR_IA32_TSC)
			val = rdtsc() + vcpu_ops->read(v, VCPU_TSC_OFFSET);
		else if (msr == MSR_IA32_EFER) /* the real EFER is the shadow pager's, */
			val = (g->efer & ~EFER_LMA) |  /* but its LMA is the guest's: */
			      (vcpu_ops->read(v, VCPU_EFER) & EFER_LMA); /* LME && PG */
		else
			val = vcpu_ops->read(v, vcpu_reg_of(msr));
		break;
	default:
		break;
	}
	r[R_RAX] = (u32)val;
	r[R_RDX] = val >> 32;
	guest_skip_instruction(g);
}

void guest_msr_write(struct guest *g, const struct vcpu_exit *x)
{
	u64 *r = g->vcpu.regs.gpr;
	u32 msr = (u32)r[R_RCX];
	u64 val = (r[R_RDX] << 32) | (u32)r[R_RAX];
	/* The write below reloads every live MSR from g->msrs: bring the copy
	 * up to date first, or a KERNEL_GS_BASE the guest's SWAPGS changed
	 * since the last save would be put back stale. */
	u64 old;
	if (msr_filter_read(&g->msrs, msr, &old) == MSR_IN_STATE)
		msr_save_guest(g);
	switch (msr_filter_write(&g->msrs, msr, val)) {
	case MSR_GP:
		gp(g, "WRMSR", msr, val);
		return;
	case MSR_IN_VMCS:
		if (msr == MSR_IA32_EFER) { /* shadow_glue.c: LME vs. paging, then the shadow */
			if (guest_write_efer(g, val))
				guest_skip_instruction(g);
			return;
		}
		vcpu_ops->write(&g->vcpu, vcpu_reg_of(msr), val);
		break;
	case MSR_IN_STATE:
		msr_load_guest(g);
		break;
	default:
		break;
	}
	guest_skip_instruction(g);
}
