; spin_sti.asm - a hostile guest: interrupts on, then a spin that never ends.
;
; `sti; jmp $` with no interrupt source programmed: the guest never halts,
; never exits on its own, and is always runnable.  Beside it, a guest
; waiting in HLT for its timer (hlt.asm) must still get each tick on time
; (hv/guest/vsched.c); formica.cfg's max_ms for this guest ends it.
[BITS 64]
org 0x100000
%include "lib.inc"

start:
	PRINTLN "spinning with interrupts on (sti; jmp $) until the hv stops me"
	sti
.spin:
	jmp .spin
