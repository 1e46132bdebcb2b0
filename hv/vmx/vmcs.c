/*
 * vmcs.c - filling in a guest's VMCS: controls, host state, guest state.
 *
 * The order follows the SDM's description of the VMCS (Vol. 3, ch. 25):
 * first what the CPU does in guest mode (controls), then what it loads on
 * a VM exit (host state: the hv as it is right now), then the guest's
 * initial registers (from the loader, struct guest_entry).
 */
#include "cpu.h"
#include "kprintf.h"
#include "pmm.h"
#include "vmx/vmx.h"
#include "x86.h"

/* Access rights (SDM 25.4.1): type, S, DPL, P, L, D/B, G. */
#define AR_CODE64 0xa09b   /* present, code exec/read accessed, L=1, G=1 */
#define AR_DATA 0xc093     /* present, data read/write accessed, D/B=1, G=1 */
#define AR_TSS_BUSY 0x008b /* present, 64-bit busy TSS */
#define AR_UNUSABLE 0x10000

static void setup_controls(void)
{
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx.pin_ctl);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx.proc_ctl);
	if (vmx.proc_ctl & CPU_ACTIVATE_SECONDARY_CONTROLS)
		vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx.proc2_ctl);
	vmwrite(VM_EXIT_CONTROLS, vmx.exit_ctl);
	vmwrite(VM_ENTRY_CONTROLS, vmx.entry_ctl);
	/* Guest exceptions go through the guest's own IDT, except machine
	 * checks, which are the hv's business, and page faults: under shadow
	 * paging hv/guest/shadow_glue.c decides whose they are. */
	vmwrite(EXCEPTION_BITMAP, BIT(VEC_MC) | BIT(VEC_PF));
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(TSC_OFFSET, 0);
	/* The hv owns every CR0 and CR4 bit: a guest write to either exits
	 * (hv/guest/exit.c, handle_cr) and a guest read sees the read shadow. */
	vmwrite(CR0_GUEST_HOST_MASK, ~0ull);
	vmwrite(CR4_GUEST_HOST_MASK, ~0ull);
	vmwrite(VMCS_LINK_POINTER, ~0ull); /* no shadow VMCS */
}

/* Host state: the hv exactly as it runs now (SDM 25.5). */
static void setup_host_state(void)
{
	struct dtr gdtr, idtr;
	sgdt(&gdtr);
	sidt(&idtr);
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, SEL_CODE);
	vmwrite(HOST_SS_SELECTOR, SEL_DATA);
	vmwrite(HOST_DS_SELECTOR, SEL_DATA);
	vmwrite(HOST_ES_SELECTOR, SEL_DATA);
	vmwrite(HOST_FS_SELECTOR, 0);
	vmwrite(HOST_GS_SELECTOR, 0);
	vmwrite(HOST_TR_SELECTOR, SEL_TSS);
	vmwrite(HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	vmwrite(HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	vmwrite(HOST_TR_BASE, tss_base());
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	if (vmx.exit_ctl & EXIT_LOAD_IA32_EFER)
		vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	if (vmx.exit_ctl & EXIT_LOAD_IA32_PAT)
		vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	/* HOST_RSP and HOST_RIP are written by vmx_run() on every entry. */
}

static void set_segment(u32 sel_field, u16 sel, u32 ar)
{
	/* The selector, limit, AR and base fields of one segment are at
	 * fixed distances from each other in the encoding space (App. B). */
	u32 idx = sel_field - GUEST_ES_SELECTOR; /* 0, 2, 4, ... */
	vmwrite(sel_field, sel);
	vmwrite(GUEST_ES_LIMIT + idx, 0xffffffff);
	vmwrite(GUEST_ES_AR_BYTES + idx, ar);
	vmwrite(GUEST_ES_BASE + idx, 0);
}

static void setup_guest_state(struct vcpu *v, const struct guest_entry *e)
{
	/* What the CPU really runs with must satisfy the VMX fixed bits;
	 * what the guest reads back (the shadows) is what it asked for. */
	u64 cr0 = (e->cr0 | vmx.cr0_fixed0 | CR0_WP) & vmx.cr0_fixed1;
	u64 cr4 = (e->cr4 | vmx.cr4_fixed0) & vmx.cr4_fixed1;
	vmwrite(GUEST_CR0, cr0);
	vmwrite(CR0_READ_SHADOW, e->cr0);
	vmwrite(GUEST_CR4, cr4);
	vmwrite(CR4_READ_SHADOW, e->cr4);
	vmwrite(GUEST_CR3, e->cr3);
	vmwrite(GUEST_IA32_EFER, e->efer);
	if (vmx.entry_ctl & ENTRY_LOAD_IA32_PAT)
		vmwrite(GUEST_IA32_PAT, 0x0007040600070406ull); /* the power-on PAT */
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);

	set_segment(GUEST_CS_SELECTOR, e->cs, AR_CODE64);
	set_segment(GUEST_DS_SELECTOR, e->ds, AR_DATA);
	set_segment(GUEST_ES_SELECTOR, e->ds, AR_DATA);
	set_segment(GUEST_SS_SELECTOR, e->ds, AR_DATA);
	set_segment(GUEST_FS_SELECTOR, e->ds, AR_DATA);
	set_segment(GUEST_GS_SELECTOR, e->ds, AR_DATA);
	/* A guest in IA-32e mode must have a usable 64-bit busy TSS in TR
	 * even if it never uses it (SDM 27.3.1.2); LDTR may be unusable. */
	vmwrite(GUEST_TR_SELECTOR, 0);
	vmwrite(GUEST_TR_BASE, 0);
	vmwrite(GUEST_TR_LIMIT, 0x67);
	vmwrite(GUEST_TR_AR_BYTES, AR_TSS_BUSY);
	vmwrite(GUEST_LDTR_SELECTOR, 0);
	vmwrite(GUEST_LDTR_BASE, 0);
	vmwrite(GUEST_LDTR_LIMIT, 0);
	vmwrite(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
	vmwrite(GUEST_GDTR_BASE, e->gdt_base);
	vmwrite(GUEST_GDTR_LIMIT, e->gdt_limit);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0);

	vmwrite(GUEST_RIP, e->rip);
	vmwrite(GUEST_RSP, e->rsp);
	vmwrite(GUEST_RFLAGS, e->rflags | RFLAGS_FIXED);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	v->regs.gpr[R_RSI] = e->rsi;
}

void vmcs_setup(struct vcpu *v, const struct guest_entry *e)
{
	u32 *vmcs = pmm_alloc_pages(1);
	vmcs[0] = vmx.revision;
	v->ctl = vmcs;
	v->launched = false;
	/* VMCLEAR puts the region in the "clear" state VMLAUNCH expects;
	 * VMPTRLD makes it current, so VMWRITEs go to it. */
	if (vmclear((u64)vmcs) || vmptrld((u64)vmcs))
		panic("vmx: VMCLEAR/VMPTRLD of a fresh VMCS failed\n");
	setup_controls();
	setup_host_state();
	setup_guest_state(v, e);
}
