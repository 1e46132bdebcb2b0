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
 * qualification's register number indexes it directly (gpr_asm.h).
 */
#include "gpr_asm.h"
#define HOST_RSP 0x6c14
#define HOST_RIP 0x6c16

	.text
	.globl vmx_run
vmx_run:
	PUSH_CALLEE_SAVED
	push	%rdi				/* regs, found again at vmx_exit */

	mov	$HOST_RSP, %eax
	vmwrite	%rsp, %rax
	lea	vmx_exit(%rip), %rdx
	mov	$HOST_RIP, %eax
	vmwrite	%rdx, %rax

	cmp	$0, %esi			/* flags survive the movs below */
	mov	R_RAX(%rdi), %rax
	LOAD_GPRS %rdi
	mov	R_RSI(%rdi), %rsi
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
	STORE_GPRS %rdi
	mov	%rsi, R_RSI(%rdi)
	pop	%rax
	mov	%rax, R_RDI(%rdi)
	add	$8, %rsp			/* regs */
	xor	%eax, %eax
restore:
	POP_CALLEE_SAVED
	ret
