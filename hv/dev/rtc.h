/*
 * rtc.h - the PC's CMOS real-time clock (Motorola MC146818A) at 0x70/0x71.
 *
 * Port 0x70 selects a register (bit 7 is the NMI mask of the PC, kept for
 * the glue), port 0x71 reads or writes it.  Registers 0x00-0x09 are the
 * clock (seconds, alarm seconds, minutes, alarm minutes, hours, alarm
 * hours, day of week, day of month, month, year), 0x0a-0x0d status A-D,
 * 0x32 the century (IBM convention), everything else plain NVRAM.
 *
 * The clock is "guest time plus an offset": rtc_init() is given the Unix
 * time at guest time 0, and a guest that sets the clock (status B SET bit,
 * as hwclock does) only moves the offset.  Fields are BCD or binary and
 * hours 24h or 12h per status B, as the guest chooses.
 *
 * Interrupts (IRQ 8): the update-ended, alarm and periodic flags of status C
 * are computed from time when read or when rtc_update() runs; IRQ 8 is high
 * while an enabled flag is set and drops when status C is read.  The alarm
 * is checked against the current second only, so the glue must call
 * rtc_update() by rtc_next_event_ns() while alarm or update interrupts are
 * enabled (Linux's rtc-cmos uses them for hwclock's "wait for a tick").
 * Status A's UIP bit is set in the 244 us before each update, as on the chip.
 */
#ifndef FORMICA_DEV_RTC_H
#define FORMICA_DEV_RTC_H

#include "dev/vdev.h"
#include "types.h"

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA 0x71
#define RTC_IRQ 8
#define RTC_NO_EVENT UINT64_MAX

#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80

struct rtc_time {
	u32 year, mon, mday, hour, min, sec, wday; /* wday: 1 = Sunday, as in register 6 */
};

struct rtc_cmos {
	u8 index;
	bool nmi_masked;  /* port 0x70 bit 7 */
	u8 ram[128];      /* NVRAM and the alarm registers */
	u8 reg_a, reg_b, reg_c;
	i64 offset_ns;    /* Unix time in ns = now_ns + offset_ns */
	struct rtc_time held; /* the clock while SET stops it */
	u64 last_eval_ns; /* guest time the flags were computed up to */
	int irq_level;
	struct irq_line irq;
};

/* unix_at_zero: the Unix time (seconds) the clock shows at guest time 0. */
void rtc_init(struct rtc_cmos *r, u64 unix_at_zero, const struct irq_line *irq);

/* Compute status C flags up to now_ns and drive IRQ 8. */
void rtc_update(struct rtc_cmos *r, u64 now_ns);

/* When rtc_update() should next run for an interrupt, or RTC_NO_EVENT. */
u64 rtc_next_event_ns(const struct rtc_cmos *r, u64 now_ns);

/* The time the clock shows at now_ns (for the log and tests). */
void rtc_now(const struct rtc_cmos *r, u64 now_ns, struct rtc_time *tm);

/* Civil time <-> Unix seconds (proleptic Gregorian, years >= 1970). */
u64 rtc_time_to_unix(const struct rtc_time *tm);
void rtc_unix_to_time(u64 secs, struct rtc_time *tm);

/* Ports 0x70-0x71 (VIO_F_8BIT). */
extern const struct vdev_ops rtc_ops;

#endif
