/*
 * misc.h - the small fixed-function parts of a PC that Linux touches:
 * the POST port 0x80, the i8042 keyboard controller (which also holds the
 * CPU reset line), the PIIX reset control register at 0xcf9, and Formica's
 * power port.
 *
 * How a guest stops (enum vpc_stop_reason in vdev.h):
 *
 *   reboot    Linux's default x86 reboot sequence tries ACPI (there is none
 *             here), then the keyboard controller: command 0xFE on port 0x64
 *             pulses the reset line.  Writing the output port (0xD1) with
 *             bit 0 clear does the same.  "reboot=pci" uses 0xcf9 (bit 2
 *             rising = RST_CPU).  All three end the guest with REBOOT.
 *   poweroff  Without ACPI an x86-64 Linux has no way to remove power: its
 *             poweroff falls back to halting - every CPU ends in HLT with
 *             interrupts disabled (native_machine_halt -> stop_this_cpu).
 *             The glue recognises that state (HLT exit with RFLAGS.IF = 0)
 *             and ends the guest with HALTED.  For a guest that wants to
 *             say "power off, status N" explicitly there is the Formica
 *             power port: any write to port 0x501 (VPC_POWER_PORT) ends the
 *             guest with POWEROFF and code = the value written.  From Linux
 *             user space: write one byte at offset 0x501 of /dev/port.
 *             (0x501 is where QEMU's isa-debug-exit device lives by default,
 *             with the same meaning.)
 *   triple fault  the glue sees the exit and ends the guest.
 */
#ifndef FORMICA_DEV_MISC_H
#define FORMICA_DEV_MISC_H

#include "dev/vdev.h"
#include "types.h"

#define POST_PORT 0x80
#define I8042_DATA 0x60
#define I8042_STATUS 0x64 /* read: status, write: command */
#define RCR_PORT 0xcf9
#define VPC_POWER_PORT 0x501

/* ---- port 0x80: POST codes.  Writes are remembered (the last one is a
 * useful line in a crash report), reads return it. */
struct post_port {
	u8 last;
	u64 writes;
};
void post_init(struct post_port *p);
extern const struct vdev_ops post_ops; /* VIO_F_8BIT */

/* ---- the 8042 keyboard controller, with nothing plugged in.
 *
 * Enough of the controller answers for Linux's i8042 driver to find it and
 * move on quickly: self-test (0xAA -> 0x55), interface tests (0xAB, 0xA9
 * -> 0x00), the command byte (0x20 read, 0x60 write), port enable/disable
 * (0xA7/0xA8/0xAD/0xAE), output port (0xD0/0xD1), loopback writes to the
 * output buffer (0xD2 keyboard, 0xD3 aux), pulse output lines (0xF0-0xFF).
 * Bytes for the keyboard or mouse themselves (data port writes, 0xD4) get
 * no answer: no device is attached, so the driver's commands time out.
 * IRQ 1 / IRQ 12 follow the output buffer when the command byte enables
 * them, as on the chip. */
#define I8042_STR_OBF 0x01
#define I8042_STR_IBF 0x02
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08   /* last write was to the command port */
#define I8042_STR_KEYLOCK 0x10 /* 1 = not inhibited */
#define I8042_STR_AUXDATA 0x20
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40
#define I8042_QUEUE 8

struct i8042 {
	u8 ctr;           /* controller command byte */
	u8 status_cmd;    /* I8042_STR_CMD as last set */
	u8 pending;       /* command waiting for its data byte, 0 = none */
	u8 outq[I8042_QUEUE];
	u8 outq_aux;      /* bit i: outq[i] came from the aux port */
	u8 head, count;
	int irq1_level, irq12_level;
	struct irq_line irq1, irq12;
	struct vpc_stop *stop;
};
void i8042_init(struct i8042 *k, const struct irq_line *irq1, const struct irq_line *irq12,
		struct vpc_stop *stop);
extern const struct vdev_ops i8042_ops; /* 0x60 and 0x64, VIO_F_8BIT */

/* ---- reset control register (PIIX/ICH, port 0xcf9): bit 1 SYS_RST, bit 2
 * RST_CPU (0 -> 1 resets), bit 3 FULL_RST.  Reached through pci_cfg's
 * `legacy` hook, because 0xcf9 sits inside CONFIG_ADDRESS's dword. */
struct reset_ctl {
	u8 value;
	struct vpc_stop *stop;
};
void reset_ctl_init(struct reset_ctl *r, struct vpc_stop *stop);
extern const struct vdev_ops reset_ctl_ops;

/* ---- the Formica power port: any write powers the guest off. */
struct power_port {
	struct vpc_stop *stop;
};
void power_port_init(struct power_port *p, struct vpc_stop *stop);
extern const struct vdev_ops power_port_ops; /* any width */

#endif
