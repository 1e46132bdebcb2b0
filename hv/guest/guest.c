/*
 * guest.c - creating the configured guests and running them.
 *
 * The guests share the one CPU in time slices: run_slice() runs one guest
 * until its slice ends (the VMX-preemption timer makes sure we get control
 * back), it goes idle in HLT, or it ends.  Around every VM entry we tick
 * the guest's virtual devices and inject the interrupt they raise, if the
 * guest can take it (prepare_entry()).  Whatever one guest does, the others
 * still run: a guest's end is a log line, never a hv panic.  When all have
 * ended we print their exit counts and one summary line each.
 */
#include <stdarg.h>
#include "guest/guest.h"
#include "io.h"
#include "console.h"
#include "kprintf.h"
#include "lapic.h"
#include "string.h"
#include "tsc.h"
#include "vmx/vmx.h"
#include "x86.h"

struct guest guests[CFG_MAX_GUESTS];
int nguests;
static u64 slice_ns;

int vmx_run(struct vcpu_regs *regs, int launched); /* vmx_asm.S */
void msr_load_guest(const struct guest *g);          /* msr.c */
void msr_save_guest(struct guest *g);

/* Guest time: nanoseconds since the hv took over, from the TSC.  All
 * guests share it; a guest that is not running simply sees time pass. */
u64 guest_now_ns(void) { return tsc_to_ns(rdtsc() - tsc_boot); }

void guest_end(struct guest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(g->ended, sizeof(g->ended), fmt, ap);
	va_end(ap);
	g->state = GUEST_ENDED;
	g->tsc_ended = rdtsc();
	guest_console_flush(g);
}

/* Whose x87/SSE state is in the CPU's registers now. */
static struct guest *fpu_owner;

static void fpu_switch_to(struct guest *g)
{
	if (fpu_owner == g)
		return;
	if (fpu_owner)
		__asm__ volatile("fxsave64 %0" : "=m"(fpu_owner->fpu));
	__asm__ volatile("fxrstor64 %0" ::"m"(g->fpu));
	fpu_owner = g;
}

/* The x87/SSE state of a CPU after reset (SDM Vol. 1, 8.1.10 and 10.2.3):
 * FCW 0x037f, MXCSR 0x1f80, everything else zero. */
static void fpu_init(struct guest *g)
{
	memset(g->fpu, 0, sizeof(g->fpu));
	*(u16 *)&g->fpu[0] = 0x037f;
	*(u32 *)&g->fpu[24] = 0x1f80;
}

static int guest_create(struct guest *g, int id, const struct handoff *h)
{
	const struct handoff_guest *hg = &h->guest[id];
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->cfg = &h->cfg.guest[id];
	g->hv_cfg = &h->cfg;
	g->name = g->cfg->name;
	g->mem = (struct gmem){ (u8 *)hg->mem_base, hg->mem_size };
	msr_state_init(&g->msrs);
	fpu_init(g);
	/* The RTC starts at a fixed date, 2026-01-01 00:00:00 UTC: runs are
	 * then repeatable, and the date is plainly not a real clock's. */
	vpc_init(&g->pc, 1767225600ull, guest_console_byte, g);
	kprintf("guest %s: %lu MiB at host 0x%lx, kernel %s (%lu bytes)\n", g->name,
		g->mem.size >> 20, (u64)g->mem.base, g->cfg->kernel, hg->kernel.size);

	struct guest_entry e;
	int r = g->cfg->kind == GUEST_LINUX ? linux_load(g, hg, &e) : flat_load(g, hg, &e);
	if (r) {
		guest_end(g, "load-failed");
		return -1;
	}
	vmcs_setup(g, &e);
	if (guest_paging_init(g, &e)) {
		guest_end(g, "load-failed");
		return -1;
	}
	g->state = GUEST_READY;
	return 0;
}

/* Set or clear a primary processor-based control of the current VMCS. */
static void set_proc_ctl(u32 bit, bool on)
{
	u32 ctl = (u32)vmread(CPU_BASED_VM_EXEC_CONTROL);
	u32 want = on ? ctl | bit : ctl & ~bit;
	if (want != ctl)
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, want);
}

/*
 * Before each VM entry: let the devices catch up with time, inject the
 * interrupt the PIC has for the guest (or ask for an interrupt-window exit
 * if the guest cannot take it yet), and arm the preemption timer for the
 * next device event or the end of the slice, whichever comes first.
 */
#define MIN_TIMER_NS 20000ull
static void prepare_entry(struct guest *g, u64 slice_end)
{
	u64 now = guest_now_ns();
	vpc_tick(&g->pc, now);
	bool pending = vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID;
	bool guest_if = vmread(GUEST_RFLAGS) & RFLAGS_IF;
	bool blocked = vmread(GUEST_INTERRUPTIBILITY_INFO) &
		       (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
	struct vpc_intr d = vpc_intr_decide(&g->pc, guest_if, blocked, pending);
	if (d.action == VPC_INTR_INJECT)
		vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | d.vector);
	set_proc_ctl(CPU_INTERRUPT_WINDOW_EXITING, d.action == VPC_INTR_WINDOW);

	u64 deadline = vpc_next_event_ns(&g->pc, now);
	if (deadline > slice_end)
		deadline = slice_end;
	/* At least MIN_TIMER_NS in the guest: a guest that programs its PIT
	 * absurdly fast must not turn the hv into an exit storm. */
	if (deadline < now + MIN_TIMER_NS)
		deadline = now + MIN_TIMER_NS;
	if (vmx.pin_ctl & PIN_VMX_PREEMPTION_TIMER) {
		u64 ticks = ns_to_tsc(deadline - now) >> vmx.preemption_timer_shift;
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffull ? 0xffffffffull : ticks);
	} else {
		lapic_timer_arm(deadline - now);
	}
}

/* Another guest that could use the CPU now? */
static bool others_runnable(const struct guest *g, u64 now)
{
	for (int i = 0; i < nguests; i++) {
		const struct guest *o = &guests[i];
		if (o == g || o->state == GUEST_ENDED)
			continue;
		if (!o->idle || vpc_next_event_ns(&o->pc, now) <= now)
			return true;
	}
	return false;
}

/*
 * The guest halted with interrupts on.  Give the CPU away if another guest
 * can use it; otherwise wait here until its next device event (or the end
 * of the slice), and wake it if that event raised an interrupt.
 * Returns false when this slice should end.
 */
static bool idle_wait(struct guest *g, u64 slice_end)
{
	u64 now = guest_now_ns();
	if (others_runnable(g, now))
		return false;
	u64 next = vpc_next_event_ns(&g->pc, now);
	if (next == VPC_NO_EVENT && nguests == 1) {
		guest_end(g, "idle-forever");
		kprintf("guest %s: halted with interrupts on, and no device will ever interrupt "
			"it\n", g->name);
		return false;
	}
	u64 until = next < slice_end ? next : slice_end;
	while (guest_now_ns() < until) {
		console_poll();
		cpu_pause();
	}
	now = guest_now_ns();
	vpc_tick(&g->pc, now);
	if (vpc_hlt_decide(&g->pc, true) == VPC_HLT_WAKE)
		g->idle = false;
	return now < slice_end;
}

/* Every PROGRESS_NS of guest time, one line that shows the guest is alive
 * and where it is: useful when a guest is silent for a long time. */
#define PROGRESS_NS 10000000000ull
static void progress(struct guest *g, u64 now)
{
	if (now < g->next_progress_ns)
		return;
	if (g->next_progress_ns)
		kprintf("guest %s: progress exits=%lu rip=0x%lx cr3=0x%lx last-exit=\"%s\"\n",
			g->name, g->exits_total, vmread(GUEST_RIP),
			guest_read_cr3(g),
			exit_reason_name(vmread(VM_EXIT_REASON) & 0xffff));
	g->next_progress_ns = now + PROGRESS_NS;
}

static void run_slice_on_cpu(struct guest *g)
{
	if (vmptrld((u64)g->vmcs))
		panic("vmx: VMPTRLD of guest %s's VMCS failed\n", g->name);
	msr_load_guest(g);
	fpu_switch_to(g);
	if (g->state == GUEST_READY) {
		g->state = GUEST_RUNNING;
		g->tsc_started = rdtsc();
		kprintf("guest %s: VMLAUNCH at rip=0x%lx\n", g->name, vmread(GUEST_RIP));
	}
	u64 slice_end = guest_now_ns() + slice_ns;
	while (g->state == GUEST_RUNNING) {
		if (g->idle) {
			if (!idle_wait(g, slice_end))
				return;
			if (g->idle)
				continue;
		}
		prepare_entry(g, slice_end);
		write_cr2(g->cr2);
		int r = vmx_run(&g->regs, g->launched);
		if (r) {
			u32 err = r == 2 ? (u32)vmread(VM_INSTRUCTION_ERROR) : 0;
			guest_end(g, "vm-instruction-error");
			kprintf("guest %s: %s failed: %s (error %u)\n", g->name,
				g->launched ? "VMRESUME" : "VMLAUNCH",
				r == 1 ? "VMfailInvalid" : vm_instruction_error_name(err), err);
			return;
		}
		if (!g->launched) {
			g->launched = true;
			kprintf("guest %s: VMLAUNCH succeeded (first exit: %s)\n", g->name,
				exit_reason_name(vmread(VM_EXIT_REASON) & 0xffff));
		}
		g->cr2 = read_cr2();
		vmx_handle_exit(g, (u32)vmread(VM_EXIT_REASON));
		if (g->pc.stop.reason != VPC_RUNNING && g->state == GUEST_RUNNING)
			guest_end(g, "%s", vpc_stop_name(g->pc.stop.reason));
		/* One clock read for everything after the exit. */
		u64 now = guest_now_ns();
		progress(g, now);
		guest_af_tick(g, rdtsc());
		console_poll(); /* the console is asynchronous while guests run */
		if (now >= slice_end) {
			if (others_runnable(g, now))
				return;
			slice_end = now + slice_ns; /* nobody else: carry on */
		}
	}
}

/* One time slice of g; what the CPU holds of g goes back into g after. */
static void run_slice(struct guest *g)
{
	run_slice_on_cpu(g);
	msr_save_guest(g);
}

static void print_exit_counts(const struct guest *g)
{
	for (u32 r = 0; r <= EXIT_REASON_MAX; r++)
		if (g->exits[r])
			kprintf("exits guest=%s reason=%u name=\"%s\" count=%lu\n", g->name, r,
				exit_reason_name(r), g->exits[r]);
}

void guests_run(const struct handoff *h)
{
	slice_ns = (u64)h->cfg.slice_ms * 1000000;
	console_set_async(true); /* hv/console.c: a console line must not stall a guest */
	nguests = (int)h->cfg.nguests;
	for (int i = 0; i < nguests; i++)
		guest_create(&guests[i], i, h);

	for (bool any = true; any;) {
		any = false;
		for (int i = 0; i < nguests; i++) {
			struct guest *g = &guests[i];
			if (g->state == GUEST_ENDED)
				continue;
			run_slice(g);
			if (g->state == GUEST_ENDED)
				kprintf("guest %s: ended: %s\n", g->name, g->ended);
			any = true;
		}
	}

	kprintf("summary: %d guest(s)\n", nguests);
	for (int i = 0; i < nguests; i++) {
		const struct guest *g = &guests[i];
		print_exit_counts(g);
		u64 us = g->tsc_started ? tsc_to_us(g->tsc_ended - g->tsc_started) : 0;
		kprintf("guest %s: ended=%s run_us=%lu exits=%lu processes=%u created=%lu exited=%lu "
			"switches=%lu\n",
			g->name, g->ended, us, g->exits_total, guest_af_live(g), g->af.st.creates,
			g->af.st.exits, g->af.st.switches);
		guest_af_report(g);
		guest_paging_report(g);
	}
}
