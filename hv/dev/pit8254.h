/*
 * pit8254.h - the Intel 8254 programmable interval timer and port 0x61.
 *
 * Three 16-bit down-counters clocked at 1.193182 MHz.  Channel 0's output
 * is IRQ0, channel 1 was DRAM refresh, channel 2's gate and output are wired
 * to port 0x61 (bit 0 = GATE2, bit 5 = OUT2), which is how Linux calibrates
 * the TSC: gate on, program channel 2 in mode 0, then either read the
 * counter back (quick_pit_calibrate) or poll OUT2 until it rises
 * (pit_calibrate_tsc).  Both work here exactly, counted from guest time.
 *
 * Nothing ticks: a channel remembers when it was loaded, and its counter
 * and output are computed from `now_ns` when someone looks.  The glue calls
 * pit_update(now) on every exit (or at least when pit_next_event_ns() is
 * due): each rising edge of OUT0 since the previous call becomes one pulse
 * on IRQ0.  If several periods went by unobserved, they are coalesced into
 * one interrupt (and counted), never replayed as a storm.
 *
 * Modelled: modes 0-5 (6 and 7 alias 2 and 3), binary and BCD counting,
 * LSB/MSB/LSB-then-MSB access, the counter latch command, the read-back
 * command (count and status), gates.  Not modelled: the one-CLK delay
 * between writing a count and the counter loading it, and mode 2/3's "new
 * count takes effect at the end of the current period" (a new count
 * restarts the channel at once; Linux writes the control word first anyway).
 */
#ifndef FORMICA_DEV_PIT8254_H
#define FORMICA_DEV_PIT8254_H

#include "dev/vdev.h"
#include "types.h"

#define PIT_HZ 1193182ull
#define PIT_PORT_CH0 0x40
#define PIT_PORT_CMD 0x43
#define PIT_PORT_61 0x61
#define PIT_NO_EVENT UINT64_MAX

/* Port 0x61 (NMI status and control), as on a PC/AT. */
#define PORT61_GATE2 0x01   /* timer 2 gate */
#define PORT61_SPKR 0x02    /* speaker data enable (AND with OUT2) */
#define PORT61_WMASK 0x0f   /* bits 2-3: parity/IOCHK check disable, stored */
#define PORT61_REFRESH 0x10 /* toggles every 15.085 us (refresh request) */
#define PORT61_OUT2 0x20    /* timer 2 output */

struct pit_channel {
	u8 mode;       /* 0-5 (6 and 7 stored as 2 and 3) */
	u8 mode_bits;  /* as programmed, for the status byte */
	u8 rw;         /* 1 = LSB, 2 = MSB, 3 = LSB then MSB */
	bool bcd;
	u16 count_reg; /* last count written (raw) */
	u32 count;     /* N as a number: 1..65536 (or 1..10000 in BCD) */
	bool armed;    /* a count has been written since the control word */
	bool counting; /* the counter element holds a count (modes 1/5: triggered) */
	bool null_count;
	bool gate;
	/* Time: elapsed ticks = base_ticks + (running ? ticks(now - start_ns) : 0). */
	bool running;
	u64 start_ns;
	u64 base_ticks;
	u64 irq_ticks; /* elapsed ticks at the last pit_update (channel 0) */
	/* Latches and byte flip-flops. */
	bool count_latched;
	bool latch_msb_next;
	u16 latched;
	bool status_latched;
	u8 status;
	bool read_msb_next;
	bool write_msb_next;
	u8 write_lsb;
};

struct pit8254 {
	struct pit_channel ch[3];
	u8 port61;            /* bits 0-3 as written */
	struct irq_line irq0;
	u64 irq0_pulses;      /* interrupts delivered */
	u64 irq0_coalesced;   /* periods folded into an earlier interrupt */
};

void pit_init(struct pit8254 *pit, const struct irq_line *irq0);

/* Deliver IRQ0 for OUT0 rising edges up to now_ns (at most one pulse). */
void pit_update(struct pit8254 *pit, u64 now_ns);

/* When channel 0's output next rises (absolute guest ns, <= now_ns if one
 * is already due), or PIT_NO_EVENT. */
u64 pit_next_event_ns(const struct pit8254 *pit, u64 now_ns);

/* For tests and the log: a channel's counter and OUT pin at now_ns. */
u16 pit_read_counter(const struct pit8254 *pit, unsigned ch, u64 now_ns);
int pit_out(const struct pit8254 *pit, unsigned ch, u64 now_ns);

/* Ports 0x40-0x43 (VIO_F_8BIT). */
extern const struct vdev_ops pit_ops;
/* Port 0x61 (VIO_F_8BIT). */
extern const struct vdev_ops pit_port61_ops;

#endif
