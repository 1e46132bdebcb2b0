/*
 * samplelog.c - `sample` lines of a console log into per-guest tables.
 *
 * Why so careful with a log: the same serial line carries everything the
 * hv and every guest print, and a guest can print anything, including a
 * line that looks like a sample.  The hv prints guest output as
 * "[ts] [NAME] text" (hv/guest/io.c) and its own lines as "[ts] text"
 * (hv/kernel/console.c), so a sample line is one whose text, after the optional
 * timestamp, starts with "sample ": a guest cannot forge one.  Lines the
 * console may have cut (its 512-byte buffer) are refused rather than read
 * with a silently shortened last value.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h" /* guest names: cfg_name_char(), CFG_NAME_LEN */
#include "samplelog.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
}

/* A decimal number: -?digits(.digits)? */
static int is_number(const char *s, size_t n)
{
	size_t i = 0, d = 0;
	if (i < n && s[i] == '-')
		i++;
	for (; i < n && is_digit(s[i]); i++)
		d++;
	if (i < n && s[i] == '.' && d) {
		size_t f = 0;
		for (i++; i < n && is_digit(s[i]); i++)
			f++;
		if (!f)
			return 0;
	}
	return d && i == n;
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && !memcmp(a, b, an);
}

int sample_parse(const char *line, size_t len, struct sample_line *out, const char **why)
{
	const char *p = line, *end = line + len;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	/* The hv's timestamp, "[%5lu.%06lu] ": digits, spaces and a dot. */
	if (p < end && *p == '[') {
		const char *q = p + 1;
		while (q < end && (is_digit(*q) || *q == ' ' || *q == '.'))
			q++;
		if (q == end || *q != ']')
			return 0; /* "[NAME] ...": a guest's console line */
		p = q + 1;
		if (p < end && *p == ' ')
			p++;
	}
	if (end - p < 7 || memcmp(p, "sample ", 7))
		return 0;
	if (len >= SAMPLE_LINE_MAX) {
		*why = "line as long as the console's buffer: it may have been cut";
		return -1;
	}
	p += 7;
	out->nkv = 0;
	out->guest = NULL;
	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		const char *k = p, *v;
		while (p < end && is_key_char(*p))
			p++;
		if (p == k || p == end || *p != '=') {
			*why = "expected key=value (key: a-z, 0-9, _)";
			return -1;
		}
		size_t klen = (size_t)(p - k);
		v = ++p;
		while (p < end && *p != ' ')
			p++;
		size_t vlen = (size_t)(p - v);
		if (!out->guest) {
			if (!same(k, klen, "guest", 5) || !vlen || vlen >= CFG_NAME_LEN) {
				*why = "first pair must be guest=NAME";
				return -1;
			}
			for (size_t i = 0; i < vlen; i++)
				if (!cfg_name_char(v[i])) {
					*why = "bad character in guest name";
					return -1;
				}
			out->guest = v;
			out->glen = vlen;
			continue;
		}
		if (!out->nkv && !same(k, klen, "t_ms", 4)) {
			*why = "second pair must be t_ms=T";
			return -1;
		}
		if (!is_number(v, vlen)) {
			*why = "value is not a decimal number";
			return -1;
		}
		for (size_t i = 0; i < out->nkv; i++)
			if (same(out->kv[i].key, out->kv[i].klen, k, klen)) {
				*why = "key given twice";
				return -1;
			}
		if (out->nkv == SAMPLE_MAX_KEYS) {
			*why = "too many keys";
			return -1;
		}
		out->kv[out->nkv++] = (struct sample_kv){ k, v, klen, vlen };
	}
	if (!out->nkv) {
		*why = "no t_ms";
		return -1;
	}
	return 1;
}

/* The tables.  Column names and cell values are NUL-terminated copies;
 * a row holds one cell per column known when it was last written. */
struct row {
	char **cell;
	size_t ncell;
};

struct table {
	char name[CFG_NAME_LEN];
	char **col;
	size_t ncol;
	struct row *row;
	size_t nrow;
};

struct sample_log {
	struct table *t;
	size_t n;
	struct sample_line scratch; /* the line being added (too big for a stack) */
};

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Grows *arr (of elem-sized items) by one zeroed item; NULL: no memory. */
static void *grow(void *arr_ptr, size_t *n, size_t elem)
{
	void **arr = arr_ptr;
	char *a = realloc(*arr, (*n + 1) * elem);
	if (!a)
		return NULL;
	memset(a + *n * elem, 0, elem);
	*arr = a;
	return a + (*n)++ * elem;
}

struct sample_log *sample_log_new(void)
{
	return calloc(1, sizeof(struct sample_log));
}

void sample_log_free(struct sample_log *log)
{
	if (!log)
		return;
	for (size_t g = 0; g < log->n; g++) {
		struct table *t = &log->t[g];
		for (size_t r = 0; r < t->nrow; r++) {
			for (size_t c = 0; c < t->row[r].ncell; c++)
				free(t->row[r].cell[c]);
			free(t->row[r].cell);
		}
		for (size_t c = 0; c < t->ncol; c++)
			free(t->col[c]);
		free(t->row);
		free(t->col);
	}
	free(log->t);
	free(log);
}

static struct table *find_guest(struct sample_log *log, const char *name, size_t n)
{
	for (size_t g = 0; g < log->n; g++)
		if (same(log->t[g].name, strlen(log->t[g].name), name, n))
			return &log->t[g];
	struct table *t = grow(&log->t, &log->n, sizeof(*t));
	if (t)
		memcpy(t->name, name, n);
	return t;
}

static long column(struct table *t, const char *key, size_t n)
{
	for (size_t c = 0; c < t->ncol; c++)
		if (same(t->col[c], strlen(t->col[c]), key, n))
			return (long)c;
	char **slot = grow(&t->col, &t->ncol, sizeof(char *));
	if (!slot || !(*slot = dup_n(key, n)))
		return -1;
	return (long)t->ncol - 1;
}

/* The value of t_ms in a row as a number (for the ordering check). */
static double row_t(const struct row *r)
{
	return strtod(r->cell[0], NULL);
}

int sample_log_add(struct sample_log *log, const char *line, size_t len, const char **why)
{
	const struct sample_line *s = &log->scratch;
	int rc = sample_parse(line, len, &log->scratch, why);
	if (rc <= 0)
		return rc;

	struct table *t = find_guest(log, s->guest, s->glen);
	if (!t)
		return -2;
	if (!t->ncol && column(t, "t_ms", 4) != 0)
		return -2;
	char tbuf[64];
	size_t tn = s->kv[0].vlen < sizeof(tbuf) - 1 ? s->kv[0].vlen : sizeof(tbuf) - 1;
	memcpy(tbuf, s->kv[0].val, tn);
	tbuf[tn] = 0;
	double tm = strtod(tbuf, NULL);
	struct row *r = t->nrow ? &t->row[t->nrow - 1] : NULL;
	if (r && tm < row_t(r)) {
		*why = "t_ms goes back (one boot per log)";
		return -1;
	}
	/* Same guest, same t_ms: a continuation of the last sample. */
	if (!r || tm > row_t(r)) {
		if (!(r = grow(&t->row, &t->nrow, sizeof(*r))))
			return -2;
	} else {
		for (size_t i = 1; i < s->nkv; i++)
			for (size_t c = 1; c < r->ncell; c++)
				if (r->cell[c] && same(t->col[c], strlen(t->col[c]), s->kv[i].key,
						       s->kv[i].klen)) {
					*why = "key given twice in one sample";
					return -1;
				}
	}
	for (size_t i = 0; i < s->nkv; i++) {
		long c = column(t, s->kv[i].key, s->kv[i].klen);
		if (c < 0)
			return -2;
		while (r->ncell <= (size_t)c) {
			char **slot = grow(&r->cell, &r->ncell, sizeof(char *));
			if (!slot)
				return -2;
		}
		if (!r->cell[c] && !(r->cell[c] = dup_n(s->kv[i].val, s->kv[i].vlen)))
			return -2;
	}
	return 1;
}

size_t sample_log_guests(const struct sample_log *log)
{
	return log->n;
}

const char *sample_log_guest(const struct sample_log *log, size_t g)
{
	return log->t[g].name;
}

size_t sample_log_rows(const struct sample_log *log, size_t g)
{
	return log->t[g].nrow;
}

/* Appends s to the growing text *buf (length *len); 0, or -1: no memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		size_t c = (*cap + n + 1) * 2;
		char *b = realloc(*buf, c);
		if (!b)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

char *sample_log_csv(const struct sample_log *log, size_t g)
{
	const struct table *t = &log->t[g];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int bad = append(&buf, &len, &cap, "");

	for (size_t c = 0; c < t->ncol; c++) {
		bad |= append(&buf, &len, &cap, c ? "," : "");
		bad |= append(&buf, &len, &cap, t->col[c]);
	}
	bad |= append(&buf, &len, &cap, "\n");
	for (size_t r = 0; r < t->nrow; r++) {
		const struct row *row = &t->row[r];
		for (size_t c = 0; c < t->ncol; c++) {
			const char *v = c < row->ncell ? row->cell[c] : NULL;
			if (!v)
				v = strncmp(t->col[c], "exit_", 5) ? "" : "0";
			bad |= append(&buf, &len, &cap, c ? "," : "");
			bad |= append(&buf, &len, &cap, v);
		}
		bad |= append(&buf, &len, &cap, "\n");
	}
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}
