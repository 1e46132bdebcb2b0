/*
 * test_vblkq.c - the whole virtual-disk path on the host: two guests, each
 * a fake virtio driver with its own RAM and extents of one fake disk,
 * through the scheduler and the block layer and back.  Data lands where the
 * extents say and nowhere else, a request that crosses from one extent to
 * the next is cut there, the disk model holds completions, requests are
 * keyed by the process loaded when they were submitted, a FLUSH completes
 * only once the disk has done it, and one guest's bad ring stops only that
 * guest's disk.
 */
#include <stdio.h>

#include "dev/tests/vqdriver.h"
#include "antfarm/tests/afguest.h"
#include "dev/vblkq.h"

#define DISK_SECTORS 4096
#define HDR 0x20000
#define DATA 0x30000
#define STAT 0x90000

/* ---------------------------------------------------------- a fake disk */

static u8 *disk_bytes;
static struct blk_req *inflight[4];
static unsigned ninflight, submits, busy_next, fail_next;
static unsigned flushes_done; /* flushes the disk finished */
static bool hold; /* the disk does not finish anything while set */

static int fake_submit(struct blk_dev *d, struct blk_req *r)
{
	int rc = blk_check_req(d, r, false);
	if (rc < 0)
		return rc;
	if (busy_next) {
		busy_next--;
		return BLK_EBUSY;
	}
	assert_true(ninflight < ARRAY_SIZE(inflight));
	inflight[ninflight++] = r;
	submits++;
	return 0;
}

/* Everything submitted finishes at the next poll. */
static int fake_poll(struct blk_dev *d)
{
	if (hold)
		return 0;
	for (unsigned i = 0; i < ninflight; i++) {
		struct blk_req *r = inflight[i];
		u8 *buf = (u8 *)(uintptr_t)r->buf, *at = disk_bytes + r->lba * 512;
		if (r->op == BLK_FLUSH)
			flushes_done++;
		else if (r->op == BLK_READ)
			memcpy(buf, at, r->count * 512ull);
		else
			memcpy(at, buf, r->count * 512ull);
		r->status = fail_next ? BLK_EIO : BLK_OK;
		fail_next = 0;
	}
	int n = (int)ninflight;
	ninflight = 0;
	return n;
}

static const struct blk_ops fake_ops = { fake_submit, fake_poll };
static struct blk_dev disk = { .ops = &fake_ops, .sectors = DISK_SECTORS, .max_sectors = 8 };

/* ------------------------------------------------------- two guests */

struct guest {
	struct fake_drv drv;
	struct pci_cfg pci;
	struct vblk blk;
	struct irq_rec irqs;
};

static struct guest ga, gb;
static const struct blk_extent ext_a[] = { { &disk, 100, 50 }, { &disk, 1000, 50 } };
static const struct blk_extent ext_b[] = { { &disk, 500, 100 } };
static struct vblkq q;
static struct hdd model;
static u32 fault_guest;
static char fault_what[64];

static void on_fault(void *ctx, u32 guest, const char *what)
{
	fault_guest = guest;
	snprintf(fault_what, sizeof(fault_what), "%s", what);
}

static void guest_up(struct guest *g, u64 capacity)
{
	drv_init(&g->drv, VBLK_QUEUE_SIZE);
	pci_cfg_init(&g->pci);
	memset(&g->irqs, 0, sizeof(g->irqs));
	struct irq_line line = irq_rec_line(&g->irqs, 11);
	assert_int_equal(vblk_init(&g->blk, &g->drv.mem, &g->pci, 3, 0xc000, &line, capacity, "x"),
			 0);
	u32 v = 0;
	vblk_ops.out(&g->blk, 0xc000 + VIRTIO_PCI_QUEUE_PFN, 4, RING_PFN, 0);
	vblk_ops.out(&g->blk, 0xc000 + VIRTIO_PCI_STATUS, 1, 7, 0);
	vblk_ops.in(&g->blk, 0xc000 + VIRTIO_PCI_STATUS, 1, &v, 0);
	assert_int_equal(v, 7);
	memset(g->drv.mem.base + STAT, 0xee, 64);
}

static void start(enum sched_policy policy, bool with_model)
{
	disk_bytes = calloc(DISK_SECTORS, 512);
	ninflight = submits = busy_next = fail_next = flushes_done = 0;
	hold = false;
	fault_what[0] = 0;
	guest_up(&ga, 100);
	guest_up(&gb, 100);
	afg_init();
	struct hdd_params hp;
	hdd_default_params(&hp);
	assert_int_equal(hdd_init(&model, &hp), 0);
	assert_int_equal(vblkq_init(&q, &disk, policy, IOKEY_PROCESS, with_model ? &model : NULL),
			 0);
	q.fault = on_fault;
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, ext_a, 2, &afg), 0);
	assert_int_equal(vblkq_add_guest(&q, &gb.blk, &gb.drv.mem, ext_b, 1, NULL), 1);
}

static int setup(void **state)
{
	start(SCHED_FCFS, false);
	return 0;
}

static int teardown(void **state)
{
	drv_free(&ga.drv);
	drv_free(&gb.drv);
	free(disk_bytes);
	return 0;
}

/* Poll until nothing is left at the disk or in the queue. */
static void run(u64 now)
{
	for (int i = 0; i < 100; i++)
		vblkq_poll(&q, now);
	assert_null(q.dq.inflight);
}

static u8 status_of(struct guest *g, unsigned slot)
{
	return g->drv.mem.base[STAT + slot];
}

/* ------------------------------------------------------------- tests */

static void test_write_then_read_across_extents(void **state)
{
	/* 16 sectors at guest sector 42: 8 in extent 0 (disk 142..149),
	 * 8 in extent 1 (disk 1000..1007); two 4 KiB buffers. */
	for (unsigned i = 0; i < 8192; i++)
		ga.drv.mem.base[DATA + i] = (u8)(i * 7 + 1);
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_OUT, 42, 2, DATA, 4096, false, STAT);
	vblkq_notify(&q, 0, 0, 1000);
	run(2000);
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(drv_used_idx(&ga.drv), 1);
	assert_int_equal(ga.irqs.level[11], 1);
	assert_memory_equal(disk_bytes + 142 * 512, ga.drv.mem.base + DATA, 8 * 512);
	assert_memory_equal(disk_bytes + 1000 * 512, ga.drv.mem.base + DATA + 4096, 8 * 512);
	/* Nothing else on the disk was written. */
	unsigned written = 0;
	for (unsigned i = 0; i < DISK_SECTORS * 512; i++)
		written += disk_bytes[i] != 0;
	unsigned nonzero_src = 0;
	for (unsigned i = 0; i < 8192; i++)
		nonzero_src += ga.drv.mem.base[DATA + i] != 0;
	assert_int_equal(written, nonzero_src);
	assert_int_equal(submits, 2);

	/* Read it back through the other guest-sector alignment: 3 buffers of
	 * 8, 4 and 4 sectors, into fresh memory. */
	drv_desc(&ga.drv, 10, HDR + 16, 16, VQ_DESC_F_NEXT, 11);
	put_le(&ga.drv, HDR + 16, VIRTIO_BLK_T_IN, 4);
	put_le(&ga.drv, HDR + 24, 42, 8);
	drv_desc(&ga.drv, 11, 0x50000, 4096, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 12);
	drv_desc(&ga.drv, 12, 0x60000, 2048, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 13);
	drv_desc(&ga.drv, 13, 0x70000, 2048, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 14);
	drv_desc(&ga.drv, 14, STAT + 1, 1, VQ_DESC_F_WRITE, 0);
	drv_kick(&ga.drv, 10);
	vblkq_notify(&q, 0, 0, 3000);
	run(4000);
	assert_int_equal(status_of(&ga, 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(ga.drv.mem.base + 0x50000, ga.drv.mem.base + DATA, 4096);
	assert_memory_equal(ga.drv.mem.base + 0x60000, ga.drv.mem.base + DATA + 4096, 2048);
	assert_memory_equal(ga.drv.mem.base + 0x70000, ga.drv.mem.base + DATA + 6144, 2048);
	u32 id, len;
	drv_used(&ga.drv, 1, &id, &len);
	assert_int_equal(id, 10);
	assert_int_equal(len, 8192 + 1);
	assert_int_equal(q.dq.st.completed, 2);
	assert_true(sched_consistent(&q.dq.s));
}

/* Guest B's sector 0 is disk sector 500; its last is 599.  Guest A's
 * capacity is its two extents, 100 sectors. */
static void test_guest_b_and_bounds(void **state)
{
	memset(gb.drv.mem.base + DATA, 0xab, 512);
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_OUT, 99, 1, DATA, 512, false, STAT);
	vblkq_notify(&q, 1, 0, 1000);
	run(1000);
	assert_int_equal(status_of(&gb, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(disk_bytes[599 * 512], 0xab);
	assert_int_equal(disk_bytes[600 * 512], 0);
	/* One past guest A's end: refused by the device, never at the disk. */
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_OUT, 99, 1, DATA, 1024, false, STAT);
	vblkq_notify(&q, 0, 0, 2000);
	run(2000);
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(fault_guest, 0);
	assert_string_equal(fault_what, "sectors-outside-disk");
	assert_int_equal(submits, 1);
}

/* A FLUSH behind a write at the disk: it waits for the disk to be free
 * (not for anything else), reaches the disk as a BLK_FLUSH, and the
 * guest's status byte and used entry come only when the disk has done it.
 * It holds a slot of the guest's share meanwhile. */
static void test_flush(void **state)
{
	hold = true;
	assert_false(vblkq_busy(&q));
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_OUT, 0, 1, DATA, 512, false, STAT);
	drv_blk_request(&ga.drv, 3, HDR + 16, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, false, STAT + 1);
	vblkq_notify(&q, 0, 0, 1000);
	assert_int_equal(submits, 1); /* the write; the flush waits for the disk */
	assert_int_equal(q.g[0].outstanding, 2);
	assert_int_equal(q.outstanding, 2);
	assert_true(vblkq_busy(&q));
	vblkq_poll(&q, 2000);
	assert_int_equal(status_of(&ga, 1), 0xee);

	hold = false;
	vblkq_poll(&q, 3000); /* the write is done, the flush goes */
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(submits, 2);
	assert_int_equal(inflight[0]->op, BLK_FLUSH);
	assert_int_equal(inflight[0]->count, 0);
	assert_int_equal(status_of(&ga, 1), 0xee); /* at the disk, not done */
	assert_int_equal(drv_used_idx(&ga.drv), 1);
	assert_int_equal(q.g[0].st.flushes, 0);

	vblkq_poll(&q, 4000);
	assert_int_equal(flushes_done, 1);
	assert_int_equal(status_of(&ga, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(drv_used_idx(&ga.drv), 2);
	u32 id, len;
	drv_used(&ga.drv, 1, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 1); /* the status byte only */
	assert_int_equal(q.st.flushes, 1);
	assert_int_equal(q.g[0].st.flushes, 1);
	assert_int_equal(q.g[0].st.writes, 1);
	assert_int_equal(q.g[0].outstanding, 0);
	assert_int_equal(q.outstanding, 0);
	assert_int_equal(q.dq.st.flushes, 1);
	assert_true(sched_consistent(&q.dq.s));
}

/* The disk fails a flush: the guest gets IOERR for it, the next request
 * is served, and the other guest's flush is its own. */
static void test_flush_error(void **state)
{
	fail_next = 1;
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, false, STAT);
	vblkq_notify(&q, 0, 0, 1000);
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, false, STAT);
	vblkq_notify(&q, 1, 0, 1000);
	run(2000);
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(&gb, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(q.g[0].st.ioerr, 1);
	assert_int_equal(q.g[0].st.flushes, 0);
	assert_int_equal(q.g[1].st.flushes, 1);
	assert_int_equal(q.st.ioerr, 1);
	assert_int_equal(flushes_done, 2);
	assert_int_equal(q.g[0].outstanding + q.g[1].outstanding, 0);
	assert_int_equal(q.outstanding, 0);
}

/* With a disk model, the guest sees nothing - no status, no interrupt -
 * until the disk queue says the modelled disk is done (the hold itself is
 * test_diskq's), and the model sees the request where it is on the disk. */
static void test_model_holds(void **state)
{
	teardown(state);
	start(SCHED_FCFS, true);
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 4096, true, STAT);
	vblkq_notify(&q, 0, 0, 1000000); /* dispatched: the modelled disk starts now */
	vblkq_poll(&q, 1000000);         /* the fake disk is done at once */
	u64 when = vblkq_next_event(&q);
	assert_true(when > 1000000 && when != SCHED_NEVER);
	vblkq_poll(&q, when - 1);
	assert_int_equal(status_of(&ga, 0), 0xee);
	assert_int_equal(ga.irqs.level[11], 0);
	vblkq_poll(&q, when);
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(ga.irqs.level[11], 1);
	assert_int_equal(vblkq_next_event(&q), SCHED_NEVER);
	assert_int_equal(model.head_lba, 100 + 8);
}

/* The run loop skips the poll when vblkq_busy() says there is nothing to
 * do.  Under the anticipatory policy a completed read arms an
 * anticipation, but with nothing queued there is nothing to hold back and
 * no timer to keep (a read that comes later is judged hit or timeout by
 * its arrival time): not busy.  Another guest's read queued behind the
 * anticipation is outstanding: busy, with the anticipation's end as the
 * next event. */
static void test_busy(void **state)
{
	teardown(state);
	start(SCHED_ANTICIPATORY, false);
	/* This small disk is all "close" to the head by default. */
	q.dq.s.p.close_ahead = q.dq.s.p.close_behind = 8;
	assert_false(vblkq_busy(&q));
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 4096, true, STAT);
	vblkq_notify(&q, 0, 0, 1000000);
	assert_true(vblkq_busy(&q));
	vblkq_poll(&q, 1000000); /* the fake disk is done at once */
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(q.outstanding, 0);
	assert_int_equal(vblkq_next_event(&q), SCHED_NEVER);
	assert_false(vblkq_busy(&q));
	/* Not busy, but a completion the glue has not seen yet: it counts. */
	assert_int_equal(q.g[0].completed, 1);
	assert_int_equal(q.completed, 1);

	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 4096, true, STAT);
	vblkq_notify(&q, 1, 0, 1000100);
	assert_true(vblkq_busy(&q));
	u64 until = vblkq_next_event(&q);
	assert_true(until > 1000100 && until != SCHED_NEVER); /* waiting for guest A */
	vblkq_poll(&q, until);  /* A did not come back: B's read goes */
	vblkq_poll(&q, until);
	assert_int_equal(status_of(&gb, 0), VIRTIO_BLK_S_OK);
	assert_false(vblkq_busy(&q));
	assert_int_equal(q.g[1].completed, 1);
	assert_int_equal(q.completed, 2);

	/* A request the device refuses at the notify completes there, with
	 * IOERR: that is a completion too (its interrupt is raised). */
	drv_blk_request(&ga.drv, 3, HDR + 16, VIRTIO_BLK_T_IN, 100, 1, DATA, 512, true, STAT + 1);
	vblkq_notify(&q, 0, 0, until + 1000);
	assert_int_equal(status_of(&ga, 1), VIRTIO_BLK_S_IOERR);
	assert_false(vblkq_busy(&q));
	assert_int_equal(q.g[0].completed, 2);
	assert_int_equal(q.completed, 3);
}

/* Keys: the process loaded on the vCPU at the notify; key 0 for the
 * kernel's root and for a guest without Antfarm. */
static void test_keys(void **state)
{
	afg_set(AFG_ROOT(1), 0, 0x6000 | AF_PTE_PRESENT);
	afg_set(AFG_ROOT(2), 0, 0x7000 | AF_PTE_PRESENT);
	afg_load(0, AFG_ROOT(1));
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT);
	vblkq_notify(&q, 0, 0, 1000);
	afg_load(0, AFG_ROOT(2));
	drv_blk_request(&ga.drv, 3, HDR + 16, VIRTIO_BLK_T_IN, 8, 1, DATA + 0x4000, 512, true,
			STAT + 1);
	drv_blk_request(&ga.drv, 6, HDR + 32, VIRTIO_BLK_T_IN, 16, 1, DATA + 0x8000, 512, true,
			STAT + 2);
	vblkq_notify(&q, 0, 0, 2000);
	afg_load(0, AFG_ROOT(0));
	drv_blk_request(&ga.drv, 9, HDR + 48, VIRTIO_BLK_T_IN, 24, 1, DATA + 0xc000, 512, true,
			STAT + 3);
	vblkq_notify(&q, 0, 0, 3000);
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT);
	vblkq_notify(&q, 1, 0, 3000);
	run(4000);

	struct sched_proc_stats st;
	assert_int_equal(diskq_proc_stats(&q.dq, 0, iokey_make(AFG_ROOT(1), 0), &st), 0);
	assert_int_equal(st.reads, 1);
	assert_int_equal(diskq_proc_stats(&q.dq, 0, iokey_make(AFG_ROOT(2), 0), &st), 0);
	assert_int_equal(st.reads, 2);
	assert_int_equal(diskq_proc_stats(&q.dq, 0, IOKEY_NONE, &st), 0);
	assert_int_equal(st.reads, 1);
	assert_int_equal(diskq_proc_stats(&q.dq, 1, IOKEY_NONE, &st), 0);
	assert_int_equal(st.reads, 1);
	for (unsigned s = 0; s < 4; s++)
		assert_int_equal(status_of(&ga, s), VIRTIO_BLK_S_OK);
}

/* A guest's broken ring: its device needs a reset, the other guest goes on. */
static void test_bad_ring_stops_one_guest(void **state)
{
	drv_desc(&ga.drv, 0, HDR, 16, VQ_DESC_F_NEXT, 0); /* loops */
	drv_kick(&ga.drv, 0);
	vblkq_notify(&q, 0, 0, 1000);
	assert_int_equal(fault_guest, 0);
	assert_string_equal(fault_what, "chain-loops");
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT);
	vblkq_notify(&q, 1, 0, 1000);
	run(2000);
	assert_int_equal(status_of(&gb, 0), VIRTIO_BLK_S_OK);
	assert_int_equal(q.st.faults, 1);
}

/* The driver's queue is full once, then a piece fails: the request ends
 * with IOERR, the next one is served. */
static void test_driver_busy_and_error(void **state)
{
	busy_next = 1;
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 2, DATA, 4096, true, STAT);
	vblkq_notify(&q, 0, 0, 1000);
	hold = true;
	vblkq_poll(&q, 1000);
	assert_int_equal(busy_next, 0); /* refused once as busy... */
	assert_int_equal(submits, 1);   /* ...and sent again */
	fail_next = 1;
	hold = false;
	run(1000);
	assert_int_equal(status_of(&ga, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(submits, 1); /* the second piece was never sent */
	drv_blk_request(&ga.drv, 3, HDR + 16, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT + 1);
	vblkq_notify(&q, 0, 0, 2000);
	run(2000);
	assert_int_equal(status_of(&ga, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(q.st.ioerr, 1);
}

/* A device reset with a request at the disk: the disk finishes, the
 * guest's new ring is not written. */
static void test_reset_in_flight(void **state)
{
	drv_blk_request(&ga.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT);
	vblkq_notify(&q, 0, 0, 1000);
	hold = true;
	vblkq_poll(&q, 1000);
	assert_int_equal(submits, 1);
	vblk_ops.out(&ga.blk, 0xc000 + VIRTIO_PCI_STATUS, 1, 0, 0);
	hold = false;
	run(2000);
	assert_int_equal(status_of(&ga, 0), 0xee);
	assert_int_equal(ga.blk.stale, 1);
	assert_true(sched_consistent(&q.dq.s));
}

/* The driver's side of a reset: the device forgets the ring; the driver
 * lays out a fresh one at the same place and says DRIVER_OK again. */
static void drv_reset(struct guest *g)
{
	vblk_ops.out(&g->blk, 0xc000 + VIRTIO_PCI_STATUS, 1, 0, 0);
	memset(g->drv.mem.base + g->drv.desc, 0, g->drv.used + 4096 - g->drv.desc);
	g->drv.avail_idx = 0;
	vblk_ops.out(&g->blk, 0xc000 + VIRTIO_PCI_QUEUE_PFN, 4, RING_PFN, 0);
	vblk_ops.out(&g->blk, 0xc000 + VIRTIO_PCI_STATUS, 1, 7, 0);
}

static void offer_reads(struct guest *g, unsigned n)
{
	for (u16 i = 0; i < n; i++)
		drv_blk_request(&g->drv, 3 * i, HDR + 16 * i, VIRTIO_BLK_T_IN, i, 1, DATA, 512, true,
				STAT + i);
}

/* A guest that resets its device with requests in flight and offers new
 * ones gets no more than its share of the slots (VBLKQ_PER_GUEST); the
 * rest wait in its ring until its old ones complete, and the other
 * guest's requests still get in. */
static void test_share_after_reset(void **state)
{
	hold = true;
	offer_reads(&ga, 40);
	vblkq_notify(&q, 0, 0, 1000);
	assert_int_equal(q.g[0].outstanding, 40);
	drv_reset(&ga);
	offer_reads(&ga, 40);
	vblkq_notify(&q, 0, 0, 2000);
	assert_int_equal(q.g[0].outstanding, VBLKQ_PER_GUEST);
	assert_true(q.g[0].deferred);
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_IN, 0, 1, DATA, 512, true, STAT);
	vblkq_notify(&q, 1, 0, 2000);
	assert_int_equal(q.g[1].outstanding, 1);

	hold = false;
	for (int i = 0; i < 400; i++)
		vblkq_poll(&q, 3000 + i);
	assert_null(q.dq.inflight);
	assert_false(q.g[0].deferred);
	assert_int_equal(q.g[0].outstanding, 0);
	assert_int_equal(ga.blk.stale, 40);
	assert_int_equal(q.g[0].st.reads, 80); /* the disk did all 80 */
	assert_int_equal(drv_used_idx(&ga.drv), 40); /* the new ring got its 40 */
	assert_int_equal(drv_used_idx(&gb.drv), 1);
	assert_int_equal(q.g[1].st.reads, 1);
	assert_true(sched_consistent(&q.dq.s));
}

/* A device that claims more than its extents hold (a glue bug) still
 * cannot reach past them. */
static void test_capacity_mismatch(void **state)
{
	gb.blk.capacity = 200;
	drv_blk_request(&gb.drv, 0, HDR, VIRTIO_BLK_T_OUT, 150, 1, DATA, 512, false, STAT);
	vblkq_notify(&q, 1, 0, 1000);
	run(1000);
	assert_int_equal(status_of(&gb, 0), VIRTIO_BLK_S_IOERR);
	assert_string_equal(fault_what, "request-outside-extents");
	assert_int_equal(submits, 0);
}

static void test_init_errors(void **state)
{
	struct blk_dev other = disk;
	const struct blk_extent bad[] = { { &other, 0, 10 } };
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, bad, 1, NULL), VBLKQ_EINVAL);
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, ext_a, 0, NULL), VBLKQ_EINVAL);
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, ext_b, 1, NULL), 2);
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, ext_b, 1, NULL), 3);
	assert_int_equal(vblkq_add_guest(&q, &ga.blk, &ga.drv.mem, ext_b, 1, NULL), VBLKQ_EINVAL);
	vblkq_notify(&q, 7, 0, 0); /* no such guest: nothing happens */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_write_then_read_across_extents),
		T(test_guest_b_and_bounds),
		T(test_flush),
		T(test_flush_error),
		T(test_model_holds),
		T(test_busy),
		T(test_keys),
		T(test_bad_ring_stops_one_guest),
		T(test_driver_busy_and_error),
		T(test_reset_in_flight),
		T(test_share_after_reset),
		T(test_capacity_mismatch),
		T(test_init_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
