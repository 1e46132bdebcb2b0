/*
 * virtqueue.c - the device side of a legacy split virtqueue.
 *
 * Every read of guest memory goes through gpa_ptr() and copies the value
 * out before it is checked, so the guest cannot change a descriptor between
 * the check and the use (it cannot run while the hv handles its exit, but a
 * copy makes that an argument nobody has to make).  Only the available
 * ring's idx and ring[] and the descriptor table are read; only the used
 * ring is written.  used.flags stays 0: the device never asks the driver
 * not to notify it, so every request causes an exit when it is submitted.
 */
#include "dev/virtqueue.h"
#include "string.h"

static const char *const vq_err_names[] = {
	[0] = "ok",
	[1] = "empty",
	[-VQ_ERR_NOT_READY + 1] = "queue-not-ready",
	[-VQ_ERR_RING_RAM + 1] = "ring-outside-ram",
	[-VQ_ERR_AVAIL_IDX + 1] = "avail-idx-too-far",
	[-VQ_ERR_HEAD_RANGE + 1] = "head-out-of-range",
	[-VQ_ERR_NEXT_RANGE + 1] = "next-out-of-range",
	[-VQ_ERR_LOOP + 1] = "chain-loops",
	[-VQ_ERR_INDIRECT + 1] = "indirect-not-offered",
	[-VQ_ERR_BUF_RAM + 1] = "buffer-outside-ram",
	[-VQ_ERR_ZERO_LEN + 1] = "zero-length-buffer",
	[-VQ_ERR_ORDER + 1] = "readable-after-writable",
	[-VQ_ERR_USED_ID + 1] = "used-id-out-of-range",
	[-VQ_ERR_IN_USE + 1] = "descriptor-in-use",
};

/* Outcomes are 1, 0 and -1..-12: index 0 = ok, 1 = empty, 1 - err for the rest. */
const char *vq_err_name(int err)
{
	unsigned i = err >= 0 ? (unsigned)err : (unsigned)(1 - err);
	if (i < ARRAY_SIZE(vq_err_names) && vq_err_names[i])
		return vq_err_names[i];
	return "unknown";
}

u64 vq_legacy_bytes(u16 size)
{
	u64 n = size;
	return ALIGN_UP(VQ_DESC_SIZE * n + 2 * (3 + n), VQ_ALIGN) +
	       ALIGN_UP(2 * 3 + VQ_USED_ELEM_SIZE * n, VQ_ALIGN);
}

void vq_init(struct virtqueue *q, u16 size)
{
	memset(q, 0, sizeof(*q));
	q->size = size;
}

void vq_reset(struct virtqueue *q)
{
	vq_init(q, q->size);
}

int vq_set_pfn(struct virtqueue *q, const struct gmem *m, u32 pfn)
{
	vq_reset(q);
	if (pfn == 0)
		return VQ_OK;
	u64 base = (u64)pfn << VQ_PFN_SHIFT;
	if (!gpa_ptr(m, base, vq_legacy_bytes(q->size)))
		return VQ_ERR_RING_RAM;
	q->pfn = pfn;
	q->desc = base;
	q->avail = base + VQ_DESC_SIZE * (u64)q->size;
	q->used = ALIGN_UP(q->avail + 2 * (3 + (u64)q->size), VQ_ALIGN);
	return VQ_OK;
}

/* Little-endian loads and stores through gpa_ptr (x86 guests, x86 host). */
static bool rd(const struct gmem *m, u64 gpa, void *out, unsigned len)
{
	const void *p = gpa_ptr(m, gpa, len);
	if (!p)
		return false;
	memcpy(out, p, len);
	return true;
}

static bool wr(const struct gmem *m, u64 gpa, const void *in, unsigned len)
{
	void *p = gpa_ptr(m, gpa, len);
	if (!p)
		return false;
	memcpy(p, in, len);
	return true;
}

/* Copy descriptor i out of the table and check it on its own. */
static int read_desc(const struct virtqueue *q, const struct gmem *m, u16 i, struct vq_buf *b,
		     u16 *flags, u16 *next)
{
	u8 raw[VQ_DESC_SIZE];
	if (!rd(m, q->desc + (u64)i * VQ_DESC_SIZE, raw, sizeof(raw)))
		return VQ_ERR_RING_RAM;
	memcpy(&b->gpa, raw + 0, 8);
	memcpy(&b->len, raw + 8, 4);
	memcpy(flags, raw + 12, 2);
	memcpy(next, raw + 14, 2);
	b->desc = i;
	b->write = (*flags & VQ_DESC_F_WRITE) != 0;
	if (*flags & VQ_DESC_F_INDIRECT)
		return VQ_ERR_INDIRECT;
	if (b->len == 0)
		return VQ_ERR_ZERO_LEN;
	if (!gpa_ptr(m, b->gpa, b->len))
		return VQ_ERR_BUF_RAM;
	if ((*flags & VQ_DESC_F_NEXT) && *next >= q->size)
		return VQ_ERR_NEXT_RANGE;
	if (q->held[i])
		return VQ_ERR_IN_USE;
	return VQ_OK;
}

int vq_pop(struct virtqueue *q, const struct gmem *m, struct vq_chain *c)
{
	if (!vq_ready(q))
		return VQ_ERR_NOT_READY;
	u16 avail_idx;
	if (!rd(m, q->avail + 2, &avail_idx, 2))
		return VQ_ERR_RING_RAM;
	u16 pending = (u16)(avail_idx - q->last_avail);
	if (pending == 0)
		return VQ_EMPTY;
	if (pending > q->size)
		return VQ_ERR_AVAIL_IDX;

	u16 head;
	if (!rd(m, q->avail + 4 + 2 * (u64)(q->last_avail % q->size), &head, 2))
		return VQ_ERR_RING_RAM;
	q->last_avail++;
	if (head >= q->size)
		return VQ_ERR_HEAD_RANGE;

	c->head = head;
	c->n = c->nread = c->nwrite = 0;
	u16 i = head, flags, next;
	do {
		/* A chain of more than size descriptors must visit one twice. */
		if (c->n == q->size)
			return VQ_ERR_LOOP;
		struct vq_buf *b = &c->buf[c->n];
		int rc = read_desc(q, m, i, b, &flags, &next);
		if (rc)
			return rc;
		if (!b->write && c->nwrite)
			return VQ_ERR_ORDER;
		if (b->write)
			c->nwrite++;
		else
			c->nread++;
		c->n++;
		i = next;
	} while (flags & VQ_DESC_F_NEXT);
	/* The whole chain is good: the device holds it until vq_push_used. */
	for (unsigned k = 0; k < c->n; k++)
		q->held[c->buf[k].desc] = (u16)(head + 1);
	return VQ_OK;
}

int vq_push_used(struct virtqueue *q, const struct gmem *m, u16 head, u32 len)
{
	if (!vq_ready(q))
		return VQ_ERR_NOT_READY;
	if (head >= q->size)
		return VQ_ERR_USED_ID;
	u32 elem[2] = { head, len };
	u64 at = q->used + 4 + VQ_USED_ELEM_SIZE * (u64)(q->used_idx % q->size);
	if (!wr(m, at, elem, sizeof(elem)))
		return VQ_ERR_RING_RAM;
	/* The entry must be visible before the index that publishes it.  x86
	 * keeps stores in order; the compiler must too. */
	__asm__ volatile("" ::: "memory");
	u16 idx = (u16)(q->used_idx + 1);
	if (!wr(m, q->used + 2, &idx, 2))
		return VQ_ERR_RING_RAM;
	q->used_idx = idx;
	for (u16 i = 0; i < q->size; i++)
		if (q->held[i] == head + 1)
			q->held[i] = 0;
	return VQ_OK;
}
