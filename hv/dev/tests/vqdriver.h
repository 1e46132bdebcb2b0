/*
 * vqdriver.h - the driver's side of a legacy virtqueue, for the tests: a
 * fake guest RAM (malloc) and the few steps a virtio driver takes to lay
 * out a ring, write descriptors, make a chain available and read the used
 * ring back.  Written from the spec's layout, independently of
 * virtqueue.c, so the two can disagree and a test catch it.
 */
#ifndef FORMICA_DEV_TESTS_VQDRIVER_H
#define FORMICA_DEV_TESTS_VQDRIVER_H

#include <stdlib.h>

#include "dev/tests/devtest.h"
#include "dev/virtqueue.h"
#include "mm/gmem.h"

#define RAM_SIZE (1u << 20)
#define RING_PFN 0x10 /* ring at guest-physical 0x10000 */

struct fake_drv {
	struct gmem mem;
	u16 size;
	u64 desc, avail, used;
	u16 avail_idx;
};

static inline void drv_init(struct fake_drv *d, u16 size)
{
	d->mem.size = RAM_SIZE;
	d->mem.base = calloc(1, RAM_SIZE);
	assert_non_null(d->mem.base);
	d->size = size;
	d->desc = (u64)RING_PFN << 12;
	d->avail = d->desc + 16ull * size;
	/* Legacy layout: used ring at the next 4096-byte boundary after avail. */
	d->used = (d->avail + 6 + 2ull * size + 4095) & ~4095ull;
	d->avail_idx = 0;
}

static inline void drv_free(struct fake_drv *d)
{
	free(d->mem.base);
	d->mem.base = NULL;
}

static inline void put_le(struct fake_drv *d, u64 gpa, u64 v, unsigned len)
{
	assert_true(gpa + len <= d->mem.size);
	for (unsigned i = 0; i < len; i++)
		d->mem.base[gpa + i] = (u8)(v >> (8 * i));
}

static inline u64 get_le(const struct fake_drv *d, u64 gpa, unsigned len)
{
	assert_true(gpa + len <= d->mem.size);
	u64 v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (u64)d->mem.base[gpa + i] << (8 * i);
	return v;
}

static inline void drv_desc(struct fake_drv *d, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u64 at = d->desc + 16ull * i;
	put_le(d, at, addr, 8);
	put_le(d, at + 8, len, 4);
	put_le(d, at + 12, flags, 2);
	put_le(d, at + 14, next, 2);
}

/* Make head available and publish it. */
static inline void drv_kick(struct fake_drv *d, u16 head)
{
	put_le(d, d->avail + 4 + 2ull * (d->avail_idx % d->size), head, 2);
	d->avail_idx++;
	put_le(d, d->avail + 2, d->avail_idx, 2);
}

/*
 * A virtio-blk request as Linux's driver lays it out, at descriptors d0..:
 * a 16-byte header at hdr (type, sector), n data buffers of len bytes at
 * data + 0x1000 * i (device-writable if dw), a status byte at st.  Made
 * available.  Returns the head.
 */
static inline u16 drv_blk_request(struct fake_drv *d, u16 d0, u64 hdr, u32 type, u64 sector,
				  unsigned n, u64 data, u32 len, bool dw, u64 st)
{
	put_le(d, hdr, type, 4);
	put_le(d, hdr + 4, 0, 4);
	put_le(d, hdr + 8, sector, 8);
	drv_desc(d, d0, hdr, 16, VQ_DESC_F_NEXT, d0 + 1);
	for (unsigned i = 0; i < n; i++)
		drv_desc(d, d0 + 1 + i, data + 0x1000ull * i, len,
			 VQ_DESC_F_NEXT | (dw ? VQ_DESC_F_WRITE : 0), d0 + 2 + i);
	drv_desc(d, d0 + 1 + n, st, 1, VQ_DESC_F_WRITE, 0);
	drv_kick(d, d0);
	return d0;
}

static inline u16 drv_used_idx(const struct fake_drv *d)
{
	return (u16)get_le(d, d->used + 2, 2);
}

/* Used ring entry n (0-based, counting from the first ever). */
static inline void drv_used(const struct fake_drv *d, u16 n, u32 *id, u32 *len)
{
	u64 at = d->used + 4 + 8ull * (n % d->size);
	*id = (u32)get_le(d, at, 4);
	*len = (u32)get_le(d, at + 4, 4);
}

#endif
