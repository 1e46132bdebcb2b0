/*
 * rtc.c - the MC146818A CMOS clock, computed from guest time.
 *
 * Nothing counts: the time registers are derived from now_ns + offset_ns
 * whenever they are read, except while status B's SET bit is on, when the
 * clock stands still in `held` and writes land there; clearing SET starts
 * the clock again from what was written.  The date arithmetic is the
 * days-from-civil / civil-from-days pair of formulas for the proleptic
 * Gregorian calendar (eras of 400 years = 146097 days).
 */
#include "dev/rtc.h"
#include "string.h"

#define NSEC 1000000000ull
#define UIP_NS 244000ull /* UIP rises this long before an update (datasheet) */

static u64 days_from_civil(u32 y, u32 m, u32 d)
{
	/* Years start in March so the leap day is last: y/m shifted. */
	y -= m <= 2;
	u64 era = y / 400;
	u64 yoe = y - era * 400;
	u64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

u64 rtc_time_to_unix(const struct rtc_time *tm)
{
	u32 y = tm->year < 1970 ? 1970 : tm->year;
	u32 m = tm->mon < 1 ? 1 : tm->mon > 12 ? 12 : tm->mon;
	u32 d = tm->mday < 1 ? 1 : tm->mday > 31 ? 31 : tm->mday;
	u32 h = tm->hour > 23 ? 23 : tm->hour;
	u32 mi = tm->min > 59 ? 59 : tm->min;
	u32 s = tm->sec > 59 ? 59 : tm->sec;
	return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

void rtc_unix_to_time(u64 secs, struct rtc_time *tm)
{
	u64 days = secs / 86400, rem = secs % 86400;
	tm->hour = rem / 3600;
	tm->min = rem / 60 % 60;
	tm->sec = rem % 60;
	tm->wday = (days + 4) % 7 + 1; /* 1970-01-01 was a Thursday; Sunday = 1 */
	u64 z = days + 719468;
	u64 era = z / 146097;
	u64 doe = z - era * 146097;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	u64 mp = (5 * doy + 2) / 153;
	tm->mday = doy - (153 * mp + 2) / 5 + 1;
	tm->mon = mp < 10 ? mp + 3 : mp - 9;
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static u64 unix_ns(const struct rtc_cmos *r, u64 now_ns)
{
	return now_ns + (u64)r->offset_ns;
}

void rtc_now(const struct rtc_cmos *r, u64 now_ns, struct rtc_time *tm)
{
	if (r->reg_b & RTC_B_SET)
		*tm = r->held;
	else
		rtc_unix_to_time(unix_ns(r, now_ns) / NSEC, tm);
}

static void set_clock(struct rtc_cmos *r, const struct rtc_time *tm, u64 now_ns)
{
	/* The divider restarts: the next update comes a full second later. */
	r->offset_ns = (i64)(rtc_time_to_unix(tm) * NSEC - now_ns);
	r->last_eval_ns = now_ns;
}

static bool binary(const struct rtc_cmos *r)
{
	return r->reg_b & RTC_B_DM_BINARY;
}

static u8 encode(const struct rtc_cmos *r, u32 v)
{
	v %= 100;
	return binary(r) ? v : (u8)(((v / 10) << 4) | (v % 10));
}

static u32 decode(const struct rtc_cmos *r, u8 v)
{
	return binary(r) ? v : (v >> 4) * 10 + (v & 0xf);
}

static u8 encode_hour(const struct rtc_cmos *r, u32 h)
{
	if (r->reg_b & RTC_B_24H)
		return encode(r, h);
	/* 12-hour mode: 12, 1..11 with bit 7 = PM. */
	return encode(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static u32 decode_hour(const struct rtc_cmos *r, u8 v)
{
	if (r->reg_b & RTC_B_24H)
		return decode(r, v);
	return decode(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static bool alarm_field_matches(u8 alarm, u8 now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now; /* 11xxxxxx = don't care */
}

static void eval_flags(struct rtc_cmos *r, u64 now_ns)
{
	u64 then = r->last_eval_ns;
	if (now_ns <= then)
		return;
	r->last_eval_ns = now_ns;

	/* Periodic: an edge of the divider tap selected by status A RS3-0. */
	unsigned rs = r->reg_a & 0x0f;
	if (rs) {
		u64 period = rs == 1 ? 128 : rs == 2 ? 256 : 1ull << (rs - 1); /* 32768 Hz clocks */
		u64 c0 = (then / NSEC) * 32768 + (then % NSEC) * 32768 / NSEC;
		u64 c1 = (now_ns / NSEC) * 32768 + (now_ns % NSEC) * 32768 / NSEC;
		if (c1 / period > c0 / period)
			r->reg_c |= RTC_C_PF;
	}
	/* Update-ended and alarm: only while the clock runs. */
	if (r->reg_b & RTC_B_SET)
		return;
	if (unix_ns(r, now_ns) / NSEC > unix_ns(r, then) / NSEC) {
		r->reg_c |= RTC_C_UF;
		struct rtc_time tm;
		rtc_now(r, now_ns, &tm);
		if (alarm_field_matches(r->ram[RTC_SECONDS_ALARM], encode(r, tm.sec)) &&
		    alarm_field_matches(r->ram[RTC_MINUTES_ALARM], encode(r, tm.min)) &&
		    alarm_field_matches(r->ram[RTC_HOURS_ALARM], encode_hour(r, tm.hour)))
			r->reg_c |= RTC_C_AF;
	}
}

static void update_irq(struct rtc_cmos *r)
{
	int level = (r->reg_c & r->reg_b & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) != 0;
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_line_set(&r->irq, level);
	}
}

void rtc_init(struct rtc_cmos *r, u64 unix_at_zero, const struct irq_line *irq)
{
	memset(r, 0, sizeof(*r));
	if (irq)
		r->irq = *irq;
	r->reg_a = 0x26;      /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->reg_b = RTC_B_24H; /* BCD, 24-hour, no interrupts */
	r->offset_ns = (i64)(unix_at_zero * NSEC);
}

void rtc_update(struct rtc_cmos *r, u64 now_ns)
{
	eval_flags(r, now_ns);
	update_irq(r);
}

u64 rtc_next_event_ns(const struct rtc_cmos *r, u64 now_ns)
{
	u64 next = RTC_NO_EVENT;
	if (r->irq_level)
		return next; /* IRQ 8 stays high until status C is read */
	if ((r->reg_b & (RTC_B_UIE | RTC_B_AIE)) && !(r->reg_b & RTC_B_SET))
		next = now_ns + (NSEC - unix_ns(r, now_ns) % NSEC);
	unsigned rs = r->reg_a & 0x0f;
	if ((r->reg_b & RTC_B_PIE) && rs) {
		u64 period = rs == 1 ? 128 : rs == 2 ? 256 : 1ull << (rs - 1);
		u64 c = (now_ns / NSEC) * 32768 + (now_ns % NSEC) * 32768 / NSEC;
		u64 e = (c / period + 1) * period; /* next tap edge, in 32768 Hz clocks */
		u64 t = (e / 32768) * NSEC + ((e % 32768) * NSEC + 32767) / 32768;
		if (t < next)
			next = t;
	}
	return next;
}

static u8 read_reg(struct rtc_cmos *r, u8 idx, u64 now_ns)
{
	struct rtc_time tm;
	u8 v;
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		rtc_now(r, now_ns, &tm);
		switch (idx) {
		case RTC_SECONDS: return encode(r, tm.sec);
		case RTC_MINUTES: return encode(r, tm.min);
		case RTC_HOURS: return encode_hour(r, tm.hour);
		case RTC_DAY_OF_WEEK: return encode(r, tm.wday);
		case RTC_DAY_OF_MONTH: return encode(r, tm.mday);
		case RTC_MONTH: return encode(r, tm.mon);
		case RTC_YEAR: return encode(r, tm.year % 100);
		default: return encode(r, tm.year / 100);
		}
	case RTC_REG_A:
		v = r->reg_a;
		if (!(r->reg_b & RTC_B_SET) && unix_ns(r, now_ns) % NSEC >= NSEC - UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_B:
		return r->reg_b;
	case RTC_REG_C:
		eval_flags(r, now_ns);
		v = r->reg_c;
		if (v & r->reg_b & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
			v |= RTC_C_IRQF;
		r->reg_c = 0; /* reading C clears every flag and releases IRQ 8 */
		update_irq(r);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT; /* battery good */
	default:
		return r->ram[idx];
	}
}

static void write_time(struct rtc_cmos *r, u8 idx, u8 val, u64 now_ns)
{
	struct rtc_time tm;
	rtc_now(r, now_ns, &tm);
	switch (idx) {
	case RTC_SECONDS: tm.sec = decode(r, val); break;
	case RTC_MINUTES: tm.min = decode(r, val); break;
	case RTC_HOURS: tm.hour = decode_hour(r, val); break;
	case RTC_DAY_OF_WEEK: tm.wday = decode(r, val); break;
	case RTC_DAY_OF_MONTH: tm.mday = decode(r, val); break;
	case RTC_MONTH: tm.mon = decode(r, val); break;
	case RTC_YEAR: tm.year = tm.year / 100 * 100 + decode(r, val) % 100; break;
	case RTC_CENTURY: tm.year = decode(r, val) * 100 + tm.year % 100; break;
	}
	if (r->reg_b & RTC_B_SET)
		r->held = tm;
	else
		set_clock(r, &tm, now_ns);
}

static void write_reg(struct rtc_cmos *r, u8 idx, u8 val, u64 now_ns)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		write_time(r, idx, val, now_ns);
		break;
	case RTC_REG_A:
		eval_flags(r, now_ns);
		r->reg_a = val & 0x7f; /* UIP is read-only */
		break;
	case RTC_REG_B:
		eval_flags(r, now_ns);
		if ((val & RTC_B_SET) && !(r->reg_b & RTC_B_SET)) {
			rtc_now(r, now_ns, &r->held); /* stop the clock */
		} else if (!(val & RTC_B_SET) && (r->reg_b & RTC_B_SET)) {
			r->reg_b = val;
			set_clock(r, &r->held, now_ns); /* and start it again */
		}
		if (val & RTC_B_SET)
			val &= ~RTC_B_UIE; /* SET clears UIE (datasheet, register B) */
		r->reg_b = val;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		r->ram[idx] = val;
		break;
	}
	update_irq(r);
}

static int rtc_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct rtc_cmos *r = dev;
	if (port == RTC_PORT_INDEX)
		*val = r->index | (r->nmi_masked ? 0x80 : 0);
	else
		*val = read_reg(r, r->index, now_ns);
	return 0;
}

static int rtc_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct rtc_cmos *r = dev;
	if (port == RTC_PORT_INDEX) {
		r->index = val & 0x7f;
		r->nmi_masked = val & 0x80;
	} else {
		write_reg(r, r->index, val, now_ns);
	}
	return 0;
}

const struct vdev_ops rtc_ops = { .in = rtc_in, .out = rtc_out };
