/*
 * evlog.c - formatting Antfarm events as key=value lines (format: evlog.h).
 *
 * Pure: the caller passes the time and prints the result.  It formats with
 * its own two number appenders rather than ksnprintf(), so it depends on
 * nothing but string.h and builds the same in the hv and in host tests.
 */
#include "types.h"
#include "string.h"
#include "sbuf.h"
#include "antfarm/evlog.h"

#define US_PER_S 1000000ull

u64 af_tsc_to_us(u64 ticks, u64 tsc_hz)
{
	if (!tsc_hz)
		return ticks;
	/* Split so that neither product overflows: (ticks % hz) * 1e6 < hz * 1e6. */
	return ticks / tsc_hz * US_PER_S + ticks % tsc_hz * US_PER_S / tsc_hz;
}

static u64 us_to_tsc(u64 us, u64 tsc_hz)
{
	if (!tsc_hz)
		return us;
	return us / US_PER_S * tsc_hz + us % US_PER_S * tsc_hz / US_PER_S;
}

void af_log_init(struct af_log *lg, const char *guest, enum af_log_mode mode, u64 tsc_hz,
		 u64 interval_us, u64 now_tsc)
{
	memset(lg, 0, sizeof(*lg));
	strncpy(lg->guest, guest, AF_LOG_NAME_LEN - 1);
	lg->mode = mode;
	lg->tsc_hz = tsc_hz;
	lg->interval_tsc = us_to_tsc(interval_us ? interval_us : 1, tsc_hz);
	if (!lg->interval_tsc)
		lg->interval_tsc = 1;
	lg->interval_start = now_tsc;
}

static void put_kv_dec(struct sbuf *l, const char *key, u64 v)
{
	sbuf_putc(l, ' ');
	sbuf_puts(l, key);
	sbuf_putc(l, '=');
	sbuf_putu(l, v);
}

static void put_kv_hex(struct sbuf *l, const char *key, u64 v)
{
	sbuf_putc(l, ' ');
	sbuf_puts(l, key);
	sbuf_putc(l, '=');
	sbuf_putx(l, v);
}

static void begin(struct sbuf *l, const struct af_log *lg, u64 tsc, const char *event)
{
	sbuf_puts(l, "ev tsc=");
	sbuf_putu(l, tsc);
	sbuf_puts(l, " guest=");
	sbuf_puts(l, lg->guest);
	sbuf_puts(l, " event=");
	sbuf_puts(l, event);
}

/* '\n' and NUL; a line cut short by the buffer still ends in '\n'. */
static size_t finish(struct sbuf *l)
{
	if (l->size < 2) {
		if (l->size)
			l->p[0] = 0;
		return 0;
	}
	if (l->len + 1 >= l->size)
		l->len = l->size - 2;
	l->p[l->len++] = '\n';
	l->p[l->len] = 0;
	return l->len;
}

size_t af_log_tick(struct af_log *lg, u64 now_tsc, char *buf, size_t size)
{
	struct sbuf l = sbuf_on(buf, size);
	u64 k, end;

	if (lg->mode != AF_LOG_SWITCHES || now_tsc < lg->interval_start ||
	    now_tsc - lg->interval_start < lg->interval_tsc)
		return 0;
	/* Close every whole interval up to now; their switches are one count. */
	k = (now_tsc - lg->interval_start) / lg->interval_tsc;
	end = lg->interval_start + k * lg->interval_tsc;
	lg->interval_start = end;
	if (!lg->switches)
		return 0;
	begin(&l, lg, end, "switches");
	put_kv_dec(&l, "count", lg->switches);
	put_kv_dec(&l, "interval_us", af_tsc_to_us(k * lg->interval_tsc, lg->tsc_hz));
	lg->switches = 0;
	return finish(&l);
}

/* An event this mode does not write: an empty line. */
static size_t no_line(char *buf, size_t size)
{
	if (size)
		buf[0] = 0;
	return 0;
}

size_t af_log_event(struct af_log *lg, const struct af_event *ev, char *buf, size_t size)
{
	struct sbuf l = sbuf_on(buf, size);

	if (lg->mode == AF_LOG_COUNTS && ev->kind != AF_EV_TABLE_FULL)
		return no_line(buf, size);
	switch (ev->kind) {
	case AF_EV_CREATE:
		begin(&l, lg, ev->tsc, "create");
		put_kv_hex(&l, "asid", ev->asid);
		put_kv_dec(&l, "gen", ev->gen);
		break;
	case AF_EV_EXIT:
		begin(&l, lg, ev->tsc, "exit");
		put_kv_hex(&l, "asid", ev->asid);
		put_kv_dec(&l, "gen", ev->gen);
		break;
	case AF_EV_SWITCH:
		if (lg->mode != AF_LOG_VERBOSE) {
			if (lg->mode == AF_LOG_SWITCHES)
				lg->switches++;
			return no_line(buf, size);
		}
		begin(&l, lg, ev->tsc, "switch");
		put_kv_hex(&l, "asid", ev->asid);
		put_kv_dec(&l, "gen", ev->gen);
		put_kv_hex(&l, "prev", ev->prev_asid);
		put_kv_dec(&l, "prevgen", ev->prev_gen);
		break;
	case AF_EV_EXEC:
		begin(&l, lg, ev->tsc, "exec");
		put_kv_hex(&l, "asid", ev->asid);
		put_kv_dec(&l, "gen", ev->gen);
		put_kv_hex(&l, "prev", ev->prev_asid);
		put_kv_dec(&l, "prevgen", ev->prev_gen);
		break;
	case AF_EV_TABLE_FULL:
		begin(&l, lg, ev->tsc, "table_full");
		put_kv_hex(&l, "asid", ev->asid);
		break;
	default:
		begin(&l, lg, ev->tsc, "unknown");
		break;
	}
	put_kv_dec(&l, "live", ev->live);
	put_kv_dec(&l, "vcpu", ev->vcpu);
	if (ev->kind == AF_EV_EXIT)
		put_kv_dec(&l, "cleared", ev->cleared_tsc);
	return finish(&l);
}
