/*
 * uart_probe.c - the test that tells a 16550 from nothing (pure).
 *
 * Reading an absent I/O port gives 0xff and an absent memory location
 * often 0 or 0xff, so the scratch register (offset 7) must keep two
 * different patterns.  That alone also passes for plain memory or a
 * register file at the wrong stride that happens to store bytes, so the
 * stronger test (used where we guess: `serial = auto` at 0x3f8) puts the
 * UART in loopback mode (MCR bit 4), where its modem status inputs follow
 * its modem control outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2
 * (NS16550A datasheet, MCR bit 4; the same test Linux's 8250 autoconfig
 * makes).  Two settings, 0x1a -> MSR 7:4 = 1001b and 0x15 -> 0110b, prove
 * each input follows its own output.  A probe at the wrong register stride
 * misses the scratch register and fails the first step.
 */
#include "types.h"
#include "uart_probe.h"

#define SCR 7
#define MCR 4
#define MSR 6

static const struct uart_step steps[] = {
	{ UART_STEP_WRITE, SCR, 0x5a, 0 },
	{ UART_STEP_EXPECT, SCR, 0x5a, 0xff },
	{ UART_STEP_WRITE, SCR, 0xa5, 0 },
	{ UART_STEP_EXPECT, SCR, 0xa5, 0xff },
	/* loopback, RTS, OUT2 -> CTS (bit 4), DCD (bit 7) */
	{ UART_STEP_WRITE, MCR, 0x1a, 0 },
	{ UART_STEP_EXPECT, MSR, 0x90, 0xf0 },
	/* loopback, DTR, OUT1 -> DSR (bit 5), RI (bit 6) */
	{ UART_STEP_WRITE, MCR, 0x15, 0 },
	{ UART_STEP_EXPECT, MSR, 0x60, 0xf0 },
	{ UART_STEP_WRITE, MCR, 0x00, 0 },
};
#define SCRATCH_STEPS 4

const struct uart_step *uart_probe_steps(bool loopback, unsigned *n)
{
	*n = loopback ? sizeof(steps) / sizeof(steps[0]) : SCRATCH_STEPS;
	return steps;
}
