; recursive_pml4.asm - a PML4 that maps itself, and page tables aimed at
; addresses where a guest might hope to find the host.
;
; PML4 entry 511 pointing at the PML4 is legal and common (Windows used a
; recursive slot for years): the MMU then shows every paging structure at
; a fixed linear address, e.g. the PML4 itself at 0xfffffffffffff000.  The
; shadow pager must make this WORK, reads and writes: the guest reads its
; PML4, PDPT and page directory through the slot and compares them with
; what it wrote; then it builds a new page table purely through the slot
; and uses it.
; Then guesses at the host: page tables pointing at guest-physical 0 (a
; PC's interrupt vector table) and 1 MiB (where many loaders put a kernel)
; must show the guest's own RAM there, nothing of the host's.  Last, a
; page onto the local APIC (0xfee00000): not the guest's (CPUID says it has
; none), outside its RAM: the hv stops the guest and names the address.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define SLOT		511
; Linear addresses through the recursive slot (sign-extended, 4-level):
%define R_PML4		0xfffffffffffff000	; the PML4
%define R_PDPT0		0xffffffffffe00000	; the PDPT under PML4 entry 0
%define R_PD00		0xffffffffc0000000	; the PD under PML4[0], PDPT[0]
%define R_PT		0xffffff8000000000	; page tables: + pdpt_idx << 21 + pd_idx << 12
%define AD		0x60			; accessed and dirty: the MMU may set them
%define LAPIC		0xfee00000

; LOAD_ENTRY linear: RAX = the entry at linear, A and D cleared.
%macro LOAD_ENTRY 1
	mov rax, %1
	mov rax, [rax]
	and rax, ~AD
%endmacro

start:
	call idt_init
	xor r15d, r15d
	mov rdi, SCRATCH_PT
	call zero_page
	mov qword [PML4 + SLOT * 8], PML4 | P | RW
	call flush_tlb

	; ---- read the tables through the slot
	LOAD_ENTRY R_PML4 + SLOT * 8
	CHECK_EQ rax, PML4 | P | RW, "PML4[511] through itself"
	LOAD_ENTRY R_PML4
	CHECK_EQ rax, PDPT | P | RW, "PML4[0] through the slot"
	LOAD_ENTRY R_PDPT0
	CHECK_EQ rax, PD0 | P | RW, "PDPT[0] through the slot"
	LOAD_ENTRY R_PD00 + 8
	CHECK_EQ rax, 0x200000 | P | RW | PS, "PD[1] through the slot"

	; ---- build a page table through the slot alone: PD[8] (linear
	; 16 MiB, past the identity map) -> SCRATCH_PT, whose entries we
	; then write at R_PT + (0 << 21) + (8 << 12)
	mov rax, R_PD00 + 8 * 8
	mov qword [rax], SCRATCH_PT | P | RW
	mov rbx, R_PT + (8 << 12)
	invlpg [rbx]
	mov qword [rbx], SCRATCH_PAGE | P | RW		; 16 MiB + 0 -> our scratch page
	mov qword [rbx + 8], 0 | P | RW			; 16 MiB + 4 KiB -> gpa 0
	mov qword [rbx + 16], 0x100000 | P | RW		; 16 MiB + 8 KiB -> gpa 1 MiB
	mov eax, LAPIC | P | RW
	mov [rbx + 24], rax				; 16 MiB + 12 KiB -> the LAPIC
	call flush_tlb
	mov rax, [SCRATCH_PT + 16]			; what the slot wrote, seen directly
	and rax, ~AD
	CHECK_EQ rax, 0x100000 | P | RW, "PT entry written through the slot, read directly"
	mov qword [0x1000000], 0x77665544		; through the new table ...
	mov rax, [SCRATCH_PAGE]				; ... into our RAM
	CHECK_EQ rax, 0x77665544, "write through a table built via the slot"

	; ---- the host's addresses are our own RAM
	mov qword [0x800], 0x0bad0bad		; our page 0, identity ...
	mov rax, [0x1001800]			; ... through the table
	CHECK_EQ rax, 0x0bad0bad, "gpa 0 is our page 0"
	mov rax, [0x1002000]
	mov rdx, [0x100000]
	CHECK_EQ rax, rdx, "gpa 1 MiB is our own image"
	mov qword [0x1001ff8], 0x1234			; a write there lands in our page 0
	mov rax, [0xff8]
	CHECK_EQ rax, 0x1234, "write to gpa 0xff8 lands in our RAM"

	test r15, r15
	jz .go
	FAIL "the checks inside RAM failed"
.go:
	PRINTLN "reading the local APIC (0xfee00000) through a page table built via the slot"
	mov eax, [0x1003030]				; APIC version register
	PRINTLN "FAIL: still running after reading the local APIC"
	EXIT 1
