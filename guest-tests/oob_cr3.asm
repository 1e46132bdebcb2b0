; oob_cr3.asm - CR3 pointing outside the guest's RAM.
;
; MOV to CR3 takes any page-aligned address below MAXPHYADDR: the CPU only
; reads the table when it next translates, which is the very next
; instruction fetch.  Here that table (guest-physical 0x7f000000) is far
; past our 16 MiB of RAM.  On a real PC the MMU would read all-ones there;
; Formica has nothing there and stops the guest, naming the page table's
; guest-physical address.  First, checked from inside: MOV to CR3 of a
; second valid PML4 (a copy of ours) works and reads back.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define OUTSIDE		0x7f000000

start:
	call idt_init
	xor r15d, r15d
	mov rsi, PML4				; a copy of our PML4 at SCRATCH_PAGE
	mov rdi, SCRATCH_PAGE
	mov ecx, 512
	rep movsq
	mov rbx, cr3
	mov rax, SCRATCH_PAGE
	mov cr3, rax
	mov rax, cr3
	CHECK_EQ rax, SCRATCH_PAGE, "CR3 after loading a copy of our PML4"
	mov cr3, rbx

	test r15, r15
	jz .go
	FAIL "the checks inside RAM failed"
.go:
	PRINTLN "loading CR3 = 0x7f000000 (past RAM)"
	mov eax, OUTSIDE
	mov cr3, rax
	PRINTLN "FAIL: still running with CR3 past RAM"
	EXIT 1
