/*
 * uart16550.h - a National Semiconductor 16550A UART, as Linux's 8250
 * driver probes and drives it.
 *
 * Transmission is instantaneous: a byte written to THR goes straight to
 * the emit() sink and THR is empty again, so LSR always reports THRE|TEMT.
 * Reception comes from uart_receive() (the glue's console input, later):
 * a 16-byte FIFO (1 byte with FIFOs off), with overrun reported in LSR.
 *
 * The register file follows the datasheet: RBR/THR and IER (or DLL/DLM
 * when LCR.DLAB is set), IIR/FCR, LCR, MCR, LSR, MSR, SCR.  IIR reports
 * the highest-priority pending interrupt (line status > received data /
 * character timeout > THR empty > modem status) with both FIFO bits set
 * when FIFOs are on, which is what makes Linux call the port a 16550A.
 * MCR loopback (bit 4) routes THR into the receiver and MCR's outputs into
 * MSR's inputs, which Linux's autoconfig uses to prove the chip is there.
 *
 * The interrupt output reaches the PIC only while MCR.OUT2 is set and
 * loopback is off: on the PC, OUT2 gates the UART's IRQ line, and Linux
 * sets OUT2 when it wants interrupts.
 */
#ifndef FORMICA_DEV_UART16550_H
#define FORMICA_DEV_UART16550_H

#include "dev/vdev.h"
#include "types.h"

#define COM1_BASE 0x3f8
#define COM1_IRQ 4
#define UART_FIFO_SIZE 16

/* Register offsets from the base port. */
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1 /* DLAB = 0 */
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI 0x01 /* received data available */
#define UART_IER_ETBEI 0x02 /* THR empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_CTI 0x0c    /* character timeout (FIFO mode) */
#define UART_IIR_FIFOS 0xc0  /* both bits: FIFOs enabled (16550A) */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct uart16550 {
	u16 base;
	u8 ier, lcr, mcr, scr, dll, dlm;
	u8 fcr;         /* last value written, bits 7:6 = receiver trigger */
	bool fifo_on;
	u8 lsr_errors;  /* OE/PE/FE/BI, cleared by reading LSR */
	u8 msr;         /* modem inputs (7:4) and their deltas (3:0) */
	bool thri;      /* THR-empty interrupt pending */
	u8 rx[UART_FIFO_SIZE];
	u8 rx_head, rx_count;
	int irq_level;  /* what we last drove on the line */
	struct irq_line irq;
	void (*emit)(void *ctx, u8 byte);
	void *emit_ctx;
	u64 tx_bytes, rx_overruns;
};

/* Reset state (datasheet "Reset" table); emit may be NULL to discard. */
void uart_init(struct uart16550 *u, u16 base, const struct irq_line *irq,
	       void (*emit)(void *ctx, u8 byte), void *emit_ctx);

/* A byte arrives on the serial input.  0, or -1 on overrun (byte lost,
 * LSR.OE set) - the glue should check uart_rx_room() first. */
int uart_receive(struct uart16550 *u, u8 byte);
unsigned uart_rx_room(const struct uart16550 *u);

/* The 8 ports base..base+7 (VIO_F_8BIT). */
extern const struct vdev_ops uart_ops;

/*
 * Turning the byte stream into console lines, for the glue: put each byte
 * emitted; when it returns true, line[0..len) is a complete line (without
 * its newline; '\r' and NUL dropped, other control and non-ASCII bytes
 * shown as '?') to print as "[guest] line".  A line
 * longer than UART_LINE_MAX is cut and printed in pieces.
 */
#define UART_LINE_MAX 256
struct uart_line {
	char buf[UART_LINE_MAX];
	u32 len;
	bool done; /* the previous call handed out buf: start afresh */
};
bool uart_line_put(struct uart_line *l, u8 byte, const char **line, u32 *len);
/* The unfinished line, if any (when the guest ends without a newline). */
bool uart_line_flush(struct uart_line *l, const char **line, u32 *len);

#endif
