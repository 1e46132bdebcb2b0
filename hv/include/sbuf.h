/*
 * sbuf.h - a bounded string appender for pure cores.
 *
 * Pure cores (hv/antfarm, hv/emu, ...) format their log lines into a buffer
 * the glue gives them and prints; they cannot call kprintf.  An sbuf
 * appends characters, strings and numbers, silently drops what does not
 * fit, and always leaves room for the terminating NUL, which sbuf_end()
 * writes.  (ksnprintf in hv/lib/printf.c is the printf-shaped alternative.)
 */
#ifndef FORMICA_SBUF_H
#define FORMICA_SBUF_H

#include "types.h"

struct sbuf {
	char *p;
	size_t size, len; /* len < size whenever size > 0 */
};

static inline struct sbuf sbuf_on(char *buf, size_t size)
{
	return (struct sbuf){ .p = buf, .size = size, .len = 0 };
}

void sbuf_putc(struct sbuf *s, char c);
void sbuf_puts(struct sbuf *s, const char *str);
void sbuf_putu(struct sbuf *s, u64 v); /* decimal */
void sbuf_putx(struct sbuf *s, u64 v); /* "0x" and lowercase hex, no padding */
/* NUL-terminate (when size > 0) and return the length. */
size_t sbuf_end(struct sbuf *s);

#endif
