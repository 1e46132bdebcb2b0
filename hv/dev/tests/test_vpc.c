/*
 * test_vpc.c - the assembled PC through its I/O bus: the port map, a timer
 * interrupt from the PIT through the PIC to an injection decision, COM1
 * output and its interrupt, the ways a guest stops.
 */
#include "dev/tests/devtest.h"
#include "dev/vpc.h"

static struct vpc pc;
static char out[256];
static unsigned nout;

static void emit(void *ctx, u8 b)
{
	if (nout < sizeof(out) - 1)
		out[nout++] = (char)b;
}

static u32 in(u16 port, unsigned size, u64 now)
{
	u32 v = 0;
	assert_int_equal(vpc_io(&pc, port, size, VIO_IN, &v, now), VIO_OK);
	return v;
}

static void outp(u16 port, unsigned size, u32 v, u64 now)
{
	assert_int_equal(vpc_io(&pc, port, size, VIO_OUT, &v, now), VIO_OK);
}

static void linux_pic_init(void)
{
	static const u8 seq[][2] = {
		{ 0x21, 0xff }, { 0x20, 0x11 }, { 0x21, 0x30 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x38 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
		{ 0x21, 0xfa }, { 0xa1, 0xff }, /* IRQ0 and the cascade unmasked */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(seq); i++)
		outp(seq[i][0], 1, seq[i][1], 0);
}

static int setup(void **state)
{
	nout = 0;
	memset(out, 0, sizeof(out));
	assert_int_equal(vpc_init(&pc, 1700000000, emit, NULL), 0);
	return 0;
}

static void test_port_map(void **state)
{
	static const u16 owned[] = { 0x20, 0x21, 0xa0, 0xa1, 0x40, 0x43, 0x60, 0x61, 0x64,
				     0x70, 0x71, 0x80, 0x3f8, 0x3ff, 0x4d0, 0x4d1, 0xcf8,
				     0xcfc, 0xcff, VPC_POWER_PORT };
	for (unsigned i = 0; i < ARRAY_SIZE(owned); i++)
		assert_non_null(vio_owner(&pc.bus, owned[i]));
	static const u16 absent[] = { 0x2f8, 0x3e8, 0x2e8, 0x1f0, 0x3f0, 0x3c0, 0x92, 0x62 };
	for (unsigned i = 0; i < ARRAY_SIZE(absent); i++) {
		u32 v;
		assert_int_equal(vpc_io(&pc, absent[i], 1, VIO_IN, &v, 0), VIO_UNHANDLED);
		assert_int_equal(v, 0xff);
	}
	/* Linux probing COM2: IER does not stick, so no port. */
	u32 v = 0;
	assert_int_equal(vpc_io(&pc, 0x2f9, 1, VIO_OUT, &v, 0), VIO_UNHANDLED);
}

static void test_timer_interrupt_end_to_end(void **state)
{
	linux_pic_init();
	/* clockevent periodic: mode 2, LATCH for HZ=250. */
	outp(0x43, 1, 0x34, 1000);
	outp(0x40, 1, 4773 & 0xff, 1000);
	outp(0x40, 1, 4773 >> 8, 1000);
	u64 t = vpc_next_event_ns(&pc, 1000);
	assert_true(t > 1000 && t < 1000 + 4100000);
	vpc_tick(&pc, t - 1);
	struct vpc_intr r = vpc_intr_decide(&pc, true, false, false);
	assert_int_equal(r.action, VPC_INTR_NONE);
	vpc_tick(&pc, t);
	/* Guest has IF=0: ask for an interrupt window. */
	r = vpc_intr_decide(&pc, false, false, false);
	assert_int_equal(r.action, VPC_INTR_WINDOW);
	r = vpc_intr_decide(&pc, true, true, false); /* STI blocking */
	assert_int_equal(r.action, VPC_INTR_WINDOW);
	r = vpc_intr_decide(&pc, true, false, true); /* another event going in */
	assert_int_equal(r.action, VPC_INTR_WINDOW);
	r = vpc_intr_decide(&pc, true, false, false);
	assert_int_equal(r.action, VPC_INTR_INJECT);
	assert_int_equal(r.vector, 0x30);
	/* In service until EOI: nothing more to inject. */
	r = vpc_intr_decide(&pc, true, false, false);
	assert_int_equal(r.action, VPC_INTR_NONE);
	outp(0x20, 1, 0x60, t + 10);
	/* A 16-bit read of 0x20 reads IRR (low) and IMR (high). */
	assert_int_equal(in(0x20, 2, t + 10), 0xfa00);
	assert_int_equal(vpc_hlt_decide(&pc, true), VPC_HLT_SLEEP);
	u64 t2 = vpc_next_event_ns(&pc, t + 10);
	vpc_tick(&pc, t2);
	assert_int_equal(vpc_hlt_decide(&pc, true), VPC_HLT_WAKE);
}

static void test_com1_output_and_irq(void **state)
{
	linux_pic_init();
	outp(0x21, 1, 0xea, 0); /* unmask IRQ4 too */
	const char *msg = "Linux version 6.1\n";
	for (const char *p = msg; *p; p++) {
		while (!(in(0x3fd, 1, 0) & 0x20))
			;
		outp(0x3f8, 1, (u8)*p, 0);
	}
	assert_string_equal(out, msg);
	outp(0x3fc, 1, 0x0b, 0); /* DTR, RTS, OUT2 */
	outp(0x3f9, 1, 0x02, 0); /* ETBEI */
	struct vpc_intr r = vpc_intr_decide(&pc, true, false, false);
	assert_int_equal(r.action, VPC_INTR_INJECT);
	assert_int_equal(r.vector, 0x34);
	assert_int_equal(in(0x3fa, 1, 0), 0x02); /* THRE, no FIFOs yet */
}

static void test_rtc_and_pit_events_combine(void **state)
{
	assert_int_equal(vpc_next_event_ns(&pc, 0), VPC_NO_EVENT);
	outp(0x70, 1, 0x0b, 0);
	outp(0x71, 1, 0x12, 0); /* UIE, 24h */
	assert_int_equal(vpc_next_event_ns(&pc, 0), 1000000000);
	outp(0x43, 1, 0x30, 0);
	outp(0x40, 1, 100, 0);
	outp(0x40, 1, 0, 0);
	assert_true(vpc_next_event_ns(&pc, 0) < 100000);
}

/* vpc_tick() skips the devices until the next event it found (quiet_until_ns),
 * and a port access forgets that time: a guest that reprograms the PIT to a
 * faster rate gets its earlier interrupt. */
static void test_tick_skips_until_next_event(void **state)
{
	linux_pic_init();
	outp(0x43, 1, 0x34, 1000);
	outp(0x40, 1, 4773 & 0xff, 1000);
	outp(0x40, 1, 4773 >> 8, 1000);
	vpc_tick(&pc, 2000);
	u64 t = vpc_next_event_ns(&pc, 2000);
	assert_int_equal(pc.quiet_until_ns, t);
	for (u64 now = 3000; now < t; now += (t - 3000) / 7)
		vpc_tick(&pc, now);
	assert_int_equal(pc.pit.irq0_pulses, 0);
	vpc_tick(&pc, t);
	assert_int_equal(pc.pit.irq0_pulses, 1);
	assert_int_equal(vpc_intr_decide(&pc, true, false, false).action, VPC_INTR_INJECT);
	outp(0x20, 1, 0x60, t + 10); /* EOI */

	/* Reprogrammed to ~84 us after the next event was worked out. */
	u64 t1 = vpc_next_event_ns(&pc, t + 20);
	vpc_tick(&pc, t + 20);
	assert_int_equal(pc.quiet_until_ns, t1);
	outp(0x43, 1, 0x34, t + 30);
	outp(0x40, 1, 100, t + 30);
	outp(0x40, 1, 0, t + 30);
	u64 t2 = vpc_next_event_ns(&pc, t + 40);
	assert_true(t2 < t1 && t2 < t + 30 + 100000);
	vpc_tick(&pc, t2);
	assert_int_equal(pc.pit.irq0_pulses, 2);
	assert_int_equal(vpc_intr_decide(&pc, true, false, false).action, VPC_INTR_INJECT);
}

static void test_stops(void **state)
{
	/* reboot=pci through the bus: 0xcf9 lives inside pci-cfg's range. */
	outp(0xcf8, 4, 0x80000000, 0);
	outp(0xcf9, 1, 0x02, 0);
	assert_int_equal(pc.stop.reason, VPC_RUNNING);
	assert_int_equal(in(0xcf8, 4, 0), 0x80000000);
	outp(0xcf9, 1, 0x06, 0);
	assert_int_equal(pc.stop.reason, VPC_STOP_REBOOT);
	assert_string_equal(vpc_stop_name(pc.stop.reason), "reboot");
}

static void test_halt_with_interrupts_off_stops(void **state)
{
	assert_int_equal(vpc_hlt_decide(&pc, false), VPC_HLT_STOP);
	assert_int_equal(pc.stop.reason, VPC_STOP_HALTED);
}

static void test_power_port_through_bus(void **state)
{
	outp(VPC_POWER_PORT, 1, 0, 0);
	assert_int_equal(pc.stop.reason, VPC_STOP_POWEROFF);
	assert_int_equal(pc.stop.code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_port_map, setup),
		cmocka_unit_test_setup(test_timer_interrupt_end_to_end, setup),
		cmocka_unit_test_setup(test_com1_output_and_irq, setup),
		cmocka_unit_test_setup(test_rtc_and_pit_events_combine, setup),
		cmocka_unit_test_setup(test_tick_skips_until_next_event, setup),
		cmocka_unit_test_setup(test_stops, setup),
		cmocka_unit_test_setup(test_halt_with_interrupts_off_stops, setup),
		cmocka_unit_test_setup(test_power_port_through_bus, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
