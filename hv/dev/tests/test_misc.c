/*
 * test_misc.c - port 0x80, the i8042 as Linux's i8042 driver and reboot
 * code use it, the 0xcf9 reset control register, the power port.
 */
#include "dev/tests/devtest.h"
#include "dev/misc.h"

static struct i8042 kbc;
static struct vpc_stop stop;
static struct irq_rec rec;

static u8 st(void) { return in8(&i8042_ops, &kbc, 0x64, 0); }
static u8 data(void) { return in8(&i8042_ops, &kbc, 0x60, 0); }
static void cmd(u8 v) { out8(&i8042_ops, &kbc, 0x64, v, 0); }
static void put(u8 v) { out8(&i8042_ops, &kbc, 0x60, v, 0); }

static int setup(void **state)
{
	memset(&stop, 0, sizeof(stop));
	memset(&rec, 0, sizeof(rec));
	struct irq_line l1 = irq_rec_line(&rec, 1), l12 = irq_rec_line(&rec, 12);
	i8042_init(&kbc, &l1, &l12, &stop);
	return 0;
}

static void test_post_port(void **state)
{
	struct post_port p;
	post_init(&p);
	out8(&post_ops, &p, 0x80, 0x42, 0);
	out8(&post_ops, &p, 0x80, 0x43, 0);
	assert_int_equal(in8(&post_ops, &p, 0x80, 0), 0x43);
	assert_int_equal(p.writes, 2);
}

static void test_i8042_idle_status(void **state)
{
	u8 s = st();
	assert_int_equal(s & I8042_STR_OBF, 0);  /* no data */
	assert_int_equal(s & I8042_STR_IBF, 0);  /* kb_wait() in the reboot path passes */
	assert_int_not_equal(s, 0xff);           /* "No controller found" otherwise */
	assert_int_equal(data(), 0x00);
}

/* drivers/input/serio/i8042.c: flush, self-test, CTR read/write. */
static void test_i8042_linux_probe(void **state)
{
	while (st() & I8042_STR_OBF)
		data();
	/* Interrupts off while probing, as i8042_controller_init does. */
	cmd(0x20);
	assert_true(st() & I8042_STR_OBF);
	u8 ctr = data();
	assert_int_equal(ctr & I8042_CTR_XLATE, I8042_CTR_XLATE);
	cmd(0x60);
	put(ctr & ~(I8042_CTR_KBDINT | I8042_CTR_AUXINT));
	cmd(0xaa);
	assert_int_equal(data(), 0x55);
	cmd(0xab);
	assert_int_equal(data(), 0x00);
	/* AUX loopback: the byte comes back marked as aux data. */
	cmd(0xa8);
	cmd(0x20);
	assert_int_equal(data() & I8042_CTR_AUXDIS, 0);
	cmd(0xd3);
	put(0x5a);
	assert_int_equal(st() & (I8042_STR_OBF | I8042_STR_AUXDATA),
			 I8042_STR_OBF | I8042_STR_AUXDATA);
	assert_int_equal(data(), 0x5a);
	cmd(0xa7);
	cmd(0x20);
	assert_int_equal(data() & I8042_CTR_AUXDIS, I8042_CTR_AUXDIS);
	/* A byte for the (absent) keyboard gets no answer. */
	put(0xf2);
	assert_int_equal(st() & I8042_STR_OBF, 0);
	/* Only the first CTR read, made with the BIOS's KBDINT on, interrupted. */
	assert_int_equal(rec.rises[1], 1);
	assert_int_equal(rec.rises[12], 0);
	assert_int_equal(stop.reason, VPC_RUNNING);
}

static void test_i8042_interrupts(void **state)
{
	/* Default CTR has KBDINT: a reply raises IRQ 1 until it is read. */
	cmd(0xaa);
	assert_int_equal(rec.level[1], 1);
	data();
	assert_int_equal(rec.level[1], 0);
	cmd(0x60);
	put(I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_SYS);
	cmd(0xd3);
	put(0x11);
	assert_int_equal(rec.level[12], 1);
	assert_int_equal(rec.level[1], 0);
	assert_int_equal(data(), 0x11);
	assert_int_equal(rec.level[12], 0);
	cmd(0xd2);
	put(0x22);
	assert_int_equal(rec.level[1], 1);
	assert_int_equal(st() & I8042_STR_AUXDATA, 0);
	assert_int_equal(data(), 0x22);
}

/* arch/x86/kernel/reboot.c, BOOT_KBD: kb_wait(); outb(0xfe, 0x64). */
static void test_i8042_reset_pulse(void **state)
{
	assert_int_equal(st() & I8042_STR_IBF, 0);
	cmd(0xff); /* pulse nothing */
	assert_int_equal(stop.reason, VPC_RUNNING);
	cmd(0xfe);
	assert_int_equal(stop.reason, VPC_STOP_REBOOT);
	assert_non_null(stop.what);
}

static void test_i8042_output_port_reset(void **state)
{
	cmd(0xd0);
	assert_int_equal(data() & 0x03, 0x03); /* reset line high (inactive), A20 on */
	cmd(0xd1);
	put(0x03);
	assert_int_equal(stop.reason, VPC_RUNNING);
	cmd(0xd1);
	put(0x02);
	assert_int_equal(stop.reason, VPC_STOP_REBOOT);
}

/* arch/x86/kernel/reboot.c, BOOT_CF9_FORCE / BOOT_CF9_SAFE. */
static void test_reset_control(void **state)
{
	struct reset_ctl r;
	reset_ctl_init(&r, &stop);
	u8 cf9 = in8(&reset_ctl_ops, &r, 0xcf9, 0) & ~0x0e;
	out8(&reset_ctl_ops, &r, 0xcf9, cf9 | 0x02, 0); /* request hard reset */
	assert_int_equal(stop.reason, VPC_RUNNING);
	assert_int_equal(in8(&reset_ctl_ops, &r, 0xcf9, 0), 0x02);
	out8(&reset_ctl_ops, &r, 0xcf9, cf9 | 0x0e, 0); /* RST_CPU rises: reset */
	assert_int_equal(stop.reason, VPC_STOP_REBOOT);
	/* Other widths and ports in 0xcf8-0xcfb are not the register. */
	u32 v;
	assert_int_equal(reset_ctl_ops.in(&r, 0xcf9, 2, &v, 0), 0);
	assert_int_equal(v, 0xffffffff);
}

static void test_power_port(void **state)
{
	struct power_port p;
	power_port_init(&p, &stop);
	u32 v;
	assert_int_equal(power_port_ops.in(&p, VPC_POWER_PORT, 1, &v, 0), 0);
	assert_int_equal(stop.reason, VPC_RUNNING);
	assert_int_equal(power_port_ops.out(&p, VPC_POWER_PORT, 4, 0x31, 0), 0);
	assert_int_equal(stop.reason, VPC_STOP_POWEROFF);
	assert_int_equal(stop.code, 0x31);
	/* The first stop wins. */
	cmd(0xfe);
	assert_int_equal(stop.reason, VPC_STOP_POWEROFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_post_port, setup),
		cmocka_unit_test_setup(test_i8042_idle_status, setup),
		cmocka_unit_test_setup(test_i8042_linux_probe, setup),
		cmocka_unit_test_setup(test_i8042_interrupts, setup),
		cmocka_unit_test_setup(test_i8042_reset_pulse, setup),
		cmocka_unit_test_setup(test_i8042_output_port_reset, setup),
		cmocka_unit_test_setup(test_reset_control, setup),
		cmocka_unit_test_setup(test_power_port, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
