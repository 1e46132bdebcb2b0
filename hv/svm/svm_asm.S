/*
 * svm_asm.S - the world switch on AMD.
 *
 * void svm_run(u64 vmcb_pa, struct vcpu_regs *regs, u64 host_save_pa)
 *
 * VMRUN saves the host's RSP, RIP, RFLAGS and RAX in VM_HSAVE_PA and loads
 * the guest's RAX, RSP, RIP, RFLAGS, segments and control registers from
 * the VMCB; #VMEXIT reverses that.  The other general-purpose registers
 * are ours to switch, and FS, GS, TR, LDTR and the SYSCALL MSRs are
 * VMLOAD's and VMSAVE's (APM Vol. 2, 15.5.2 and 15.18).  So:
 *
 *   CLGI, STI      no interrupt until we are in the guest; there, host
 *                  IF = 1 lets physical interrupts exit (V_INTR_MASKING)
 *   VMLOAD guest   VMRUN guest   VMSAVE guest
 *   VMLOAD host    the hv's TR (IST stacks), FS, GS, SYSCALL MSRs again
 *   CLI, STGI      an interrupt that made the exit stays pending in the
 *                  local APIC; svm_vcpu.c takes it (idt.c)
 *
 * struct vcpu_regs is in the SDM's register order (gpr_asm.h); its RAX
 * and RSP slots are unused here (RAX and RSP are in the VMCB).
 */
#include "gpr_asm.h"

	.text
	.globl svm_run
svm_run:
	PUSH_CALLEE_SAVED
	push	%rdx				/* host_save_pa */
	push	%rsi				/* regs */

	clgi
	sti
	mov	%rdi, %rax			/* VMLOAD/VMRUN/VMSAVE take the VMCB in RAX */
	LOAD_GPRS %rsi
	mov	R_RDI(%rsi), %rdi
	mov	R_RSI(%rsi), %rsi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax				/* RAX is the host's again: the VMCB */

	push	%rsi				/* guest rsi; regs is now at 8(%rsp) */
	mov	8(%rsp), %rsi
	STORE_GPRS %rsi
	mov	%rdi, R_RDI(%rsi)
	pop	%rax
	mov	%rax, R_RSI(%rsi)
	pop	%rsi				/* regs */
	pop	%rax				/* host_save_pa */
	vmload	%rax
	cli
	stgi

	POP_CALLEE_SAVED
	ret
