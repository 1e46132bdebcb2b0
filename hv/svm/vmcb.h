/*
 * vmcb.h - the Virtual Machine Control Block, AMD's counterpart of the VMCS
 * (AMD64 APM Vol. 2, 15.5 and Appendix B).
 *
 * Unlike the VMCS, the VMCB is plain memory with a documented layout: the
 * hypervisor reads and writes its fields directly, no VMREAD/VMWRITE.  One
 * 4 KiB page: the control area (intercepts, event injection, exit
 * information) at 0x000, the state save area (the guest's registers) at
 * 0x400.  Field names follow Appendix B; every field is naturally aligned,
 * so no packing is needed, and the offsets are checked below.
 */
#ifndef FORMICA_VMCB_H
#define FORMICA_VMCB_H

#include "types.h"

/* A segment register in the save area: attrib packs the descriptor's
 * type, S, DPL, P (bits 7:0) and AVL, L, D/B, G (bits 11:8). */
struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
};

struct vmcb {
	/* ---- control area (Table B-1) */
	u16 intercept_cr_read;   /* 0x000: bit n = MOV from CRn */
	u16 intercept_cr_write;  /* 0x002: bit n = MOV to CRn */
	u16 intercept_dr_read;   /* 0x004 */
	u16 intercept_dr_write;  /* 0x006 */
	u32 intercept_exceptions; /* 0x008: bit n = exception vector n */
	u32 intercept_misc1;     /* 0x00c: SVM_INTERCEPT_* (vector 3) */
	u32 intercept_misc2;     /* 0x010: SVM_INTERCEPT2_* (vector 4) */
	u8 reserved_014[0x03c - 0x014];
	u16 pause_filter_threshold; /* 0x03c */
	u16 pause_filter_count;  /* 0x03e */
	u64 iopm_base_pa;        /* 0x040: I/O permission map, 12 KiB */
	u64 msrpm_base_pa;       /* 0x048: MSR permission map, 8 KiB */
	u64 tsc_offset;          /* 0x050 */
	u32 guest_asid;          /* 0x058 */
	u8 tlb_control;          /* 0x05c: TLB_CONTROL_* */
	u8 reserved_05d[3];
	u32 v_intr;              /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING */
	u32 v_intr_vector;       /* 0x064 */
	u64 interrupt_shadow;    /* 0x068: bit 0: in an STI/MOV SS shadow */
	u64 exitcode;            /* 0x070 */
	u64 exitinfo1;           /* 0x078 */
	u64 exitinfo2;           /* 0x080 */
	u64 exitintinfo;         /* 0x088: the event whose delivery the exit interrupted */
	u64 np_enable;           /* 0x090 */
	u8 reserved_098[0x0a8 - 0x098];
	u64 eventinj;            /* 0x0a8: the event to inject at VMRUN */
	u64 n_cr3;               /* 0x0b0 */
	u64 lbr_virtualization;  /* 0x0b8 */
	u32 vmcb_clean;          /* 0x0c0 */
	u32 reserved_0c4;
	u64 nrip;                /* 0x0c8: next RIP (if NRIPS) */
	u8 insn_bytes_fetched;   /* 0x0d0 (decode assists) */
	u8 insn_bytes[15];
	u8 reserved_0e0[0x400 - 0x0e0];

	/* ---- state save area (Table B-2) */
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x45f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x49f */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;                  /* 0x4cb */
	u32 reserved_4cc;
	u64 efer;                /* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;                 /* 0x548 */
	u64 cr3;                 /* 0x550 */
	u64 cr0;                 /* 0x558 */
	u64 dr7;                 /* 0x560 */
	u64 dr6;                 /* 0x568 */
	u64 rflags;              /* 0x570 */
	u64 rip;                 /* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;                 /* 0x5d8 */
	u8 reserved_5e0[0x5f8 - 0x5e0];
	u64 rax;                 /* 0x5f8 */
	u64 star;                /* 0x600 */
	u64 lstar;               /* 0x608 */
	u64 cstar;               /* 0x610 */
	u64 sfmask;              /* 0x618 */
	u64 kernel_gs_base;      /* 0x620 */
	u64 sysenter_cs;         /* 0x628 */
	u64 sysenter_esp;        /* 0x630 */
	u64 sysenter_eip;        /* 0x638 */
	u64 cr2;                 /* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;               /* 0x668 */
	u64 dbgctl;              /* 0x670 */
	u8 reserved_678[0x1000 - 0x678];
};

_Static_assert(__builtin_offsetof(struct vmcb, iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, guest_asid) == 0x058, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, exitcode) == 0x070, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, eventinj) == 0x0a8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, nrip) == 0x0c8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, es) == 0x400, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, tr) == 0x490, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, efer) == 0x4d0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, rip) == 0x578, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, rax) == 0x5f8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB is one page");

/* intercept_misc1 (control area 0x00c) */
#define SVM_INTERCEPT_INTR BIT(0)
#define SVM_INTERCEPT_NMI BIT(1)
#define SVM_INTERCEPT_SMI BIT(2)
#define SVM_INTERCEPT_INIT BIT(3)
#define SVM_INTERCEPT_VINTR BIT(4)
#define SVM_INTERCEPT_CPUID BIT(18)
#define SVM_INTERCEPT_INVD BIT(22)
#define SVM_INTERCEPT_PAUSE BIT(23)
#define SVM_INTERCEPT_HLT BIT(24)
#define SVM_INTERCEPT_INVLPG BIT(25)
#define SVM_INTERCEPT_INVLPGA BIT(26)
#define SVM_INTERCEPT_IOIO_PROT BIT(27)
#define SVM_INTERCEPT_MSR_PROT BIT(28)
#define SVM_INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 (control area 0x010) */
#define SVM_INTERCEPT2_VMRUN BIT(0) /* must be set, or VMRUN fails */
#define SVM_INTERCEPT2_VMMCALL BIT(1)
#define SVM_INTERCEPT2_VMLOAD BIT(2)
#define SVM_INTERCEPT2_VMSAVE BIT(3)
#define SVM_INTERCEPT2_STGI BIT(4)
#define SVM_INTERCEPT2_CLGI BIT(5)
#define SVM_INTERCEPT2_SKINIT BIT(6)
#define SVM_INTERCEPT2_RDTSCP BIT(7)
#define SVM_INTERCEPT2_WBINVD BIT(9)
#define SVM_INTERCEPT2_MONITOR BIT(10)
#define SVM_INTERCEPT2_MWAIT BIT(11)

/* tlb_control */
#define TLB_CONTROL_DO_NOTHING 0
#define TLB_CONTROL_FLUSH_ALL 1   /* every ASID: the only one without FlushByAsid */
#define TLB_CONTROL_FLUSH_ASID 3  /* this guest's ASID (FlushByAsid) */

/* v_intr (control area 0x060) */
#define V_IRQ BIT(8)
#define V_INTR_PRIO(p) ((u32)(p) << 16)
#define V_IGN_TPR BIT(20)
#define V_INTR_MASKING BIT(24)

/* eventinj and exitintinfo (15.20): vector 7:0, type 10:8, EV 11, V 31,
 * error code 63:32. */
#define EVENTINJ_TYPE_INTR (0u << 8)
#define EVENTINJ_TYPE_NMI (2u << 8)
#define EVENTINJ_TYPE_EXCEPTION (3u << 8)
#define EVENTINJ_TYPE_SOFT_INT (4u << 8)
#define EVENTINJ_TYPE_MASK (7u << 8)
#define EVENTINJ_EV BIT(11)
#define EVENTINJ_VALID BIT(31)

/* Exit codes (Appendix C) */
#define SVM_EXIT_READ_CR0 0x00
#define SVM_EXIT_WRITE_CR0 0x10
#define SVM_EXIT_EXCP_BASE 0x40
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_SMI 0x62
#define SVM_EXIT_INIT 0x63
#define SVM_EXIT_VINTR 0x64
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_INVD 0x76
#define SVM_EXIT_PAUSE 0x77
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_INVLPG 0x79
#define SVM_EXIT_INVLPGA 0x7a
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_VMSAVE 0x83
#define SVM_EXIT_STGI 0x84
#define SVM_EXIT_CLGI 0x85
#define SVM_EXIT_SKINIT 0x86
#define SVM_EXIT_RDTSCP 0x87
#define SVM_EXIT_WBINVD 0x89
#define SVM_EXIT_MONITOR 0x8a
#define SVM_EXIT_MWAIT 0x8b
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID (~0ull) /* VMRUN refused the guest state */

/* IOIO EXITINFO1 (15.10.2) */
#define IOIO_TYPE_IN BIT(0)
#define IOIO_STR BIT(2)
#define IOIO_REP BIT(3)
#define IOIO_SZ8 BIT(4)
#define IOIO_SZ16 BIT(5)
#define IOIO_SZ32 BIT(6)

/* Sizes of the permission maps (15.10.1, 15.11) */
#define SVM_IOPM_BYTES (12 * 1024)
#define SVM_MSRPM_BYTES (8 * 1024)

#endif
