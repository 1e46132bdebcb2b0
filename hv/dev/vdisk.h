/*
 * vdisk.h - a guest's virtual disk laid over its extents of a real one.
 *
 * formica.cfg gives a guest one or more extents (`disk = LBA+SECTORS`,
 * checked at boot by hv/storage/extents.c).  The guest sees them end to
 * end as one disk, /dev/vda, of their total size.  A virtio-blk request
 * (sector, count, guest buffers; virtio_blk.h) therefore becomes one or more
 * block-layer requests (hv/storage/block.h), each of which must lie in one
 * extent, fill one physically contiguous buffer, and carry at most the
 * driver's max_sectors.  vdisk_next() cuts the request into such pieces, in
 * order; the glue submits each with blk_extent_submit(), which checks the
 * extent bounds once more.
 *
 * Guest RAM is one host-contiguous block (mm/gmem.h), so a guest buffer
 * that is contiguous in guest-physical space is contiguous in host memory:
 * each piece's buffer is gpa_to_hpa(piece.gpa).  Pure; no allocation.
 */
#ifndef FORMICA_DEV_VDISK_H
#define FORMICA_DEV_VDISK_H

#include "dev/virtio_blk.h"
#include "storage/block.h"
#include "types.h"

#define VDISK_MAX_EXTENTS 8

struct vdisk {
	const struct blk_extent *ext;
	u32 next;
	u64 sectors; /* the guest's disk: the extents' total */
};

/* One block-layer request's worth of a guest request. */
struct vdisk_piece {
	u32 extent;  /* index into the extents */
	u64 lba;     /* extent-relative (what blk_extent_submit() takes) */
	u32 count;   /* sectors, >= 1 */
	u64 gpa;     /* guest-physical buffer, count * 512 bytes, contiguous */
};

/* Where vdisk_next() is in a request: start with {0}. */
struct vdisk_cursor {
	u32 seg;      /* current data segment */
	u32 seg_off;  /* bytes of it already cut */
	u64 done;     /* sectors of the request already cut */
};

enum vdisk_err {
	VDISK_ERANGE = -1,  /* the request runs past the disk */
	VDISK_EINVAL = -2,  /* no extents, too many, an empty one, a disk without max_sectors,
			     * or a total past 2^64 */
};

/* 0 or a negative enum vdisk_err.  ext must outlive v. */
int vdisk_init(struct vdisk *v, const struct blk_extent *ext, u32 next);

/* Cut the next piece of req into *p: 1, 0 when the request is all cut,
 * or VDISK_ERANGE. */
int vdisk_next(const struct vdisk *v, const struct vblk_req *req, struct vdisk_cursor *c,
	       struct vdisk_piece *p);

#endif
