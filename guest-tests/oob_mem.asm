; oob_mem.asm - a read beyond the guest's RAM through its own 4 KiB page.
;
; The guest owns RAM [0, 16 MiB) (mem_mb = 16 in itest.cfg).  Its page
; tables may say anything: an entry is only data until the MMU uses it.
; So first the harmless cases, each checked from inside:
;   a 4 KiB page onto RAM         -> works (same bytes as the identity map)
;   a PTE with a reserved bit     -> #PF, error code P|RSVD (SDM 4.7): the
;     (bit 40 > MAXPHYADDR 36)       guest's own fault, delivered to it
; then a PTE onto guest-physical 16 MiB, the first byte past RAM.  A real
; PC would return all-ones from the floating bus; Formica has no memory and
; no device there, and stops the guest with a log line naming it, the
; guest-physical and linear address ("bad-memory-access").  Nothing after
; the read may run.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define RAM_END		0x1000000

start:
	call idt_init
	xor r15d, r15d
	call scratch_tables
	mov qword [SCRATCH_PD], SCRATCH_PT | P | RW
	mov qword [SCRATCH_PT], SCRATCH_PAGE | P | RW		; page 0: RAM
	mov rax, SCRATCH_PAGE | P | RW | (1 << 40)
	mov [SCRATCH_PT + 8], rax				; page 1: reserved bit
	mov qword [SCRATCH_PT + 16], RAM_END | P | RW		; page 2: past RAM
	call flush_tlb

	mov qword [SCRATCH_PAGE], 0x5a5a1234
	mov rax, [GIB1]
	CHECK_EQ rax, 0x5a5a1234, "read through a 4 KiB page onto RAM"

	mov rbx, GIB1 + 0x1000
	TRY mov rax, [rbx]
	CHECK_PF "read through a PTE with reserved bit 40", PFEC_P | PFEC_RSVD

	test r15, r15
	jz .go
	FAIL "the checks inside RAM failed"
.go:
	PRINTLN "reading guest-physical 0x1000000 (past RAM) through a 4 KiB page"
	mov rax, [GIB1 + 0x2000]
	PRINTLN "FAIL: still running after reading past RAM"
	EXIT 1
