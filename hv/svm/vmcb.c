/*
 * vmcb.c - filling in a guest's VMCB from the same struct guest_entry the
 * VMX backend turns into a VMCS (hv/vmx/vmcs.c).
 *
 * First the control area (APM Vol. 2, 15.8-15.15): which instructions and
 * events exit, the permission maps, the ASID and how the TLB is flushed on
 * VMRUN; then the state save area: the guest's registers as the loader
 * wants them.  There is no host-state area to fill: VMRUN saves the host
 * itself (VM_HSAVE_PA), and svm_asm.S VMLOADs the rest.
 */
#include "kprintf.h"
#include "pmm.h"
#include "svm/svm.h"
#include "x86.h"

/* Segment attributes (15.5.1, the descriptor's bits 55:52 and 47:40). */
#define ATTR_CODE64 0xa9b  /* present, code exec/read accessed, L=1, G=1 */
#define ATTR_DATA 0xc93    /* present, data read/write accessed, D/B=1, G=1 */
#define ATTR_TSS_BUSY 0x08b /* present, 64-bit busy TSS */

static void setup_controls(struct vmcb *vm, struct vcpu *v)
{
	/* CR0/CR3/CR4 reads and writes all exit: the shadow pager owns the
	 * real values, and SVM has no read shadows, so a read must be
	 * answered with the guest's own value (hv/guest/exit.c). */
	vm->intercept_cr_read = BIT(0) | BIT(3) | BIT(4);
	vm->intercept_cr_write = BIT(0) | BIT(3) | BIT(4);
	/* Page faults: the shadow pager decides whose they are; machine
	 * checks are the hv's; #UD, because the guest-tests' hypercall is
	 * Intel's VMCALL, which AMD CPUs do not know (hv/guest/exit.c). */
	vm->intercept_exceptions = BIT(VEC_PF) | BIT(VEC_MC) | BIT(VEC_UD);
	vm->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID |
			      SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPG |
			      SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO_PROT |
			      SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN;
	/* SVM is hidden from guests: its instructions exit and get #UD. */
	vm->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL |
			      SVM_INTERCEPT2_VMLOAD | SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI |
			      SVM_INTERCEPT2_CLGI | SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_WBINVD |
			      SVM_INTERCEPT2_MONITOR | SVM_INTERCEPT2_MWAIT;
	vm->iopm_base_pa = (u64)svm.iopm;
	vm->msrpm_base_pa = (u64)svm.msrpm;
	vm->tsc_offset = 0;
	/* One ASID per guest while they last; beyond that guests share one,
	 * which is still correct because every VMRUN flushes (below). */
	if (svm.next_asid < svm.caps.nasid)
		v->asid = svm.next_asid++;
	else
		v->asid = svm.caps.nasid - 1;
	vm->guest_asid = v->asid;
	/* Shadow page tables change behind the guest's back (a new shadow
	 * entry, a page write-protected for Antfarm), so its TLB entries must
	 * go at every VMRUN, as VM entry without VPIDs does on VMX: its own
	 * ASID where the CPU can, else the whole TLB (QEMU TCG). */
	vm->tlb_control = svm.caps.flush_by_asid ? TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
	/* V_INTR_MASKING: the guest's RFLAGS.IF masks only virtual
	 * interrupts; physical ones exit (INTR) whatever the guest does. */
	vm->v_intr = V_INTR_MASKING;
}

static void set_segment(struct vmcb_seg *s, u16 sel, u16 attrib)
{
	*s = (struct vmcb_seg){ .selector = sel, .attrib = attrib, .limit = 0xffffffff, .base = 0 };
}

static void setup_guest_state(struct vmcb *vm, struct vcpu *v, const struct guest_entry *e)
{
	set_segment(&vm->cs, e->cs, ATTR_CODE64);
	set_segment(&vm->ds, e->ds, ATTR_DATA);
	set_segment(&vm->es, e->ds, ATTR_DATA);
	set_segment(&vm->ss, e->ds, ATTR_DATA);
	set_segment(&vm->fs, e->ds, ATTR_DATA);
	set_segment(&vm->gs, e->ds, ATTR_DATA);
	vm->tr = (struct vmcb_seg){ .selector = 0, .attrib = ATTR_TSS_BUSY, .limit = 0x67 };
	vm->ldtr = (struct vmcb_seg){ 0 };
	vm->gdtr = (struct vmcb_seg){ .limit = e->gdt_limit, .base = e->gdt_base };
	vm->idtr = (struct vmcb_seg){ 0 };
	vm->cpl = 0;
	/* The paging registers as the loader asked; guest_paging_init()
	 * replaces them with the shadow pager's through set_paging. */
	vm->cr0 = e->cr0;
	vm->cr3 = e->cr3;
	vm->cr4 = e->cr4;
	vm->efer = e->efer | EFER_SVME; /* VMRUN refuses a guest EFER without SVME */
	vm->dr7 = 0x400;
	vm->dr6 = 0xffff0ff0;
	vm->rflags = e->rflags | RFLAGS_FIXED;
	vm->rip = e->rip;
	vm->rsp = e->rsp;
	vm->g_pat = 0x0007040600070406ull; /* the power-on PAT */
	v->regs.gpr[R_RSI] = e->rsi;
}

void vmcb_setup(struct vcpu *v, const struct guest_entry *e)
{
	struct vmcb *vm = pmm_alloc_pages(1);
	v->ctl = vm;
	setup_controls(vm, v);
	setup_guest_state(vm, v, e);
	kprintf("guest %s: VMCB at 0x%lx, ASID %u, TLB_CONTROL %u\n", v->name, (u64)vm, v->asid,
		vm->tlb_control);
}
