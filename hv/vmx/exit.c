/*
 * exit.c - what the hv does on each VM exit.
 *
 * One table, indexed by the basic exit reason (SDM Vol. 3, Appendix C),
 * one small handler each.  A reason with no handler ends the guest with a
 * log line: a guest must never be able to make the hv guess.
 *
 * Every exit is counted per guest and per reason (g->exits[]) before it is
 * handled; the counts are printed when the guest ends.  Handlers are
 * short: the exit path runs millions of times under a Linux guest.
 */
#include "guest/guest.h"
#include "kprintf.h"
#include "lapic.h"
#include "vmx/vmx.h"
#include "x86.h"

typedef void (*exit_handler)(struct guest *g);

void guest_skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction completed, so blocking by STI or MOV SS ends with it
	 * (SDM 25.4.2); leaving it set would mis-time the next interrupt. */
	u64 intr = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void guest_inject_exception(u32 vector, bool has_error, u32 error_code)
{
	u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE;
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

static void handle_exception_nmi(struct guest *g)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);
	u32 vector = info & 0xff, type = info & 0x700;
	if (vector == VEC_PF) {
		guest_page_fault(g);
		return;
	}
	if (type == INTR_TYPE_NMI) {
		/* A real NMI arrived while the guest ran: the hv's, not the
		 * guest's.  Hand it to our own handler. */
		__asm__ volatile("int $2");
		return;
	}
	guest_end(g, "exception-%u", vector);
	kprintf("guest %s: unexpected exception %u at rip=0x%lx\n", g->name, vector,
		vmread(GUEST_RIP));
}

static void handle_external_interrupt(struct guest *g)
{
	/* "Acknowledge interrupt on exit" took the vector from the local APIC;
	 * the hv has no use for platform interrupts (see lapic.c), so we only
	 * signal end-of-interrupt. */
	lapic_eoi();
}

static void handle_triple_fault(struct guest *g)
{
	guest_end(g, "triple-fault");
	kprintf("guest %s: triple fault at rip=0x%lx (an exception it could not deliver)\n",
		g->name, vmread(GUEST_RIP));
}

static void handle_cpuid(struct guest *g)
{
	u64 *r = g->regs.gpr;
	u32 leaf = (u32)r[R_RAX], subleaf = (u32)r[R_RCX];
	struct cpuid_regs c = cpuid(leaf, subleaf);
	cpuid_filter(leaf, subleaf, &c);
	r[R_RAX] = c.eax;
	r[R_RBX] = c.ebx;
	r[R_RCX] = c.ecx;
	r[R_RDX] = c.edx;
	guest_skip_instruction();
}

static void handle_hlt(struct guest *g)
{
	switch (vpc_hlt_decide(&g->pc, vmread(GUEST_RFLAGS) & RFLAGS_IF)) {
	case VPC_HLT_STOP: /* interrupts off: nothing can ever wake it */
		guest_end(g, "halted");
		return;
	case VPC_HLT_SLEEP: /* the run loop waits for the next device event */
		g->idle = true;
		break;
	case VPC_HLT_WAKE: /* an interrupt is already deliverable */
		break;
	}
	guest_skip_instruction();
}

static void handle_vmcall(struct guest *g)
{
	u64 *r = g->regs.gpr;
	switch ((u32)r[R_RAX]) {
	case HC_EXIT:
		guest_end(g, "exit(%u)", (u32)r[R_RBX]);
		return;
	default:
		r[R_RAX] = ~0ull;
		guest_skip_instruction();
	}
}

/* VMX instructions in a guest: VMX is hidden from guests, so they get what
 * a CPU without VMX gives: #UD. */
static void handle_vmx_instruction(struct guest *g)
{
	u32 reason = (u32)vmread(VM_EXIT_REASON) & 0xffff;
	kprintf("guest %s: %s at rip=0x%lx: #UD injected (no nested VMX)\n", g->name,
		exit_reason_name(reason), vmread(GUEST_RIP));
	guest_inject_exception(VEC_UD, false, 0);
}

static void set_gpr(struct guest *g, u32 reg, u64 val)
{
	if (reg == R_RSP)
		vmwrite(GUEST_RSP, val);
	else
		g->regs.gpr[reg] = val;
}

/* MOV to/from CR0/CR3/CR4, CLTS, LMSW (exit qualification: SDM Table
 * 28-3): every one goes to the shadow pager (hv/guest/paging.c). */
static void handle_cr(struct guest *g)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	u64 *gpr = g->regs.gpr;
	u64 val = reg == R_RSP ? vmread(GUEST_RSP) : gpr[reg];

	bool done = true; /* false: refused with #GP, or the guest was stopped */
	if (type == 0 && (cr == 0 || cr == 3 || cr == 4))
		done = guest_write_cr(g, cr, val);
	else if (type == 1 && cr == 3)
		set_gpr(g, reg, guest_read_cr3(g));
	else if (type == 2) /* CLTS */
		done = guest_write_cr(g, 0, g->cr0_shadow & ~CR0_TS);
	else if (type == 3) /* LMSW: bits 3:0 of CR0; it cannot clear PE */
		done = guest_write_cr(g, 0, (g->cr0_shadow & ~0xeull) | ((q >> 16) & 0xf));
	else {
		guest_end(g, "unsupported-cr-access");
		kprintf("guest %s: CR access qualification 0x%lx not emulated\n", g->name, q);
		return;
	}
	if (done)
		guest_skip_instruction();
}

/* IN/OUT (exit qualification: SDM Table 28-5).  String and REP forms are
 * not emulated yet. */
static void handle_io(struct guest *g)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned size = (q & 7) + 1;
	bool in = q & BIT(3), string = q & BIT(4);
	u16 port = (u16)(q >> 16);
	u64 *rax = &g->regs.gpr[R_RAX];

	if (string) {
		guest_end(g, "unsupported-string-io");
		kprintf("guest %s: string I/O on port 0x%x not emulated\n", g->name, port);
		return;
	}
	u64 mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	if (in) {
		u32 v;
		if (!guest_port_in(g, port, size, &v))
			v = 0xffffffff; /* nothing there: the bus floats high */
		/* A 32-bit IN zero-extends into RAX; 8/16-bit ones merge. */
		*rax = size == 4 ? (u64)v : (*rax & ~mask) | (v & mask);
	} else {
		guest_port_out(g, port, size, (u32)(*rax & mask));
	}
	guest_skip_instruction();
}


static void handle_invlpg(struct guest *g)
{
	guest_invlpg(g, vmread(EXIT_QUALIFICATION));
	guest_skip_instruction();
}

static void handle_skip(struct guest *g)
{
	/* INVD, WBINVD, MWAIT, MONITOR, PAUSE, XSETBV-free guests: the
	 * instruction has no effect a guest could rely on here. */
	guest_skip_instruction();
}

static void handle_preemption_timer(struct guest *g)
{
	/* A device event is due or the time slice is over: the run loop
	 * (guest.c) ticks the devices and decides who runs next. */
}

static void handle_interrupt_window(struct guest *g)
{
	/* The guest can take an interrupt now; the run loop injects it. */
}

static const exit_handler exit_handlers[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_skip,
	[EXIT_REASON_INVLPG] = handle_invlpg,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_RDMSR] = guest_msr_read,  /* hv/guest/msr.c */
	[EXIT_REASON_WRMSR] = guest_msr_write,
	[EXIT_REASON_MWAIT] = handle_skip,
	[EXIT_REASON_MONITOR] = handle_skip,
	[EXIT_REASON_PAUSE] = handle_skip,
	[EXIT_REASON_WBINVD] = handle_skip,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
};

/*
 * An exit can interrupt the delivery of an event (an interrupt, or an
 * exception whose delivery touched a page the shadow did not map yet):
 * IDT_VECTORING_INFO then holds that event (SDM 28.2.4).  Unless the
 * handler injects something itself, we deliver the event again.  If the
 * handler injects an exception while an exception was being delivered, the
 * CPU would have raised #DF (SDM Table 6-5, simplified).
 */
static void reinject_vectored_event(struct guest *g)
{
	u32 vec = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	if (!(vec & INTR_INFO_VALID) || g->state != GUEST_RUNNING)
		return;
	u32 pending = (u32)vmread(VM_ENTRY_INTR_INFO_FIELD);
	if (pending & INTR_INFO_VALID) {
		if ((vec & 0x700) == INTR_TYPE_HW_EXCEPTION &&
		    (pending & 0x700) == INTR_TYPE_HW_EXCEPTION) {
			if ((vec & 0xff) == VEC_DF) {
				guest_end(g, "triple-fault");
				return;
			}
			guest_inject_exception(VEC_DF, true, 0);
		}
		return;
	}
	u32 type = vec & 0x700;
	if (vec & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_SW_EXCEPTION || type == (5u << 8))
		vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, vec & ~BIT(12));
}

void vmx_handle_exit(struct guest *g, u32 exit_reason)
{
	u32 basic = exit_reason & 0xffff;
	if (basic <= EXIT_REASON_MAX)
		g->exits[basic]++;
	g->exits_total++;

	if (exit_reason & EXIT_REASON_ENTRY_FAILURE) {
		/* SDM 27.8: the guest state (or MSR list) did not pass the
		 * VM-entry checks.  Nothing ran; name the reason and the state
		 * a reader would check first. */
		guest_end(g, "entry-failure");
		kprintf("guest %s: VM entry failed: %s (qualification 0x%lx)\n", g->name,
			exit_reason_name(basic), vmread(EXIT_QUALIFICATION));
		kprintf("  rip=0x%lx cr0=0x%lx cr3=0x%lx cr4=0x%lx efer=0x%lx cs.ar=0x%lx\n",
			vmread(GUEST_RIP), vmread(GUEST_CR0), vmread(GUEST_CR3),
			vmread(GUEST_CR4), vmread(GUEST_IA32_EFER), vmread(GUEST_CS_AR_BYTES));
		return;
	}
	exit_handler h = basic <= EXIT_REASON_MAX ? exit_handlers[basic] : NULL;
	if (!h) {
		guest_end(g, "unhandled-exit-%u", basic);
		kprintf("guest %s: no handler for exit reason %u (%s) at rip=0x%lx\n", g->name,
			basic, exit_reason_name(basic), vmread(GUEST_RIP));
		return;
	}
	h(g);
	reinject_vectored_event(g);
}
