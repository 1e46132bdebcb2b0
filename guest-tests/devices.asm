; devices.asm - a guest that goes looking for the machine's own devices.
;
; A flat guest's virtual PC has a UART, PIC, PIT, RTC, keyboard controller
; and a PCI host bridge (hv/dev/): no disk controller, no I/O APIC, no local
; APIC.  Every port exits to the hv (unconditional I/O exiting), so the
; real controllers must be out of reach:
;   - writes that would hurt the host's disks (soft reset through 0x3f6 and
;     0x376, IDENTIFY through 0x1f7 and 0x177, starting the bus-master DMA
;     engine at 0xc000, where PC firmware usually puts PIIX/ICH BMIDE) must
;     vanish; the hv logs the first of them ("no device");
;   - reads of the IDE ports float to all-ones: 0xff, 0xffff, 0xffffffff;
;   - PCI configuration (0xcf8/0xcfc) shows only the virtual host bridge
;     (00:00.0, 8086:1237): no function of the host's (its IDE or AHCI
;     controller, its ISA bridge) on bus 0, none on other buses; writes to
;     an absent function vanish, and the bridge's chipset registers (PAM
;     at 0x59) are read-only zeros, unlike a real 440FX's;
; then MMIO: a read of a guessed AHCI ABAR (0xfebf1000) is outside the
; guest's RAM; the hv stops the guest and names the address.
[BITS 64]
org 0x100000
%include "lib.inc"
%include "ptlib.inc"

%define AHCI_GUESS	0xfebf1000
%define CFG_ADDR	0xcf8
%define CFG_DATA	0xcfc

; OUTB port, value
%macro OUTB 2
	mov dx, %1
	mov al, %2
	out dx, al
%endmacro

; PCI_READ bus, dev, fn, reg: EAX = the config dword (RAX zero-extended).
%macro PCI_READ 4
	mov eax, 0x80000000 | (%1 << 16) | (%2 << 11) | (%3 << 8) | %4
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA
	in eax, dx
%endmacro

start:
	call idt_init
	xor r15d, r15d

	; ---- writes that would reset, command or start the host's disks
	OUTB 0x3f6, 0x04		; primary device control: SRST
	OUTB 0x1f6, 0xe0		; primary: select master, LBA
	OUTB 0x1f7, 0xec		; primary: IDENTIFY DEVICE
	OUTB 0x376, 0x04		; secondary: SRST
	OUTB 0x177, 0xec		; secondary: IDENTIFY DEVICE
	OUTB 0xc000, 0x01		; bus master IDE command: start
	mov dx, 0xc004			; bus master IDE PRD table address
	mov eax, 0x00100000
	out dx, eax
	PRINTLN "wrote SRST, IDENTIFY and a DMA start to the IDE and bus-master ports"

	; ---- every one of them reads as a floating bus
	lea rsi, [rel ide_ports]
	call ports_float
	mov dx, 0x1f0
	in ax, dx
	movzx eax, ax
	CHECK_EQ rax, 0xffff, "in ax, 0x1f0 (IDE data)"
	in eax, dx
	CHECK_EQ rax, 0xffffffff, "in eax, 0x1f0 (IDE data)"

	; ---- PCI configuration space
	xor ebx, ebx			; EBX: device number
	xor r12d, r12d			; R12: functions found on bus 0
.scan:
	mov eax, ebx
	shl eax, 11
	or eax, 0x80000000
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA
	in eax, dx
	cmp eax, 0xffffffff
	je .next
	inc r12
	PRINT "PCI bus 0 device "
	PRINT_HEX rbx, 2
	PRINT " function 0: vendor:device "
	PRINT_HEX rax, 8
	NEWLINE
	test ebx, ebx
	jz .next
	PRINTLN "FAIL: a PCI function other than the virtual host bridge"
	inc r15
.next:
	inc ebx
	cmp ebx, 32
	jb .scan
	CHECK_EQ r12, 1, "functions on PCI bus 0"
	PCI_READ 0, 0, 0, 0
	CHECK_EQ rax, 0x12378086, "00:00.0 vendor:device (the virtual 440FX)"
	PCI_READ 0, 1, 1, 0		; where PIIX's IDE function sits
	CHECK_EQ rax, 0xffffffff, "00:01.1 vendor:device"
	PCI_READ 0, 31, 2, 0		; where ICH's SATA/AHCI function sits
	CHECK_EQ rax, 0xffffffff, "00:1f.2 vendor:device"
	PCI_READ 1, 0, 0, 0
	CHECK_EQ rax, 0xffffffff, "01:00.0 vendor:device"
	PCI_READ 255, 31, 7, 0
	CHECK_EQ rax, 0xffffffff, "ff:1f.7 vendor:device"
	; disable 00:01.1's I/O decoding (command = 0): must vanish
	mov eax, 0x80000000 | (1 << 11) | (1 << 8) | 4
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA
	xor eax, eax
	out dx, eax
	PCI_READ 0, 1, 1, 4
	CHECK_EQ rax, 0xffffffff, "00:01.1 command/status after writing 0"
	; a dword at 0xcfe runs past CONFIG_DATA: two bytes of config space
	; (the device id), then ports nobody decodes
	mov eax, 0x80000000
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA + 2
	in eax, dx
	CHECK_EQ rax, 0xffff1237, "in eax, 0xcfe on 00:00.0 (device id, then floating)"
	; PAM1 (0x59, byte 1 of dword 0x58): a 440FX's BIOS shadowing control
	mov eax, 0x80000058
	mov dx, CFG_ADDR
	out dx, eax
	mov dx, CFG_DATA + 1
	mov al, 0x33
	out dx, al
	in al, dx
	movzx eax, al
	CHECK_EQ rax, 0, "00:00.0 PAM1 after writing 0x33"

	; the refused guest runs beside us and sets its own LSTAR, FMASK and
	; SYSENTER_EIP: ours must still be the reset values
	RDMSR64 0xc0000082
	CHECK_EQ rax, 0, "our LSTAR (a neighbour set its own)"
	RDMSR64 0xc0000084
	CHECK_EQ rax, 0, "our FMASK (a neighbour set its own)"
	RDMSR64 0x176
	CHECK_EQ rax, 0, "our SYSENTER_EIP (a neighbour set its own)"

	test r15, r15
	jz .go
	FAIL "the port and PCI checks failed"
.go:
	PRINTLN "port and PCI checks passed"
	call scratch_tables		; a 2 MiB page onto the guessed ABAR
	mov eax, (AHCI_GUESS & ~0x1fffff) | P | RW | PS
	mov [SCRATCH_PD], rax
	call flush_tlb
	PRINTLN "reading a guessed AHCI ABAR (0xfebf1000)"
	mov eax, [GIB1 + (AHCI_GUESS & 0x1fffff)]
	PRINTLN "FAIL: still running after reading AHCI MMIO"
	EXIT 1

; ports_float: every byte port in the 0-terminated word list at RSI must
; read 0xff.  One line for the whole list, or a FAIL line per port.
ports_float:
	push rax
	push rcx
	push rdx
	push rsi
	xor ecx, ecx			; ECX: ports that did not float
.port:
	mov dx, [rsi]
	test dx, dx
	jz .done
	in al, dx
	cmp al, 0xff
	je .ok
	inc ecx
	inc r15
	PRINT "FAIL: port "
	PRINT_HEX rdx, 4
	PRINT " reads "
	movzx eax, al
	PRINT_HEX rax, 2
	NEWLINE
.ok:
	add rsi, 2
	jmp .port
.done:
	test ecx, ecx
	jnz .out
	PRINTLN "IDE 0x1f0-0x1f7 0x3f6 0x170-0x177 0x376, BMIDE 0xc000-0xc00f: all read 0xff"
.out:
	pop rsi
	pop rdx
	pop rcx
	pop rax
	ret

ide_ports:
	dw 0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6
	dw 0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376
%assign p 0xc000
%rep 16
	dw p
%assign p p + 1
%endrep
	dw 0
