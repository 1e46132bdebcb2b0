/*
 * svm.c - turning AMD-V on, straight down the APM's list (AMD64 APM Vol. 2,
 * 15.4 "Enabling SVM" and 15.30 "SVM related MSRs"):
 *
 *   1. CPUID Fn8000_0001:ECX.SVM[bit 2] says the CPU has SVM at all.
 *   2. VM_CR.SVMDIS (MSR C001_0114, bit 4) set means the firmware disabled
 *      it; with VM_CR.LOCK only the firmware setup screen can change that.
 *   3. CPUID Fn8000_000A: the revision, the number of ASIDs, and the
 *      optional features (NRIP save, decode assists, clean bits,
 *      flush-by-ASID) we use only where present.
 *   4. EFER.SVME = 1 makes VMRUN and friends legal.
 *   5. VM_HSAVE_PA: a page where VMRUN saves the host's state.
 *
 * Then one I/O permission map with every port intercepted and one MSR map
 * with every MSR intercepted but reads of the three bases VMLOAD/VMSAVE
 * switch.
 * There is no VMXON and no capability-MSR arithmetic: SVM is on as soon as
 * EFER.SVME is.
 */
#include "kprintf.h"
#include "pmm.h"
#include "string.h"
#include "svm/svm.h"
#include "x86.h"

struct svm_state svm;

static int check_cpu(void)
{
	struct cpuid_regs max = cpuid(0x80000000, 0);
	struct cpuid_regs ext = max.eax >= 0x80000001 ? cpuid(0x80000001, 0)
						      : (struct cpuid_regs){ 0 };
	if (!(ext.ecx & BIT(2)) || max.eax < 0x8000000a) {
		struct cpuid_regs v = cpuid(0, 0);
		char vendor[13];
		memcpy(&vendor[0], &v.ebx, 4);
		memcpy(&vendor[4], &v.edx, 4);
		memcpy(&vendor[8], &v.ecx, 4);
		vendor[12] = 0;
		kprintf("svm: AMD-V unavailable: CPUID.80000001H:ECX.SVM[bit 2] = 0 on this %s CPU "
			"(an Intel host, QEMU without -cpu max or +svm, or a hypervisor below us "
			"that hides SVM)\n",
			vendor);
		return -1;
	}
	u64 vm_cr = rdmsr(MSR_VM_CR);
	if (vm_cr & VM_CR_SVMDIS) {
		kprintf("svm: AMD-V unavailable: the firmware disabled it (VM_CR = 0x%lx: SVMDIS%s); "
			"enable \"SVM mode\" / \"AMD-V\" in the firmware setup\n",
			vm_cr, vm_cr & VM_CR_LOCK ? ", locked" : "");
		return -1;
	}
	return 0;
}

static void read_caps(void)
{
	struct cpuid_regs a = cpuid(0x8000000a, 0);
	svm_parse_caps(a.eax, a.ebx, a.edx, &svm.caps);
	const struct svm_caps *c = &svm.caps;
	kprintf("svm: revision %u, %u ASIDs, features edx=0x%x: NRIPS %s, decode assists %s, "
		"VMCB clean bits %s, flush-by-ASID %s\n",
		c->revision, c->nasid, a.edx, c->nrips ? "yes" : "no (lengths decoded)",
		c->decode_assists ? "yes" : "no (operands decoded)", c->vmcb_clean ? "yes" : "no",
		c->flush_by_asid ? "yes" : "no (TLB_CONTROL=1: flush all)");
	struct cpuid_regs c1 = cpuid(1, 0), c7 = cpuid(7, 0);
	svm_vcpu_ops.cr4_allowed = svm_cr4_allowed(c1.ecx, c7.ebx, c7.ecx);
}

static void setup_permission_maps(void)
{
	svm.iopm = pmm_alloc_pages(SVM_IOPM_BYTES / PAGE_SIZE);
	svm.msrpm = pmm_alloc_pages(SVM_MSRPM_BYTES / PAGE_SIZE);
	memset(svm.iopm, 0xff, SVM_IOPM_BYTES);
	memset(svm.msrpm, 0xff, SVM_MSRPM_BYTES);
	/* FS.base, GS.base, KERNEL_GS_BASE live in the VMCB, which VMLOAD and
	 * VMSAVE switch on every entry and exit: the guest may read them
	 * without an exit.  Writes still exit, so that msr_filter.c refuses a
	 * non-canonical base with #GP as hardware does (QEMU TCG does not). */
	svm_msrpm_set(svm.msrpm, MSR_IA32_FS_BASE, false, true);
	svm_msrpm_set(svm.msrpm, MSR_IA32_GS_BASE, false, true);
	svm_msrpm_set(svm.msrpm, MSR_IA32_KERNEL_GS_BASE, false, true);
}

int svm_init(void)
{
	if (check_cpu())
		return -1;
	read_caps();
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SVME);
	svm.hsave = pmm_alloc_pages(1);
	wrmsr(MSR_VM_HSAVE_PA, (u64)svm.hsave);
	/* The hv's own FS, GS, TR (its IST stacks!), LDTR and SYSCALL MSRs,
	 * which VMRUN does not save: VMLOAD brings them back after each exit. */
	svm.host_save = pmm_alloc_pages(1);
	__asm__ volatile("vmsave %%rax" ::"a"((u64)svm.host_save) : "memory");
	setup_permission_maps();
	svm.next_asid = 1; /* ASID 0 is the host's */
	kprintf("svm: EFER.SVME set, VM_HSAVE_PA 0x%lx, host save area 0x%lx\n", (u64)svm.hsave,
		(u64)svm.host_save);
	return 0;
}
