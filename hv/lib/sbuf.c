/*
 * sbuf.c - the bounded string appender of sbuf.h.
 *
 * Three pure cores used to carry their own copy of these few functions;
 * one copy here keeps them the same (and tested once, in
 * hv/lib/tests/test_sbuf.c).
 */
#include "sbuf.h"

void sbuf_putc(struct sbuf *s, char c)
{
	if (s->len + 1 < s->size)
		s->p[s->len++] = c;
}

void sbuf_puts(struct sbuf *s, const char *str)
{
	while (*str)
		sbuf_putc(s, *str++);
}

/* Digits are produced least significant first, then emitted reversed. */
static void put_base(struct sbuf *s, u64 v, unsigned base)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20];
	int i = 0;

	do {
		tmp[i++] = digits[v % base];
		v /= base;
	} while (v);
	while (i)
		sbuf_putc(s, tmp[--i]);
}

void sbuf_putu(struct sbuf *s, u64 v)
{
	put_base(s, v, 10);
}

void sbuf_putx(struct sbuf *s, u64 v)
{
	sbuf_puts(s, "0x");
	put_base(s, v, 16);
}

size_t sbuf_end(struct sbuf *s)
{
	if (s->size)
		s->p[s->len] = '\0';
	return s->len;
}
