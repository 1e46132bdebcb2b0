#ifndef FORMICA_CONSOLE_H
#define FORMICA_CONSOLE_H
#include "config.h"
#include "types.h"
struct handoff;
/* Start the console (hv/kernel/console.c): SERIAL_AUTO and SERIAL_PORT try
 * the 16550 at I/O port `port`; SERIAL_PCI waits for console_pci(). */
void console_init(enum serial_mode mode, u16 port);
/* After pci_init(): serial = pci, or auto with no legacy port, takes the
 * first PCI 16550 that answers and writes it the log so far.  Logs which
 * UART the console uses, in every mode. */
void console_pci(void);
/* After paging: the screen console (hv/kernel/screen.c), the log so far drawn. */
void console_screen(const struct handoff *h);
/* From here on, lines wait in a queue and console_poll() feeds the UART as
 * it drains (true), or every line is written out before kprintf() returns
 * (false: boot, and the default). */
void console_set_async(bool on);
/* Give the UART what it can take now, without waiting.  Cheap when the
 * queue is empty; the run loop calls it after every VM exit. */
void console_poll(void);
/* Write out everything queued, waiting for the UART. */
void console_flush(void);
/* TSC cycles kprintf() has spent waiting for room in a full queue since
 * boot: log lines that come faster than the UART's line rate (115200 baud:
 * 11.5 KB/s) slow the guest that caused them, and this says by how much
 * (the mark port's mark-console line, hv/guest/io.c). */
u64 console_wait_tsc(void);
#endif
