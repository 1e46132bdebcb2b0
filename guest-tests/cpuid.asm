; cpuid.asm - what CPUID tells a guest about the machine it runs on.
;
; The hv must say that there is a hypervisor (leaf 1, ECX bit 31), hide VMX
; (leaf 1, ECX bit 5: we offer no nested virtualization), and name itself
; at leaf 0x40000000: no Intel CPU returns information for leaves
; 40000000H-4FFFFFFFH (SDM Vol. 2A, CPUID), so hypervisors use them.
; Every check runs and prints what it saw; any failure makes the status 1.
[BITS 64]
org 0x100000
%include "lib.inc"

%define CPUID_1_ECX_VMX		5
%define CPUID_1_ECX_HYPERVISOR	31
%define HV_LEAF			0x40000000

start:
	xor r15d, r15d			; R15: number of failed checks

	; ---- leaf 1
	mov eax, 1
	xor ecx, ecx
	cpuid
	mov r12, rcx			; CPUID writes ECX: the upper half is 0
	PRINT "CPUID.1:ECX = "
	PRINT_HEX r12, 8
	NEWLINE
	bt r12d, CPUID_1_ECX_HYPERVISOR
	jc .hv_bit_ok
	PRINTLN "FAIL: CPUID.1:ECX bit 31 (hypervisor present) is clear"
	inc r15
.hv_bit_ok:
	bt r12d, CPUID_1_ECX_VMX
	jnc .vmx_bit_ok
	PRINTLN "FAIL: CPUID.1:ECX bit 5 (VMX) is set; the hv offers no nested VMX"
	inc r15
.vmx_bit_ok:

	; ---- leaf 0x40000000: EAX = highest hv leaf, EBX:ECX:EDX = signature
	mov eax, HV_LEAF
	xor ecx, ecx
	cpuid
	mov [rel signature], ebx
	mov [rel signature + 4], ecx
	mov [rel signature + 8], edx
	mov r12, rax
	PRINT "CPUID.40000000: EAX = "
	PRINT_HEX r12, 8
	PRINT ", signature '"
	lea rsi, [rel signature]
	mov ecx, 12
.sig_char:				; NULs and other non-text shown as '.'
	mov al, [rsi]
	call putc_visible
	inc rsi
	dec ecx
	jnz .sig_char
	PRINTLN "'"

	cmp r12d, HV_LEAF
	jae .max_leaf_ok
	PRINTLN "FAIL: CPUID.40000000:EAX is below 0x40000000"
	inc r15
.max_leaf_ok:
	lea rsi, [rel signature]
	lea rdi, [rel want_signature]
	mov ecx, 12
	cld				; the ABI says RFLAGS = 0x2; cheap to be sure
	repe cmpsb
	je .signature_ok
	PRINTLN "FAIL: signature is not 'FormicaHV' padded with three NULs"
	inc r15
.signature_ok:

	test r15, r15
	jnz .failed
	PASS
.failed:
	EXIT 1

signature:	times 12 db 0
want_signature:	db "FormicaHV", 0, 0, 0
