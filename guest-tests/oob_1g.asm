; oob_1g.asm - 1 GiB pages: one that covers the guest's RAM and far more,
; one wholly outside it.
;
; A 1 GiB page at guest-physical 0 maps our 16 MiB of RAM and 1008 MiB
; after it: reads inside RAM work (our own code, seen at 1 GiB + 1 MiB);
; a 1 GiB PDPTE with bit 13 set is the guest's own #PF (P|RSVD: bits 29:13
; are reserved, SDM 4.5 Table 4-15).  Then a read at 1 GiB + 64 MiB
; through the same page: past RAM, so the hv stops the guest, naming the
; guest-physical address 0x4000000.  The shadow pager cuts guest 1 GiB
; pages into 4 KiB pieces; this checks the piece past RAM is refused.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define GIB2		0x80000000		; linear 2 GiB: PDPT entry 2

start:
	call idt_init
	xor r15d, r15d
	mov qword [PDPT + 8], 0 | P | RW | PS			; 1 GiB -> gpa 0
	mov qword [PDPT + 16], 0 | P | RW | PS | (1 << 13)	; 2 GiB: reserved bit
	call flush_tlb

	mov rax, [GIB1 + 0x100000]		; our first 8 bytes, through the 1 GiB page
	mov rdx, [0x100000]			; ... and through the identity map
	CHECK_EQ rax, rdx, "our code through a 1 GiB page at gpa 0"
	mov qword [0xfffff8], 0x1a57		; the last bytes of RAM, identity ...
	mov rax, [GIB1 + 0xfffff8]		; ... seen through the 1 GiB page
	CHECK_EQ rax, 0x1a57, "the last bytes of RAM through the 1 GiB page"

	mov rbx, GIB2 + 0x123000
	TRY mov rax, [rbx]
	CHECK_PF "read through a 1 GiB PDPTE with reserved bit 13", PFEC_P | PFEC_RSVD

	test r15, r15
	jz .go
	FAIL "the checks inside RAM failed"
.go:
	PRINTLN "reading guest-physical 0x4000000 (past RAM) through the 1 GiB page"
	mov rax, [GIB1 + 0x4000000]
	PRINTLN "FAIL: still running after reading past RAM"
	EXIT 1
