/*
 * pit8254.c - the 8254 interval timer, computed from guest time.
 *
 * A channel's state is "loaded with N at time start_ns, gate allowing";
 * its counter value and OUT level are functions of the number of input
 * clocks since then, d.  For each mode (8254 datasheet, "Mode Definitions"):
 *
 *   mode 0  interrupt on terminal count: OUT low, rises when d reaches N.
 *   mode 1  hardware one-shot: like 0, but starts on a GATE rising edge.
 *   mode 2  rate generator: OUT high, low for the one clock where the count
 *           is 1; rises every N clocks.
 *   mode 3  square wave: OUT high for ceil(N/2) clocks, low for floor(N/2);
 *           rises every N clocks; the counter steps by two.
 *   mode 4  software strobe: OUT high, low for one clock at d = N.
 *   mode 5  hardware strobe: like 4, started by a GATE rising edge.
 *
 * Clock conversion uses only 64-bit integer arithmetic: a nanosecond count
 * is split into whole seconds and the remainder, so no product overflows
 * and no 128-bit division (libgcc's __udivti3) is needed in the hv.
 */
#include "dev/pit8254.h"
#include "string.h"

#define NSEC 1000000000ull
#define REFRESH_NS 15085 /* refresh request period on a PC/AT */

static u64 ns_to_ticks(u64 ns)
{
	return (ns / NSEC) * PIT_HZ + ((ns % NSEC) * PIT_HZ) / NSEC;
}

/* The smallest ns with ns_to_ticks(ns) >= t. */
static u64 ticks_to_ns_ceil(u64 t)
{
	return (t / PIT_HZ) * NSEC + ((t % PIT_HZ) * NSEC + PIT_HZ - 1) / PIT_HZ;
}

static u64 elapsed(const struct pit_channel *c, u64 now_ns)
{
	u64 d = c->base_ticks;
	if (c->running && now_ns > c->start_ns)
		d += ns_to_ticks(now_ns - c->start_ns);
	return d;
}

static u32 modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static u16 to_bcd(u32 v)
{
	return (u16)((v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) |
		     ((v / 1000 % 10) << 12));
}

static u32 from_bcd(u16 v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

/* The counter element's value after d clocks, as a number. */
static u32 value_at(const struct pit_channel *c, u64 d)
{
	u32 n = c->count, m = modulus(c);
	switch (c->mode) {
	case 2:
		return n - (u32)(d % n);
	case 3: {
		/* Steps by two, reloading at each half period; an odd N
		 * spends the extra clock in the high half. */
		u32 r = (u32)(d % n);
		u32 half = (n + 1) / 2;
		return r < half ? n - 2 * r : n - 2 * (r - half);
	}
	default: /* 0, 1, 4, 5: count down through zero and wrap */
		return (u32)((n + m - (u32)(d % m)) % m);
	}
}

static int out_at(const struct pit_channel *c, u64 d)
{
	/* Not counting (control word written, no count yet, or mode 1/5
	 * waiting for its trigger): OUT is low in mode 0, high otherwise. */
	if (!c->counting)
		return c->mode != 0;
	u32 n = c->count;
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		if (!c->gate)
			return 1;
		return (d % n) != n - 1;
	case 3:
		if (!c->gate)
			return 1;
		return (d % n) < (n + 1) / 2;
	default: /* 4, 5 */
		return d != n;
	}
}

/* Rising edges of OUT in (0, d]: what an edge-triggered IRQ0 would see. */
static u64 edges_upto(const struct pit_channel *c, u64 d)
{
	if (!c->counting)
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		return d >= c->count;
	case 2:
	case 3:
		return d / c->count;
	default:
		return d >= (u64)c->count + 1;
	}
}

/* The first edge position (in clocks) after d, or 0 if there is none. */
static u64 next_edge_after(const struct pit_channel *c, u64 d)
{
	if (!c->counting)
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		return d < c->count ? c->count : 0;
	case 2:
	case 3:
		return (d / c->count + 1) * c->count;
	default:
		return d < (u64)c->count + 1 ? (u64)c->count + 1 : 0;
	}
}

static void restart(struct pit_channel *c, u64 now_ns)
{
	c->counting = true;
	c->null_count = false;
	c->base_ticks = 0;
	c->start_ns = now_ns;
	c->irq_ticks = 0;
	/* Modes 0/4 count only while GATE is high; 2/3 stop when it is low.
	 * Modes 1/5 keep counting whatever GATE does after the trigger. */
	c->running = (c->mode == 1 || c->mode == 5) ? true : c->gate;
}

static void pause(struct pit_channel *c, u64 now_ns)
{
	c->base_ticks = elapsed(c, now_ns);
	c->running = false;
}

static void set_gate(struct pit_channel *c, bool gate, u64 now_ns)
{
	if (gate == c->gate)
		return;
	bool rising = gate;
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4:
		/* GATE low suspends counting; high resumes where it stopped. */
		if (!c->counting)
			break;
		if (rising) {
			c->start_ns = now_ns;
			c->running = true;
		} else {
			pause(c, now_ns);
		}
		break;
	case 1:
	case 5:
		if (rising && c->armed)
			restart(c, now_ns); /* trigger (or retrigger) */
		break;
	default: /* 2, 3: low stops the count and forces OUT high; high reloads */
		if (rising && c->armed)
			restart(c, now_ns);
		else if (!rising && c->counting)
			pause(c, now_ns);
		break;
	}
}

static void load_count(struct pit_channel *c, u16 raw, u64 now_ns)
{
	c->count_reg = raw;
	if (c->bcd) {
		c->count = from_bcd(raw);
		if (c->count == 0)
			c->count = 10000;
	} else {
		c->count = raw ? raw : 65536;
	}
	c->armed = true;
	c->null_count = true;
	if (c->mode == 1 || c->mode == 5) {
		c->counting = false; /* waits for a GATE rising edge */
		return;
	}
	restart(c, now_ns);
	if (!c->running && (c->mode == 2 || c->mode == 3))
		c->counting = c->gate; /* loads when GATE rises */
}

static u8 status_byte(const struct pit_channel *c, u64 now_ns)
{
	return (out_at(c, elapsed(c, now_ns)) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
	       (c->rw << 4) | (c->mode_bits << 1) | (c->bcd ? 1 : 0);
}

static u16 counter_now(const struct pit_channel *c, u64 now_ns)
{
	if (!c->counting)
		return c->count_reg;
	u32 v = value_at(c, elapsed(c, now_ns));
	if (c->bcd)
		return to_bcd(v % 10000);
	return (u16)v; /* 65536 reads as 0 */
}

static void latch_count(struct pit_channel *c, u64 now_ns)
{
	if (c->count_latched)
		return; /* a second latch before the first is read is ignored */
	c->latched = counter_now(c, now_ns);
	c->count_latched = true;
	c->latch_msb_next = (c->rw == 2);
}

void pit_init(struct pit8254 *pit, const struct irq_line *irq0)
{
	memset(pit, 0, sizeof(*pit));
	if (irq0)
		pit->irq0 = *irq0;
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &pit->ch[i];
		c->rw = 3;
		c->mode = c->mode_bits = 0;
		c->gate = (i != 2); /* channels 0 and 1 have GATE tied high */
	}
}

void pit_update(struct pit8254 *pit, u64 now_ns)
{
	struct pit_channel *c = &pit->ch[0];
	if (!c->counting)
		return;
	u64 d = elapsed(c, now_ns);
	if (d < c->irq_ticks)
		return;
	u64 n = edges_upto(c, d) - edges_upto(c, c->irq_ticks);
	c->irq_ticks = d;
	if (n) {
		pit->irq0_pulses++;
		pit->irq0_coalesced += n - 1;
		irq_line_pulse(&pit->irq0);
	}
}

u64 pit_next_event_ns(const struct pit8254 *pit, u64 now_ns)
{
	const struct pit_channel *c = &pit->ch[0];
	u64 e = next_edge_after(c, c->irq_ticks);
	if (!e)
		return PIT_NO_EVENT;
	if (e <= elapsed(c, now_ns))
		return now_ns; /* already happened, pit_update() not called yet */
	if (!c->running)
		return PIT_NO_EVENT;
	u64 t = c->start_ns + ticks_to_ns_ceil(e - c->base_ticks);
	return t < now_ns ? now_ns : t;
}

u16 pit_read_counter(const struct pit8254 *pit, unsigned ch, u64 now_ns)
{
	return counter_now(&pit->ch[ch], now_ns);
}

int pit_out(const struct pit8254 *pit, unsigned ch, u64 now_ns)
{
	const struct pit_channel *c = &pit->ch[ch];
	return out_at(c, elapsed(c, now_ns));
}

static void write_control(struct pit8254 *pit, u8 val, u64 now_ns)
{
	unsigned sc = val >> 6, rw = (val >> 4) & 3, m = (val >> 1) & 7;
	if (sc == 3) {
		/* Read-back: bit 5 clear = latch count, bit 4 clear = latch
		 * status, bits 1-3 select channels 0-2. */
		for (int i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			struct pit_channel *c = &pit->ch[i];
			if (!(val & 0x20))
				latch_count(c, now_ns);
			if (!(val & 0x10) && !c->status_latched) {
				c->status = status_byte(c, now_ns);
				c->status_latched = true;
			}
		}
		return;
	}
	struct pit_channel *c = &pit->ch[sc];
	if (rw == 0) {
		latch_count(c, now_ns);
		return;
	}
	/* A control word resets the channel: OUT goes to its initial level
	 * (low in mode 0, high otherwise) and counting stops until a count. */
	c->mode_bits = m;
	c->mode = m > 5 ? m - 4 : m;
	c->rw = rw;
	c->bcd = val & 1;
	c->armed = false;
	c->counting = false;
	c->running = false;
	c->null_count = true;
	c->count_latched = false;
	c->status_latched = false;
	c->read_msb_next = false;
	c->write_msb_next = false;
	c->base_ticks = 0;
	c->irq_ticks = 0;
}

static void write_counter(struct pit_channel *c, u8 val, u64 now_ns)
{
	switch (c->rw) {
	case 1:
		load_count(c, val, now_ns);
		break;
	case 2:
		load_count(c, (u16)(val << 8), now_ns);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
			/* Mode 0: writing the first byte stops the count and
			 * OUT goes low at once (datasheet, mode 0). */
			if (c->mode == 0 && c->counting) {
				c->counting = false;
				c->running = false;
			}
		} else {
			c->write_msb_next = false;
			load_count(c, (u16)(c->write_lsb | (val << 8)), now_ns);
		}
		break;
	}
}

static u8 read_counter(struct pit_channel *c, u64 now_ns)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		u8 v;
		if (c->rw == 3 && !c->latch_msb_next) {
			c->latch_msb_next = true;
			return c->latched & 0xff;
		}
		v = c->rw == 1 ? (c->latched & 0xff) : (c->latched >> 8);
		c->count_latched = false;
		return v;
	}
	u16 v = counter_now(c, now_ns);
	switch (c->rw) {
	case 1:
		return v & 0xff;
	case 2:
		return v >> 8;
	default:
		c->read_msb_next = !c->read_msb_next;
		return c->read_msb_next ? (v & 0xff) : (v >> 8);
	}
}

static int pit_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct pit8254 *pit = dev;
	unsigned i = port & 3;
	*val = i == 3 ? 0xff : read_counter(&pit->ch[i], now_ns); /* 0x43 is write-only */
	return 0;
}

static int pit_wr(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct pit8254 *pit = dev;
	unsigned i = port & 3;
	/* Deliver channel 0's edges under the old programming first. */
	pit_update(pit, now_ns);
	if (i == 3)
		write_control(pit, val, now_ns);
	else
		write_counter(&pit->ch[i], val, now_ns);
	return 0;
}

const struct vdev_ops pit_ops = { .in = pit_in, .out = pit_wr };

static int p61_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct pit8254 *pit = dev;
	u32 v = pit->port61 & PORT61_WMASK;
	if (pit_out(pit, 2, now_ns))
		v |= PORT61_OUT2;
	if ((now_ns / REFRESH_NS) & 1)
		v |= PORT61_REFRESH;
	*val = v;
	return 0;
}

static int p61_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct pit8254 *pit = dev;
	pit->port61 = val & PORT61_WMASK;
	set_gate(&pit->ch[2], val & PORT61_GATE2, now_ns);
	return 0;
}

const struct vdev_ops pit_port61_ops = { .in = p61_in, .out = p61_out };
