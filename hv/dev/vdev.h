/*
 * vdev.h - how the guest's virtual PC is wired: port-I/O devices on a bus,
 * interrupt lines into the PIC, and the reasons a guest stops.
 *
 * Every device model in hv/dev/ is a pure core: it owns a struct that the
 * caller allocates, it is driven only through the functions in its header,
 * and it never reads a clock.  A model that needs time takes `now_ns`, the
 * guest's time in nanoseconds (monotonic, starting wherever the glue
 * likes), as a parameter.  Nothing here executes IN/OUT: the glue decodes
 * an I/O exit and calls vio_dispatch(), which finds the device that owns
 * the port.
 *
 * Interrupt lines are plain callbacks (struct irq_line): a model says "my
 * line is now high/low" and the receiver (the 8259 pair, hv/dev/pic8259.h)
 * turns edges into requests.  This mirrors the ISA bus, where a device
 * drives a wire and knows nothing of who listens.
 */
#ifndef FORMICA_DEV_VDEV_H
#define FORMICA_DEV_VDEV_H

#include "types.h"

/* ------------------------------------------------------------------ I/O */

/*
 * A device's port handlers.  `port` is the absolute port number, `size` is
 * 1, 2 or 4.  Return 0, or a negative VIO_ERR_* if the access is one the
 * model refuses to handle (the bus passes it up; the glue logs it).
 * A device registered with VIO_F_8BIT only ever sees size 1: the bus splits
 * wider accesses into byte cycles, as the ISA bus does for 8-bit devices.
 */
struct vdev_ops {
	int (*in)(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns);
	int (*out)(void *dev, u16 port, unsigned size, u32 val, u64 now_ns);
};

enum vio_dir {
	VIO_IN = 0,
	VIO_OUT = 1,
};

enum vio_result {
	VIO_OK = 0,
	VIO_UNHANDLED = 1, /* no device at this port: reads gave all-ones */
	VIO_ERR_BAD_SIZE = -1,  /* size not 1, 2 or 4 */
	VIO_ERR_OVERLAP = -2,   /* register: range overlaps another */
	VIO_ERR_FULL = -3,      /* register: table full */
	VIO_ERR_BAD_RANGE = -4, /* register: first > last */
	VIO_ERR_DEVICE = -5,    /* a device refused the access */
};

#define VIO_F_8BIT 0x1 /* split 16/32-bit accesses into byte accesses */

#define VIO_MAX_RANGES 32

struct vio_range {
	u16 first, last; /* inclusive */
	u32 flags;
	const struct vdev_ops *ops;
	void *dev;
	const char *name;
};

struct vio_bus {
	struct vio_range range[VIO_MAX_RANGES];
	unsigned nranges;
	u64 unhandled; /* count of accesses nobody claimed, for statistics */
};

void vio_init(struct vio_bus *bus);

/* Claim ports [first, last] for dev.  0 or VIO_ERR_*. */
int vio_register(struct vio_bus *bus, u16 first, u16 last, const struct vdev_ops *ops, void *dev,
		 const char *name, u32 flags);

/*
 * Perform one guest port access.  For VIO_IN, *val receives the value
 * (zero-extended to 32 bits; bytes no device claims read as 0xff); for
 * VIO_OUT, *val is the value written.  Returns VIO_OK, VIO_UNHANDLED when no
 * byte of the access belongs to any device (the glue logs it, once per
 * port ideally), or a negative VIO_ERR_*.
 */
int vio_dispatch(struct vio_bus *bus, u16 port, unsigned size, enum vio_dir dir, u32 *val,
		 u64 now_ns);

/* Name of the device owning port, or NULL: for log lines. */
const char *vio_owner(const struct vio_bus *bus, u16 port);

/* ------------------------------------------------------- interrupt lines */

/*
 * One ISA interrupt wire.  set(ctx, irq, level): level 1 = asserted.  The
 * receiver decides what an edge or a level means (the 8259 in edge mode
 * latches rising edges).  A model with no line wired has set == NULL.
 */
struct irq_line {
	void (*set)(void *ctx, unsigned irq, int level);
	void *ctx;
	unsigned irq;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->ctx, l->irq, level);
}

/* A rising edge followed by a fall: for sources that signal events, not states. */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_line_set(l, 1);
	irq_line_set(l, 0);
}

/* ------------------------------------------------------ stopping a guest */

/*
 * Why a guest's virtual PC stopped.  Device models request a stop (the
 * keyboard controller's reset line, port 0xcf9, the power port); the glue
 * requests the rest (triple fault, HLT with interrupts off).  The first
 * request wins; the glue checks after each exit and ends the guest.
 */
enum vpc_stop_reason {
	VPC_RUNNING = 0,
	VPC_STOP_POWEROFF,     /* the Formica power port was written */
	VPC_STOP_REBOOT,       /* i8042 reset pulse, or 0xcf9 reset control */
	VPC_STOP_TRIPLE_FAULT, /* the glue saw a triple-fault exit */
	VPC_STOP_HALTED,       /* HLT with RFLAGS.IF = 0: nothing can wake the CPU */
	VPC_STOP_ERROR,        /* the glue gave up on the guest (bad state, bad input) */
};

struct vpc_stop {
	enum vpc_stop_reason reason;
	u32 code;          /* POWEROFF: the value written to the power port */
	const char *what;  /* which device or event asked, for the log line */
};

static inline void vpc_request_stop(struct vpc_stop *s, enum vpc_stop_reason r, u32 code,
				    const char *what)
{
	if (s && s->reason == VPC_RUNNING) {
		s->reason = r;
		s->code = code;
		s->what = what;
	}
}

/* "poweroff", "reboot", "triple-fault", "halt", "error" (and "running"). */
const char *vpc_stop_name(enum vpc_stop_reason r);

#endif
