/*
 * guest.c - creating the configured guests and running them.
 *
 * The guests share the one CPU: schedule() asks vsched.c (pure) whom to
 * run and until when, and run_slice() runs that guest until the deadline
 * (a timer makes sure we get control back: the backend's arm_deadline), until it goes
 * idle in HLT, or until it ends.  Around every VM entry we tick the
 * guest's virtual devices and inject the interrupt they raise, if the
 * guest can take it (prepare_entry()).  Whatever one guest does, the others
 * still run: a guest's end is a log line, never a hv panic.  When all have
 * ended we print their exit counts and one summary line each.
 */
#include <stdarg.h>
#include "guest/guest.h"
#include "guest/disk_glue.h"
#include "guest/vsched.h"
#include "io.h"
#include "console.h"
#include "kprintf.h"
#include "lapic.h"
#include "string.h"
#include "tsc.h"
#include "x86.h"

struct guest guests[CFG_MAX_GUESTS];
int nguests;
static u64 slice_ns;

/* How late the hv's alarm clock rings: after each exit that came at or past
 * the deadline armed for it, how far past (ns).  Near zero on Bochs (guest
 * time is instruction-counted there) and on real hardware; on QEMU's TCG
 * without -icount, guest time is host time, and the QEMU threads that fire
 * the timer and run the vCPU wait for the shared host CPUs: milliseconds
 * (tools/qemu-run.sh, QEMU_ICOUNT). */
static struct {
	u64 n, sum_ns, max_ns;
} alarm_late;


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

/*
 * Did the host's firmware enable fast-string operations (IA32_MISC_ENABLE
 * bit 0, msr.h)?  The MSR is Intel's (SDM Vol. 4, table 2-2); AMD has no
 * such MSR and Linux asks it only of Intel CPUs, so elsewhere the answer
 * is yes, what the guest has always been told.
 */
static bool host_fast_strings(void)
{
	struct cpuid_regs v = cpuid(0, 0);
	bool intel = v.ebx == 0x756e6547 && v.edx == 0x49656e69 && v.ecx == 0x6c65746e; /* GenuineIntel */
	return !intel || (rdmsr(MSR_IA32_MISC_ENABLE) & MISC_ENABLE_FAST_STRING);
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
	g->disk = -1;
	g->kick_ns = VSCHED_NEVER;
	msr_state_init(&g->msrs, host_fast_strings());
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
	g->vcpu.name = g->name;
	g->vcpu.deferred_intr = -1;
	g->cr0_shadow = e.cr0;
	g->cr4_shadow = e.cr4;
	vcpu_ops->create(&g->vcpu, &e);
	if (guest_paging_init(g, &e)) {
		guest_end(g, "load-failed");
		return -1;
	}
	g->state = GUEST_READY;
	return 0;
}

/*
 * Before each VM entry: let the devices catch up with time, inject the
 * interrupt the PIC has for the guest (or ask for an interrupt-window exit
 * if the guest cannot take it yet), and arm a timer for the next device
 * event or the deadline (end of slice, another guest's wake-up), whichever
 * comes first.
 */
#define MIN_TIMER_NS 20000ull
static u64 prepare_entry(struct guest *g, u64 deadline_ns)
{
	u64 now = guest_now_ns();
	vpc_tick(&g->pc, now);
	struct vcpu *v = &g->vcpu;
	bool pending = vcpu_ops->event_pending(v);
	bool guest_if = vcpu_ops->read(v, VCPU_RFLAGS) & RFLAGS_IF;
	bool blocked = vcpu_ops->intr_shadow(v);
	struct vpc_intr d;
	if (v->deferred_intr >= 0 && !pending) {
		/* An interrupt the 8259 gave already (vcpu.h): it goes before
		 * any new one (the 8259 is not asked, it would hand out the
		 * next), when the guest can take one. */
		d.action = guest_if && !blocked ? VPC_INTR_INJECT : VPC_INTR_WINDOW;
		d.vector = (u8)v->deferred_intr;
		if (d.action == VPC_INTR_INJECT)
			v->deferred_intr = -1;
	} else {
		d = vpc_intr_decide(&g->pc, guest_if, blocked, pending);
	}
	if (d.action == VPC_INTR_INJECT) {
		vcpu_ops->inject_intr(v, d.vector);
		g->smp.irq_injected++;
	}
	vcpu_ops->intr_window(v, d.action == VPC_INTR_WINDOW);

	u64 deadline = vpc_next_event_ns(&g->pc, now);
	if (deadline > deadline_ns)
		deadline = deadline_ns;
	u64 disk = guest_disks_next_event(now); /* an anticipation's end, a completion */
	if (deadline > disk)
		deadline = disk;
	/* At least MIN_TIMER_NS in the guest: a guest that programs its PIT
	 * absurdly fast must not turn the hv into an exit storm. */
	if (deadline < now + MIN_TIMER_NS)
		deadline = now + MIN_TIMER_NS;
	vcpu_ops->arm_deadline(v, deadline - now, guest_if);
	return deadline;
}

/* When g's max_ms (formica.cfg) is up, in guest time; VSCHED_NEVER if never. */
static u64 time_limit_ns(const struct guest *g)
{
	if (!g->cfg->max_ms || !g->tsc_started)
		return VSCHED_NEVER;
	return tsc_to_ns(g->tsc_started - tsc_boot) + (u64)g->cfg->max_ms * 1000000;
}

/* Stop g if its time limit is up; true if it was stopped. */
static bool stop_at_time_limit(struct guest *g, u64 now)
{
	if (g->state == GUEST_ENDED || now < time_limit_ns(g))
		return false;
	guest_end(g, "time-limit");
	kprintf("guest %s: stopped: its time limit max_ms=%u is up (%lu exits, %s)\n", g->name,
		g->cfg->max_ms, g->exits_total, g->idle ? "halted" : "running");
	return true;
}

/* Every PROGRESS_NS of guest time, one line that shows the guest is alive
 * and where it is: useful when a guest is silent for a long time.  Its
 * totals so far (exits, Antfarm's context switches) make a rate over time
 * in any log (tools/logplot.sh). */
#define PROGRESS_NS 10000000000ull
static void progress(struct guest *g, u64 now)
{
	if (now < g->next_progress_ns)
		return;
	if (g->next_progress_ns)
		kprintf("guest %s: progress exits=%lu switches=%lu rip=0x%lx cr3=0x%lx "
			"last-exit=\"%s\"\n",
			g->name, g->exits_total, g->af.st.switches, guest_rip(g), guest_read_cr3(g),
			vcpu_ops->exit_name(g->vcpu.exit_code));
	g->next_progress_ns = now + PROGRESS_NS;
}

/* Run g until deadline_ns, until it halts, or until it ends. */
static void run_slice_on_cpu(struct guest *g, u64 deadline_ns)
{
	vcpu_ops->load(&g->vcpu);
	msr_load_guest(g);
	fpu_switch_to(g);
	if (g->state == GUEST_READY) {
		g->state = GUEST_RUNNING;
		g->tsc_started = rdtsc();
		kprintf("guest %s: first entry (%s) at rip=0x%lx\n", g->name, vcpu_ops->name,
			guest_rip(g));
	}
	g->kick_ns = VSCHED_NEVER; /* it is on the CPU: its interrupt comes at entry */
	u64 limit = time_limit_ns(g);
	if (deadline_ns > limit)
		deadline_ns = limit;
	u64 t_exit = 0; /* TSC at this stay's last exit: hv time runs until the next entry */
	while (g->state == GUEST_RUNNING && !g->idle) {
		u64 alarm = prepare_entry(g, deadline_ns);
		if (t_exit)
			g->hv_tsc += rdtsc() - t_exit;
		int r = vcpu_ops->run(&g->vcpu, &g->exit);
		t_exit = rdtsc();
		if (r) { /* the backend logged why */
			guest_end(g, "vm-instruction-error");
			return;
		}
		guest_handle_exit(g);
		g->exit_tsc[vcpu_exit_slot(g->vcpu.exit_code)] += rdtsc() - t_exit;
		if (g->pc.stop.reason != VPC_RUNNING && g->state == GUEST_RUNNING)
			guest_end(g, "%s", vpc_stop_name(g->pc.stop.reason));
		/* One clock read for everything after the exit. */
		u64 now = guest_now_ns();
		u64 exit_ns = tsc_to_ns(t_exit - tsc_boot);
		if (exit_ns >= alarm) {
			alarm_late.n++;
			alarm_late.sum_ns += exit_ns - alarm;
			if (exit_ns - alarm > alarm_late.max_ns)
				alarm_late.max_ns = exit_ns - alarm;
		}
		progress(g, now);
		guest_af_tick(g, rdtsc());
		guest_sample_exit(g, now);
		guest_disks_tick(now);
		console_poll(); /* the console is asynchronous while guests run */
		/* A completion for another guest: it is due now (vsched.c rule
		 * 1), so this stay ends here (rule 3). */
		bool other_due = guest_disks_poll(g, now);
		/* It halted: note when its devices will want it.  Now, if one
		 * raised its line since the HLT: the disk poll just above may
		 * have completed its request, and a wake-up missed here is
		 * missed for good when it has no timer. */
		if (g->idle)
			g->wake_ns = vpc_hlt_decide(&g->pc, true) == VPC_HLT_WAKE
					     ? now
					     : vpc_next_event_ns(&g->pc, now);
		if (stop_at_time_limit(g, now) || now >= deadline_ns || other_due)
			return;
	}
}

/* One stay of g on the CPU; what the CPU holds of g goes back into g after. */
static void run_slice(struct guest *g, u64 deadline_ns)
{
	run_slice_on_cpu(g, deadline_ns);
	msr_save_guest(g);
}

/* What the scheduler (vsched.c) needs to know of g at time now. */
static struct vsched_vcpu vcpu_view(const struct guest *g, u64 now)
{
	struct vsched_vcpu c = { .ended = g->state == GUEST_ENDED, .halted = g->idle,
				 .wake_ns = VSCHED_NEVER };
	if (!c.halted && !c.ended && g->kick_ns != VSCHED_NEVER) {
		c.kicked = true;
		c.wake_ns = g->kick_ns;
	}
	if (c.halted && !c.ended) {
		/* Its devices do not change while it sleeps: the time noted at
		 * its HLT holds.  VPC_NO_EVENT == VSCHED_NEVER. */
		c.wake_ns = g->wake_ns;
		u64 limit = time_limit_ns(g);
		if (limit < c.wake_ns)
			c.wake_ns = limit; /* so that it is stopped on time */
	}
	return c;
}

/*
 * g halted and its device event (due at g->wake_ns) has come: let the
 * devices raise their interrupts.  Returns true if g can take one and runs
 * again; otherwise it sleeps on until its next event.
 */
static bool wake_up(struct guest *g, u64 now)
{
	vpc_tick(&g->pc, now);
	if (vpc_hlt_decide(&g->pc, true) != VPC_HLT_WAKE) {
		g->wake_ns = vpc_next_event_ns(&g->pc, now);
		return false;
	}
	g->idle = false;
	guest_sample_wake(g, now);
	u64 late = now > g->wake_ns ? now - g->wake_ns : 0;
	g->wakeups++;
	g->wake_late_sum_ns += late;
	if (late > g->wake_late_max_ns)
		g->wake_late_max_ns = late;
	return true;
}

/* Every live guest is halted and no device will ever wake any of them. */
static void end_sleepers(void)
{
	for (int i = 0; i < nguests; i++) {
		struct guest *g = &guests[i];
		if (g->state == GUEST_ENDED)
			continue;
		guest_end(g, "idle-forever");
		kprintf("guest %s: halted with interrupts on, and no device will ever interrupt "
			"it\n", g->name);
	}
}

/* Share the CPU among the guests (rules: vsched.c) until all have ended. */
static void schedule(void)
{
	struct vsched_vcpu v[CFG_MAX_GUESTS];
	int turn = -1; /* the last guest that ran by round robin, not by a wake-up */
	for (;;) {
		u64 now = guest_now_ns();
		int live = 0;
		for (int i = 0; i < nguests; i++) {
			guest_sample_tick(&guests[i], now); /* halted ones too */
			v[i] = vcpu_view(&guests[i], now);
			live += !v[i].ended;
		}
		if (!live)
			return;
		int i = vsched_pick(v, nguests, turn, now);
		if (i < 0) {
			/* Everyone halted: wait for the first device event, or a
			 * disk completion (which makes its guest due at once). */
			u64 wake = vsched_next_wake(v, nguests, -1);
			u64 disk = guest_disks_next_event(now);
			if (wake == VSCHED_NEVER && disk == VSCHED_NEVER) {
				end_sleepers();
				continue;
			}
			for (;;) {
				u64 t = guest_now_ns();
				if (t >= wake)
					break;
				console_poll();
				if (t >= disk) {
					if (guest_disks_poll(NULL, t))
						break; /* a completion: its guest is due */
					disk = guest_disks_next_event(t);
					if (disk == VSCHED_NEVER && wake == VSCHED_NEVER)
						break; /* the disk is done, for guests that ended */
				}
				cpu_pause();
			}
			continue;
		}
		struct guest *g = &guests[i];
		if (stop_at_time_limit(g, now)) {
			kprintf("guest %s: ended: %s\n", g->name, g->ended);
			continue;
		}
		if (g->idle) {
			if (!wake_up(g, now))
				continue;
		} else {
			turn = i;
		}
		run_slice(g, vsched_deadline(v, nguests, i, now, slice_ns));
		if (g->state == GUEST_ENDED)
			kprintf("guest %s: ended: %s\n", g->name, g->ended);
	}
}

static void print_exit_counts(const struct guest *g)
{
	for (u32 r = 0; r < VCPU_EXIT_SLOTS; r++)
		if (g->exits[r])
			kprintf("exits guest=%s reason=%u name=\"%s\" count=%lu tsc=%lu "
				"mean_cycles=%lu\n",
				g->name, r, vcpu_ops->exit_name(r), g->exits[r], g->exit_tsc[r],
				g->exit_tsc[r] / g->exits[r]);
	/* handled: the handlers' sum; hv: exit to next entry, all of it;
	 * run: the guest's whole life, guest and hv time together. */
	u64 handled = 0;
	for (u32 r = 0; r < VCPU_EXIT_SLOTS; r++)
		handled += g->exit_tsc[r];
	kprintf("hvtime guest=%s exits=%lu handled_tsc=%lu hv_tsc=%lu run_tsc=%lu\n", g->name,
		g->exits_total, handled, g->hv_tsc,
		g->tsc_started ? g->tsc_ended - g->tsc_started : 0);
}

void guests_run(const struct handoff *h)
{
	slice_ns = (u64)h->cfg.slice_ms * 1000000;
	console_set_async(true); /* hv/kernel/console.c: a console line must not stall a guest */
	nguests = (int)h->cfg.nguests;
	for (int i = 0; i < nguests; i++)
		guest_create(&guests[i], i, h);
	guest_disks_init(h);
	guest_shadow_budgets();

	schedule();

	kprintf("summary: %d guest(s)\n", nguests);
	for (int i = 0; i < nguests; i++) {
		const struct guest *g = &guests[i];
		print_exit_counts(g);
		u64 us = g->tsc_started ? tsc_to_us(g->tsc_ended - g->tsc_started) : 0;
		kprintf("guest %s: ended=%s run_us=%lu exits=%lu processes=%u created=%lu exited=%lu "
			"switches=%lu\n",
			g->name, g->ended, us, g->exits_total, guest_af_live(g), g->af.st.creates,
			g->af.st.exits, g->af.st.switches);
		if (g->wakeups)
			kprintf("guest %s: wakeups=%lu wake-late-us max=%lu mean=%lu pit-irqs=%lu "
				"pit-coalesced=%lu\n",
				g->name, g->wakeups, g->wake_late_max_ns / 1000,
				g->wake_late_sum_ns / g->wakeups / 1000, g->pc.pit.irq0_pulses,
				g->pc.pit.irq0_coalesced);
		guest_af_report(g);
		guest_paging_report(g);
	}
	guest_disks_report();
	if (alarm_late.n)
		kprintf("alarm: %lu exits at or past the armed deadline, late-us max=%lu mean=%lu\n",
			alarm_late.n, alarm_late.max_ns / 1000, alarm_late.sum_ns / alarm_late.n / 1000);
}
