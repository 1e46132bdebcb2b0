/*
 * gpr_asm.h - struct vcpu_regs (hv/include/vcpu.h) for the world-switch
 * code, hv/vmx/vmx_asm.S and hv/svm/svm_asm.S.
 *
 * Neither VMX nor SVM switches the general-purpose registers (SVM only
 * RAX and RSP, VMX only RSP), so both switches load the guest's from
 * struct vcpu_regs before entry and store them back after the exit.  The
 * offsets are the SDM's register numbers times 8.  LOAD_GPRS/STORE_GPRS
 * move the twelve registers both do alike; each switch moves RAX, RSI and
 * RDI itself, because one of them holds the struct's address.  Around it,
 * the hv's own callee-saved registers (SysV ABI) wait on the stack.
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

.macro LOAD_GPRS base
	mov	R_RCX(\base), %rcx
	mov	R_RDX(\base), %rdx
	mov	R_RBX(\base), %rbx
	mov	R_RBP(\base), %rbp
	mov	R_R8(\base), %r8
	mov	R_R9(\base), %r9
	mov	R_R10(\base), %r10
	mov	R_R11(\base), %r11
	mov	R_R12(\base), %r12
	mov	R_R13(\base), %r13
	mov	R_R14(\base), %r14
	mov	R_R15(\base), %r15
.endm

.macro STORE_GPRS base
	mov	%rcx, R_RCX(\base)
	mov	%rdx, R_RDX(\base)
	mov	%rbx, R_RBX(\base)
	mov	%rbp, R_RBP(\base)
	mov	%r8, R_R8(\base)
	mov	%r9, R_R9(\base)
	mov	%r10, R_R10(\base)
	mov	%r11, R_R11(\base)
	mov	%r12, R_R12(\base)
	mov	%r13, R_R13(\base)
	mov	%r14, R_R14(\base)
	mov	%r15, R_R15(\base)
.endm

.macro PUSH_CALLEE_SAVED
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

.macro POP_CALLEE_SAVED
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
.endm
