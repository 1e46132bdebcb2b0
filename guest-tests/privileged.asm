; privileged.asm - instructions the hv must refuse with the exception real
; hardware would raise, not with a crash of the guest or of the hv.
;
;   VMXON m64          -> #UD: the guest sees no VMX (CPUID.1:ECX.VMX = 0),
;                         and on such a CPU, or with CR4.VMXE = 0, VMXON is
;                         #UD (SDM Vol. 3C, VMXON instruction reference)
;   RDMSR 0x4b564d99   -> #GP(0): an MSR the hv does not know
;   WRMSR 0x4b564d99   -> #GP(0)
;
; Each instruction runs inside TRY (lib.inc), which records the exception and
; resumes after the instruction.  Every check runs and prints its result.
[BITS 64]
org 0x100000
%include "lib.inc"

%define UD	6
%define GP	13
%define UNKNOWN_MSR	0x4b564d99	; not an architectural MSR nor one the hv emulates

start:
	call idt_init
	xor r15d, r15d			; R15: number of failed checks

	TRY vmxon [rel vmxon_pointer]
	lea rsi, [rel what_vmxon]
	mov edi, UD
	mov rdx, NO_ERROR_CODE
	call check_fault

	mov ecx, UNKNOWN_MSR
	TRY rdmsr
	lea rsi, [rel what_rdmsr]
	mov edi, GP
	xor edx, edx
	call check_fault

	mov ecx, UNKNOWN_MSR
	xor eax, eax
	xor edx, edx
	TRY wrmsr
	lea rsi, [rel what_wrmsr]
	mov edi, GP
	xor edx, edx
	call check_fault

	FINISH

what_vmxon:	db "vmxon", 0
what_rdmsr:	db "rdmsr 0x4b564d99", 0
what_wrmsr:	db "wrmsr 0x4b564d99", 0

	align 8
; VMXON's operand: the physical address of a VMXON region.  The instruction
; must never get as far as using it; a 4 KiB-aligned address in our RAM.
vmxon_pointer:	dq 0x200000
