/*
 * kprintf.h - formatted output for the hypervisor.
 *
 * ksnprintf() is pure (unit-tested on the host); kprintf() sends the result
 * to the console.  Supported: %d %i %u %x %X %o %c %s %p %%, flags '0' and
 * '-', a field width, and the length modifiers l, ll, z (and h, ignored).
 */
#ifndef FORMICA_KPRINTF_H
#define FORMICA_KPRINTF_H

#include <stdarg.h>
#include "types.h"

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifndef FORMICA_HOST
/* Print on the console, prefixed by the time since hand-off:
 *     [   12.345678] message
 * Lines are written whole; the caller provides the trailing newline. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, without the timestamp prefix (for continuing a line). */
void kprintf_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a message with the registers that matter, then stop the machine. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#endif

#endif
