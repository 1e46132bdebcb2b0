/*
 * test_pci_cfg.c - configuration mechanism #1: CONFIG_ADDRESS semantics,
 * Linux's pci_check_type1() probe, the 440FX host bridge, byte/word/dword
 * data accesses at every offset, absent functions, write masks, and BAR
 * sizing (PCI 3.0 section 6.2.5.1).
 */
#include "dev/tests/devtest.h"
#include "dev/pci_cfg.h"

static struct pci_cfg pci;

static u32 pin(u16 port, unsigned size)
{
	u32 v = 0xdeadbeef;
	assert_int_equal(pci_cfg_ops.in(&pci, port, size, &v, 0), 0);
	return v;
}

static void pout(u16 port, unsigned size, u32 v)
{
	assert_int_equal(pci_cfg_ops.out(&pci, port, size, v, 0), 0);
}

static u32 addr(u8 bus, u8 dev, u8 fn, u8 reg)
{
	return 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc);
}

static u32 cfg_rd(u8 bus, u8 dev, u8 fn, u8 reg, unsigned size)
{
	pout(0xcf8, 4, addr(bus, dev, fn, reg));
	return pin(0xcfc + (reg & 3), size);
}

static void cfg_wr(u8 bus, u8 dev, u8 fn, u8 reg, unsigned size, u32 v)
{
	pout(0xcf8, 4, addr(bus, dev, fn, reg));
	pout(0xcfc + (reg & 3), size, v);
}

static int setup(void **state)
{
	pci_cfg_init(&pci);
	return 0;
}

/* arch/x86/pci/direct.c, pci_check_type1(). */
static void test_linux_type1_probe(void **state)
{
	pout(0xcfb, 1, 0x01); /* a byte write: not CONFIG_ADDRESS */
	u32 tmp = pin(0xcf8, 4);
	pout(0xcf8, 4, 0x80000000);
	assert_int_equal(pin(0xcf8, 4), 0x80000000);
	pout(0xcf8, 4, tmp);
	assert_int_equal(pin(0xcf8, 4), tmp);
	/* Reserved bits 30:24 and 1:0 do not stick. */
	pout(0xcf8, 4, 0xffffffff);
	assert_int_equal(pin(0xcf8, 4), 0x80fffffc);
	/* pci_sanity_check(): bus 0 has a host bridge or an Intel device. */
	assert_int_equal(cfg_rd(0, 0, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cfg_rd(0, 0, 0, PCI_VENDOR_ID, 2), 0x8086);
}

static void test_host_bridge(void **state)
{
	assert_int_equal(cfg_rd(0, 0, 0, 0x00, 4), 0x12378086);
	assert_int_equal(cfg_rd(0, 0, 0, 0x08, 4), 0x06000002);
	assert_int_equal(cfg_rd(0, 0, 0, 0x04, 4), 0x02800006);
	assert_int_equal(cfg_rd(0, 0, 0, PCI_HEADER_TYPE, 1), 0x00);
	/* Unaligned pieces through 0xcfd-0xcff. */
	assert_int_equal(cfg_rd(0, 0, 0, 0x01, 1), 0x80);
	assert_int_equal(cfg_rd(0, 0, 0, 0x02, 2), 0x1237);
	assert_int_equal(cfg_rd(0, 0, 0, 0x03, 1), 0x12);
	assert_int_equal(cfg_rd(0, 0, 0, 0x0b, 1), 0x06);
	/* Read-only: ids, command and status of the bridge. */
	cfg_wr(0, 0, 0, 0x00, 4, 0);
	cfg_wr(0, 0, 0, 0x04, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 0, 0, 0x00, 4), 0x12378086);
	assert_int_equal(cfg_rd(0, 0, 0, 0x04, 4), 0x02800006);
	/* No BARs: sizing reads 0. */
	cfg_wr(0, 0, 0, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 0, 0, PCI_BAR0, 4), 0);
}

static void test_absent_functions(void **state)
{
	assert_int_equal(cfg_rd(0, 1, 0, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg_rd(0, 0, 1, 0x00, 2), 0xffff);
	assert_int_equal(cfg_rd(1, 0, 0, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg_rd(0, 31, 7, 0x3e, 1), 0xff);
	cfg_wr(0, 1, 0, 0x04, 4, 0x7); /* goes nowhere, no crash */
	/* Enable bit clear: the data port reads all-ones, writes are dropped. */
	pout(0xcf8, 4, 0x00000000);
	assert_int_equal(pin(0xcfc, 4), 0xffffffff);
	pout(0xcfc, 4, 0);
	assert_int_equal(cfg_rd(0, 0, 0, 0x00, 4), 0x12378086);
	/* Non-dword accesses to 0xcf8-0xcfb with no legacy device: all-ones. */
	assert_int_equal(pin(0xcf9, 1), 0xffffffff);
}

static void test_added_function_and_masks(void **state)
{
	struct pci_fn *f = pci_cfg_add(&pci, 0, 3, 0, 0x1af4, 0x1001, 0x010000, 0x01);
	assert_non_null(f);
	assert_null(pci_cfg_add(&pci, 0, 3, 0, 1, 2, 0, 0)); /* slot taken */
	assert_null(pci_cfg_add(&pci, 0, 32, 0, 1, 2, 0, 0));
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 11;
	assert_int_equal(cfg_rd(0, 3, 0, 0x00, 4), 0x10011af4);
	assert_int_equal(cfg_rd(0, 3, 0, 0x08, 4), 0x01000001);
	assert_int_equal(cfg_rd(0, 3, 0, 0x3c, 2), 0x010b);
	/* Command: only defined bits are writable. */
	cfg_wr(0, 3, 0, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(cfg_rd(0, 3, 0, PCI_COMMAND, 2), 0x0547);
	/* Status: error bits are write-one-to-clear, others read-only. */
	f->cfg[PCI_STATUS + 1] = 0xf9;
	f->cfg[PCI_STATUS] = 0x10;
	cfg_wr(0, 3, 0, PCI_STATUS, 2, 0x2010);
	assert_int_equal(cfg_rd(0, 3, 0, PCI_STATUS, 2), 0xd910);
	/* Interrupt line is writable, pin is not. */
	cfg_wr(0, 3, 0, 0x3c, 2, 0x0505);
	assert_int_equal(cfg_rd(0, 3, 0, 0x3c, 2), 0x0105);
	/* Header type and ids stay. */
	cfg_wr(0, 3, 0, 0x0c, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 3, 0, 0x0c, 4), 0x0000ffff);
}

static void test_bar_sizing(void **state)
{
	struct pci_fn *f = pci_cfg_add(&pci, 0, 4, 0, 0x8086, 0x100e, 0x020000, 0);
	assert_int_equal(pci_fn_set_bar(f, 0, 0x20, PCI_BAR_IO), 0);
	assert_int_equal(pci_fn_set_bar(f, 1, 0x1000, PCI_BAR_MEM32), 0);
	assert_int_equal(pci_fn_set_bar(f, 2, 0x100000, PCI_BAR_MEM64 | PCI_BAR_PREFETCH), 0);
	assert_int_equal(pci_fn_set_bar(f, 5, 0x30, PCI_BAR_MEM32), -1); /* not a power of two */
	assert_int_equal(pci_fn_set_bar(f, 5, 8, PCI_BAR_MEM32), -1);    /* too small */
	assert_int_equal(pci_fn_set_bar(f, 5, 16, PCI_BAR_MEM64), -1);   /* no next BAR */
	assert_int_equal(pci_fn_set_bar(f, 6, 16, PCI_BAR_MEM32), -1);

	/* What Linux's __pci_read_base() does: save, write ~0, read, restore. */
	assert_int_equal(cfg_rd(0, 4, 0, 0x10, 4), 0x00000001);
	cfg_wr(0, 4, 0, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 4, 0, 0x10, 4), 0xffffffe1);
	cfg_wr(0, 4, 0, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 4, 0, 0x14, 4), 0xfffff000);
	cfg_wr(0, 4, 0, 0x18, 4, 0xffffffff);
	cfg_wr(0, 4, 0, 0x1c, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 4, 0, 0x18, 4), 0xfff0000c);
	assert_int_equal(cfg_rd(0, 4, 0, 0x1c, 4), 0xffffffff);
	/* Unused BARs and the ROM BAR size to 0. */
	cfg_wr(0, 4, 0, 0x24, 4, 0xffffffff);
	cfg_wr(0, 4, 0, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0, 4, 0, 0x24, 4), 0);
	assert_int_equal(cfg_rd(0, 4, 0, 0x30, 4), 0);

	/* Assign addresses. */
	cfg_wr(0, 4, 0, 0x10, 4, 0xc040);
	cfg_wr(0, 4, 0, 0x14, 4, 0xfebf1234); /* low bits ignored */
	cfg_wr(0, 4, 0, 0x18, 4, 0xfe000000);
	cfg_wr(0, 4, 0, 0x1c, 4, 0x00000001);
	assert_int_equal(pci_fn_bar_addr(f, 0), 0xc040);
	assert_int_equal(pci_fn_bar_addr(f, 1), 0xfebf1000);
	assert_int_equal(pci_fn_bar_addr(f, 2), 0x1fe000000ull);
	/* A byte write to the middle of a BAR. */
	cfg_wr(0, 4, 0, 0x11, 1, 0xd0);
	assert_int_equal(pci_fn_bar_addr(f, 0), 0xd040);
}

static int writes_seen;
static unsigned last_off;
static void on_write(void *ctx, struct pci_fn *fn, unsigned off, unsigned size)
{
	writes_seen++;
	last_off = off;
}

static void test_multifunction_and_callback(void **state)
{
	struct pci_fn *f1 = pci_cfg_add(&pci, 0, 5, 1, 0x1234, 0x0001, 0, 0);
	struct pci_fn *f0 = pci_cfg_add(&pci, 0, 5, 0, 0x1234, 0x0000, 0, 0);
	assert_non_null(f0);
	assert_non_null(f1);
	assert_int_equal(cfg_rd(0, 5, 0, PCI_HEADER_TYPE, 1), 0x80);
	assert_int_equal(cfg_rd(0, 5, 1, PCI_HEADER_TYPE, 1), 0x00);
	struct pci_fn *f2 = pci_cfg_add(&pci, 0, 5, 2, 0x1234, 0x0002, 0, 0);
	assert_non_null(f2);
	f2->on_write = on_write;
	cfg_wr(0, 5, 2, 0x3c, 1, 9);
	assert_int_equal(writes_seen, 1);
	assert_int_equal(last_off, 0x3c);
	/* The table is finite. */
	int added = 0;
	for (int d = 10; d < 20; d++)
		added += pci_cfg_add(&pci, 0, d, 0, 1, 1, 0, 0) != NULL;
	assert_int_equal(added, PCI_MAX_FUNCS - 4);
}

static u8 legacy_value;
static int legacy_in(void *dev, u16 port, unsigned size, u32 *val, u64 now)
{
	*val = (port == 0xcf9 && size == 1) ? legacy_value : 0xffffffff;
	return 0;
}
static int legacy_out(void *dev, u16 port, unsigned size, u32 val, u64 now)
{
	if (port == 0xcf9 && size == 1)
		legacy_value = val;
	return 0;
}
static const struct vdev_ops legacy_ops = { legacy_in, legacy_out };

static void test_legacy_hook(void **state)
{
	pci.legacy = &legacy_ops;
	pout(0xcf8, 4, 0x80000000);
	pout(0xcf9, 1, 0x06);
	assert_int_equal(legacy_value, 0x06);
	assert_int_equal(pin(0xcf9, 1), 0x06);
	assert_int_equal(pin(0xcf8, 4), 0x80000000); /* untouched */
}

/* A dword at 0xcfe covers ports 0xcfe-0xd01: only its first two bytes are
 * CONFIG_DATA.  The others must neither write nor read the next register
 * (here BAR0, whose bits 15:12 are writable for a 4 KiB BAR). */
static void test_access_past_config_data(void **state)
{
	struct pci_fn *f = pci_cfg_add(&pci, 0, 3, 0, 0x1234, 0x5678, 0x010601, 1);
	assert_non_null(f);
	assert_int_equal(pci_fn_set_bar(f, 0, 0x1000, PCI_BAR_MEM32), 0);
	pout(0xcf8, 4, addr(0, 3, 0, 0x0c));
	pout(0xcfe, 4, 0xffffffff); /* bytes 0x0e-0x0f, then ports 0xd00-0xd01 */
	assert_int_equal(cfg_rd(0, 3, 0, 0x10, 4), 0); /* BAR0 untouched */
	pout(0xcf8, 4, addr(0, 3, 0, 0x00));
	assert_int_equal(pin(0xcfe, 4), 0xffff5678); /* device id, then floating bus */
	assert_int_equal(pin(0xcff, 2), 0xff56);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_linux_type1_probe, setup),
		cmocka_unit_test_setup(test_host_bridge, setup),
		cmocka_unit_test_setup(test_absent_functions, setup),
		cmocka_unit_test_setup(test_added_function_and_masks, setup),
		cmocka_unit_test_setup(test_bar_sizing, setup),
		cmocka_unit_test_setup(test_multifunction_and_callback, setup),
		cmocka_unit_test_setup(test_legacy_hook, setup),
		cmocka_unit_test_setup(test_access_past_config_data, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
