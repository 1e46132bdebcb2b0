/*
 * msr_filter.c - which MSRs a guest may touch, and what it sees (pure).
 * See msr.h for the categories.  A write is also refused (#GP, like the
 * CPU) when the value has a bit the CPU would fault on: such a value would
 * otherwise reach the VMCS (a failed VM entry) or the real MSR when the hv
 * switches to this guest (a fault in the hv).
 */
#include "guest/msr.h"
#include "x86.h"

#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_PLATFORM_INFO 0xce
#define MSR_MTRR_PHYS_FIRST 0x200
#define MSR_MTRR_PHYS_LAST 0x21f

void msr_state_init(struct guest_msrs *m, bool fast_strings)
{
	*m = (struct guest_msrs){
		/* xAPIC at the architectural address, enabled, this is the BSP */
		.apic_base = 0xfee00000ull | BIT(11) | BIT(8),
		/* Fast-string operations (bit 0) as the host's firmware set them:
		 * see msr.h. */
		.misc_enable = fast_strings ? MISC_ENABLE_FAST_STRING : 0,
	};
}

static bool is_canonical(u64 a) { return (u64)((i64)(a << 16) >> 16) == a; }

/* Memory types (SDM 11.3, 11.11.2): 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; PAT
 * entries may also be 7 (UC-), MTRRs may not.  2 and 3 are reserved. */
static bool is_mem_type(u64 t, bool pat)
{
	return t == 0 || t == 1 || (t >= 4 && t <= 6) || (pat && t == 7);
}

/* IA32_PAT: eight entries of one byte, each a memory type in bits 2:0
 * with bits 7:3 reserved (SDM 11.12.2).  A bad one is #GP on WRMSR, and a
 * VM-entry failure if it reaches the VMCS. */
static bool pat_ok(u64 v)
{
	for (int i = 0; i < 8; i++)
		if (!is_mem_type((v >> (8 * i)) & 0xff, true))
			return false;
	return true;
}

/* IA32_MTRR_DEF_TYPE: type in bits 7:0, FE bit 10, E bit 11 (SDM 11.11.2.1). */
static bool mtrr_def_type_ok(u64 v)
{
	return !(v & ~0xcffull) && is_mem_type(v & 0xff, false);
}

/* IA32_DEBUGCTL: a guest may have LBR (bit 0), BTF (bit 1) and
 * FREEZE_LBRS_ON_PMI (bit 11, which Linux sets with LBR).  The other bits
 * start branch trace stores, bus-lock traps or perfmon freezes the hv does
 * not virtualise, and reserved ones fail VM entry (SDM 27.3.1.1). */
#define DEBUGCTL_GUEST_BITS (BIT(0) | BIT(1) | BIT(11))

enum msr_where msr_filter_read(const struct guest_msrs *m, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_IA32_EFER:
	case MSR_IA32_PAT:
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_DEBUGCTL:
	case MSR_IA32_TSC:
		return MSR_IN_VMCS; /* the glue reads the VMCS (or the TSC) */
	case MSR_IA32_STAR: *val = m->star; return MSR_IN_STATE;
	case MSR_IA32_LSTAR: *val = m->lstar; return MSR_IN_STATE;
	case MSR_IA32_CSTAR: *val = m->cstar; return MSR_IN_STATE;
	case MSR_IA32_FMASK: *val = m->fmask; return MSR_IN_STATE;
	case MSR_IA32_KERNEL_GS_BASE: *val = m->kernel_gs_base; return MSR_IN_STATE;
	case MSR_IA32_TSC_AUX: *val = m->tsc_aux; return MSR_IN_STATE;
	case MSR_IA32_APIC_BASE: *val = m->apic_base; return MSR_IN_STATE;
	case MSR_IA32_MISC_ENABLE: *val = m->misc_enable; return MSR_IN_STATE;
	case MSR_IA32_SPEC_CTRL: *val = m->spec_ctrl; return MSR_IN_STATE;
	case MSR_IA32_TSC_ADJUST: *val = m->tsc_adjust; return MSR_IN_STATE;
	case MSR_MTRR_DEF_TYPE: *val = m->mtrr_def_type; return MSR_IN_STATE;
	case MSR_IA32_ARCH_CAPABILITIES: *val = ARCH_CAP_RDCL_NO; return MSR_CONST;
	case MSR_IA32_MTRRCAP: *val = 0; return MSR_CONST;        /* no variable MTRRs */
	case MSR_IA32_BIOS_SIGN_ID: *val = 0; return MSR_CONST;   /* no microcode */
	case MSR_IA32_FEATURE_CONTROL: *val = FEATURE_CONTROL_LOCK; return MSR_CONST; /* VMX off, locked */
	default:
		return MSR_GP;
	}
}

enum msr_where msr_filter_write(struct guest_msrs *m, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		/* Only the bits a 64-bit guest can have (SCE, LME, LMA, NXE). */
		if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
			return MSR_GP;
		return MSR_IN_VMCS;
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return is_canonical(val) ? MSR_IN_VMCS : MSR_GP;
	case MSR_IA32_PAT:
		return pat_ok(val) ? MSR_IN_VMCS : MSR_GP;
	case MSR_IA32_DEBUGCTL:
		return val & ~DEBUGCTL_GUEST_BITS ? MSR_GP : MSR_IN_VMCS;
	case MSR_IA32_SYSENTER_CS:
		return MSR_IN_VMCS;
	case MSR_IA32_STAR: m->star = val; return MSR_IN_STATE;
	case MSR_IA32_LSTAR:
		if (!is_canonical(val))
			return MSR_GP;
		m->lstar = val;
		return MSR_IN_STATE;
	case MSR_IA32_CSTAR:
		if (!is_canonical(val))
			return MSR_GP;
		m->cstar = val;
		return MSR_IN_STATE;
	case MSR_IA32_FMASK: /* the RFLAGS mask: bits 63:32 are reserved */
		if (val >> 32)
			return MSR_GP;
		m->fmask = val;
		return MSR_IN_STATE;
	case MSR_IA32_KERNEL_GS_BASE:
		if (!is_canonical(val))
			return MSR_GP;
		m->kernel_gs_base = val;
		return MSR_IN_STATE;
	case MSR_IA32_TSC_AUX: /* bits 63:32 are reserved */
		if (val >> 32)
			return MSR_GP;
		m->tsc_aux = val;
		return MSR_IN_STATE;
	case MSR_IA32_SPEC_CTRL: m->spec_ctrl = val; return MSR_IN_STATE;
	case MSR_IA32_TSC_ADJUST: m->tsc_adjust = val; return MSR_IN_STATE;
	case MSR_IA32_MISC_ENABLE: m->misc_enable = val; return MSR_IN_STATE;
	case MSR_MTRR_DEF_TYPE:
		if (!mtrr_def_type_ok(val))
			return MSR_GP;
		m->mtrr_def_type = val;
		return MSR_IN_STATE;
	case MSR_IA32_APIC_BASE: /* no relocating or disabling the APIC */
		return val == m->apic_base ? MSR_IGNORE : MSR_GP;
	case MSR_IA32_PRED_CMD:
	case MSR_IA32_BIOS_SIGN_ID:
		return MSR_IGNORE;
	default:
		if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST)
			return MSR_IGNORE;
		return MSR_GP;
	}
}
