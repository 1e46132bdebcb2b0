/*
 * console.c - the serial console: a polled 16550 UART driver, kprintf()
 * and panic().
 *
 * Polled, never interrupt-driven: the hv runs with interrupts off.  We wait
 * for LSR.THRE before writing; Bochs (and real UARTs) drop characters
 * written into a full transmitter.  With the 16550A's FIFO on, THRE means
 * "FIFO empty", so up to 16 bytes go in per THRE.
 *
 * Asynchronous once guests run.  At 115200 baud a UART moves 11.5 KB/s, so
 * an 80-character line takes 7 ms (in Bochs too, which emulates the line
 * rate).  Waiting for that inside a VM exit stalls the guest for as long:
 * a Linux guest whose every context switch was logged (log = verbose) ran
 * ten times slower, and the Antfarm event lines alone made inference look
 * 10% more costly than it is.  So from console_set_async(true) on, kprintf()
 * only queues the line (timestamped when it was printed), and the run loop
 * calls console_poll() after every exit to hand the UART what it can take.
 * A full queue makes kprintf() wait, so nothing is ever lost; panic() and
 * power-off write everything out first.
 *
 * A machine may have no legacy COM port at all (many laptops, some
 * servers).  console_init() checks that something answers at the port by
 * writing and reading back the scratch register; if not, output goes only
 * to an in-memory ring (console_ring) that a debugger can read.
 */
#include "console.h"
#include "io.h"
#include "kprintf.h"
#include "tsc.h"
#include "x86.h"

#define UART_THR 0 /* transmit holding register (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_DLL 0 /* divisor latch low  (LCR.DLAB = 1) */
#define UART_DLM 1 /* divisor latch high (LCR.DLAB = 1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_SCR 7 /* scratch */
#define LSR_THRE 0x20 /* transmit holding register (FIFO) empty */
#define LSR_TEMT 0x40 /* ... and the shift register too: all sent */

#define UART_IIR 2 /* interrupt identification (read): bits 7:6 = 11 with FIFOs on */
#define UART_FIFO_SIZE 16

static u16 com_port; /* 0: no UART */
static bool uart_fifo; /* a 16550A with its FIFO on */
static char console_ring[16384];
static size_t ring_pos;

/* Bytes on their way to the UART: a ring, txq_head - txq_tail bytes long. */
#define TXQ_SIZE 65536u
static char txq[TXQ_SIZE];
static u32 txq_head, txq_tail;
static bool tx_async;

void console_init(u16 port)
{
	com_port = 0;
	if (!port)
		return;
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return; /* nothing there */
	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, 0x80); /* DLAB: program the divisor */
	outb(port + UART_DLL, 0x01); /* 115200 baud */
	outb(port + UART_DLM, 0x00);
	outb(port + UART_LCR, 0x03); /* 8N1 */
	outb(port + UART_FCR, 0xc7); /* FIFOs on and cleared */
	outb(port + UART_MCR, 0x03); /* DTR, RTS */
	/* An 8250/16450 has no FIFO and reads 00 there: one byte per THRE. */
	uart_fifo = (inb(port + UART_IIR) & 0xc0) == 0xc0;
	com_port = port;
}

/* Move queued bytes into the UART: what it takes now, or (wait) all of
 * them.  The wait is bounded: a wedged UART must not hang the hypervisor;
 * after ~a million polls its queue is dropped. */
static void tx_drain(bool wait)
{
	while (txq_tail != txq_head) {
		int spins = 0;
		while (!(inb(com_port + UART_LSR) & LSR_THRE)) {
			if (!wait)
				return;
			if (++spins == 1000000) {
				txq_tail = txq_head;
				return;
			}
			cpu_pause();
		}
		for (int k = uart_fifo ? UART_FIFO_SIZE : 1; k > 0 && txq_tail != txq_head; k--)
			outb(com_port + UART_THR, (u8)txq[txq_tail++ % TXQ_SIZE]);
	}
}

static void tx_put(char c)
{
	/* Full: wait for one FIFO's worth to leave (the queue never drops). */
	while (txq_head - txq_tail == TXQ_SIZE) {
		u32 before = txq_tail;
		tx_drain(false);
		if (txq_tail == before)
			cpu_pause();
	}
	txq[txq_head++ % TXQ_SIZE] = c;
}

static void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		console_ring[ring_pos++ % sizeof(console_ring)] = s[i];
		if (com_port) {
			if (s[i] == '\n')
				tx_put('\r');
			tx_put(s[i]);
		}
	}
	if (com_port)
		tx_drain(!tx_async);
}

void console_poll(void)
{
	if (com_port && txq_tail != txq_head)
		tx_drain(false);
}

void console_flush(void)
{
	if (!com_port)
		return;
	tx_drain(true);
	/* THRE only says the FIFO took the last bytes; before a power-off
	 * they must have left the wire (TEMT), or the machine dies with them. */
	for (int i = 0; i < 1000000 && !(inb(com_port + UART_LSR) & LSR_TEMT); i++)
		cpu_pause();
}

void console_set_async(bool on)
{
	console_flush();
	tx_async = on;
}

static void vprint(bool stamp, const char *fmt, va_list ap)
{
	char line[512];
	int n = 0;
	if (stamp) {
		u64 us = tsc_hz ? now_us() : 0;
		n = ksnprintf(line, sizeof(line), "[%5lu.%06lu] ", us / 1000000, us % 1000000);
	}
	int m = kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
	size_t len = (size_t)(n + m);
	if (len >= sizeof(line)) { /* truncated: still end the line */
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	console_write(line, len);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(true, fmt, ap);
	va_end(ap);
}

void kprintf_raw(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(false, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	kprintf("PANIC: ");
	va_start(ap, fmt);
	vprint(false, fmt, ap);
	va_end(ap);
	kprintf("formica: stopped.\n");
	console_flush();
	halt_forever();
}
