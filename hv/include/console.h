#ifndef FORMICA_CONSOLE_H
#define FORMICA_CONSOLE_H
#include "types.h"
/* Start the console on the 16550 at port (0: none).  See hv/kernel/console.c. */
void console_init(u16 port);
/* From here on, lines wait in a queue and console_poll() feeds the UART as
 * it drains (true), or every line is written out before kprintf() returns
 * (false: boot, and the default). */
void console_set_async(bool on);
/* Give the UART what it can take now, without waiting.  Cheap when the
 * queue is empty; the run loop calls it after every VM exit. */
void console_poll(void);
/* Write out everything queued, waiting for the UART. */
void console_flush(void);
#endif
