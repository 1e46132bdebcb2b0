/*
 * misc.c - POST port, keyboard controller, reset control, power port.
 *
 * None of these carry data a guest needs; they exist because Linux probes
 * them during boot and uses two of them to reboot.  Each is a few bytes of
 * state and a switch over the values the guest writes.
 */
#include "dev/misc.h"
#include "string.h"

/* ------------------------------------------------------------ port 0x80 */

void post_init(struct post_port *p)
{
	memset(p, 0, sizeof(*p));
}

static int post_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	*val = ((struct post_port *)dev)->last;
	return 0;
}

static int post_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct post_port *p = dev;
	p->last = val;
	p->writes++;
	return 0;
}

const struct vdev_ops post_ops = { .in = post_in, .out = post_out };

/* ---------------------------------------------------------------- i8042 */

/* Controller commands (port 0x64 writes). */
enum {
	KBC_READ_CTR = 0x20,
	KBC_WRITE_CTR = 0x60,
	KBC_AUX_DISABLE = 0xa7,
	KBC_AUX_ENABLE = 0xa8,
	KBC_AUX_TEST = 0xa9,
	KBC_SELF_TEST = 0xaa,
	KBC_KBD_TEST = 0xab,
	KBC_KBD_DISABLE = 0xad,
	KBC_KBD_ENABLE = 0xae,
	KBC_READ_OUTPORT = 0xd0,
	KBC_WRITE_OUTPORT = 0xd1,
	KBC_WRITE_KBD_OBUF = 0xd2,
	KBC_WRITE_AUX_OBUF = 0xd3,
	KBC_WRITE_AUX = 0xd4,
	KBC_PULSE_FIRST = 0xf0,
};

#define OUTPORT_RESET 0x01 /* output port bit 0: CPU reset line, active low */
#define OUTPORT_A20 0x02

static void kbc_update_irq(struct i8042 *k)
{
	int kbd = 0, aux = 0;
	if (k->count) {
		if (k->outq_aux & (1u << k->head))
			aux = (k->ctr & I8042_CTR_AUXINT) != 0;
		else
			kbd = (k->ctr & I8042_CTR_KBDINT) != 0;
	}
	if (kbd != k->irq1_level) {
		k->irq1_level = kbd;
		irq_line_set(&k->irq1, kbd);
	}
	if (aux != k->irq12_level) {
		k->irq12_level = aux;
		irq_line_set(&k->irq12, aux);
	}
}

static void kbc_push(struct i8042 *k, u8 byte, bool aux)
{
	if (k->count == I8042_QUEUE)
		return;
	unsigned i = (k->head + k->count) % I8042_QUEUE;
	k->outq[i] = byte;
	if (aux)
		k->outq_aux |= 1u << i;
	else
		k->outq_aux &= ~(1u << i);
	k->count++;
}

void i8042_init(struct i8042 *k, const struct irq_line *irq1, const struct irq_line *irq12,
		struct vpc_stop *stop)
{
	memset(k, 0, sizeof(*k));
	if (irq1)
		k->irq1 = *irq1;
	if (irq12)
		k->irq12 = *irq12;
	k->stop = stop;
	/* As a BIOS leaves it: keyboard interrupt on, system flag (POST
	 * passed), translation on, aux port disabled. */
	k->ctr = I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE | I8042_CTR_AUXDIS;
}

static void kbc_command(struct i8042 *k, u8 cmd)
{
	switch (cmd) {
	case KBC_READ_CTR:
		kbc_push(k, k->ctr, false);
		break;
	case KBC_WRITE_CTR:
	case KBC_WRITE_OUTPORT:
	case KBC_WRITE_KBD_OBUF:
	case KBC_WRITE_AUX_OBUF:
	case KBC_WRITE_AUX:
		k->pending = cmd; /* the parameter comes through port 0x60 */
		break;
	case KBC_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case KBC_AUX_ENABLE:
		k->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case KBC_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case KBC_KBD_ENABLE:
		k->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case KBC_AUX_TEST:
	case KBC_KBD_TEST:
		kbc_push(k, 0x00, false); /* interface OK (lines not stuck) */
		break;
	case KBC_SELF_TEST:
		k->ctr |= I8042_CTR_SYS;
		kbc_push(k, 0x55, false);
		break;
	case KBC_READ_OUTPORT:
		kbc_push(k, OUTPORT_RESET | OUTPORT_A20 | (k->count ? 0x10 : 0), false);
		break;
	default:
		/* 0xF0-0xFF pulse output port bits 3:0 low for 6 us where the
		 * command's bit is 0; bit 0 is the CPU reset line (0xFE). */
		if (cmd >= KBC_PULSE_FIRST && !(cmd & OUTPORT_RESET))
			vpc_request_stop(k->stop, VPC_STOP_REBOOT, 0, "i8042 reset pulse");
		/* Everything else (RAM reads, A20 gate, ...) is ignored. */
		if (cmd >= 0x21 && cmd <= 0x3f)
			kbc_push(k, 0x00, false); /* controller RAM reads */
		else if (cmd >= 0x61 && cmd <= 0x7f)
			k->pending = cmd;
		break;
	}
}

static void kbc_data(struct i8042 *k, u8 val)
{
	u8 cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case KBC_WRITE_CTR:
		k->ctr = val;
		break;
	case KBC_WRITE_OUTPORT:
		if (!(val & OUTPORT_RESET))
			vpc_request_stop(k->stop, VPC_STOP_REBOOT, 0, "i8042 output port reset");
		break;
	case KBC_WRITE_KBD_OBUF:
		kbc_push(k, val, false);
		break;
	case KBC_WRITE_AUX_OBUF:
		kbc_push(k, val, true);
		break;
	default:
		/* A byte for the keyboard (or, after 0xD4, the mouse): nobody is
		 * attached to answer it. */
		break;
	}
}

static int i8042_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct i8042 *k = dev;
	if (port == I8042_STATUS) {
		u8 s = I8042_STR_SYS * !!(k->ctr & I8042_CTR_SYS) | k->status_cmd |
		       I8042_STR_KEYLOCK;
		if (k->count) {
			s |= I8042_STR_OBF;
			if (k->outq_aux & (1u << k->head))
				s |= I8042_STR_AUXDATA;
		}
		*val = s; /* IBF is never set: we take every byte at once */
		return 0;
	}
	if (k->count) {
		*val = k->outq[k->head];
		k->head = (k->head + 1) % I8042_QUEUE;
		k->count--;
	} else {
		*val = 0x00;
	}
	kbc_update_irq(k);
	return 0;
}

static int i8042_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct i8042 *k = dev;
	if (port == I8042_STATUS) {
		k->status_cmd = I8042_STR_CMD;
		k->pending = 0;
		kbc_command(k, val);
	} else {
		k->status_cmd = 0;
		kbc_data(k, val);
	}
	kbc_update_irq(k);
	return 0;
}

const struct vdev_ops i8042_ops = { .in = i8042_in, .out = i8042_out };

/* ------------------------------------------------------ reset control */

#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04
#define RCR_FULL_RST 0x08

void reset_ctl_init(struct reset_ctl *r, struct vpc_stop *stop)
{
	r->value = 0;
	r->stop = stop;
}

static int rcr_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct reset_ctl *r = dev;
	*val = (port == RCR_PORT && size == 1) ? r->value : 0xffffffffu;
	return 0;
}

static int rcr_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct reset_ctl *r = dev;
	if (port != RCR_PORT || size != 1)
		return 0;
	u8 v = val & (RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST);
	if ((v & RCR_RST_CPU) && !(r->value & RCR_RST_CPU))
		vpc_request_stop(r->stop, VPC_STOP_REBOOT, 0, "0xcf9 reset control");
	r->value = v;
	return 0;
}

const struct vdev_ops reset_ctl_ops = { .in = rcr_in, .out = rcr_out };

/* --------------------------------------------------------- power port */

void power_port_init(struct power_port *p, struct vpc_stop *stop)
{
	p->stop = stop;
}

static int pwr_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	*val = 0;
	return 0;
}

static int pwr_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct power_port *p = dev;
	vpc_request_stop(p->stop, VPC_STOP_POWEROFF, val, "power port");
	return 0;
}

const struct vdev_ops power_port_ops = { .in = pwr_in, .out = pwr_out };
