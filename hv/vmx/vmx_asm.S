/*
 * vmx_asm.S - the world switch.
 *
 * int vmx_run(struct vcpu_regs *regs, int launched)
 *
 * The VMCS saves and loads RSP, RIP, RFLAGS, the segment and control
 * registers, but not the general-purpose registers: they are ours to
 * save.  We push the hv's callee-saved registers and the regs pointer,
 * record this stack pointer as HOST_RSP, load the guest's registers and
 * VMLAUNCH (first time) or VMRESUME.  A VM exit lands at vmx_exit with
 * RSP = HOST_RSP; we store the guest's registers back and return 0 as if
 * vmx_run had simply returned.  If the instruction itself fails we return
 * 1 (VMfailInvalid) or 2 (VMfailValid).
 *
 * struct vcpu_regs holds rax, rcx, rdx, rbx, rsp (unused: in the VMCS),
 * rbp, rsi, rdi, r8-r15: the SDM's register numbering, so an exit
 * qualification's register number indexes it directly.
 */
#define R_RAX 0
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
#define HOST_RSP 0x6c14
#define HOST_RIP 0x6c16

	.text
	.globl vmx_run
vmx_run:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi				/* regs, found again at vmx_exit */

	mov	$HOST_RSP, %eax
	vmwrite	%rsp, %rax
	lea	vmx_exit(%rip), %rdx
	mov	$HOST_RIP, %eax
	vmwrite	%rdx, %rax

	cmp	$0, %esi			/* flags survive the movs below */
	mov	R_RAX(%rdi), %rax
	mov	R_RCX(%rdi), %rcx
	mov	R_RDX(%rdi), %rdx
	mov	R_RBX(%rdi), %rbx
	mov	R_RBP(%rdi), %rbp
	mov	R_RSI(%rdi), %rsi
	mov	R_R8(%rdi), %r8
	mov	R_R9(%rdi), %r9
	mov	R_R10(%rdi), %r10
	mov	R_R11(%rdi), %r11
	mov	R_R12(%rdi), %r12
	mov	R_R13(%rdi), %r13
	mov	R_R14(%rdi), %r14
	mov	R_R15(%rdi), %r15
	mov	R_RDI(%rdi), %rdi
	jne	1f
	vmlaunch
	jmp	2f
1:	vmresume
2:	/* Still here: the instruction failed.  CF=1 invalid, ZF=1 valid. */
	mov	$1, %eax
	jc	3f
	mov	$2, %eax
3:	add	$8, %rsp
	jmp	restore

vmx_exit:
	push	%rdi				/* guest rdi; regs is now at 8(%rsp) */
	mov	8(%rsp), %rdi
	mov	%rax, R_RAX(%rdi)
	mov	%rcx, R_RCX(%rdi)
	mov	%rdx, R_RDX(%rdi)
	mov	%rbx, R_RBX(%rdi)
	mov	%rbp, R_RBP(%rdi)
	mov	%rsi, R_RSI(%rdi)
	mov	%r8, R_R8(%rdi)
	mov	%r9, R_R9(%rdi)
	mov	%r10, R_R10(%rdi)
	mov	%r11, R_R11(%rdi)
	mov	%r12, R_R12(%rdi)
	mov	%r13, R_R13(%rdi)
	mov	%r14, R_R14(%rdi)
	mov	%r15, R_R15(%rdi)
	pop	%rax
	mov	%rax, R_RDI(%rdi)
	add	$8, %rsp			/* regs */
	xor	%eax, %eax
restore:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
