; spin_cli.asm - a hostile guest: interrupts off, then a spin that never ends.
;
; `cli; jmp $` never exits on its own: no I/O, no HLT, no fault.  The hv must
; still take the CPU back at the end of every slice (the other guests of the
; boot keep running beside it), and formica.cfg's max_ms for this guest
; (tools/configs/itest.cfg) is what ends it: the hv logs that it stopped it.
; Bochs note: Bochs 2.7 never delivers the local APIC timer's interrupt to a
; guest entered with RFLAGS.IF = 0, so this guest is also what shows the hv's
; workaround (hv/vmx/vmx_vcpu.c, vmx_arm_deadline()) works.
[BITS 64]
org 0x100000
%include "lib.inc"

start:
	PRINTLN "spinning with interrupts off (cli; jmp $) until the hv stops me"
	cli
.spin:
	jmp .spin
