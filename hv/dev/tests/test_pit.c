/*
 * test_pit.c - the 8254 against the datasheet's mode definitions and the
 * two ways Linux calibrates the TSC with channel 2 (port 0x61 gate, OUT2 in
 * bit 5, counter read back byte by byte).  Expected times are computed here
 * independently with 128-bit arithmetic.
 */
#include "dev/tests/devtest.h"
#include "dev/pit8254.h"

static struct pit8254 pit;
static struct irq_rec rec;

/* The first ns at which t input clocks have elapsed. */
static u64 ns_at(u64 t)
{
	return (u64)(((unsigned __int128)t * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static u8 rd(u16 port, u64 now) { return in8(&pit_ops, &pit, port, now); }
static void wr(u16 port, u8 v, u64 now) { out8(&pit_ops, &pit, port, v, now); }
static u8 rd61(u64 now) { return in8(&pit_port61_ops, &pit, 0x61, now); }
static void wr61(u8 v, u64 now) { out8(&pit_port61_ops, &pit, 0x61, v, now); }

static u16 rd16(u16 port, u64 now)
{
	u8 lo = rd(port, now);
	return lo | (rd(port, now) << 8);
}

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	struct irq_line l = irq_rec_line(&rec, 0);
	pit_init(&pit, &l);
	return 0;
}

static void program(unsigned ch, u8 mode_rw, u16 count, u64 now)
{
	wr(0x43, (u8)((ch << 6) | mode_rw), now);
	wr(0x40 + ch, count & 0xff, now);
	wr(0x40 + ch, count >> 8, now);
}

static void test_unprogrammed_has_no_event(void **state)
{
	assert_int_equal(pit_next_event_ns(&pit, 0), PIT_NO_EVENT);
	pit_update(&pit, 1000000000);
	assert_int_equal(rec.rises[0], 0);
}

static void test_mode2_periodic_irq(void **state)
{
	const u64 t0 = 5000;
	program(0, 0x34, 1193, t0); /* Linux's periodic setup: ch0, lohi, mode 2 */
	u64 next = pit_next_event_ns(&pit, t0);
	assert_int_equal(next, t0 + ns_at(1193));
	pit_update(&pit, next - 1);
	assert_int_equal(rec.rises[0], 0);
	pit_update(&pit, next);
	assert_int_equal(rec.rises[0], 1);
	assert_int_equal(rec.level[0], 0); /* a pulse, not a level */
	assert_int_equal(pit_next_event_ns(&pit, next), t0 + ns_at(2 * 1193));
	/* The counter runs N..1 and reloads. */
	assert_int_equal(pit_read_counter(&pit, 0, t0 + ns_at(1193 + 1)), 1192);
	assert_int_equal(pit_out(&pit, 0, t0 + ns_at(1192)), 0); /* low while count = 1 */
	assert_int_equal(pit_out(&pit, 0, t0 + ns_at(1191)), 1);
}

static void test_missed_periods_are_coalesced(void **state)
{
	program(0, 0x34, 1000, 0);
	pit_update(&pit, ns_at(10 * 1000 + 500));
	assert_int_equal(rec.rises[0], 1);
	assert_int_equal(pit.irq0_coalesced, 9);
	/* The next event is the next period, not a backlog. */
	assert_int_equal(pit_next_event_ns(&pit, ns_at(10500)), ns_at(11000));
	/* An event already due is reported as "now". */
	assert_int_equal(pit_next_event_ns(&pit, ns_at(11500)), ns_at(11500));
}

static void test_mode3_square_wave(void **state)
{
	program(0, 0x36, 1000, 0);
	assert_int_equal(pit_out(&pit, 0, ns_at(0)), 1);
	assert_int_equal(pit_out(&pit, 0, ns_at(499)), 1);
	assert_int_equal(pit_out(&pit, 0, ns_at(500)), 0);
	assert_int_equal(pit_out(&pit, 0, ns_at(999)), 0);
	assert_int_equal(pit_out(&pit, 0, ns_at(1000)), 1);
	/* Counts down by two, twice per period. */
	assert_int_equal(pit_read_counter(&pit, 0, ns_at(10)), 980);
	assert_int_equal(pit_read_counter(&pit, 0, ns_at(510)), 980);
	pit_update(&pit, ns_at(999));
	assert_int_equal(rec.rises[0], 0);
	pit_update(&pit, ns_at(1000));
	assert_int_equal(rec.rises[0], 1);
}

static void test_latch_command(void **state)
{
	program(0, 0x34, 4096, 0);
	wr(0x43, 0x00, ns_at(100)); /* latch channel 0 */
	wr(0x43, 0x00, ns_at(200)); /* ignored: the first latch is unread */
	assert_int_equal(rd16(0x40, ns_at(300)), 4096 - 100);
	assert_int_equal(rd16(0x40, ns_at(300)), 4096 - 300); /* live again */
	/* Without a latch, the lohi flip-flop alternates bytes. */
	assert_int_equal(rd(0x40, ns_at(400)), (4096 - 400) & 0xff);
	assert_int_equal(rd(0x40, ns_at(400)), (4096 - 400) >> 8);
}

static void test_readback_command(void **state)
{
	wr61(0x01, 0);
	wr(0x43, 0xb0, 0); /* ch2, lohi, mode 0 */
	/* Before a count: NULL COUNT set, OUT low (mode 0). */
	wr(0x43, 0xe8, 0); /* read-back: status only, ch2 */
	assert_int_equal(rd(0x42, 0), 0x70);
	wr(0x42, 0xff, 0);
	wr(0x42, 0xff, 0);
	wr(0x43, 0xe8, ns_at(10));
	assert_int_equal(rd(0x42, ns_at(10)), 0x30);
	/* Count and status together: status first, then the count. */
	wr(0x43, 0xc8, ns_at(20));
	assert_int_equal(rd(0x42, ns_at(50)), 0x30);
	assert_int_equal(rd16(0x42, ns_at(50)), 0xffff - 20);
	/* After terminal count OUT shows in the status. */
	wr(0x43, 0xe8, ns_at(0x10000));
	assert_int_equal(rd(0x42, ns_at(0x10000)), 0xb0);
}

/* arch/x86/kernel/tsc.c, pit_calibrate_tsc(): gate on, mode 0, 50 ms, poll
 * port 0x61 bit 5 until OUT2 rises. */
static void test_port61_out2_timing(void **state)
{
	const u64 t0 = 123456789;
	const u16 latch = 59659; /* PIT_TICK_RATE / (1000 / 50) */
	u8 v = rd61(t0);
	wr61((v & ~0x02) | 0x01, t0);
	wr(0x43, 0xb0, t0);
	wr(0x42, latch & 0xff, t0);
	wr(0x42, latch >> 8, t0);
	assert_int_equal(rd61(t0) & 0x20, 0);
	assert_int_equal(rd61(t0 + ns_at(latch) - 1) & 0x20, 0);
	assert_int_equal(rd61(t0 + ns_at(latch)) & 0x20, 0x20);
	assert_int_equal(rd61(t0 + ns_at(latch) + 1000000) & 0x20, 0x20);
	assert_int_equal(rd61(t0) & 0x0f, 0x01); /* written bits read back */
	/* Channel 2 never raises IRQ0. */
	pit_update(&pit, t0 + ns_at(latch));
	assert_int_equal(rec.rises[0], 0);
}

/* quick_pit_calibrate(): mode 0 from 0xffff, then watch the MSB fall by one
 * every 256 clocks, reading LSB and MSB without a latch. */
static void test_quick_calibrate_msb(void **state)
{
	wr61(0x01, 0);
	wr(0x43, 0xb0, 0);
	wr(0x42, 0xff, 0);
	wr(0x42, 0xff, 0);
	static const u64 t[] = { 0, 1, 254, 255, 256, 257, 1000, 65535 };
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		u64 now = ns_at(t[i]);
		rd(0x42, now);                 /* LSB, discarded */
		u8 msb = rd(0x42, now);
		assert_int_equal(msb, (0xffff - t[i]) >> 8);
	}
}

static void test_gate_pauses_mode0(void **state)
{
	wr61(0x01, 0);
	program(2, 0x30, 1000, 0);
	wr61(0x00, ns_at(100));
	assert_int_equal(pit_read_counter(&pit, 2, ns_at(500)), 900);
	/* The model counts from the instant the gate rises (no CLK phase). */
	const u64 r = ns_at(500);
	wr61(0x01, r);
	assert_int_equal(pit_read_counter(&pit, 2, r + ns_at(100)), 800);
	assert_int_equal(rd61(r + ns_at(900) - 1) & 0x20, 0);
	assert_int_equal(rd61(r + ns_at(900)) & 0x20, 0x20);
}

static void test_gate_low_stops_mode2(void **state)
{
	program(2, 0x34, 100, 0); /* gate is low: counting waits for it */
	assert_int_equal(pit_out(&pit, 2, ns_at(50)), 1);
	wr61(0x01, ns_at(1000));
	assert_int_equal(pit_read_counter(&pit, 2, ns_at(1000) + ns_at(10)), 90);
	wr61(0x00, ns_at(1020));
	assert_int_equal(pit_out(&pit, 2, ns_at(1099)), 1); /* forced high */
	wr61(0x01, ns_at(2000));                            /* reload */
	assert_int_equal(pit_read_counter(&pit, 2, ns_at(2000) + ns_at(1)), 99);
}

static void test_mode1_hardware_oneshot(void **state)
{
	program(2, 0x32, 100, 0);
	assert_int_equal(pit_out(&pit, 2, ns_at(10)), 1); /* waiting for a trigger */
	const u64 t = ns_at(20);
	wr61(0x01, t);
	assert_int_equal(pit_out(&pit, 2, t + ns_at(1)), 0);
	assert_int_equal(pit_out(&pit, 2, t + ns_at(99)), 0);
	assert_int_equal(pit_out(&pit, 2, t + ns_at(100)), 1);
	wr61(0x00, ns_at(130));
	wr61(0x01, ns_at(140)); /* retrigger */
	assert_int_equal(pit_out(&pit, 2, ns_at(140) + ns_at(1)), 0);
}

/* Linux's PIT clockevent in oneshot mode uses mode 4 (0x38). */
static void test_mode4_oneshot_irq(void **state)
{
	program(0, 0x38, 100, 0);
	assert_int_equal(pit_next_event_ns(&pit, 0), ns_at(101));
	pit_update(&pit, ns_at(100));
	assert_int_equal(rec.rises[0], 0);
	assert_int_equal(pit_out(&pit, 0, ns_at(100)), 0); /* the strobe */
	pit_update(&pit, ns_at(101));
	assert_int_equal(rec.rises[0], 1);
	pit_update(&pit, ns_at(100000));
	assert_int_equal(rec.rises[0], 1);
	assert_int_equal(pit_next_event_ns(&pit, ns_at(100000)), PIT_NO_EVENT);
}

static void test_mode0_irq_and_first_byte_stop(void **state)
{
	program(0, 0x30, 100, 0);
	assert_int_equal(pit_out(&pit, 0, 0), 0);
	wr(0x40, 0x10, ns_at(50)); /* first byte of a new count: stops counting */
	pit_update(&pit, ns_at(200));
	assert_int_equal(rec.rises[0], 0);
	assert_int_equal(pit_out(&pit, 0, ns_at(200)), 0);
	wr(0x40, 0x00, ns_at(200)); /* count 0x0010 */
	assert_int_equal(pit_next_event_ns(&pit, ns_at(200)), ns_at(200) + ns_at(16));
	pit_update(&pit, ns_at(200) + ns_at(16));
	assert_int_equal(rec.rises[0], 1);
	/* Counting continues through zero (wrap), with no second interrupt. */
	assert_int_equal(pit_read_counter(&pit, 0, ns_at(200) + ns_at(17)), 0xffff);
	pit_update(&pit, ns_at(1000000));
	assert_int_equal(rec.rises[0], 1);
}

static void test_reprogramming_delivers_pending_edge(void **state)
{
	program(0, 0x30, 100, 0);
	/* OUT0 rose at 100, nobody called pit_update: a control word at 150
	 * must not swallow that interrupt. */
	wr(0x43, 0x34, ns_at(150));
	assert_int_equal(rec.rises[0], 1);
}

static void test_bcd_counting(void **state)
{
	wr(0x43, 0x35, 0); /* ch0, lohi, mode 2, BCD */
	wr(0x40, 0x00, 0);
	wr(0x40, 0x10, 0); /* 1000 decimal */
	assert_int_equal(pit_read_counter(&pit, 0, ns_at(1)), 0x0999);
	assert_int_equal(pit_next_event_ns(&pit, 0), ns_at(1000));
	wr(0x43, 0x31, 0); /* BCD count 0 = 10000 */
	wr(0x40, 0x00, 0);
	wr(0x40, 0x00, 0);
	assert_int_equal(pit_read_counter(&pit, 0, ns_at(1)), 0x9999);
}

static void test_lsb_only_and_msb_only(void **state)
{
	wr(0x43, 0x14, 0); /* ch0, LSB only, mode 2 */
	wr(0x40, 0x20, 0);
	assert_int_equal(pit_next_event_ns(&pit, 0), ns_at(32));
	assert_int_equal(rd(0x40, ns_at(2)), 30);
	assert_int_equal(rd(0x40, ns_at(2)), 30); /* no flip-flop */
	wr(0x43, 0x24, 0); /* MSB only */
	wr(0x40, 0x01, 0);
	assert_int_equal(pit_next_event_ns(&pit, 0), ns_at(256));
	assert_int_equal(rd(0x40, ns_at(2)), 0x00); /* 254 >> 8 */
	assert_int_equal(rd(0x43, 0), 0xff);        /* the control port is write-only */
}

static void test_refresh_bit_toggles(void **state)
{
	assert_int_not_equal(rd61(0) & 0x10, rd61(15085) & 0x10);
	assert_int_equal(rd61(0) & 0xc0, 0); /* no NMI sources */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unprogrammed_has_no_event, setup),
		cmocka_unit_test_setup(test_mode2_periodic_irq, setup),
		cmocka_unit_test_setup(test_missed_periods_are_coalesced, setup),
		cmocka_unit_test_setup(test_mode3_square_wave, setup),
		cmocka_unit_test_setup(test_latch_command, setup),
		cmocka_unit_test_setup(test_readback_command, setup),
		cmocka_unit_test_setup(test_port61_out2_timing, setup),
		cmocka_unit_test_setup(test_quick_calibrate_msb, setup),
		cmocka_unit_test_setup(test_gate_pauses_mode0, setup),
		cmocka_unit_test_setup(test_gate_low_stops_mode2, setup),
		cmocka_unit_test_setup(test_mode1_hardware_oneshot, setup),
		cmocka_unit_test_setup(test_mode4_oneshot_irq, setup),
		cmocka_unit_test_setup(test_mode0_irq_and_first_byte_stop, setup),
		cmocka_unit_test_setup(test_reprogramming_delivers_pending_edge, setup),
		cmocka_unit_test_setup(test_bcd_counting, setup),
		cmocka_unit_test_setup(test_lsb_only_and_msb_only, setup),
		cmocka_unit_test_setup(test_refresh_bit_toggles, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
