; triplefault.asm - a guest that triple faults must end, and only it.
;
; With an IDT limit of 0, no vector can be delivered: UD2 raises #UD, its
; gate is beyond the limit so that is a #GP, whose gate is beyond the limit
; too, so #DF, whose gate is also out: a triple fault (SDM Vol. 3A,
; "Interrupt 8 - Double Fault Exception").  A real CPU shuts down; in VMX
; non-root operation it is a VM exit (exit reason 2, SDM Vol. 3C, Appendix
; C).  The hv must end the guest with ended=triple-fault; nothing after UD2
; may run.
[BITS 64]
org 0x100000
%include "lib.inc"

start:
	PRINTLN "about to triple fault"
	lidt [rel empty_idtr]		; the ABI starts us like this; do not rely on it
	ud2
	PRINTLN "FAIL: still running after ud2 with an empty IDT"
	EXIT 1

	align 8
empty_idtr:
	dw 0				; limit 0
	dq 0				; base
