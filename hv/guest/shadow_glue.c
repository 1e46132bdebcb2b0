/*
 * shadow_glue.c - the glue between VM exits and the shadow pager (hv/mm/).
 *
 * hv/mm/shadow.c decides; this file reads the guest state (vcpu.h), calls
 * it, and writes back what it says (see the contract in hv/mm/README.md):
 *   #PF exit        -> shadow_page_fault(): fixed, the guest's own #PF, or
 *                      a guest that touched memory it does not own
 *   MOV to CR3      -> shadow_cr3_load(): the CPU's CR3 = the shadow root
 *   MOV from CR3    -> the guest's own value (CR3 reads exit)
 *   MOV to CR0/CR4, WRMSR EFER -> shadow_set_paging()
 *   INVLPG          -> shadow_invlpg()
 * Before the shadow pager sees a new CR0/CR3/CR4/EFER value, cr_check.c
 * decides whether the CPU would have taken it; if not, the guest gets the
 * #GP(0) a real CPU raises and nothing changes.
 * Shadow table pages come from the hv heap.
 */
#include "guest/cr_check.h"
#include "guest/guest.h"
#include "kprintf.h"
#include "mm/synced.h"
#include "pmm.h"
#include "x86.h"

static void *shadow_alloc(void *opaque, bool below_4g)
{
	/* Out of heap: NULL, and the shadow pager gives back cached tables
	 * (hv/mm/shadow.c, reclaim) before it gives up on this guest. */
	void *p = pmm_try_alloc_pages(1);
	if (!p)
		return NULL;
	/* The heap boot/ reserved sits below 4 GiB on every firmware we know;
	 * a PAE-format root needs it. */
	if (below_4g && (u64)p >= (1ull << 32)) {
		pmm_free_pages(p, 1);
		return NULL;
	}
	return p;
}

static void shadow_free(void *opaque, void *page) { pmm_free_pages(page, 1); }

static void load_paging(struct guest *g, u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	struct guest_paging pg;
	guest_paging_from_regs(&pg, cr0, cr3, cr4, efer, GUEST_MAXPHYADDR);
	u64 host_cr3 = shadow_set_paging(&g->shadow, &pg);
	if (!host_cr3) {
		guest_end(g, "out-of-memory");
		kprintf("guest %s: no memory left for shadow page tables\n", g->name);
		return;
	}
	vcpu_ops->set_paging(&g->vcpu, shadow_real_cr0(cr0), host_cr3, shadow_real_cr4(cr4, cr0),
			     shadow_real_efer(efer, cr0), cr0, cr4);
}

/*
 * Each guest's shadow tables may use an equal share of the heap that is
 * free once every guest exists (seven eighths of it; the rest stays for the
 * hv).  A guest at its share reclaims its own cached shadows (other roots'
 * first); without shares, many processes in one guest could take the
 * whole heap and stop every guest with it.
 */
void guest_shadow_budgets(void)
{
	int running = 0;
	for (int i = 0; i < nguests; i++)
		running += guests[i].state != GUEST_ENDED;
	if (!running)
		return;
	u64 share = pmm_free_bytes() / PAGE_SIZE * 7 / 8 / (u64)running;
	for (int i = 0; i < nguests; i++)
		if (guests[i].state != GUEST_ENDED)
			guests[i].shadow.max_pages = guests[i].shadow.stats.pages + share;
	kprintf("shadow: each guest's shadow tables may take %lu more pages (%lu MiB) of the heap\n",
		share, share >> 8);
}

/* formica.cfg's shadow = (boot/config.c: synced unless it says otherwise);
 * cached for a guest the hv set up without a config. */
enum shadow_policy guest_config_shadow_policy(const struct guest *g)
{
	enum shadow_policy_cfg pc = g->hv_cfg ? g->hv_cfg->shadow : SHADOW_POLICY_CACHED;
	return pc == SHADOW_POLICY_REFERENCE ? SHADOW_REFERENCE
	       : pc == SHADOW_POLICY_SYNCED  ? SHADOW_SYNCED
					     : SHADOW_CACHED;
}

int guest_paging_init(struct guest *g, const struct guest_entry *e)
{
	static const struct shadow_ops ops = { shadow_alloc, shadow_free, NULL, NULL };
	if (shadow_init(&g->shadow, &ops, &g->mem, guest_config_shadow_policy(g))) {
		kprintf("guest %s: shadow pager refused the guest memory\n", g->name);
		return -1;
	}
	/* 2 MiB leaves for large guest pages (shadow.c, "large leaves"): on
	 * unless formica.cfg says shadow_2m = off. */
	g->shadow.large_leaves = g->hv_cfg ? g->hv_cfg->shadow_2m : true;
	/* The synced policy's records (hv/mm/synced.h), whatever the policy at
	 * boot: the mark port may switch to it.  Without them it acts as cached. */
	u64 sync_pages = (sizeof(struct shadow_sync) + PAGE_SIZE - 1) / PAGE_SIZE;
	g->shadow.sync = pmm_try_alloc_pages(sync_pages);
	if (g->shadow.sync)
		sync_init(g->shadow.sync);
	else
		kprintf("guest %s: no memory for the synced shadow policy: it acts as cached\n",
			g->name);
	/* A CR3 load drops the non-global leaves built since the last one, not
	 * every table under a slot that has one: Linux's kernel half has a few
	 * non-global pages, and sweeping its tables made each MOV to CR3 cost
	 * ~375k cycles (tools/bench-linux.sh, mark-cycles). */
	g->shadow.leaf_log = true;
	guest_af_init(g); /* process inference rides on the shadow pager: antfarm_glue.c */
	guest_sample_init(g); /* so does the working-set count: sample_glue.c */
	g->efer = e->efer;
	load_paging(g, e->cr0, e->cr3, e->cr4, e->efer);
	return g->state == GUEST_ENDED ? -1 : 0;
}

/* The shadow pager's counters (hv/mm/shadow.h) as "name=value" pairs, for
 * the line at the guest's end and the mark port's (io.c): where a slow
 * guest's time went (faults per CR3 load and their causes, evictions when
 * the cache of shadows is too small, full searches by shadow_watch()). */
int guest_paging_counters(const struct guest *g, char *buf, size_t size)
{
	const struct shadow_stats *ss = &g->shadow.stats;
	return ksnprintf(buf, size,
			 "faults=%lu fixed=%lu injected=%lu watched_writes=%lu cr3_loads=%lu "
			 "invlpgs=%lu flushes=%lu as_evictions=%lu pages=%lu pages_peak=%lu "
			 "nomem=%lu watch_walks=%lu watch_quick=%lu dirty_upgrades=%lu "
			 "fill_new_kernel=%lu fill_new_user=%lu fill_switch_kernel=%lu "
			 "fill_switch_user=%lu large_leaves=%lu",
			 ss->faults, ss->fixed, ss->injected, ss->watched_writes, ss->cr3_loads,
			 ss->invlpgs, ss->flushes, ss->as_evictions, ss->pages, ss->pages_peak,
			 ss->nomem, ss->watch_walks, ss->watch_quick, ss->dirty_upgrades,
			 ss->fill_new_kernel, ss->fill_new_user, ss->fill_switch_kernel,
			 ss->fill_switch_user, ss->large_leaves);
}

/* The synced policy's counters (hv/mm/synced.c), a line of their own. */
int guest_sync_counters(const struct guest *g, char *buf, size_t size)
{
	const struct shadow_stats *ss = &g->shadow.stats;
	return ksnprintf(buf, size,
			 "sync_writes=%lu sync_zaps=%lu sync_unshadows=%lu sync_unsynced=%lu "
			 "sync_unemulated=%lu sync_unsyncs=%lu sync_write_faults=%lu sync_resyncs=%lu "
			 "sync_visits=%lu sync_records=%u",
			 ss->sync_writes, ss->sync_zaps, ss->sync_unshadows, ss->sync_unsynced,
			 g->sync_unemulated, ss->sync_unsyncs, ss->sync_write_faults, ss->sync_resyncs,
			 ss->sync_visits, g->shadow.sync ? g->shadow.sync->used : 0);
}

const char *guest_shadow_policy(const struct guest *g)
{
	switch (g->shadow.policy) {
	case SHADOW_REFERENCE:
		return "reference";
	case SHADOW_SYNCED:
		return "synced";
	default:
		return "cached";
	}
}

/* A new policy empties every shadow (shadow_set_policy); the loaded root
 * keeps its top, so the CPU's CR3 stays, and with VPID the next entry
 * flushes (shadow_take_tlb_flush). */
void guest_set_shadow_policy(struct guest *g, enum shadow_policy policy)
{
	shadow_set_policy(&g->shadow, policy);
}

void guest_paging_report(const struct guest *g)
{
	char line[470]; /* within kprintf's 512 with the stamp and prefix */
	guest_paging_counters(g, line, sizeof(line));
	kprintf("shadow guest=%s %s\n", g->name, line);
	guest_sync_counters(g, line, sizeof(line));
	kprintf("shadow-sync guest=%s policy=%s %s\n", g->name, guest_shadow_policy(g), line);
}

void guest_page_fault(struct guest *g, u64 gva, u32 code)
{
	bool ac = vcpu_ops->read(&g->vcpu, VCPU_RFLAGS) & BIT(18);
	struct shadow_fault f;
	switch (shadow_page_fault(&g->shadow, gva, code, ac, &f)) {
	case SHADOW_FIXED:
		guest_sample_fault(g, &f); /* the sampling working-set estimator */
		return; /* the instruction runs again, now with a shadow entry */
	case SHADOW_INJECT:
		g->vcpu.cr2 = gva; /* the CR2 the guest's handler reads */
		guest_inject_exception(g, VEC_PF, true, f.error_code);
		return;
	case SHADOW_BAD_GPA:
		guest_end(g, "bad-memory-access");
		kprintf("guest %s: %s at gpa 0x%lx (gva 0x%lx, rip 0x%lx) is outside its %lu MiB "
			"of RAM\n",
			g->name, f.bad_table ? "a page table" : "an access", f.gpa, gva,
			guest_rip(g), g->mem.size >> 20);
		return;
	case SHADOW_WATCHED_WRITE:
		/* A page-table root Antfarm counts: perform the write for the
		 * guest (it stops the guest itself if it cannot). */
		guest_sample_fault(g, &f);
		guest_af_watched_write(g, gva, &f);
		return;
	default:
		guest_end(g, "shadow-fault-%d", f.kind);
		kprintf("guest %s: page fault at gva 0x%lx (code 0x%x, rip 0x%lx) that the shadow "
			"pager cannot handle (kind %d)\n",
			g->name, gva, code, guest_rip(g), f.kind);
		return;
	}
}

/* The guest's registers as cr_check.c wants them.  EFER.LMA is the one the
 * CPU runs with (the shadow's, shadow_real_efer()): g->efer keeps what the
 * guest last wrote, and LMA changes with CR0.PG without a write. */
static struct cr_regs cr_regs_of(struct guest *g)
{
	struct vcpu *v = &g->vcpu;
	return (struct cr_regs){
		.cr0 = g->cr0_shadow,
		.cr3 = g->shadow.paging.cr3,
		.cr4 = g->cr4_shadow,
		.efer = (g->efer & ~EFER_LMA) | (vcpu_ops->read(v, VCPU_EFER) & EFER_LMA),
		.cs_l = vcpu_ops->cs_long(v),
	};
}

static void refuse(struct guest *g, const char *what, u64 val, const char *why)
{
	kprintf("guest %s: %s 0x%lx at rip=0x%lx: %s: #GP injected\n", g->name, what, val,
		guest_rip(g), why);
	guest_inject_exception(g, VEC_GP, true, 0);
}

bool guest_write_cr(struct guest *g, int cr, u64 val)
{
	static const char *const what[] = { "MOV to CR0 of", NULL, NULL, "MOV to CR3 of",
					    "MOV to CR4 of" };
	struct cr_regs r = cr_regs_of(g);
	u64 v = val;
	const char *why = cr == 0   ? cr_check_cr0(&r, &v)
			  : cr == 3 ? cr_check_cr3(&r, GUEST_MAXPHYADDR, &v)
				    : cr_check_cr4(&r, vcpu_ops->cr4_allowed, &v);
	if (why) {
		refuse(g, what[cr], val, why);
		return false;
	}
	if (cr == 3) {
		u64 host_cr3 = shadow_cr3_load(&g->shadow, v);
		if (!host_cr3) {
			guest_end(g, "out-of-memory");
			return false;
		}
		vcpu_ops->write(&g->vcpu, VCPU_CR3, host_cr3);
		guest_af_cr3_load(g, v);
		guest_sample_cr3(g, v);
		return true;
	}
	u64 cr0 = cr == 0 ? v : g->cr0_shadow, cr4 = cr == 4 ? v : g->cr4_shadow;
	g->cr0_shadow = cr0;
	g->cr4_shadow = cr4;
	load_paging(g, cr0, g->shadow.paging.cr3, cr4, g->efer);
	return g->state == GUEST_RUNNING;
}

u64 guest_read_cr3(struct guest *g) { return g->shadow.paging.cr3; }

void guest_invlpg(struct guest *g, u64 gva) { shadow_invlpg(&g->shadow, gva); }

bool guest_write_efer(struct guest *g, u64 val)
{
	struct cr_regs r = cr_regs_of(g);
	u64 v = val;
	const char *why = cr_check_efer(&r, &v);
	if (why) {
		refuse(g, "WRMSR IA32_EFER of", val, why);
		return false;
	}
	g->efer = v;
	load_paging(g, g->cr0_shadow, g->shadow.paging.cr3, g->cr4_shadow, v);
	return g->state == GUEST_RUNNING;
}
