/*
 * antfarm.h - inferring a guest's processes from its address spaces
 * (Jones, Arpaci-Dusseau, Arpaci-Dusseau, "Antfarm: Tracking Processes in a
 * Virtual Machine Environment", USENIX ATC 2006).
 *
 * One struct af per guest: a pure state machine fed by two events the
 * paging core sees anyway, a guest CR3 load and a write to a watched PML4
 * page.  It answers with process events (create, exit, context switch, and
 * in exec-aware mode exec) through a callback, and tells the paging core
 * which root pages to watch.  The rules and the reasons for them are in
 * the top comment of antfarm.c; this header is the interface.
 *
 * Calling convention for the glue (one lock per guest around every call:
 * the engine is not reentrant, and a watched page's count must not change
 * between af_cr3_load()'s read of it and the watch taking effect):
 *
 *   - on every guest MOV to CR3 (exit reason 28) made with 4-level paging
 *     on (CR0.PG = 1, EFER.LMA = 1; the boot code's loads before that are
 *     not PML4 switches), next to shadow_cr3_load():
 *         af_cr3_load(af, vcpu, new_cr3, rdtsc(), task_hint);
 *     task_hint is GUEST_RSP & ~(THREAD_SIZE - 1) (Linux x86-64: 16 KiB,
 *     32 KiB with KASAN), or 0 when the glue has none (then exec-aware mode
 *     is inert).  Loads made from an IRQ stack (the lazy-TLB IPI switching
 *     to init_mm) carry that stack's hint; that is harmless, since no task
 *     runs there and those loads never create a process.
 *   - on every emulated write to a watched page (emu/emulate.h's
 *     write_qword reports old and new), for each 8-byte entry written:
 *         af_root_write(af, page_gpa, index, old, new, rdtsc());
 *     Writes to the kernel half (index 256..511) may be passed or not.
 *   - ops.watch/ops.unwatch start and stop that reporting for a root page
 *     (shadow_watch/shadow_unwatch; a refused watch, e.g. SHADOW_ENOSPC,
 *     leaves that root untracked and counted in st.watch_failed);
 *     ops.count_user counts present entries among PML4[0..255] of a page
 *     (af_count_user() does it given a pointer to the page).
 */
#ifndef FORMICA_ANTFARM_H
#define FORMICA_ANTFARM_H

#include "types.h"

#define AF_MAX_SPACES 1024  /* address-space records per guest, live and remembered */
#define AF_MAX_VCPUS 16
#define AF_MAX_PENDING 16   /* exec-aware: creations awaiting their verdict */
#define AF_HASH_BITS 11
#define AF_HASH_SIZE (1u << AF_HASH_BITS) /* buckets; more than AF_MAX_SPACES */
#define AF_USER_ENTRIES 256 /* PML4 entries 0..255 map linear bit 47 = 0: user space */

/* CR3 with 4-level paging: bits 51:12 are the PML4 address; 11:0 are PCID
 * or PWT/PCD; bit 63 (with CR4.PCIDE) asks the CPU not to flush (SDM Vol.
 * 3A, 4.5.2 and 4.10.4.1). */
#define AF_CR3_ADDR_MASK 0x000ffffffffff000ull
#define AF_CR3_NOFLUSH BIT(63)
#define AF_PTE_PRESENT BIT(0)

enum af_event_kind {
	AF_EV_CREATE,     /* a new process (address space) */
	AF_EV_EXIT,       /* it is gone */
	AF_EV_SWITCH,     /* a context switch into a live address space */
	AF_EV_EXEC,       /* exec-aware: asid replaced prev_asid for the same task */
	AF_EV_TABLE_FULL, /* no record left: asid is not tracked (once per episode) */
};

struct af_event {
	u64 tsc;   /* when it happened (CREATE/EXEC: the CR3 load of the new root;
		    * EXIT: the CR3 load that confirmed it) */
	enum af_event_kind kind;
	u32 vcpu;  /* the vCPU of that CR3 load */
	u64 asid;  /* the root's guest-physical address */
	u32 gen;   /* generation: how often this root page has been reused */
	u64 prev_asid; /* SWITCH: the process switched from (0: none, kernel root);
			* EXEC: the address space the exec replaced */
	u32 prev_gen;
	u64 cleared_tsc; /* EXIT: when the last user entry was cleared */
	u32 live;  /* processes alive after this event */
};

struct af_ops {
	void (*event)(void *ctx, const struct af_event *ev);
	/* Report writes to the page at root_gpa from now on.  false if the
	 * paging core cannot (then the address space is not tracked). */
	bool (*watch)(void *ctx, u64 root_gpa);
	void (*unwatch)(void *ctx, u64 root_gpa);
	/* Present entries among PML4[0..255] of the page at root_gpa; negative
	 * if the page is not guest RAM. */
	int (*count_user)(void *ctx, u64 root_gpa);
	void *ctx;
};

/* af_init() flags */
#define AF_EXEC_AWARE BIT(0) /* count an exec's new address space as the same process */

struct af_stats {
	u64 cr3_loads;      /* every af_cr3_load() */
	u64 spaces_created; /* address spaces that appeared (the paper's "Addr Spc Create") */
	u64 spaces_exited;
	u64 creates;        /* CREATE events (= spaces_created - execs once all are resolved) */
	u64 exits;          /* EXIT events */
	u64 execs;          /* EXEC events */
	u64 switches;       /* SWITCH events */
	u64 reloads;        /* a CR3 load of the root already loaded on that vCPU: a flush */
	u64 kernel_loads;   /* loads of a root with no user entries (init_mm's) */
	u64 unreadable;     /* loads of a root outside guest RAM */
	u64 root_writes;    /* user-half entry writes reported */
	u64 stale_writes;   /* writes reported for a page that is not a live root */
	u64 abandoned;      /* roots the guest reused as plain memory (af_root_abandon) */
	u64 anomalies;      /* a count would have left 0..256, or a bad index/vCPU */
	u64 table_full;     /* creations refused for lack of a record */
	u64 watch_failed;
	u64 evictions;      /* remembered (exited) records recycled */
	u64 forgotten;      /* live processes dropped by af_forget_all():
			     * live == creates - exits - forgotten */
};

/* ---- private state, in the header only so callers can embed it ---- */

struct af_space {
	u64 asid;
	u64 created_tsc;
	u64 cleared_tsc;
	u32 gen;
	u16 count;  /* present user entries, exact while LIVE */
	u8 state;   /* AF_SP_FREE, AF_SP_LIVE, AF_SP_DEAD */
	u8 flags;
	u16 hnext;  /* hash chain */
	u16 lprev, lnext; /* free list or the FIFO of dead records */
};

struct af_vcpu {
	u64 asid;      /* root loaded now (0: none yet) */
	u32 gen;
	bool process;  /* that root was a tracked process at its load */
};

struct af_pending {
	u64 asid, from_asid, hint, create_tsc, from_exit_tsc, from_cleared_tsc;
	u32 gen, from_gen, vcpu, from_exit_vcpu;
	bool from_exited;
};

struct af {
	struct af_ops ops;
	u32 flags;
	u64 exec_window;
	u32 live;
	u32 nzero;         /* live records with count 0: exits awaiting a flush */
	u32 gen_floor;     /* above every generation the table has forgotten */
	bool full_reported;
	u16 free_head;
	u16 dead_head, dead_tail;
	u16 zero_head, zero_tail; /* live records with count 0, in the order they emptied */
	u32 npending;
	struct af_stats st;
	u16 hash[AF_HASH_SIZE];
	struct af_vcpu cpu[AF_MAX_VCPUS];
	struct af_pending pend[AF_MAX_PENDING];
	struct af_space sp[AF_MAX_SPACES];
};

/* ---- interface ---- */

/*
 * af_init() sets up all of *af, zeroed or not (about 46 KiB: embed it
 * in the guest's structure or take it from pmm pages).
 * flags: 0 for the paper's rules, AF_EXEC_AWARE for the exec-aware mode.
 * exec_window_tsc: exec-aware mode only; how long a creation may wait for
 * the evidence that decides whether it was an exec (0: no limit).  Most
 * waits end at the creating task's next switch; 50 ms of TSC is a sensible
 * bound (us_to_tsc(50000)).
 */
void af_init(struct af *af, const struct af_ops *ops, u32 flags, u64 exec_window_tsc);

/* The guest loaded cr3 on vcpu (raw value: PCID and flag bits are masked
 * here).  task_hint identifies the guest task doing the load, 0 if unknown. */
void af_cr3_load(struct af *af, u32 vcpu, u64 cr3, u64 now_tsc, u64 task_hint);

/* The guest changed 8-byte entry index (0..511) of the watched page root_gpa
 * from old_pte to new_pte. */
void af_root_write(struct af *af, u64 root_gpa, u32 index, u64 old_pte, u64 new_pte,
		   u64 now_tsc);

/* Present entries among the 256 user entries of a PML4 page. */
u32 af_count_user(const u64 *pml4);
/* The guest wrote root_gpa's page with an instruction no page-table code
 * uses: it is plain memory now.  The space counts as emptied at now_tsc and
 * exits at the next flush; the caller stops watching the page at once. */
void af_root_abandon(struct af *af, u64 root_gpa, u64 now_tsc);

/* Stop watching every live root and forget them all (counters and
 * generations are kept): inference switched off at run time. */
void af_forget_all(struct af *af);

/* Is root_gpa a live, watched root? */
bool af_is_watched(const struct af *af, u64 root_gpa);

/* The process whose address space vcpu has loaded: false if none (kernel
 * root, untracked, or gone).  This is how the I/O path names a requester;
 * kernel threads run on a borrowed CR3, so their I/O lands on whichever
 * process ran last on that vCPU. */
bool af_current(const struct af *af, u32 vcpu, u64 *asid, u32 *gen);

static inline u32 af_live(const struct af *af)
{
	return af->live;
}

/* Live address spaces whose user half is empty: exits the next TLB flush
 * will confirm.  A measurement window that ends before that flush still
 * owns these exits (tools/antfarm/README.md, "What a window counts"). */
static inline u32 af_emptied(const struct af *af)
{
	return af->nzero;
}

#endif
