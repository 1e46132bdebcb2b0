/*
 * vsched.c - the rules for sharing the one CPU among the guests' vCPUs.
 *
 * 1. A halted vCPU whose device event is due runs first (the earliest due
 *    first): it has an interrupt to take, and a guest waiting in HLT for
 *    its timer tick must not wait behind guests that merely compute.  A
 *    kicked vCPU (runnable, and a disk completion for it has come while
 *    another ran) is due the same way: its process may be the one the
 *    anticipatory disk scheduler is waiting for, and the disk idles
 *    only antic_expire (6 ms), less than a slice.
 * 2. Otherwise the running (not halted) vCPUs take turns, round robin,
 *    starting after the one that ran last.
 * 3. A vCPU runs until its slice ends or until another halted vCPU falls
 *    due, whichever is first (vsched_deadline()): a busy guest is
 *    preempted at the moment a halted one has something to do.
 *
 * The bound this gives: a halted guest whose event falls due at time t is
 * on the CPU by t + the hv's timer slack (MIN_TIMER_NS in guest.c) + one
 * exit's handling, unless other halted guests fell due at the same
 * moment or earlier and are still in line (each of those runs at most the
 * same slack before rule 3 preempts it again).  Slices bound only how
 * long busy guests wait for each other: (n - 1) slices at most.
 *
 * What it does not do: share fairly between a guest that halts and wakes
 * very often and a busy one.  The waker takes the CPU at every event it
 * asks for; the MIN_TIMER_NS floor in guest.c limits how often that is.
 */
#include "guest/vsched.h"

static bool due(const struct vsched_vcpu *c, u64 now)
{
	return !c->ended && (c->halted || c->kicked) && c->wake_ns <= now;
}

int vsched_pick(const struct vsched_vcpu *v, int n, int last, u64 now)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (due(&v[i], now) && (best < 0 || v[i].wake_ns < v[best].wake_ns))
			best = i;
	if (best >= 0)
		return best;
	/* Round robin: the first runnable one after `last`, `last` itself at
	 * the end of the circle. */
	int start = last < 0 ? n - 1 : last;
	for (int k = 1; k <= n; k++) {
		int i = (start + k) % n;
		if (!v[i].ended && !v[i].halted)
			return i;
	}
	return -1;
}

u64 vsched_next_wake(const struct vsched_vcpu *v, int n, int except)
{
	u64 next = VSCHED_NEVER;
	for (int i = 0; i < n; i++)
		if (i != except && !v[i].ended && (v[i].halted || v[i].kicked) &&
		    v[i].wake_ns < next)
			next = v[i].wake_ns;
	return next;
}

u64 vsched_deadline(const struct vsched_vcpu *v, int n, int run, u64 now, u64 slice_ns)
{
	u64 end = now + slice_ns;
	u64 wake = vsched_next_wake(v, n, run);
	/* An event already due makes the deadline `now`: the caller's timer
	 * floor then gives this vCPU a moment before the due one runs. */
	if (wake < end)
		end = wake < now ? now : wake;
	return end;
}
