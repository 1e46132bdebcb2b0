/*
 * virtqueue.h - a split virtqueue in guest RAM, legacy layout, read by the
 * device side.
 *
 * A virtqueue is how a virtio driver hands buffers to a device (virtio 1.x
 * spec, section 2.7, "Split Virtqueues"; 2.7.2 and 4.1.5.1.3.1 for the
 * legacy layout).  It lives in the guest's RAM in three parts:
 *
 *   descriptor table  size x { u64 addr; u32 len; u16 flags; u16 next; }
 *   available ring    u16 flags, u16 idx, u16 ring[size]   (driver -> device)
 *   used ring         u16 flags, u16 idx, { u32 id; u32 len; }[size]
 *                     (device -> driver), at the next 4096-byte boundary
 *
 * The legacy interface gives the device one page frame number (PFN); the
 * three parts follow each other from there.  The driver chains descriptors
 * into a request (NEXT flag and index), puts the chain's head in the
 * available ring and bumps avail.idx; the device takes chains in order,
 * uses them, and puts {head, bytes written} in the used ring.
 *
 * All of this is guest-written memory, so nothing here trusts it: each
 * descriptor is copied out once and then checked (buffer inside guest RAM,
 * length not zero, NEXT inside the table, chain no longer than the table,
 * no INDIRECT since we never offer it, device-writable after readable, not
 * held by the device already).  A fault is a negative enum vq_err with a
 * name for the log line; after one the queue cannot be trusted and the
 * device should ask for a reset.
 */
#ifndef FORMICA_DEV_VIRTQUEUE_H
#define FORMICA_DEV_VIRTQUEUE_H

#include "mm/gmem.h"
#include "types.h"

#define VQ_ALIGN 4096        /* legacy VIRTIO_PCI_VRING_ALIGN */
#define VQ_PFN_SHIFT 12      /* legacy VIRTIO_PCI_QUEUE_ADDR_SHIFT */
#define VQ_MAX_SIZE 256      /* the largest queue a Formica device offers */

/* Descriptor flags (2.7.5). */
#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2    /* device writes this buffer (else reads it) */
#define VQ_DESC_F_INDIRECT 4 /* only with VIRTIO_RING_F_INDIRECT_DESC: never offered */

#define VQ_DESC_SIZE 16
#define VQ_USED_ELEM_SIZE 8

enum vq_err {
	VQ_OK = 0,
	VQ_EMPTY = 1,             /* nothing new in the available ring */
	VQ_ERR_NOT_READY = -1,    /* no ring address set */
	VQ_ERR_RING_RAM = -2,     /* the rings are not inside guest RAM */
	VQ_ERR_AVAIL_IDX = -3,    /* avail.idx ran more than size ahead of the device */
	VQ_ERR_HEAD_RANGE = -4,   /* available ring names a descriptor >= size */
	VQ_ERR_NEXT_RANGE = -5,   /* descriptor's next >= size */
	VQ_ERR_LOOP = -6,         /* chain longer than the table: it loops */
	VQ_ERR_INDIRECT = -7,     /* INDIRECT flag, feature not offered */
	VQ_ERR_BUF_RAM = -8,      /* buffer not inside guest RAM */
	VQ_ERR_ZERO_LEN = -9,     /* buffer of length 0 */
	VQ_ERR_ORDER = -10,       /* device-readable buffer after a device-writable one */
	VQ_ERR_USED_ID = -11,     /* device bug: used entry for a head >= size */
	VQ_ERR_IN_USE = -12,      /* chain reuses a descriptor the device still holds */
};

/* "empty", "ring-outside-ram", ...: for log lines. */
const char *vq_err_name(int err);

/* One buffer of a chain, as copied and checked. */
struct vq_buf {
	u64 gpa;
	u32 len;
	bool write; /* device-writable (VQ_DESC_F_WRITE) */
	u16 desc;   /* its entry in the descriptor table */
};

/* A chain popped from the available ring.  buf[] has room for the whole
 * queue, since a valid chain can be that long. */
struct vq_chain {
	u16 head;
	u16 n;
	u16 nread, nwrite; /* device-readable buffers come first, then writable */
	struct vq_buf buf[VQ_MAX_SIZE];
};

struct virtqueue {
	u16 size;          /* entries; a power of two set by the device */
	u32 pfn;           /* legacy queue address register; 0 = not in use */
	u64 desc, avail, used; /* guest-physical addresses of the three parts */
	u16 last_avail;    /* next available-ring entry the device takes */
	u16 used_idx;      /* the device's copy of used.idx */
	/* Per descriptor: 1 + the head of the popped chain that holds it, 0 if
	 * free.  A driver offers a descriptor again only after the device put
	 * its chain in the used ring; holding it to that bounds what a guest
	 * can have outstanding to `size` descriptors: size / 2 requests of
	 * two parts or more (what hv/dev/vblkq.h counts on). */
	u16 held[VQ_MAX_SIZE];
};

/* Bytes the legacy layout takes for a queue of `size` entries (2.7.2 legacy). */
u64 vq_legacy_bytes(u16 size);

/* A queue of `size` entries (power of two, <= VQ_MAX_SIZE), not in use. */
void vq_init(struct virtqueue *q, u16 size);

/* Forget the ring (device reset): pfn 0, indexes back to 0. */
void vq_reset(struct virtqueue *q);

/*
 * The driver wrote the queue address register.  pfn 0 takes the queue out
 * of use.  The whole legacy layout must lie inside guest RAM: the address
 * is checked once here and every ring access rechecks through gpa_ptr().
 * Returns VQ_OK or VQ_ERR_RING_RAM; on error the queue is left out of use.
 */
int vq_set_pfn(struct virtqueue *q, const struct gmem *m, u32 pfn);

static inline bool vq_ready(const struct virtqueue *q)
{
	return q->pfn != 0;
}

/*
 * Take the next chain from the available ring into *c.  Returns VQ_OK,
 * VQ_EMPTY, or a negative enum vq_err (the chain is consumed either way
 * once its head was read, so a fault is not seen twice).
 */
int vq_pop(struct virtqueue *q, const struct gmem *m, struct vq_chain *c);

/* Put {head, len} in the used ring and publish it (used.idx += 1); the
 * chain's descriptors are free again. */
int vq_push_used(struct virtqueue *q, const struct gmem *m, u16 head, u32 len);

#endif
