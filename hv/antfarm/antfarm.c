/*
 * antfarm.c - process inference from address spaces: all of Antfarm's rules.
 *
 * Antfarm (Jones et al., USENIX ATC 2006) infers processes from what a
 * guest does to its page tables: the first load of a root not known to be
 * live is a creation, a load of a live root a context switch, and a root
 * whose user half has no present entry at the next TLB flush has exited.
 * Keeping that count exact needs every write to a live root (emulated in
 * hv/emu, reported here with the old and new entry).  Why each rule holds
 * on Linux, root reuse and generations, the exec-aware mode and the known
 * imprecisions: hv/antfarm/README.md.  Pure; the glue serializes calls.
 */
#include "types.h"
#include "string.h"
#include "antfarm/antfarm.h"

#define NONE 0xffff

enum { AF_SP_FREE = 0, AF_SP_LIVE = 1, AF_SP_DEAD = 2 };

#define SPF_PENDING BIT(0) /* exec-aware: its CREATE is held in pend[] */
#define SPF_EXITING BIT(1) /* exited in the flush being processed now */

_Static_assert(AF_MAX_SPACES < NONE, "record indices are u16");
_Static_assert(AF_HASH_SIZE > AF_MAX_SPACES, "hash is sparse");

/* ------------------------------------------------------------ the table */

static u32 hash_of(u64 asid)
{
	return (u32)(((asid >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ull) >> (64 - AF_HASH_BITS));
}

static struct af_space *lookup(const struct af *af, u64 asid)
{
	u16 i;

	for (i = af->hash[hash_of(asid)]; i != NONE; i = af->sp[i].hnext)
		if (af->sp[i].asid == asid)
			return (struct af_space *)&af->sp[i];
	return NULL;
}

static u16 idx_of(const struct af *af, const struct af_space *sp)
{
	return (u16)(sp - af->sp);
}

static void hash_insert(struct af *af, struct af_space *sp)
{
	u32 h = hash_of(sp->asid);

	sp->hnext = af->hash[h];
	af->hash[h] = idx_of(af, sp);
}

static void hash_remove(struct af *af, struct af_space *sp)
{
	u16 *link = &af->hash[hash_of(sp->asid)], me = idx_of(af, sp);

	while (*link != me)
		link = &af->sp[*link].hnext;
	*link = sp->hnext;
}

/*
 * A record is on at most one of three lists, linked through lprev/lnext:
 * the free list (FREE records), the dead FIFO (DEAD ones, oldest first,
 * recycled in that order) and the zero list (LIVE ones whose user half is
 * empty, in the order they emptied: the exits the next flush confirms).
 * A LIVE record with entries is on none.  The zero list is what keeps a
 * flush from visiting all AF_MAX_SPACES records: on Linux a flush with an
 * exit pending follows nearly every process exit.
 */
static void list_append(struct af *af, u16 *head, u16 *tail, struct af_space *sp)
{
	u16 me = idx_of(af, sp);

	sp->lnext = NONE;
	sp->lprev = *tail;
	if (*tail != NONE)
		af->sp[*tail].lnext = me;
	else
		*head = me;
	*tail = me;
}

static void list_unlink(struct af *af, u16 *head, u16 *tail, struct af_space *sp)
{
	if (sp->lprev != NONE)
		af->sp[sp->lprev].lnext = sp->lnext;
	else
		*head = sp->lnext;
	if (sp->lnext != NONE)
		af->sp[sp->lnext].lprev = sp->lprev;
	else
		*tail = sp->lprev;
}

static void dead_append(struct af *af, struct af_space *sp)
{
	list_append(af, &af->dead_head, &af->dead_tail, sp);
}

static void dead_unlink(struct af *af, struct af_space *sp)
{
	list_unlink(af, &af->dead_head, &af->dead_tail, sp);
}

/* sp, live, has just lost its last user entry: it exits at the next flush
 * unless it gets one back first. */
static void zero_append(struct af *af, struct af_space *sp, u64 tsc)
{
	af->nzero++;
	sp->cleared_tsc = tsc;
	list_append(af, &af->zero_head, &af->zero_tail, sp);
}

static void zero_unlink(struct af *af, struct af_space *sp)
{
	af->nzero--;
	list_unlink(af, &af->zero_head, &af->zero_tail, sp);
}

/* A record for a root never seen (or forgotten): a free one, else the
 * longest-dead one, whose generation the floor then covers. */
static struct af_space *alloc_record(struct af *af, u64 asid)
{
	struct af_space *sp;

	if (af->free_head != NONE) {
		sp = &af->sp[af->free_head];
		af->free_head = sp->lnext;
	} else if (af->dead_head != NONE) {
		sp = &af->sp[af->dead_head];
		dead_unlink(af, sp);
		hash_remove(af, sp);
		if (sp->gen + 1 > af->gen_floor)
			af->gen_floor = sp->gen + 1;
		af->st.evictions++;
	} else {
		return NULL;
	}
	memset(sp, 0, sizeof(*sp));
	sp->asid = asid;
	sp->gen = af->gen_floor;
	hash_insert(af, sp);
	return sp;
}

/* ------------------------------------------------------------ events */

static void emit(struct af *af, enum af_event_kind kind, u64 tsc, u32 vcpu, u64 asid, u32 gen,
		 u64 prev_asid, u32 prev_gen, u64 cleared_tsc)
{
	struct af_event ev;

	switch (kind) {
	case AF_EV_CREATE: af->live++; af->st.creates++; break;
	case AF_EV_EXIT: af->live--; af->st.exits++; break;
	case AF_EV_SWITCH: af->st.switches++; break;
	case AF_EV_EXEC: af->st.execs++; break;
	case AF_EV_TABLE_FULL: break;
	}
	if (!af->ops.event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.tsc = tsc;
	ev.kind = kind;
	ev.vcpu = vcpu;
	ev.asid = asid;
	ev.gen = gen;
	ev.prev_asid = prev_asid;
	ev.prev_gen = prev_gen;
	ev.cleared_tsc = cleared_tsc;
	ev.live = af->live;
	af->ops.event(af->ops.ctx, &ev);
}

/* ------------------------------------------------------------ exec-aware */

static void pending_remove(struct af *af, struct af_pending *p)
{
	struct af_space *sp = lookup(af, p->asid);

	if (sp && sp->gen == p->gen)
		sp->flags &= ~SPF_PENDING;
	*p = af->pend[--af->npending];
}

/* O's exit was held; now it is emitted or consumed.  If O went in the
 * flush being processed, flush_exits() must not emit it again. */
static void settle_held_exit(struct af *af, u64 asid, u32 gen)
{
	struct af_space *sp = lookup(af, asid);

	if (sp && sp->gen == gen && sp->state == AF_SP_DEAD)
		sp->flags &= ~SPF_EXITING;
}

/* p's O exited and its EXIT was held for p: emit it, unless another
 * candidate still waits on the same O (that one will). */
static void release_held_exit(struct af *af, const struct af_pending *p)
{
	u32 i;

	for (i = 0; i < af->npending; i++) {
		const struct af_pending *q = &af->pend[i];

		if (q != p && q->from_exited && q->from_asid == p->from_asid &&
		    q->from_gen == p->from_gen)
			return;
	}
	emit(af, AF_EV_EXIT, p->from_exit_tsc, p->from_exit_vcpu, p->from_asid, p->from_gen, 0, 0,
	     p->from_cleared_tsc);
	settle_held_exit(af, p->from_asid, p->from_gen);
}

static void resolve_create(struct af *af, struct af_pending *p)
{
	emit(af, AF_EV_CREATE, p->create_tsc, p->vcpu, p->asid, p->gen, 0, 0, 0);
	if (p->from_exited)
		release_held_exit(af, p);
	pending_remove(af, p);
}

/* N replaced O: one process, so no CREATE and no EXIT, and O cannot be
 * replaced twice: other candidates from O fall back to plain creations. */
static void resolve_exec(struct af *af, struct af_pending *p)
{
	u32 i;

	emit(af, AF_EV_EXEC, p->create_tsc, p->vcpu, p->asid, p->gen, p->from_asid, p->from_gen, 0);
	settle_held_exit(af, p->from_asid, p->from_gen);
	for (i = 0; i < af->npending; i++) {
		struct af_pending *q = &af->pend[i];

		if (q != p && q->from_asid == p->from_asid && q->from_gen == p->from_gen) {
			q->from_asid = 0;
			q->from_exited = false;
		}
	}
	pending_remove(af, p);
}

static void resolve(struct af *af, struct af_pending *p)
{
	if (p->from_exited)
		resolve_exec(af, p);
	else
		resolve_create(af, p);
}

static struct af_pending *pending_of(struct af *af, u64 asid, u32 gen)
{
	u32 i;

	for (i = 0; i < af->npending; i++)
		if (af->pend[i].asid == asid && af->pend[i].gen == gen)
			return &af->pend[i];
	return NULL;
}

/* O = sp has exited: tell the candidates that may have replaced it. */
static void mark_from_exited(struct af *af, const struct af_space *sp, u64 tsc, u32 vcpu)
{
	u32 i;

	for (i = 0; i < af->npending; i++) {
		struct af_pending *p = &af->pend[i];

		if (p->from_asid == sp->asid && p->from_gen == sp->gen) {
			p->from_exited = true;
			p->from_exit_tsc = tsc;
			p->from_exit_vcpu = vcpu;
			p->from_cleared_tsc = sp->cleared_tsc;
		}
	}
}

/* Is sp's EXIT held back for a candidate that may have replaced it? */
static bool exit_held(const struct af *af, const struct af_space *sp)
{
	u32 i;

	for (i = 0; i < af->npending; i++)
		if (af->pend[i].from_asid == sp->asid && af->pend[i].from_gen == sp->gen)
			return true;
	return false;
}

/*
 * The evidence a load of root by task hint gives about waiting candidates;
 * cur is what the vCPU had loaded until now.  Only a load away from N
 * shows h running in N: a reload of N's own root is a TLB flush that may
 * come before O's teardown is finished.
 */
static void pending_evidence(struct af *af, const struct af_vcpu *cur, u64 root, u64 hint,
			     u64 tsc)
{
	u32 i = 0;

	while (i < af->npending) {
		struct af_pending *p = &af->pend[i];
		bool by_h = hint && hint == p->hint && cur->process;

		if (by_h && cur->asid == p->from_asid && cur->gen == p->from_gen) {
			resolve_create(af, p); /* h still runs in O */
			continue;              /* pend[i] is now another entry */
		}
		if (by_h && cur->asid == p->asid && cur->gen == p->gen && root != p->asid) {
			resolve(af, p); /* h ran in N: exec iff O is gone */
			continue;
		}
		/* tsc > create_tsc: vCPUs' TSCs may disagree a little. */
		if (af->exec_window && tsc > p->create_tsc && tsc - p->create_tsc >= af->exec_window) {
			resolve(af, p);
			continue;
		}
		i++;
	}
}

/* ------------------------------------------------------------ the rules */

/*
 * A TLB flush: every live address space whose user half is empty has
 * exited.  In passes, so that when an exec's old and new address spaces go
 * in the same flush, the old one's exit is known before the new one is
 * judged, whatever their order in the table: (1) mark them all exited,
 * (2) decide the waiting candidates among them, (3) emit the exits that are
 * neither held for a candidate nor already emitted or consumed by (2).
 */
static void flush_exits(struct af *af, u64 tsc, u32 vcpu)
{
	u16 i, next, first = NONE;

	/* The zero list moves, in its order, to the dead FIFO's tail: from
	 * first on, the FIFO holds this flush's exits (passes 2 and 3 add or
	 * remove no record). */
	for (i = af->zero_head; i != NONE; i = next) {
		struct af_space *sp = &af->sp[i];

		next = sp->lnext;
		sp->state = AF_SP_DEAD;
		sp->flags |= SPF_EXITING;
		af->st.spaces_exited++;
		af->ops.unwatch(af->ops.ctx, sp->asid);
		dead_append(af, sp);
		if (first == NONE)
			first = i;
		mark_from_exited(af, sp, tsc, vcpu);
	}
	af->zero_head = af->zero_tail = NONE;
	af->nzero = 0;
	af->full_reported = false;
	if (af->npending) {
		for (i = first; i != NONE; i = af->sp[i].lnext) {
			struct af_space *sp = &af->sp[i];
			struct af_pending *p;

			if ((sp->flags & (SPF_EXITING | SPF_PENDING)) != (SPF_EXITING | SPF_PENDING))
				continue;
			p = pending_of(af, sp->asid, sp->gen);
			if (p)
				resolve(af, p);
		}
	}
	for (i = first; i != NONE; i = af->sp[i].lnext) {
		struct af_space *sp = &af->sp[i];

		if (!(sp->flags & SPF_EXITING))
			continue;
		sp->flags &= ~SPF_EXITING;
		if (!exit_held(af, sp))
			emit(af, AF_EV_EXIT, tsc, vcpu, sp->asid, sp->gen, 0, 0, sp->cleared_tsc);
	}
}

/* Is the root the vCPU has loaded a live process, the same generation? */
static bool cur_is_live(const struct af *af, const struct af_vcpu *cur)
{
	const struct af_space *sp;

	if (!cur->process)
		return false;
	sp = lookup(af, cur->asid);
	return sp && sp->state == AF_SP_LIVE && sp->gen == cur->gen;
}

/* The vCPU now runs a root that is no tracked process. */
static void load_untracked(struct af_vcpu *cur, u64 root)
{
	cur->asid = root;
	cur->gen = 0;
	cur->process = false;
}

static void create(struct af *af, struct af_space *sp, u32 vcpu, u64 root, u64 tsc, u64 hint)
{
	struct af_vcpu *cur = &af->cpu[vcpu];
	struct af_space *from;
	int n;

	/* Watch first, count second: a write between the two would otherwise
	 * slip past the count. */
	if (!af->ops.watch(af->ops.ctx, root)) {
		af->st.watch_failed++;
		load_untracked(cur, root);
		return;
	}
	n = af->ops.count_user(af->ops.ctx, root);
	if (n <= 0 || n > AF_USER_ENTRIES) {
		af->ops.unwatch(af->ops.ctx, root);
		if (n > AF_USER_ENTRIES)
			af->st.anomalies++;
		else
			af->st.kernel_loads++;
		load_untracked(cur, root);
		return;
	}

	if (sp) { /* a dead root page reused: a new generation */
		dead_unlink(af, sp);
		sp->gen++;
	} else {
		sp = alloc_record(af, root);
		if (!sp) {
			af->ops.unwatch(af->ops.ctx, root);
			af->st.table_full++;
			if (!af->full_reported) {
				af->full_reported = true;
				emit(af, AF_EV_TABLE_FULL, tsc, vcpu, root, 0, 0, 0, 0);
			}
			load_untracked(cur, root);
			return;
		}
	}
	sp->state = AF_SP_LIVE;
	sp->flags = 0;
	sp->count = (u16)n;
	sp->created_tsc = tsc;
	sp->cleared_tsc = 0;
	af->st.spaces_created++;

	from = cur->process ? lookup(af, cur->asid) : NULL;
	if ((af->flags & AF_EXEC_AWARE) && hint && from && from->state == AF_SP_LIVE &&
	    from->gen == cur->gen && from != sp && af->npending < AF_MAX_PENDING) {
		struct af_pending *p = &af->pend[af->npending++];

		memset(p, 0, sizeof(*p));
		p->asid = root;
		p->gen = sp->gen;
		p->from_asid = from->asid;
		p->from_gen = from->gen;
		p->hint = hint;
		p->create_tsc = tsc;
		p->vcpu = vcpu;
		sp->flags |= SPF_PENDING;
	} else {
		emit(af, AF_EV_CREATE, tsc, vcpu, root, sp->gen, 0, 0, 0);
	}
	cur->asid = root;
	cur->gen = sp->gen;
	cur->process = true;
}

void af_cr3_load(struct af *af, u32 vcpu, u64 cr3, u64 now_tsc, u64 task_hint)
{
	u64 root = cr3 & AF_CR3_ADDR_MASK;
	struct af_space *sp;
	struct af_vcpu *cur;
	int n;

	if (vcpu >= AF_MAX_VCPUS) {
		af->st.anomalies++;
		return;
	}
	cur = &af->cpu[vcpu];
	af->st.cr3_loads++;

	if (!(cr3 & AF_CR3_NOFLUSH) && af->nzero)
		flush_exits(af, now_tsc, vcpu);
	if (af->npending)
		pending_evidence(af, cur, root, task_hint, now_tsc);

	sp = lookup(af, root);
	if (sp && sp->state == AF_SP_LIVE) {
		bool from_live = cur_is_live(af, cur);

		if (from_live && cur->asid == root) {
			af->st.reloads++;
			return;
		}
		/* prev: the process this vCPU ran, if it still exists (a vCPU
		 * can hold a root lazily past its exit). */
		emit(af, AF_EV_SWITCH, now_tsc, vcpu, root, sp->gen, from_live ? cur->asid : 0,
		     from_live ? cur->gen : 0, 0);
		cur->asid = root;
		cur->gen = sp->gen;
		cur->process = true;
		return;
	}

	/* Not a live address space: the kernel's root, or a creation.  A
	 * cheap first count keeps init_mm's loads away from watch/unwatch. */
	n = af->ops.count_user(af->ops.ctx, root);
	if (n < 0) {
		af->st.unreadable++;
		load_untracked(cur, root);
		return;
	}
	if (n == 0) {
		af->st.kernel_loads++;
		load_untracked(cur, root);
		return;
	}
	create(af, sp, vcpu, root, now_tsc, task_hint);
}

void af_root_write(struct af *af, u64 root_gpa, u32 index, u64 old_pte, u64 new_pte,
		   u64 now_tsc)
{
	struct af_space *sp;
	bool was = old_pte & AF_PTE_PRESENT, is = new_pte & AF_PTE_PRESENT;

	if (index >= 512) {
		af->st.anomalies++;
		return;
	}
	if (index >= AF_USER_ENTRIES)
		return; /* the kernel half: not a process's mappings */
	af->st.root_writes++;
	sp = lookup(af, root_gpa & AF_CR3_ADDR_MASK);
	if (!sp || sp->state != AF_SP_LIVE) {
		af->st.stale_writes++;
		return;
	}
	if (was == is)
		return;
	if (is) {
		if (sp->count >= AF_USER_ENTRIES) {
			af->st.anomalies++;
			return;
		}
		if (sp->count++ == 0)
			zero_unlink(af, sp); /* refilled before any flush: it never exited */
	} else {
		if (sp->count == 0) {
			af->st.anomalies++; /* never below zero */
			return;
		}
		if (--sp->count == 0)
			zero_append(af, sp, now_tsc);
	}
}

/*
 * The paper's premise is that an OS clears a root before it reuses the
 * page.  Linux keeps it for the roots it tears down, but not for a root it
 * simply stops using: the decompressor's page tables, for one, become
 * ordinary kernel memory with their user entries still in place.  When the
 * glue sees such a page written by an instruction page-table code never
 * uses, the page is evidently no root any more: we count the space as
 * emptied now, and it exits at the next flush like any other.
 */
void af_root_abandon(struct af *af, u64 root_gpa, u64 now_tsc)
{
	struct af_space *sp = lookup(af, root_gpa & AF_CR3_ADDR_MASK);

	if (!sp || sp->state != AF_SP_LIVE)
		return;
	af->st.abandoned++;
	if (sp->count) {
		sp->count = 0;
		zero_append(af, sp, now_tsc);
	}
}

/* ------------------------------------------------------------ the rest */

void af_init(struct af *af, const struct af_ops *ops, u32 flags, u64 exec_window_tsc)
{
	u32 i;

	memset(af, 0, sizeof(*af));
	af->ops = *ops;
	af->flags = flags;
	af->exec_window = exec_window_tsc;
	for (i = 0; i < AF_HASH_SIZE; i++)
		af->hash[i] = NONE;
	for (i = 0; i < AF_MAX_SPACES; i++) {
		af->sp[i].state = AF_SP_FREE;
		af->sp[i].hnext = NONE;
		af->sp[i].lprev = NONE;
		af->sp[i].lnext = i + 1 < AF_MAX_SPACES ? (u16)(i + 1) : NONE;
	}
	af->free_head = 0;
	af->dead_head = af->dead_tail = NONE;
	af->zero_head = af->zero_tail = NONE;
}

/*
 * Inference switched off at run time (the hv's mark port, for measuring
 * what inference costs): stop watching every live root and forget the
 * table.  The counters stay, and so do the generations: the floor rises
 * above every generation known, so (asid, gen) still never repeats.  When
 * inference is on again, each root counts afresh from its next load, as a
 * creation.
 */
void af_forget_all(struct af *af)
{
	struct af_ops ops = af->ops;
	struct af_stats st = af->st;
	u32 flags = af->flags, floor = af->gen_floor, i;
	u64 window = af->exec_window;

	for (i = 0; i < AF_MAX_SPACES; i++) {
		if (af->sp[i].state == AF_SP_LIVE)
			ops.unwatch(ops.ctx, af->sp[i].asid);
		if (af->sp[i].state != AF_SP_FREE && af->sp[i].gen + 1 > floor)
			floor = af->sp[i].gen + 1;
	}
	st.forgotten += af->live;
	af_init(af, &ops, flags, window);
	af->st = st;
	af->gen_floor = floor;
}

u32 af_count_user(const u64 *pml4)
{
	u32 i, n = 0;

	for (i = 0; i < AF_USER_ENTRIES; i++)
		n += pml4[i] & AF_PTE_PRESENT;
	return n;
}

bool af_is_watched(const struct af *af, u64 root_gpa)
{
	const struct af_space *sp = lookup(af, root_gpa & AF_CR3_ADDR_MASK);

	return sp && sp->state == AF_SP_LIVE;
}

bool af_current(const struct af *af, u32 vcpu, u64 *asid, u32 *gen)
{
	const struct af_vcpu *cur;

	if (vcpu >= AF_MAX_VCPUS || !cur_is_live(af, &af->cpu[vcpu]))
		return false;
	cur = &af->cpu[vcpu];
	*asid = cur->asid;
	*gen = cur->gen;
	return true;
}
