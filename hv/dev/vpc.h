/*
 * vpc.h - one guest's virtual PC: every legacy device on one I/O bus.
 *
 * This is the only device header the glue needs.  The glue owns a struct
 * vpc per guest (it holds pointers into itself: initialise it where it
 * will live and never copy it), and:
 *
 *   on an I/O instruction exit   vpc_io(pc, port, size, dir, &val, now)
 *                                (string/REP I/O: once per element);
 *                                VIO_UNHANDLED means nobody owns the port:
 *                                log it, reads already gave all-ones.
 *   on every exit, before entry  vpc_tick(pc, now), then
 *                                vpc_intr_decide(...) - see below.
 *   to bound the time in guest   vpc_next_event_ns(pc, now): program the
 *                                VMX-preemption timer (or any host timer)
 *                                to get an exit by then.
 *   on HLT                       vpc_hlt_decide(pc, rflags_if)
 *   after every exit             pc->stop.reason != VPC_RUNNING ends the
 *                                guest (log "ended=<vpc_stop_name>").
 *   on a triple-fault exit       vpc_request_stop(&pc->stop,
 *                                VPC_STOP_TRIPLE_FAULT, 0, "triple fault").
 *
 * Interrupt injection (the 8259's INT pin into the CPU): before each VM
 * entry call vpc_intr_decide() with the guest's RFLAGS.IF, whether the
 * interruptibility state blocks (STI or MOV SS blocking), and whether an
 * event is already being injected on this entry.  INJECT: write the
 * vector as an external interrupt into the VM-entry interruption-
 * information field (the PIC has already moved it to ISR) and clear
 * interrupt-window exiting.  WINDOW: set "interrupt-window exiting" in the
 * primary processor-based controls; that exit comes as soon as the guest
 * can take an interrupt, and the glue simply decides again.  NONE: clear
 * interrupt-window exiting.
 */
#ifndef FORMICA_DEV_VPC_H
#define FORMICA_DEV_VPC_H

#include "dev/misc.h"
#include "dev/pci_cfg.h"
#include "dev/pic8259.h"
#include "dev/pit8254.h"
#include "dev/rtc.h"
#include "dev/uart16550.h"
#include "dev/vdev.h"
#include "types.h"

#define VPC_NO_EVENT UINT64_MAX

struct vpc {
	struct vio_bus bus;
	struct pic8259 pic;
	struct pit8254 pit;
	struct uart16550 com1;
	struct rtc_cmos rtc;
	struct pci_cfg pci;
	struct i8042 kbc;
	struct post_port post;
	struct reset_ctl rcr;
	struct power_port power;
	struct vpc_stop stop;
	/* vpc_tick() has nothing to do before this guest time: the next timer
	 * event, found at the last tick that did work.  Only a port access can
	 * move an event earlier (a guest reprogramming the PIT or the RTC), so
	 * vpc_io() forgets it (0).  Why: the run loop ticks the devices before
	 * every VM entry, and most entries come long before the next timer
	 * edge; under an emulator each of the hv's instructions costs guest
	 * time, and working the PIT and RTC out again cost ~300 per entry. */
	u64 quiet_until_ns;
};

/*
 * Build the PC: COM1 at 0x3f8/IRQ 4 (output to emit(emit_ctx, byte)),
 * PICs, PIT, port 0x61, CMOS RTC showing rtc_unix_at_zero at guest time 0,
 * PCI host bridge, i8042, port 0x80, 0xcf9, power port 0x501.
 * Returns 0 or a negative VIO_ERR_* (a port map bug: cannot happen).
 */
int vpc_init(struct vpc *pc, u64 rtc_unix_at_zero, void (*emit)(void *ctx, u8 byte),
	     void *emit_ctx);

static inline int vpc_io(struct vpc *pc, u16 port, unsigned size, enum vio_dir dir, u32 *val,
			 u64 now_ns)
{
	pc->quiet_until_ns = 0; /* the access may reprogram a timer */
	return vio_dispatch(&pc->bus, port, size, dir, val, now_ns);
}

/* Let time-driven devices raise their interrupts up to now_ns. */
void vpc_tick(struct vpc *pc, u64 now_ns);

/* The next guest time a device wants vpc_tick(), or VPC_NO_EVENT. */
u64 vpc_next_event_ns(const struct vpc *pc, u64 now_ns);

enum vpc_intr_action {
	VPC_INTR_NONE = 0,   /* nothing to deliver */
	VPC_INTR_INJECT = 1, /* inject `vector` as an external interrupt now */
	VPC_INTR_WINDOW = 2, /* something pending, guest cannot take it: ask for an
				interrupt-window exit */
};

struct vpc_intr {
	enum vpc_intr_action action;
	u8 vector;
};

/*
 * guest_if: RFLAGS.IF.  blocked: interruptibility state has blocking by
 * STI or by MOV SS.  event_pending: this VM entry already injects an event
 * (e.g. re-injecting one that an exit interrupted).  INJECT acknowledges
 * the interrupt at the PIC; the glue must then inject it.
 */
struct vpc_intr vpc_intr_decide(struct vpc *pc, bool guest_if, bool blocked, bool event_pending);

enum vpc_hlt_action {
	VPC_HLT_WAKE = 0,  /* an interrupt is deliverable: resume (inject it) */
	VPC_HLT_SLEEP = 1, /* wait until vpc_next_event_ns() or new input, then tick */
	VPC_HLT_STOP = 2,  /* IF = 0: the CPU can never wake; pc->stop says HALTED */
};

enum vpc_hlt_action vpc_hlt_decide(struct vpc *pc, bool guest_if);

#endif
