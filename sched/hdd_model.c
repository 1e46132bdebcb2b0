/*
 * hdd_model.c - seek, rotation and transfer time in integer picoseconds.
 *
 * The same model as tools/schedsim/simdisk.c, term for term; read that file
 * for the physics and the sources of the numbers.  What changes is the
 * arithmetic:
 *
 *  - One revolution is 60e12 / rpm ps, which is not an integer (7200 rpm:
 *    8,333,333,333.3 ps).  So every time that is a fraction of a turn is
 *    computed as (something x 60e12) / rpm in one division, never from a
 *    rounded revolution time.
 *  - The square root of the short-seek law is an integer square root of
 *    b^2 x d (floor, < 1 ps from the real one).
 *  - Products that can pass 2^64 (sectors x 60e12, fractions of 2^53) use
 *    unsigned __int128; the compiler does those on general registers
 *    (libgcc's division routines for the divides).
 *  - The sum is rounded to ns once, half up, as llround does in the float
 *    model.  Each term is within 1 ps of the float value, so the two
 *    models' completions differ only when the float sum lies within a few
 *    ps of a half nanosecond: by at most 1 ns.
 */
#include "hdd_model.h"
#include "splitmix.h"

typedef unsigned __int128 u128;

#define PS_PER_NS 1000ull
#define TURN_UNITS 60000000000000ull /* one revolution in ps x rpm: 60 s */

void hdd_default_params(struct hdd_params *p)
{
	p->rpm = 7200;
	p->cylinders = 100000;
	p->surfaces = 4;
	p->outer_mbps = 140;
	p->inner_mbps = 70;
	p->seek_knee = 20000;
	p->seek_a_ps = 958000000;   /* 0.958 ms */
	p->seek_b_ps = 42000000;    /* 0.0420 ms */
	p->seek_c_ps = 4125000000;  /* 4.125 ms */
	p->seek_e_ps = 138700;      /* 1.387e-4 ms */
	p->iface_mbps = 300;
	p->cache_sectors = 2048;
}

/* Media rate falls linearly from outer to inner; a track holds what
 * passes the head in one turn: rate x 60 / rpm bytes. */
u32 hdd_sectors_per_track(const struct hdd *d, u32 cyl)
{
	const struct hdd_params *p = &d->p;
	u64 span = p->cylinders > 1 ? p->cylinders - 1 : 1;
	u64 fall = p->cylinders > 1 ? (u64)(p->outer_mbps - p->inner_mbps) * cyl : 0;
	u64 num = ((u64)p->outer_mbps * span - fall) * 60000000ull; /* x 1e6 B/s x 60 s */
	return (u32)(num / (span * p->rpm * 512));
}

int hdd_init(struct hdd *d, const struct hdd_params *p)
{
	if (!p->rpm || !p->cylinders || p->cylinders > HDD_MAX_CYLINDERS || !p->surfaces ||
	    p->inner_mbps > p->outer_mbps || !p->iface_mbps)
		return -1;
	*d = (struct hdd){ .p = *p, .rng = 2001 };
	if (hdd_sectors_per_track(d, p->cylinders - 1) == 0)
		return -1;
	u64 lba = 0;
	for (u32 c = 0; c < p->cylinders; c++) {
		if (c % HDD_ZONE == 0)
			d->zone_start[c / HDD_ZONE] = lba;
		lba += (u64)p->surfaces * hdd_sectors_per_track(d, c);
	}
	if (p->cylinders % HDD_ZONE == 0)
		d->zone_start[p->cylinders / HDD_ZONE] = lba;
	d->sectors = lba;
	return 0;
}

u64 hdd_cylinder_start(const struct hdd *d, u32 cyl)
{
	if (cyl >= d->p.cylinders)
		return d->sectors;
	u64 lba = d->zone_start[cyl / HDD_ZONE];
	for (u32 c = cyl - cyl % HDD_ZONE; c < cyl; c++)
		lba += (u64)d->p.surfaces * hdd_sectors_per_track(d, c);
	return lba;
}

/* The cylinder holding lba; past the end, the last one (as simdisk.c). */
u32 hdd_cylinder(const struct hdd *d, u64 lba)
{
	u32 nzones = (d->p.cylinders + HDD_ZONE - 1) / HDD_ZONE;
	u32 lo = 0, hi = nzones; /* zone_start[lo] <= lba < zone_start[hi] */
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;
		if (d->zone_start[mid] <= lba)
			lo = mid;
		else
			hi = mid;
	}
	u32 c = lo * HDD_ZONE;
	u64 next = d->zone_start[lo] + (u64)d->p.surfaces * hdd_sectors_per_track(d, c);
	while (c + 1 < d->p.cylinders && next <= lba) {
		c++;
		next += (u64)d->p.surfaces * hdd_sectors_per_track(d, c);
	}
	return c;
}

static u64 isqrt128(u128 x)
{
	u64 r = 0;
	for (int b = 63; b >= 0; b--) {
		u64 t = r | (1ull << b);
		if ((u128)t * t <= x)
			r = t;
	}
	return r;
}

u64 hdd_seek_ps(const struct hdd_params *p, u32 dist)
{
	if (dist == 0)
		return 0;
	if (dist <= p->seek_knee)
		return p->seek_a_ps + isqrt128((u128)p->seek_b_ps * p->seek_b_ps * dist);
	return p->seek_c_ps + p->seek_e_ps * dist;
}

/* A uniform fraction of a turn after a seek, in ps: the float model's
 * splitmix64 draw (z >> 11) / 2^53, times 60e12 / rpm. */
static u64 rotation_ps(struct hdd *d)
{
	u64 z = splitmix64(&d->rng);
	return (u64)(((u128)(z >> 11) * TURN_UNITS) >> 53) / d->p.rpm;
}

u64 hdd_serve(struct hdd *d, u64 lba, u32 nsect, bool read, u64 now)
{
	const struct hdd_params *p = &d->p;
	u32 cyl = hdd_cylinder(d, lba);
	u32 spt = hdd_sectors_per_track(d, cyl);
	u64 media_ps = (u64)((u128)nsect * TURN_UNITS / ((u64)p->rpm * spt));
	u64 iface_ps = (u64)nsect * 512000000ull / p->iface_mbps; /* 512 B / (mbps x 1e6 B/s) */
	bool continues = d->used && lba == d->head_lba;
	u128 now_ps = (u128)now * PS_PER_NS, done;

	if (continues && read && d->last_read && nsect <= p->cache_sectors) {
		/* Read-ahead: the media read went on from the last completion. */
		u128 host = now_ps + iface_ps;
		u128 media = (u128)d->last_done * PS_PER_NS + media_ps;
		done = host > media ? host : media;
	} else if (continues) {
		/* Same track: wait for the sector to come round again. */
		u64 wait_ps = 0;
		if (now != d->last_done) {
			u128 gap = (u128)(now - d->last_done) * PS_PER_NS * p->rpm;
			wait_ps = (u64)((TURN_UNITS - (u64)(gap % TURN_UNITS)) / p->rpm);
		}
		done = now_ps + wait_ps + media_ps;
	} else {
		u32 dist = cyl > d->head_cyl ? cyl - d->head_cyl : d->head_cyl - cyl;
		done = now_ps + hdd_seek_ps(p, d->used ? dist : 0) + rotation_ps(d) + media_ps;
		if (d->used && dist)
			d->seeks++;
	}

	if (d->used)
		d->seek_sectors += lba > d->head_lba ? lba - d->head_lba : d->head_lba - lba;
	d->used = true;
	d->head_lba = lba + nsect;
	d->head_cyl = hdd_cylinder(d, lba + nsect - 1);
	d->last_read = read;
	u64 end = (u64)((done + PS_PER_NS / 2) / PS_PER_NS);
	d->last_done = end > now ? end : now + 1;
	return d->last_done;
}
