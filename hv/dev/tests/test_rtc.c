/*
 * test_rtc.c - the CMOS clock: BCD/binary and 12/24-hour encodings, setting
 * the time the way hwclock does (SET bit), NVRAM, status registers, the
 * update/alarm/periodic interrupts on IRQ 8, and the calendar arithmetic.
 */
#include "dev/tests/devtest.h"
#include "dev/rtc.h"

#define SEC 1000000000ull
#define T0 1700000000ull /* 2023-11-14 22:13:20 UTC, a Tuesday */

static struct rtc_cmos rtc;
static struct irq_rec rec;

static u8 rd(u8 reg, u64 now)
{
	out8(&rtc_ops, &rtc, 0x70, reg, now);
	return in8(&rtc_ops, &rtc, 0x71, now);
}

static void wr(u8 reg, u8 v, u64 now)
{
	out8(&rtc_ops, &rtc, 0x70, reg, now);
	out8(&rtc_ops, &rtc, 0x71, v, now);
}

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	struct irq_line l = irq_rec_line(&rec, RTC_IRQ);
	rtc_init(&rtc, T0, &l);
	return 0;
}

static void test_bcd_time(void **state)
{
	assert_int_equal(rd(RTC_SECONDS, 0), 0x20);
	assert_int_equal(rd(RTC_MINUTES, 0), 0x13);
	assert_int_equal(rd(RTC_HOURS, 0), 0x22);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, 0), 3); /* Sunday = 1 */
	assert_int_equal(rd(RTC_DAY_OF_MONTH, 0), 0x14);
	assert_int_equal(rd(RTC_MONTH, 0), 0x11);
	assert_int_equal(rd(RTC_YEAR, 0), 0x23);
	assert_int_equal(rd(RTC_CENTURY, 0), 0x20);
	/* Guest time moves the clock. */
	assert_int_equal(rd(RTC_SECONDS, 5 * SEC + 1), 0x25);
	assert_int_equal(rd(RTC_MINUTES, 100 * SEC), 0x15);
	/* Two hours later it is the next day. */
	assert_int_equal(rd(RTC_DAY_OF_MONTH, 7200 * SEC), 0x15);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, 7200 * SEC), 4);
}

static void test_status_defaults(void **state)
{
	assert_int_equal(rd(RTC_REG_A, 0) & 0x7f, 0x26);
	assert_int_equal(rd(RTC_REG_B, 0), 0x02); /* 24h, BCD: what rtc-cmos expects */
	assert_int_equal(rd(RTC_REG_C, 0), 0x00);
	assert_int_equal(rd(RTC_REG_D, 0), 0x80);
	/* UIP: set just before the second changes, clear otherwise. */
	assert_int_equal(rd(RTC_REG_A, SEC / 2) & 0x80, 0);
	assert_int_equal(rd(RTC_REG_A, SEC - 1000) & 0x80, 0x80);
	wr(RTC_REG_A, 0xa6, 0); /* UIP is read-only */
	assert_int_equal(rd(RTC_REG_A, SEC / 2), 0x26);
	wr(RTC_REG_D, 0x00, 0);
	assert_int_equal(rd(RTC_REG_D, 0), 0x80);
}

static void test_binary_and_12h(void **state)
{
	wr(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, 0);
	assert_int_equal(rd(RTC_SECONDS, 0), 20);
	assert_int_equal(rd(RTC_HOURS, 0), 22);
	assert_int_equal(rd(RTC_YEAR, 0), 23);
	assert_int_equal(rd(RTC_CENTURY, 0), 20);
	wr(RTC_REG_B, RTC_B_DM_BINARY, 0); /* 12-hour, binary */
	assert_int_equal(rd(RTC_HOURS, 0), 0x80 | 10);
	wr(RTC_REG_B, 0, 0); /* 12-hour, BCD */
	assert_int_equal(rd(RTC_HOURS, 0), 0x90);
	/* Midnight and noon in 12-hour mode are 12. */
	wr(RTC_HOURS, 0x12, 0); /* 12 AM */
	wr(RTC_REG_B, RTC_B_24H, 0);
	assert_int_equal(rd(RTC_HOURS, 0), 0x00);
	wr(RTC_REG_B, 0, 0);
	wr(RTC_HOURS, 0x92, 0); /* 12 PM */
	wr(RTC_REG_B, RTC_B_24H, 0);
	assert_int_equal(rd(RTC_HOURS, 0), 0x12);
}

/* hwclock --systohc: SET, write the fields, clear SET. */
static void test_set_time(void **state)
{
	const u64 t = 50 * SEC + 123;
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H, t);
	wr(RTC_SECONDS, 0x00, t);
	wr(RTC_MINUTES, 0x30, t);
	wr(RTC_HOURS, 0x08, t);
	wr(RTC_DAY_OF_MONTH, 0x29, t);
	wr(RTC_MONTH, 0x02, t);
	wr(RTC_YEAR, 0x24, t);
	wr(RTC_CENTURY, 0x20, t);
	/* Stopped while SET is on. */
	assert_int_equal(rd(RTC_SECONDS, t + 5 * SEC), 0x00);
	assert_int_equal(rd(RTC_REG_A, t + SEC - 1) & 0x80, 0); /* no updates, no UIP */
	wr(RTC_REG_B, RTC_B_24H, t + 5 * SEC);
	struct rtc_time tm;
	rtc_now(&rtc, t + 5 * SEC + 3 * SEC, &tm);
	assert_int_equal(tm.year, 2024);
	assert_int_equal(tm.mon, 2);
	assert_int_equal(tm.mday, 29);
	assert_int_equal(tm.hour, 8);
	assert_int_equal(tm.min, 30);
	assert_int_equal(tm.sec, 3);
	assert_int_equal(tm.wday, 5); /* Thursday */
	/* A direct write without SET also takes effect at once. */
	wr(RTC_MINUTES, 0x45, t + 10 * SEC);
	assert_int_equal(rd(RTC_MINUTES, t + 10 * SEC), 0x45);
	assert_int_equal(rd(RTC_HOURS, t + 10 * SEC), 0x08);
}

static void test_nvram_and_index(void **state)
{
	for (int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			wr((u8)i, (u8)(i ^ 0x5a), 0);
	for (int i = 0x0e; i < 0x80; i++)
		if (i != RTC_CENTURY)
			assert_int_equal(rd((u8)i, 0), (u8)(i ^ 0x5a));
	/* Bit 7 of the index port is the NMI mask, not part of the index. */
	out8(&rtc_ops, &rtc, 0x70, 0x80 | 0x10, 0);
	assert_true(rtc.nmi_masked);
	assert_int_equal(in8(&rtc_ops, &rtc, 0x71, 0), 0x10 ^ 0x5a);
	out8(&rtc_ops, &rtc, 0x70, 0x10, 0);
	assert_false(rtc.nmi_masked);
}

static void test_update_interrupt(void **state)
{
	assert_int_equal(rtc_next_event_ns(&rtc, 0), RTC_NO_EVENT);
	/* PF follows the periodic rate whatever PIE says: rate 0 keeps it
	 * out of this test's status C values. */
	wr(RTC_REG_A, 0x20, 0);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE, SEC / 4);
	u64 next = rtc_next_event_ns(&rtc, SEC / 4);
	assert_int_equal(next, SEC);
	rtc_update(&rtc, next - 1);
	assert_int_equal(rec.level[RTC_IRQ], 0);
	rtc_update(&rtc, next);
	assert_int_equal(rec.level[RTC_IRQ], 1);
	assert_int_equal(rtc_next_event_ns(&rtc, next), RTC_NO_EVENT); /* until C is read */
	assert_int_equal(rd(RTC_REG_C, next), RTC_C_IRQF | RTC_C_UF);
	assert_int_equal(rec.level[RTC_IRQ], 0);
	assert_int_equal(rd(RTC_REG_C, next), 0);
	/* Flags are set even with the interrupt disabled, without IRQF. */
	wr(RTC_REG_B, RTC_B_24H, next);
	assert_int_equal(rd(RTC_REG_C, 3 * SEC), RTC_C_UF);
	assert_int_equal(rec.rises[RTC_IRQ], 1);
	/* SET clears UIE. */
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_SET, 3 * SEC);
	assert_int_equal(rd(RTC_REG_B, 3 * SEC), RTC_B_24H | RTC_B_SET);
}

static void test_alarm_interrupt(void **state)
{
	/* Alarm at 22:13:22 (two seconds after T0), as rtc-cmos programs it. */
	assert_int_equal(rd(RTC_REG_C, 0), 0);
	assert_int_equal(rd(RTC_REG_C, SEC / 100) & RTC_C_PF, RTC_C_PF); /* 1024 Hz runs */
	wr(RTC_REG_A, 0x20, 0);
	wr(RTC_SECONDS_ALARM, 0x22, 0);
	wr(RTC_MINUTES_ALARM, 0x13, 0);
	wr(RTC_HOURS_ALARM, 0xc0, 0); /* don't care */
	wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE, 0);
	u64 t = rtc_next_event_ns(&rtc, 0);
	assert_int_equal(t, SEC);
	rtc_update(&rtc, t);
	assert_int_equal(rec.level[RTC_IRQ], 0);
	t = rtc_next_event_ns(&rtc, t);
	assert_int_equal(t, 2 * SEC);
	rtc_update(&rtc, t);
	assert_int_equal(rec.level[RTC_IRQ], 1);
	assert_int_equal(rd(RTC_REG_C, t), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	assert_int_equal(rd(RTC_SECONDS_ALARM, t), 0x22);
}

static void test_periodic_interrupt(void **state)
{
	wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE, 0); /* rate 6: 1024 Hz */
	u64 t = rtc_next_event_ns(&rtc, 0);
	assert_int_equal(t, 976563); /* 32 clocks of 32.768 kHz, rounded up */
	rtc_update(&rtc, t - 1);
	assert_int_equal(rec.level[RTC_IRQ], 0);
	rtc_update(&rtc, t);
	assert_int_equal(rec.level[RTC_IRQ], 1);
	assert_int_equal(rd(RTC_REG_C, t), RTC_C_IRQF | RTC_C_PF);
	wr(RTC_REG_A, 0x2f, t); /* rate 15: 2 Hz */
	assert_int_equal(rtc_next_event_ns(&rtc, t), SEC / 2);
	wr(RTC_REG_A, 0x20, t); /* rate 0: off */
	assert_int_equal(rtc_next_event_ns(&rtc, t), RTC_NO_EVENT);
}

static void test_calendar(void **state)
{
	static const struct {
		u64 secs;
		u32 y, m, d, hh, mm, ss, wday;
	} cases[] = {
		{ 0, 1970, 1, 1, 0, 0, 0, 5 },
		{ 951782400, 2000, 2, 29, 0, 0, 0, 3 },
		{ 1735689599, 2024, 12, 31, 23, 59, 59, 3 },
		{ 4107542400, 2100, 3, 1, 0, 0, 0, 2 },
		{ T0, 2023, 11, 14, 22, 13, 20, 3 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rtc_time tm;
		rtc_unix_to_time(cases[i].secs, &tm);
		assert_int_equal(tm.year, cases[i].y);
		assert_int_equal(tm.mon, cases[i].m);
		assert_int_equal(tm.mday, cases[i].d);
		assert_int_equal(tm.hour, cases[i].hh);
		assert_int_equal(tm.min, cases[i].mm);
		assert_int_equal(tm.sec, cases[i].ss);
		assert_int_equal(tm.wday, cases[i].wday);
		assert_int_equal(rtc_time_to_unix(&tm), cases[i].secs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bcd_time, setup),
		cmocka_unit_test_setup(test_status_defaults, setup),
		cmocka_unit_test_setup(test_binary_and_12h, setup),
		cmocka_unit_test_setup(test_set_time, setup),
		cmocka_unit_test_setup(test_nvram_and_index, setup),
		cmocka_unit_test_setup(test_update_interrupt, setup),
		cmocka_unit_test_setup(test_alarm_interrupt, setup),
		cmocka_unit_test_setup(test_periodic_interrupt, setup),
		cmocka_unit_test_setup(test_calendar, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
