/*
 * pci.c - PCI configuration access and bus enumeration (glue).
 *
 * Two ways to reach configuration space:
 *  - ECAM (PCIe 3.0, 7.2.2): each function's 4 KiB of configuration space
 *    is memory at base + (bus << 20 | dev << 15 | fn << 12).  Used when the
 *    ACPI MCFG table gives a segment-0 window below 4 GiB, because the hv's
 *    page tables map all of the low 4 GiB, the MMIO hole uncached
 *    (hv/kernel/hvpaging.c), so plain volatile accesses are fine.
 *  - Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): write the address to
 *    port 0xCF8, move the data through 0xCFC..0xCFF.  Reaches the first 256
 *    bytes only, which is all Formica's drivers need.  Bochs' i440FX has
 *    no MCFG, so this path is what it tests.
 *
 * Enumeration walks bus 0 and follows PCI-to-PCI bridges to their secondary
 * buses (the firmware has already numbered them), so it never probes the
 * 8192 device slots of absent buses.
 */
#include "types.h"
#include "io.h"
#include "kprintf.h"
#include "handoff.h"
#include "pci/pci.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc

static struct pci_ecam ecam;
static bool use_ecam;
static struct pci_dev devs[PCI_MAX_DEVS];
static u32 ndevs;
static bool bus_seen[256];

/* ---- raw access by bus/device/function ---- */

static u64 ecam_addr(u8 bus, u8 dev, u8 fn, u16 off)
{
	return ecam.base + ((u64)(bus - ecam.start_bus) << 20) + ((u64)dev << 15) +
	       ((u64)fn << 12) + off;
}

static bool ecam_covers(u8 bus)
{
	return use_ecam && bus >= ecam.start_bus && bus <= ecam.end_bus;
}

static void cf8_select(u8 bus, u8 dev, u8 fn, u16 off)
{
	outl(PCI_CONFIG_ADDRESS, 0x80000000u | (u32)bus << 16 | (u32)dev << 11 | (u32)fn << 8 |
					 (off & 0xfc));
}

static u32 cfg_read32(u8 bus, u8 dev, u8 fn, u16 off)
{
	if (ecam_covers(bus))
		return mmio_read32(ecam_addr(bus, dev, fn, off & ~3));
	if (off >= 256)
		return 0xffffffffu;
	cf8_select(bus, dev, fn, off);
	return inl(PCI_CONFIG_DATA);
}

static void cfg_write32(u8 bus, u8 dev, u8 fn, u16 off, u32 v)
{
	if (ecam_covers(bus)) {
		mmio_write32(ecam_addr(bus, dev, fn, off & ~3), v);
		return;
	}
	if (off >= 256)
		return;
	cf8_select(bus, dev, fn, off);
	outl(PCI_CONFIG_DATA, v);
}

/* 16-bit writes go through a 32-bit read-modify-write: the only 16-bit
 * register we write is COMMAND, whose neighbour STATUS is write-1-to-clear,
 * so the RMW writes zeros to STATUS to leave it untouched. */
static void cfg_write16(u8 bus, u8 dev, u8 fn, u16 off, u16 v)
{
	u32 old = cfg_read32(bus, dev, fn, off & ~3);
	u32 shift = (off & 2) * 8;
	u32 keep = (off & ~3) == PCI_COMMAND ? 0x0000ffffu : 0xffffffffu;
	u32 nv = (old & keep & ~(0xffffu << shift)) | ((u32)v << shift);
	cfg_write32(bus, dev, fn, off & ~3, nv);
}

/* ---- access by device ---- */

u32 pci_read32(const struct pci_dev *d, u16 off) { return cfg_read32(d->bus, d->dev, d->fn, off); }
u16 pci_read16(const struct pci_dev *d, u16 off)
{
	return (u16)(pci_read32(d, off & ~3) >> ((off & 2) * 8));
}
u8 pci_read8(const struct pci_dev *d, u16 off)
{
	return (u8)(pci_read32(d, off & ~3) >> ((off & 3) * 8));
}
void pci_write32(const struct pci_dev *d, u16 off, u32 v)
{
	cfg_write32(d->bus, d->dev, d->fn, off, v);
}
void pci_write16(const struct pci_dev *d, u16 off, u16 v)
{
	cfg_write16(d->bus, d->dev, d->fn, off, v);
}

void pci_enable(const struct pci_dev *d, u16 bits)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);
	if ((cmd & bits) != bits)
		pci_write16(d, PCI_COMMAND, cmd | bits);
}

u32 pci_ndevs(void) { return ndevs; }
const struct pci_dev *pci_get(u32 i) { return i < ndevs ? &devs[i] : NULL; }

/* ---- enumeration ---- */

/* Size the BARs of a type 0 function.  Decoding is switched off while a
 * BAR holds all ones, so the device never answers at a bogus address. */
static void size_bars(struct pci_dev *d)
{
	u16 cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < 6;) {
		u16 off = PCI_BAR0 + 4 * i;
		u32 lo = pci_read32(d, off), hi = 0, mlo, mhi = 0;
		pci_write32(d, off, 0xffffffffu);
		mlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		if (pci_bar_is_64(lo) && i < 5) {
			hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffffu);
			mhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
		}
		int used = pci_bar_decode(lo, hi, mlo, mhi, &d->bar[i]);
		if (used == 2 && i < 5)
			d->bar[i + 1].kind = PCI_BAR_NONE;
		i += used;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

static void log_dev(const struct pci_dev *d)
{
	kprintf("pci %02x:%02x.%x %04x:%04x class %02x.%02x.%02x %s\n", d->bus, d->dev, d->fn,
		d->vendor, d->device, d->class_code, d->subclass, d->prog_if,
		pci_class_name(d->class_code, d->subclass, d->prog_if));
	for (int i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (b->kind == PCI_BAR_NONE)
			continue;
		kprintf("pci %02x:%02x.%x   bar%d %s 0x%llx size 0x%llx%s\n", d->bus, d->dev,
			d->fn, i,
			b->kind == PCI_BAR_IO ? "io" : b->kind == PCI_BAR_MEM64 ? "mem64" : "mem32",
			(unsigned long long)b->base, (unsigned long long)b->size,
			b->prefetch ? " prefetchable" : "");
	}
}

static void scan_bus(u8 bus);

static void scan_fn(u8 bus, u8 dev, u8 fn)
{
	u32 id = cfg_read32(bus, dev, fn, PCI_VENDOR_ID);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return;
	if (ndevs == PCI_MAX_DEVS) {
		kprintf("pci: more than %d functions, ignoring %02x:%02x.%x\n", PCI_MAX_DEVS, bus,
			dev, fn);
		return;
	}
	struct pci_dev *d = &devs[ndevs++];
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	u32 cls = cfg_read32(bus, dev, fn, PCI_REVISION);
	d->rev = cls & 0xff;
	d->prog_if = (cls >> 8) & 0xff;
	d->subclass = (cls >> 16) & 0xff;
	d->class_code = cls >> 24;
	d->hdr_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	if (d->hdr_type == 0)
		size_bars(d);
	log_dev(d);

	if (d->hdr_type == 1) {
		u8 sec = pci_read8(d, PCI_SECONDARY_BUS);
		if (sec != 0 && sec != bus)
			scan_bus(sec);
	}
}

static void scan_bus(u8 bus)
{
	/* A misprogrammed bridge could point back at a bus already seen. */
	if (bus_seen[bus])
		return;
	bus_seen[bus] = true;
	for (u8 dev = 0; dev < 32; dev++) {
		u32 id = cfg_read32(bus, dev, 0, PCI_VENDOR_ID);
		if ((id & 0xffff) == 0xffff)
			continue;
		u8 ht = (u8)(cfg_read32(bus, dev, 0, 0x0c) >> 16);
		u8 nfn = (ht & PCI_HEADER_MULTIFUNCTION) ? 8 : 1;
		for (u8 fn = 0; fn < nfn; fn++)
			scan_fn(bus, dev, fn);
	}
}

void pci_init(const struct handoff *h)
{
	ndevs = 0;
	use_ecam = false;
	for (int i = 0; i < 256; i++)
		bus_seen[i] = false;

	if (acpi_find_ecam(h->acpi_rsdp, &ecam) == 0) {
		u64 end = ecam.base + ((u64)(ecam.end_bus - ecam.start_bus + 1) << 20);
		if (end <= (4ull << 30) && ecam.start_bus == 0) {
			use_ecam = true;
			kprintf("pci: config access ECAM at 0x%llx, buses %u-%u (ACPI MCFG)\n",
				(unsigned long long)ecam.base, ecam.start_bus, ecam.end_bus);
		} else {
			kprintf("pci: MCFG window 0x%llx buses %u-%u not usable (above 4 GiB or "
				"not from bus 0), using mechanism #1\n",
				(unsigned long long)ecam.base, ecam.start_bus, ecam.end_bus);
		}
	}
	if (!use_ecam)
		kprintf("pci: config access mechanism #1 (ports 0xcf8/0xcfc)\n");

	/* A multi-function host bridge at 00:00 means several host buses
	 * (PCI 3.0, 3.2.2.3.2): function N is the host bridge for bus N. */
	u8 ht = (u8)(cfg_read32(0, 0, 0, 0x0c) >> 16);
	if (ht & PCI_HEADER_MULTIFUNCTION) {
		for (u8 fn = 0; fn < 8; fn++)
			if ((cfg_read32(0, 0, fn, PCI_VENDOR_ID) & 0xffff) != 0xffff)
				scan_bus(fn);
	} else {
		scan_bus(0);
	}
	kprintf("pci: %u functions\n", ndevs);
}
