/*
 * uart_probe.h - is there a 16550 at these registers?  The probe as a
 * list of register steps (pure, hv/lib/uart_probe.c); hv/kernel/console.c
 * executes them on a port or a memory BAR.
 */
#ifndef FORMICA_UART_PROBE_H
#define FORMICA_UART_PROBE_H

#include "types.h"

enum uart_step_op {
	UART_STEP_WRITE = 0,  /* write value to reg */
	UART_STEP_EXPECT = 1, /* read reg: (read & mask) must equal value, or no UART */
};

struct uart_step {
	u8 op, reg, value, mask;
};

/* The steps (scratch test; with `loopback` the modem-status loopback test
 * too), *n of them.  After a failed EXPECT the caller stops; the last step
 * leaves MCR at 0 (loopback off). */
const struct uart_step *uart_probe_steps(bool loopback, unsigned *n);

#endif
