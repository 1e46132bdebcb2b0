/*
 * io.c - port I/O from a guest, routed to the guest's virtual devices.
 *
 * The console part: bytes the guest writes to its UART are collected into
 * a line and printed on the hv console as "[name] line", so the output of
 * several guests stays readable.
 */
#include "guest/guest.h"
#include "kprintf.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE_TEMT 0x60

void guest_console_flush(struct guest *g)
{
	if (!g->line_len)
		return;
	g->line[g->line_len] = 0;
	kprintf("[%s] %s\n", g->name, g->line);
	g->line_len = 0;
}

static void console_byte(struct guest *g, u8 c)
{
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

bool guest_port_in(struct guest *g, u16 port, unsigned size, u32 *val)
{
	if (port == COM1 + UART_LSR) {
		*val = LSR_THRE_TEMT; /* always ready: output is taken at once */
		return true;
	}
	if (port >= COM1 && port < COM1 + 8) {
		*val = 0;
		return true;
	}
	return false;
}

bool guest_port_out(struct guest *g, u16 port, unsigned size, u32 val)
{
	if (port == COM1) {
		console_byte(g, (u8)val);
		return true;
	}
	if (port > COM1 && port < COM1 + 8)
		return true;
	return false;
}
