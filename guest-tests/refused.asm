; refused.asm - a hostile guest's instructions that would touch the host:
; each must give the guest what a real CPU gives it (an exception it can
; handle), and must change nothing outside the guest.
;
;   SVM instructions       -> #UD: the CPU is an Intel one with VMX hidden;
;                             VMRUN & co. are not even VM exits there
;   WRMSR EFER.SVME        -> #GP(0): no SVM
;   WRMSR FEATURE_CONTROL  -> #GP(0): the host's VMX lock is not the guest's
;   WRMSR APIC_BASE        -> #GP(0) for a move or disable (same value: ok)
;   WRMSR SYSENTER_*, LSTAR, STAR, CSTAR, KERNEL_GS_BASE, FMASK: the guest's
;                             own copies change (read back), the host's not:
;                             the hv and the other guests keep running
;   ... non-canonical or reserved bits in any of them -> #GP(0), no change
;   WRMSR PAT with a reserved memory type -> #GP(0) (was: VM-entry failure)
;   WRMSR EFER clearing LME in long mode  -> #GP(0) (was: VM-entry failure)
;   MOV CR3 with bit 63 (CR4.PCIDE = 0) or bits above MAXPHYADDR -> #GP(0)
;   MOV CR4 with VMXE, PCIDE, OSXSAVE, PKE, LA57, MCE, reserved bits, or
;       PAE cleared in long mode -> #GP(0)
;   MOV CR0 with bits 63:32, NW without CD, PG cleared in 64-bit mode -> #GP(0)
; The hv logs each refused MSR or CR write with the guest's name.
[BITS 64]
org 0x100000
%include "lib.inc"

%define UD	6
%define GP	13

%define MSR_FEATURE_CONTROL	0x3a
%define MSR_APIC_BASE		0x1b
%define MSR_SYSENTER_CS		0x174
%define MSR_SYSENTER_ESP	0x175
%define MSR_SYSENTER_EIP	0x176
%define MSR_DEBUGCTL		0x1d9
%define MSR_PAT			0x277
%define MSR_EFER		0xc0000080
%define MSR_STAR		0xc0000081
%define MSR_LSTAR		0xc0000082
%define MSR_CSTAR		0xc0000083
%define MSR_FMASK		0xc0000084
%define MSR_KERNEL_GS_BASE	0xc0000102
%define MSR_TSC_AUX		0xc0000103

%define NONCANONICAL	0x0000800000000000

; WRMSR_GP msr, value, "what": WRMSR of value must raise #GP(0).
%macro WRMSR_GP 3
	mov ecx, %1
	mov rax, %2
	SPLIT64
	EXPECT_FAULT GP, 0, %3, wrmsr
%endmacro

; WRMSR_OK msr, value, "what": WRMSR must succeed and RDMSR return value.
%macro WRMSR_OK 3
	mov ecx, %1
	mov rax, %2
	SPLIT64
	EXPECT_NO_FAULT %3, wrmsr
	RDMSR64 %1
	CHECK_EQ rax, %2, %3
%endmacro

; MOVCR_GP cr, "what": MOV of RAX to cr must raise #GP(0).
%macro MOVCR_GP 2
	EXPECT_FAULT GP, 0, %2, mov %1, rax
%endmacro

; CR4_IF_CPUID leaf, reg, bit, cr4_bit, "name": if CPUID.leaf (subleaf 0)
; reports the feature in reg's bit, setting cr4_bit must not fault (and is
; undone); otherwise say it is not reported.
%macro CR4_IF_CPUID 5
	mov eax, %1
	xor ecx, ecx
	cpuid
	bt %2, %3
	jnc %%absent
	mov rbx, cr4
	mov rax, rbx
	bts rax, %4
	EXPECT_NO_FAULT %5, mov cr4, rax
	mov cr4, rbx
	jmp %%done
%%absent:
	PRINTLN %5, ": not reported by CPUID"
%%done:
%endmacro

start:
	call idt_init
	xor r15d, r15d			; R15: number of failed checks

	; ---- SVM: absent on this CPU, so #UD, whatever the operands
	xor eax, eax			; VMRUN/VMLOAD/VMSAVE take RAX = a VMCB
	EXPECT_FAULT UD, NO_ERROR_CODE, "vmrun", vmrun
	EXPECT_FAULT UD, NO_ERROR_CODE, "vmload", vmload
	EXPECT_FAULT UD, NO_ERROR_CODE, "vmsave", vmsave
	EXPECT_FAULT UD, NO_ERROR_CODE, "vmmcall", vmmcall
	EXPECT_FAULT UD, NO_ERROR_CODE, "stgi", stgi
	EXPECT_FAULT UD, NO_ERROR_CODE, "clgi", clgi
	EXPECT_FAULT UD, NO_ERROR_CODE, "skinit", skinit
	xor ecx, ecx
	EXPECT_FAULT UD, NO_ERROR_CODE, "invlpga", invlpga

	; ---- MSRs that belong to the host
	RDMSR64 MSR_EFER
	mov r12, rax			; R12: EFER as we found it
	bts rax, 12			; SVME
	SPLIT64
	mov ecx, MSR_EFER
	EXPECT_FAULT GP, 0, "wrmsr EFER.SVME", wrmsr
	WRMSR_GP MSR_FEATURE_CONTROL, 0, "wrmsr IA32_FEATURE_CONTROL 0 (unlock)"
	WRMSR_GP MSR_FEATURE_CONTROL, 5, "wrmsr IA32_FEATURE_CONTROL 5 (VMX on)"
	RDMSR64 MSR_APIC_BASE
	mov r13, rax			; R13: APIC base as we found it
	mov rax, 0xfec00000 | (1 << 11) | (1 << 8)
	SPLIT64
	mov ecx, MSR_APIC_BASE
	EXPECT_FAULT GP, 0, "wrmsr IA32_APIC_BASE (move to 0xfec00000)", wrmsr
	mov rax, r13
	btr rax, 11			; disable the xAPIC
	SPLIT64
	mov ecx, MSR_APIC_BASE
	EXPECT_FAULT GP, 0, "wrmsr IA32_APIC_BASE (disable)", wrmsr
	RDMSR64 MSR_APIC_BASE
	CHECK_EQ rax, r13, "IA32_APIC_BASE after the refused writes"

	; ---- MSRs the CPU uses in guest mode: the guest's own copies
	WRMSR_OK MSR_SYSENTER_CS, 0x10, "SYSENTER_CS"
	WRMSR_OK MSR_SYSENTER_ESP, 0xffff800000123000, "SYSENTER_ESP"
	WRMSR_OK MSR_SYSENTER_EIP, 0xffffffff81000000, "SYSENTER_EIP"
	WRMSR_OK MSR_STAR, 0x0023001000000000, "STAR"
	WRMSR_OK MSR_LSTAR, 0xffffffff81234560, "LSTAR"
	WRMSR_OK MSR_CSTAR, 0xffffffff81234570, "CSTAR"
	WRMSR_OK MSR_FMASK, 0x47700, "FMASK"
	WRMSR_OK MSR_KERNEL_GS_BASE, 0xffff888000000000, "KERNEL_GS_BASE"
	WRMSR_GP MSR_SYSENTER_ESP, NONCANONICAL, "wrmsr SYSENTER_ESP non-canonical"
	WRMSR_GP MSR_SYSENTER_EIP, NONCANONICAL, "wrmsr SYSENTER_EIP non-canonical"
	WRMSR_GP MSR_LSTAR, NONCANONICAL, "wrmsr LSTAR non-canonical"
	WRMSR_GP MSR_CSTAR, NONCANONICAL, "wrmsr CSTAR non-canonical"
	WRMSR_GP MSR_KERNEL_GS_BASE, NONCANONICAL, "wrmsr KERNEL_GS_BASE non-canonical"
	WRMSR_GP MSR_FMASK, 0x100000200, "wrmsr FMASK bit 32 (reserved)"
	WRMSR_GP MSR_FMASK, 0xffffffff00000000, "wrmsr FMASK bits 63:32 (reserved)"
	WRMSR_GP MSR_TSC_AUX, 0x100000000, "wrmsr TSC_AUX bit 32 (reserved)"
	WRMSR_GP MSR_DEBUGCTL, 0x80, "wrmsr DEBUGCTL.BTS"
	RDMSR64 MSR_FMASK
	CHECK_EQ rax, 0x47700, "FMASK after the refused writes"
	RDMSR64 MSR_LSTAR
	CHECK_EQ rax, 0xffffffff81234560, "LSTAR after the refused write"
	RDMSR64 MSR_SYSENTER_EIP
	CHECK_EQ rax, 0xffffffff81000000, "SYSENTER_EIP after the refused write"

	; ---- PAT: 2 and 3 are reserved memory types
	RDMSR64 MSR_PAT
	mov r14, rax			; R14: PAT as we found it
	WRMSR_GP MSR_PAT, 0x0007040600070402, "wrmsr PAT entry 0 = 2 (reserved type)"
	WRMSR_GP MSR_PAT, 0x0307040600070406, "wrmsr PAT entry 7 = 3 (reserved type)"
	WRMSR_GP MSR_PAT, 0x0007040600070446, "wrmsr PAT entry 0 bit 6 (reserved)"
	RDMSR64 MSR_PAT
	CHECK_EQ rax, r14, "PAT after the refused writes"
	WRMSR_OK MSR_PAT, 0x0407050600070106, "PAT (Linux's: WB WC UC- UC WB WP UC- WT)"

	; ---- EFER.LME cannot change while paging is on
	mov rax, r12
	btr rax, 8			; LME
	SPLIT64
	mov ecx, MSR_EFER
	EXPECT_FAULT GP, 0, "wrmsr EFER clearing LME in long mode", wrmsr
	RDMSR64 MSR_EFER
	CHECK_EQ rax, r12, "EFER after the refused writes"

	; ---- CR3
	mov rbx, cr3			; RBX: CR3 as we found it
	mov rax, rbx
	bts rax, 63
	MOVCR_GP cr3, "mov cr3 with bit 63 (CR4.PCIDE = 0)"
	mov rax, rbx
	bts rax, 40
	MOVCR_GP cr3, "mov cr3 with bit 40 (above MAXPHYADDR 36)"
	mov rax, cr3
	CHECK_EQ rax, rbx, "CR3 after the refused writes"
	mov eax, 0x80000008
	cpuid
	and eax, 0xff
	CHECK_EQ rax, 36, "CPUID.80000008H:EAX[7:0] (MAXPHYADDR)"

	; ---- CR4
	mov rbx, cr4			; RBX: CR4 as we found it
	mov rax, rbx
	bts rax, 13
	MOVCR_GP cr4, "mov cr4 with VMXE"
	mov rax, rbx
	bts rax, 17
	MOVCR_GP cr4, "mov cr4 with PCIDE (hidden in CPUID)"
	mov rax, rbx
	bts rax, 18
	MOVCR_GP cr4, "mov cr4 with OSXSAVE (hidden in CPUID)"
	mov rax, rbx
	bts rax, 22
	MOVCR_GP cr4, "mov cr4 with PKE (hidden in CPUID)"
	mov rax, rbx
	bts rax, 12
	MOVCR_GP cr4, "mov cr4 with LA57 (hidden in CPUID)"
	mov rax, rbx
	bts rax, 15
	MOVCR_GP cr4, "mov cr4 with bit 15 (reserved)"
	mov rax, rbx
	bts rax, 40
	MOVCR_GP cr4, "mov cr4 with bit 40 (reserved)"
	mov rax, rbx
	btr rax, 5
	MOVCR_GP cr4, "mov cr4 clearing PAE in long mode"
	mov rax, cr4
	CHECK_EQ rax, rbx, "CR4 after the refused writes"
	; ... while every CR4 feature CPUID reports can be turned on (Linux
	; sets each one it sees; a #GP there would stop its boot)
	CR4_IF_CPUID 1, edx, 13, 7, "CR4.PGE"
	CR4_IF_CPUID 1, edx, 24, 9, "CR4.OSFXSR"
	CR4_IF_CPUID 1, edx, 25, 10, "CR4.OSXMMEXCPT"
	CR4_IF_CPUID 7, ebx, 0, 16, "CR4.FSGSBASE"
	CR4_IF_CPUID 7, ebx, 7, 20, "CR4.SMEP"
	CR4_IF_CPUID 7, ebx, 20, 21, "CR4.SMAP"
	CR4_IF_CPUID 7, ecx, 2, 11, "CR4.UMIP"

	; ---- CR0
	mov rbx, cr0			; RBX: CR0 as we found it
	mov rax, rbx
	bts rax, 32
	MOVCR_GP cr0, "mov cr0 with bit 32 (reserved)"
	mov rax, rbx
	bts rax, 29			; NW without CD
	btr rax, 30
	MOVCR_GP cr0, "mov cr0 with NW and not CD"
	mov rax, rbx
	btr rax, 31
	MOVCR_GP cr0, "mov cr0 clearing PG in 64-bit mode"
	mov rax, cr0
	CHECK_EQ rax, rbx, "CR0 after the refused writes"

	; Still alive, in long mode with paging, and the UART answers: the
	; hv took every refusal in its stride.
	FINISH
