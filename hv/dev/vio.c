/*
 * vio.c - the port-I/O bus of a guest's virtual PC.
 *
 * A small table of port ranges, each owned by one device model.  The glue
 * hands every I/O exit to vio_dispatch(); the bus finds the owner, splits
 * wide accesses for 8-bit devices the way the ISA bus does, and reports
 * ports nobody owns so the glue can log them.  Nobody owning a port is not
 * an error for the guest: on a PC such a read floats to all-ones and a
 * write goes nowhere, and Linux probes absent hardware exactly that way.
 */
#include "dev/vdev.h"
#include "string.h"

void vio_init(struct vio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static struct vio_range *find(struct vio_bus *bus, u32 port)
{
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct vio_range *r = &bus->range[i];
		if (port >= r->first && port <= r->last)
			return r;
	}
	return NULL;
}

int vio_register(struct vio_bus *bus, u16 first, u16 last, const struct vdev_ops *ops, void *dev,
		 const char *name, u32 flags)
{
	if (first > last)
		return VIO_ERR_BAD_RANGE;
	for (unsigned i = 0; i < bus->nranges; i++) {
		const struct vio_range *r = &bus->range[i];
		if (first <= r->last && last >= r->first)
			return VIO_ERR_OVERLAP;
	}
	if (bus->nranges >= VIO_MAX_RANGES)
		return VIO_ERR_FULL;
	bus->range[bus->nranges++] = (struct vio_range){
		.first = first, .last = last, .flags = flags, .ops = ops, .dev = dev, .name = name,
	};
	return VIO_OK;
}

const char *vio_owner(const struct vio_bus *bus, u16 port)
{
	struct vio_range *r = find((struct vio_bus *)bus, port);
	return r ? r->name : NULL;
}

/* One access of `size` bytes handed whole to r. */
static int call(struct vio_range *r, u16 port, unsigned size, enum vio_dir dir, u32 *val,
		u64 now_ns)
{
	int rc;
	if (dir == VIO_IN) {
		u32 v = 0;
		rc = r->ops->in ? r->ops->in(r->dev, port, size, &v, now_ns) : 0;
		if (!r->ops->in)
			v = 0xffffffffu;
		if (size < 4)
			v &= (1u << (size * 8)) - 1;
		*val = v;
	} else {
		u32 v = *val;
		if (size < 4)
			v &= (1u << (size * 8)) - 1;
		rc = r->ops->out ? r->ops->out(r->dev, port, size, v, now_ns) : 0;
	}
	return rc < 0 ? VIO_ERR_DEVICE : VIO_OK;
}

int vio_dispatch(struct vio_bus *bus, u16 port, unsigned size, enum vio_dir dir, u32 *val,
		 u64 now_ns)
{
	if (size != 1 && size != 2 && size != 4)
		return VIO_ERR_BAD_SIZE;

	struct vio_range *r = find(bus, port);
	if (r && !(r->flags & VIO_F_8BIT))
		return call(r, port, size, dir, val, now_ns);

	/*
	 * Byte by byte: an 8-bit device at `port`, or nobody.  Each byte goes
	 * to whoever owns port + i (a 16-bit IN from 0x20 reads the master
	 * PIC's command and data ports, as on real hardware).
	 */
	u32 in = 0, out = (dir == VIO_OUT) ? *val : 0;
	bool any = false;
	int rc = VIO_OK;
	for (unsigned i = 0; i < size; i++) {
		u32 p = (u32)port + i;
		struct vio_range *b = p <= 0xffff ? find(bus, p) : NULL;
		u32 byte = 0xff;
		if (b) {
			any = true;
			if (dir == VIO_OUT)
				byte = (out >> (8 * i)) & 0xff;
			int r2 = call(b, (u16)p, 1, dir, &byte, now_ns);
			if (r2 < 0)
				rc = r2;
		}
		in |= (byte & 0xff) << (8 * i);
	}
	if (dir == VIO_IN)
		*val = in;
	if (!any) {
		bus->unhandled++;
		return VIO_UNHANDLED;
	}
	return rc;
}

const char *vpc_stop_name(enum vpc_stop_reason r)
{
	switch (r) {
	case VPC_RUNNING: return "running";
	case VPC_STOP_POWEROFF: return "poweroff";
	case VPC_STOP_REBOOT: return "reboot";
	case VPC_STOP_TRIPLE_FAULT: return "triple-fault";
	case VPC_STOP_HALTED: return "halt";
	case VPC_STOP_ERROR: return "error";
	}
	return "unknown";
}
