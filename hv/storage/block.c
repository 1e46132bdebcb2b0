/*
 * block.c - the driver-independent part of the block layer (pure).
 *
 * Request validation shared by every driver, the extent translation that
 * keeps a guest inside its slice, and the list of registered disks.
 * blk_rw_sync() lives in storage.c because it reads the clock.
 */
#include "types.h"
#include "storage/block.h"

static struct blk_dev *devs[BLK_MAX_DEVS];
static u32 ndevs;

u32 blk_ndevs(void) { return ndevs; }
struct blk_dev *blk_get(u32 i) { return i < ndevs ? devs[i] : NULL; }

const char *blk_op_name(u8 op)
{
	switch (op) {
	case BLK_READ: return "read";
	case BLK_WRITE: return "write";
	case BLK_FLUSH: return "flush";
	default: return "?";
	}
}

int blk_register(struct blk_dev *d)
{
	if (ndevs == BLK_MAX_DEVS)
		return BLK_EBUSY;
	devs[ndevs++] = d;
	return 0;
}

int blk_check_req(const struct blk_dev *d, const struct blk_req *r, bool dma32)
{
	if (d->failed)
		return BLK_EFAILED;
	if (r->op == BLK_FLUSH)
		return r->count == 0 ? BLK_OK : BLK_EINVAL;
	if (r->op != BLK_READ && r->op != BLK_WRITE)
		return BLK_EINVAL;
	if (r->count == 0 || r->count > d->max_sectors)
		return BLK_EINVAL;
	if (r->lba >= d->sectors || r->count > d->sectors - r->lba)
		return BLK_EINVAL;
	if (r->buf & 1)
		return BLK_EINVAL;
	u64 bytes = (u64)r->count * BLK_SECTOR_SIZE;
	if (r->buf + bytes < r->buf)
		return BLK_EINVAL;
	if (dma32 && r->buf + bytes > (1ull << 32))
		return BLK_EINVAL;
	return BLK_OK;
}

int blk_extent_submit(const struct blk_extent *e, struct blk_req *r)
{
	if (!e->dev)
		return BLK_ERANGE;
	if (r->op == BLK_FLUSH || r->count == 0 || r->lba >= e->sectors || r->count > e->sectors - r->lba)
		return BLK_ERANGE;
	r->lba += e->lba;
	int rc = e->dev->ops->submit(e->dev, r);
	if (rc < 0)
		r->lba -= e->lba; /* leave the caller's request as it was */
	return rc;
}
