/*
 * test_pic.c - the 8259A pair as Linux programs it (arch/x86/kernel/
 * i8259.c: probe, ICW1-4 with vectors 0x30/0x38, specific EOI, OCW3 reads)
 * and the datasheet's priority, masking, cascade and trigger rules.
 */
#include "dev/tests/devtest.h"
#include "dev/pic8259.h"

static struct pic8259 pic;

static u8 rd(u16 port) { return in8(&pic_ops, &pic, port, 0); }
static void wr(u16 port, u8 v) { out8(&pic_ops, &pic, port, v, 0); }

/* init_8259A() with auto_eoi = 0, vectors 0x30 and 0x38. */
static void linux_init(u8 master_mask, u8 slave_mask)
{
	wr(0x21, 0xff);
	wr(0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
	wr(0x21, 0x30); /* ICW2 */
	wr(0x21, 0x04); /* ICW3: slave on IR2 */
	wr(0x21, 0x01); /* ICW4: 8086 mode, normal EOI */
	wr(0xa0, 0x11);
	wr(0xa1, 0x38);
	wr(0xa1, 0x02); /* ICW3: slave id 2 */
	wr(0xa1, 0x01);
	wr(0x21, master_mask);
	wr(0xa1, slave_mask);
}

static u8 read_isr(u16 cmd)
{
	wr(cmd, 0x0b); /* OCW3: read ISR */
	u8 v = rd(cmd);
	wr(cmd, 0x0a); /* back to IRR, as Linux leaves it */
	return v;
}

static int setup(void **state)
{
	pic_init(&pic);
	return 0;
}

static void test_reset_state_and_probe(void **state)
{
	/* Everything masked after "BIOS": no interrupt can get through. */
	pic_set_irq(&pic, 0, 1);
	assert_int_equal(pic_pending_vector(&pic), -1);
	/* probe_8259A(): IMR must read back what was written. */
	wr(0xa1, 0xff);
	wr(0x21, 0xfb);
	assert_int_equal(rd(0x21), 0xfb);
	assert_int_equal(rd(0xa1), 0xff);
}

static void test_linux_init_and_first_interrupt(void **state)
{
	linux_init(0xfb, 0xff); /* only the cascade unmasked */
	pic_set_irq(&pic, 0, 1);
	pic_set_irq(&pic, 0, 0);
	/* Masked: latched in IRR, not delivered. */
	assert_int_equal(pic_pending_vector(&pic), -1);
	assert_int_equal(rd(0x20) & 1, 1); /* IRR read (OCW3 default) */
	wr(0x21, 0xfa);                    /* unmask IRQ0 */
	assert_int_equal(pic_pending_vector(&pic), 0x30);
	assert_int_equal(pic_ack(&pic), 0x30);
	assert_int_equal(rd(0x20) & 1, 0);       /* IRR cleared by INTA */
	assert_int_equal(read_isr(0x20), 0x01);  /* in service */
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0x20, 0x60); /* specific EOI, IRQ0: what mask_and_ack_8259A sends */
	assert_int_equal(read_isr(0x20), 0x00);
}

static void test_priority_and_nesting(void **state)
{
	linux_init(0x00, 0x00);
	pic_set_irq(&pic, 3, 1);
	pic_set_irq(&pic, 1, 1);
	assert_int_equal(pic_ack(&pic), 0x31); /* IRQ1 beats IRQ3 */
	/* IRQ3 waits while IRQ1 is in service... */
	assert_int_equal(pic_pending_vector(&pic), -1);
	/* ...but IRQ0 is higher and nests. */
	pic_set_irq(&pic, 0, 1);
	assert_int_equal(pic_pending_vector(&pic), 0x30);
	assert_int_equal(pic_ack(&pic), 0x30);
	assert_int_equal(read_isr(0x20), 0x03);
	wr(0x20, 0x20); /* non-specific EOI ends the highest: IRQ0 */
	assert_int_equal(read_isr(0x20), 0x02);
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0x20, 0x20);
	assert_int_equal(pic_pending_vector(&pic), 0x33);
}

static void test_masking_keeps_request(void **state)
{
	linux_init(0x00, 0x00);
	wr(0x21, 0x10); /* mask IRQ4 */
	pic_set_irq(&pic, 4, 1);
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0x21, 0x00);
	assert_int_equal(pic_pending_vector(&pic), 0x34);
}

static void test_edge_needs_new_rising_edge(void **state)
{
	linux_init(0x00, 0x00);
	pic_set_irq(&pic, 4, 1);
	assert_int_equal(pic_ack(&pic), 0x34);
	wr(0x20, 0x64);
	/* Line still high: no new edge, no new request. */
	pic_set_irq(&pic, 4, 1);
	assert_int_equal(pic_pending_vector(&pic), -1);
	pic_set_irq(&pic, 4, 0);
	pic_set_irq(&pic, 4, 1);
	assert_int_equal(pic_pending_vector(&pic), 0x34);
}

static void test_cascade(void **state)
{
	linux_init(0xfb, 0x00);
	pic_set_irq(&pic, 8, 1);
	assert_int_equal(rd(0x20) & 0x04, 0x04); /* master sees the slave's INT on IR2 */
	assert_int_equal(pic_pending_vector(&pic), 0x38);
	assert_int_equal(pic_ack(&pic), 0x38);
	assert_int_equal(read_isr(0x20), 0x04);
	assert_int_equal(read_isr(0xa0), 0x01);
	/* A lower slave request while IRQ8 is in service must not be lost. */
	pic_set_irq(&pic, 12, 1);
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0xa0, 0x60); /* specific EOI to slave IRQ8 ... */
	wr(0x20, 0x62); /* ... and master IR2, as Linux does */
	assert_int_equal(pic_pending_vector(&pic), 0x3c);
	assert_int_equal(pic_ack(&pic), 0x3c);
	assert_int_equal(read_isr(0xa0), 0x10);
	/* Fully nested: master IRQ1 outranks the cascade (IR2). */
	wr(0x21, 0xf9);
	pic_set_irq(&pic, 1, 1);
	assert_int_equal(pic_pending_vector(&pic), 0x31);
	/* Slave masked entirely: master's IR2 goes quiet. */
	wr(0xa0, 0x64);
	wr(0x20, 0x62);
	assert_int_equal(pic_ack(&pic), 0x31);
	wr(0x20, 0x61);
	pic_set_irq(&pic, 9, 1);
	wr(0xa1, 0xff);
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0xa1, 0x00);
	assert_int_equal(pic_pending_vector(&pic), 0x39);
}

static void test_level_triggered_via_elcr(void **state)
{
	linux_init(0x00, 0x00);
	out8(&pic_elcr_ops, &pic, 0x4d0, 0xff, 0);
	out8(&pic_elcr_ops, &pic, 0x4d1, 0xff, 0);
	assert_int_equal(in8(&pic_elcr_ops, &pic, 0x4d0, 0), 0xf8); /* IRQ0-2 edge only */
	assert_int_equal(in8(&pic_elcr_ops, &pic, 0x4d1, 0), 0xde); /* IRQ8, 13 edge only */
	out8(&pic_elcr_ops, &pic, 0x4d1, 0x02, 0); /* IRQ9 level */
	pic_set_irq(&pic, 9, 1);
	assert_int_equal(pic_ack(&pic), 0x39);
	wr(0xa0, 0x61);
	wr(0x20, 0x62);
	/* Still asserted: requests again (level semantics). */
	assert_int_equal(pic_pending_vector(&pic), 0x39);
	pic_set_irq(&pic, 9, 0);
	assert_int_equal(pic_pending_vector(&pic), -1);
}

static void test_spurious(void **state)
{
	linux_init(0x00, 0x00);
	assert_int_equal(pic_pending_vector(&pic), -1);
	assert_int_equal(pic_ack(&pic), 0x37); /* IR7's vector, nothing in service */
	assert_int_equal(read_isr(0x20), 0x00);
	assert_int_equal(pic.spurious, 1);
}

static void test_auto_eoi(void **state)
{
	wr(0x20, 0x11);
	wr(0x21, 0x20);
	wr(0x21, 0x04);
	wr(0x21, 0x03); /* ICW4: AEOI */
	wr(0x21, 0x00);
	pic_set_irq(&pic, 5, 1);
	assert_int_equal(pic_ack(&pic), 0x25);
	assert_int_equal(read_isr(0x20), 0x00);
	pic_set_irq(&pic, 6, 1);
	assert_int_equal(pic_pending_vector(&pic), 0x26); /* nothing blocks it */
}

static void test_poll_mode(void **state)
{
	linux_init(0x00, 0x00);
	wr(0x20, 0x0c); /* OCW3: poll */
	assert_int_equal(rd(0x20), 0x00); /* nothing pending */
	pic_set_irq(&pic, 3, 1);
	wr(0x20, 0x0c);
	assert_int_equal(rd(0x20), 0x83);
	assert_int_equal(read_isr(0x20), 0x08); /* the poll acknowledged it */
	assert_int_equal(rd(0x20), 0x00);       /* back to IRR reads */
}

static void test_rotation(void **state)
{
	linux_init(0x00, 0x00);
	wr(0x20, 0xc4); /* set priority: IR4 lowest, IR5 highest */
	pic_set_irq(&pic, 1, 1);
	pic_set_irq(&pic, 6, 1);
	assert_int_equal(pic_ack(&pic), 0x36);
	wr(0x20, 0xa0); /* rotate on non-specific EOI: IR6 becomes lowest */
	assert_int_equal(pic_ack(&pic), 0x31);
	wr(0x20, 0x20);
	pic_set_irq(&pic, 6, 0);
	pic_set_irq(&pic, 6, 1);
	pic_set_irq(&pic, 7, 1);
	assert_int_equal(pic_ack(&pic), 0x37); /* IR7 now highest */
}

static void test_special_mask_mode(void **state)
{
	linux_init(0x00, 0x00);
	pic_set_irq(&pic, 1, 1);
	assert_int_equal(pic_ack(&pic), 0x31);
	pic_set_irq(&pic, 5, 1);
	assert_int_equal(pic_pending_vector(&pic), -1);
	wr(0x20, 0x68); /* OCW3: set special mask mode */
	wr(0x21, 0x02); /* mask the level in service */
	assert_int_equal(pic_pending_vector(&pic), 0x35);
	wr(0x20, 0x48); /* clear special mask mode */
	assert_int_equal(pic_pending_vector(&pic), -1);
}

static void test_reinit_resets_edge_sense(void **state)
{
	linux_init(0x00, 0x00);
	pic_set_irq(&pic, 3, 1);
	linux_init(0x00, 0x00);
	/* ICW1 cleared the request and the line must rise again. */
	assert_int_equal(pic_pending_vector(&pic), -1);
	pic_set_irq(&pic, 3, 0);
	pic_set_irq(&pic, 3, 1);
	assert_int_equal(pic_pending_vector(&pic), 0x33);
	/* The cascade input itself cannot be driven from outside. */
	pic_set_irq(&pic, 2, 1);
	pic_set_irq(&pic, 99, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state_and_probe, setup),
		cmocka_unit_test_setup(test_linux_init_and_first_interrupt, setup),
		cmocka_unit_test_setup(test_priority_and_nesting, setup),
		cmocka_unit_test_setup(test_masking_keeps_request, setup),
		cmocka_unit_test_setup(test_edge_needs_new_rising_edge, setup),
		cmocka_unit_test_setup(test_cascade, setup),
		cmocka_unit_test_setup(test_level_triggered_via_elcr, setup),
		cmocka_unit_test_setup(test_spurious, setup),
		cmocka_unit_test_setup(test_auto_eoi, setup),
		cmocka_unit_test_setup(test_poll_mode, setup),
		cmocka_unit_test_setup(test_rotation, setup),
		cmocka_unit_test_setup(test_special_mask_mode, setup),
		cmocka_unit_test_setup(test_reinit_resets_edge_sense, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
