; hello.asm - the smallest flat guest: one line on the UART, then HC_EXIT.
; It needs only THR writes, LSR reads and VMCALL: if this fails, start here.
[BITS 64]
org 0x100000
%include "lib.inc"

start:
	PRINTLN "Hello from a flat guest"
	PASS
