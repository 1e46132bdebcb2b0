/*
 * pci.h - the PCI devices the hypervisor found, and how to reach their
 * configuration space.
 *
 * pci_init() picks a configuration access method (ECAM, the memory-mapped
 * "enhanced configuration access mechanism", when the ACPI MCFG table
 * describes one below 4 GiB; otherwise configuration mechanism #1, the
 * 0xCF8/0xCFC port pair every PC chipset has), walks the buses from bus 0
 * through PCI-to-PCI bridges, sizes every BAR and logs one line per
 * function.  Drivers then look their controllers up by class code.
 *
 * Split: bar.c and mcfg.c are pure (decoding BARs, finding MCFG in the
 * ACPI tables); pci.c is the glue that executes the port and MMIO cycles.
 * References: PCI Local Bus 3.0 (6.1 configuration header, 6.2.5 BARs,
 * 3.2.2.3.2 mechanism #1), PCI Firmware 3.0 (4.1.2 MCFG), PCI-to-PCI
 * Bridge 1.2 (3.2 type 1 header).
 */
#ifndef FORMICA_PCI_H
#define FORMICA_PCI_H

#include "types.h"

#define PCI_MAX_DEVS 128

/* Configuration header offsets (type 0 unless noted). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_INTERRUPT_LINE 0x3c

#define PCI_COMMAND_IO BIT(0)     /* respond to I/O space cycles */
#define PCI_COMMAND_MEMORY BIT(1) /* respond to memory space cycles */
#define PCI_COMMAND_MASTER BIT(2) /* may initiate DMA */
#define PCI_COMMAND_INTX_DISABLE BIT(10)

#define PCI_HEADER_MULTIFUNCTION 0x80

/* Class codes the storage drivers look for (PCI Code and ID Assignment 1.x). */
#define PCI_CLASS_STORAGE 0x01
#define PCI_SUBCLASS_IDE 0x01
#define PCI_SUBCLASS_SATA 0x06
#define PCI_PROGIF_AHCI 0x01
#define PCI_CLASS_COMM 0x07          /* simple communication controllers */
#define PCI_SUBCLASS_SERIAL 0x00     /* ... serial: prog-if 00 8250 .. 06 16950 */
#define PCI_PROGIF_16950 0x06
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_PCI_BRIDGE 0x04

enum pci_bar_kind {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO = 1,
	PCI_BAR_MEM32 = 2,
	PCI_BAR_MEM64 = 3,
};

struct pci_bar {
	u64 base;
	u64 size;
	u8 kind; /* enum pci_bar_kind */
	bool prefetch;
};

struct pci_dev {
	u8 bus, dev, fn;
	u8 hdr_type;   /* without the multifunction bit */
	u16 vendor, device;
	u8 class_code, subclass, prog_if, rev;
	u8 irq_line;
	struct pci_bar bar[6]; /* type 0 headers; a 64-bit BAR fills slot i, slot i+1 is NONE */
};

/* ---- pure helpers (bar.c) ---- */

/*
 * Decode one BAR from what it read before (orig_lo/hi) and after writing
 * all ones (mask_lo/hi) during sizing; hi values matter only for 64-bit
 * memory BARs.  Returns the number of BAR slots used (1, or 2 for a 64-bit
 * BAR).  A BAR that reads back 0 is unimplemented: kind NONE.
 */
int pci_bar_decode(u32 orig_lo, u32 orig_hi, u32 mask_lo, u32 mask_hi, struct pci_bar *out);

/* True if the low dword of a BAR says it is the first half of a 64-bit BAR. */
bool pci_bar_is_64(u32 orig_lo);

/* A short human name for a class code ("AHCI", "IDE", "host bridge"...), or "". */
const char *pci_class_name(u8 class_code, u8 subclass, u8 prog_if);

/* ---- pure helpers (serialpick.c) ---- */

/* Where a PCI 16550 is and how its eight registers are laid out. */
enum pci_uart_space { PCI_UART_IO = 1, PCI_UART_MMIO = 2 };
struct pci_uart {
	u8 space;      /* enum pci_uart_space */
	u8 bar;        /* the BAR it decodes */
	u8 max_stride; /* bytes between registers to try: 1 only, or 1 then 4 */
	u64 base;
	u64 size;
};

/*
 * The first 16550-compatible function at or after devs[from]: class 07.00,
 * prog-if 00..06 (8250 to 16950; all keep the 16550's first eight
 * registers).  Its first assigned I/O BAR of at least 8 ports, else its
 * first memory BAR of at least 8 bytes that ends at or below mmio_limit
 * (what the hv has mapped).  Returns the device's index and fills *out, or
 * -1.  The glue probes the registers before it trusts the choice.
 */
int pci_serial_find(const struct pci_dev *devs, u32 n, u32 from, u64 mmio_limit,
		    struct pci_uart *out);

/* ---- pure helpers (mcfg.c) ---- */

struct pci_ecam {
	u64 base;      /* physical address of bus start_bus's configuration space */
	u16 segment;
	u8 start_bus, end_bus;
};

/*
 * Find the MCFG table through the RSDP (XSDT when revision >= 2, else
 * RSDT) and return its first segment-0 allocation.  Addresses are used as
 * pointers (the hv identity-maps memory; unit tests pass real pointers).
 * Returns 0 and fills *out, or -1 if there is no usable MCFG (bad
 * checksums are refused).
 */
int acpi_find_ecam(u64 rsdp, struct pci_ecam *out);

/* ACPI checksum: the bytes of a table add up to 0 modulo 256. */
bool acpi_checksum_ok(const void *p, size_t len);

#ifndef FORMICA_HOST
/* ---- glue (pci.c) ---- */
struct handoff;

void pci_init(const struct handoff *h);
u32 pci_ndevs(void);
const struct pci_dev *pci_get(u32 i);

u32 pci_read32(const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_dev *d, u16 off);
u8 pci_read8(const struct pci_dev *d, u16 off);
void pci_write32(const struct pci_dev *d, u16 off, u32 v);
void pci_write16(const struct pci_dev *d, u16 off, u16 v);

/* Set bits in the command register (memory/IO decode, bus mastering). */
void pci_enable(const struct pci_dev *d, u16 command_bits);
#endif

#endif
