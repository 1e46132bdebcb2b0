; junk_cr3.asm - CR3 pointing at garbage inside the guest's RAM.
;
; The garbage is a page of all-ones, which is also what a real PC's MMU
; reads from unbacked memory.  Every PML4 entry then has P = 1 and reserved
; bits set, so the next instruction fetch is a #PF (RSVD); delivering it
; needs the IDT, whose linear address goes through the same PML4: a second
; #PF, so #DF, whose delivery faults too: a triple fault (SDM Vol. 3A 6.15,
; "Interrupt 8").  A real CPU shuts down; the hv must end this guest with
; ended=triple-fault, and only it.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

start:
	call idt_init				; an IDT, so the #PF really is delivered
	mov rdi, SCRATCH_PAGE
	mov rax, -1
	mov ecx, 512
	rep stosq
	PRINTLN "loading CR3 = a page of all-ones"
	mov eax, SCRATCH_PAGE
	mov cr3, rax
	PRINTLN "FAIL: still running with a PML4 of all-ones"
	EXIT 1
