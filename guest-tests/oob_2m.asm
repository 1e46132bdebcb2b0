; oob_2m.asm - a write beyond the guest's RAM through its own 2 MiB page,
; at the address where a PC's I/O APIC sits (0xfec00000).
;
; Inside RAM first: a 2 MiB page onto RAM works; a 2 MiB PDE with bit 13
; set (bits 20:13 of a 2 MiB PDE are reserved, SDM 4.5 Table 4-17) is the
; guest's own #PF with P|RSVD|W.  Then a write to the I/O APIC's index
; register through a 2 MiB page: the guest has no I/O APIC (the virtual PC
; has none) and the host's must never see the write; the hv stops the
; guest and names the address.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define IOAPIC		0xfec00000
%define RAM_2M		0x600000		; a 2 MiB-aligned piece of our RAM

start:
	call idt_init
	xor r15d, r15d
	call scratch_tables
	mov qword [SCRATCH_PD], RAM_2M | P | RW | PS		; 1 GiB + 0
	mov qword [SCRATCH_PD + 8], RAM_2M | P | RW | PS | (1 << 13) ; + 2 MiB
	mov eax, IOAPIC | P | RW | PS				; + 4 MiB
	mov [SCRATCH_PD + 16], rax
	call flush_tlb

	mov qword [GIB1 + 0x1ff000], 0x2222	; through the 2 MiB page ...
	mov rax, [RAM_2M + 0x1ff000]		; ... lands in our RAM
	CHECK_EQ rax, 0x2222, "write through a 2 MiB page onto RAM, read back"

	mov rbx, GIB1 + 0x200000
	TRY mov qword [rbx], 1
	CHECK_PF "write through a 2 MiB PDE with reserved bit 13", PFEC_P | PFEC_RSVD | 2

	test r15, r15
	jz .go
	FAIL "the checks inside RAM failed"
.go:
	PRINTLN "writing the I/O APIC index register (0xfec00000) through a 2 MiB page"
	mov dword [GIB1 + 0x400000], 1
	PRINTLN "FAIL: still running after writing past RAM"
	EXIT 1
