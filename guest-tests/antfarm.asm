; antfarm.asm - process inference (Antfarm) seen from the guest: address
; spaces created, switched to, emptied and flushed, with every kind of
; page-table write Linux uses, and what the hv's event lines must say.
;
; Antfarm's rules (hv/antfarm/antfarm.c): the address-space id is the PML4's
; guest-physical address; the first CR3 load of a root with user entries is
; a creation, a later load of it a context switch; a root whose user half
; (PML4 entries 0..255) has no present entry left has exited at the next
; CR3 load of any root.  The hv keeps each live root's count exact by
; write-protecting the page and performing every write to it itself.
;
; Layout.  The hv's identity map lives in PML4 entry 0, which is in the
; user half: a root that keeps it can never look empty, and a root without
; it would unmap our code.  So we run like a real kernel, from the kernel
; half: PML4 entry 256 of every root points at the boot PDPT (0x3000), which
; maps all of RAM again at HIGH = 0xffff800000000000.  The user entries of
; the test roots point at SPARE, an empty PDPT that is never walked: only
; their presence counts.  From `high` on, the code uses RIP-relative and
; HIGH-based addresses only (lib.inc's PRINT_HEX reads its digit table at a
; low absolute address, so this file has its own hex printer).  No IDT: a
; fault would triple-fault, which the expectations catch.
;
;   0x02000  the boot root (the loader's; never loaded again by us)
;   0x20000  K  kernel root: entry 256 only, like Linux's init_mm: not a process
;   0x21000  A  user entries 0, 1, 255
;   0x22000  B  user entries 0, 7
;   0x23000  C  user entry 5
;   0x24000  D  user entries 0, 3
;   0x25000  E  user entry 9
;   0x2f000  SPARE (all zero)
;
; The story, and the hv line each step must produce (asid = the root's gpa):
;   K            nothing: no user entries
;   A, B         create A (live 1), create B (live 2)
;   A            switch to A from B
;   clear A with MOV (one MOV straddles two code pages), while A is loaded,
;                as Linux's exit_mmap() does; no event yet
;   K            the flush: exit A (live 1)
;   B            switch to B from 0x0 (K is no process)
;   C, D, C      create C (2), create D (3), switch to C from D
;   B[0] by XCHG, B[7] by a failing then a succeeding LOCK CMPXCHG: B is
;                empty; then B[7] refilled by MOV before any flush
;   E            create E with live 4: the flush in this load did not end B
;   B[7] by LOCK BTR (present bit), D by REP STOSQ over its whole page
;   E again      a reload, a flush: exit B (live 3), exit D (live 2)
;   A rebuilt    the page of an exited root used again: create A gen 1 (3)
;   C, K         switch to C from A gen 1; nothing
;   E[9] by MOV while E is not loaded; then REP MOVSQ copies K over E: the
;                emulator does not know MOVS, but E is empty, so the hv takes
;                the page as reused, stops watching it and lets the copy run
;   K            the flush: exit E (live 2)
;   LOCK XADD into C's root while C still has its entry: the emulator does
;                not know XADD, so the hv takes C as abandoned (a root the
;                guest stopped using without clearing it, its page reused as
;                plain memory), stops watching it and lets the XADD run
;   K            the flush: exit C (live 1)
; Totals: processes=1 created=6 exited=5 switches=4.
[BITS 64]
org 0x100000
%include "lib.inc"

%define HIGH		0xffff800000000000	; PML4 entry 256: the kernel half
%define BOOT_ROOT	0x2000
%define BOOT_PDPT	0x3000
%define ROOT_K		0x20000
%define ROOT_A		0x21000
%define ROOT_B		0x22000
%define ROOT_C		0x23000
%define ROOT_D		0x24000
%define ROOT_E		0x25000
%define SPARE		0x2f000
%define P_RW		3			; present, writable
%define KERNEL_SLOT	256

; LOAD root, "name": MOV to CR3 (RAX preserved), said first on the console.
%macro LOAD 2+
	PRINTLN "mov cr3 <- ", %2
	push rax
	mov eax, %1
	mov cr3, rax
	pop rax
%endmacro

; CHECK cc, "what": the condition cc (e, z, c, ...) must hold; otherwise
; count a failure in R15 and say what was wrong.
%macro CHECK 2+
	j%1 %%ok
	inc r15
	PRINTLN "FAIL: ", %2
%%ok:
%endmacro

; PHEX value: write value (register or immediate) as 0x and its hex digits.
%macro PHEX 1
	push rax
	mov rax, %1
	call puthex_rel
	pop rax
%endmacro

start:
	; The boot root gets a kernel half too, then we move up into it.
	mov rax, BOOT_PDPT | P_RW
	mov [BOOT_ROOT + KERNEL_SLOT * 8], rax
	lea rax, [rel high]
	mov rcx, HIGH
	add rax, rcx
	add rsp, rcx
	jmp rax

high:
	xor r15d, r15d			; R15: failed checks
	PRINT "running at "
	lea rax, [rel high]
	PHEX rax
	NEWLINE

	; The roots, with plain stores: none is watched before its first load.
	mov rdi, HIGH + SPARE
	call clear_page
	mov rdi, HIGH + ROOT_K
	call new_root
	mov rdi, HIGH + ROOT_A
	call new_root
	mov qword [rdi + 0 * 8], SPARE | P_RW
	mov qword [rdi + 1 * 8], SPARE | P_RW
	mov qword [rdi + 255 * 8], SPARE | P_RW
	mov rdi, HIGH + ROOT_B
	call new_root
	mov qword [rdi + 0 * 8], SPARE | P_RW
	mov qword [rdi + 7 * 8], SPARE | P_RW
	mov rdi, HIGH + ROOT_C
	call new_root
	mov qword [rdi + 5 * 8], SPARE | P_RW
	mov rdi, HIGH + ROOT_D
	call new_root
	mov qword [rdi + 0 * 8], SPARE | P_RW
	mov qword [rdi + 3 * 8], SPARE | P_RW
	mov rdi, HIGH + ROOT_E
	call new_root
	mov qword [rdi + 9 * 8], SPARE | P_RW
	PRINTLN "roots: K=0x20000 (kernel) A=0x21000 B=0x22000 C=0x23000 D=0x24000 E=0x25000"

	LOAD ROOT_K, "K: no user entries, no event"
	LOAD ROOT_A, "A: create 0x21000 live=1"
	LOAD ROOT_B, "B: create 0x22000 live=2"
	LOAD ROOT_A, "A: switch to 0x21000 from 0x22000"

	; --- A emptied by MOV while loaded ------------------------------------
	PRINTLN "clear A[1], A[255], A[0] by mov (the last one straddles two pages)"
	mov rdi, HIGH + ROOT_A
	xor eax, eax
	mov [rdi + 1 * 8], rax
	mov [rdi + 255 * 8], rax
	call mov_across_pages		; mov [rdi], rax
	mov rax, [rdi]
	or rax, [rdi + 1 * 8]
	or rax, [rdi + 255 * 8]
	test rax, rax
	CHECK z, "A's user entries are not all clear"
	LOAD ROOT_K, "K: the flush: exit 0x21000 live=1"
	LOAD ROOT_B, "B: switch to 0x22000 from 0x0"
	LOAD ROOT_C, "C: create 0x23000 live=2"
	LOAD ROOT_D, "D: create 0x24000 live=3"
	LOAD ROOT_C, "C: switch to 0x23000 from 0x24000"

	; --- B emptied by XCHG and LOCK CMPXCHG, then refilled ------------------
	PRINTLN "clear B[0] by xchg, B[7] by lock cmpxchg (fails once), refill B[7] by mov"
	mov rdi, HIGH + ROOT_B
	xor eax, eax
	xchg [rdi], rax
	cmp rax, SPARE | P_RW
	CHECK e, "xchg did not return B[0]"
	mov eax, 0x1234			; not B[7]: the compare fails
	xor ecx, ecx
	lock cmpxchg [rdi + 7 * 8], rcx
	setz bl
	test bl, bl
	CHECK z, "lock cmpxchg with the wrong value set ZF"
	cmp rax, SPARE | P_RW
	CHECK e, "failed lock cmpxchg did not load B[7] into RAX"
	cmp qword [rdi + 7 * 8], SPARE | P_RW
	CHECK e, "failed lock cmpxchg changed B[7]"
	lock cmpxchg [rdi + 7 * 8], rcx	; RAX = B[7] now: succeeds
	setz bl
	test bl, bl
	CHECK nz, "lock cmpxchg with the right value left ZF clear"
	cmp qword [rdi + 7 * 8], 0
	CHECK e, "lock cmpxchg did not clear B[7]"
	mov qword [rdi + 7 * 8], SPARE | P_RW	; refilled before any flush
	LOAD ROOT_E, "E: create 0x25000 live=4 (B was refilled: no exit)"

	; --- B by LOCK BTR, D by REP STOSQ --------------------------------------
	PRINTLN "clear B[7] by lock btr, all of D by rep stosq"
	mov rdi, HIGH + ROOT_B
	lock btr qword [rdi + 7 * 8], 0
	setc bl
	test bl, bl
	CHECK nz, "lock btr did not return the present bit in CF"
	cmp qword [rdi + 7 * 8], SPARE | 2
	CHECK e, "lock btr did not clear only the present bit of B[7]"
	mov rdi, HIGH + ROOT_D
	mov ecx, 512
	xor eax, eax
	cld
	rep stosq
	test rcx, rcx
	CHECK z, "rep stosq left RCX non-zero"
	mov rax, HIGH + ROOT_D + 0x1000
	cmp rdi, rax
	CHECK e, "rep stosq left RDI off the end of D"
	mov rax, [rax - 0x1000]
	mov rbx, HIGH + ROOT_D
	or rax, [rbx + 3 * 8]
	test rax, rax
	CHECK z, "rep stosq did not clear D"
	LOAD ROOT_E, "E again (a reload is a flush): exit 0x22000 live=3, exit 0x24000 live=2"

	; --- A's page reused ----------------------------------------------------
	PRINTLN "rebuild A with user entries 0 and 100"
	mov rdi, HIGH + ROOT_A
	mov qword [rdi + 0 * 8], SPARE | P_RW
	mov qword [rdi + 100 * 8], SPARE | P_RW
	LOAD ROOT_A, "A: create 0x21000 gen=1 live=3"
	LOAD ROOT_C, "C: switch to 0x23000 from 0x21000 gen 1"
	LOAD ROOT_K, "K: no event"

	; --- E emptied while not loaded, then its page reused -----------------
	PRINTLN "clear E[9] by mov, then copy K over E by rep movsq (unknown to the emulator)"
	mov rdi, HIGH + ROOT_E
	mov qword [rdi + 9 * 8], 0
	mov rsi, HIGH + ROOT_K
	mov ecx, 512
	cld
	rep movsq			; E is empty: the hv lets it run
	test rcx, rcx
	CHECK z, "rep movsq over E did not complete"
	mov rdi, HIGH + ROOT_E		; E is now a copy of K (whose entry 256 the
	mov rsi, HIGH + ROOT_K		; hv's walks marked accessed: compare, not 0x3003)
	mov rax, [rdi + KERNEL_SLOT * 8]
	cmp rax, [rsi + KERNEL_SLOT * 8]
	CHECK e, "rep movsq did not copy K into E"
	cmp qword [rdi + 9 * 8], 0
	CHECK e, "rep movsq left E[9]"
	LOAD ROOT_K, "K: the flush: exit 0x25000 live=2"

	; --- C abandoned: its page written as plain memory, entry in place ----
	PRINTLN "lock xadd into C[5] (C has that entry; XADD is unknown to the emulator)"
	mov rdi, HIGH + ROOT_C
	mov eax, 1
	lock xadd [rdi + 5 * 8], rax	; the hv lets it run: C is abandoned
	cmp rax, SPARE | P_RW
	CHECK e, "lock xadd did not return C[5]"
	cmp qword [rdi + 5 * 8], (SPARE | P_RW) + 1
	CHECK e, "lock xadd did not add to C[5]"
	LOAD ROOT_K, "K: the flush: exit 0x23000 live=1"
	PRINTLN "expect: processes=1 created=6 exited=5 switches=4"

	test r15, r15
	jnz .failed
	PASS
.failed:
	EXIT 1

; ---------------------------------------------------------------- helpers

; clear_page: zero the 4 KiB page at RDI (plain stores: not a watched page).
clear_page:
	push rax
	push rcx
	push rdi
	xor eax, eax
	mov ecx, 512
	cld
	rep stosq
	pop rdi
	pop rcx
	pop rax
	ret

; new_root: the page at RDI becomes a root with a kernel half and no user entries.
new_root:
	call clear_page
	mov qword [rdi + KERNEL_SLOT * 8], BOOT_PDPT | P_RW
	ret

; puthex_rel: write RAX as "0x" and its hex digits, without leading zeros
; (the hv's event lines write asids that way).  RIP-relative only.
puthex_rel:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	mov rbx, rax
	mov al, '0'
	call putc
	mov al, 'x'
	call putc
	mov ecx, 64
.find:					; the highest non-zero digit (digit 0 always)
	sub ecx, 4
	jz .digit
	mov rdx, rbx
	shr rdx, cl
	test rdx, rdx
	jz .find
.digit:
	mov rdx, rbx
	shr rdx, cl
	and edx, 0xf
	lea rsi, [rel digits]
	mov al, [rsi + rdx]
	call putc
	sub ecx, 4
	jns .digit
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	ret

digits:	db "0123456789abcdef"

; mov_across_pages: MOV [RDI], RAX from an instruction whose first byte is
; the last of one 4 KiB page and whose other two start the next, so the hv
; must fetch it through two translations.  The padding is never executed.
	times ((0x1000 - 1 - (($ - $$) & 0xfff)) & 0xfff) db 0xcc
mov_across_pages:
	mov [rdi], rax			; 48 89 07
	ret
