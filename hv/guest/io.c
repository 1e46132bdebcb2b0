/*
 * io.c - port I/O from a guest, routed to its virtual PC (hv/dev/vpc.h).
 *
 * The console part: bytes the guest's UART transmits are collected into a
 * line and printed on the hv console as "[name] line", so the output of
 * several guests stays readable.
 */
#include "guest/guest.h"
#include "io.h"
#include "kprintf.h"

#define MAX_UNHANDLED_LOG 16

void guest_console_flush(struct guest *g)
{
	if (!g->line_len)
		return;
	g->line[g->line_len] = 0;
	kprintf("[%s] %s\n", g->name, g->line);
	g->line_len = 0;
}

/* The UART model's output sink (vpc_init's emit callback). */
void guest_console_byte(void *ctx, u8 c)
{
	struct guest *g = ctx;
	if (c == '\n') {
		guest_console_flush(g);
		return;
	}
	if (c == '\r')
		return;
	/* Keep the log one line per line whatever the guest sends. */
	g->line[g->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	if (g->line_len == sizeof(g->line) - 1)
		guest_console_flush(g);
}

/*
 * The Formica mark port: a guest writes a byte to port 0x510 to mark a
 * moment (user space can, through /dev/port); the hv logs it with the
 * guest's exit count and the TSC, so a benchmark can count the exits
 * between two marks (tools/bench-linux.sh).
 */
#define FORMICA_MARK_PORT 0x510

static bool port_io(struct guest *g, u16 port, unsigned size, enum vio_dir dir, u32 *val)
{
	if (port == FORMICA_MARK_PORT) {
		if (dir == VIO_OUT)
			kprintf("mark guest=%s value=%u exits=%lu tsc=%lu\n", g->name, *val & 0xff,
				g->exits_total, rdtsc());
		else
			*val = 0;
		return true;
	}
	int r = vpc_io(&g->pc, port, size, dir, val, guest_now_ns());
	if (r == 0)
		return true;
	/* Nobody owns the port: reads float high (the bus already gave
	 * all-ones), writes vanish.  Guests probe for hardware this way, so
	 * this is no error; we log the first few for the curious. */
	if (g->unhandled_ports++ < MAX_UNHANDLED_LOG)
		kprintf("guest %s: %s port 0x%x (size %u): no device%s\n", g->name,
			dir == VIO_IN ? "in from" : "out to", port, size,
			g->unhandled_ports == MAX_UNHANDLED_LOG ? " (no more of these logged)" : "");
	return false;
}

bool guest_port_in(struct guest *g, u16 port, unsigned size, u32 *val)
{
	return port_io(g, port, size, VIO_IN, val);
}

bool guest_port_out(struct guest *g, u16 port, unsigned size, u32 val)
{
	return port_io(g, port, size, VIO_OUT, &val);
}
