/*
 * csvcol.c - pick one numeric column out of CSV text (see csvcol.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvcol.h"

/* The end of the line starting at p (its '\n' or NUL), '\r' excluded. */
static const char *line_end(const char *p, const char **next)
{
	const char *e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	*next = *e ? e + 1 : e;
	if (e > p && e[-1] == '\r')
		e--;
	return e;
}

/* Field number `want` (0-based) of the line [p, e): its bounds, or -1. */
static int field(const char *p, const char *e, size_t want, const char **fs, const char **fe)
{
	for (size_t i = 0;; i++) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		if (!c)
			c = e;
		if (i == want) {
			*fs = p;
			*fe = c;
			return 0;
		}
		if (c == e)
			return -1;
		p = c + 1;
	}
}

int csv_column(const char *text, const char *name, double **values, size_t *n, char *err,
	       size_t errlen)
{
	const char *p = text, *next, *e = line_end(p, &next), *fs, *fe;
	size_t col, cap = 0, line = 1;

	*values = NULL;
	*n = 0;
	for (col = 0;; col++) {
		if (field(p, e, col, &fs, &fe)) {
			snprintf(err, errlen, "line 1: no column \"%s\" in the header", name);
			return -1;
		}
		if ((size_t)(fe - fs) == strlen(name) && !memcmp(fs, name, (size_t)(fe - fs)))
			break;
	}
	for (p = next; *p; p = next) {
		line++;
		e = line_end(p, &next);
		if (e == p)
			continue; /* blank line */
		if (field(p, e, col, &fs, &fe) || fe == fs) {
			snprintf(err, errlen, "line %zu: no value in column \"%s\"", line, name);
			goto fail;
		}
		char buf[64], *end;
		size_t len = (size_t)(fe - fs);
		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "line %zu: value too long", line);
			goto fail;
		}
		memcpy(buf, fs, len);
		buf[len] = 0;
		errno = 0;
		double v = strtod(buf, &end);
		if (*end || errno || !isfinite(v)) {
			snprintf(err, errlen, "line %zu: \"%s\" is not a number", line, buf);
			goto fail;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			double *nv = realloc(*values, cap * sizeof(double));
			if (!nv) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			*values = nv;
		}
		(*values)[(*n)++] = v;
	}
	return 0;
fail:
	free(*values);
	*values = NULL;
	*n = 0;
	return -1;
}
