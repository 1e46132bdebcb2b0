/*
 * vmx.c - entering VMX root operation, straight down the SDM's list
 * (Vol. 3, 24.6-24.8 and 24.11.5):
 *
 *   1. CPUID.1:ECX.VMX[bit 5] says the CPU has VT-x at all.
 *   2. IA32_FEATURE_CONTROL must allow VMXON outside SMX.  If the firmware
 *      left it unlocked we set the bit and lock it; if it locked it with VMX
 *      off, only the firmware setup screen can change that.
 *   3. CR0 and CR4 must satisfy the IA32_VMX_CR{0,4}_FIXED{0,1} MSRs (this
 *      sets CR4.VMXE).
 *   4. VMXON with a 4 KiB region that starts with the VMCS revision id.
 *
 * Then we choose the VM-execution, exit and entry controls once, from the
 * capability MSRs: what Formica wants, adjusted to what this CPU allows
 * (vmx_adjust_controls() in vmx_pure.c).  Each line of the log says what
 * was chosen, so a reader can compare machines.
 */
#include "kprintf.h"
#include "pmm.h"
#include "vmx/vmx.h"
#include "x86.h"

struct vmx_caps vmx;

void vmwrite_failed(u32 field, u64 value, int outcome)
{
	const char *name = vmcs_field_name(field);
	if (outcome == 2) {
		u32 err = (u32)vmread(VM_INSTRUCTION_ERROR);
		panic("vmwrite %s (0x%x) = 0x%lx failed: VM-instruction error %u: %s\n",
		      name ? name : "?", field, value, err, vm_instruction_error_name(err));
	}
	panic("vmwrite 0x%x failed: no current VMCS\n", field);
}

static int check_cpu(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	if (!(r.ecx & BIT(5))) {
		struct cpuid_regs v = cpuid(0, 0);
		char vendor[13];
		*(u32 *)&vendor[0] = v.ebx;
		*(u32 *)&vendor[4] = v.edx;
		*(u32 *)&vendor[8] = v.ecx;
		vendor[12] = 0;
		kprintf("vmx: VT-x unavailable: CPUID.1:ECX.VMX[bit 5] = 0 on this %s CPU "
			"(an AMD host, QEMU without KVM, or a hypervisor below us that hides "
			"VMX)\n",
			vendor);
		return -1;
	}
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
		kprintf("vmx: IA32_FEATURE_CONTROL was unlocked; set VMX-outside-SMX and locked\n");
	} else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		kprintf("vmx: VT-x unavailable: the firmware locked IA32_FEATURE_CONTROL "
			"(0x%lx) with VMX outside SMX disabled; enable \"Intel Virtualization "
			"Technology\" in the firmware setup\n",
			fc);
		return -1;
	}
	return 0;
}

static void read_caps(void)
{
	vmx.basic = rdmsr(MSR_IA32_VMX_BASIC);
	vmx.revision = vmx.basic & 0x7fffffff;
	vmx.true_ctls = vmx.basic & BIT(55);
	/* SDM A.1: bit 55 set means the TRUE_* MSRs report the real
	 * allowed-0 settings of the "default1" controls. */
	vmx.pin = rdmsr(vmx.true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	vmx.proc = rdmsr(vmx.true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	vmx.exit = rdmsr(vmx.true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	vmx.entry = rdmsr(vmx.true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	/* The secondary controls exist only if the primary ones may activate them. */
	vmx.proc2 = (vmx.proc >> 32) & CPU_ACTIVATE_SECONDARY_CONTROLS
			    ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2)
			    : 0;
	vmx.misc = rdmsr(MSR_IA32_VMX_MISC);
	vmx.preemption_timer_shift = vmx.misc & 0x1f;
	vmx.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	kprintf("vmx: VMCS revision id 0x%x, region %lu bytes, memory type %lu, %s controls\n",
		vmx.revision, (vmx.basic >> 32) & 0x1fff, (vmx.basic >> 50) & 0xf,
		vmx.true_ctls ? "TRUE_*" : "plain");
}

/* Adjust one control word; a refused bit in `required` is fatal. */
static int choose(const char *what, u64 cap, u32 wanted, u32 required, u32 *out)
{
	u32 refused;
	*out = vmx_adjust_controls(cap, wanted, &refused);
	kprintf("vmx: %-10s wanted 0x%08x allowed0 0x%08x allowed1 0x%08x -> 0x%08x\n", what,
		wanted, (u32)cap, (u32)(cap >> 32), *out);
	if (refused & required) {
		kprintf("vmx: this CPU cannot give the required %s controls 0x%08x\n", what,
			refused & required);
		return -1;
	}
	if (refused)
		kprintf("vmx: %s controls 0x%08x unavailable, going without\n", what, refused);
	return 0;
}

static int choose_controls(bool preemption_timer)
{
	/* Exits we need: the hv owns external interrupts, NMIs, HLT, I/O
	 * (every port), MSRs (no bitmap: every RDMSR/WRMSR), INVLPG and CR3
	 * loads and stores (the shadow pager must see them, and the guest must
	 * read back its own CR3, not the shadow's), MWAIT/MONITOR (hidden from
	 * guests).  A timer bounds every stay in the guest (time slices,
	 * timer interrupts on time): the VMX-preemption timer, or the local
	 * APIC timer through external-interrupt exiting (formica.cfg timer=). */
	u32 pin = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING |
		  (preemption_timer ? PIN_VMX_PREEMPTION_TIMER : 0);
	u32 proc = CPU_HLT_EXITING | CPU_INVLPG_EXITING | CPU_MWAIT_EXITING | CPU_RDPMC_EXITING |
		   CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING | CPU_UNCONDITIONAL_IO_EXITING |
		   CPU_MONITOR_EXITING |
		   CPU_ACTIVATE_SECONDARY_CONTROLS;
	/* RDTSCP stays usable by the guest if the CPU lets us allow it. */
	u32 proc2 = CPU2_ENABLE_RDTSCP;
	u32 exit = EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT | EXIT_SAVE_IA32_EFER |
		   EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT;
	u32 entry = ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT;

	if (choose("pin-based", vmx.pin, pin, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
		   &vmx.pin_ctl) ||
	    choose("primary", vmx.proc, proc,
		   CPU_HLT_EXITING | CPU_INVLPG_EXITING | CPU_CR3_LOAD_EXITING |
			   CPU_UNCONDITIONAL_IO_EXITING,
		   &vmx.proc_ctl) ||
	    choose("exit", vmx.exit, exit, EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_LOAD_IA32_EFER,
		   &vmx.exit_ctl) ||
	    choose("entry", vmx.entry, entry, ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_IA32_EFER,
		   &vmx.entry_ctl))
		return -1;
	if (vmx.proc_ctl & CPU_ACTIVATE_SECONDARY_CONTROLS) {
		if (choose("secondary", vmx.proc2, proc2, 0, &vmx.proc2_ctl))
			return -1;
		if (!vmx.proc2_ctl)
			vmx.proc_ctl &= ~CPU_ACTIVATE_SECONDARY_CONTROLS;
	}
	vmx.preemption_timer_ok = (vmx.pin >> 32) & PIN_VMX_PREEMPTION_TIMER;
	vmx.preemption_timer_cfg = vmx.pin_ctl & PIN_VMX_PREEMPTION_TIMER;
	if (preemption_timer && !vmx.preemption_timer_ok)
		kprintf("vmx: no VMX-preemption timer on this CPU: using the local APIC timer\n");
	kprintf("vmx: guest deadlines by the %s%s\n",
		vmx.preemption_timer_cfg ? "VMX-preemption timer" : "local APIC timer",
		!vmx.preemption_timer_cfg && vmx.preemption_timer_ok
			? " (the VMX-preemption timer for entries with RFLAGS.IF = 0)"
			: "");
	return 0;
}

int vmx_init(bool preemption_timer)
{
	if (check_cpu())
		return -1;
	read_caps();
	if (choose_controls(preemption_timer))
		return -1;

	u64 cr0 = (read_cr0() | vmx.cr0_fixed0) & vmx.cr0_fixed1;
	u64 cr4 = (read_cr4() | vmx.cr4_fixed0 | CR4_VMXE) & vmx.cr4_fixed1;
	write_cr0(cr0);
	write_cr4(cr4);

	u32 *vmxon_region = pmm_alloc_pages(1);
	vmxon_region[0] = vmx.revision;
	int r = vmxon((u64)vmxon_region);
	if (r) {
		kprintf("vmx: VMXON failed (%s)\n", r == 1 ? "VMfailInvalid" : "VMfailValid");
		return -1;
	}
	vmx_vcpu_ops.cr4_allowed = vmx.cr4_fixed1;
	kprintf("vmx: VMXON ok, region at 0x%lx, cr0=0x%lx cr4=0x%lx\n", (u64)vmxon_region, cr0,
		cr4);
	return 0;
}
