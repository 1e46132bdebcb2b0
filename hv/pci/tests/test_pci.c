/*
 * test_pci.c - BAR decoding and finding ECAM through ACPI (hv/pci/bar.c,
 * hv/pci/mcfg.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "types.h"
#include "string.h"
#include "pci/pci.h"

static void test_bar_io(void **state)
{
	struct pci_bar b;
	/* I/O BAR at 0xc040, 16 ports; device leaves upper mask bits 0. */
	assert_int_equal(pci_bar_decode(0xc041, 0, 0x0000fff1, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_IO);
	assert_int_equal(b.base, 0xc040);
	assert_int_equal(b.size, 16);
	/* and with the upper bits set */
	assert_int_equal(pci_bar_decode(0xc001, 0, 0xfffffff9, 0, &b), 1);
	assert_int_equal(b.size, 8);
}

static void test_bar_mem32(void **state)
{
	struct pci_bar b;
	assert_int_equal(pci_bar_decode(0xfebd5000, 0, 0xfffff000, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_MEM32);
	assert_int_equal(b.base, 0xfebd5000);
	assert_int_equal(b.size, 0x1000);
	assert_false(b.prefetch);
	assert_int_equal(pci_bar_decode(0xe0000008, 0, 0xff000008, 0, &b), 1);
	assert_true(b.prefetch);
	assert_int_equal(b.size, 16 << 20);
}

static void test_bar_mem64(void **state)
{
	struct pci_bar b;
	assert_true(pci_bar_is_64(0x0000000c));
	assert_false(pci_bar_is_64(0x00000008));
	assert_false(pci_bar_is_64(0x00000005)); /* I/O with bit 2 set is not 64-bit */
	assert_int_equal(pci_bar_decode(0x0000000c, 0x00000008, 0xfc00000c, 0xffffffff, &b), 2);
	assert_int_equal(b.kind, PCI_BAR_MEM64);
	assert_int_equal(b.base, 0x800000000ull);
	assert_int_equal(b.size, 64ull << 20);
	assert_true(b.prefetch);
	/* 8 GiB BAR: the size lives in the high dword too */
	assert_int_equal(pci_bar_decode(0x0000000c, 0x4, 0x0000000c, 0xfffffffe, &b), 2);
	assert_int_equal(b.size, 8ull << 30);
}

static void test_bar_none(void **state)
{
	struct pci_bar b;
	assert_int_equal(pci_bar_decode(0, 0, 0, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_NONE);
	assert_int_equal(pci_bar_decode(0x4, 0, 0x4, 0, &b), 2);
	assert_int_equal(b.kind, PCI_BAR_NONE);
}

static void test_class_names(void **state)
{
	assert_string_equal(pci_class_name(1, 6, 1), "AHCI");
	assert_string_equal(pci_class_name(1, 1, 0x80), "IDE");
	assert_string_equal(pci_class_name(6, 4, 0), "PCI bridge");
	assert_string_equal(pci_class_name(0xff, 0, 0), "");
}

/* ---- ACPI ---- */

static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static void fix_sum(u8 *p, size_t len, size_t off)
{
	u8 s = 0;
	p[off] = 0;
	for (size_t i = 0; i < len; i++)
		s += p[i];
	p[off] = (u8)(0 - s);
}

static void sdt_header(u8 *t, const char *sig, u32 len)
{
	memset(t, 0, len);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 1;
}

struct acpi {
	u8 rsdp[36];
	u8 xsdt[36 + 3 * 8];
	u8 rsdt[36 + 3 * 4];
	u8 mcfg[44 + 2 * 16];
	u8 fadt[36];
};

static u32 lo32(const void *p) { return (u32)(uintptr_t)p; }

/* Builds RSDP rev 2 -> XSDT (FACP, MCFG) and an RSDT with the same tables. */
static struct acpi *build(int rev, u16 seg0, u64 base)
{
	struct acpi *a = calloc(1, sizeof(*a));
	sdt_header(a->fadt, "FACP", sizeof(a->fadt));
	fix_sum(a->fadt, sizeof(a->fadt), 9);
	sdt_header(a->mcfg, "MCFG", sizeof(a->mcfg));
	/* first allocation: segment seg0; second: segment 0 at base+1GiB */
	put64(a->mcfg + 44, base);
	a->mcfg[44 + 8] = seg0 & 0xff;
	a->mcfg[44 + 10] = 0;
	a->mcfg[44 + 11] = 0x3f;
	put64(a->mcfg + 60, base + (1ull << 30));
	a->mcfg[60 + 8] = 0;
	a->mcfg[60 + 10] = 0;
	a->mcfg[60 + 11] = 0xff;
	fix_sum(a->mcfg, sizeof(a->mcfg), 9);
	sdt_header(a->xsdt, "XSDT", 36 + 2 * 8);
	put64(a->xsdt + 36, (u64)(uintptr_t)a->fadt);
	put64(a->xsdt + 44, (u64)(uintptr_t)a->mcfg);
	fix_sum(a->xsdt, 36 + 2 * 8, 9);
	memcpy(a->rsdp, "RSD PTR ", 8);
	a->rsdp[15] = (u8)rev;
	put64(a->rsdp + 24, (u64)(uintptr_t)a->xsdt);
	put32(a->rsdp + 20, 36);
	fix_sum(a->rsdp, 20, 8);
	fix_sum(a->rsdp, 36, 32);
	return a;
}

static void test_ecam_xsdt(void **state)
{
	struct acpi *a = build(2, 0, 0xb0000000);
	struct pci_ecam e;
	assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), 0);
	assert_int_equal(e.base, 0xb0000000);
	assert_int_equal(e.segment, 0);
	assert_int_equal(e.start_bus, 0);
	assert_int_equal(e.end_bus, 0x3f);
	free(a);
}

static void test_ecam_skips_other_segments(void **state)
{
	struct acpi *a = build(2, 1, 0xb0000000);
	struct pci_ecam e;
	assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), 0);
	assert_int_equal(e.base, 0xb0000000 + (1ull << 30));
	assert_int_equal(e.end_bus, 0xff);
	free(a);
}

static void test_ecam_bad_checksum(void **state)
{
	struct acpi *a = build(2, 0, 0xb0000000);
	struct pci_ecam e;
	a->mcfg[50] ^= 1; /* corrupt the MCFG: refused */
	assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), -1);
	free(a);
	a = build(2, 0, 0xb0000000);
	a->rsdp[9] ^= 1; /* corrupt the RSDP */
	assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), -1);
	free(a);
	assert_int_equal(acpi_find_ecam(0, &e), -1);
}

static void test_ecam_rsdt(void **state)
{
	/* Revision 0 RSDP: only the 32-bit RSDT is used.  Point it at a copy
	 * of the tables if they happen to sit below 4 GiB; otherwise only
	 * check that an RSDP without an RSDT finds nothing. */
	struct acpi *a = build(0, 0, 0xe0000000);
	struct pci_ecam e;
	if ((u64)(uintptr_t)a < (1ull << 32)) {
		sdt_header(a->rsdt, "RSDT", 36 + 4);
		put32(a->rsdt + 36, lo32(a->mcfg));
		fix_sum(a->rsdt, 36 + 4, 9);
		put32(a->rsdp + 16, lo32(a->rsdt));
		fix_sum(a->rsdp, 20, 8);
		assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), 0);
		assert_int_equal(e.base, 0xe0000000);
	} else {
		assert_int_equal(acpi_find_ecam((u64)(uintptr_t)a->rsdp, &e), -1);
	}
	free(a);
}

static void test_checksum(void **state)
{
	u8 b[4] = { 1, 2, 3, 0xfa };
	assert_true(acpi_checksum_ok(b, 4));
	b[0] = 2;
	assert_false(acpi_checksum_ok(b, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_io),
		cmocka_unit_test(test_bar_mem32),
		cmocka_unit_test(test_bar_mem64),
		cmocka_unit_test(test_bar_none),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_ecam_xsdt),
		cmocka_unit_test(test_ecam_skips_other_segments),
		cmocka_unit_test(test_ecam_bad_checksum),
		cmocka_unit_test(test_ecam_rsdt),
		cmocka_unit_test(test_checksum),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
