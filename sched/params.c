/*
 * params.c - the default tunables of each policy, and where each comes from.
 *
 * The anticipatory defaults are those of Linux's as-iosched (block/as-iosched.c,
 * 2.6.16 to 2.6.32, and Documentation/block/as-iosched.txt), converted from
 * jiffies at HZ=1000.  The deadline defaults are those of Linux's deadline and
 * mq-deadline schedulers (block/mq-deadline.c; Documentation/block/
 * deadline-iosched.rst).  See /work/shared/notes/anticipatory-scheduling.md.
 */
#include "types.h"
#include "string.h"
#include "sched.h"

#define MS SCHED_NS_PER_MS

void sched_default_params(enum sched_policy policy, struct sched_params *p)
{
	memset(p, 0, sizeof(*p));

	/* as-iosched: HZ/8 and HZ/4.  Reads are synchronous (a process waits
	 * for each), writes are not, hence the shorter read expiry. */
	p->read_expire = 125 * MS;
	p->write_expire = 250 * MS;
	/* as-iosched: HZ/2 of reads, then HZ/8 of writes if any wait. */
	p->read_batch_expire = 500 * MS;
	p->write_batch_expire = 125 * MS;
	/* as-iosched: HZ/150, "around 6ms": a few think times of a process
	 * that reads in a loop, well under one rotation plus a seek. */
	p->antic_expire = 6 * MS;
	/* as-iosched keeps think times up to 20 ms, so that one long pause
	 * (user input, a computation) does not swamp the decayed mean. */
	p->think_cap = 20 * MS;
	/* as-iosched's "close" request: 8192 sectors (4 MiB) ahead of the
	 * head, half that behind, the window doubling each ms of waiting. */
	p->close_ahead = 8192;
	p->close_behind = 4096;
	/* as-iosched: backward seeks of up to 1M sectors (512 MiB) are
	 * allowed and cost twice their distance; short backward seeks are
	 * cheap on a disk, long ones break the elevator's sweep. */
	p->max_back = 1024 * 1024;
	p->back_penalty = 2;

	/* deadline / mq-deadline: fifo_batch 16, writes_starved 2. */
	p->fifo_batch = 16;
	p->writes_starved = 2;

	if (policy == SCHED_DEADLINE) {
		/* deadline / mq-deadline: HZ/2 for reads, 5*HZ for writes. */
		p->read_expire = 500 * MS;
		p->write_expire = 5000 * MS;
	}
}
