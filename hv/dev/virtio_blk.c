/*
 * virtio_blk.c - the legacy virtio-PCI register file and the virtio-blk
 * request decoder.
 *
 * Three things happen here.  The PCI identity and BAR are set up the way
 * a BIOS would leave them (vblk_init).  The I/O BAR's registers carry the
 * virtio handshake: the driver reads the device features, writes the
 * subset it uses, tells the device where queue 0 lives (a page number),
 * and walks the status byte through ACKNOWLEDGE, DRIVER, DRIVER_OK; writing
 * status 0 resets everything.  And each chain the driver makes available is
 * decoded into a request (header, data, status byte) and checked before
 * the glue may act on it (vblk_next).
 *
 * The interrupt is level-triggered INTx: the line is high while ISR is not
 * zero (and PCI INTX_DISABLE is clear), and reading ISR clears it - which
 * is how the legacy driver acknowledges.
 */
#include "dev/virtio_blk.h"
#include "string.h"

/* ------------------------------------------------------------ interrupt */

static void update_line(struct vblk *b)
{
	u16 cmd = (u16)(b->pci->cfg[PCI_COMMAND] | b->pci->cfg[PCI_COMMAND + 1] << 8);
	bool level = b->isr != 0 && !(cmd & PCI_COMMAND_INTX_DISABLE);
	/* PCI 2.3 status bit 3, Interrupt Status: the INTx state, whatever the mask. */
	if (b->isr)
		b->pci->cfg[PCI_STATUS] |= 0x08;
	else
		b->pci->cfg[PCI_STATUS] &= (u8)~0x08;
	if (level != b->line) {
		b->line = level;
		irq_line_set(&b->irq, level);
	}
}

static void pci_written(void *ctx, struct pci_fn *fn, unsigned off, unsigned size)
{
	update_line(ctx); /* INTX_DISABLE may have changed */
}

/* ---------------------------------------------------------------- reset */

/* The ring is gone (reset, or a new queue address): requests the glue
 * still holds belong to it; their completions are recognised and dropped.
 * The new ring holds no descriptors, so this also keeps what a guest has
 * outstanding at VBLK_QUEUE_SIZE / 2 per ring. */
static void drop_requests(struct vblk *b)
{
	b->generation++;
	b->in_flight = 0;
}

static void device_reset(struct vblk *b)
{
	b->guest_features = 0;
	b->queue_sel = 0;
	b->status = 0;
	b->isr = 0;
	b->pending_fault = 0;
	vq_reset(&b->vq);
	drop_requests(b);
	update_line(b);
}

/* Something in the ring cannot be trusted: stop until the driver resets
 * us, and tell it through a configuration-change interrupt (2.1.2). */
static int needs_reset(struct vblk *b, int fault)
{
	b->status |= VIRTIO_STATUS_NEEDS_RESET;
	b->isr |= VIRTIO_ISR_CONFIG;
	b->faults++;
	update_line(b);
	return fault;
}

int vblk_init(struct vblk *b, const struct gmem *mem, struct pci_cfg *pci, u8 slot, u16 io_base,
	      const struct irq_line *irq, u64 capacity, const char *serial)
{
	memset(b, 0, sizeof(*b));
	if (io_base % VBLK_IO_SIZE || io_base == 0)
		return -1;
	struct pci_fn *f = pci_cfg_add(pci, 0, slot, 0, VIRTIO_PCI_VENDOR,
				       VIRTIO_PCI_DEVICE_BLK_LEGACY, VBLK_CLASS, 0);
	if (!f)
		return -1;
	b->mem = mem;
	b->pci = f;
	b->io_base = io_base;
	b->irq = *irq;
	b->capacity = capacity;
	for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && serial[i]; i++)
		b->serial[i] = serial[i];
	vq_init(&b->vq, VBLK_QUEUE_SIZE);

	/* Subsystem ids: virtio's device type, as transitional devices have. */
	f->cfg[PCI_SUBSYSTEM_VENDOR_ID] = VIRTIO_PCI_VENDOR & 0xff;
	f->cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] = VIRTIO_PCI_VENDOR >> 8;
	f->cfg[PCI_SUBSYSTEM_ID] = VIRTIO_ID_BLOCK;
	f->cfg[PCI_SUBSYSTEM_ID + 1] = 0;
	pci_fn_set_bar(f, 0, VBLK_IO_SIZE, PCI_BAR_IO);
	/* What the BIOS leaves: BAR assigned, I/O decode on, INTA# routed. */
	f->cfg[PCI_BAR0] = (u8)(io_base | PCI_BAR_IO);
	f->cfg[PCI_BAR0 + 1] = (u8)(io_base >> 8);
	f->cfg[PCI_COMMAND] |= PCI_COMMAND_IO;
	f->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	f->cfg[PCI_INTERRUPT_LINE] = (u8)irq->irq;
	f->on_write = pci_written;
	f->ctx = b;
	return 0;
}

/* ------------------------------------------------------------ registers */

/* The device-specific configuration (virtio_blk_config), byte by byte. */
static u8 config_byte(const struct vblk *b, unsigned off)
{
	u64 v;
	unsigned at;
	if (off < VBLK_CFG_CAPACITY + 8) {
		v = b->capacity;
		at = off - VBLK_CFG_CAPACITY;
	} else if (off >= VBLK_CFG_SEG_MAX && off < VBLK_CFG_SEG_MAX + 4) {
		v = VBLK_SEG_MAX;
		at = off - VBLK_CFG_SEG_MAX;
	} else if (off >= VBLK_CFG_BLK_SIZE && off < VBLK_CFG_BLK_SIZE + 4) {
		v = VBLK_SECTOR;
		at = off - VBLK_CFG_BLK_SIZE;
	} else {
		return 0; /* size_max, geometry, topology, writeback: not offered */
	}
	return (u8)(v >> (8 * at));
}

/* One byte of the register file.  Reading the ISR byte clears it. */
static u8 reg_byte(struct vblk *b, unsigned off)
{
	u32 v;
	unsigned at;
	if (off >= VIRTIO_PCI_CONFIG)
		return config_byte(b, off - VIRTIO_PCI_CONFIG);
	switch (off & ~3u) {
	case VIRTIO_PCI_HOST_FEATURES:
		v = VBLK_FEATURES;
		break;
	case VIRTIO_PCI_GUEST_FEATURES:
		v = b->guest_features;
		break;
	case VIRTIO_PCI_QUEUE_PFN:
		v = b->queue_sel == 0 ? b->vq.pfn : 0;
		break;
	case VIRTIO_PCI_QUEUE_NUM: /* QUEUE_NUM (u16), QUEUE_SEL (u16) */
		v = (b->queue_sel == 0 ? VBLK_QUEUE_SIZE : 0) | (u32)b->queue_sel << 16;
		break;
	default: /* QUEUE_NOTIFY (u16, reads 0), STATUS, ISR */
		if (off == VIRTIO_PCI_ISR) {
			u8 isr = b->isr;
			b->isr = 0;
			update_line(b);
			return isr;
		}
		v = (u32)b->status << 16;
		break;
	}
	at = off & 3;
	return (u8)(v >> (8 * at));
}

static bool decoding(const struct vblk *b, u16 port)
{
	return (b->pci->cfg[PCI_COMMAND] & PCI_COMMAND_IO) &&
	       pci_fn_bar_addr(b->pci, 0) == b->io_base && port >= b->io_base &&
	       port - b->io_base < VBLK_IO_SIZE;
}

static int vblk_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct vblk *b = dev;
	u32 v = 0;
	for (unsigned i = 0; i < size; i++) {
		u16 p = (u16)(port + i);
		u8 byte = decoding(b, p) ? reg_byte(b, p - b->io_base) : 0xff;
		v |= (u32)byte << (8 * i);
	}
	*val = v;
	return 0;
}

static void write_queue_pfn(struct vblk *b, u32 pfn)
{
	if (b->queue_sel != 0)
		return; /* no such queue: the write goes nowhere */
	int rc = vq_set_pfn(&b->vq, b->mem, pfn);
	drop_requests(b);
	if (rc) {
		b->vq_err = rc;
		b->pending_fault = needs_reset(b, VBLK_F_QUEUE);
	}
}

static void write_status(struct vblk *b, u8 val)
{
	if (val == 0) {
		device_reset(b);
		return;
	}
	/* NEEDS_RESET is the device's bit: only a reset clears it. */
	b->status = val | (b->status & VIRTIO_STATUS_NEEDS_RESET);
}

/* Registers are written with their own width at their own offset, as
 * Linux's virtio_pci_legacy does; anything else is ignored. */
static int vblk_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct vblk *b = dev;
	if (!decoding(b, port))
		return 0;
	unsigned off = port - b->io_base;
	if (off == VIRTIO_PCI_GUEST_FEATURES && size == 4) {
		/* A driver must not accept what was not offered (2.2). */
		b->guest_features = val & VBLK_FEATURES;
	} else if (off == VIRTIO_PCI_QUEUE_PFN && size == 4) {
		write_queue_pfn(b, val);
	} else if (off == VIRTIO_PCI_QUEUE_SEL && size == 2) {
		b->queue_sel = (u16)val;
	} else if (off == VIRTIO_PCI_QUEUE_NOTIFY && size == 2) {
		/* Nothing to do here: the glue calls vblk_next() after every
		 * exit to this device, and the ring says what is new. */
		b->notifies++;
	} else if (off == VIRTIO_PCI_STATUS && size == 1) {
		write_status(b, (u8)val);
	}
	return 0;
}

const struct vdev_ops vblk_ops = { vblk_in, vblk_out };

/* ------------------------------------------------------------- requests */

static const char *const fault_names[] = {
	[-VBLK_F_STATUS] = "status-descriptor-unusable",
	[-VBLK_F_HEADER] = "bad-header-descriptor",
	[-VBLK_F_DIR] = "data-wrong-direction",
	[-VBLK_F_LEN] = "data-not-sector-multiple",
	[-VBLK_F_RANGE] = "sectors-outside-disk",
	[-VBLK_F_SEGS] = "too-many-segments",
	[-VBLK_F_NODATA] = "data-count-wrong-for-type",
	[-VBLK_F_UNSUPP] = "unsupported-request-type",
};

const char *vblk_fault_name(const struct vblk *b, int fault)
{
	if (fault == VBLK_F_QUEUE)
		return vq_err_name(b->vq_err);
	if (fault < 0 && (unsigned)-fault < ARRAY_SIZE(fault_names) && fault_names[-fault])
		return fault_names[-fault];
	return "unknown";
}

/* Answer a chain without the disk: status byte, used ring, interrupt. */
static int answer(struct vblk *b, u16 head, u64 status_gpa, u8 status, u32 written)
{
	u8 *p = gpa_ptr(b->mem, status_gpa, 1);
	if (!p)
		return needs_reset(b, VBLK_F_STATUS); /* cannot happen: vq_pop checked */
	*p = status;
	int rc = vq_push_used(&b->vq, b->mem, head, written + 1);
	if (rc) {
		b->vq_err = rc;
		return needs_reset(b, VBLK_F_QUEUE);
	}
	b->isr |= VIRTIO_ISR_QUEUE;
	update_line(b);
	return 0;
}

/* The data descriptors' checks for a read or a write; 0 or a fault. */
static int check_data(const struct vblk *b, const struct vq_chain *c, bool device_writes,
		      struct vblk_req *r)
{
	u64 bytes = 0;
	for (unsigned i = 1; i + 1 < c->n; i++) {
		const struct vq_buf *d = &c->buf[i];
		if (d->write != device_writes)
			return VBLK_F_DIR;
		if (d->len % VBLK_SECTOR)
			return VBLK_F_LEN;
		r->seg[r->nseg++] = *d;
		bytes += d->len;
	}
	/* The used ring reports bytes written (+1 for the status) in a u32. */
	if (bytes > 0xffffffffull - VBLK_SECTOR)
		return VBLK_F_LEN;
	u64 n = bytes / VBLK_SECTOR;
	if (r->sector > b->capacity || n > b->capacity - r->sector)
		return VBLK_F_RANGE;
	r->nsect = (u32)n;
	return 0;
}

/* Decode a chain that vq_pop accepted: 0 (r filled), VBLK_DONE, or a fault
 * to be answered with IOERR/UNSUPP.  The status descriptor is checked by
 * the caller. */
static int decode(struct vblk *b, const struct vq_chain *c, struct vblk_req *r)
{
	const struct vq_buf *h = &c->buf[0];
	if (c->n < 2 || h->write || h->len != VIRTIO_BLK_HDR_SIZE)
		return VBLK_F_HEADER;
	u8 hdr[VIRTIO_BLK_HDR_SIZE];
	memcpy(hdr, gpa_ptr(b->mem, h->gpa, sizeof(hdr)), sizeof(hdr));
	memcpy(&r->type, hdr + 0, 4);
	memcpy(&r->sector, hdr + 8, 8);

	unsigned ndata = c->n - 2;
	if (ndata > VBLK_SEG_MAX)
		return VBLK_F_SEGS;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (ndata == 0)
			return VBLK_F_NODATA;
		return check_data(b, c, r->type == VIRTIO_BLK_T_IN, r);
	case VIRTIO_BLK_T_FLUSH:
		r->sector = 0; /* the spec has the driver set 0; it means nothing */
		return ndata == 0 ? 0 : VBLK_F_NODATA;
	case VIRTIO_BLK_T_GET_ID: {
		if (ndata != 1)
			return VBLK_F_NODATA;
		const struct vq_buf *d = &c->buf[1];
		if (!d->write)
			return VBLK_F_DIR;
		u32 n = d->len < VIRTIO_BLK_ID_BYTES ? d->len : VIRTIO_BLK_ID_BYTES;
		memcpy(gpa_ptr(b->mem, d->gpa, n), b->serial, n);
		r->nsect = n; /* bytes written, for the used ring */
		return VBLK_DONE;
	}
	default:
		return VBLK_F_UNSUPP;
	}
}

int vblk_next(struct vblk *b, struct vblk_req *r)
{
	if (b->pending_fault) {
		int f = b->pending_fault;
		b->pending_fault = 0;
		return f;
	}
	if (b->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED) || !vq_ready(&b->vq))
		return VBLK_NONE;

	struct vq_chain *c = &b->chain;
	int rc = vq_pop(&b->vq, b->mem, c);
	if (rc == VQ_EMPTY)
		return VBLK_NONE;
	if (rc) {
		b->vq_err = rc;
		return needs_reset(b, VBLK_F_QUEUE);
	}

	/* Without ANY_LAYOUT the status byte is its own last descriptor. */
	const struct vq_buf *st = &c->buf[c->n - 1];
	if (!st->write || st->len != 1)
		return needs_reset(b, VBLK_F_STATUS);

	memset(r, 0, offsetof(struct vblk_req, seg));
	r->head = c->head;
	r->status_gpa = st->gpa;
	r->generation = b->generation;
	rc = decode(b, c, r);
	if (rc == 0) {
		b->requests++;
		b->in_flight++;
		return VBLK_REQUEST;
	}
	if (rc == VBLK_DONE) {
		int e = answer(b, c->head, st->gpa, VIRTIO_BLK_S_OK, r->nsect);
		return e ? e : VBLK_DONE;
	}
	b->faults++;
	int e = answer(b, c->head, st->gpa,
		       rc == VBLK_F_UNSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR, 0);
	return e ? e : rc;
}

int vblk_complete(struct vblk *b, const struct vblk_req *r, u8 status)
{
	if (r->generation != b->generation) {
		b->stale++;
		return 1;
	}
	b->in_flight--;
	u32 written = r->type == VIRTIO_BLK_T_IN ? r->nsect * VBLK_SECTOR : 0;
	return answer(b, r->head, r->status_gpa, status, written);
}
