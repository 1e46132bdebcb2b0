/*
 * exit.c - what the hv does on each VM exit, whichever vendor's CPU.
 *
 * The backend (hv/vmx/ or hv/svm/, behind hv/include/vcpu.h) turns the
 * hardware's exit reason into one vendor-neutral event; one table here,
 * indexed by that event, holds one small handler each.  An event with no
 * handler ends the guest with a log line: a guest must never be able to
 * make the hv guess.  What a CPU does not report (SVM without NRIP save or
 * decode assists: the instruction's length, the operands of MOV CR and
 * INVLPG) is decoded from guest memory first (complete_exit()).
 *
 * Every exit is counted per guest and per vendor exit code (g->exits[])
 * before it is handled; the counts are printed when the guest ends.
 */
#include "antfarm/rootwrite.h"
#include "guest/guest.h"
#include "kprintf.h"
#include "string.h"
#include "x86.h"

typedef void (*exit_handler)(struct guest *g, const struct vcpu_exit *x);

/* The instruction at the guest's RIP, fetched through its page tables and
 * decoded by hv/emu (emu_decode_sys()).  Returns EMU_OK or an emu_err
 * (EMU_ERR_MEM: RIP does not translate); *in is filled either way. */
static int decode_at_rip(struct guest *g, struct emu_insn *in)
{
	struct vcpu *v = &g->vcpu;
	struct emu_regs r;
	u8 bytes[EMU_MAX_INSN_LEN];
	u64 rip = vcpu_ops->read(v, VCPU_RIP);
	bool long64 = vcpu_ops->cs_long(v);
	size_t n = af_fetch_insn(&g->shadow, rip, vcpu_ops->cpl(v) == 3 ? WALK_USER : 0, bytes);
	memcpy(r.gpr, v->regs.gpr, sizeof(r.gpr));
	r.gpr[GPR_RSP] = vcpu_ops->read(v, VCPU_RSP);
	r.rip = rip;
	if (!n) {
		memset(in, 0, sizeof(*in));
		return EMU_ERR_MEM;
	}
	int err = emu_decode_sys(bytes, n, long64, &r, in);
	if (!err && !long64)
		in->ea &= 0xffffffffull; /* outside 64-bit mode, addresses are 32 bits */
	return err;
}

void guest_skip_instruction(struct guest *g)
{
	vcpu_ops->write(&g->vcpu, VCPU_RIP, vcpu_ops->read(&g->vcpu, VCPU_RIP) + g->exit.insn_len);
	vcpu_ops->clear_intr_shadow(&g->vcpu);
}

void guest_inject_exception(struct guest *g, u32 vector, bool has_error, u32 error_code)
{
	vcpu_ops->inject_exception(&g->vcpu, vector, has_error, error_code);
}

u64 guest_rip(struct guest *g) { return vcpu_ops->read(&g->vcpu, VCPU_RIP); }

static void handle_page_fault(struct guest *g, const struct vcpu_exit *x)
{
	guest_page_fault(g, x->pf.addr, x->pf.error_code);
}

static void handle_triple_fault(struct guest *g, const struct vcpu_exit *x)
{
	guest_end(g, "triple-fault");
	kprintf("guest %s: triple fault at rip=0x%lx (an exception it could not deliver)\n",
		g->name, guest_rip(g));
}

static void handle_cpuid(struct guest *g, const struct vcpu_exit *x)
{
	u64 *r = g->vcpu.regs.gpr;
	u32 leaf = (u32)r[R_RAX], subleaf = (u32)r[R_RCX];
	struct cpuid_regs c = cpuid(leaf, subleaf);
	cpuid_filter(leaf, subleaf, &c);
	r[R_RAX] = c.eax;
	r[R_RBX] = c.ebx;
	r[R_RCX] = c.ecx;
	r[R_RDX] = c.edx;
	guest_skip_instruction(g);
}

static void handle_hlt(struct guest *g, const struct vcpu_exit *x)
{
	switch (vpc_hlt_decide(&g->pc, vcpu_ops->read(&g->vcpu, VCPU_RFLAGS) & RFLAGS_IF)) {
	case VPC_HLT_STOP: /* interrupts off: nothing can ever wake it */
		guest_end(g, "halted");
		return;
	case VPC_HLT_SLEEP: /* the run loop waits for the next device event */
		g->idle = true;
		break;
	case VPC_HLT_WAKE: /* an interrupt is already deliverable */
		break;
	}
	guest_skip_instruction(g);
}

static void handle_hypercall(struct guest *g, const struct vcpu_exit *x)
{
	u64 *r = g->vcpu.regs.gpr;
	switch ((u32)r[R_RAX]) {
	case HC_EXIT:
		guest_end(g, "exit(%u)", (u32)r[R_RBX]);
		return;
	default:
		r[R_RAX] = ~0ull;
		guest_skip_instruction(g);
	}
}

/*
 * #UD: the guest-tests' hypercall is VMCALL, which an AMD CPU does not
 * know; SVM intercepts #UD so that VMCALL is the hypercall on both vendors
 * (VMMCALL is #UD on both, as on a CPU without SVM).  Any other #UD is the guest's own and goes back to it.
 * Other exceptions are not intercepted: one here is a hv bug.
 */
static void handle_exception(struct guest *g, const struct vcpu_exit *x)
{
	struct emu_insn in;
	if (x->vector == VEC_UD) {
		if (decode_at_rip(g, &in) == EMU_OK && in.op == EMU_HYPERCALL) {
			g->exit.insn_len = in.len;
			handle_hypercall(g, x);
		} else {
			guest_inject_exception(g, VEC_UD, false, 0);
		}
		return;
	}
	guest_end(g, "exception-%u", x->vector);
	kprintf("guest %s: unexpected exception %u at rip=0x%lx\n", g->name, x->vector,
		guest_rip(g));
}

/* VMX or SVM instructions in a guest: both are hidden from guests, so they
 * get what a CPU without them gives: #UD. */
static void handle_virt_insn(struct guest *g, const struct vcpu_exit *x)
{
	kprintf("guest %s: %s at rip=0x%lx: #UD injected (no nested virtualization)\n", g->name,
		vcpu_ops->exit_name(g->vcpu.exit_code), guest_rip(g));
	guest_inject_exception(g, VEC_UD, false, 0);
}

static u64 get_gpr(struct guest *g, u32 reg)
{
	return reg == R_RSP ? vcpu_ops->read(&g->vcpu, VCPU_RSP) : g->vcpu.regs.gpr[reg];
}

static void set_gpr(struct guest *g, u32 reg, u64 val)
{
	if (reg == R_RSP)
		vcpu_ops->write(&g->vcpu, VCPU_RSP, val);
	else
		g->vcpu.regs.gpr[reg] = val;
}

/* MOV to/from CR0/CR3/CR4, CLTS, LMSW: every one goes to the shadow pager
 * (hv/guest/shadow_glue.c).  Reads of CR0/CR4 exit only on SVM (VMX answers
 * them from the read shadows). */
static void handle_cr(struct guest *g, const struct vcpu_exit *x)
{
	u32 cr = x->cr.cr, reg = x->cr.gpr;
	bool done = true; /* false: refused with #GP, or the guest was stopped */
	if (x->cr.access == CR_MOV_TO && (cr == 0 || cr == 3 || cr == 4))
		done = guest_write_cr(g, cr, get_gpr(g, reg));
	else if (x->cr.access == CR_MOV_FROM && cr == 3)
		set_gpr(g, reg, guest_read_cr3(g));
	else if (x->cr.access == CR_MOV_FROM && cr == 0)
		set_gpr(g, reg, g->cr0_shadow);
	else if (x->cr.access == CR_MOV_FROM && cr == 4)
		set_gpr(g, reg, g->cr4_shadow);
	else if (x->cr.access == CR_CLTS)
		done = guest_write_cr(g, 0, g->cr0_shadow & ~CR0_TS);
	else if (x->cr.access == CR_LMSW) /* bits 3:0 of CR0; it cannot clear PE */
		done = guest_write_cr(g, 0, (g->cr0_shadow & ~0xeull) | (x->cr.lmsw & 0xf));
	else {
		guest_end(g, "unsupported-cr-access");
		kprintf("guest %s: CR%u access %u not emulated\n", g->name, cr, x->cr.access);
		return;
	}
	if (done)
		guest_skip_instruction(g);
}

/* IN/OUT.  String and REP forms are not emulated yet. */
static void handle_io(struct guest *g, const struct vcpu_exit *x)
{
	unsigned size = x->io.size;
	u16 port = x->io.port;
	u64 *rax = &g->vcpu.regs.gpr[R_RAX];

	if (x->io.string) {
		guest_end(g, "unsupported-string-io");
		kprintf("guest %s: string I/O on port 0x%x not emulated\n", g->name, port);
		return;
	}
	u64 mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	if (x->io.in) {
		u32 v;
		if (!guest_port_in(g, port, size, &v))
			v = 0xffffffff; /* nothing there: the bus floats high */
		/* A 32-bit IN zero-extends into RAX; 8/16-bit ones merge. */
		*rax = size == 4 ? (u64)v : (*rax & ~mask) | (v & mask);
	} else {
		guest_port_out(g, port, size, (u32)(*rax & mask));
	}
	guest_skip_instruction(g);
}

static void handle_invlpg(struct guest *g, const struct vcpu_exit *x)
{
	guest_invlpg(g, x->invlpg.gva);
	guest_skip_instruction(g);
}

static void handle_nop(struct guest *g, const struct vcpu_exit *x)
{
	/* INVD, WBINVD, MWAIT, MONITOR, PAUSE: the instruction has no effect
	 * a guest could rely on here. */
	guest_skip_instruction(g);
}

static void handle_none(struct guest *g, const struct vcpu_exit *x)
{
	/* An external interrupt, a timer, an interrupt window: the run loop
	 * (guest.c) ticks the devices, injects, and decides who runs next. */
}

static void handle_entry_failed(struct guest *g, const struct vcpu_exit *x)
{
	guest_end(g, "entry-failure"); /* the backend logged the state it refused */
}

static const exit_handler exit_handlers[VE_COUNT] = {
	[VE_NONE] = handle_none,
	[VE_PAGE_FAULT] = handle_page_fault,
	[VE_EXCEPTION] = handle_exception,
	[VE_TRIPLE_FAULT] = handle_triple_fault,
	[VE_CPUID] = handle_cpuid,
	[VE_HLT] = handle_hlt,
	[VE_HYPERCALL] = handle_hypercall,
	[VE_VIRT_INSN] = handle_virt_insn,
	[VE_CR] = handle_cr,
	[VE_IO] = handle_io,
	[VE_RDMSR] = guest_msr_read, /* hv/guest/msr.c */
	[VE_WRMSR] = guest_msr_write,
	[VE_INVLPG] = handle_invlpg,
	[VE_NOP] = handle_nop,
	[VE_ENTRY_FAILED] = handle_entry_failed,
};

/* The events whose handler moves RIP past the instruction. */
static bool skips_instruction(enum vcpu_event e)
{
	return e == VE_CPUID || e == VE_HLT || e == VE_HYPERCALL || e == VE_CR || e == VE_IO ||
	       e == VE_RDMSR || e == VE_WRMSR || e == VE_INVLPG || e == VE_NOP;
}

/*
 * What the CPU did not report, read from the instruction at RIP: its
 * length, and for MOV CR, CLTS, LMSW and INVLPG the operands (AMD APM
 * Vol. 2, 15.7.1 "NRIP save" and 15.33 "decode assists" are optional).
 * Returns false after ending the guest if the bytes cannot be had.
 */
static bool complete_exit(struct guest *g, struct vcpu_exit *x)
{
	bool need_operands = (x->event == VE_CR || x->event == VE_INVLPG) && !x->decoded;
	if ((x->insn_len || !skips_instruction(x->event)) && !need_operands)
		return true;
	struct emu_insn in;
	int err = decode_at_rip(g, &in);
	if (!err && x->event == VE_CR) {
		x->cr.cr = in.cr;
		x->cr.gpr = in.src_reg;
		x->cr.lmsw = (u16)in.src;
		if (in.op == EMU_MOV_TO_CR) x->cr.access = CR_MOV_TO;
		else if (in.op == EMU_MOV_FROM_CR) x->cr.access = CR_MOV_FROM;
		else if (in.op == EMU_CLTS) x->cr.access = CR_CLTS;
		else if (in.op == EMU_LMSW) x->cr.access = CR_LMSW;
		else err = EMU_ERR_UNSUPPORTED;
	} else if (!err && x->event == VE_INVLPG) {
		if (in.op == EMU_INVLPG)
			x->invlpg.gva = in.ea;
		else
			err = EMU_ERR_UNSUPPORTED;
	}
	if (err) {
		char why[128];
		emu_format_error(why, sizeof(why), err, &in);
		guest_end(g, "undecodable-exit");
		kprintf("guest %s: exit %s at rip=0x%lx: %s\n", g->name,
			vcpu_ops->exit_name(g->vcpu.exit_code), guest_rip(g),
			err == EMU_ERR_MEM && !in.nraw ? "RIP not mapped" : why);
		return false;
	}
	x->insn_len = in.len;
	x->decoded = true;
	return true;
}

void guest_handle_exit(struct guest *g)
{
	struct vcpu_exit *x = &g->exit;
	g->exits[vcpu_exit_slot(g->vcpu.exit_code)]++;
	g->exits_total++;

	exit_handler h = exit_handlers[x->event];
	if (!h) {
		guest_end(g, "unhandled-exit-%u", g->vcpu.exit_code);
		kprintf("guest %s: no handler for exit code 0x%x (%s) at rip=0x%lx\n", g->name,
			g->vcpu.exit_code, vcpu_ops->exit_name(g->vcpu.exit_code), guest_rip(g));
		return;
	}
	if (!complete_exit(g, x))
		return;
	h(g, x);
	if (g->state == GUEST_RUNNING && !vcpu_ops->finish_exit(&g->vcpu))
		guest_end(g, "triple-fault");
}
