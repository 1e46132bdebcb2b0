; leave_lm.asm - leaving long mode and coming back, the way the SDM says
; (Vol. 3A 9.8.5.4): a far return to a 32-bit code segment (compatibility
; mode), CR0.PG = 0 (IA-32e mode is off: EFER.LMA = 0), EFER.LME = 0.  Then
; back: LME = 1, CR0.PG = 1 (LMA = 1 again), far jump to 64-bit code.
;
; Every step is legal, so the guest must not be stopped for any of them.
; The hv used to keep the VMCS's "IA-32e mode guest" entry control set,
; and VM entry then failed as soon as the guest's EFER.LMA was 0.  (The
; refusals around these steps - clearing PG in 64-bit mode, changing LME
; with paging on - are the refused test's.)
[BITS 64]
org 0x100000
%include "lib.inc"

%define CODE64	0x08
%define DATA	0x10
%define CODE32	0x18
%define MSR_EFER	0xc0000080
%define EFER_LME	(1 << 8)
%define EFER_LMA	(1 << 10)
%define CR0_PG		(1 << 31)

start:
	lgdt [rel gdtr]
	PRINTLN "far return to compatibility mode"
	push CODE32
	lea rax, [rel compat]
	push rax
	o64 retf

[BITS 32]
compat:
	mov esi, msg_compat
	call puts32
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax			; IA-32e mode off
	mov ecx, MSR_EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	rdmsr
	test eax, EFER_LMA | EFER_LME
	jnz .bad_efer
	mov esi, msg_legacy
	call puts32

	mov ecx, MSR_EFER		; and back
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax			; IA-32e mode on (CR3 = our PML4 still)
	rdmsr
	test eax, EFER_LMA
	jz .bad_efer
	jmp CODE64:back64

.bad_efer:
	mov esi, msg_bad_efer
	call puts32
	mov ebx, 1
	xor eax, eax
	vmcall
	hlt

; puts32 / putc32: the UART from 32-bit code (lib.inc's are 64-bit code).
puts32:
	mov al, [esi]
	test al, al
	jz .done
	call putc32
	inc esi
	jmp puts32
.done:
	ret

putc32:
	push edx
	push eax
	mov dx, UART_LSR
.wait:
	in al, dx
	test al, LSR_THRE
	jz .wait
	pop eax
	mov dx, UART_THR
	out dx, al
	pop edx
	ret

msg_compat:	db "in compatibility mode", 10, 0
msg_legacy:	db "in protected mode without paging, EFER.LME = LMA = 0", 10, 0
msg_bad_efer:	db "FAIL: EFER.LMA/LME not as the mode says", 10, 0

[BITS 64]
back64:
	mov ax, DATA
	mov ds, ax
	mov ss, ax
	PRINTLN "back in 64-bit mode"
	PASS

	align 8
gdt:	dq 0
	dq 0x00af9b000000ffff		; 0x08: 64-bit code
	dq 0x00cf93000000ffff		; 0x10: data
	dq 0x00cf9b000000ffff		; 0x18: 32-bit code
gdt_end:
gdtr:	dw gdt_end - gdt - 1
	dq gdt
