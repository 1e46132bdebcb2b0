/*
 * simdisk.h - a model of one 7200 rpm SATA disk, for the scheduler benchmark.
 *
 * Host-only (floating point).  Given the time a request reaches the disk, the
 * model says when it completes: seek (a function of the cylinder distance),
 * rotational latency (from the platter's angle at that moment), and media
 * transfer at the zone's rate.  See simdisk.c for every parameter and its source.
 */
#ifndef SCHEDSIM_DISK_H
#define SCHEDSIM_DISK_H

#include "types.h"

struct disk_params {
	double rpm;
	u32 cylinders;
	u32 surfaces;
	double outer_mbps;	/* media rate at cylinder 0, 10^6 bytes/s */
	double inner_mbps;	/* media rate at the last cylinder */
	u32 seek_knee;		/* cylinders: sqrt law below, linear above */
	double seek_a, seek_b;	/* ms: t = a + b * sqrt(d) for d <= knee */
	double seek_c, seek_e;	/* ms: t = c + e * d beyond */
	double iface_mbps;	/* host interface, 10^6 bytes/s */
	u32 cache_sectors;	/* read-ahead segment */
};

struct disk {
	struct disk_params p;
	double rot_ns;		/* one revolution */
	u64 *cyl_start;		/* first sector of each cylinder; [cylinders] = capacity */
	u64 sectors;

	/* Where the head is and what it last did. */
	bool used;
	u64 head_lba;		/* sector after the last request */
	u32 head_cyl;
	u64 last_done;
	bool last_read;
	u64 rng;		/* rotational positions after seeks */

	/* Totals. */
	u64 seek_sectors;	/* sum of |start - head_lba| over requests */
	u64 seeks;		/* requests that moved the arm */
};

void disk_default_params(struct disk_params *p);
int disk_init(struct disk *d, const struct disk_params *p);
void disk_free(struct disk *d);
double disk_seek_ms(const struct disk_params *p, u32 cylinders);
u32 disk_cylinder(const struct disk *d, u64 lba);
/* The disk starts (lba, nsect) at time now (ns); returns when it completes. */
u64 disk_serve(struct disk *d, u64 lba, u32 nsect, bool read, u64 now);

#endif
