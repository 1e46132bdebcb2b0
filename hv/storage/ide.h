/*
 * ide.h - register map of a legacy ATA/IDE channel and of the PCI IDE
 * bus-master engine, and the driver's entry point.
 *
 * Command block (ATA8-ACS / ATA-6 "I/O register descriptions"): 8 ports
 * from 0x1f0 (primary) or 0x170 (secondary) in compatibility mode, BAR0 /
 * BAR2 in native mode.  Control block: one port, 0x3f6 / 0x376, or BAR1 /
 * BAR3 + 2.  Bus master (SFF-8038i, Intel PIIX "Bus Master IDE I/O
 * registers"): BAR4, 8 ports per channel.
 */
#ifndef FORMICA_IDE_H
#define FORMICA_IDE_H

#include "types.h"

#define ATA_REG_DATA 0
#define ATA_REG_ERROR 1
#define ATA_REG_FEATURES 1
#define ATA_REG_COUNT 2
#define ATA_REG_LBA_LOW 3
#define ATA_REG_LBA_MID 4
#define ATA_REG_LBA_HIGH 5
#define ATA_REG_DEVICE 6
#define ATA_REG_STATUS 7
#define ATA_REG_COMMAND 7

#define ATA_CTL_NIEN 0x02 /* device control: mask INTRQ, we poll */
#define ATA_CTL_SRST 0x04 /* device control: software reset */
#define ATA_CTL_HOB 0x80  /* read back the high-order (previous) LBA48 bytes */

#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08  /* bus master WRITES memory: a disk read */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_DMA0 0x20   /* drive 0 DMA capable (set by firmware) */
#define BM_ST_DMA1 0x40

#ifndef FORMICA_HOST
struct pci_dev;
/* Take over one PCI IDE controller, register a blk_dev per ATA disk. */
void ide_probe(const struct pci_dev *pd);
#endif

#endif
