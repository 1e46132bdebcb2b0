; hlt.asm - a timer interrupt wakes a halted guest.
;
; The guest programs the virtual 8259 (IRQ 0 -> vector 0x20, every other
; line masked) and the virtual 8254 (channel 0, mode 2, 100 Hz), installs a
; handler that counts ticks and sends EOI, and then halts with interrupts on
; until 10 ticks have arrived.  This checks, end to end: port I/O to the PIC
; and PIT models, the hv injecting IRQ 0 (interrupt-window exiting when the
; guest cannot take it yet), and HLT sleeping until the next device event.
; Any exception is fatal here (the IDT only has the timer gate): the hv then
; reports a triple fault.
;
; It also measures how late each tick reaches it: the handler latches the
; PIT's channel 0 count, and in mode 2 (divisor N) N - count is the number
; of PIT clocks since the tick.  The hv runs hostile guests beside this one
; in the itest boot (spin_cli, spin_sti, cr3storm); the worst latency and
; the time the 10 ticks took (10 periods + the last tick's latency, valid
; when the hv folded no tick into another: its pit-coalesced=0) show how
; much they slowed it down.
[BITS 64]
org 0x100000
%include "lib.inc"

%define TIMER_VECTOR	0x20
%define WANT_TICKS	10
%define PIT_DIVISOR	11932		; 1193182 Hz / 11932 = 100 Hz

start:
	; IDT: one 64-bit interrupt gate, at vector 0x20
	SET_INTR_GATE timer_idt, TIMER_VECTOR, timer_handler
	lidt [rel timer_idtr]

	PIC_IRQ0_ONLY			; vectors 0x20/0x28, only IRQ 0 unmasked
	PIT_RATE PIT_DIVISOR		; mode 2, 100 Hz

	PRINTLN "PIC and PIT programmed: IRQ 0 at 100 Hz, halting until 10 ticks"
	READ_TSC
	mov r14, rax			; R14: TSC at the start
	xor r13d, r13d			; R13: HLTs executed
.wait:
	sti
	hlt				; woken by the next tick (or any interrupt)
	cli
	inc r13
	cmp qword [rel ticks], WANT_TICKS
	jb .wait
	READ_TSC
	sub rax, r14

	PRINT "ticks="
	PRINT_HEX [rel ticks], 4
	PRINT " hlts="
	PRINT_HEX r13, 4
	PRINT " tsc-delta="
	PRINT_HEX rax, 16
	NEWLINE
	PRINT "tick latency in PIT clocks (1.193182 MHz): worst="
	PRINT_HEX [rel worst_latency], 4
	PRINT " last="
	PRINT_HEX [rel last_latency], 4
	PRINT "; 10 ticks took "
	mov rax, [rel last_latency]
	add rax, WANT_TICKS * PIT_DIVISOR
	PRINT_HEX rax, 6
	PRINTLN " clocks (0x01d218 = 0.1 s expected)"
	cmp r13, WANT_TICKS		; each HLT must have slept until a tick
	jb .too_few_hlts
	test rax, rax
	jz .no_time
	PASS
.too_few_hlts:
	FAIL "fewer HLTs than ticks: HLT did not wait for the interrupt"
.no_time:
	FAIL "no time passed"

timer_handler:
	push rax
	push rcx
	xor eax, eax			; 8254 command: latch channel 0's count
	out 0x43, al
	in al, 0x40			; low byte, then high byte (lo/hi mode)
	mov cl, al
	in al, 0x40
	mov ch, al
	movzx ecx, cx
	mov eax, PIT_DIVISOR		; clocks since the tick: N - count
	sub eax, ecx
	mov [rel last_latency], rax
	cmp rax, [rel worst_latency]
	jbe .not_worse
	mov [rel worst_latency], rax
.not_worse:
	inc qword [rel ticks]
	mov al, 0x20			; non-specific EOI to the master 8259
	out 0x20, al
	pop rcx
	pop rax
	iretq

ticks:	dq 0
last_latency:	dq 0
worst_latency:	dq 0
timer_idtr:
	dw (TIMER_VECTOR + 1) * 16 - 1
	dq timer_idt
align 16
timer_idt:
	times (TIMER_VECTOR + 1) * 16 db 0
