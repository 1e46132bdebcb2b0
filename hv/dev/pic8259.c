/*
 * pic8259.c - two cascaded 8259A programmable interrupt controllers.
 *
 * Each chip resolves priority among its requests the way the datasheet's
 * "priority resolver" does: the highest-priority unmasked IRR bit wins if
 * it outranks everything in service.  Priorities rotate (priority_add is
 * the IR that currently has the highest priority; after reset IR0).
 *
 * The cascade is computed rather than latched: the master's IR2 input is
 * the slave's INT output at the moment of asking.  Latching it as an edge
 * would lose a second slave interrupt that arrives while the first is in
 * service (the slave's output would stay high, no new edge), which is the
 * classic emulator bug.
 */
#include "dev/pic8259.h"
#include "string.h"

/* OCW2 commands, bits 7:5 (8259A datasheet, "Operation Command Words"). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SEL 0x10  /* command-port write with D4 = 1 is ICW1 */
#define OCW3_SEL 0x08  /* D4:D3 = 01 selects OCW3 */
#define OCW3_P 0x04
#define OCW3_RR 0x02
#define OCW3_RIS 0x01
#define OCW3_ESMM 0x40
#define OCW3_SMM 0x20
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10

static u8 level_mask(const struct pic8259_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* Priority level (0 = highest) of the best bit in `bits`, 8 if none. */
static int best_priority(u8 bits, u8 priority_add)
{
	if (!bits)
		return 8; /* the common case, before every VM entry: no request */
	for (int i = 0; i < 8; i++)
		if (bits & (1u << ((i + priority_add) & 7)))
			return i;
	return 8;
}

static int slave_irq(const struct pic8259 *pic);

/* Requests this chip sees, including the cascade input on the master. */
static u8 effective_irr(const struct pic8259 *pic, int which)
{
	const struct pic8259_chip *c = &pic->chip[which];
	u8 irr = c->irr;
	if (which == 0 && !c->single && slave_irq(pic) >= 0)
		irr |= 1u << PIC_CASCADE_IRQ;
	return irr;
}

/* The IR this chip would interrupt for now, or -1 (its INT output is low). */
static int chip_irq(const struct pic8259 *pic, int which)
{
	const struct pic8259_chip *c = &pic->chip[which];
	if (c->init_step)
		return -1;
	int req = best_priority(effective_irr(pic, which) & ~c->imr, c->priority_add);
	if (req == 8)
		return -1;
	u8 in_service = c->isr;
	/* Special mask mode: a masked level in service no longer blocks others. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested mode: the master lets a higher slave request
	 * through while another slave interrupt is in service. */
	if (which == 0 && c->sfnm)
		in_service &= ~(1u << PIC_CASCADE_IRQ);
	if (req >= best_priority(in_service, c->priority_add))
		return -1;
	return (req + c->priority_add) & 7;
}

static int slave_irq(const struct pic8259 *pic)
{
	return chip_irq(pic, 1);
}

static void chip_reset(struct pic8259_chip *c)
{
	/* ICW1 resets the edge-sense circuit: an edge input must rise again
	 * before it is recognised; level inputs keep requesting. */
	c->irr = c->lines & level_mask(c);
	c->isr = 0;
	c->imr = 0;
	c->priority_add = 0;
	c->auto_eoi = false;
	c->sfnm = false;
	c->rotate_on_aeoi = false;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
}

void pic_init(struct pic8259 *pic)
{
	memset(pic, 0, sizeof(*pic));
	for (int i = 0; i < 2; i++) {
		struct pic8259_chip *c = &pic->chip[i];
		chip_reset(c);
		c->imr = 0xff;
		c->icw4_needed = true;
	}
	pic->chip[0].vector_base = 0x08;
	pic->chip[1].vector_base = 0x70;
	/* PIIX ELCR: IRQ0, 1, 2 (master) and 8, 13 (slave) are always edge. */
	pic->chip[0].elcr_mask = 0xf8;
	pic->chip[1].elcr_mask = 0xde;
}

void pic_set_irq(struct pic8259 *pic, unsigned irq, int level)
{
	if (irq > 15 || irq == PIC_CASCADE_IRQ)
		return;
	struct pic8259_chip *c = &pic->chip[irq >> 3];
	u8 bit = 1u << (irq & 7);
	if (level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit; /* rising edge */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

void pic_irq_line_set(void *pic, unsigned irq, int level)
{
	pic_set_irq(pic, irq, level);
}

int pic_pending_vector(const struct pic8259 *pic)
{
	/* Asked before every VM entry, and nearly always no input that is
	 * not masked is requesting: then neither chip interrupts (the master
	 * sees the slave only through its cascade input). */
	if (!(pic->chip[0].irr & ~pic->chip[0].imr) && !(pic->chip[1].irr & ~pic->chip[1].imr))
		return -1;
	int m = chip_irq(pic, 0);
	if (m < 0)
		return -1;
	if (m == PIC_CASCADE_IRQ && !pic->chip[0].single) {
		int s = slave_irq(pic);
		if (s >= 0)
			return pic->chip[1].vector_base + s;
	}
	return pic->chip[0].vector_base + m;
}

/* What INTA does inside one chip for IR irq. */
static void chip_ack(struct pic8259_chip *c, int irq)
{
	u8 bit = 1u << irq;
	if (!(level_mask(c) & bit))
		c->irr &= ~bit; /* edge requests are consumed; level ones follow the line */
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= bit;
	}
}

int pic_ack(struct pic8259 *pic)
{
	struct pic8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq = chip_irq(pic, 0);
	if (irq < 0) {
		/* The request went away between INT and INTA: the 8259 answers
		 * with IR7's vector and sets no ISR bit. */
		pic->spurious++;
		return m->vector_base + 7;
	}
	if (irq == PIC_CASCADE_IRQ && !m->single) {
		int sirq = slave_irq(pic);
		chip_ack(m, PIC_CASCADE_IRQ);
		if (sirq < 0) {
			pic->spurious++;
			return s->vector_base + 7;
		}
		chip_ack(s, sirq);
		return s->vector_base + sirq;
	}
	chip_ack(m, irq);
	return m->vector_base + irq;
}

static void eoi(struct pic8259_chip *c, int irq, bool rotate)
{
	c->isr &= ~(1u << irq);
	if (rotate)
		c->priority_add = (irq + 1) & 7;
}

static void write_command(struct pic8259_chip *c, u8 val)
{
	if (val & ICW1_SEL) {
		chip_reset(c);
		c->icw4_needed = val & ICW1_IC4;
		c->single = val & ICW1_SNGL;
		c->ltim = val & ICW1_LTIM;
		c->irr = c->lines & level_mask(c);
		c->init_step = 2;
		return;
	}
	if (val & OCW3_SEL) {
		if (val & OCW3_P)
			c->poll = true;
		if (val & OCW3_RR)
			c->read_isr = val & OCW3_RIS;
		if (val & OCW3_ESMM)
			c->special_mask = val & OCW3_SMM;
		return;
	}
	int level = val & 7;
	int best;
	switch (val >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_aeoi = false;
		break;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = true;
		break;
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		best = best_priority(c->isr, c->priority_add);
		if (best < 8)
			eoi(c, (best + c->priority_add) & 7,
			    (val >> 5) == OCW2_ROTATE_NONSPECIFIC_EOI);
		break;
	case OCW2_SPECIFIC_EOI:
		eoi(c, level, false);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		eoi(c, level, true);
		break;
	case OCW2_SET_PRIORITY:
		c->priority_add = (level + 1) & 7;
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_data(struct pic8259_chip *c, u8 val)
{
	switch (c->init_step) {
	case 2: /* ICW2: T7-T3 of the vector */
		c->vector_base = val & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3: /* ICW3: cascade wiring, fixed on a PC (slave on IR2) */
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4: /* ICW4 */
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	default: /* OCW1 */
		c->imr = val;
		break;
	}
}

static u8 poll(struct pic8259 *pic, int which)
{
	struct pic8259_chip *c = &pic->chip[which];
	c->poll = false;
	int irq = chip_irq(pic, which);
	if (irq < 0)
		return 0x00;
	/* A poll is an INTA without the vector: the request goes in service. */
	chip_ack(c, irq);
	return 0x80 | irq;
}

static int pic_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct pic8259 *pic = dev;
	int which = (port & 0x80) ? 1 : 0;
	struct pic8259_chip *c = &pic->chip[which];
	if (port & 1)
		*val = c->imr;
	else if (c->poll)
		*val = poll(pic, which);
	else
		*val = c->read_isr ? c->isr : effective_irr(pic, which);
	return 0;
}

static int pic_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct pic8259 *pic = dev;
	struct pic8259_chip *c = &pic->chip[(port & 0x80) ? 1 : 0];
	if (port & 1)
		write_data(c, val);
	else
		write_command(c, val);
	return 0;
}

const struct vdev_ops pic_ops = { .in = pic_in, .out = pic_out };

static int elcr_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct pic8259 *pic = dev;
	*val = pic->chip[port & 1].elcr;
	return 0;
}

static int elcr_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct pic8259 *pic = dev;
	struct pic8259_chip *c = &pic->chip[port & 1];
	c->elcr = val & c->elcr_mask;
	/* A line that became level-triggered requests as long as it is high. */
	c->irr = (c->irr & ~level_mask(c)) | (c->lines & level_mask(c));
	return 0;
}

const struct vdev_ops pic_elcr_ops = { .in = elcr_in, .out = elcr_out };
