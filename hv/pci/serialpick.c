/*
 * serialpick.c - choosing a PCI serial port for the console (pure).
 *
 * Many machines have no legacy COM port at 0x3f8, but a PCIe serial card or
 * Intel AMT's Serial-over-LAN function appears on PCI as a "simple
 * communication controller, serial" (class 07h, subclass 00h) whose
 * programming interface says which UART it imitates: 00h 8250, 01h 16450,
 * 02h 16550, 03h-06h 16650/16750/16850/16950 (PCI Code and ID Assignment
 * 1.x).  All of them keep the 16550's eight registers, reached through a
 * BAR: I/O space (AMT SoL, most cards: the registers at base+0..7) or
 * memory space.  In memory space the registers are a byte apart on most
 * cards and four bytes apart on some (32-bit register files); nothing in
 * configuration space says which, so we only say which strides the BAR has
 * room for and the glue (hv/kernel/console.c) probes them.
 */
#include "types.h"
#include "pci/pci.h"

#define UART_REGS 8 /* the 16550's register file */

static bool is_serial(const struct pci_dev *d)
{
	return d->class_code == PCI_CLASS_COMM && d->subclass == PCI_SUBCLASS_SERIAL &&
	       d->prog_if <= PCI_PROGIF_16950;
}

/* The BAR to use: the first I/O BAR, else the first mapped memory BAR. */
static bool pick_bar(const struct pci_dev *d, u64 mmio_limit, struct pci_uart *out)
{
	for (int i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (b->kind == PCI_BAR_IO && b->base != 0 && b->size >= UART_REGS) {
			*out = (struct pci_uart){ PCI_UART_IO, (u8)i, 1, b->base, b->size };
			return true;
		}
	}
	for (int i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
			continue;
		if (b->base == 0 || b->size < UART_REGS || b->base + b->size > mmio_limit ||
		    b->base + b->size < b->base)
			continue;
		/* A 4-byte stride needs 8 registers x 4 bytes. */
		u8 stride = b->size >= UART_REGS * 4 ? 4 : 1;
		*out = (struct pci_uart){ PCI_UART_MMIO, (u8)i, stride, b->base, b->size };
		return true;
	}
	return false;
}

int pci_serial_find(const struct pci_dev *devs, u32 n, u32 from, u64 mmio_limit,
		    struct pci_uart *out)
{
	for (u32 i = from; i < n; i++)
		if (is_serial(&devs[i]) && pick_bar(&devs[i], mmio_limit, out))
			return (int)i;
	return -1;
}
