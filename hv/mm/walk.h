/*
 * walk.h - the guest page-table walker: what the CPU would do with the
 * guest's own page tables.
 *
 * Given the guest's paging registers (CR0, CR3, CR4, EFER) and a linear
 * address, walk_guest() reads the guest's paging structures from guest RAM
 * exactly as the MMU would (Intel SDM Vol. 3A chapter 4) and answers one of:
 *
 *   WALK_OK         the translation: guest-physical address, the effective
 *                   rights (R/W and U/S ANDed over the levels, XD ORed), the
 *                   size of the guest's page, global, memory type bits.  Like
 *                   the hardware it sets the accessed flag (A) in every
 *                   entry used and the dirty flag (D) in the final entry on a
 *                   write (SDM 4.8), in guest memory.
 *   WALK_FAULT      a #PF the guest itself would take, with the exact error
 *                   code (SDM 4.7).  No A or D flag is changed.
 *   WALK_BAD_TABLE  a paging structure lies outside guest RAM: not a #PF, the
 *                   guest pointed the MMU at memory it does not own.
 *
 * Paging modes: none (CR0.PG = 0), 32-bit, PAE and 4-level.  5-level paging
 * (CR4.LA57) and protection keys (CR4.PKE) are not modelled: hide them from
 * the guest in CPUID.  Choices where the SDM leaves room or the CPU differs:
 * 1 GiB pages and PSE-36 are always available; PAE PDPTEs are read at each
 * walk (the CPU latches them at MOV to CR3, and faults a reserved bit there
 * with #GP, here it is a RSVD #PF); a walk that faults sets no A flag (CPUs
 * may have set some on the way down).
 *
 * The walker is a pure function of guest memory and its arguments; the shadow
 * pager (shadow.h) calls it on every #PF exit, and instruction emulation can
 * call it to translate guest-virtual addresses.
 */
#ifndef FORMICA_MM_WALK_H
#define FORMICA_MM_WALK_H

#include "types.h"
#include "mm/gmem.h"

/* Paging-structure entry bits (SDM 4.3 to 4.5, tables 4-4 to 4-20). */
#define PTE_P BIT(0)     /* present */
#define PTE_RW BIT(1)    /* writes allowed */
#define PTE_US BIT(2)    /* user-mode accesses allowed */
#define PTE_PWT BIT(3)   /* page-level write-through */
#define PTE_PCD BIT(4)   /* page-level cache disable */
#define PTE_A BIT(5)     /* accessed */
#define PTE_D BIT(6)     /* dirty (final entry only) */
#define PTE_PS BIT(7)    /* page size: this PDE/PDPTE maps a large page */
#define PTE_PAT BIT(7)   /* in a 4 KiB PTE, bit 7 is the PAT bit instead */
#define PTE_G BIT(8)     /* global (final entry only, if CR4.PGE = 1) */
#define PTE_PAT_LARGE BIT(12) /* PAT bit of a 2 MiB / 4 MiB / 1 GiB page */
#define PTE_NX BIT(63)   /* execute-disable (XD), if EFER.NXE = 1 */

/* The physical-address field of a 64-bit entry (bits 51:12). */
#define PTE_ADDR 0x000ffffffffff000ull

/* #PF error code bits (SDM 4.7). */
#define PFEC_P BIT(0)    /* 0: not present; 1: protection or reserved-bit violation */
#define PFEC_W BIT(1)    /* the access was a write */
#define PFEC_U BIT(2)    /* the access was a user-mode access (CPL = 3) */
#define PFEC_RSVD BIT(3) /* a reserved bit was set in some paging-structure entry */
#define PFEC_I BIT(4)    /* the access was an instruction fetch (see walk.c for when) */

/* Control-register bits the walker reads (SDM 2.5, 2.2.1). */
#ifndef CR0_WP
#define CR0_WP BIT(16)
#endif
#ifndef CR0_PG
#define CR0_PG BIT(31)
#endif
#ifndef CR4_PSE
#define CR4_PSE BIT(4)
#endif
#ifndef CR4_PAE
#define CR4_PAE BIT(5)
#endif
#ifndef CR4_PGE
#define CR4_PGE BIT(7)
#endif
#ifndef CR4_SMEP
#define CR4_SMEP BIT(20)
#endif
#ifndef CR4_SMAP
#define CR4_SMAP BIT(21)
#endif
#ifndef EFER_LME
#define EFER_LME BIT(8)
#endif
#ifndef EFER_LMA
#define EFER_LMA BIT(10)
#endif
#ifndef EFER_NXE
#define EFER_NXE BIT(11)
#endif

enum paging_mode {
	PAGING_NONE,  /* CR0.PG = 0: linear address == physical address */
	PAGING_32,    /* 32-bit paging: CR4.PAE = 0 (SDM 4.3) */
	PAGING_PAE,   /* PAE paging: CR4.PAE = 1, EFER.LME = 0 (SDM 4.4) */
	PAGING_LONG4, /* 4-level paging: EFER.LMA = 1 (SDM 4.5) */
};

/*
 * The guest's paging registers, as the guest believes them to be (its CR0,
 * CR3, CR4, EFER, not the ones the hypervisor really loads).  Only the bits
 * that change what a walk does are kept.
 */
struct guest_paging {
	enum paging_mode mode;
	u64 cr3;        /* as the guest wrote it; the walker masks what it needs */
	bool wp;        /* CR0.WP: supervisor writes honour R/W */
	bool pse;       /* CR4.PSE: 4 MiB pages with 32-bit paging */
	bool pge;       /* CR4.PGE: the G bit means something */
	bool smep;      /* CR4.SMEP */
	bool smap;      /* CR4.SMAP */
	bool nxe;       /* EFER.NXE: bit 63 is XD (otherwise it is reserved) */
	u8 maxphyaddr;  /* the guest's CPUID.80000008H:EAX[7:0]; bits above are reserved */
};

/* Fill *pg from the guest's register values (EFER.LMA is recomputed from LME and PG). */
void guest_paging_from_regs(struct guest_paging *pg, u64 cr0, u64 cr3, u64 cr4, u64 efer,
			    u8 maxphyaddr);

/*
 * The access to translate: one of WALK_READ, WALK_WRITE, WALK_FETCH, ORed
 * with WALK_USER for a CPL 3 access.  These are the PFEC_W / PFEC_U / PFEC_I
 * bits on purpose: a hardware #PF error code masked with WALK_ACCESS_MASK is
 * a valid access.  Three more flags:
 *   WALK_AC        RFLAGS.AC = 1 (SMAP lets explicit supervisor accesses to
 *                  user pages through).
 *   WALK_IMPLICIT  an implicit supervisor access (GDT, IDT, TSS...): SMAP
 *                  applies whatever RFLAGS.AC says.
 *   WALK_PEEK      look only: do not set A or D (debugging, tests).
 */
#define WALK_READ 0u
#define WALK_WRITE ((u32)PFEC_W)
#define WALK_USER ((u32)PFEC_U)
#define WALK_FETCH ((u32)PFEC_I)
#define WALK_ACCESS_MASK (WALK_WRITE | WALK_USER | WALK_FETCH)
#define WALK_AC (1u << 29)
#define WALK_IMPLICIT (1u << 30)
#define WALK_PEEK (1u << 31)

enum walk_status {
	WALK_OK = 0,
	WALK_FAULT = 1,      /* the guest's own #PF: error_code, CR2 = the address */
	WALK_RETRY = 2,      /* an entry kept changing under us (another vCPU): run the access again */
	WALK_BAD_TABLE = -1, /* a paging structure is outside guest RAM: bad_gpa */
	WALK_BAD_ADDR = -2,  /* no such linear address in this mode (non-canonical: #GP, not #PF) */
};

struct walk_result {
	/* WALK_OK */
	u64 gpa;        /* guest-physical address of the byte at the linear address */
	u64 page_gpa;   /* the 4 KiB guest-physical page containing it */
	u64 page_size;  /* size of the guest's mapping: 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	bool rw;        /* writable: R/W = 1 at every level */
	bool us;        /* user page: U/S = 1 at every level */
	bool nx;        /* no fetch: XD = 1 at some level (always false if EFER.NXE = 0) */
	bool global;    /* G = 1 in the final entry and CR4.PGE = 1 */
	bool dirty;     /* D = 1 in the final entry, after this access */
	u64 memtype;    /* PTE_PWT | PTE_PCD | PTE_PAT of the final entry, at 4 KiB-PTE positions */
	/* WALK_FAULT */
	u32 error_code;
	/* WALK_BAD_TABLE */
	u64 bad_gpa;    /* guest-physical address of the entry that lies outside RAM */
	/* always: level of the final entry (1 = PTE, 2 = PDE...) or where the walk stopped */
	int level;
	/* WALK_OK: guest-physical address of the entry read at each level, from
	 * the top level down to `level` (index = level; the synced shadow policy
	 * write-protects the tables they lie in, hv/mm/synced.c) */
	u64 entry_gpa[5];
};

/* Translate gva for access; see the top of this file.  res is always written. */
enum walk_status walk_guest(const struct gmem *m, const struct guest_paging *pg, u64 gva,
			    u32 access, struct walk_result *res);

#endif
