/*
 * vdisk.c - cutting a guest request at extent, segment and driver limits.
 *
 * Each piece ends at the first of: the end of the current guest buffer
 * (segment), the end of the extent the sector falls in, or the driver's
 * max_sectors.  Segments are multiples of 512 bytes (vblk_next() checked),
 * so a piece never splits a sector.
 */
#include "dev/vdisk.h"

int vdisk_init(struct vdisk *v, const struct blk_extent *ext, u32 next)
{
	v->ext = ext;
	v->next = next;
	v->sectors = 0;
	if (next == 0 || next > VDISK_MAX_EXTENTS)
		return VDISK_EINVAL;
	for (u32 i = 0; i < next; i++) {
		if (!ext[i].dev || ext[i].dev->max_sectors == 0 || ext[i].sectors == 0 ||
		    ext[i].sectors > ~0ull - v->sectors)
			return VDISK_EINVAL;
		v->sectors += ext[i].sectors;
	}
	return 0;
}

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

int vdisk_next(const struct vdisk *v, const struct vblk_req *req, struct vdisk_cursor *c,
	       struct vdisk_piece *p)
{
	if (c->done == req->nsect)
		return 0;
	if (req->sector > v->sectors || req->nsect > v->sectors - req->sector)
		return VDISK_ERANGE;
	while (c->seg < req->nseg && c->seg_off == req->seg[c->seg].len) {
		c->seg++;
		c->seg_off = 0;
	}
	if (c->seg == req->nseg)
		return VDISK_ERANGE; /* fewer buffer bytes than sectors: cannot happen */

	/* The extent holding this sector, and where in it. */
	u64 s = req->sector + c->done;
	u32 e = 0;
	while (s >= v->ext[e].sectors) {
		s -= v->ext[e].sectors;
		e++;
	}
	const struct vq_buf *seg = &req->seg[c->seg];
	u64 n = min_u64(req->nsect - c->done, (seg->len - c->seg_off) / VBLK_SECTOR);
	n = min_u64(n, v->ext[e].sectors - s);
	n = min_u64(n, v->ext[e].dev->max_sectors);

	p->extent = e;
	p->lba = s;
	p->count = (u32)n;
	p->gpa = seg->gpa + c->seg_off;
	c->seg_off += (u32)n * VBLK_SECTOR;
	c->done += n;
	return 1;
}
