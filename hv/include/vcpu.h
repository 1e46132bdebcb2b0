/*
 * vcpu.h - the one interface between the guest core (hv/guest/) and a CPU
 * vendor's virtualization extension (hv/vmx/ for Intel VT-x, hv/svm/ for
 * AMD-V).  hv/guest/ calls down through it; the backends never call up.
 *
 * A backend enters the guest, translates what the hardware reports on the
 * way out into one vendor-neutral struct vcpu_exit, and reads and writes
 * the guest state its control block (VMCS or VMCB) holds.  What one vendor
 * reports and the other does not (an instruction's length, the operands of
 * MOV CR and INVLPG: SVM without NRIPS and decode assists) is left zero;
 * hv/guest/exit.c decodes it from guest memory.  The backend is chosen at
 * boot from CPUID (vcpu_backend_init()); hv/ARCHITECTURE.md shows the two
 * side by side.
 */
#ifndef FORMICA_VCPU_H
#define FORMICA_VCPU_H

#include "types.h"

struct guest_msrs;

/* General-purpose registers in the SDM's numbering (RAX=0 ... R15=15), the
 * order the world-switch code saves them in.  RSP lives in the VMCS/VMCB;
 * its slot here is refreshed only around instruction emulation. */
enum gpr { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
	   R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
struct vcpu_regs {
	u64 gpr[16];
};

/* What a loader (flat.c, linux.c) asks the guest's first entry to be. */
struct guest_entry {
	u64 rip, rsp, rsi, rflags;
	u64 cr0, cr3, cr4, efer;
	u64 gdt_base; /* guest-physical == guest-linear at entry */
	u16 gdt_limit;
	u16 cs, ds;   /* selectors of a flat 64-bit code and data segment */
};

/* One guest's virtual CPU as the backend sees it. */
struct vcpu {
	struct vcpu_regs regs;
	u64 cr2;          /* the guest's CR2 (VMX: loaded into the real CR2 before entry) */
	const char *name; /* for log lines */
	void *ctl;        /* the VMCS (VMX) or the VMCB (SVM) */
	bool launched;    /* VMX: VMLAUNCH done, VMRESUME from now on */
	u32 asid;         /* SVM: the guest's address-space id */
	u32 exit_code;    /* the vendor's code of the last exit (counters, logs) */
	/* An external interrupt (its vector) whose delivery an exit cut short
	 * while the exit's handler injected an exception: the exception goes
	 * first, this one when the guest can take an interrupt again, as KVM
	 * does.  Its 8259 has already acknowledged it.  -1: none.  (VMX only:
	 * SVM keeps such an interrupt in V_IRQ, hv/svm/svm_event.c.) */
	int deferred_intr;
};

/* Guest state the control block holds.  CR0/CR3/CR4/EFER are the values the
 * CPU runs with (the shadow pager's), not the guest's view of them. */
enum vcpu_reg {
	VCPU_RIP, VCPU_RSP, VCPU_RFLAGS, VCPU_CR0, VCPU_CR3, VCPU_CR4, VCPU_EFER,
	VCPU_FS_BASE, VCPU_GS_BASE, VCPU_PAT, VCPU_SYSENTER_CS, VCPU_SYSENTER_ESP,
	VCPU_SYSENTER_EIP, VCPU_DEBUGCTL, VCPU_TSC_OFFSET,
};

/* The vendor-neutral events the exit table (hv/guest/exit.c) dispatches. */
enum vcpu_event {
	VE_NONE,          /* an external interrupt, a timer, an interrupt window:
			   * nothing for the guest core, the run loop goes on */
	VE_PAGE_FAULT,    /* .pf */
	VE_EXCEPTION,     /* another intercepted exception (.vector): not expected */
	VE_TRIPLE_FAULT,  /* shutdown */
	VE_CPUID,
	VE_HLT,
	VE_HYPERCALL,     /* VMCALL (on SVM: its #UD, hv/guest/exit.c) */
	VE_VIRT_INSN,     /* a VMX or SVM instruction: hidden from guests, #UD */
	VE_CR,            /* .cr */
	VE_IO,            /* .io */
	VE_RDMSR,
	VE_WRMSR,
	VE_INVLPG,        /* .invlpg */
	VE_NOP,           /* INVD, WBINVD, MONITOR, MWAIT, PAUSE: skipped */
	VE_ENTRY_FAILED,  /* the CPU refused the guest state (backend logged why) */
	VE_UNKNOWN,       /* an exit the backend has no translation for */
	VE_COUNT
};

/* MOV to/from CR: how the CR was accessed. */
enum vcpu_cr_access { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

struct vcpu_exit {
	enum vcpu_event event;
	u8 insn_len;      /* length of the exiting instruction; 0: not reported */
	bool decoded;     /* VE_CR, VE_INVLPG: the operand fields below are valid */
	u32 vector;       /* VE_EXCEPTION */
	union {
		struct { u64 addr; u32 error_code; } pf;
		struct { u8 cr, access, gpr; u16 lmsw; } cr; /* access: vcpu_cr_access */
		struct { u16 port; u8 size; bool in, string; } io;
		struct { u64 gva; } invlpg;
	};
};

/* What a backend does.  One table per vendor; vcpu_ops points at the one
 * this CPU has. */
struct vcpu_ops {
	const char *name; /* "vmx", "svm" */
	/* A fresh control block for v, in the state *e describes. */
	void (*create)(struct vcpu *v, const struct guest_entry *e);
	/* Make v's control block current on this CPU (VMPTRLD; nothing on SVM). */
	void (*load)(struct vcpu *v);
	/* Enter the guest until the next exit and translate it into *x.
	 * Returns 0, or -1 if the entry instruction itself failed (logged). */
	int (*run)(struct vcpu *v, struct vcpu_exit *x);
	u64 (*read)(struct vcpu *v, enum vcpu_reg r);
	void (*write)(struct vcpu *v, enum vcpu_reg r, u64 val);
	/* The paging registers the CPU runs with, and what the guest reads back
	 * from CR0/CR4 (VMX: the read shadows; SVM intercepts the reads). */
	void (*set_paging)(struct vcpu *v, u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 guest_cr0,
			   u64 guest_cr4);
	bool (*cs_long)(struct vcpu *v);  /* CS.L: 64-bit code */
	unsigned (*cpl)(struct vcpu *v);
	/* Interrupts: is an event already queued for the next entry (or, on
	 * SVM, an interrupt still waiting to be taken); is the guest in an
	 * STI/MOV SS shadow; queue an exception or an external interrupt (the
	 * run loop does so only when the guest can take it); ask for an exit
	 * as soon as the guest can take one. */
	bool (*event_pending)(struct vcpu *v);
	bool (*intr_shadow)(struct vcpu *v);
	void (*clear_intr_shadow)(struct vcpu *v);
	void (*inject_exception)(struct vcpu *v, u32 vector, bool has_error, u32 error_code);
	void (*inject_intr)(struct vcpu *v, u32 vector);
	void (*intr_window)(struct vcpu *v, bool on);
	/* The exit interrupted the delivery of an event: true (with nothing
	 * else queued) until finish_exit() queued it again. */
	bool (*delivering_event)(struct vcpu *v);
	/* After the exit's handler: deliver again the event the exit
	 * interrupted.  Returns false if that makes a triple fault. */
	bool (*finish_exit)(struct vcpu *v);
	/* Get control back within ns, whatever the guest does with RFLAGS.IF. */
	void (*arm_deadline)(struct vcpu *v, u64 ns, bool guest_if);
	/* The MSRs entry and exit do not switch (msr.c's SYSCALL MSRs). */
	void (*load_msrs)(struct vcpu *v, const struct guest_msrs *m);
	void (*save_msrs)(struct vcpu *v, struct guest_msrs *m);
	/* CR4 bits the CPU lets a guest run with (cr_check_cr4()). */
	u64 cr4_allowed;
	/* The vendor's name of an exit code ("CPUID", "IOIO", ...). */
	const char *(*exit_name)(u32 code);
};

/* Exit counters are kept per vendor code below this (VMX basic reasons
 * are < 70, SVM codes < 0xa0); anything above counts in the last slot. */
#define VCPU_EXIT_SLOTS 0xa0
static inline u32 vcpu_exit_slot(u32 code)
{
	return code < VCPU_EXIT_SLOTS ? code : VCPU_EXIT_SLOTS - 1;
}

extern const struct vcpu_ops *vcpu_ops;

/* Pick the backend this CPU has (CPUID vendor) and bring it up.  Returns
 * 0, or -1 after logging why no guest can run here. */
int vcpu_backend_init(bool preemption_timer);


#endif
