/*
 * svm_vcpu.c - AMD-V behind the vCPU interface (hv/include/vcpu.h).
 *
 * Where hv/vmx/vmx_vcpu.c asks VMREAD for a field, this file reads the
 * VMCB, which is plain memory.  The exit code and EXITINFO1/2 become one
 * vendor-neutral struct vcpu_exit (svm_pure.c); exceptions are injected
 * through EVENTINJ, external interrupts and interrupt windows through the
 * virtual interrupt V_IRQ (svm_event.c), and the one timer is the local APIC's,
 * whose interrupt exits whatever the guest's RFLAGS.IF (V_INTR_MASKING).
 */
#include "cpu.h"
#include "kprintf.h"
#include "lapic.h"
#include "guest/msr.h"
#include "svm/svm.h"
#include "svm/svm_event.h"
#include "x86.h"

static struct vmcb *vmcb_of(struct vcpu *v) { return v->ctl; }

static u64 *reg_ptr(struct vmcb *vm, enum vcpu_reg r)
{
	switch (r) {
	case VCPU_RIP: return &vm->rip;
	case VCPU_RSP: return &vm->rsp;
	case VCPU_RFLAGS: return &vm->rflags;
	case VCPU_CR0: return &vm->cr0;
	case VCPU_CR3: return &vm->cr3;
	case VCPU_CR4: return &vm->cr4;
	case VCPU_EFER: return &vm->efer;
	case VCPU_FS_BASE: return &vm->fs.base;
	case VCPU_GS_BASE: return &vm->gs.base;
	case VCPU_PAT: return &vm->g_pat;
	case VCPU_SYSENTER_CS: return &vm->sysenter_cs;
	case VCPU_SYSENTER_ESP: return &vm->sysenter_esp;
	case VCPU_SYSENTER_EIP: return &vm->sysenter_eip;
	case VCPU_DEBUGCTL: return &vm->dbgctl;
	case VCPU_TSC_OFFSET: return &vm->tsc_offset;
	}
	return &vm->rip; /* not reached: every enum value is above */
}

static u64 svm_read(struct vcpu *v, enum vcpu_reg r)
{
	u64 val = *reg_ptr(vmcb_of(v), r);
	/* SVME is ours (VMRUN requires it in the guest's EFER), not the guest's. */
	return r == VCPU_EFER ? val & ~EFER_SVME : val;
}

static void svm_write(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	*reg_ptr(vmcb_of(v), r) = r == VCPU_EFER ? val | EFER_SVME : val;
}

static void svm_load(struct vcpu *v) { /* nothing: VMRUN names the VMCB each time */ }

static void svm_set_paging(struct vcpu *v, u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 guest_cr0,
			   u64 guest_cr4)
{
	struct vmcb *vm = vmcb_of(v);
	vm->cr0 = cr0;
	vm->cr3 = cr3;
	vm->cr4 = cr4;
	vm->efer = efer | EFER_SVME;
	/* guest_cr0/guest_cr4: no read shadows on SVM; CR0/CR4 reads exit
	 * and hv/guest/exit.c answers them from the guest core's copies. */
}

static bool svm_cs_long(struct vcpu *v) { return vmcb_of(v)->cs.attrib & BIT(9); }
static unsigned svm_cpl(struct vcpu *v) { return vmcb_of(v)->cpl; }

static void log_invalid(struct vcpu *v, const struct vmcb *vm)
{
	kprintf("guest %s: VMRUN refused the guest state (VMEXIT_INVALID)\n", v->name);
	kprintf("  rip=0x%lx cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs.attrib=0x%x\n", vm->rip,
		vm->cr0, vm->cr3, vm->cr4, vm->efer, vm->cs.attrib);
}

static int svm_vcpu_run(struct vcpu *v, struct vcpu_exit *x)
{
	struct vmcb *vm = vmcb_of(v);
	vm->rax = v->regs.gpr[R_RAX];
	vm->cr2 = v->cr2;
	svm_run((u64)vm, &v->regs, (u64)svm.host_save);
	v->regs.gpr[R_RAX] = vm->rax;
	v->cr2 = vm->cr2;
	/* The event queued for this entry was delivered, or EXITINTINFO
	 * holds it (finish_exit() queues it again). */
	vm->eventinj = 0;
	v->exit_code = (u32)vm->exitcode;
	if (vm->exitcode == SVM_EXIT_INTR)
		cpu_take_pending_interrupts(); /* the local APIC still holds it: idt.c */
	if (!v->launched) {
		v->launched = true;
		kprintf("guest %s: VMRUN succeeded (first exit: %s)\n", v->name,
			svm_exit_name(v->exit_code));
	}
	svm_translate_exit(vm, &svm.caps, x);
	if (x->event == VE_ENTRY_FAILED)
		log_invalid(v, vm);
	return 0;
}

/* An exception in EVENTINJ, or an interrupt waiting in V_IRQ: the 8259 must
 * not hand out another one yet. */
static bool svm_event_pending(struct vcpu *v)
{
	return (vmcb_of(v)->eventinj & EVENTINJ_VALID) || svm_virq_delivering(vmcb_of(v));
}
static bool svm_intr_shadow(struct vcpu *v) { return vmcb_of(v)->interrupt_shadow & 1; }
static void svm_clear_intr_shadow(struct vcpu *v) { vmcb_of(v)->interrupt_shadow &= ~1ull; }

static void svm_inject_exception(struct vcpu *v, u32 vector, bool has_error, u32 error_code)
{
	u64 e = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | vector;
	if (has_error)
		e |= EVENTINJ_EV | (u64)error_code << 32;
	vmcb_of(v)->eventinj = e;
}

/* Not EVENTINJ: a virtual interrupt the CPU delivers (svm_event.h). */
static void svm_inject_intr(struct vcpu *v, u32 vector) { svm_virq_deliver(vmcb_of(v), (u8)vector); }

/* An interrupt window (15.21.4): the same V_IRQ with the VINTR intercept on;
 * the guest "takes" it as soon as RFLAGS.IF = 1 and no shadow blocks it, and
 * the intercept turns that into an exit before anything reaches the guest's
 * IDT.  The run loop then injects the real vector. */
static void svm_intr_window(struct vcpu *v, bool on) { svm_virq_window(vmcb_of(v), on); }

static bool svm_delivering_event(struct vcpu *v)
{
	return vmcb_of(v)->exitintinfo & EVENTINJ_VALID;
}

static bool svm_finish_exit(struct vcpu *v)
{
	return svm_requeue_event(vmcb_of(v));
}

/* The local APIC timer, always: with V_INTR_MASKING its interrupt exits
 * whatever the guest did with RFLAGS.IF (VMX needs the preemption timer
 * for that case on Bochs, see vmx_vcpu.c). */
static void svm_arm_deadline(struct vcpu *v, u64 ns, bool guest_if) { lapic_timer_arm(ns); }

/* The SYSCALL MSRs and KERNEL_GS_BASE are VMCB fields that VMLOAD loads
 * (svm_asm.S); TSC_AUX is not, so it sits in the real MSR. */
static void svm_load_msrs(struct vcpu *v, const struct guest_msrs *m)
{
	struct vmcb *vm = vmcb_of(v);
	vm->star = m->star;
	vm->lstar = m->lstar;
	vm->cstar = m->cstar;
	vm->sfmask = m->fmask;
	vm->kernel_gs_base = m->kernel_gs_base;
	wrmsr(MSR_IA32_TSC_AUX, m->tsc_aux);
}

/* SWAPGS changes KERNEL_GS_BASE without an exit; VMSAVE stored it. */
static void svm_save_msrs(struct vcpu *v, struct guest_msrs *m)
{
	m->kernel_gs_base = vmcb_of(v)->kernel_gs_base;
}

/* cr4_allowed is filled in by svm_init() from CPUID. */
struct vcpu_ops svm_vcpu_ops = {
	.name = "svm",
	.create = vmcb_setup,
	.load = svm_load,
	.run = svm_vcpu_run,
	.read = svm_read,
	.write = svm_write,
	.set_paging = svm_set_paging,
	.cs_long = svm_cs_long,
	.cpl = svm_cpl,
	.event_pending = svm_event_pending,
	.intr_shadow = svm_intr_shadow,
	.clear_intr_shadow = svm_clear_intr_shadow,
	.inject_exception = svm_inject_exception,
	.inject_intr = svm_inject_intr,
	.intr_window = svm_intr_window,
	.delivering_event = svm_delivering_event,
	.finish_exit = svm_finish_exit,
	.arm_deadline = svm_arm_deadline,
	.load_msrs = svm_load_msrs,
	.save_msrs = svm_save_msrs,
	.exit_name = svm_exit_name,
};
