/*
 * test_serialpick.c - choosing the console's PCI 16550 from the functions
 * enumeration found (hv/pci/serialpick.c).  Each record is built the way
 * pci.c builds it: class code plus BARs decoded from the values a sizing
 * read returns, so the BAR decoder is exercised on serial-card BARs too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "types.h"
#include "string.h"
#include "pci/pci.h"

#define LIMIT_4G (4ull << 30)

/* One function: class bytes and up to two BARs as (value, sizing mask). */
static struct pci_dev fn(u8 cls, u8 sub, u8 pi, u32 bar0, u32 mask0, u32 bar1, u32 mask1)
{
	struct pci_dev d;
	memset(&d, 0, sizeof(d));
	d.class_code = cls;
	d.subclass = sub;
	d.prog_if = pi;
	int used = pci_bar_decode(bar0, 0, mask0, 0, &d.bar[0]);
	pci_bar_decode(bar1, 0, mask1, 0, &d.bar[used]);
	return d;
}

/* QEMU's pci-serial: 07.00.02, BAR0 = 8 I/O ports. */
static void test_io_card(void **state)
{
	struct pci_dev devs[] = {
		fn(0x06, 0x00, 0x00, 0, 0, 0, 0),                       /* host bridge */
		fn(0x01, 0x06, 0x01, 0xc061, 0xffe1, 0xfebd5000, 0xfffff000), /* AHCI */
		fn(0x07, 0x00, 0x02, 0xc0a1, 0xfff9, 0, 0),             /* pci-serial */
	};
	struct pci_uart u;
	assert_int_equal(pci_serial_find(devs, 3, 0, LIMIT_4G, &u), 2);
	assert_int_equal(u.space, PCI_UART_IO);
	assert_int_equal(u.base, 0xc0a0);
	assert_int_equal(u.size, 8);
	assert_int_equal(u.bar, 0);
	assert_int_equal(u.max_stride, 1);
}

/* Intel AMT SoL (a "KT" function, 07.00.02): BAR0 I/O, BAR1 4 KiB memory.
 * The I/O BAR wins: it is the 16550's documented window. */
static void test_amt_sol_prefers_io(void **state)
{
	struct pci_dev d = fn(0x07, 0x00, 0x02, 0xf0e1, 0xfffffff9, 0xf7e1a000, 0xfffff000);
	struct pci_uart u;
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), 0);
	assert_int_equal(u.space, PCI_UART_IO);
	assert_int_equal(u.base, 0xf0e0);
	/* The same with the memory BAR first: the I/O BAR still wins. */
	d = fn(0x07, 0x00, 0x02, 0xf7e1a000, 0xfffff000, 0xf0e1, 0xfffffff9);
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), 0);
	assert_int_equal(u.space, PCI_UART_IO);
	assert_int_equal(u.bar, 1);
}

/* Memory-only cards: byte stride only when the BAR is too small for 4. */
static void test_mmio_strides(void **state)
{
	struct pci_dev d = fn(0x07, 0x00, 0x02, 0xfe000000, 0xfffff000, 0, 0);
	struct pci_uart u;
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), 0);
	assert_int_equal(u.space, PCI_UART_MMIO);
	assert_int_equal(u.base, 0xfe000000);
	assert_int_equal(u.size, 0x1000);
	assert_int_equal(u.max_stride, 4);
	d = fn(0x07, 0x00, 0x00, 0xfe001010, 0xfffffff0, 0, 0); /* 16 bytes */
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), 0);
	assert_int_equal(u.size, 16);
	assert_int_equal(u.max_stride, 1);
}

/* A 64-bit memory BAR above what the hv maps, or unassigned, is skipped. */
static void test_mmio_unreachable(void **state)
{
	struct pci_dev d;
	memset(&d, 0, sizeof(d));
	d.class_code = 0x07;
	d.prog_if = 0x02;
	assert_int_equal(pci_bar_decode(0x0000000c, 0x00000060, 0xfffff00c, 0xffffffff, &d.bar[0]),
			 2);
	assert_int_equal(d.bar[0].kind, PCI_BAR_MEM64);
	assert_int_equal(d.bar[0].base, 0x6000000000ull);
	struct pci_uart u;
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), -1);
	assert_int_equal(pci_serial_find(&d, 1, 0, 1ull << 40, &u), 0);
	assert_int_equal(u.space, PCI_UART_MMIO);
	/* BAR never assigned by the firmware (base 0): not usable. */
	d = fn(0x07, 0x00, 0x02, 0x00000001, 0xfff9, 0, 0);
	assert_int_equal(pci_serial_find(&d, 1, 0, LIMIT_4G, &u), -1);
}

/* Other class 07 functions are not 16550s: 07.00.07+ (reserved/other
 * UARTs), 07.01 (parallel), 07.80 (e.g. the Intel MEI/HECI's class). */
static void test_not_a_16550(void **state)
{
	struct pci_dev devs[] = {
		fn(0x07, 0x00, 0x07, 0xc001, 0xfff9, 0, 0),
		fn(0x07, 0x01, 0x00, 0xc011, 0xfff9, 0, 0),
		fn(0x07, 0x80, 0x00, 0xfe000000, 0xfffff000, 0, 0),
		fn(0x07, 0x00, 0x06, 0xc021, 0xfff9, 0, 0), /* 16950: yes */
	};
	struct pci_uart u;
	assert_int_equal(pci_serial_find(devs, 4, 0, LIMIT_4G, &u), 3);
	assert_int_equal(u.base, 0xc020);
	assert_int_equal(pci_serial_find(devs, 3, 0, LIMIT_4G, &u), -1);
}

/* `from` continues the search after a candidate whose probe failed. */
static void test_from_continues(void **state)
{
	struct pci_dev devs[] = {
		fn(0x07, 0x00, 0x02, 0xc001, 0xfff9, 0, 0),
		fn(0x02, 0x00, 0x00, 0xc101, 0xffe1, 0, 0),
		fn(0x07, 0x00, 0x02, 0xc201, 0xfff9, 0, 0),
	};
	struct pci_uart u;
	assert_int_equal(pci_serial_find(devs, 3, 0, LIMIT_4G, &u), 0);
	assert_int_equal(pci_serial_find(devs, 3, 1, LIMIT_4G, &u), 2);
	assert_int_equal(u.base, 0xc200);
	assert_int_equal(pci_serial_find(devs, 3, 3, LIMIT_4G, &u), -1);
	assert_int_equal(pci_serial_find(devs, 0, 0, LIMIT_4G, &u), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_card),
		cmocka_unit_test(test_amt_sol_prefers_io),
		cmocka_unit_test(test_mmio_strides),
		cmocka_unit_test(test_mmio_unreachable),
		cmocka_unit_test(test_not_a_16550),
		cmocka_unit_test(test_from_continues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
