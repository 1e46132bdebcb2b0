/*
 * pci_cfg.h - PCI configuration mechanism #1 and the functions behind it.
 *
 * The guest writes CONFIG_ADDRESS (dword at 0xcf8: enable bit 31, bus,
 * device, function, register) and then reads or writes CONFIG_DATA
 * (0xcfc-0xcff, any width at any byte offset).  PCI Local Bus spec 3.0,
 * section 3.2.2.3.2.  Only dword accesses to 0xcf8 reach CONFIG_ADDRESS;
 * byte and word accesses to 0xcf8-0xcfb are ordinary I/O, which on PIIX/ICH
 * chipsets means the reset control register at 0xcf9 - they are passed to
 * `legacy` (see misc.h) if set.
 *
 * Bus 0 device 0 is an Intel 440FX host bridge (8086:1237, class 06/00).
 * Later devices (the virtual disk) add a function with pci_cfg_add() and
 * get a 256-byte configuration space whose writable bits are a mask, with
 * BAR sizing falling out of that mask: writing all-ones to a BAR reads back
 * the size mask, as the spec requires (section 6.2.5.1).  Every function
 * nobody added reads as all-ones (vendor 0xffff: "no device").
 */
#ifndef FORMICA_DEV_PCI_CFG_H
#define FORMICA_DEV_PCI_CFG_H

#include "dev/vdev.h"
#include "types.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_MAX_FUNCS 8

/* Configuration space header, type 0 (PCI 3.0, figure 6-1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_HEADER_MULTIFUNCTION 0x80

/* BAR kinds for pci_fn_set_bar(): the low bits the BAR reports. */
#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM32 0x0
#define PCI_BAR_MEM64 0x4  /* takes this BAR and the next */
#define PCI_BAR_PREFETCH 0x8

struct pci_fn;

/* Called after the guest wrote config space (so a device can notice a BAR
 * moving or decoding being switched on). */
typedef void (*pci_write_cb)(void *ctx, struct pci_fn *fn, unsigned off, unsigned size);

struct pci_fn {
	bool present;
	u8 bus, dev, fn;
	u8 cfg[256];
	u8 wmask[256];   /* 1 = the guest may write this bit */
	u8 w1cmask[256]; /* 1 = writing 1 clears this bit (status register) */
	pci_write_cb on_write;
	void *ctx;
};

struct pci_cfg {
	u32 address;     /* CONFIG_ADDRESS */
	struct pci_fn fn[PCI_MAX_FUNCS];
	const struct vdev_ops *legacy; /* byte/word accesses to 0xcf8-0xcfb */
	void *legacy_dev;
};

/* Empty configuration space plus the host bridge at 00:00.0. */
void pci_cfg_init(struct pci_cfg *p);

/*
 * Add a function with a type 0 header: ids, class code (class << 16 |
 * subclass << 8 | prog-if), revision.  Command bits IO, MEMORY, MASTER,
 * PARITY, SERR, INTX_DISABLE, cache line size, latency timer and interrupt
 * line are writable; status error bits are write-one-to-clear.  Returns the
 * function (fill in BARs, interrupt pin, anything else in cfg[]) or NULL if
 * the slot is taken or the table is full.  Adding a function > 0 marks
 * function 0 of that device multi-function, as Linux's scan requires.
 */
struct pci_fn *pci_cfg_add(struct pci_cfg *p, u8 bus, u8 dev, u8 fn, u16 vendor, u16 device,
			   u32 class_code, u8 revision);

/* Give BAR bar (0-5) a power-of-two size (>= 16 for memory, >= 4 for I/O)
 * and kind (PCI_BAR_*).  Returns 0 or -1 for a bad argument. */
int pci_fn_set_bar(struct pci_fn *f, unsigned bar, u64 size, u32 kind);

/* The address the guest programmed into BAR bar (flag bits stripped;
 * 64-bit BARs include the high dword). */
u64 pci_fn_bar_addr(const struct pci_fn *f, unsigned bar);

/* Config space accessors with the guest's semantics (masks, all-ones for
 * absent functions); off + size must not cross a dword. */
u32 pci_cfg_read(const struct pci_cfg *p, u8 bus, u8 devfn, unsigned off, unsigned size);
void pci_cfg_write(struct pci_cfg *p, u8 bus, u8 devfn, unsigned off, unsigned size, u32 val);

struct pci_fn *pci_cfg_find(struct pci_cfg *p, u8 bus, u8 devfn);

/* Ports 0xcf8-0xcff (no VIO_F_8BIT: widths matter). */
extern const struct vdev_ops pci_cfg_ops;

#endif
