; vblk.asm - a virtio-blk driver in a few hundred lines, and a hostile one.
;
; A guest with `disk =` extents in formica.cfg gets a legacy (transitional)
; virtio-blk PCI function (hv/dev/README.md has the essay).  This test
; drives it the way a small OS would, with nothing but port I/O and its own
; memory: it finds the device by scanning PCI configuration space, takes
; its I/O BAR and interrupt line, does the legacy handshake (virtio 1.x
; spec 3.1.1 and 4.1.4.8), and then talks to it through one split
; virtqueue (2.7): a write that spans the guest's two extents, FLUSH,
; GET_ID, reads polled and reads woken by the device's interrupt (8259,
; IRQ 11, level-triggered), one of them a sweep for a lost wake-up.  Then it hands the device bad requests, each
; of which the hv must refuse with one log line while the guest runs on:
;   ring faults (the device sets NEEDS_RESET, raises a config interrupt,
;   the driver resets it):  a buffer running past the end of RAM, a buffer
;   of length 0, a chain whose NEXT points back into itself;
;   request faults (status byte VIRTIO_BLK_S_IOERR, the device carries on):
;   a length that is not a multiple of 512, sectors past the end of the disk;
;   and a queue address whose rings run past the end of RAM (NEEDS_RESET).
; After each, a good read must return what was written.  The host
; (tools/vblk-test.sh) then checks the disk image: the written pattern where
; the extents map the write, every other byte as it was.
;
; The pattern depends on the guest's name (from GET_ID), so two guests
; running this kernel write different data: qword k of disk sector s is
; NAME ^ (s << 32 | k), NAME being the ID's first 8 bytes, little-endian.
[BITS 64]
org 0x100000
%include "lib.inc"

%define CFG_ADDR	0xcf8
%define CFG_DATA	0xcfc
%define VIRTIO_BLK_ID	0x10011af4	; device:vendor, a transitional virtio-blk
%define VIRTIO_BLK_SUBSYS 0x00021af4	; subsystem 2: block
%define PCI_BAR0	0x10
%define PCI_SUBSYSTEM	0x2c
%define PCI_INTR	0x3c		; interrupt line (byte 0), pin (byte 1)
%define PIC_ELCR2	0x4d1

; The legacy register file in BAR0 (virtio 1.x spec 4.1.4.8).
%define VIO_HOST_FEATURES	0x00
%define VIO_GUEST_FEATURES	0x04
%define VIO_QUEUE_PFN		0x08
%define VIO_QUEUE_NUM		0x0c
%define VIO_QUEUE_SEL		0x0e
%define VIO_QUEUE_NOTIFY	0x10
%define VIO_STATUS		0x12
%define VIO_ISR			0x13
%define VIO_CAPACITY		0x14	; virtio_blk_config.capacity, u64 sectors

%define S_ACKNOWLEDGE	1
%define S_DRIVER	2
%define S_DRIVER_OK	4
%define S_NEEDS_RESET	0x40
%define S_RUNNING	(S_ACKNOWLEDGE | S_DRIVER | S_DRIVER_OK)
%define WANT_FEATURES	0x244		; SEG_MAX (2), BLK_SIZE (6), FLUSH (9)
%define ISR_QUEUE	1
%define ISR_CONFIG	2

%define T_IN		0		; virtio_blk_req.type (5.2.6)
%define T_OUT		1
%define T_FLUSH		4
%define T_GET_ID	8
%define BLK_S_OK	0
%define BLK_S_IOERR	1

%define D_NEXT		1		; virtq_desc.flags (2.7.5)
%define D_WRITE		2		; the device writes this buffer

; Our memory (16 MiB of RAM, code at 1 MiB): the queue's legacy layout is
; the descriptor table and the available ring in one page, the used ring
; at the next 4096-byte boundary (2.7.2, legacy).
%define QSIZE		128
%define QUEUE		0x200000
%define DESC		QUEUE
%define AVAIL		(QUEUE + QSIZE * 16)	; u16 flags, u16 idx, u16 ring[]
%define USED		(QUEUE + 0x1000)	; u16 flags, u16 idx, {u32 id, u32 len}[]
%define HDR		0x203000		; the request header: u32 type, u32 0, u64 sector
%define STATUS		0x203100		; its status byte
%define WBUF		0x204000		; what we write
%define RBUF		0x206000		; what we read back
%define IDBUF		0x208000
%define BADBUF		0x20a000		; data of the bad requests: must reach no disk
%define RAM_END		0x1000000
%define NSECT		8			; sectors in the write
%define POLL_TIMEOUT	0x100000000		; TSC ticks a polled request may take

; VIN b|w|d, offset: EAX = the register at io_base + offset (zero-extended).
%macro VIN 2
	mov dx, [rel io_base]
	add dx, %2
%ifidn %1, b
	in al, dx
	movzx eax, al
%elifidn %1, w
	in ax, dx
	movzx eax, ax
%else
	in eax, dx
%endif
%endmacro

; VOUT b|w|d, offset, value (not in EDX).
%macro VOUT 3
	mov eax, %3
	mov dx, [rel io_base]
	add dx, %2
%ifidn %1, b
	out dx, al
%elifidn %1, w
	out dx, ax
%else
	out dx, eax
%endif
%endmacro

; REQ type, sector, data gpa, data bytes, data flags: build the chain.
%macro REQ 5
	mov edi, %1
	mov rsi, %2
	mov edx, %3
	mov ecx, %4
	mov r8d, %5
	call req_build
%endmacro

start:
	xor r15d, r15d
	call idt_init
	call find_device
	call idt_extend
	call vblk_setup
%ifdef VBLK_TRIPLE_FAULT
	; The line first: each byte is a VM exit, time in which the read
	; could complete.  From the notify to the triple fault: two exits.
	PRINTLN "about to triple fault with a read in flight"
	REQ T_IN, 0, RBUF, 8 * 512, D_WRITE
	call submit
	lidt [rel tf_idtr]
	ud2
	FAIL "still running after ud2 with an empty IDT"
tf_idtr:
	dw 0
	dq 0
%endif

	; ---- the disk's size, and where our write goes: the middle, which
	; on a disk of two equal extents spans the boundary between them
	VIN d, VIO_CAPACITY + 4
	shl rax, 32
	mov rbx, rax
	VIN d, VIO_CAPACITY
	or rax, rbx
	mov [rel capacity], rax
	PRINT "capacity = "
	PRINT_HEX rax, 8
	PRINTLN " sectors"
	cmp rax, 2 * NSECT
	jae .big_enough
	FAIL "the disk is too small for this test"
.big_enough:
	shr rax, 1
	sub rax, NSECT / 2
	mov [rel wstart], rax

	call get_id
	call good_requests
	call with_interrupts
	call hlt_race
	call bad_requests

	PRINT "requests submitted = "
	PRINT_HEX [rel submitted], 4
	PRINT ", device set-ups = "
	PRINT_HEX [rel setups], 2
	NEWLINE
	FINISH

; ---------------------------------------------------------------- PCI

; pci_read: EAX = the configuration dword at register ECX of the function
; EBX (bus << 16 | device << 11 | function << 8).
pci_read:
	push rdx
	mov eax, ebx
	or eax, ecx
	or eax, 0x80000000
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA
	in eax, dx
	pop rdx
	ret

; find_device: scan bus 0 for 1af4:1001 and check what a BIOS left in its
; configuration space; sets io_base and irq.  Ends the test if none.
find_device:
	xor ebx, ebx
.scan:
	xor ecx, ecx
	call pci_read
	cmp eax, VIRTIO_BLK_ID
	je .found
	add ebx, 0x100			; next function; 32 devices x 8
	cmp ebx, 0x10000
	jb .scan
	FAIL "no virtio-blk (1af4:1001) on PCI bus 0"
.found:
	mov [rel bdf], rbx
	PRINT "virtio-blk 1af4:1001 at bus 0 device "
	mov eax, ebx
	shr eax, 11
	PRINT_HEX rax, 2
	PRINT " function "
	mov eax, ebx
	shr eax, 8
	and eax, 7
	PRINT_HEX rax, 1
	NEWLINE
	mov ecx, PCI_SUBSYSTEM
	call pci_read
	CHECK_EQ rax, VIRTIO_BLK_SUBSYS, "subsystem (2: block)"
	mov ecx, 4
	call pci_read
	and eax, 1
	CHECK_EQ rax, 1, "command: I/O decode on"
	mov ecx, PCI_BAR0
	call pci_read
	CHECK_EQ rax, 0xc001, "BAR0 (I/O)"
	and eax, 0xfffc
	mov [rel io_base], rax
	mov ecx, PCI_INTR
	call pci_read
	and eax, 0xffff
	CHECK_EQ rax, 0x010b, "interrupt pin:line (INTA#, IRQ 11)"
	movzx eax, al
	mov [rel irq], rax
	cmp eax, 8			; the test routes it through the slave 8259
	jae .slave
	FAIL "INTERRUPT_LINE is not on the slave 8259"
.slave:
	mov ecx, eax
	sub ecx, 8
	mov dx, PIC_ELCR2
	in al, dx
	movzx eax, al
	shr eax, cl
	and eax, 1
	CHECK_EQ rax, 1, "ELCR: INTERRUPT_LINE level-triggered"
	ret

; ---------------------------------------------------------------- device

; vblk_setup: reset the device and bring it up (3.1.1): ACKNOWLEDGE,
; DRIVER, features, queue 0's page, DRIVER_OK.  The rings start empty.
; One line with what the device said; a FAIL line if any of it is off.
vblk_setup:
	push rcx
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	inc qword [rel setups]
	VOUT b, VIO_STATUS, 0		; reset
	VIN b, VIO_STATUS
	mov r8, rax
	mov rdi, QUEUE			; the rings, both pages, zeroed
	mov ecx, 0x2000 / 8
	xor eax, eax
	rep stosq
	mov qword [rel avail_idx], 0
	mov qword [rel used_seen], 0
	VOUT b, VIO_STATUS, S_ACKNOWLEDGE
	VOUT b, VIO_STATUS, S_ACKNOWLEDGE | S_DRIVER
	VIN d, VIO_HOST_FEATURES
	mov r9, rax
	VOUT d, VIO_GUEST_FEATURES, r9d	; all of them: we use none, but may
	VOUT w, VIO_QUEUE_SEL, 0
	VIN w, VIO_QUEUE_NUM
	mov r10, rax
	VOUT d, VIO_QUEUE_PFN, QUEUE >> 12
	VIN d, VIO_QUEUE_PFN
	mov r11, rax
	VOUT b, VIO_STATUS, S_RUNNING
	VIN b, VIO_STATUS
	mov r12, rax
	PRINT "setup: status after reset="
	PRINT_HEX r8, 2
	PRINT " features="
	PRINT_HEX r9, 8
	PRINT " queue-size="
	PRINT_HEX r10, 4
	PRINT " pfn="
	PRINT_HEX r11, 8
	PRINT " status="
	PRINT_HEX r12, 2
	NEWLINE
	test r8, r8
	jnz .bad
	cmp r9, WANT_FEATURES
	jne .bad
	cmp r10, QSIZE
	jne .bad
	cmp r11, QUEUE >> 12
	jne .bad
	cmp r12, S_RUNNING
	je .out
.bad:
	inc r15
	PRINTLN "FAIL: the device did not come up as expected"
.out:
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rcx
	ret

; req_build: the chain header -> data -> status in descriptors 0, 1, 2.
; EDI = type, RSI = sector, RDX = data gpa, ECX = data bytes, R8D = data
; descriptor flags (D_WRITE for reads).  The status byte starts at 0xff:
; the device must overwrite it.
req_build:
	mov [HDR], edi
	mov dword [HDR + 4], 0
	mov [HDR + 8], rsi
	mov byte [STATUS], 0xff
	mov qword [DESC], HDR
	mov dword [DESC + 8], 16
	mov word [DESC + 12], D_NEXT
	mov word [DESC + 14], 1
	mov [DESC + 16], rdx
	mov [DESC + 24], ecx
	or r8d, D_NEXT
	mov [DESC + 28], r8w
	mov word [DESC + 30], 2
	mov qword [DESC + 32], STATUS
	mov dword [DESC + 40], 1
	mov word [DESC + 44], D_WRITE
	mov word [DESC + 46], 0
	ret

; submit: offer the chain at descriptor 0 (available ring, then idx), and
; notify queue 0.
submit:
	push rax
	push rcx
	push rdx
	mov rax, [rel avail_idx]
	mov ecx, eax
	and ecx, QSIZE - 1
	mov word [AVAIL + 4 + rcx * 2], 0
	inc rax
	mov [rel avail_idx], rax
	mov [AVAIL + 2], ax		; x86 keeps stores in order: entry, then idx
	inc qword [rel submitted]
	VOUT w, VIO_QUEUE_NOTIFY, 0
	pop rdx
	pop rcx
	pop rax
	ret

; take_used: the next used-ring entry into used_id / used_len.
take_used:
	push rax
	push rcx
	push rdx
	mov rax, [rel used_seen]
	mov ecx, eax
	and ecx, QSIZE - 1
	mov edx, [USED + 4 + rcx * 8]
	mov [rel used_id], rdx
	mov edx, [USED + 8 + rcx * 8]
	mov [rel used_len], rdx
	inc rax
	mov [rel used_seen], rax
	pop rdx
	pop rcx
	pop rax
	ret

; wait_poll: spin on used.idx (interrupts off) until the device used one
; more chain; then take it and read ISR (which lowers the line).  CF set:
; nothing came within POLL_TIMEOUT.
wait_poll:
	push rax
	push rbx
	push rcx
	push rdx
	READ_TSC
	mov rbx, rax
.spin:
	movzx eax, word [USED + 2]
	cmp ax, [rel used_seen]
	jne .got
	pause
	READ_TSC
	sub rax, rbx
	mov rcx, POLL_TIMEOUT
	cmp rax, rcx
	jb .spin
	stc
	jmp .out
.got:
	call take_used
	VIN b, VIO_ISR
	mov [rel isr], rax
	clc
.out:
	pop rdx
	pop rcx
	pop rbx
	pop rax
	ret

; do_polled: submit, wait by polling; a FAIL line on timeout.  CF as wait_poll.
do_polled:
	call submit
	call wait_poll
	jnc .ok
	inc r15
	PRINTLN "FAIL: no completion (polled) within the timeout"
	stc
.ok:
	ret

; put_result: " status=0xSS used.len=0xLLLLLLLL isr=0xII"
put_result:
	push rax
	PRINT " status="
	movzx eax, byte [STATUS]
	PRINT_HEX rax, 2
	PRINT " used.len="
	PRINT_HEX [rel used_len], 8
	PRINT " isr="
	PRINT_HEX [rel isr], 2
	pop rax
	ret

; check_result: the last request ended with status byte AL, used.len ECX
; and used.id 0; ISR said the queue.  Else a FAIL line.
check_result:
	cmp [STATUS], al
	jne .bad
	cmp [rel used_len], rcx
	jne .bad
	cmp qword [rel used_id], 0
	jne .bad
	cmp qword [rel isr], ISR_QUEUE
	jne .bad
	ret
.bad:
	inc r15
	PRINTLN "FAIL: the request did not end as expected"
	ret

; ---------------------------------------------------------------- data

; fill_pattern: NSECT sectors at RDI for disk sectors from RSI on.
fill_pattern:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	mov ecx, NSECT
.sector:
	xor edx, edx
.qword:
	mov rax, rsi
	shl rax, 32
	or rax, rdx
	xor rax, [rel name]
	mov [rdi], rax
	add rdi, 8
	inc edx
	cmp edx, 64
	jb .qword
	inc rsi
	dec ecx
	jnz .sector
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	ret

; fill_bytes: ECX bytes of AL at RDI.
fill_bytes:
	push rcx
	push rdi
	rep stosb
	pop rdi
	pop rcx
	ret

; rbuf_matches: ZF set if RBUF holds what WBUF does.
rbuf_matches:
	push rcx
	push rsi
	push rdi
	mov esi, RBUF
	mov edi, WBUF
	mov ecx, NSECT * 512 / 8
	repe cmpsq
	pop rdi
	pop rsi
	pop rcx
	ret

; rbuf_clear: RBUF full of 0xee, which no sector we write holds.
rbuf_clear:
	push rax
	push rcx
	push rdi
	mov edi, RBUF
	mov ecx, NSECT * 512
	mov al, 0xee
	call fill_bytes
	pop rdi
	pop rcx
	pop rax
	ret

; read_verdict: the read into RBUF that just ended: its result on the
; line, then status OK, every byte used, RBUF equal to WBUF (", data
; matches" ends the line), or a FAIL.
read_verdict:
	push rax
	push rcx
	call put_result
	mov al, BLK_S_OK
	mov ecx, NSECT * 512 + 1
	call check_result
	call rbuf_matches
	je .same
	inc r15
	PRINTLN ", FAIL: data differs from what was written"
	jmp .out
.same:
	PRINTLN ", data matches"
.out:
	pop rcx
	pop rax
	ret

; read_back: read our NSECT sectors back, polled, and compare with what we
; wrote.  RSI = what comes after "read back " on the line.
read_back:
	push rcx
	push rdi
	push rsi
	call rbuf_clear
	REQ T_IN, [rel wstart], RBUF, NSECT * 512, D_WRITE
	call do_polled
	pop rsi
	jc .out
	PRINT "read back "
	call puts
	PRINT ":"
	call read_verdict
.out:
	pop rdi
	pop rcx
	ret

%macro READ_BACK 1
	jmp %%go
%%what:	db %1, 0
%%go:
	push rsi
	lea rsi, [rel %%what]
	call read_back
	pop rsi
%endmacro

; ---------------------------------------------------------------- good

; get_id: GET_ID into a buffer of 0xff; it must hold our name, NUL-padded.
; Its first 8 bytes are the pattern's seed.
get_id:
	mov edi, IDBUF
	mov ecx, 32
	mov al, 0xff
	call fill_bytes
	REQ T_GET_ID, 0, IDBUF, 20, D_WRITE
	call do_polled
	jc .out
	PRINT "GET_ID = ", '"'
	mov esi, IDBUF
	mov ecx, 20
.char:
	mov al, [rsi]
	test al, al
	jz .end
	call putc_visible
	inc rsi
	dec ecx
	jnz .char
.end:
	PRINT '"'
	call put_result
	NEWLINE
	mov al, BLK_S_OK
	mov ecx, 21			; 20 ID bytes written, and the status byte
	call check_result
	mov rax, [IDBUF]
	mov [rel name], rax
	cmp byte [IDBUF], 0
	jne .named
	inc r15
	PRINTLN "FAIL: GET_ID returned an empty name"
.named:
	cmp byte [IDBUF + 20], 0xff
	je .out
	inc r15
	PRINTLN "FAIL: GET_ID wrote past its 20-byte buffer"
.out:
	ret

; good_requests: write the pattern, FLUSH, read it back (all polled).
good_requests:
	mov rsi, [rel wstart]
	mov edi, WBUF
	call fill_pattern
	REQ T_OUT, [rel wstart], WBUF, NSECT * 512, 0
	call do_polled
	jc .flush
	PRINT "write sectors "
	PRINT_HEX [rel wstart], 4
	PRINT "+8 (polled):"
	call put_result
	NEWLINE
	mov al, BLK_S_OK
	mov ecx, 1			; nothing written into our memory
	call check_result
.flush:
	REQ T_FLUSH, 0, 0, 0, 0
	mov word [DESC + 14], 2		; header -> status: FLUSH carries no data
	call do_polled
	jc .read
	PRINT "flush (polled):"
	call put_result
	NEWLINE
	mov al, BLK_S_OK
	mov ecx, 1
	call check_result
.read:
	READ_BACK "(polled)"
	ret

; ---------------------------------------------------------------- interrupts

; idt_extend: lib.inc's 32 exception gates, then the 16 8259 vectors
; (0x20-0x2f after pic_remap): our line's vector runs vblk_irq, any other
; one is a failure.
%define IRQ_BASE 0x20
idt_extend:
	mov esi, idt
	mov edi, big_idt
	mov ecx, 32 * 16 / 8
	rep movsq
	mov ebx, IRQ_BASE
.gate:
	lea rax, [rel stray_irq]
	mov rcx, [rel irq]
	add ecx, IRQ_BASE
	cmp ebx, ecx
	jne .set
	lea rax, [rel vblk_irq]
.set:
	mov rdi, rbx
	shl rdi, 4
	add rdi, big_idt
	mov [rdi], ax			; offset 15:0 (SDM Vol. 3A, Figure 6-8)
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8e00	; present, DPL 0, interrupt gate
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	mov dword [rdi + 12], 0
	inc ebx
	cmp ebx, IRQ_BASE + 16
	jb .gate
	lidt [rel big_idtr]
	ret

; pic_remap: the 8259 pair at vectors 0x20 / 0x28 (ICW1-ICW4), every line
; masked but the cascade and ours.
pic_remap:
	mov al, 0x11			; ICW1: edge (the ELCR overrides), cascade, ICW4
	out 0x20, al
	out 0xa0, al
	mov al, IRQ_BASE
	out 0x21, al
	mov al, IRQ_BASE + 8
	out 0xa1, al
	mov al, 0x04			; ICW3: slave on IR2
	out 0x21, al
	mov al, 0x02
	out 0xa1, al
	mov al, 0x01			; ICW4: 8086 mode
	out 0x21, al
	out 0xa1, al
	mov al, 0xfb			; master: only IR2, the cascade
	out 0x21, al
	mov rcx, [rel irq]
	sub ecx, 8
	mov al, 1
	shl al, cl
	not al
	out 0xa1, al
	ret

pic_mask_all:
	mov al, 0xff
	out 0x21, al
	out 0xa1, al
	ret

; The device's interrupt: read ISR (the legacy acknowledgement, which
; lowers the level-triggered line), count, EOI to both 8259s.
vblk_irq:
	push rax
	push rdx
	VIN b, VIO_ISR
	mov [rel irq_isr], rax
	inc qword [rel irq_count]
	mov al, 0x20			; non-specific EOI
	out 0xa0, al
	out 0x20, al
	pop rdx
	pop rax
	iretq

stray_irq:
	PRINTLN "FAIL: an interrupt on a line we did not unmask"
	EXIT 1

; with_interrupts: read back once more, this time halting until the
; device's interrupt says it is done.
with_interrupts:
	cli
	VIN b, VIO_ISR			; nothing may be pending from the polled part
	call pic_remap
	call rbuf_clear
	REQ T_IN, [rel wstart], RBUF, NSECT * 512, D_WRITE
	mov qword [rel irq_count], 0
	mov qword [rel irq_isr], 0
	call submit
.wait:
	cmp qword [rel irq_count], 0
	jne .woken
	sti
	hlt				; STI's shadow: the interrupt cannot slip in before
	cli
	jmp .wait
.woken:
	call pic_mask_all
	movzx eax, word [USED + 2]
	cmp ax, [rel used_seen]
	jne .used
	inc r15
	PRINTLN "FAIL: interrupt, but nothing in the used ring"
	ret
.used:
	call take_used
	mov rax, [rel irq_isr]
	mov [rel isr], rax
	PRINT "read back (interrupt): irqs="
	PRINT_HEX [rel irq_count], 2
	jmp read_verdict

; hlt_race: a completion that the hv notices at the very exit where the
; guest halts must still wake it.  The guest submits a read, spins (no
; exits but the hv's timer) for a delay d, then halts with interrupts on
; until the device interrupts, and checks what it read.  d sweeps
; 100/128 .. 163/128 of a polled read's time D, in steps of D/128, so that
; in some trials the disk is done just before the HLT exit and the hv
; finds the completion there: if it then let the guest sleep with its
; interrupt pending, the guest would never wake (it has no timer).
; Nothing to print per trial: a lost wake-up hangs the guest, and the hv
; ends it "idle-forever" (as it did before guest.c woke such a guest).
%define RACE_TRIALS 64
hlt_race:
	REQ T_IN, [rel wstart], RBUF, NSECT * 512, D_WRITE
	READ_TSC
	mov r12, rax
	call do_polled
	jc .out
	READ_TSC
	sub rax, r12
	mov r13, rax			; R13: D, in TSC ticks
	cli
	call pic_remap
	xor r14d, r14d			; R14: trial
	xor ebx, ebx			; EBX: trials that ended wrong
.trial:
	call rbuf_clear
	REQ T_IN, [rel wstart], RBUF, NSECT * 512, D_WRITE
	mov qword [rel irq_count], 0
	mov qword [rel irq_isr], 0
	lea rcx, [r14 + 100]
	mov rax, r13
	mul rcx
	shr rax, 7
	mov r9, rax			; R9: d = D * (100 + trial) / 128
	READ_TSC
	mov r10, rax
	call submit
.busy:
	READ_TSC
	sub rax, r10
	cmp rax, r9
	jb .busy
.wait:
	cmp qword [rel irq_count], 0
	jne .woken
	sti
	hlt
	cli
	jmp .wait
.woken:
	movzx eax, word [USED + 2]
	cmp ax, [rel used_seen]
	je .wrong
	call take_used
	cmp byte [STATUS], BLK_S_OK
	jne .wrong
	call rbuf_matches
	jne .wrong
	cmp qword [rel irq_isr], ISR_QUEUE
	je .next
.wrong:
	inc ebx
.next:
	inc r14
	cmp r14, RACE_TRIALS
	jb .trial
	call pic_mask_all
	PRINT "HLT race: "
	PRINT_HEX r14, 2
	PRINT " reads halting 100/128..163/128 of D="
	PRINT_HEX r13, 8
	PRINT " TSC ticks after their notify: all woken, wrong="
	PRINT_HEX rbx, 2
	NEWLINE
	test ebx, ebx
	jz .out
	inc r15
	PRINTLN "FAIL: a read woken by its interrupt ended wrong"
.out:
	ret

; ---------------------------------------------------------------- bad

; ring_fault: the chain just built must put the device in NEEDS_RESET at
; once (the notify exit decodes it): status 0x47, a config-change ISR,
; nothing in the used ring.  Then reset, set up, and a good read.  RSI:
; what the chain is.
ring_fault:
	call submit
	VIN b, VIO_STATUS
	mov rbx, rax
	VIN b, VIO_ISR
	mov rcx, rax
	movzx eax, word [USED + 2]
	mov rdx, rax
	call puts
	PRINT ": device status="
	PRINT_HEX rbx, 2
	PRINT " isr="
	PRINT_HEX rcx, 2
	PRINT " used.idx="
	PRINT_HEX rdx, 4
	NEWLINE
	cmp rbx, S_RUNNING | S_NEEDS_RESET
	jne .bad
	cmp rcx, ISR_CONFIG
	jne .bad
	cmp rdx, [rel used_seen]
	je .reset
.bad:
	inc r15
	PRINTLN "FAIL: want device status 0x47, isr 0x02, used ring unchanged"
.reset:
	call vblk_setup
	READ_BACK "(after a reset)"
	ret

; request_fault: the chain just built must be answered IOERR at once, the
; device still running.  Then a good read without a reset.  RSI: what.
request_fault:
	call do_polled
	jc .out
	call puts
	PRINT ":"
	call put_result
	VIN b, VIO_STATUS
	PRINT " device status="
	PRINT_HEX rax, 2
	NEWLINE
	cmp eax, S_RUNNING
	je .running
	inc r15
	PRINTLN "FAIL: the device stopped after a bad request"
.running:
	mov al, BLK_S_IOERR
	mov ecx, 1
	call check_result
	READ_BACK "(no reset)"
.out:
	ret

; pfn_fault: queue 0's page where the rings run past the end of RAM: the
; device must refuse the address (it reads back 0) and set NEEDS_RESET.
; The notify a driver would send next is where the hv reports it.
pfn_fault:
	VOUT d, VIO_QUEUE_PFN, RAM_END / 4096 - 1	; 8 KiB of rings in the last 4 KiB
	VIN d, VIO_QUEUE_PFN
	mov rcx, rax
	VIN b, VIO_STATUS
	mov rbx, rax
	VIN b, VIO_ISR
	mov r8, rax
	VOUT w, VIO_QUEUE_NOTIFY, 0
	PRINT "queue PFN 0xfff (rings past RAM): pfn="
	PRINT_HEX rcx, 8
	PRINT " device status="
	PRINT_HEX rbx, 2
	PRINT " isr="
	PRINT_HEX r8, 2
	NEWLINE
	test rcx, rcx
	jnz .bad
	cmp rbx, S_RUNNING | S_NEEDS_RESET
	jne .bad
	cmp r8, ISR_CONFIG
	je .reset
.bad:
	inc r15
	PRINTLN "FAIL: want pfn 0, device status 0x47, isr 0x02"
.reset:
	call vblk_setup
	READ_BACK "(after a reset)"
	ret

%macro BAD 2
	jmp %%go
%%what:	db %2, 0
%%go:
	lea rsi, [rel %%what]
	call %1
%endmacro

bad_requests:
	mov edi, BADBUF			; what a wrongly accepted write would leave
	mov ecx, 0x1000
	mov al, 0xba
	call fill_bytes

	REQ T_OUT, [rel wstart], RAM_END - 512, 1024, 0
	BAD ring_fault, "write from a buffer running past RAM (0xfffe00+1024)"

	REQ T_OUT, [rel wstart], BADBUF, 0, 0
	BAD ring_fault, "write from a buffer of length 0"

	REQ T_OUT, [rel wstart], BADBUF, 513, 0
	BAD request_fault, "write of 513 bytes"

	REQ T_IN, [rel wstart], RBUF, 512, D_WRITE
	mov word [DESC + 44], D_WRITE | D_NEXT	; status -> data: a loop
	mov word [DESC + 46], 1
	BAD ring_fault, "read whose chain loops (desc 2 -> 1)"

	mov rax, [rel capacity]
	dec rax
	REQ T_OUT, rax, BADBUF, 1024, 0
	BAD request_fault, "write of 2 sectors from the last one on"

	call pfn_fault
	ret

; ---------------------------------------------------------------- data

	align 8
io_base:	dq 0
irq:		dq 0
bdf:		dq 0
capacity:	dq 0
wstart:		dq 0		; first sector of our write
name:		dq 0		; the first 8 bytes of GET_ID: the pattern's seed
avail_idx:	dq 0
used_seen:	dq 0		; used-ring entries taken
used_id:	dq 0
used_len:	dq 0
isr:		dq 0
irq_count:	dq 0
irq_isr:	dq 0
submitted:	dq 0
setups:		dq 0

big_idtr:
	dw (IRQ_BASE + 16) * 16 - 1
	dq big_idt
	align 16
big_idt:	times (IRQ_BASE + 16) * 16 db 0
