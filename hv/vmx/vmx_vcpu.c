/*
 * vmx_vcpu.c - VT-x behind the vCPU interface (hv/include/vcpu.h).
 *
 * Enter the guest with VMLAUNCH/VMRESUME (vmx_asm.S), then translate the
 * exit reason and its exit qualification (SDM Vol. 3, 28.2 and Appendix C)
 * into one vendor-neutral struct vcpu_exit for hv/guest/exit.c.  VT-x
 * reports everything the guest core needs: the instruction length, the
 * operands of MOV CR and INVLPG, the port of IN/OUT.  The rest are the
 * VMCS reads and writes the guest core asks for by name, event injection
 * (SDM 26.6) and the timers that bound a stay in the guest.
 */
#include "kprintf.h"
#include "lapic.h"
#include "tsc.h"
#include "vcpu.h"
#include "guest/msr.h"
#include "vmx/vmx.h"
#include "x86.h"

int vmx_run(struct vcpu_regs *regs, int launched); /* vmx_asm.S */

static const u32 reg_field[] = {
	[VCPU_RIP] = GUEST_RIP,
	[VCPU_RSP] = GUEST_RSP,
	[VCPU_RFLAGS] = GUEST_RFLAGS,
	[VCPU_CR0] = GUEST_CR0,
	[VCPU_CR3] = GUEST_CR3,
	[VCPU_CR4] = GUEST_CR4,
	[VCPU_EFER] = GUEST_IA32_EFER,
	[VCPU_FS_BASE] = GUEST_FS_BASE,
	[VCPU_GS_BASE] = GUEST_GS_BASE,
	[VCPU_PAT] = GUEST_IA32_PAT,
	[VCPU_SYSENTER_CS] = GUEST_SYSENTER_CS,
	[VCPU_SYSENTER_ESP] = GUEST_SYSENTER_ESP,
	[VCPU_SYSENTER_EIP] = GUEST_SYSENTER_EIP,
	[VCPU_DEBUGCTL] = GUEST_IA32_DEBUGCTL,
	[VCPU_TSC_OFFSET] = TSC_OFFSET,
};

static u64 vmx_read(struct vcpu *v, enum vcpu_reg r) { return vmread(reg_field[r]); }
static void vmx_write(struct vcpu *v, enum vcpu_reg r, u64 val) { vmwrite(reg_field[r], val); }

static void vmx_load(struct vcpu *v)
{
	if (vmptrld((u64)v->ctl))
		panic("vmx: VMPTRLD of guest %s's VMCS failed\n", v->name);
}

/* Set or clear one bit of a VM-execution control field of the current VMCS. */
static void set_ctl(u32 field, u32 bit, bool on)
{
	u32 ctl = (u32)vmread(field);
	u32 want = on ? ctl | bit : ctl & ~bit;
	if (want != ctl)
		vmwrite(field, want);
}

/* ------------------------------------------------------------ exits */

static void exit_exception(struct vcpu_exit *x)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);
	u32 vector = info & 0xff, type = info & 0x700;
	if (vector == VEC_PF) {
		x->event = VE_PAGE_FAULT;
		x->pf.addr = vmread(EXIT_QUALIFICATION);
		x->pf.error_code = (u32)vmread(VM_EXIT_INTR_ERROR_CODE);
	} else if (type == INTR_TYPE_NMI) {
		/* A real NMI arrived while the guest ran: the hv's, not the
		 * guest's.  Hand it to our own handler. */
		__asm__ volatile("int $2");
	} else {
		x->event = VE_EXCEPTION;
		x->vector = vector;
	}
}

/* MOV to/from CR0/CR3/CR4, CLTS, LMSW: exit qualification, SDM Table 28-3. */
static void exit_cr(struct vcpu_exit *x)
{
	static const u8 access[] = { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };
	u64 q = vmread(EXIT_QUALIFICATION);
	x->event = VE_CR;
	x->decoded = true;
	x->cr.cr = q & 15;
	x->cr.access = access[(q >> 4) & 3];
	x->cr.gpr = (q >> 8) & 15;
	x->cr.lmsw = (u16)(q >> 16);
}

/* IN/OUT: exit qualification, SDM Table 28-5. */
static void exit_io(struct vcpu_exit *x)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	x->event = VE_IO;
	x->io.size = (q & 7) + 1;
	x->io.in = q & BIT(3);
	x->io.string = q & BIT(4);
	x->io.port = (u16)(q >> 16);
}

/* Basic exit reason -> event, for the reasons that need no more decoding. */
static const u8 simple_event[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_TRIPLE_FAULT] = VE_TRIPLE_FAULT,
	[EXIT_REASON_CPUID] = VE_CPUID,
	[EXIT_REASON_HLT] = VE_HLT,
	[EXIT_REASON_INVD] = VE_NOP,
	[EXIT_REASON_VMCALL] = VE_HYPERCALL,
	[EXIT_REASON_VMCLEAR] = VE_VIRT_INSN,
	[EXIT_REASON_VMLAUNCH] = VE_VIRT_INSN,
	[EXIT_REASON_VMPTRLD] = VE_VIRT_INSN,
	[EXIT_REASON_VMPTRST] = VE_VIRT_INSN,
	[EXIT_REASON_VMREAD] = VE_VIRT_INSN,
	[EXIT_REASON_VMRESUME] = VE_VIRT_INSN,
	[EXIT_REASON_VMWRITE] = VE_VIRT_INSN,
	[EXIT_REASON_VMXOFF] = VE_VIRT_INSN,
	[EXIT_REASON_VMXON] = VE_VIRT_INSN,
	[EXIT_REASON_INVEPT] = VE_VIRT_INSN,
	[EXIT_REASON_INVVPID] = VE_VIRT_INSN,
	[EXIT_REASON_RDMSR] = VE_RDMSR,
	[EXIT_REASON_WRMSR] = VE_WRMSR,
	[EXIT_REASON_MWAIT] = VE_NOP,
	[EXIT_REASON_MONITOR] = VE_NOP,
	[EXIT_REASON_PAUSE] = VE_NOP,
	[EXIT_REASON_WBINVD] = VE_NOP,
};

static void translate_exit(struct vcpu *v, u32 reason, struct vcpu_exit *x)
{
	u32 basic = reason & 0xffff;
	*x = (struct vcpu_exit){ .event = VE_UNKNOWN };
	v->exit_code = basic;
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		/* SDM 27.8: the guest state (or MSR list) did not pass the
		 * VM-entry checks.  Nothing ran; name the reason and the state
		 * a reader would check first. */
		x->event = VE_ENTRY_FAILED;
		kprintf("guest %s: VM entry failed: %s (qualification 0x%lx)\n", v->name,
			exit_reason_name(basic), vmread(EXIT_QUALIFICATION));
		kprintf("  rip=0x%lx cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs.ar=0x%lx\n",
			vmread(GUEST_RIP), vmread(GUEST_CR0), vmread(GUEST_CR3),
			vmread(GUEST_CR4), vmread(GUEST_IA32_EFER), vmread(GUEST_CS_AR_BYTES));
		return;
	}
	x->insn_len = (u8)vmread(VM_EXIT_INSTRUCTION_LEN);
	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI:
		x->event = VE_NONE;
		exit_exception(x);
		return;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* "Acknowledge interrupt on exit" took the vector from the local
		 * APIC; the hv has no use for platform interrupts (see lapic.c),
		 * so we only signal end-of-interrupt. */
		lapic_eoi();
		x->event = VE_NONE;
		return;
	case EXIT_REASON_PREEMPTION_TIMER: /* a device event is due, or the slice is over */
	case EXIT_REASON_INTERRUPT_WINDOW: /* the run loop injects the interrupt */
		x->event = VE_NONE;
		return;
	case EXIT_REASON_CR_ACCESS:
		exit_cr(x);
		return;
	case EXIT_REASON_IO_INSTRUCTION:
		exit_io(x);
		return;
	case EXIT_REASON_INVLPG:
		x->event = VE_INVLPG;
		x->decoded = true;
		x->invlpg.gva = vmread(EXIT_QUALIFICATION);
		return;
	}
	if (basic <= EXIT_REASON_MAX && simple_event[basic])
		x->event = simple_event[basic];
}

static int vmx_vcpu_run(struct vcpu *v, struct vcpu_exit *x)
{
	write_cr2(v->cr2);
	int r = vmx_run(&v->regs, v->launched);
	if (r) {
		u32 err = r == 2 ? (u32)vmread(VM_INSTRUCTION_ERROR) : 0;
		kprintf("guest %s: %s failed: %s (error %u)\n", v->name,
			v->launched ? "VMRESUME" : "VMLAUNCH",
			r == 1 ? "VMfailInvalid" : vm_instruction_error_name(err), err);
		return -1;
	}
	v->cr2 = read_cr2();
	u32 reason = (u32)vmread(VM_EXIT_REASON);
	if (!v->launched) {
		v->launched = true;
		kprintf("guest %s: VMLAUNCH succeeded (first exit: %s)\n", v->name,
			exit_reason_name(reason & 0xffff));
	}
	translate_exit(v, reason, x);
	return 0;
}

/* ------------------------------------------------------------ events */

static bool vmx_event_pending(struct vcpu *v)
{
	return vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID;
}

static bool vmx_intr_shadow(struct vcpu *v)
{
	return vmread(GUEST_INTERRUPTIBILITY_INFO) &
	       (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
}

/* An instruction completed, so blocking by STI or MOV SS ends with it (SDM
 * 25.4.2); leaving it set would mis-time the next interrupt. */
static void vmx_clear_intr_shadow(struct vcpu *v)
{
	u64 intr = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void vmx_inject_exception(struct vcpu *v, u32 vector, bool has_error, u32 error_code)
{
	u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE;
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

static void vmx_inject_intr(struct vcpu *v, u32 vector)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector);
}

static void vmx_intr_window(struct vcpu *v, bool on)
{
	set_ctl(CPU_BASED_VM_EXEC_CONTROL, CPU_INTERRUPT_WINDOW_EXITING, on);
}

static bool vmx_delivering_event(struct vcpu *v)
{
	return vmread(IDT_VECTORING_INFO_FIELD) & INTR_INFO_VALID;
}

/*
 * An exit can interrupt the delivery of an event (an interrupt, or an
 * exception whose delivery touched a page the shadow did not map yet):
 * IDT_VECTORING_INFO then holds that event (SDM 28.2.4).  Unless the
 * handler injects something itself, we deliver the event again.  If the
 * handler injects an exception while an exception was being delivered, the
 * CPU would have raised #DF (SDM Table 6-5, simplified).
 */
static bool vmx_finish_exit(struct vcpu *v)
{
	u32 vec = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	if (!(vec & INTR_INFO_VALID))
		return true;
	u32 pending = (u32)vmread(VM_ENTRY_INTR_INFO_FIELD);
	if (pending & INTR_INFO_VALID) {
		if ((vec & 0x700) == INTR_TYPE_HW_EXCEPTION &&
		    (pending & 0x700) == INTR_TYPE_HW_EXCEPTION) {
			if ((vec & 0xff) == VEC_DF)
				return false;
			vmx_inject_exception(v, VEC_DF, true, 0);
		}
		/* The handler's exception first, the interrupt later (vcpu.h). */
		if ((vec & 0x700) == INTR_TYPE_EXT_INTR)
			v->deferred_intr = (int)(vec & 0xff);
		return true;
	}
	u32 type = vec & 0x700;
	if (vec & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_SW_EXCEPTION || type == (5u << 8))
		vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, vec & ~BIT(12));
	return true;
}

/*
 * Get control back in ns: the local APIC one-shot timer (its interrupt
 * causes an external-interrupt exit) or the VMX-preemption timer.
 *
 * Bochs vs. real hardware: with "external-interrupt exiting" set, RFLAGS.IF
 * of the guest does not block external interrupts (SDM Vol. 3C, Table 24-5,
 * pin-based controls; 25.6.1 in recent editions), so on a real CPU the APIC
 * timer ends the stay whatever the guest did with IF.  Bochs 2.7 recomputes
 * which interrupts are masked only when IF changes (setEFlags(), CLI, STI:
 * handleInterruptMaskChange()), and VMLAUNCH/VMRESUME load the guest's
 * RFLAGS before they set "in VMX non-root operation": an entry from the hv
 * (IF = 0) into a guest with IF = 0 leaves the APIC interrupt masked, as it
 * was for the hv.  A guest spinning with interrupts off (`cli; jmp $`) then
 * never exits (its own CLI, executed in the guest, unmasks it once: one
 * exit).  So an entry with IF = 0 gets the VMX-preemption timer, which
 * Bochs never masks (vmx_pure.c decides).  On hardware it is merely a
 * second correct timer.
 */
static bool lapic_armed;
static void vmx_arm_deadline(struct vcpu *v, u64 ns, bool guest_if)
{
	bool pt = vmx_deadline_by_preemption_timer(vmx.preemption_timer_cfg,
						   vmx.preemption_timer_ok, guest_if);
	set_ctl(PIN_BASED_VM_EXEC_CONTROL, PIN_VMX_PREEMPTION_TIMER, pt);
	if (pt) {
		u64 ticks = ns_to_tsc(ns) >> vmx.preemption_timer_shift;
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffull ? 0xffffffffull : ticks);
		if (lapic_armed)
			lapic_timer_stop();
		lapic_armed = false;
	} else {
		lapic_timer_arm(ns);
		lapic_armed = true;
	}
}

/* ------------------------------------------------------------ state */

static void vmx_set_paging(struct vcpu *v, u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 guest_cr0,
			   u64 guest_cr4)
{
	vmwrite(GUEST_CR3, cr3);
	vmwrite(GUEST_CR0, (cr0 | vmx.cr0_fixed0) & vmx.cr0_fixed1);
	vmwrite(GUEST_CR4, (cr4 | vmx.cr4_fixed0) & vmx.cr4_fixed1);
	vmwrite(CR0_READ_SHADOW, guest_cr0);
	vmwrite(CR4_READ_SHADOW, guest_cr4);
	vmwrite(GUEST_IA32_EFER, efer);
	/* VM entry checks "IA-32e mode guest" against EFER.LMA: a guest that
	 * leaves long mode (compatibility mode, CR0.PG = 0) must not fail the
	 * next entry for doing what a CPU allows. */
	u32 entry = (u32)vmread(VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST;
	vmwrite(VM_ENTRY_CONTROLS, entry | (efer & EFER_LMA ? ENTRY_IA32E_MODE_GUEST : 0));
}

static bool vmx_cs_long(struct vcpu *v) { return vmread(GUEST_CS_AR_BYTES) & BIT(13); }

/* CPL is SS.DPL (SDM 5.5). */
static unsigned vmx_cpl(struct vcpu *v) { return (vmread(GUEST_SS_AR_BYTES) >> 5) & 3; }

/* The SYSCALL MSRs and KERNEL_GS_BASE: the VMCS does not switch them, so
 * the running guest's values simply sit in the real MSRs (msr.c). */
static void vmx_load_msrs(struct vcpu *v, const struct guest_msrs *m)
{
	wrmsr(MSR_IA32_STAR, m->star);
	wrmsr(MSR_IA32_LSTAR, m->lstar);
	wrmsr(MSR_IA32_CSTAR, m->cstar);
	wrmsr(MSR_IA32_FMASK, m->fmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, m->kernel_gs_base);
	wrmsr(MSR_IA32_TSC_AUX, m->tsc_aux);
}

/* SWAPGS exchanges GS.base with KERNEL_GS_BASE without a VM exit, so the
 * real MSR, not our copy, holds the guest's value. */
static void vmx_save_msrs(struct vcpu *v, struct guest_msrs *m)
{
	m->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
}

static void vmx_create(struct vcpu *v, const struct guest_entry *e) { vmcs_setup(v, e); }

/* Filled in by vmx_init(): cr4_allowed depends on the CPU. */
struct vcpu_ops vmx_vcpu_ops = {
	.name = "vmx",
	.create = vmx_create,
	.load = vmx_load,
	.run = vmx_vcpu_run,
	.read = vmx_read,
	.write = vmx_write,
	.set_paging = vmx_set_paging,
	.cs_long = vmx_cs_long,
	.cpl = vmx_cpl,
	.event_pending = vmx_event_pending,
	.intr_shadow = vmx_intr_shadow,
	.clear_intr_shadow = vmx_clear_intr_shadow,
	.inject_exception = vmx_inject_exception,
	.inject_intr = vmx_inject_intr,
	.intr_window = vmx_intr_window,
	.delivering_event = vmx_delivering_event,
	.finish_exit = vmx_finish_exit,
	.arm_deadline = vmx_arm_deadline,
	.load_msrs = vmx_load_msrs,
	.save_msrs = vmx_save_msrs,
	.exit_name = exit_reason_name,
};
