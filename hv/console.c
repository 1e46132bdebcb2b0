/*
 * console.c - the serial console: a polled 16550 UART driver, kprintf()
 * and panic().
 *
 * Polled, never interrupt-driven: the hv runs with interrupts off.  We wait
 * for LSR.THRE before every byte; Bochs (and real UARTs) drop characters
 * written into a full transmitter.
 *
 * A machine may have no legacy COM port at all (many laptops, some
 * servers).  console_init() checks that something answers at the port by
 * writing and reading back the scratch register; if not, output goes only
 * to an in-memory ring (console_ring) that a debugger can read.
 */
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
#define LSR_THRE 0x20

static u16 com_port; /* 0: no UART */
static char console_ring[16384];
static size_t ring_pos;

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
	com_port = port;
}

static void uart_putc(char c)
{
	/* Bounded wait: a wedged UART must not hang the hypervisor. */
	for (int i = 0; i < 1000000 && !(inb(com_port + UART_LSR) & LSR_THRE); i++)
		cpu_pause();
	outb(com_port + UART_THR, (u8)c);
}

static void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		console_ring[ring_pos++ % sizeof(console_ring)] = s[i];
		if (com_port) {
			if (s[i] == '\n')
				uart_putc('\r');
			uart_putc(s[i]);
		}
	}
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
	halt_forever();
}
