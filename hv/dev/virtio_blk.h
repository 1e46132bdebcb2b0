/*
 * virtio_blk.h - a virtio block device on legacy (transitional) virtio-PCI.
 *
 * What the guest sees: PCI function 1af4:1001 (a transitional virtio
 * device), subsystem 1af4:0002 (virtio device type 2, block), class 01/00,
 * an I/O BAR holding the legacy register file, and INTA# on an ISA IRQ the
 * "BIOS" (vblk_init) wrote into PCI_INTERRUPT_LINE.  Debian's virtio_pci
 * (legacy path) and virtio_blk modules drive it with no command line.
 * virtio 1.x spec: 4.1.4.8 (legacy register layout), 5.2 (block device),
 * 2.7 (split virtqueues, see virtqueue.h).
 *
 * The model is pure: it never touches a disk.  The glue:
 *
 *   vblk_init(...)                 once; register vblk_ops on the port
 *                                  range [io_base, io_base + VBLK_IO_SIZE)
 *                                  and make the IRQ level-triggered (ELCR).
 *   after a guest I/O exit to it   while ((rc = vblk_next(b, &req)) != 0):
 *                                    rc == VBLK_REQUEST: a validated read,
 *                                      write or flush; key it with the
 *                                      current process, queue it;
 *                                    rc < 0: one log line naming the guest
 *                                      and vblk_fault_name(b, rc); the
 *                                      model has already answered it.
 *   when the disk is done          vblk_complete(b, &req, VIRTIO_BLK_S_*):
 *                                  status byte, used ring, ISR, line.
 *
 * Requests come out only when the guest notifies (it always does: we never
 * set VRING_USED_F_NO_NOTIFY and offer no EVENT_IDX), so each request is
 * seen at the exit of the process that submitted it.
 *
 * Faults.  A broken ring (vq_pop fails, the ring is outside RAM, the status
 * descriptor is unusable) puts the device in NEEDS_RESET: it stops taking
 * requests until the driver resets it.  A well-formed chain asking for
 * something wrong (short header, data in the wrong direction, a length not
 * a multiple of 512, sectors past the end) gets VIRTIO_BLK_S_IOERR.  Either
 * way nothing outside the guest's RAM or its disk is touched.
 */
#ifndef FORMICA_DEV_VIRTIO_BLK_H
#define FORMICA_DEV_VIRTIO_BLK_H

#include "dev/pci_cfg.h"
#include "dev/vdev.h"
#include "dev/virtqueue.h"
#include "mm/gmem.h"
#include "types.h"

/* PCI identity (virtio spec 4.1.2.1: transitional device ids). */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BLK_LEGACY 0x1001
#define VIRTIO_ID_BLOCK 2
#define VBLK_CLASS 0x010000 /* mass storage, SCSI (what transitional devices report) */

/* Legacy register file in the I/O BAR (4.1.4.8), MSI-X off. */
#define VIRTIO_PCI_HOST_FEATURES 0x00  /* u32 RO */
#define VIRTIO_PCI_GUEST_FEATURES 0x04 /* u32 RW */
#define VIRTIO_PCI_QUEUE_PFN 0x08      /* u32 RW */
#define VIRTIO_PCI_QUEUE_NUM 0x0c      /* u16 RO */
#define VIRTIO_PCI_QUEUE_SEL 0x0e      /* u16 RW */
#define VIRTIO_PCI_QUEUE_NOTIFY 0x10   /* u16 WO */
#define VIRTIO_PCI_STATUS 0x12         /* u8 RW */
#define VIRTIO_PCI_ISR 0x13            /* u8 RO, read clears */
#define VIRTIO_PCI_CONFIG 0x14         /* device-specific config starts here */
#define VBLK_IO_SIZE 64                /* BAR size: registers + virtio_blk_config */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* ISR bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* Block feature bits (5.2.3) and the ring features we refuse (6). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VBLK_FEATURES (BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) | \
		       BIT(VIRTIO_BLK_F_FLUSH))

/* virtio_blk_config offsets (5.2.4) from VIRTIO_PCI_CONFIG. */
#define VBLK_CFG_CAPACITY 0x00 /* u64, 512-byte sectors */
#define VBLK_CFG_SEG_MAX 0x0c  /* u32 */
#define VBLK_CFG_BLK_SIZE 0x14 /* u32 */

/* Requests (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_HDR_SIZE 16 /* u32 type, u32 reserved, u64 sector */
#define VIRTIO_BLK_ID_BYTES 20
#define VBLK_SECTOR 512

#define VBLK_QUEUE_SIZE 128
/* Data descriptors per request, reported as seg_max.  Linux builds its
 * requests to fit; 32 pages is 128 KiB at worst. */
#define VBLK_SEG_MAX 32

/* What vblk_next() returns: >= 0 outcomes, < 0 faults (already answered). */
enum vblk_result {
	VBLK_NONE = 0,    /* nothing (more) to do */
	VBLK_REQUEST = 1, /* *req is a validated request for the disk */
	VBLK_DONE = 2,    /* the model answered a request itself (GET_ID) */

	VBLK_F_QUEUE = -1,   /* ring fault (b->vq_err says which): NEEDS_RESET */
	VBLK_F_STATUS = -2,  /* last descriptor is not a 1-byte writable status: NEEDS_RESET */
	VBLK_F_HEADER = -3,  /* first descriptor is not a 16-byte readable header: IOERR */
	VBLK_F_DIR = -4,     /* data buffer direction wrong for the request type: IOERR */
	VBLK_F_LEN = -5,     /* data length not a multiple of 512: IOERR */
	VBLK_F_RANGE = -6,   /* sectors outside the disk: IOERR */
	VBLK_F_SEGS = -7,    /* more data descriptors than seg_max: IOERR */
	VBLK_F_NODATA = -8,  /* read/write/get-id without data, or flush with data: IOERR */
	VBLK_F_UNSUPP = -9,  /* request type not offered: UNSUPP */
};

/* A request handed to the glue.  Everything in it was copied out of guest
 * memory and checked: seg[] lie inside guest RAM and are multiples of 512
 * bytes, [sector, sector + nsect) lies inside the disk. */
struct vblk_req {
	u16 head;         /* chain head, for the used ring */
	u32 type;         /* VIRTIO_BLK_T_IN, _OUT or _FLUSH */
	u64 sector;
	u32 nsect;        /* 0 for FLUSH */
	u16 nseg;
	struct vq_buf seg[VBLK_SEG_MAX];
	u64 status_gpa;
	u32 generation;   /* rings since init (resets, queue addresses): to drop
			   * stale completions */
};

struct vblk {
	const struct gmem *mem;
	struct pci_fn *pci;
	u16 io_base;
	struct irq_line irq;
	u64 capacity;              /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];

	u32 guest_features;
	u16 queue_sel;
	u8 status;
	u8 isr;
	bool line;                 /* level we drive now */
	struct virtqueue vq;
	u32 generation;
	u32 in_flight;             /* handed out, not completed, this generation */

	int pending_fault;         /* a register-write fault not yet reported */
	int vq_err;                /* the enum vq_err behind the last VBLK_F_QUEUE */
	struct vq_chain chain;     /* scratch for vq_pop */

	u64 notifies, requests, faults, stale; /* statistics */
};

/*
 * Add the function at bus 0, device `slot`, with BAR0 at io_base (I/O
 * decode on) and PCI_INTERRUPT_LINE = irq, pin INTA#, as a BIOS would
 * leave it.  capacity in 512-byte sectors; serial (up to 20 bytes, need
 * not be NUL-terminated) answers GET_ID.  Returns 0, or -1 if the PCI slot
 * is taken or io_base is not aligned to VBLK_IO_SIZE.
 */
int vblk_init(struct vblk *b, const struct gmem *mem, struct pci_cfg *pci, u8 slot, u16 io_base,
	      const struct irq_line *irq, u64 capacity, const char *serial);

/* Ports io_base .. io_base + VBLK_IO_SIZE - 1 (register without VIO_F_8BIT). */
extern const struct vdev_ops vblk_ops;

/* The next thing to do; see the top of this file.  *req is written on
 * every call and is a request only when VBLK_REQUEST is returned. */
int vblk_next(struct vblk *b, struct vblk_req *req);

/*
 * The disk finished req with status (VIRTIO_BLK_S_OK or _IOERR): write the
 * status byte, put the chain in the used ring, set ISR and raise the line.
 * Returns 0, 1 if the request belonged to a ring before a reset or a new
 * queue address (it is dropped: the ring it came from is gone), or
 * VBLK_F_QUEUE if the used ring cannot be written (the device then needs a
 * reset).
 */
int vblk_complete(struct vblk *b, const struct vblk_req *req, u8 status);

/* "ring fault: chain-loops", "bad header", ...: for the log line. */
const char *vblk_fault_name(const struct vblk *b, int fault);

#endif
