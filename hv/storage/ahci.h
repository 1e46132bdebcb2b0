/*
 * ahci.h - register map of an AHCI host bus adapter (AHCI 1.3.1, chapter 3)
 * and the driver's entry point.
 */
#ifndef FORMICA_AHCI_H
#define FORMICA_AHCI_H

#include "types.h"

/* Generic host control (3.1), offsets from ABAR (BAR5). */
#define AHCI_CAP 0x00
#define AHCI_GHC 0x04
#define AHCI_IS 0x08
#define AHCI_PI 0x0c
#define AHCI_VS 0x10
#define AHCI_CAP2 0x24
#define AHCI_BOHC 0x28

#define AHCI_CAP_S64A BIT(31)
#define AHCI_CAP_SNCQ BIT(30)
#define AHCI_CAP_SSS BIT(27)
#define AHCI_CAP_SAM BIT(18)
#define AHCI_CAP_NCS(cap) ((((cap) >> 8) & 0x1f) + 1)
#define AHCI_CAP_NP(cap) (((cap) & 0x1f) + 1)

#define AHCI_GHC_AE BIT(31)
#define AHCI_GHC_IE BIT(1)
#define AHCI_GHC_HR BIT(0)

#define AHCI_CAP2_BOH BIT(0)

#define AHCI_BOHC_BOS BIT(0)
#define AHCI_BOHC_OOS BIT(1)
#define AHCI_BOHC_OOC BIT(3)
#define AHCI_BOHC_BB BIT(4)

/* Port registers (3.3): ABAR + 0x100 + port * 0x80. */
#define AHCI_PORT(n) (0x100 + (n) * 0x80)
#define PxCLB 0x00
#define PxCLBU 0x04
#define PxFB 0x08
#define PxFBU 0x0c
#define PxIS 0x10
#define PxIE 0x14
#define PxCMD 0x18
#define PxTFD 0x20
#define PxSIG 0x24
#define PxSSTS 0x28
#define PxSCTL 0x2c
#define PxSERR 0x30
#define PxSACT 0x34
#define PxCI 0x38

#define PxIS_TFES BIT(30) /* task file error status */
#define PxIS_HBFS BIT(29) /* host bus fatal error */
#define PxIS_HBDS BIT(28) /* host bus data error */
#define PxIS_IFS BIT(27)  /* interface fatal error */
#define PxIS_INFS BIT(26) /* interface non-fatal error */
#define PxIS_OFS BIT(24)  /* overflow */
#define PxIS_ERRORS (PxIS_TFES | PxIS_HBFS | PxIS_HBDS | PxIS_IFS | PxIS_OFS)

#define PxCMD_ST BIT(0)
#define PxCMD_SUD BIT(1)
#define PxCMD_POD BIT(2)
#define PxCMD_FRE BIT(4)
#define PxCMD_FR BIT(14)
#define PxCMD_CR BIT(15)

#define PxSSTS_DET(s) ((s) & 0xf)
#define PxSSTS_DET_PRESENT 3 /* device present and Phy communication established */
#define PxSCTL_DET_COMRESET 1

#define PxTFD_STS(t) ((t) & 0xff)
#define PxTFD_ERR(t) (((t) >> 8) & 0xff)

#define AHCI_SIG_ATA 0x00000101u
#define AHCI_SIG_ATAPI 0xeb140101u
#define AHCI_SIG_SEMB 0xc33c0101u
#define AHCI_SIG_PM 0x96690101u

#ifndef FORMICA_HOST
struct pci_dev;
/* Take over one HBA, register a blk_dev for each ATA disk found. */
void ahci_probe(const struct pci_dev *pd);
#endif

#endif
