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
 * Which UART (formica.cfg `serial`): many machines have no legacy COM port
 * at all (laptops, some desktops), so `auto` first checks that a 16550
 * answers at 0x3f8 (its scratch register keeps what we write, and in
 * loopback mode the modem status follows the modem control), and otherwise
 * waits for PCI enumeration and takes the first 16550-compatible PCI
 * function (hv/pci/serialpick.c: PCIe cards, Intel AMT Serial-over-LAN).
 * A PCI UART may sit in I/O space or in memory space, its registers 1 or
 * 4 bytes apart (probed, 4-byte ones accessed as 32-bit words).  Every
 * line also goes to an in-memory ring (console_ring), so the lines printed
 * before a PCI UART was found are written to it when it is, and the screen
 * (hv/kernel/screen.c) draws from the ring too: every line at once during
 * boot, and once guests run one line per console_poll(), like the UART
 * (a line costs the screen ~4 ms under QEMU's TCG, a scroll far more).
 */
#include "console.h"
#include "io.h"
#include "kprintf.h"
#include "lib/uart_probe.h"
#include "pci/pci.h"
#include "screen.h"
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

/* One UART: where its registers are.  space 0: no UART. */
struct uart {
	u8 space;  /* PCI_UART_IO or PCI_UART_MMIO (pci.h), 0 none */
	u8 stride; /* bytes between registers: 1 or 4 */
	u64 base;
};

static struct uart com;
static bool uart_fifo; /* a 16550A with its FIFO on */
static enum serial_mode serial_mode;
static u16 port_named;
static char console_ring[16384];
static u64 ring_pos; /* bytes ever written; the ring holds the last 16 KiB */

/* Bytes on their way to the UART: a ring, txq_head - txq_tail bytes long. */
#define TXQ_SIZE 65536u
static char txq[TXQ_SIZE];
static u32 txq_head, txq_tail;
static bool tx_async;

static u8 reg_in(const struct uart *u, int reg)
{
	if (u->space == PCI_UART_IO)
		return inb((u16)(u->base + reg));
	if (u->stride == 4)
		return (u8)mmio_read32(u->base + 4 * reg);
	return *(volatile u8 *)(u->base + reg);
}

static void reg_out(const struct uart *u, int reg, u8 v)
{
	if (u->space == PCI_UART_IO)
		outb((u16)(u->base + reg), v);
	else if (u->stride == 4)
		mmio_write32(u->base + 4 * reg, v);
	else
		*(volatile u8 *)(u->base + reg) = v;
}

static u8 uart_in(int reg) { return reg_in(&com, reg); }
static void uart_out(int reg, u8 v) { reg_out(&com, reg, v); }

/* Does a 16550 answer here?  hv/lib/uart_probe.c lists the register
 * steps: the scratch register, and with `loopback` the modem-status
 * loopback test.  A failure midway leaves loopback off again. */
static bool uart_answers(const struct uart *u, bool loopback)
{
	unsigned n;
	const struct uart_step *st = uart_probe_steps(loopback, &n);
	bool mcr_set = false;
	for (unsigned i = 0; i < n; i++) {
		if (st[i].op == UART_STEP_WRITE) {
			reg_out(u, st[i].reg, st[i].value);
			mcr_set |= st[i].reg == UART_MCR;
		} else if ((reg_in(u, st[i].reg) & st[i].mask) != st[i].value) {
			if (mcr_set)
				reg_out(u, UART_MCR, 0);
			return false;
		}
	}
	return true;
}

/* 115200 baud 8N1, FIFOs on; the UART is then `com`. */
static void uart_start(const struct uart *u)
{
	com = *u;
	uart_out(UART_IER, 0x00);
	uart_out(UART_LCR, 0x80); /* DLAB: program the divisor */
	uart_out(UART_DLL, 0x01); /* 115200 baud */
	uart_out(UART_DLM, 0x00);
	uart_out(UART_LCR, 0x03); /* 8N1 */
	uart_out(UART_FCR, 0xc7); /* FIFOs on and cleared */
	uart_out(UART_MCR, 0x03); /* DTR, RTS */
	/* An 8250/16450 has no FIFO and reads 00 there: one byte per THRE. */
	uart_fifo = (uart_in(UART_IIR) & 0xc0) == 0xc0;
}

void console_init(enum serial_mode mode, u16 port)
{
	com.space = 0;
	serial_mode = mode;
	port_named = port;
	if ((mode != SERIAL_AUTO && mode != SERIAL_PORT) || !port)
		return; /* pci: console_pci(), after enumeration; none */
	struct uart u = { PCI_UART_IO, 1, port };
	/* A named port needs only the scratch test (as before `auto`). */
	if (uart_answers(&u, mode == SERIAL_AUTO))
		uart_start(&u);
}

static void tx_put(char c);
static void tx_drain(bool wait);

/* Hand the new UART everything printed so far (what the ring still holds). */
static void replay_ring(void)
{
	u64 from = ring_pos > sizeof(console_ring) ? ring_pos - sizeof(console_ring) : 0;
	for (u64 i = from; i < ring_pos; i++) {
		char c = console_ring[i % sizeof(console_ring)];
		if (c == '\n')
			tx_put('\r');
		tx_put(c);
	}
	tx_drain(!tx_async);
}

static bool screen_on;
static u64 screen_pos; /* ring bytes drawn on the screen so far */

/* Draw what the ring holds beyond screen_pos: all of it, or (one_line) up
 * to the end of the next line.  Text the ring lost before it was drawn
 * (more than 16 KiB behind) is skipped, and the screen says so. */
static void screen_catch_up(bool one_line)
{
	if (!screen_on || screen_pos == ring_pos)
		return;
	if (ring_pos - screen_pos > sizeof(console_ring)) {
		char note[64];
		u64 lost = ring_pos - sizeof(console_ring) - screen_pos;
		int n = ksnprintf(note, sizeof(note), "[screen: %lu bytes not shown]\n", lost);
		for (int i = 0; i < n; i++)
			screen_putc(note[i]);
		screen_pos += lost;
	}
	while (screen_pos < ring_pos) {
		char c = console_ring[screen_pos++ % sizeof(console_ring)];
		screen_putc(c);
		if (one_line && c == '\n')
			break;
	}
	screen_sync();
}

void console_screen(const struct handoff *h)
{
	if (!screen_init(h))
		return;
	screen_on = true;
	screen_pos = ring_pos > sizeof(console_ring) ? ring_pos - sizeof(console_ring) : 0;
	screen_catch_up(false);
}

static const char *mode_name(void)
{
	return serial_mode == SERIAL_PCI ? "pci" : serial_mode == SERIAL_AUTO ? "auto" : "a port";
}

void console_pci(void)
{
	if (serial_mode == SERIAL_NONE)
		return;
	if (com.space) { /* console_init() found the legacy (or named) port */
		kprintf("console: 16550 at I/O port 0x%lx (serial = %s)\n", com.base, mode_name());
		return;
	}
	if (serial_mode == SERIAL_PORT) {
		kprintf("console: nothing answers at I/O port 0x%x; log on the screen and in memory "
			"only\n", port_named);
		return;
	}
	const struct pci_dev *devs = pci_get(0);
	u32 n = pci_ndevs();
	struct pci_uart pu;
	/* The hv maps the whole low 4 GiB (MMIO uncached), not high BARs. */
	for (int i = pci_serial_find(devs, n, 0, 4ull << 30, &pu); i >= 0;
	     i = pci_serial_find(devs, n, (u32)i + 1, 4ull << 30, &pu)) {
		const struct pci_dev *d = &devs[i];
		pci_enable(d, pu.space == PCI_UART_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
		for (u8 stride = 1; stride <= pu.max_stride; stride *= 4) {
			struct uart u = { pu.space, stride, pu.base };
			if (!uart_answers(&u, false))
				continue;
			uart_start(&u);
			replay_ring();
			kprintf("console: PCI 16550 %02x:%02x.%x (%04x:%04x prog-if %02x) bar%u %s "
				"0x%llx, register stride %u\n",
				d->bus, d->dev, d->fn, d->vendor, d->device, d->prog_if, pu.bar,
				pu.space == PCI_UART_IO ? "io" : "mem", (unsigned long long)pu.base,
				stride);
			return;
		}
		kprintf("console: PCI serial %02x:%02x.%x does not answer at 0x%llx; skipped\n",
			d->bus, d->dev, d->fn, (unsigned long long)pu.base);
	}
	kprintf("console: no serial port answers (serial = %s); log on the screen and in memory "
		"only\n", mode_name());
}

/* Move queued bytes into the UART: what it takes now, or (wait) all of
 * them.  The wait is bounded: a wedged UART must not hang the hypervisor;
 * after ~a million polls its queue is dropped. */
static void tx_drain(bool wait)
{
	while (txq_tail != txq_head) {
		int spins = 0;
		while (!(uart_in(UART_LSR) & LSR_THRE)) {
			if (!wait)
				return;
			if (++spins == 1000000) {
				txq_tail = txq_head;
				return;
			}
			cpu_pause();
		}
		for (int k = uart_fifo ? UART_FIFO_SIZE : 1; k > 0 && txq_tail != txq_head; k--)
			uart_out(UART_THR, (u8)txq[txq_tail++ % TXQ_SIZE]);
	}
}

static u64 wait_tsc; /* console_wait_tsc() */

u64 console_wait_tsc(void) { return wait_tsc; }

static void tx_put(char c)
{
	/* Full: wait for one FIFO's worth to leave (the queue never drops). */
	if (txq_head - txq_tail == TXQ_SIZE) {
		u64 t0 = rdtsc();
		while (txq_head - txq_tail == TXQ_SIZE) {
			u32 before = txq_tail;
			tx_drain(false);
			if (txq_tail == before)
				cpu_pause();
		}
		wait_tsc += rdtsc() - t0;
	}
	txq[txq_head++ % TXQ_SIZE] = c;
}

static void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		console_ring[ring_pos++ % sizeof(console_ring)] = s[i];
		if (com.space) {
			if (s[i] == '\n')
				tx_put('\r');
			tx_put(s[i]);
		}
	}
	if (!tx_async)
		screen_catch_up(false);
	if (com.space)
		tx_drain(!tx_async);
}

void console_poll(void)
{
	if (com.space && txq_tail != txq_head)
		tx_drain(false);
	screen_catch_up(true);
}

void console_flush(void)
{
	screen_catch_up(false);
	if (!com.space)
		return;
	tx_drain(true);
	/* THRE only says the FIFO took the last bytes; before a power-off
	 * they must have left the wire (TEMT), or the machine dies with them. */
	for (int i = 0; i < 1000000 && !(uart_in(UART_LSR) & LSR_TEMT); i++)
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
