/*
 * fcfs.c - first come, first served: the disk sees requests in arrival order.
 *
 * The baseline every other policy is measured against, and what a VMM that
 * passes guest requests straight through does.
 */
#include "types.h"
#include "sched.h"
#include "internal.h"

static int fcfs_choose(struct sched *s, u64 now, u64 *until)
{
	int i = sched_queue_oldest_any(s);
	return i >= 0 ? i : CHOOSE_EMPTY;
}

const struct sched_policy_ops sched_fcfs_ops = { .name = "fcfs", .choose = fcfs_choose };
