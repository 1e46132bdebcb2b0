; privileged.asm - instructions the hv must refuse with the exception real
; hardware would raise, not with a crash of the guest or of the hv.
;
;   VMXON m64          -> #UD: the guest sees no VMX (CPUID.1:ECX.VMX = 0),
;                         and on such a CPU, or with CR4.VMXE = 0, VMXON is
;                         #UD (SDM Vol. 3C, VMXON instruction reference)
;   RDMSR 0x4b564d99   -> #GP(0): an MSR the hv does not know
;   WRMSR 0x4b564d99   -> #GP(0)
;   KERNEL_GS_BASE     -> what SWAPGS left there, also after a WRMSR to
;                         LSTAR: SWAPGS changes the MSR with no exit, and
;                         the hv reloads the SYSCALL MSRs on such a write
;                         (it once put back its own stale copy)
;
; Each instruction runs inside TRY (lib.inc), which records the exception and
; resumes after the instruction.  Every check runs and prints its result.
[BITS 64]
org 0x100000
%include "lib.inc"

%define UD	6
%define GP	13
%define UNKNOWN_MSR	0x4b564d99	; not an architectural MSR nor one the hv emulates
%define MSR_LSTAR		0xc0000082
%define MSR_GS_BASE		0xc0000101
%define MSR_KERNEL_GS_BASE	0xc0000102
%define KGS_BEFORE	0x0000111122223333
%define GS_BEFORE	0x0000444455556666

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

	; SWAPGS exchanges GS_BASE and KERNEL_GS_BASE inside the CPU, then a
	; WRMSR to another SYSCALL MSR: KERNEL_GS_BASE must read GS_BEFORE.
	mov ecx, MSR_KERNEL_GS_BASE
	mov rax, KGS_BEFORE
	call wrmsr_rax
	mov ecx, MSR_GS_BASE
	mov rax, GS_BEFORE
	call wrmsr_rax
	swapgs
	mov ecx, MSR_LSTAR
	lea rax, [rel start]
	call wrmsr_rax
	mov ecx, MSR_KERNEL_GS_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov rbx, GS_BEFORE
	cmp rax, rbx
	je .kgs_ok
	PRINT "FAIL: kernel_gs_base after swapgs, wrmsr lstar: "
	PRINT_HEX rax, 16
	NEWLINE
	inc r15
	jmp .kgs_done
.kgs_ok:
	PRINTLN "kernel_gs_base after swapgs, wrmsr lstar: as swapgs left it"
.kgs_done:
	swapgs				; GS_BASE back to what it was

	FINISH

; wrmsr_rax: WRMSR ECX with the value in RAX (clobbers RDX).
wrmsr_rax:
	mov rdx, rax
	shr rdx, 32
	wrmsr
	ret

what_vmxon:	db "vmxon", 0
what_rdmsr:	db "rdmsr 0x4b564d99", 0
what_wrmsr:	db "wrmsr 0x4b564d99", 0

	align 8
; VMXON's operand: the physical address of a VMXON region.  The instruction
; must never get as far as using it; a 4 KiB-aligned address in our RAM.
vmxon_pointer:	dq 0x200000
