/*
 * bar.c - decoding PCI Base Address Registers (pure).
 *
 * A BAR's low bits say what it is (PCI 3.0, 6.2.5.1): bit 0 set is an I/O
 * BAR, clear a memory BAR, whose bits 2:1 give its width (00 32-bit, 10
 * 64-bit) and bit 3 prefetchability.  Its size is found by writing all
 * ones and reading back: the address bits the device hard-wires to zero
 * are the size.  The glue in pci.c does the writes; this file only turns
 * the four values read into a base and a size.
 */
#include "types.h"
#include "pci/pci.h"

bool pci_bar_is_64(u32 orig_lo)
{
	return (orig_lo & 1) == 0 && ((orig_lo >> 1) & 3) == 2;
}

int pci_bar_decode(u32 orig_lo, u32 orig_hi, u32 mask_lo, u32 mask_hi, struct pci_bar *out)
{
	out->base = 0;
	out->size = 0;
	out->kind = PCI_BAR_NONE;
	out->prefetch = false;

	if (orig_lo & 1) {
		/* I/O: bits 1:0 are flags.  Devices may leave the upper 16
		 * bits of the mask zero (x86 I/O space is 64 KiB). */
		u32 m = mask_lo & ~3u;
		if (m == 0)
			return 1;
		if ((m & 0xffff0000u) == 0)
			m |= 0xffff0000u;
		out->kind = PCI_BAR_IO;
		out->base = orig_lo & ~3u;
		out->size = (u32)(~m + 1);
		return 1;
	}

	out->prefetch = (orig_lo & 8) != 0;
	if (pci_bar_is_64(orig_lo)) {
		u64 m = ((u64)mask_hi << 32) | (mask_lo & ~0xfu);
		if (m == 0)
			return 2;
		out->kind = PCI_BAR_MEM64;
		out->base = ((u64)orig_hi << 32) | (orig_lo & ~0xfu);
		out->size = ~m + 1;
		return 2;
	}

	u32 m = mask_lo & ~0xfu;
	if (m == 0)
		return 1;
	out->kind = PCI_BAR_MEM32;
	out->base = orig_lo & ~0xfu;
	out->size = (u32)(~m + 1);
	return 1;
}

const char *pci_class_name(u8 class_code, u8 subclass, u8 prog_if)
{
	switch (class_code) {
	case 0x01:
		switch (subclass) {
		case 0x01: return "IDE";
		case 0x06: return prog_if == 0x01 ? "AHCI" : "SATA";
		case 0x08: return "NVMe";
		default: return "storage";
		}
	case 0x02: return "network";
	case 0x03: return "display";
	case 0x04: return "multimedia";
	case 0x07: return subclass == 0x00 ? "serial" : "communication";
	case 0x06:
		switch (subclass) {
		case 0x00: return "host bridge";
		case 0x01: return "ISA bridge";
		case 0x04: return "PCI bridge";
		default: return "bridge";
		}
	case 0x0c:
		switch (subclass) {
		case 0x03: return "USB";
		case 0x05: return "SMBus";
		default: return "serial bus";
		}
	default: return "";
	}
}
