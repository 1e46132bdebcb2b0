/*
 * vmx.h - the VMX instructions, one inline function each, and the glue
 * that uses them.  The SDM's conventions for the outcome of a VMX
 * instruction (Vol. 3, 31.2): CF=1 "VMfailInvalid" (no current VMCS),
 * ZF=1 "VMfailValid" (the reason is in the VM_INSTRUCTION_ERROR field).
 */
#ifndef FORMICA_VMX_H
#define FORMICA_VMX_H

#include "types.h"
#include "vcpu.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_pure.h"

/* Returns 0 on success, 1 VMfailInvalid, 2 VMfailValid. */
#define VMX_OUTCOME(insn, ...)                                                         \
	({                                                                             \
		u8 cf, zf;                                                             \
		__asm__ volatile(insn "; setc %0; setz %1"                             \
				 : "=qm"(cf), "=qm"(zf)                                \
				 : __VA_ARGS__                                         \
				 : "cc", "memory");                                    \
		cf ? 1 : zf ? 2 : 0;                                                   \
	})

static inline int vmxon(u64 pa) { return VMX_OUTCOME("vmxon %2", "m"(pa)); }
static inline int vmclear(u64 pa) { return VMX_OUTCOME("vmclear %2", "m"(pa)); }
static inline int vmptrld(u64 pa) { return VMX_OUTCOME("vmptrld %2", "m"(pa)); }

static inline u64 vmread(u32 field)
{
	u64 v;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((u64)field) : "cc");
	return v;
}

/* vmwrite failures are programming errors: report them loudly. */
void vmwrite_failed(u32 field, u64 value, int outcome);
static inline void vmwrite(u32 field, u64 value)
{
	int r = VMX_OUTCOME("vmwrite %2, %3", "rm"(value), "r"((u64)field));
	if (r)
		vmwrite_failed(field, value, r);
}

struct vmx_caps {
	u64 basic;                   /* IA32_VMX_BASIC */
	u32 revision;                /* bits 30:0 of IA32_VMX_BASIC */
	bool true_ctls;              /* bit 55: use the IA32_VMX_TRUE_* MSRs */
	u64 pin, proc, proc2, exit, entry; /* capability MSRs in use */
	u64 misc;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/* the controls chosen (hv/vmx/vmx.c), the same for every guest */
	u32 pin_ctl, proc_ctl, proc2_ctl, exit_ctl, entry_ctl;
	unsigned preemption_timer_shift; /* the timer counts TSC >> this */
	bool preemption_timer_ok;        /* the CPU allows the VMX-preemption timer */
	bool preemption_timer_cfg;       /* formica.cfg: timer = preemption */
};
extern struct vmx_caps vmx;

/* Enter VMX root operation on this CPU.  Returns 0, or -1 after printing
 * exactly why VT-x cannot be used here. */
int vmx_init(bool preemption_timer);

/* vmcs.c: a fresh VMCS for v, current on this CPU, in the state *e says. */
void vmcs_setup(struct vcpu *v, const struct guest_entry *e);

/* vmx_vcpu.c: VT-x behind the vCPU interface. */
extern struct vcpu_ops vmx_vcpu_ops;

#endif
