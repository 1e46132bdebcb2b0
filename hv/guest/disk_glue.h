/*
 * disk_glue.h - the guests' virtual disks in the run loop (disk_glue.c).
 *
 * A guest with `disk =` extents in formica.cfg gets a virtio-blk device
 * (hv/dev/virtio_blk.h) whose requests go through sched/ to the physical
 * disk (hv/dev/vblkq.h).  guest.c and io.c call these; everything they do
 * to a guest goes through its virtual PC (the device's interrupt line).
 */
#ifndef FORMICA_GUEST_DISK_H
#define FORMICA_GUEST_DISK_H

#include "handoff.h"
#include "types.h"

struct guest;

/* After every guest is created: give each guest with extents its device. */
void guest_disks_init(const struct handoff *h);

/* After g wrote to one of its ports: a notify means new requests. */
void guest_disk_io(struct guest *g, u16 port);

/* Move the disk along.  Returns true if a completion came for a guest
 * other than `running` (NULL: none runs): that guest is now due in the
 * vCPU scheduler, and the running one should give up the CPU. */
bool guest_disks_poll(struct guest *running, u64 now);

/* When guest_disks_poll() must run next, or VSCHED_NEVER. */
u64 guest_disks_next_event(u64 now);

/* One `io` line per process with disk activity, every IO_LINE_MS. */
void guest_disks_tick(u64 now);

/* Antfarm saw the address space (asid, gen) of g end. */
void guest_disk_proc_gone(struct guest *g, u64 asid, u32 gen);

/* g's disk requests and bytes so far (0 and 0 without a disk). */
void guest_disk_totals(const struct guest *g, u64 *reqs, u64 *bytes);

/* The end-of-run lines: per guest, and the disk queue's. */
void guest_disks_report(void);

#endif
