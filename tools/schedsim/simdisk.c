/*
 * simdisk.c - the disk model: seek, rotation, transfer, and a read-ahead.
 *
 * Parameters (disk_default_params), all for a 7200 rpm SATA drive:
 *
 *  seek      Ruemmler and Wilkes, "An introduction to disk drive modeling",
 *            IEEE Computer 27(3), 1994: short seeks grow with the square root
 *            of the distance (the arm accelerates then decelerates), long ones
 *            linearly (it coasts).  Their HP 97560 fit is 3.24 + 0.400 sqrt(d)
 *            ms up to 383 cylinders, 8.00 + 0.008 d beyond.  Refitted in the
 *            same form to 7200 rpm SATA datasheet figures (about 1.0 ms track
 *            to track, 8.5 ms average, 18 ms full stroke, 100,000 cylinders):
 *            0.958 + 0.0420 sqrt(d) ms for d <= 20,000, 4.125 + 1.387e-4 d
 *            beyond.  The two pieces meet at the knee (6.90 ms).
 *  rotation  7200 rpm: 8.33 ms a turn, 4.17 ms average latency.  After a
 *            seek, the latency is drawn uniformly from one turn by a
 *            fixed-seed generator: deterministic, and spread like a real one.
 *            (Computing it from the platter's angle instead, in a model with
 *            no track skew, command overhead or spindle jitter, phase-locks
 *            two alternating streams: every request then waited the same
 *            6.7 ms, which flattered the schedulers that avoid seeks.)  A
 *            request that continues the last one on the same track after a
 *            gap waits exactly for its sector to come round again.
 *  transfer  about 140 MB/s at the outer edge (datasheets of the class), and
 *            less inward.  Assumption: zoned recording makes it fall linearly
 *            with the cylinder to half that at the inner edge (the inner
 *            tracks are about half as long).  Sectors per track follow from
 *            rate x revolution time; 4 surfaces then give about 350 GB.
 *  interface SATA 3 Gb/s: 300 MB/s of data after 8b/10b coding.
 *  read-ahead Drives keep reading after a read, into a cache segment.
 *            Assumption: one 1 MiB segment, kept only while the next request
 *            continues the last one.  A request that starts where the last
 *            read ended is served from it: no seek, no rotation, the media
 *            read having gone on while the host thought.  Real drives keep
 *            several segments, which would serve a few interleaved streams
 *            without any scheduler's help (one reason Boutcher and Chandra,
 *            HotStorage 2009, saw little gain from scheduling in the VMM);
 *            see sched/README.md.
 *
 * Not modelled: head and track switch times, track skew, command overhead,
 * the write cache (writes complete when on the platter), bad-sector remaps.
 */
#include <math.h>
#include <stdlib.h>

#include "simdisk.h"
#include "sched/splitmix.h"

void disk_default_params(struct disk_params *p)
{
	p->rpm = 7200;
	p->cylinders = 100000;
	p->surfaces = 4;
	p->outer_mbps = 140;
	p->inner_mbps = 70;
	p->seek_knee = 20000;
	p->seek_a = 0.958;
	p->seek_b = 0.0420;
	p->seek_c = 4.125;
	p->seek_e = 1.387e-4;
	p->iface_mbps = 300;
	p->cache_sectors = 2048;
}

static u32 sectors_per_track(const struct disk *d, u32 cyl)
{
	const struct disk_params *p = &d->p;
	double f = p->cylinders > 1 ? (double)cyl / (p->cylinders - 1) : 0;
	double rate = p->outer_mbps - (p->outer_mbps - p->inner_mbps) * f;
	return (u32)(rate * 1e6 * d->rot_ns / 1e9 / 512);
}

int disk_init(struct disk *d, const struct disk_params *p)
{
	*d = (struct disk){ .p = *p, .rng = 2001 };
	d->rot_ns = 60e9 / p->rpm;
	d->cyl_start = malloc((p->cylinders + 1ull) * sizeof(u64));
	if (!d->cyl_start)
		return -1;
	u64 lba = 0;
	for (u32 c = 0; c < p->cylinders; c++) {
		d->cyl_start[c] = lba;
		lba += (u64)p->surfaces * sectors_per_track(d, c);
	}
	d->cyl_start[p->cylinders] = lba;
	d->sectors = lba;
	return 0;
}

void disk_free(struct disk *d)
{
	free(d->cyl_start);
	d->cyl_start = NULL;
}

double disk_seek_ms(const struct disk_params *p, u32 dist)
{
	if (dist == 0)
		return 0;
	if (dist <= p->seek_knee)
		return p->seek_a + p->seek_b * sqrt((double)dist);
	return p->seek_c + p->seek_e * dist;
}

u32 disk_cylinder(const struct disk *d, u64 lba)
{
	u32 lo = 0, hi = d->p.cylinders;	/* cyl_start[lo] <= lba < cyl_start[hi] */
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;
		if (d->cyl_start[mid] <= lba)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* A fraction of a turn, uniform in [0, 1): splitmix64 from a fixed seed. */
static double rotation(struct disk *d)
{
	return (splitmix64(&d->rng) >> 11) * (1.0 / 9007199254740992.0);
}

u64 disk_serve(struct disk *d, u64 lba, u32 nsect, bool read, u64 now)
{
	u32 cyl = disk_cylinder(d, lba);
	u32 spt = sectors_per_track(d, cyl);
	double sector_ns = d->rot_ns / spt;
	double media_ns = nsect * sector_ns;
	double iface_ns = nsect * 512.0 / (d->p.iface_mbps * 1e6) * 1e9;
	bool continues = d->used && lba == d->head_lba;
	double done;

	if (continues && read && d->last_read && nsect <= d->p.cache_sectors) {
		/* Read-ahead: the media read went on from the last completion. */
		done = fmax(now + iface_ns, d->last_done + media_ns);
	} else if (continues) {
		/* Same track: the sector passed the head when the last request
		 * ended, and comes round again one turn later. */
		double wait = d->rot_ns - fmod((double)(now - d->last_done), d->rot_ns);
		if (now == d->last_done)
			wait = 0;
		done = now + wait + media_ns;
	} else {
		u32 dist = cyl > d->head_cyl ? cyl - d->head_cyl : d->head_cyl - cyl;
		double seek = disk_seek_ms(&d->p, d->used ? dist : 0) * 1e6;
		done = now + seek + rotation(d) * d->rot_ns + media_ns;
		if (d->used && dist)
			d->seeks++;
	}

	if (d->used)
		d->seek_sectors += lba > d->head_lba ? lba - d->head_lba : d->head_lba - lba;
	d->used = true;
	d->head_lba = lba + nsect;
	d->head_cyl = disk_cylinder(d, lba + nsect - 1);
	d->last_read = read;
	u64 end = (u64)llround(done);
	d->last_done = end > now ? end : now + 1;
	return d->last_done;
}
