/*
 * hdd_model.h - a disk's service time, in integers, for the hv.
 *
 * Emulators (Bochs, QEMU) answer a disk request as fast as the host's page
 * cache, so an I/O scheduler that idles to save a seek gains nothing there:
 * there are no seeks.  With `disk_model = hdd7200` the hv holds each
 * completion until the time this model says a 7200 rpm disk would have
 * taken (seek + rotation + transfer, read-ahead for sequential reads), and
 * the schedulers are measured against the disk they were designed for.
 *
 * It is an integer port of the benchmark's model (tools/schedsim/simdisk.c,
 * floating point, host only; that file gives every parameter's source).
 * The hv has no FPU state to spare (-mgeneral-regs-only), so each
 * quantity is computed here exactly in picoseconds with 64- and 128-bit
 * integers and rounded to nanoseconds once, where the float model rounds
 * its sum (llround).  sched/tests/test_hdd_model.c feeds one trace to both
 * and checks the completion times agree to within 1 ns.  Pure: the caller
 * passes the time in and owns the struct (no allocation: the cylinder map
 * is one entry per HDD_ZONE cylinders, the rest is recomputed).
 */
#ifndef FORMICA_SCHED_HDD_MODEL_H
#define FORMICA_SCHED_HDD_MODEL_H

#include "types.h"

#define HDD_MAX_CYLINDERS 200000
#define HDD_ZONE 256 /* cylinders per entry of the cylinder map */

struct hdd_params {
	u32 rpm;
	u32 cylinders;
	u32 surfaces;
	u32 outer_mbps;     /* media rate at cylinder 0, 10^6 bytes/s */
	u32 inner_mbps;     /* media rate at the last cylinder */
	u32 seek_knee;      /* cylinders: square-root law below, linear above */
	u64 seek_a_ps;      /* t = a + b * sqrt(d) for d <= knee */
	u64 seek_b_ps;
	u64 seek_c_ps;      /* t = c + e * d beyond */
	u64 seek_e_ps;
	u32 iface_mbps;     /* host interface, 10^6 bytes/s */
	u32 cache_sectors;  /* read-ahead segment */
};

struct hdd {
	struct hdd_params p;
	u64 sectors;
	u64 zone_start[HDD_MAX_CYLINDERS / HDD_ZONE + 2]; /* first LBA of cylinder z*HDD_ZONE */

	bool used;
	u64 head_lba;       /* sector after the last request */
	u32 head_cyl;
	u64 last_done;      /* ns */
	bool last_read;
	u64 rng;            /* splitmix64 state: rotational position after a seek */

	u64 seek_sectors;   /* sum of |start - head_lba| over requests */
	u64 seeks;          /* requests that moved the arm */
};

/* The 7200 rpm SATA disk of tools/schedsim/simdisk.c (disk_default_params). */
void hdd_default_params(struct hdd_params *p);

/* 0, or -1 if the parameters are out of range (cylinders, zero rates). */
int hdd_init(struct hdd *d, const struct hdd_params *p);

u32 hdd_sectors_per_track(const struct hdd *d, u32 cyl);
u32 hdd_cylinder(const struct hdd *d, u64 lba);
u64 hdd_cylinder_start(const struct hdd *d, u32 cyl);
u64 hdd_seek_ps(const struct hdd_params *p, u32 cylinders);

/* The disk starts (lba, nsect) at time now (ns); returns when it completes
 * (ns, > now).  nsect >= 1. */
u64 hdd_serve(struct hdd *d, u64 lba, u32 nsect, bool read, u64 now);

#endif
