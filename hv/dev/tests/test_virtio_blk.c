/*
 * test_virtio_blk.c - the legacy virtio-PCI block device: PCI identity as
 * Linux's probe reads it, feature negotiation, the status byte and reset,
 * NEEDS_RESET, the interrupt line, full request round trips through a fake
 * guest RAM, and every way a request can be refused.
 */
#include "dev/tests/vqdriver.h"
#include "dev/virtio_blk.h"

#define IO 0xc000
#define IRQ 11
#define SLOT 3
#define CAP 1000 /* sectors */
#define HDR 0x20000
#define DATA 0x30000
#define STAT 0x90000

static struct fake_drv drv;
static struct pci_cfg pci;
static struct vblk blk;
static struct irq_rec irqs;
static struct vblk_req req;

static u32 rd(unsigned off, unsigned size)
{
	u32 v = 0xdeadbeef;
	assert_int_equal(vblk_ops.in(&blk, IO + off, size, &v, 0), 0);
	return v;
}

static void wr(unsigned off, unsigned size, u32 v)
{
	assert_int_equal(vblk_ops.out(&blk, IO + off, size, v, 0), 0);
}

static u32 cfg(unsigned off, unsigned size)
{
	return pci_cfg_read(&pci, 0, SLOT << 3, off, size);
}

/* What Linux's virtio_pci_legacy + virtio_blk probe does, in order. */
static void driver_probe(void)
{
	wr(VIRTIO_PCI_STATUS, 1, 0);
	wr(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	u32 f = rd(VIRTIO_PCI_HOST_FEATURES, 4);
	wr(VIRTIO_PCI_GUEST_FEATURES, 4, f);
	wr(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_NUM, 2), VBLK_QUEUE_SIZE);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	wr(VIRTIO_PCI_QUEUE_PFN, 4, RING_PFN);
	wr(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				     VIRTIO_STATUS_DRIVER_OK);
}

static int setup(void **state)
{
	drv_init(&drv, VBLK_QUEUE_SIZE);
	pci_cfg_init(&pci);
	memset(&irqs, 0, sizeof(irqs));
	struct irq_line line = irq_rec_line(&irqs, IRQ);
	assert_int_equal(vblk_init(&blk, &drv.mem, &pci, SLOT, IO, &line, CAP, "formica-vda"), 0);
	driver_probe();
	memset(drv.mem.base + STAT, 0xee, 64);
	return 0;
}

static int teardown(void **state)
{
	drv_free(&drv);
	return 0;
}

/* Requests in slot s: header at HDR + 16 s, data at DATA + 0x4000 s, status at STAT + s. */
static u16 chain(u16 d0, u16 slot, u32 type, u64 sector, unsigned n, u32 len, bool dw)
{
	return drv_blk_request(&drv, d0, HDR + 16u * slot, type, sector, n, DATA + 0x4000u * slot,
			       len, dw, STAT + slot);
}

static u8 status_byte(u16 slot)
{
	return drv.mem.base[STAT + slot];
}

/* ----------------------------------------------------------------- tests */

static void test_pci_identity(void **state)
{
	assert_int_equal(cfg(PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg(PCI_DEVICE_ID, 2), 0x1001);
	assert_int_equal(cfg(PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg(PCI_SUBSYSTEM_ID, 2), 2);
	assert_int_equal(cfg(PCI_CLASS_DEVICE, 2), 0x0100);
	assert_int_equal(cfg(PCI_BAR0, 4), IO | 1);
	assert_true(cfg(PCI_COMMAND, 2) & PCI_COMMAND_IO);
	assert_int_equal(cfg(PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg(PCI_INTERRUPT_LINE, 1), IRQ);
	/* BAR sizing: all-ones reads back the 64-byte I/O mask. */
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg(PCI_BAR0, 4), 0xffffffc1);
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_BAR0, 4, IO);
	assert_int_equal(cfg(PCI_BAR0, 4), IO | 1);
	/* The slot is taken now; a misaligned BAR is refused. */
	struct vblk other;
	struct irq_line line = irq_rec_line(&irqs, 10);
	assert_int_equal(vblk_init(&other, &drv.mem, &pci, SLOT, 0xc100, &line, 1, ""), -1);
	assert_int_equal(vblk_init(&other, &drv.mem, &pci, SLOT + 1, 0xc108, &line, 1, ""), -1);
}

static void test_features(void **state)
{
	u32 f = rd(VIRTIO_PCI_HOST_FEATURES, 4);
	assert_true(f & BIT(VIRTIO_BLK_F_SEG_MAX));
	assert_true(f & BIT(VIRTIO_BLK_F_BLK_SIZE));
	assert_true(f & BIT(VIRTIO_BLK_F_FLUSH));
	assert_false(f & BIT(VIRTIO_RING_F_EVENT_IDX));
	assert_false(f & BIT(VIRTIO_RING_F_INDIRECT_DESC));
	assert_int_equal(rd(VIRTIO_PCI_GUEST_FEATURES, 4), f);
	/* A driver accepting what was not offered gets only the offer. */
	wr(VIRTIO_PCI_GUEST_FEATURES, 4, 0xffffffff);
	assert_int_equal(rd(VIRTIO_PCI_GUEST_FEATURES, 4), f);
	wr(VIRTIO_PCI_GUEST_FEATURES, 4, BIT(VIRTIO_BLK_F_FLUSH));
	assert_int_equal(rd(VIRTIO_PCI_GUEST_FEATURES, 4), BIT(VIRTIO_BLK_F_FLUSH));
	/* Host features are read-only. */
	wr(VIRTIO_PCI_HOST_FEATURES, 4, 0);
	assert_int_equal(rd(VIRTIO_PCI_HOST_FEATURES, 4), f);
}

/* Linux's legacy vp_get() reads the config one byte at a time. */
static void test_config_space(void **state)
{
	u64 cap = 0;
	for (unsigned i = 0; i < 8; i++)
		cap |= (u64)rd(VIRTIO_PCI_CONFIG + i, 1) << (8 * i);
	assert_int_equal(cap, CAP);
	assert_int_equal(rd(VIRTIO_PCI_CONFIG + VBLK_CFG_SEG_MAX, 4), VBLK_SEG_MAX);
	assert_int_equal(rd(VIRTIO_PCI_CONFIG + VBLK_CFG_BLK_SIZE, 4), 512);
	assert_int_equal(rd(VIRTIO_PCI_CONFIG + 0x08, 4), 0); /* size_max: not offered */
	assert_int_equal(rd(VBLK_IO_SIZE - 4, 4), 0);
	/* Config writes change nothing. */
	wr(VIRTIO_PCI_CONFIG, 4, 5);
	assert_int_equal(rd(VIRTIO_PCI_CONFIG, 4), CAP);
}

static void test_queue_registers(void **state)
{
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), RING_PFN);
	/* Only queue 0 exists: Linux's setup_vq sees size 0 and stops. */
	wr(VIRTIO_PCI_QUEUE_SEL, 2, 1);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_SEL, 2), 1);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_NUM, 2), 0);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	wr(VIRTIO_PCI_QUEUE_PFN, 4, 0x20);
	wr(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), RING_PFN);
	/* A wrong-width write is ignored. */
	wr(VIRTIO_PCI_QUEUE_PFN, 2, 0x30);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), RING_PFN);
	assert_int_equal(vblk_next(&blk, &req), VBLK_NONE);
}

static void test_status_and_reset(void **state)
{
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 7);
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	assert_int_equal(blk.in_flight, 1);

	wr(VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 0);
	assert_int_equal(rd(VIRTIO_PCI_GUEST_FEATURES, 4), 0);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	assert_int_equal(blk.in_flight, 0);
	/* The request outlived its ring: its completion writes nothing. */
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 1);
	assert_int_equal(status_byte(0), 0xee);
	assert_int_equal(drv_used_idx(&drv), 0);
	assert_int_equal(irqs.level[IRQ], 0);
	assert_int_equal(vblk_next(&blk, &req), VBLK_NONE);

	/* And the device comes back after a fresh probe, indexes from 0. */
	memset(drv.mem.base + drv.avail, 0, 4);
	memset(drv.mem.base + drv.used, 0, 4);
	drv.avail_idx = 0;
	driver_probe();
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 0);
	assert_int_equal(drv_used_idx(&drv), 1);
}

/* A guest offering a request it has not had back yet: without the
 * virtqueue's descriptor ownership it had any number outstanding (fuzz_virtq:
 * 66 on this 128-entry queue, where vblkq counts on at most 64). */
static void test_reoffered_request(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	for (int i = 0; i < 64; i++)
		drv_kick(&drv, 0);
	struct vblk_req again;
	assert_int_equal(vblk_next(&blk, &again), VBLK_F_QUEUE);
	assert_string_equal(vblk_fault_name(&blk, VBLK_F_QUEUE), "descriptor-in-use");
	assert_true(rd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vblk_next(&blk, &again), VBLK_NONE);
	assert_int_equal(blk.in_flight, 1);
	/* The request handed out first still completes. */
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 0);
	assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
	assert_int_equal(blk.in_flight, 0);
}

/* Writing the queue address again gives the device a new ring: requests
 * from the old one are dropped at completion, as after a reset, so a guest
 * cannot move its ring to have more outstanding. */
static void test_new_ring_drops_old_requests(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	wr(VIRTIO_PCI_QUEUE_PFN, 4, RING_PFN);
	assert_int_equal(blk.in_flight, 0);
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 1);
	assert_int_equal(status_byte(0), 0xee);
	assert_int_equal(drv_used_idx(&drv), 0);
}

static void test_read_round_trip(void **state)
{
	u16 head = chain(10, 1, VIRTIO_BLK_T_IN, 990, 2, 4096, true);
	blk.notifies = 0;
	wr(VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
	assert_int_equal(blk.notifies, 1);
	assert_int_equal(vblk_next(&blk, &req), VBLK_F_RANGE); /* 990 + 16 > 1000 */
	assert_int_equal(status_byte(1), VIRTIO_BLK_S_IOERR);

	head = chain(20, 2, VIRTIO_BLK_T_IN, 984, 2, 4096, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	struct vblk_req none;
	assert_int_equal(vblk_next(&blk, &none), VBLK_NONE);
	assert_int_equal(req.head, head);
	assert_int_equal(req.type, VIRTIO_BLK_T_IN);
	assert_int_equal(req.sector, 984);
	assert_int_equal(req.nsect, 16);
	assert_int_equal(req.nseg, 2);
	assert_int_equal(req.seg[0].gpa, DATA + 0x1000 * 8);
	assert_int_equal(req.seg[1].gpa, DATA + 0x1000 * 9);
	assert_int_equal(req.seg[1].len, 4096);
	assert_int_equal(req.status_gpa, STAT + 2);
	/* Nothing is answered before the disk is done. */
	assert_int_equal(status_byte(2), 0xee);
	assert_int_equal(drv_used_idx(&drv), 1);

	/* Reading ISR acknowledges the IOERR answer above and lowers the line. */
	assert_int_equal(irqs.level[IRQ], 1);
	assert_int_equal(rd(VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(irqs.level[IRQ], 0);
	assert_int_equal(rd(VIRTIO_PCI_ISR, 1), 0);

	/* The glue's disk filled the buffers; completion tells the guest. */
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 0);
	assert_int_equal(status_byte(2), VIRTIO_BLK_S_OK);
	assert_int_equal(drv_used_idx(&drv), 2);
	u32 id, len;
	drv_used(&drv, 1, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 8192 + 1);
	assert_int_equal(irqs.level[IRQ], 1);
	assert_true(cfg(PCI_STATUS, 2) & 0x08);
	assert_int_equal(rd(VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_false(cfg(PCI_STATUS, 2) & 0x08);
	assert_int_equal(blk.in_flight, 0);
}

static void test_write_flush_getid(void **state)
{
	/* Three requests queued before one notify. */
	chain(0, 0, VIRTIO_BLK_T_OUT, 999, 1, 512, false); /* the last sector */
	chain(3, 1, VIRTIO_BLK_T_FLUSH, 77, 0, 0, false);
	chain(6, 2, VIRTIO_BLK_T_GET_ID, 0, 1, VIRTIO_BLK_ID_BYTES, true);

	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	assert_int_equal(req.type, VIRTIO_BLK_T_OUT);
	assert_int_equal(req.sector, 999);
	assert_int_equal(req.nsect, 1);
	assert_false(req.seg[0].write);
	struct vblk_req w = req;

	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	assert_int_equal(req.type, VIRTIO_BLK_T_FLUSH);
	assert_int_equal(req.sector, 0);
	assert_int_equal(req.nsect, 0);
	assert_int_equal(req.nseg, 0);
	struct vblk_req f = req;

	/* GET_ID never reaches the disk; req is scratch after VBLK_DONE. */
	assert_int_equal(vblk_next(&blk, &req), VBLK_DONE);
	assert_memory_equal(drv.mem.base + DATA + 0x1000 * 8, "formica-vda\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(status_byte(2), VIRTIO_BLK_S_OK);
	assert_int_equal(vblk_next(&blk, &req), VBLK_NONE);

	/* Completions in any order. */
	assert_int_equal(vblk_complete(&blk, &f, VIRTIO_BLK_S_OK), 0);
	assert_int_equal(vblk_complete(&blk, &w, VIRTIO_BLK_S_IOERR), 0);
	assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_byte(1), VIRTIO_BLK_S_OK);
	u32 id, len;
	drv_used(&drv, 0, &id, &len);
	assert_int_equal(id, 6);
	assert_int_equal(len, VIRTIO_BLK_ID_BYTES + 1);
	drv_used(&drv, 1, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 1);
	drv_used(&drv, 2, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1); /* a write: the device wrote only the status */
}

static void test_unsupported_type(void **state)
{
	chain(0, 0, 11 /* DISCARD, not offered */, 0, 1, 512, false);
	assert_int_equal(vblk_next(&blk, &req), VBLK_F_UNSUPP);
	assert_int_equal(status_byte(0), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(drv_used_idx(&drv), 1);
}

/* A well-formed chain asking for the wrong thing: IOERR, device goes on. */
static void expect_ioerr(int fault)
{
	assert_int_equal(vblk_next(&blk, &req), fault);
	assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(drv_used_idx(&drv), 1);
	assert_false(rd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_string_not_equal(vblk_fault_name(&blk, fault), "unknown");
	/* The next request still works. */
	chain(40, 5, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
}

static void test_short_header(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	drv_desc(&drv, 0, HDR, 8, VQ_DESC_F_NEXT, 1);
	expect_ioerr(VBLK_F_HEADER);
}

static void test_header_only_status(void **state)
{
	drv_desc(&drv, 0, STAT, 1, VQ_DESC_F_WRITE, 0);
	drv_kick(&drv, 0);
	expect_ioerr(VBLK_F_HEADER);
}

/* Well-formed chains with one thing wrong each. */
static const struct bad_request {
	const char *what;
	u32 type;
	u64 sector;
	unsigned ndata;
	u32 len;
	bool device_writes;
	int fault;
} bad_requests[] = {
	{ "read into readable buffers", VIRTIO_BLK_T_IN, 0, 1, 512, false, VBLK_F_DIR },
	{ "write from writable buffers", VIRTIO_BLK_T_OUT, 0, 1, 512, true, VBLK_F_DIR },
	{ "get-id into a readable buffer", VIRTIO_BLK_T_GET_ID, 0, 1, 20, false, VBLK_F_DIR },
	{ "length not a sector multiple", VIRTIO_BLK_T_IN, 0, 1, 513, true, VBLK_F_LEN },
	{ "first sector past the end", VIRTIO_BLK_T_OUT, CAP, 1, 512, false, VBLK_F_RANGE },
	{ "last sector past the end", VIRTIO_BLK_T_IN, CAP - 1, 1, 1024, true, VBLK_F_RANGE },
	{ "sector + count wraps", VIRTIO_BLK_T_OUT, ~0ull, 1, 512, false, VBLK_F_RANGE },
	{ "more segments than seg_max", VIRTIO_BLK_T_IN, 0, VBLK_SEG_MAX + 1, 512, true,
	  VBLK_F_SEGS },
	{ "read without data", VIRTIO_BLK_T_IN, 0, 0, 0, true, VBLK_F_NODATA },
	{ "flush with data", VIRTIO_BLK_T_FLUSH, 0, 1, 512, false, VBLK_F_NODATA },
	{ "get-id with two buffers", VIRTIO_BLK_T_GET_ID, 0, 2, 512, true, VBLK_F_NODATA },
};

static void test_bad_requests(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(bad_requests); i++) {
		const struct bad_request *b = &bad_requests[i];
		print_message("%s\n", b->what);
		teardown(state);
		setup(state);
		chain(0, 0, b->type, b->sector, b->ndata, b->len, b->device_writes);
		expect_ioerr(b->fault);
	}
}

/* A broken ring: NEEDS_RESET, a config interrupt, no more requests. */
static void expect_needs_reset(int fault, const char *name)
{
	assert_int_equal(vblk_next(&blk, &req), fault);
	assert_string_equal(vblk_fault_name(&blk, fault), name);
	assert_true(rd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(irqs.level[IRQ], 1);
	/* The driver writing status keeps the device's bit. */
	wr(VIRTIO_PCI_STATUS, 1, 7);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 7 | VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rd(VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
	chain(40, 5, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	assert_int_equal(vblk_next(&blk, &req), VBLK_NONE);
	assert_int_equal(status_byte(5), 0xee);
	/* Until a reset. */
	wr(VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 0);
}

static void test_looped_chain(void **state)
{
	drv_desc(&drv, 0, HDR, 16, VQ_DESC_F_NEXT, 1);
	drv_desc(&drv, 1, DATA, 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	drv_kick(&drv, 0);
	expect_needs_reset(VBLK_F_QUEUE, "chain-loops");
}

static void test_data_outside_ram(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	drv_desc(&drv, 1, RAM_SIZE - 256, 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 2);
	expect_needs_reset(VBLK_F_QUEUE, "buffer-outside-ram");
}

static void test_status_not_writable(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_OUT, 0, 1, 512, false);
	drv_desc(&drv, 2, STAT, 1, 0, 0);
	expect_needs_reset(VBLK_F_STATUS, "status-descriptor-unusable");
	assert_int_equal(status_byte(0), 0xee);
}

static void test_status_too_long(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_IN, 0, 1, 512, true);
	drv_desc(&drv, 2, STAT, 2, VQ_DESC_F_WRITE, 0);
	expect_needs_reset(VBLK_F_STATUS, "status-descriptor-unusable");
}

static void test_ring_outside_ram(void **state)
{
	wr(VIRTIO_PCI_QUEUE_PFN, 4, RAM_SIZE >> 12);
	assert_int_equal(rd(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	expect_needs_reset(VBLK_F_QUEUE, "ring-outside-ram");
}

static void test_intx_disable_and_bar(void **state)
{
	chain(0, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	assert_int_equal(vblk_next(&blk, &req), VBLK_REQUEST);
	u32 cmd = cfg(PCI_COMMAND, 2);
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(vblk_complete(&blk, &req, VIRTIO_BLK_S_OK), 0);
	assert_int_equal(irqs.level[IRQ], 0);
	assert_true(cfg(PCI_STATUS, 2) & 0x08); /* pending, though masked */
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_COMMAND, 2, cmd);
	assert_int_equal(irqs.level[IRQ], 1);

	/* I/O decode off, or the BAR moved: the registers are gone. */
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_IO);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 0xff);
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_COMMAND, 2, cmd);
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_BAR0, 4, 0xd000);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 0xff);
	wr(VIRTIO_PCI_STATUS, 1, 0);
	pci_cfg_write(&pci, 0, SLOT << 3, PCI_BAR0, 4, IO);
	assert_int_equal(rd(VIRTIO_PCI_STATUS, 1), 7); /* the write above went nowhere */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_pci_identity),
		T(test_features),
		T(test_config_space),
		T(test_queue_registers),
		T(test_status_and_reset),
		T(test_reoffered_request),
		T(test_new_ring_drops_old_requests),
		T(test_read_round_trip),
		T(test_write_flush_getid),
		T(test_unsupported_type),
		T(test_short_header),
		T(test_header_only_status),
		T(test_bad_requests),
		T(test_looped_chain),
		T(test_data_outside_ram),
		T(test_status_not_writable),
		T(test_status_too_long),
		T(test_ring_outside_ram),
		T(test_intx_disable_and_bar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
