/*
 * svm.h - the SVM backend's state and its pieces: bring-up (svm.c), the
 * VMCB from a guest description (vmcb.c), the vCPU interface
 * (svm_vcpu.c), the world switch (svm_asm.S).
 */
#ifndef FORMICA_SVM_H
#define FORMICA_SVM_H

#include "types.h"
#include "vcpu.h"
#include "svm/svm_pure.h"

/* MSRs (AMD64 APM Vol. 2, 15.30) */
#define MSR_VM_CR 0xc0010114
#define VM_CR_LOCK BIT(3)
#define VM_CR_SVMDIS BIT(4)
#define MSR_VM_HSAVE_PA 0xc0010117
#define EFER_SVME BIT(12)

struct svm_state {
	struct svm_caps caps;
	void *hsave;     /* VM_HSAVE_PA: where VMRUN keeps the host's state */
	void *host_save; /* VMSAVE/VMLOAD area with the hv's FS, GS, TR, LDTR, SYSCALL MSRs */
	u8 *iopm;        /* one shared I/O permission map: every port exits */
	u8 *msrpm;       /* one shared MSR permission map */
	u32 next_asid;
};
extern struct svm_state svm;

/* Enable SVM on this CPU.  Returns 0, or -1 after printing exactly why
 * AMD-V cannot be used here. */
int svm_init(void);

/* vmcb.c: a fresh VMCB for v in the state *e says. */
void vmcb_setup(struct vcpu *v, const struct guest_entry *e);

/* svm_asm.S: VMLOAD, VMRUN, VMSAVE of the guest's VMCB, then VMLOAD of
 * the hv's host_save area. */
void svm_run(u64 vmcb_pa, struct vcpu_regs *regs, u64 host_save_pa);

extern struct vcpu_ops svm_vcpu_ops;

#endif
