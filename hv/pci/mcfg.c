/*
 * mcfg.c - finding the PCI Express ECAM window in the ACPI tables (pure).
 *
 * The firmware describes where the memory-mapped configuration space lives
 * in the MCFG table (PCI Firmware 3.0, 4.1.2), reached from the RSDP
 * through the XSDT (ACPI 6.x, 5.2.5-5.2.8; the RSDT on revision 0 RSDPs).
 * Every table is checksummed; a bad checksum means we do not trust the
 * table and fall back to configuration mechanism #1.
 *
 * Addresses in the tables are physical; the hv identity-maps memory, so
 * they are used as pointers directly.  Unit tests build tables in their
 * own memory and pass those pointers.
 */
#include "types.h"
#include "le.h"
#include "string.h"
#include "pci/pci.h"

/* Standard SDT header (ACPI 5.2.6): 36 bytes. */
#define SDT_HDR_LEN 36
#define MCFG_ALLOC_OFF 44 /* header + 8 reserved bytes */
#define MCFG_ALLOC_LEN 16

static const u8 *ptr(u64 pa) { return (const u8 *)(uintptr_t)pa; }

bool acpi_checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

/* A table at pa with the given signature and a sane, checksummed length. */
static const u8 *sdt_ok(u64 pa, const char *sig)
{
	if (pa == 0)
		return NULL;
	const u8 *t = ptr(pa);
	if (sig && memcmp(t, sig, 4) != 0)
		return NULL;
	u32 len = le32_get(t + 4);
	if (len < SDT_HDR_LEN || len > (1u << 20))
		return NULL;
	if (!acpi_checksum_ok(t, len))
		return NULL;
	return t;
}

static int mcfg_parse(const u8 *t, struct pci_ecam *out)
{
	u32 len = le32_get(t + 4);
	for (u32 off = MCFG_ALLOC_OFF; off + MCFG_ALLOC_LEN <= len; off += MCFG_ALLOC_LEN) {
		const u8 *a = t + off;
		u16 seg = le16_get(a + 8);
		/* Formica uses segment 0 only: the one mechanism #1 reaches too. */
		if (seg != 0)
			continue;
		out->base = le64_get(a);
		out->segment = seg;
		out->start_bus = a[10];
		out->end_bus = a[11];
		if (out->base == 0 || out->end_bus < out->start_bus)
			continue;
		return 0;
	}
	return -1;
}

int acpi_find_ecam(u64 rsdp, struct pci_ecam *out)
{
	if (rsdp == 0)
		return -1;
	const u8 *r = ptr(rsdp);
	if (memcmp(r, "RSD PTR ", 8) != 0 || !acpi_checksum_ok(r, 20))
		return -1;

	u8 rev = r[15];
	const u8 *root = NULL;
	u32 entsz = 4;
	if (rev >= 2) {
		u32 rlen = le32_get(r + 20);
		if (rlen >= 36 && acpi_checksum_ok(r, rlen))
			root = sdt_ok(le64_get(r + 24), "XSDT");
		entsz = 8;
	}
	if (!root) {
		root = sdt_ok(le32_get(r + 16), "RSDT");
		entsz = 4;
	}
	if (!root)
		return -1;

	u32 len = le32_get(root + 4);
	for (u32 off = SDT_HDR_LEN; off + entsz <= len; off += entsz) {
		u64 pa = entsz == 8 ? le64_get(root + off) : le32_get(root + off);
		const u8 *t = sdt_ok(pa, "MCFG");
		if (t && mcfg_parse(t, out) == 0)
			return 0;
	}
	return -1;
}
