/*
 * vsched.h - which guest's virtual CPU runs next, and until when (pure).
 *
 * The run loop (hv/guest/guest.c) describes every guest as a struct
 * vsched_vcpu and asks vsched_pick() whom to run and vsched_deadline()
 * when that guest must give the CPU back.  Time is a parameter; nothing
 * here touches hardware, so the rules are unit-tested on the host
 * (hv/guest/tests/test_vsched.c).  The rules and the latency bound they
 * give are in vsched.c.
 */
#ifndef FORMICA_VSCHED_H
#define FORMICA_VSCHED_H
#include "types.h"

#define VSCHED_NEVER UINT64_MAX

struct vsched_vcpu {
	bool ended;  /* will never run again */
	bool halted; /* in HLT, waiting for a device event */
	bool kicked; /* not halted, but an interrupt it waits for has come
		      * (a disk completion): due like a halted one, at wake_ns */
	u64 wake_ns; /* halted or kicked: when its event is due (VSCHED_NEVER: none) */
};

/* The vCPU to run at time now; -1 if every live one is halted and none is
 * due (wait until vsched_next_wake()).  last: the one that ran last, or -1. */
int vsched_pick(const struct vsched_vcpu *v, int n, int last, u64 now);

/* The earliest wake_ns of the halted or kicked vCPUs other than `except` (-1: all). */
u64 vsched_next_wake(const struct vsched_vcpu *v, int n, int except);

/* When vCPU `run`, picked at time now, must give the CPU back: at the end
 * of its slice or when another halted vCPU falls due, whichever is first. */
u64 vsched_deadline(const struct vsched_vcpu *v, int n, int run, u64 now, u64 slice_ns);

#endif
