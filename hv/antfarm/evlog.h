/*
 * evlog.h - Antfarm's events as console lines, one key=value line each.
 *
 * The lines are for machines first (tools grep and split them) and people
 * second.  Every line starts with "ev " and then, always in this order:
 *
 *   tsc=N        host TSC ticks, decimal, when the event happened
 *   guest=NAME   the guest's name from formica.cfg
 *   event=KIND   create | exit | switch | exec | table_full | switches
 *
 * and then, by kind:
 *
 *   create      asid= gen= live= vcpu=
 *   exit        asid= gen= live= vcpu= cleared=
 *   switch      asid= gen= prev= prevgen= live= vcpu=
 *   exec        asid= gen= prev= prevgen= live= vcpu=
 *   table_full  asid= live= vcpu=
 *   switches    count= interval_us=
 *
 *   asid=0xH     the address space: guest-physical address of its PML4
 *   gen=N        how many times that root page was a process before
 *   live=N       processes alive after the event
 *   vcpu=N       the vCPU whose CR3 load showed the event
 *   prev=0xH     switch: the process switched away from (0x0: none, i.e.
 *                the kernel's root or an untracked one); exec: the address
 *                space the exec replaced
 *   prevgen=N    its generation
 *   cleared=N    exit: TSC when its last user PML4 entry was cleared; the
 *                gap to tsc= is the wait for the confirming TLB flush
 *   count=N      switches: context switches in the interval
 *   interval_us=N  switches: length of that interval; it ended at tsc=
 *
 * Four modes (formica.cfg "log"): verbose writes every event; summary
 * writes every event except switch (a Linux guest switches hundreds of
 * times a second: the console would be nothing else), whose counts are in
 * the guest's mark, progress and end lines; switches is summary plus one
 * "switches" line per interval (switches_ms) that had any, for plots over
 * time; counts writes only table_full (a warning that inference lost
 * track), for benchmarks: a guest forking 30 processes a second writes
 * ~12 KB/s of creations and exits, more than a 115200-baud UART carries,
 * and the hv would then spend guest time waiting for the console.
 *
 * Example (switches):
 *   ev tsc=5123456789 guest=linux1 event=create asid=0x1234000 gen=0 live=5 vcpu=0
 *   ev tsc=5423456789 guest=linux1 event=switches count=812 interval_us=100000
 */
#ifndef FORMICA_ANTFARM_EVLOG_H
#define FORMICA_ANTFARM_EVLOG_H

#include "types.h"
#include "antfarm/antfarm.h"

#define AF_LOG_NAME_LEN 32
#define AF_LOG_LINE_MAX 256 /* enough for the longest line, NUL included */

enum af_log_mode {
	AF_LOG_SUMMARY = 0,
	AF_LOG_VERBOSE = 1,
	AF_LOG_SWITCHES = 2,
	AF_LOG_COUNTS = 3,
};

struct af_log {
	char guest[AF_LOG_NAME_LEN];
	enum af_log_mode mode;
	u64 tsc_hz;
	u64 interval_tsc;   /* sample interval in TSC ticks */
	u64 interval_start; /* TSC at which the open interval began */
	u64 switches;       /* switches counted in the open interval */
};

/* interval_us: the summary interval (formica.cfg switches_ms * 1000). */
void af_log_init(struct af_log *lg, const char *guest, enum af_log_mode mode, u64 tsc_hz,
		 u64 interval_us, u64 now_tsc);

/*
 * Switches mode: if the open interval has ended by now_tsc, write its
 * "switches" line into buf and open the next interval.  Call it from a
 * periodic tick and before af_log_event(), so each switch is counted in the
 * interval it happened in.  Returns the line's length (with its '\n'), or 0
 * when there is nothing to write (another mode, interval still open, or no
 * switch in it).
 */
size_t af_log_tick(struct af_log *lg, u64 now_tsc, char *buf, size_t size);

/*
 * The line for one event, '\n'-terminated, NUL after it.  Returns its
 * length, or 0 for an event this mode does not write (a switch outside
 * verbose mode, anything but table_full in counts mode).  A buf shorter
 * than AF_LOG_LINE_MAX gets a truncated (still terminated) line.
 */
size_t af_log_event(struct af_log *lg, const struct af_event *ev, char *buf, size_t size);

/* TSC ticks to microseconds without overflow for any u64 tick count that
 * fits the result. */
u64 af_tsc_to_us(u64 ticks, u64 tsc_hz);

#endif
