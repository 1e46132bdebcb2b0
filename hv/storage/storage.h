/*
 * storage.h - the hypervisor's physical disks, seen from hv/kernel/main.c and
 * sched/.
 *
 * storage_init() enumerates PCI (hv/pci), brings up every AHCI and IDE
 * controller it finds (ahci.c, ide.c), reads each disk's partition table,
 * picks the guest disk and validates every guest's `disk =` extents
 * against it (extents.h has the rules).  It logs everything and never
 * stops the hv: a broken controller or a bad extent costs that disk or
 * that guest's disk, nothing else.
 *
 * storage_selftest() runs when formica.cfg says `selftest = storage`: it
 * writes a pattern over every valid extent, reads it back and verifies it,
 * and ends with one line, `storage selftest: PASS ...` or `... FAIL ...`.
 * It destroys the extents' contents: that is what they are for.
 */
#ifndef FORMICA_STORAGE_H
#define FORMICA_STORAGE_H

#include "types.h"
#include "handoff.h"
#include "storage/block.h"

void storage_init(const struct handoff *h);

/* 0: passed or not requested; negative: failed. */
int storage_selftest(const struct handoff *h);

/* Guest g's extent i (indices as in formica.cfg), or NULL if the guest has
 * no such extent or its extents were refused.  For sched/. */
const struct blk_extent *storage_guest_extent(u32 guest, u32 idx);

/* How many extents formica.cfg gave (valid guests only), and how many of
 * them were refused by the checks in extents.h. */
u32 storage_extents_configured(void);
u32 storage_extents_refused(void);

/* The disk guests' extents live on, or NULL. */
struct blk_dev *storage_guest_disk(void);

#endif
