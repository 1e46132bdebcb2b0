/*
 * test_vio.c - the port-I/O bus: registration rules, dispatch, splitting
 * of wide accesses for 8-bit devices, all-ones for unclaimed ports.
 */
#include "dev/tests/devtest.h"

/* A fake device: 8 byte registers, logs the sizes it is called with. */
struct fake {
	u16 base;
	u8 reg[8];
	unsigned last_size;
	int fail;
};

static int fake_in(void *dev, u16 port, unsigned size, u32 *val, u64 now)
{
	struct fake *f = dev;
	f->last_size = size;
	if (f->fail)
		return -1;
	u32 v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (u32)f->reg[(port - f->base + i) & 7] << (8 * i);
	*val = v;
	return 0;
}

static int fake_out(void *dev, u16 port, unsigned size, u32 val, u64 now)
{
	struct fake *f = dev;
	f->last_size = size;
	if (f->fail)
		return -1;
	for (unsigned i = 0; i < size; i++)
		f->reg[(port - f->base + i) & 7] = (val >> (8 * i)) & 0xff;
	return 0;
}

static const struct vdev_ops fake_ops = { fake_in, fake_out };

static void test_register_rules(void **state)
{
	struct vio_bus bus;
	struct fake a = { .base = 0x100 };
	vio_init(&bus);
	assert_int_equal(vio_register(&bus, 0x100, 0x107, &fake_ops, &a, "a", 0), VIO_OK);
	assert_int_equal(vio_register(&bus, 0x107, 0x108, &fake_ops, &a, "b", 0), VIO_ERR_OVERLAP);
	assert_int_equal(vio_register(&bus, 0x0f0, 0x100, &fake_ops, &a, "b", 0), VIO_ERR_OVERLAP);
	assert_int_equal(vio_register(&bus, 0x0f0, 0x1f0, &fake_ops, &a, "b", 0), VIO_ERR_OVERLAP);
	assert_int_equal(vio_register(&bus, 0x200, 0x1ff, &fake_ops, &a, "b", 0),
			 VIO_ERR_BAD_RANGE);
	for (unsigned i = 1; i < VIO_MAX_RANGES; i++)
		assert_int_equal(vio_register(&bus, 0x1000 + i, 0x1000 + i, &fake_ops, &a, "x", 0),
				 VIO_OK);
	assert_int_equal(vio_register(&bus, 0x2000, 0x2000, &fake_ops, &a, "y", 0), VIO_ERR_FULL);
	assert_string_equal(vio_owner(&bus, 0x104), "a");
	assert_null(vio_owner(&bus, 0x108));
}

static void test_unclaimed_ports_read_ones(void **state)
{
	struct vio_bus bus;
	vio_init(&bus);
	u32 v = 0;
	assert_int_equal(vio_dispatch(&bus, 0x2f8, 1, VIO_IN, &v, 0), VIO_UNHANDLED);
	assert_int_equal(v, 0xff);
	assert_int_equal(vio_dispatch(&bus, 0x2f8, 2, VIO_IN, &v, 0), VIO_UNHANDLED);
	assert_int_equal(v, 0xffff);
	assert_int_equal(vio_dispatch(&bus, 0x2f8, 4, VIO_IN, &v, 0), VIO_UNHANDLED);
	assert_int_equal(v, 0xffffffffu);
	v = 0x12;
	assert_int_equal(vio_dispatch(&bus, 0x2f8, 1, VIO_OUT, &v, 0), VIO_UNHANDLED);
	assert_int_equal(bus.unhandled, 4);
	assert_int_equal(vio_dispatch(&bus, 0x2f8, 3, VIO_IN, &v, 0), VIO_ERR_BAD_SIZE);
	assert_int_equal(vio_dispatch(&bus, 0xffff, 4, VIO_IN, &v, 0), VIO_UNHANDLED);
}

static void test_whole_access_for_wide_devices(void **state)
{
	struct vio_bus bus;
	struct fake a = { .base = 0xcf8 };
	vio_init(&bus);
	vio_register(&bus, 0xcf8, 0xcff, &fake_ops, &a, "a", 0);
	u32 v = 0x11223344;
	assert_int_equal(vio_dispatch(&bus, 0xcf8, 4, VIO_OUT, &v, 0), VIO_OK);
	assert_int_equal(a.last_size, 4);
	assert_int_equal(a.reg[0], 0x44);
	assert_int_equal(a.reg[3], 0x11);
	assert_int_equal(vio_dispatch(&bus, 0xcfa, 2, VIO_IN, &v, 0), VIO_OK);
	assert_int_equal(a.last_size, 2);
	assert_int_equal(v, 0x1122);
	a.fail = 1;
	assert_int_equal(vio_dispatch(&bus, 0xcfa, 2, VIO_IN, &v, 0), VIO_ERR_DEVICE);
}

static void test_split_for_8bit_devices(void **state)
{
	struct vio_bus bus;
	struct fake a = { .base = 0x20 }, b = { .base = 0x22 };
	vio_init(&bus);
	vio_register(&bus, 0x20, 0x21, &fake_ops, &a, "a", VIO_F_8BIT);
	vio_register(&bus, 0x22, 0x22, &fake_ops, &b, "b", VIO_F_8BIT);
	a.reg[0] = 0xaa;
	a.reg[1] = 0xbb;
	b.reg[0] = 0xcc;
	u32 v;
	/* A dword from 0x20: two bytes from a, one from b, one from nobody. */
	assert_int_equal(vio_dispatch(&bus, 0x20, 4, VIO_IN, &v, 0), VIO_OK);
	assert_int_equal(a.last_size, 1);
	assert_int_equal(v, 0xffccbbaa);
	v = 0x04030201;
	assert_int_equal(vio_dispatch(&bus, 0x21, 2, VIO_OUT, &v, 0), VIO_OK);
	assert_int_equal(a.reg[1], 0x01);
	assert_int_equal(b.reg[0], 0x02);
	assert_int_equal(b.last_size, 1);
	/* Starting on an empty port but reaching a device counts as handled. */
	assert_int_equal(vio_dispatch(&bus, 0x1f, 2, VIO_IN, &v, 0), VIO_OK);
	assert_int_equal(v, 0xaaff);
}

static void test_stop_first_request_wins(void **state)
{
	struct vpc_stop s = { 0 };
	vpc_request_stop(&s, VPC_STOP_REBOOT, 0, "kbc");
	vpc_request_stop(&s, VPC_STOP_POWEROFF, 3, "power");
	assert_int_equal(s.reason, VPC_STOP_REBOOT);
	assert_string_equal(s.what, "kbc");
	vpc_request_stop(NULL, VPC_STOP_REBOOT, 0, "nobody"); /* no crash */
	assert_string_equal(vpc_stop_name(VPC_STOP_TRIPLE_FAULT), "triple-fault");
	assert_string_equal(vpc_stop_name(VPC_STOP_HALTED), "halt");
	assert_string_equal(vpc_stop_name(VPC_STOP_POWEROFF), "poweroff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_rules),
		cmocka_unit_test(test_unclaimed_ports_read_ones),
		cmocka_unit_test(test_whole_access_for_wide_devices),
		cmocka_unit_test(test_split_for_8bit_devices),
		cmocka_unit_test(test_stop_first_request_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
