/*
 * pic8259.h - the PC's two cascaded Intel 8259A interrupt controllers.
 *
 * The master (ports 0x20/0x21) takes IRQ0-7, the slave (0xa0/0xa1) IRQ8-15
 * and signals the master on its IR2.  Device models drive lines with
 * pic_set_irq(); the glue asks pic_pending_vector() whether the INT pin is
 * up and, when it injects, calls pic_ack() - the INTA cycle - which moves
 * the request from IRR to ISR and returns the vector.  The guest ends the
 * interrupt with an EOI command (OCW2).
 *
 * Modelled (8259A datasheet): ICW1-ICW4 initialisation, IMR (OCW1), non-
 * specific/specific/rotating EOI and set-priority (OCW2), IRR/ISR reads and
 * poll mode and special mask mode (OCW3), automatic EOI and rotate-on-AEOI,
 * special fully nested mode on the master, edge and level triggering (ICW1
 * LTIM and the PIIX ELCR at 0x4d0/0x4d1), spurious IRQ7/IRQ15.
 * Not modelled: 8080/8085 mode and buffered mode (ICW4 bits 0, 2, 3): they
 * do not change what an x86 guest sees.
 */
#ifndef FORMICA_DEV_PIC8259_H
#define FORMICA_DEV_PIC8259_H

#include "dev/vdev.h"
#include "types.h"

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_DATA 0xa1
#define PIC_ELCR1 0x4d0
#define PIC_ELCR2 0x4d1
#define PIC_CASCADE_IRQ 2

struct pic8259_chip {
	u8 irr;          /* interrupt request register */
	u8 isr;          /* in-service register */
	u8 imr;          /* interrupt mask register (OCW1) */
	u8 lines;        /* current level of each IR input, for edge detection */
	u8 elcr;         /* PIIX edge/level control: 1 = level-triggered */
	u8 elcr_mask;    /* ELCR bits that exist (IRQ0-2, 8, 13 are edge-only) */
	u8 vector_base;  /* ICW2, T7-T3 */
	u8 priority_add; /* IR with the highest priority (rotation) */
	u8 init_step;    /* 0: operational; 2, 3, 4: expecting ICW2, 3, 4 */
	bool icw4_needed;   /* ICW1 IC4 */
	bool single;        /* ICW1 SNGL: no cascade, no ICW3 */
	bool ltim;          /* ICW1 LTIM: all inputs level-triggered */
	bool auto_eoi;      /* ICW4 AEOI */
	bool sfnm;          /* ICW4 SFNM: special fully nested mode */
	bool rotate_on_aeoi;
	bool special_mask;  /* OCW3 SMM */
	bool read_isr;      /* OCW3 RR/RIS: command port reads ISR (else IRR) */
	bool poll;          /* OCW3 P: next command-port read is a poll */
};

struct pic8259 {
	struct pic8259_chip chip[2]; /* [0] master, [1] slave */
	u64 spurious;                /* INTA with nothing to deliver */
};

/* The state a PC BIOS leaves behind: initialised, vectors 0x08 and 0x70,
 * every input masked, edge-triggered, normal EOI.  Guests reprogram it
 * (Linux does before it enables interrupts). */
void pic_init(struct pic8259 *pic);

/* Drive input irq (0-15) to level (0/1).  IRQ2 is the cascade and ignored. */
void pic_set_irq(struct pic8259 *pic, unsigned irq, int level);

/* An irq_line set() callback: ctx is the struct pic8259. */
void pic_irq_line_set(void *pic, unsigned irq, int level);

/* The vector the CPU would get if it took the interrupt now, or -1 when the
 * master's INT output is low. */
int pic_pending_vector(const struct pic8259 *pic);

/* The INTA cycle: returns the vector delivered and updates IRR/ISR.  With
 * nothing pending it returns the spurious vector (IRQ7's), as the chip does. */
int pic_ack(struct pic8259 *pic);

/* Ports 0x20-0x21 and 0xa0-0xa1 (register both ranges with VIO_F_8BIT). */
extern const struct vdev_ops pic_ops;
/* Ports 0x4d0-0x4d1 (VIO_F_8BIT). */
extern const struct vdev_ops pic_elcr_ops;

#endif
