/*
 * vcpu.c - which vendor's virtualization extension runs the guests.
 *
 * Intel calls it VMX (VT-x, CPUID.1:ECX[5]), AMD calls it SVM (AMD-V,
 * CPUID.80000001H:ECX[2]); no CPU has both.  We ask CPUID which one this
 * CPU has and bring that one up; from then on hv/guest/ reaches it only
 * through vcpu_ops (hv/include/vcpu.h).  If neither is there, each backend
 * says in one line why it cannot run (a hypervisor below us that hides the
 * extension, firmware that disabled it, an emulator without it).
 */
#include "kprintf.h"
#include "vcpu.h"
#include "svm/svm.h"
#include "vmx/vmx.h"
#include "x86.h"

const struct vcpu_ops *vcpu_ops;

int vcpu_backend_init(bool preemption_timer)
{
	if (cpuid(1, 0).ecx & BIT(5)) {
		if (vmx_init(preemption_timer))
			return -1;
		vcpu_ops = &vmx_vcpu_ops;
	} else if (svm_init() == 0) {
		vcpu_ops = &svm_vcpu_ops;
	} else {
		vmx_init(preemption_timer); /* says why VT-x cannot run here either */
		return -1;
	}
	kprintf("formica: guests run on %s\n", vcpu_ops->name);
	return 0;
}
