/*
 * sample.c - an interval's events as `sample` lines (sample.h says why).
 *
 * A line is built key by key into a buffer; when the next pair would pass
 * SAMPLE_BODY_MAX the line is emitted and a new one begins with the same
 * `sample guest=NAME t_ms=T` head: samples2csv joins the lines of one guest
 * with one t_ms into one sample.  Counters are printed as the difference of
 * two snapshots of running totals, gauges as they are.
 */
#include "types.h"
#include "string.h"
#include "stats/sample.h"

struct line {
	char buf[SAMPLE_BODY_MAX + 1];
	u32 len, head;   /* characters used; length of the head */
	int lines;       /* emitted so far */
	const struct sample_out *out;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < SAMPLE_BODY_MAX)
		l->buf[l->len++] = *s++;
	l->buf[l->len] = 0;
}

/* Decimal digits of v into d (no NUL), returns how many. */
static u32 digits(u64 v, char *d)
{
	char tmp[20];
	u32 n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		d[i++] = tmp[--n];
	return i;
}

static void put_u64(struct line *l, u64 v)
{
	char d[21];

	d[digits(v, d)] = 0;
	put(l, d);
}

static void emit(struct line *l)
{
	l->out->emit(l->out->ctx, l->buf);
	l->lines++;
	l->len = l->head;
	l->buf[l->len] = 0;
}

/* One " key=value" pair, starting a new line first if it would not fit. */
static void pair(struct line *l, const char *key, const char *val)
{
	u32 need = 1 + (u32)strlen(key) + 1 + (u32)strlen(val);

	if (l->len + need > SAMPLE_BODY_MAX && l->len > l->head)
		emit(l);
	put(l, " ");
	put(l, key);
	put(l, "=");
	put(l, val);
}

static void pair_u64(struct line *l, const char *key, u64 v)
{
	char d[21];

	d[digits(v, d)] = 0;
	pair(l, key, d);
}

/* Nanoseconds as milliseconds with three decimals (microseconds). */
static void pair_ms(struct line *l, const char *key, u64 ns)
{
	char d[32];
	u32 n = digits(ns / 1000000, d);
	u64 us = ns / 1000 % 1000;

	d[n++] = '.';
	d[n++] = (char)('0' + us / 100);
	d[n++] = (char)('0' + us / 10 % 10);
	d[n++] = (char)('0' + us % 10);
	d[n] = 0;
	pair(l, key, d);
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

u32 sample_exit_key(const char *name, u32 reason, char *out, u32 size)
{
	static const char prefix[] = "exit_";
	u32 n = 0;
	bool gap = false;

	if (!size)
		return 0;
	for (const char *p = prefix; *p && n + 1 < size; p++)
		out[n++] = *p;
	bool named = false; /* a name of punctuation only ("?") is none */
	for (const char *p = name; p && *p && !named; p++)
		named = alnum(*p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
	if (!named) {
		static const char r[] = "reason_";
		char d[21];
		u32 k = digits(reason, d);

		for (const char *p = r; *p && n + 1 < size; p++)
			out[n++] = *p;
		for (u32 i = 0; i < k && n + 1 < size; i++)
			out[n++] = d[i];
		out[n] = 0;
		return n;
	}
	u32 start = n;
	for (const char *p = name; *p && n + 1 < size; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		if (!alnum(c)) {
			gap = true;
			continue;
		}
		if (gap && n > start && n + 2 < size)
			out[n++] = '_';
		gap = false;
		out[n++] = c;
	}
	out[n] = 0;
	return n;
}

int sample_print(const char *name, const struct sample_totals *prev,
		 const struct sample_totals *cur, const struct sample_now *now,
		 const struct sample_out *out)
{
	struct line l = { .out = out };
	char key[64];

	put(&l, "sample guest=");
	put(&l, name);
	put(&l, " t_ms=");
	put_u64(&l, now->t_ms);
	l.head = l.len;

	for (u32 r = 0; r < SAMPLE_EXIT_SLOTS; r++) {
		if (cur->exits[r] == prev->exits[r])
			continue;
		sample_exit_key(out->reason_name(r), r, key, sizeof(key));
		pair_u64(&l, key, cur->exits[r] - prev->exits[r]);
	}
#define COUNTER(k, field) pair_u64(&l, k, cur->field - prev->field)
	COUNTER("pf_exits", pf_exits);
	COUNTER("cr3_loads", cr3_loads);
	pair_u64(&l, "cr3_distinct", now->cr3_distinct);
	COUNTER("af_created", af_created);
	COUNTER("af_exited", af_exited);
	COUNTER("af_switches", af_switches);
	pair_u64(&l, "af_live", now->af_live);
	COUNTER("invlpg", invlpg);
	COUNTER("irq_injected", irq_injected);
	COUNTER("hlt_exits", hlt_exits);
	pair_ms(&l, "hlt_ms", cur->hlt_ns - prev->hlt_ns);
	COUNTER("io_reqs", io_reqs);
	COUNTER("io_bytes", io_bytes);
#undef COUNTER
	pair_u64(&l, "wss_pages", now->wss_pages);
	pair_u64(&l, "wss_new", now->wss_new);
	if (now->est_n) {
		pair_u64(&l, "wss_est_pages", now->est_pages);
		pair_u64(&l, "wss_est_lo", now->est_lo);
		pair_u64(&l, "wss_est_hi", now->est_hi);
		pair_u64(&l, "wss_est_hits", now->est_hits);
		pair_u64(&l, "wss_est_n", now->est_n);
	}
	emit(&l);
	return l.lines;
}
