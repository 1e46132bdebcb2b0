; irqnest.asm - an external interrupt is delivered once, and only with IF = 1.
;
; A CPU takes an external interrupt only when RFLAGS.IF = 1, and the
; interrupt gate clears IF, so a handler that never sets IF again cannot be
; interrupted.  A hypervisor that injects the same interrupt twice, or
; injects one while the guest has IF = 0, breaks that: Linux then runs an
; interrupt handler inside another (or inside a spin_lock_irqsave region)
; and deadlocks on its own spinlock.  This guest makes the window wide: its
; timer handler spins for about 2 ms with IF = 0 and no exit (longer than
; the PIT period, so the hv's timer and the emulator's clock events fall
; inside it), and checks on entry that it is not nested (a depth counter)
; and that the RFLAGS it interrupted had IF = 1.  QEMU TCG's EVENTINJ
; delivers an injected interrupt a second time when its clock event comes
; before the guest's next exit (hv/svm/README.md, "Interrupt delivery").
[BITS 64]
org 0x100000
%include "lib.inc"

%define TIMER_VECTOR	0x20
%define WANT_TICKS	40
%define PIT_DIVISOR	1193		; 1193182 Hz / 1193 = 1 kHz
%define SPIN_LOOPS	60000		; ~2 instructions each: about 2 ms at 60 M/s

start:
	SET_INTR_GATE timer_idt, TIMER_VECTOR, timer_handler
	lidt [rel timer_idtr]

	PIC_IRQ0_ONLY			; vectors 0x20/0x28, only IRQ 0 unmasked
	PIT_RATE PIT_DIVISOR		; mode 2, 1 kHz

	PRINTLN "IRQ 0 at 1 kHz, a 2 ms handler with IF=0; waiting for 40 ticks"
	sti
.wait:					; no exits here: interrupts on
	cmp qword [rel ticks], WANT_TICKS
	jb .wait
	cli
	PRINT "ticks="
	PRINT_HEX [rel ticks], 4
	PRINT " nested="
	PRINT_HEX [rel nested], 4
	PRINT " if0="
	PRINT_HEX [rel if0], 4
	NEWLINE
	cmp qword [rel nested], 0
	jne .was_nested
	cmp qword [rel if0], 0
	jne .had_if0
	PASS
.was_nested:
	FAIL "an interrupt arrived inside the handler, which runs with IF=0"
.had_if0:
	FAIL "an interrupt interrupted code that ran with IF=0"

timer_handler:
	push rax
	push rcx
	; The frame: RIP, CS, RFLAGS, RSP, SS above the two pushes.
	test qword [rsp + 16 + 16], 0x200
	jnz .if_was_set
	inc qword [rel if0]
.if_was_set:
	inc qword [rel depth]
	cmp qword [rel depth], 1
	je .not_nested
	inc qword [rel nested]
.not_nested:
	mov ecx, SPIN_LOOPS		; the wide window: IF = 0, no exit
.spin:
	dec ecx
	jnz .spin
	inc qword [rel ticks]
	dec qword [rel depth]
	; The handler outlasts the period, so a tick is always pending at its
	; IRETQ and the loop below would never run: the last one masks IRQ 0.
	cmp qword [rel ticks], WANT_TICKS
	jb .eoi
	mov al, 0xff
	out 0x21, al
.eoi:
	mov al, 0x20			; non-specific EOI to the master 8259
	out 0x20, al
	pop rcx
	pop rax
	iretq

ticks:	dq 0
depth:	dq 0
nested:	dq 0
if0:	dq 0
timer_idtr:
	dw (TIMER_VECTOR + 1) * 16 - 1
	dq timer_idt
align 16
timer_idt:
	times (TIMER_VECTOR + 1) * 16 db 0
