/*
 * antfarm_glue.c - Antfarm process inference wired into the shadow pager.
 *
 * The rules live in hv/antfarm/antfarm.c; this file only feeds them the two
 * events the paging glue (shadow_glue.c) sees anyway and prints what they say:
 *
 *   MOV to CR3        shadow_glue.c calls guest_af_cr3_load() after
 *                     shadow_cr3_load(): a creation, a context switch, a
 *                     reload, and first the exits that this flush confirms.
 *   write to a root   Antfarm asks (ops.watch) for every live root page to
 *                     be write-protected in the shadow tables.  Each guest
 *                     write to one then comes to shadow_glue.c as
 *                     SHADOW_WATCHED_WRITE, and guest_af_watched_write()
 *                     performs it (hv/antfarm/rootwrite.c: fetch, decode,
 *                     emulate, report every entry's old and new value), so
 *                     the count of present user entries of every live root
 *                     is exact at every moment.  A write the emulator does
 *                     not know is no page-table write: the page is taken as
 *                     no root any more (cannot_emulate()), logged with the
 *                     instruction's bytes, and let go.
 *
 * Events become one console line each (format: hv/antfarm/evlog.h), every
 * one in verbose mode, all but context switches in summary mode, and those
 * plus a count of switches per switches_ms interval in switches mode
 * (formica.cfg "log").  formica.cfg "antfarm"
 * picks the rules: plain (the paper's), exec-aware, or off.  The guest may
 * switch inference off and on at run time through the mark port (io.c), so
 * one boot can time a workload both ways (make bench).
 *
 * One vCPU per guest, so the calls need no lock (antfarm.h asks for one per
 * guest around every call once there are more).
 */
#include "antfarm/rootwrite.h"
#include "guest/guest.h"
#include "guest/disk_glue.h"
#include "io.h"
#include "kprintf.h"
#include "string.h"
#include "tsc.h"
#include "x86.h"

/* Linux x86-64's THREAD_SIZE: the kernel stack RSP is on names the task
 * doing a CR3 load (antfarm.h, task_hint; exec-aware mode only). */
#define AF_THREAD_SIZE (16 * 1024ull)
/* How long an exec-aware creation may wait for its verdict (antfarm.h). */
#define AF_EXEC_WINDOW_US 50000ull

#define RFLAGS_AC BIT(18)   /* alignment check / SMAP override (SDM Vol. 1, 3.4.3) */

/* The backends' register block is the emulator's register file, in the same
 * SDM order: copied whole, not register by register. */
_Static_assert(sizeof(((struct vcpu_regs *)0)->gpr) == sizeof(((struct emu_regs *)0)->gpr),
	       "vcpu_regs and emu_regs disagree");
_Static_assert((int)R_RAX == (int)GPR_RAX && (int)R_RSP == (int)GPR_RSP &&
		       (int)R_RDI == (int)GPR_RDI && (int)R_R15 == (int)GPR_R15,
	       "vcpu_regs and emu_regs number registers differently");

/* ------------------------------------------------------------ Antfarm's ops */

static bool op_watch(void *ctx, u64 root)
{
	struct guest *g = ctx;
	return shadow_watch(&g->shadow, root) == SHADOW_OK;
}

static void op_unwatch(void *ctx, u64 root)
{
	struct guest *g = ctx;
	shadow_unwatch(&g->shadow, root);
}

static int op_count_user(void *ctx, u64 root)
{
	struct guest *g = ctx;
	const u64 *pml4 = gpa_ptr(&g->mem, root, PAGE_SIZE);
	return pml4 ? (int)af_count_user(pml4) : -1;
}

static void op_event(void *ctx, const struct af_event *ev)
{
	struct guest *g = ctx;
	char line[AF_LOG_LINE_MAX];
	/* Close the sample interval first: a switch is counted in the
	 * interval it happened in (evlog.h). */
	if (af_log_tick(&g->aflog, ev->tsc, line, sizeof(line)))
		kprintf("%s", line);
	if (af_log_event(&g->aflog, ev, line, sizeof(line)))
		kprintf("%s", line);
	/* The disk scheduler forgets a process once its requests drain. */
	if (ev->kind == AF_EV_EXIT)
		guest_disk_proc_gone(g, ev->asid, ev->gen);
	else if (ev->kind == AF_EV_EXEC)
		guest_disk_proc_gone(g, ev->prev_asid, ev->prev_gen);
}

/* formica.cfg "log" as evlog's mode (the pure core does not see the config). */
static enum af_log_mode log_mode(const struct formica_config *cfg)
{
	switch (cfg ? cfg->log : LOG_SUMMARY) {
	case LOG_VERBOSE:
		return AF_LOG_VERBOSE;
	case LOG_SWITCHES:
		return AF_LOG_SWITCHES;
	case LOG_COUNTS:
		return AF_LOG_COUNTS;
	default:
		return AF_LOG_SUMMARY;
	}
}

/* ------------------------------------------------------------ the hooks */

void guest_af_init(struct guest *g)
{
	const struct af_ops ops = { op_event, op_watch, op_unwatch, op_count_user, g };
	const struct formica_config *cfg = g->hv_cfg;
	enum af_log_mode mode = log_mode(cfg);
	u64 interval_us = (cfg ? cfg->switches_ms : 100) * 1000ull;

	enum antfarm_mode rules = cfg ? cfg->antfarm : ANTFARM_PLAIN;

	af_init(&g->af, &ops, rules == ANTFARM_EXEC_AWARE ? AF_EXEC_AWARE : 0,
		us_to_tsc(AF_EXEC_WINDOW_US));
	af_log_init(&g->aflog, g->name, mode, tsc_hz, interval_us, rdtsc());
	g->af_on = rules != ANTFARM_OFF;
}

/*
 * Inference on or off at run time (mark port values FORMICA_MARK_AF_ON/OFF).
 * Off: every root is unwatched and forgotten, so the guest runs exactly as
 * with "antfarm = off"; on: each process is created afresh at its next CR3
 * load.  The counters run on across both.
 */
void guest_af_set(struct guest *g, bool on)
{
	if (on == g->af_on)
		return;
	if (!on)
		af_forget_all(&g->af);
	g->af_on = on;
	kprintf("antfarm guest=%s inference=%s\n", g->name, on ? "on" : "off");
}

/*
 * Every guest MOV to CR3, after the shadow pager took it.  Only 4-level
 * paging roots are address spaces here: a load made with paging off or in
 * PAE mode (a boot loader on its way to long mode) names no PML4.  Kept
 * cheap: a context switch is one hash lookup (and a counter in switches mode).
 */
void guest_af_cr3_load(struct guest *g, u64 cr3)
{
	u64 hint = 0;
	if (!g->af_on || g->shadow.paging.mode != PAGING_LONG4)
		return;
	if (g->af.flags & AF_EXEC_AWARE)
		hint = vcpu_ops->read(&g->vcpu, VCPU_RSP) & ~(AF_THREAD_SIZE - 1);
	af_cr3_load(&g->af, 0, cr3, rdtsc(), hint);
}

/*
 * The write cannot be performed for the guest (an instruction the emulator
 * does not know, or no instruction at all).  Two cases:
 *
 *  - The root has no present user entry left: an address space that has
 *    exited and only awaits the CR3 load that confirms it (antfarm.c,
 *    "Exit").  Its page is being reused before that load came, by code that
 *    is no page-table writer: Linux's exec tears the old mm down while the
 *    new one is loaded, and the freed page may become the next fork's pgd
 *    (pgd_ctor() copies the kernel half with REP MOVSQ) before any CR3 load.
 *    Stop watching the page and let the guest's own instruction run.  The
 *    exit is reported at the next CR3 load as always, and if the page is
 *    made a root again, its next load counts it afresh: a new generation.
 *  - The root still has user entries: the guest abandoned it without
 *    clearing it and reuses the page (see below); it exits at the next
 *    CR3 load.  Only a write to a watched page that is no root at all
 *    (which cannot happen) stops the guest.
 *
 * Returns 0 if the guest goes on, err if it was stopped.
 */
static int cannot_emulate(struct guest *g, u64 gva, const struct shadow_fault *f, u64 rip,
			  const char *why, int err)
{
	u64 page = f->gpa & ~(PAGE_SIZE - 1);
	const u64 *pml4 = gpa_ptr(&g->mem, page, PAGE_SIZE);
	/* A guest page table the synced shadow policy protects: stop shadowing
	 * it (every shadow entry built from it goes), so the guest may write
	 * it itself; a later walk through it protects it again. */
	bool shadowed = shadow_unshadow_frame(&g->shadow, page);

	if (af_is_watched(&g->af, page)) {
		bool empty = pml4 && af_count_user(pml4) == 0;
		/* A root that still has user entries was abandoned without being
		 * cleared (Linux does so with its decompressor's page tables):
		 * af_root_abandon() counts the space as emptied now.  Either way
		 * it exits at the next CR3 load. */
		if (!empty)
			af_root_abandon(&g->af, page, rdtsc());
		shadow_unwatch(&g->shadow, page);
		g->af_reused++;
		kprintf("guest %s: %s 0x%lx%s written at rip 0x%lx (%s): taken as %s, no longer "
			"watched\n",
			g->name, empty ? "empty root" : "root", page, empty ? "" : " with user entries",
			rip, why, empty ? "reused" : "abandoned and reused");
		return 0;
	}
	if (shadowed) {
		g->sync_unemulated++;
		return 0; /* the guest's instruction runs again, now unhindered */
	}
	kprintf("guest %s: write to watched page gpa 0x%lx (gva 0x%lx) at rip 0x%lx: %s\n",
		g->name, f->gpa, gva, rip, why);
	guest_end(g, "unsupported-instruction");
	return err;
}

/*
 * SHADOW_WATCHED_WRITE at gva: the guest wrote a page-table root Antfarm
 * counts, or a guest page table the synced shadow policy protects.  Do the
 * write for it (rootwrite.h), then move the guest on as if its CPU had done
 * it; returns 0, or a negative emu_err after stopping g.  (An emulation that
 * failed part-way may have stored part of a REP STOS; STOS is idempotent.)
 */
int guest_af_watched_write(struct guest *g, u64 gva, const struct shadow_fault *f)
{
	struct vcpu *v = &g->vcpu;
	u64 rip = vcpu_ops->read(v, VCPU_RIP), rflags = vcpu_ops->read(v, VCPU_RFLAGS);
	struct emu_regs r;
	struct emu_segs segs;
	struct emu_insn in;
	char why[128];
	u32 access = 0;

	/* The decoder knows 64-bit mode only; and a write made while the CPU
	 * delivered an event (a frame pushed onto a watched page) has no
	 * instruction behind it. */
	if (!vcpu_ops->cs_long(v))
		return cannot_emulate(g, gva, f, rip, "not in 64-bit mode (CS.L = 0)",
				      EMU_ERR_UNSUPPORTED);
	if (vcpu_ops->delivering_event(v))
		return cannot_emulate(g, gva, f, rip, "made while delivering an event",
				      EMU_ERR_UNSUPPORTED);
	/* SMAP lets CPL < 3 through with RFLAGS.AC. */
	if (vcpu_ops->cpl(v) == 3)
		access = WALK_USER;
	else if (rflags & RFLAGS_AC)
		access = WALK_AC;

	memcpy(r.gpr, v->regs.gpr, sizeof(r.gpr));
	r.gpr[GPR_RSP] = vcpu_ops->read(v, VCPU_RSP);
	r.rip = rip;
	r.rflags = rflags;
	segs.fs_base = vcpu_ops->read(v, VCPU_FS_BASE);
	segs.gs_base = vcpu_ops->read(v, VCPU_GS_BASE);

	int err = af_emulate_write(&g->af, &g->shadow, &r, &segs, access, gva, rdtsc(), &in);
	if (err) {
		emu_format_error(why, sizeof(why), err, &in);
		return cannot_emulate(g, gva, f, rip, why, err);
	}

	memcpy(v->regs.gpr, r.gpr, sizeof(r.gpr));
	vcpu_ops->write(v, VCPU_RSP, r.gpr[GPR_RSP]);
	vcpu_ops->write(v, VCPU_RFLAGS, r.rflags);
	if (r.rip != rip) {
		/* The instruction completed (a REP STOS that did not has RIP
		 * unchanged); blocking by STI or MOV SS ends with it, as in
		 * guest_skip_instruction() (SDM 25.4.2). */
		vcpu_ops->write(v, VCPU_RIP, r.rip);
		vcpu_ops->clear_intr_shadow(v);
	}
	return 0;
}

/* From the run loop after every exit: in switches mode, one "switches" line
 * per interval that had any.  The common case is one compare. */
void guest_af_tick(struct guest *g, u64 now_tsc)
{
	struct af_log *lg = &g->aflog;
	char line[AF_LOG_LINE_MAX];
	if (lg->mode != AF_LOG_SWITCHES || now_tsc - lg->interval_start < lg->interval_tsc)
		return;
	if (af_log_tick(lg, now_tsc, line, sizeof(line)))
		kprintf("%s", line);
}

/* Processes the guest has now, as inferred. */
u32 guest_af_live(const struct guest *g)
{
	return af_live(&g->af);
}

/* The engine's counters, one line, for guests that ever loaded a 4-level
 * root: how the counts in the summary line came about. */
void guest_af_report(const struct guest *g)
{
	const struct af_stats *s = &g->af.st;
	if (!s->cr3_loads)
		return;
	kprintf("antfarm guest=%s live=%u cr3_loads=%lu spaces_created=%lu spaces_exited=%lu "
		"reloads=%lu kernel_loads=%lu root_writes=%lu stale_writes=%lu anomalies=%lu "
		"unreadable=%lu watch_failed=%lu table_full=%lu abandoned=%lu reused=%lu\n",
		g->name, af_live(&g->af), s->cr3_loads, s->spaces_created, s->spaces_exited,
		s->reloads, s->kernel_loads, s->root_writes, s->stale_writes, s->anomalies,
		s->unreadable, s->watch_failed, s->table_full, s->abandoned, g->af_reused);
}
