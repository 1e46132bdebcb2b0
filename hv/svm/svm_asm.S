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
 * struct vcpu_regs is in the SDM's register order (hv/include/vcpu.h);
 * its RAX and RSP slots are unused here (RAX and RSP are in the VMCB).
 */
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 40
#define R_RSI 48
#define R_RDI 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120

	.text
	.globl svm_run
svm_run:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdx				/* host_save_pa */
	push	%rsi				/* regs */

	clgi
	sti
	mov	%rdi, %rax			/* VMLOAD/VMRUN/VMSAVE take the VMCB in RAX */
	mov	R_RCX(%rsi), %rcx
	mov	R_RDX(%rsi), %rdx
	mov	R_RBX(%rsi), %rbx
	mov	R_RBP(%rsi), %rbp
	mov	R_RDI(%rsi), %rdi
	mov	R_R8(%rsi), %r8
	mov	R_R9(%rsi), %r9
	mov	R_R10(%rsi), %r10
	mov	R_R11(%rsi), %r11
	mov	R_R12(%rsi), %r12
	mov	R_R13(%rsi), %r13
	mov	R_R14(%rsi), %r14
	mov	R_R15(%rsi), %r15
	mov	R_RSI(%rsi), %rsi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax				/* RAX is the host's again: the VMCB */

	push	%rsi				/* guest rsi; regs is now at 8(%rsp) */
	mov	8(%rsp), %rsi
	mov	%rcx, R_RCX(%rsi)
	mov	%rdx, R_RDX(%rsi)
	mov	%rbx, R_RBX(%rsi)
	mov	%rbp, R_RBP(%rsi)
	mov	%rdi, R_RDI(%rsi)
	mov	%r8, R_R8(%rsi)
	mov	%r9, R_R9(%rsi)
	mov	%r10, R_R10(%rsi)
	mov	%r11, R_R11(%rsi)
	mov	%r12, R_R12(%rsi)
	mov	%r13, R_R13(%rsi)
	mov	%r14, R_R14(%rsi)
	mov	%r15, R_R15(%rsi)
	pop	%rax
	mov	%rax, R_RSI(%rsi)
	pop	%rsi				/* regs */
	pop	%rax				/* host_save_pa */
	vmload	%rax
	cli
	stgi

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
