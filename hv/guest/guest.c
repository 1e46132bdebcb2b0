/*
 * guest.c - creating the configured guests and running them.
 *
 * Guests run one after another, each until it ends (HC_EXIT, a triple
 * fault, an error the hv cannot emulate...).  Whatever one guest does, the
 * next one still runs: a guest's end is a log line, never a hv panic.
 * When all have ended we print one summary line per guest.
 */
#include <stdarg.h>
#include "guest/guest.h"
#include "io.h"
#include "kprintf.h"
#include "string.h"
#include "tsc.h"
#include "vmx/vmx.h"
#include "x86.h"

struct guest guests[CFG_MAX_GUESTS];
int nguests;

int vmx_run(struct vcpu_regs *regs, int launched); /* vmx_asm.S */
void msr_load_guest(const struct guest *g);          /* msr.c */

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

static int guest_create(struct guest *g, int id, const struct handoff *h)
{
	const struct handoff_guest *hg = &h->guest[id];
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->cfg = &h->cfg.guest[id];
	g->name = g->cfg->name;
	g->mem = (struct gmem){ (u8 *)hg->mem_base, hg->mem_size };
	msr_state_init(&g->msrs);
	kprintf("guest %s: %lu MiB at host 0x%lx, kernel %s (%lu bytes)\n", g->name,
		g->mem.size >> 20, (u64)g->mem.base, g->cfg->kernel, hg->kernel.size);

	struct guest_entry e;
	int r = -1;
	if (g->cfg->kind == GUEST_FLAT)
		r = flat_load(g, hg, &e);
	else
		kprintf("guest %s: kind 'linux' is not supported yet\n", g->name);
	if (r) {
		guest_end(g, "load-failed");
		return -1;
	}
	vmcs_setup(g, &e);
	g->state = GUEST_READY;
	return 0;
}

static void guest_run(struct guest *g)
{
	if (vmptrld((u64)g->vmcs))
		panic("vmx: VMPTRLD of guest %s's VMCS failed\n", g->name);
	msr_load_guest(g);
	g->state = GUEST_RUNNING;
	g->tsc_started = rdtsc();
	kprintf("guest %s: VMLAUNCH at rip=0x%lx\n", g->name, vmread(GUEST_RIP));
	while (g->state == GUEST_RUNNING) {
		write_cr2(g->cr2);
		int r = vmx_run(&g->regs, g->launched);
		if (r) {
			u32 err = r == 2 ? (u32)vmread(VM_INSTRUCTION_ERROR) : 0;
			guest_end(g, "vm-instruction-error");
			kprintf("guest %s: %s failed: %s (error %u)\n", g->name,
				g->launched ? "VMRESUME" : "VMLAUNCH",
				r == 1 ? "VMfailInvalid" : vm_instruction_error_name(err), err);
			break;
		}
		if (!g->launched) {
			g->launched = true;
			kprintf("guest %s: VMLAUNCH succeeded (first exit: %s)\n", g->name,
				exit_reason_name(vmread(VM_EXIT_REASON) & 0xffff));
		}
		g->cr2 = read_cr2();
		vmx_handle_exit(g, (u32)vmread(VM_EXIT_REASON));
	}
	vmclear((u64)g->vmcs);
	kprintf("guest %s: ended: %s\n", g->name, g->ended);
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
	nguests = (int)h->cfg.nguests;
	for (int i = 0; i < nguests; i++)
		guest_create(&guests[i], i, h);
	for (int i = 0; i < nguests; i++)
		if (guests[i].state == GUEST_READY)
			guest_run(&guests[i]);

	kprintf("summary: %d guest(s)\n", nguests);
	for (int i = 0; i < nguests; i++) {
		const struct guest *g = &guests[i];
		print_exit_counts(g);
		u64 us = g->tsc_started ? tsc_to_us(g->tsc_ended - g->tsc_started) : 0;
		kprintf("guest %s: ended=%s run_us=%lu exits=%lu\n", g->name, g->ended, us,
			g->exits_total);
	}
}
