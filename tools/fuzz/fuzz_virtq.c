/*
 * fuzz_virtq.c - libFuzzer harness for the split virtqueue (hv/dev/virtqueue.c)
 * and the virtio-blk request decoder (hv/dev/virtio_blk.c).
 *
 * The rings, the descriptors and the request headers are guest RAM: the
 * guest writes whatever it likes there, and the device must only ever hand
 * the glue requests that lie inside RAM and inside the disk.  The input is
 * a 16-byte header (queue size for the bare-queue pass, ring page, rounds,
 * flags, avail.idx step, disk capacity) and then bytes copied into a 16 KiB
 * fake guest RAM (malloc()ed to exactly that size, so ASan sees any access
 * past it) from the ring's page on: descriptor table, avail ring, request
 * headers.  Pass 1 pops every chain from a bare queue of the chosen size and
 * checks each against the table; pass 2 drives the block device through its
 * register file as a guest would (probe, queue address, notify; each round
 * takes every request with vblk_next() and completes them) and checks what
 * vblk_next() hands out, which bytes of RAM it writes, and the device state
 * after a fault.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/virtio_blk.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define RAM 0x4000u
#define IO 0xc000
#define MAXREQ 1024

struct input {
	u8 qlog;   /* pass 1: queue size 1 << (qlog % 9) */
	u8 pfn;    /* ring page, % 4 (0: no ring, 3: does not fit for 128 entries) */
	u8 rounds; /* pass 2: notifies, 1 + rounds % 4 */
	u8 flags;
	u16 step;  /* the guest adds this to avail.idx before each later round */
	u16 pad;
	u64 capacity; /* disk sectors */
};
#define F_REVERSE 1   /* complete in reverse order */
#define F_IOERR 2     /* complete with IOERR */
#define F_RESET 4     /* reset and probe again between rounds */
#define F_KEEP 8      /* complete only after the last round */
#define F_REPFN 16    /* write the queue address again between rounds */

static u8 *ram, before[RAM], image[RAM];
static struct gmem mem;

static u64 rd_le(u64 gpa, unsigned len)
{
	CHECK(gpa + len <= RAM);
	u64 v = 0;
	memcpy(&v, ram + gpa, len);
	return v;
}

static bool inside(u64 gpa, u64 len)
{
	return gpa < RAM && len <= RAM - gpa;
}

/* [a, a + alen) and [b, b + blen) share a byte (both inside RAM). */
static bool overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Every byte that changed since `before` lies in one of the n ranges. */
static void check_writes(const u64 (*ok)[2], unsigned n)
{
	for (u32 i = 0; i < RAM; i += 64) {
		if (!memcmp(ram + i, before + i, 64))
			continue;
		for (u32 j = i; j < i + 64; j++) {
			if (ram[j] == before[j])
				continue;
			bool hit = false;
			for (unsigned k = 0; k < n; k++)
				hit |= j >= ok[k][0] && j - ok[k][0] < ok[k][1];
			CHECK(hit);
		}
	}
}

/* ------------------------------------------------- pass 1: a bare queue */

static void bare_queue(const struct input *in)
{
	static struct virtqueue q;
	static struct vq_chain c;
	u16 size = (u16)(1u << (in->qlog % 9));
	u32 pfn = in->pfn % 4;

	vq_init(&q, size);
	int rc = vq_set_pfn(&q, &mem, pfn);
	CHECK(rc == (pfn == 0 || inside((u64)pfn << 12, vq_legacy_bytes(size)) ? VQ_OK
									       : VQ_ERR_RING_RAM));
	for (unsigned pops = 0;; pops++) {
		memcpy(before, ram, RAM);
		rc = vq_pop(&q, &mem, &c);
		CHECK(!memcmp(ram, before, RAM)); /* popping only reads */
		if (rc == VQ_EMPTY || rc == VQ_ERR_NOT_READY)
			break;
		CHECK(pops < size); /* avail.idx is at most size ahead */
		if (rc != VQ_OK) {
			CHECK(rc < 0 && strcmp(vq_err_name(rc), "unknown"));
			break;
		}
		/* The chain is what the table says, walked here independently. */
		CHECK(c.head < size && c.n >= 1 && c.n <= size && c.nread + c.nwrite == c.n);
		u16 d = c.head;
		for (unsigned k = 0; k < c.n; k++) {
			u64 at = q.desc + 16u * d;
			u16 flags = (u16)rd_le(at + 12, 2);
			CHECK(c.buf[k].gpa == rd_le(at, 8) && c.buf[k].len == rd_le(at + 8, 4));
			CHECK(c.buf[k].len && inside(c.buf[k].gpa, c.buf[k].len));
			CHECK(c.buf[k].write == !!(flags & VQ_DESC_F_WRITE) && c.buf[k].write == (k >= c.nread));
			CHECK(!(flags & VQ_DESC_F_INDIRECT) && !!(flags & VQ_DESC_F_NEXT) == (k + 1 < c.n));
			d = (u16)rd_le(at + 14, 2);
			CHECK(k + 1 == c.n || d < size);
		}
		u16 idx = q.used_idx;
		CHECK(vq_push_used(&q, &mem, c.head, c.n) == VQ_OK);
		const u64 used[1][2] = { { q.used + 2, 2 + 8u * size } };
		check_writes(used, 1);
		u64 e = q.used + 4 + 8u * (idx % size);
		CHECK(rd_le(q.used + 2, 2) == (u16)(idx + 1) && rd_le(e, 4) == c.head && rd_le(e + 4, 4) == c.n);
	}
}

/* --------------------------------------------- pass 2: the block device */

static struct pci_cfg pci;
static struct vblk blk;
static struct vblk_req req[MAXREQ];
static unsigned nreq;
static int level;

static void set_line(void *ctx, unsigned irq, int l)
{
	level = l;
}

static void out(unsigned off, unsigned size, u32 v)
{
	CHECK(vblk_ops.out(&blk, IO + off, size, v, 0) == 0);
}

static u32 in(unsigned off, unsigned size)
{
	u32 v;
	CHECK(vblk_ops.in(&blk, IO + off, size, &v, 0) == 0);
	return v;
}

/* What Linux's legacy probe does; a ring that does not fit is a fault. */
static void probe(u32 pfn)
{
	out(VIRTIO_PCI_STATUS, 1, 0);
	CHECK(blk.status == 0 && blk.in_flight == 0 && !vq_ready(&blk.vq) && !level);
	out(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	out(VIRTIO_PCI_GUEST_FEATURES, 4, in(VIRTIO_PCI_HOST_FEATURES, 4));
	out(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	CHECK(in(VIRTIO_PCI_QUEUE_NUM, 2) == VBLK_QUEUE_SIZE);
	out(VIRTIO_PCI_QUEUE_PFN, 4, pfn);
	out(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_DRIVER_OK);
}

static u64 used_ring(void)
{
	return blk.vq.used;
}

/* A request handed out: inside RAM, whole sectors, inside the disk. */
static void check_request(const struct vblk_req *r, const struct vq_chain *c)
{
	CHECK(r->head == c->head && r->head < VBLK_QUEUE_SIZE && r->generation == blk.generation);
	CHECK(r->status_gpa == c->buf[c->n - 1].gpa && inside(r->status_gpa, 1));
	CHECK(r->nseg == c->n - 2 && r->nseg <= VBLK_SEG_MAX);
	u64 bytes = 0;
	for (unsigned i = 0; i < r->nseg; i++) {
		const struct vq_buf *s = &r->seg[i];
		CHECK(s->gpa == c->buf[i + 1].gpa && s->len == c->buf[i + 1].len);
		CHECK(s->len && s->len % VBLK_SECTOR == 0 && inside(s->gpa, s->len));
		CHECK(s->write == (r->type == VIRTIO_BLK_T_IN));
		bytes += s->len;
	}
	CHECK(bytes == (u64)r->nsect * VBLK_SECTOR);
	CHECK(r->sector <= blk.capacity && r->nsect <= blk.capacity - r->sector);
	if (r->type == VIRTIO_BLK_T_FLUSH)
		CHECK(r->nseg == 0 && r->nsect == 0 && r->sector == 0);
	else
		CHECK((r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) && r->nseg > 0);
}

/* The used ring got one more entry {head, len}. */
static void check_used(u16 idx_before, u16 head, u32 len)
{
	u64 u = used_ring();
	u64 e = u + 4 + 8u * (idx_before % VBLK_QUEUE_SIZE);
	CHECK(rd_le(u + 2, 2) == (u16)(idx_before + 1) && rd_le(e, 4) == head && rd_le(e + 4, 4) == len);
}

/* Take everything the guest made available, as the glue does. */
static void drain(void)
{
	for (unsigned calls = 0;; calls++) {
		/* At most the queue's worth of chains, plus one pending fault. */
		CHECK(calls <= VBLK_QUEUE_SIZE + 1);
		bool broken = blk.status & VIRTIO_STATUS_NEEDS_RESET;
		/* used.idx is the device's: it writes its own copy + 1, whatever RAM holds. */
		u16 last = blk.vq.last_avail, idx = blk.vq.used_idx;
		u32 inflight = blk.in_flight;
		memcpy(before, ram, RAM);
		struct vblk_req *r = &req[nreq < MAXREQ ? nreq : MAXREQ - 1];
		int rc = vblk_next(&blk, r);
		const struct vq_chain *c = &blk.chain;
		bool popped = blk.vq.last_avail != last;
		CHECK(level == (blk.isr != 0));
		if (rc == VBLK_NONE) {
			CHECK(!memcmp(ram, before, RAM) && !popped);
			break;
		}
		CHECK(strcmp(vblk_fault_name(&blk, rc), "unknown") || rc >= 0);
		/* Writes: the used ring and the device-writable buffers of the chain. */
		u64 ok[VQ_MAX_SIZE + 1][2] = { { vq_ready(&blk.vq) ? used_ring() + 2 : 0, 2 + 8u * VBLK_QUEUE_SIZE } };
		unsigned nok = 1;
		for (unsigned k = 0; popped && k < c->n && k < VQ_MAX_SIZE; k++)
			if (c->buf[k].write) {
				ok[nok][0] = c->buf[k].gpa;
				ok[nok++][1] = c->buf[k].len;
			}
		check_writes(ok, nok);
		CHECK(popped || rc == VBLK_F_QUEUE); /* a pending PFN fault pops nothing */
		CHECK(!broken || rc == VBLK_F_QUEUE); /* after NEEDS_RESET: nothing */
		if (rc == VBLK_F_QUEUE || rc == VBLK_F_STATUS) {
			CHECK(blk.status & VIRTIO_STATUS_NEEDS_RESET && blk.isr & VIRTIO_ISR_CONFIG);
			CHECK(blk.in_flight == inflight);
			continue;
		}
		CHECK(!(blk.status & VIRTIO_STATUS_NEEDS_RESET) && c->n >= 1 && c->n <= VBLK_QUEUE_SIZE);
		/* The used entry is written last: a status byte or ID the guest
		 * placed on the used ring is overwritten, which is its problem. */
		u64 sgpa = c->buf[c->n - 1].gpa;
		u8 st = ram[sgpa];
		bool on_used = overlap(sgpa, 1, used_ring() + 2, 2 + 8u * VBLK_QUEUE_SIZE);
		if (rc == VBLK_REQUEST) {
			check_request(r, c);
			CHECK(!memcmp(ram, before, RAM) && blk.in_flight == inflight + 1);
			CHECK(nreq < MAXREQ);
			nreq++;
		} else if (rc == VBLK_DONE) {
			CHECK((st == VIRTIO_BLK_S_OK || on_used) && c->n == 3 && c->buf[1].write);
			u64 id = c->buf[1].gpa;
			u32 n = c->buf[1].len < VIRTIO_BLK_ID_BYTES ? c->buf[1].len : VIRTIO_BLK_ID_BYTES;
			if (!overlap(id, n, sgpa, 1) && !overlap(id, n, used_ring() + 2, 2 + 8u * VBLK_QUEUE_SIZE))
				CHECK(!memcmp(ram + id, blk.serial, n));
			check_used(idx, c->head, n + 1);
		} else {
			CHECK(rc < 0 && rc >= VBLK_F_UNSUPP);
			CHECK(on_used || st == (rc == VBLK_F_UNSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR));
			check_used(idx, c->head, 1);
		}
		/* What vblkq relies on: chains take 2 descriptors or more. */
		CHECK(blk.in_flight <= VBLK_QUEUE_SIZE / 2);
	}
}

static void complete_all(const struct input *in)
{
	for (unsigned i = 0; i < nreq; i++) {
		const struct vblk_req *r = &req[in->flags & F_REVERSE ? nreq - 1 - i : i];
		u8 status = in->flags & F_IOERR ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		bool ready = vq_ready(&blk.vq), stale = r->generation != blk.generation;
		u16 idx = blk.vq.used_idx;
		memcpy(before, ram, RAM);
		int rc = vblk_complete(&blk, r, status);
		CHECK(level == (blk.isr != 0));
		if (stale) {
			CHECK(rc == 1 && !memcmp(ram, before, RAM));
			continue;
		}
		const u64 ok[2][2] = { { ready ? used_ring() + 2 : 0, 2 + 8u * VBLK_QUEUE_SIZE },
				       { r->status_gpa, 1 } };
		check_writes(ok, 2);
		if (rc == VBLK_F_QUEUE) {
			CHECK(!ready && blk.status & VIRTIO_STATUS_NEEDS_RESET);
			continue;
		}
		CHECK(rc == 0 && blk.isr & VIRTIO_ISR_QUEUE);
		CHECK(ram[r->status_gpa] == status ||
		      overlap(r->status_gpa, 1, used_ring() + 2, 2 + 8u * VBLK_QUEUE_SIZE));
		u32 len = r->type == VIRTIO_BLK_T_IN ? r->nsect * VBLK_SECTOR + 1 : 1;
		check_used(idx, r->head, len);
	}
	nreq = 0;
	CHECK(blk.in_flight == 0);
}

static void block_device(const struct input *in)
{
	u32 pfn = in->pfn % 4;
	struct irq_line line = { set_line, NULL, 11 };
	pci_cfg_init(&pci);
	level = 0;
	nreq = 0;
	CHECK(vblk_init(&blk, &mem, &pci, 3, IO, &line, in->capacity, "formica-fuzz") == 0);
	probe(pfn);
	for (unsigned round = 0; round <= in->rounds % 4u; round++) {
		if (round && (in->flags & F_RESET))
			probe(pfn);
		if (round && (in->flags & F_REPFN))
			out(VIRTIO_PCI_QUEUE_PFN, 4, pfn);
		if (round && vq_ready(&blk.vq)) {
			u64 idx = blk.vq.avail + 2;
			u16 v = (u16)(rd_le(idx, 2) + in->step);
			memcpy(ram + idx, &v, 2);
		}
		out(VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
		drain();
		if (!(in->flags & F_KEEP))
			complete_all(in);
	}
	complete_all(in);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in;
	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	if (!ram)
		ram = malloc(RAM); /* once, exactly RAM bytes */
	mem = (struct gmem){ ram, RAM };
	/* The rest of the input from the ring's page on (page 1 if none). */
	u32 at = (in.pfn % 4 ? in.pfn % 4 : 1) << 12;
	size_t n = size - sizeof(in) < RAM - at ? size - sizeof(in) : RAM - at;
	memset(image, 0, RAM);
	memcpy(image + at, data + sizeof(in), n);

	memcpy(ram, image, RAM);
	bare_queue(&in);
	memcpy(ram, image, RAM);
	block_device(&in);
	return 0;
}
