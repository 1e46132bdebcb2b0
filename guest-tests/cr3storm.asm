; cr3storm.asm - a hostile guest: a storm of MOV to CR3 and INVLPG.
;
; Every MOV to CR3 and every INVLPG is a VM exit that the shadow pager
; (hv/mm/shadow.c) must handle; between two roots, each load also drops the
; shadow's non-global entries, so the next access faults them back in.  The
; storm is bounded (ROUNDS round trips between two roots), and after each
; load and INVLPG the guest checks that its memory still reads what it
; wrote: a pager that lost or mixed up a translation fails here.  Antfarm is
; switched off for this guest first (mark port 0x510, value 0x10): both
; roots have user entries, and every switch would be a log line otherwise.
[BITS 64]
org 0x100000
%include "lib.inc"

%define ROUNDS		3000
%define ALT_ROOT	0x300000	; a second PML4: a copy of the boot one
%define DATA		0x400000	; a 2 MiB page both roots map
%define MARK_PORT	0x510
%define MARK_AF_OFF	0x10
%define MARK_AF_ON	0x11

start:
	mov dx, MARK_PORT
	mov al, MARK_AF_OFF
	out dx, al

	mov r12, cr3			; R12: the boot root
	mov rsi, r12
	and rsi, ~0xfff
	mov rdi, ALT_ROOT
	mov ecx, 512
	rep movsq
	mov r13, ALT_ROOT		; R13: the other root

	PRINTLN "storming MOV CR3 and INVLPG between two roots"
	READ_TSC
	mov r14, rax			; R14: TSC at the start
	xor ebx, ebx			; RBX: rounds done
.round:
	lea rdi, [DATA + rbx * 8]
	mov cr3, r13
	mov [rdi], rbx			; written through the other root
	invlpg [rdi]
	cmp [rdi], rbx
	jne .lost
	mov cr3, r12
	invlpg [rdi]
	cmp [rdi], rbx			; read back through the boot root
	jne .lost
	inc rbx
	cmp rbx, ROUNDS
	jb .round

	READ_TSC
	sub rax, r14
	PRINT "rounds="
	PRINT_HEX rbx, 4
	PRINT " tsc-delta="
	PRINT_HEX rax, 16
	NEWLINE
	mov dx, MARK_PORT		; the hv logs this guest's exit counts
	mov al, MARK_AF_ON
	out dx, al
	PASS
.lost:
	FAIL "memory read back wrong after a CR3 load or INVLPG"
