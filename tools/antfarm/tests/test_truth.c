/*
 * test_truth.c - the Table 1 ground-truth analyzer (tools/antfarm/truth.c).
 *
 * Three fixtures are real traces, cut from Debian 6.1.0-56-amd64 booted
 * bare in QEMU (afwork fork 2, afwork vforkexec 1, and a static program
 * with two pthreads run by afwork run), and one from 6.12.118 under Formica
 * with the CR3 events (tlb_flush, execve).  The rest are synthetic
 * sequences in the same text format, built by the helpers below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tools/antfarm/truth.h"

static const char *header[] = {
	"# tracer: nop\n",
	"#\n",
	"# entries-in-buffer/entries-written: 20/20   #P:1\n",
	"#\n",
	"#                                _-----=> irqs-off/BH-disabled\n",
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n",
	"#              | |         |   |||||     |         |\n",
};

static void feed(struct truth *t, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(truth_line(t, lines[i]), 0);
}

static struct truth_counts result(struct truth *t)
{
	struct truth_counts c;
	truth_result(t, &c);
	assert_int_equal(c.bad, 0);
	return c;
}

/* ------------------------------------------------------------ real traces */

static const char *fork2[] = {
	"          afwork-93      [000] d..2.     2.103737: sched_switch: prev_comm=afwork prev_pid=93 prev_prio=120 prev_state=R+ ==> next_comm=kcompactd0 next_pid=28 next_prio=120\n",
	"      kcompactd0-28      [000] d..2.     2.104681: sched_switch: prev_comm=kcompactd0 prev_pid=28 prev_prio=120 prev_state=S ==> next_comm=kworker/0:2 next_pid=49 next_prio=120\n",
	"     kworker/0:2-49      [000] d..2.     2.105545: sched_switch: prev_comm=kworker/0:2 prev_pid=49 prev_prio=120 prev_state=I ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.105587: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=ksoftirqd/0 next_pid=14 next_prio=120\n",
	"     ksoftirqd/0-14      [000] d..2.     2.105712: sched_switch: prev_comm=ksoftirqd/0 prev_pid=14 prev_prio=120 prev_state=S ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.105749: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=afwork next_pid=93 next_prio=120\n",
	"          afwork-93      [000] .....     2.107675: task_newtask: pid=94 comm=afwork clone_flags=1200000 oom_score_adj=0\n",
	"          afwork-93      [000] .....     2.107790: sched_process_fork: comm=afwork pid=93 child_comm=afwork child_pid=94\n",
	"          afwork-93      [000] d..2.     2.108374: sched_switch: prev_comm=afwork prev_pid=93 prev_prio=120 prev_state=S ==> next_comm=afwork next_pid=94 next_prio=120\n",
	"          afwork-94      [000] .....     2.109262: exit_mmap: mt_mod (____ptrval____), DESTROY\n",
	"\n",
	"          afwork-94      [000] .....     2.109343: sched_process_exit: comm=afwork pid=94 prio=120\n",
	"          afwork-94      [000] d..2.     2.109527: sched_switch: prev_comm=afwork prev_pid=94 prev_prio=120 prev_state=Z ==> next_comm=afwork next_pid=93 next_prio=120\n",
	"          afwork-93      [000] d..2.     2.111197: sched_switch: prev_comm=afwork prev_pid=93 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.111233: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=afwork next_pid=93 next_prio=120\n",
	"          afwork-93      [000] .....     2.111534: task_newtask: pid=95 comm=afwork clone_flags=1200000 oom_score_adj=0\n",
	"          afwork-93      [000] .....     2.111547: sched_process_fork: comm=afwork pid=93 child_comm=afwork child_pid=95\n",
	"          afwork-93      [000] d..2.     2.111779: sched_switch: prev_comm=afwork prev_pid=93 prev_prio=120 prev_state=S ==> next_comm=afwork next_pid=95 next_prio=120\n",
	"          afwork-95      [000] .....     2.112219: exit_mmap: mt_mod (____ptrval____), DESTROY\n",
	"\n",
	"          afwork-95      [000] .....     2.112237: sched_process_exit: comm=afwork pid=95 prio=120\n",
	"          afwork-95      [000] d..2.     2.112326: sched_switch: prev_comm=afwork prev_pid=95 prev_prio=120 prev_state=Z ==> next_comm=afwork next_pid=93 next_prio=120\n",
};

static void snapshot_kthreads(struct truth *t)
{
	static const int kt[] = { 2, 14, 15, 28, 49 };
	for (size_t i = 0; i < sizeof kt / sizeof kt[0]; i++)
		assert_int_equal(truth_task(t, kt[i], kt[i], 1), 0);
	assert_int_equal(truth_task(t, 1, 1, 0), 0);   /* init, a user task */
}

/* Fork only: each child is a process and an address space; the parent's
 * mm is loaded at window start (its own sched_switch is the first event),
 * kernel threads in between leave it loaded, and each child costs two
 * switches (to the child and back). */
static void test_real_fork(void **state)
{
	struct truth *t = truth_new(1);
	snapshot_kthreads(t);
	assert_int_equal(truth_task(t, 93, 93, 0), 0);
	feed(t, header, sizeof header / sizeof header[0]);
	feed(t, fork2, sizeof fork2 / sizeof fork2[0]);
	struct truth_counts c = result(t);
	assert_int_equal(c.proc_create, 2);
	assert_int_equal(c.as_create, 2);
	assert_int_equal(c.proc_exit, 2);
	assert_int_equal(c.as_exit, 2);
	assert_int_equal(c.exit_mmap, 2);
	assert_int_equal(c.as_exit_derived, 2);
	assert_int_equal(c.cs, 4);
	assert_int_equal(c.sched_switch, 12);
	assert_int_equal(c.fork, 2);
	assert_int_equal(c.exec, 0);
	assert_int_equal(c.kthread_create, 0);
	assert_int_equal(c.unknown, 0);
	assert_int_equal(c.events, 20);
	assert_int_equal(c.header, 1);
	assert_int_equal(c.lost, 0);
	truth_free(t);
}

static const char *vforkexec1[] = {
	"          afwork-97      [000] .....     2.225047: task_newtask: pid=98 comm=afwork clone_flags=4100 oom_score_adj=0\n",
	"          afwork-97      [000] .....     2.225078: sched_process_fork: comm=afwork pid=97 child_comm=afwork child_pid=98\n",
	"          afwork-97      [000] d..2.     2.225216: sched_switch: prev_comm=afwork prev_pid=97 prev_prio=120 prev_state=D ==> next_comm=afwork next_pid=98 next_prio=120\n",
	"            true-98      [000] d..2.     2.225835: sched_switch: prev_comm=afwork prev_pid=98 prev_prio=120 prev_state=R+ ==> next_comm=afwork next_pid=97 next_prio=120\n",
	"          afwork-97      [000] d..2.     2.226012: sched_switch: prev_comm=afwork prev_pid=97 prev_prio=120 prev_state=S ==> next_comm=afwork next_pid=98 next_prio=120\n",
	"            true-98      [000] .....     2.226795: sched_process_exec: filename=/bin/true pid=98 old_pid=98\n",
	"            true-98      [000] d..2.     2.227413: sched_switch: prev_comm=true prev_pid=98 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.227464: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=true next_pid=98 next_prio=120\n",
	"            true-98      [000] .....     2.229107: exit_mmap: mt_mod (____ptrval____), DESTROY\n",
	"\n",
	"            true-98      [000] .....     2.229142: sched_process_exit: comm=true pid=98 prio=120\n",
	"            true-98      [000] d..2.     2.229298: sched_switch: prev_comm=true prev_pid=98 prev_prio=120 prev_state=Z ==> next_comm=afwork next_pid=97 next_prio=120\n",
};

/* One vfork+exec, whole: one process, one address space (the exec's). */
static void assert_one_vfork_exec(const struct truth_counts *c)
{
	assert_int_equal(c->proc_create, 1);
	assert_int_equal(c->as_create, 1);
	assert_int_equal(c->exec, 1);
	assert_int_equal(c->proc_exit, 1);
	assert_int_equal(c->as_exit, 1);
	assert_int_equal(c->as_exit_derived, 1);
	assert_int_equal(c->unknown, 0);
}

/* vfork+exec: CLONE_VM|CLONE_VFORK (0x4100): a process but no address space
 * until the exec; switching between parent and the vfork child is no cs;
 * the exec loads the new mm (a cs without a sched_switch), and the switch
 * back to the parent is the second. */
static void test_real_vforkexec(void **state)
{
	struct truth *t = truth_new(1);
	snapshot_kthreads(t);
	assert_int_equal(truth_task(t, 97, 97, 0), 0);
	feed(t, vforkexec1, sizeof vforkexec1 / sizeof vforkexec1[0]);
	struct truth_counts c = result(t);
	assert_one_vfork_exec(&c);
	assert_int_equal(c.cs, 2);
	assert_int_equal(c.sched_switch, 6);
	assert_int_equal(c.header, 0);
	truth_free(t);
}

static const char *threads2[] = {
	"          afwork-100     [000] .....     2.297038: task_newtask: pid=101 comm=afwork clone_flags=1200000 oom_score_adj=0\n",
	"          afwork-100     [000] .....     2.297074: sched_process_fork: comm=afwork pid=100 child_comm=afwork child_pid=101\n",
	"          afwork-100     [000] d..2.     2.297295: sched_switch: prev_comm=afwork prev_pid=100 prev_prio=120 prev_state=S ==> next_comm=afwork next_pid=101 next_prio=120\n",
	"             thr-101     [000] .....     2.298392: exit_mmap: mt_mod (____ptrval____), DESTROY\n",
	"\n",
	"             thr-101     [000] .....     2.298997: sched_process_exec: filename=/bin/thr pid=101 old_pid=101\n",
	"             thr-101     [000] d..2.     2.299217: sched_switch: prev_comm=thr prev_pid=101 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.299259: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=thr next_pid=101 next_prio=120\n",
	"             thr-101     [000] .....     2.310214: task_newtask: pid=102 comm=thr clone_flags=3d0f00 oom_score_adj=0\n",
	"             thr-101     [000] .....     2.310227: sched_process_fork: comm=thr pid=101 child_comm=thr child_pid=102\n",
	"             thr-101     [000] d..2.     2.311187: sched_switch: prev_comm=thr prev_pid=101 prev_prio=120 prev_state=R+ ==> next_comm=kworker/0:2 next_pid=49 next_prio=120\n",
	"     kworker/0:2-49      [000] d..2.     2.311246: sched_switch: prev_comm=kworker/0:2 prev_pid=49 prev_prio=120 prev_state=I ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.311266: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=thr next_pid=101 next_prio=120\n",
	"             thr-101     [000] .....     2.311334: task_newtask: pid=103 comm=thr clone_flags=3d0f00 oom_score_adj=0\n",
	"             thr-101     [000] .....     2.311340: sched_process_fork: comm=thr pid=101 child_comm=thr child_pid=103\n",
	"             thr-101     [000] d..2.     2.312481: sched_switch: prev_comm=thr prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=thr next_pid=102 next_prio=120\n",
	"             thr-102     [000] d..2.     2.312902: sched_switch: prev_comm=thr prev_pid=102 prev_prio=120 prev_state=S ==> next_comm=thr next_pid=103 next_prio=120\n",
	"             thr-103     [000] d..2.     2.312959: sched_switch: prev_comm=thr prev_pid=103 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n",
	"          <idle>-0       [000] d..2.     2.315165: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=15 next_prio=120\n",
	"     rcu_preempt-15      [000] d..2.     2.315185: sched_switch: prev_comm=rcu_preempt prev_pid=15 prev_prio=120 prev_state=I ==> next_comm=thr next_pid=103 next_prio=120\n",
	"             thr-102     [000] d..2.     2.320346: sched_switch: prev_comm=thr prev_pid=102 prev_prio=120 prev_state=R+ ==> next_comm=thr next_pid=101 next_prio=120\n",
	"             thr-101     [000] d..2.     2.320544: sched_switch: prev_comm=thr prev_pid=101 prev_prio=120 prev_state=S ==> next_comm=thr next_pid=102 next_prio=120\n",
	"             thr-102     [000] .....     2.320562: sched_process_exit: comm=thr pid=102 prio=120\n",
	"             thr-102     [000] d..2.     2.320789: sched_switch: prev_comm=thr prev_pid=102 prev_prio=120 prev_state=X ==> next_comm=thr next_pid=103 next_prio=120\n",
	"             thr-103     [000] d..2.     2.320839: sched_switch: prev_comm=thr prev_pid=103 prev_prio=120 prev_state=R+ ==> next_comm=thr next_pid=101 next_prio=120\n",
	"             thr-101     [000] .....     2.321546: sched_process_exit: comm=thr pid=101 prio=120\n",
	"             thr-101     [000] d..2.     2.321579: sched_switch: prev_comm=thr prev_pid=101 prev_prio=120 prev_state=Z ==> next_comm=thr next_pid=103 next_prio=120\n",
	"             thr-103     [000] .....     2.323360: exit_mmap: mt_mod (____ptrval____), DESTROY\n",
	"\n",
	"             thr-103     [000] .....     2.323476: sched_process_exit: comm=thr pid=103 prio=120\n",
	"             thr-103     [000] d..2.     2.323672: sched_switch: prev_comm=thr prev_pid=103 prev_prio=120 prev_state=X ==> next_comm=afwork next_pid=100 next_prio=120\n",
};

/* Threads (clone_flags 0x3d0f00 = CLONE_VM|CLONE_THREAD|...): no process,
 * no address space, no cs between them; the process ends with its last
 * thread (103), not with the leader (101), which exits first. */
static void test_real_threads(void **state)
{
	struct truth *t = truth_new(1);
	snapshot_kthreads(t);
	assert_int_equal(truth_task(t, 100, 100, 0), 0);
	feed(t, threads2, sizeof threads2 / sizeof threads2[0]);
	struct truth_counts c = result(t);
	assert_int_equal(c.proc_create, 1);
	assert_int_equal(c.thread_create, 2);
	assert_int_equal(c.as_create, 2);   /* fork + exec */
	assert_int_equal(c.exec, 1);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.as_exit, 2);
	assert_int_equal(c.as_exit_derived, 2);
	assert_int_equal(c.cs, 3);   /* to the child, its exec, back to afwork */
	truth_free(t);
}

/* ------------------------------------------------------------ synthetic */

static double clock_s = 10.0;

static void ev(struct truth *t, int cpu, const char *comm, int pid, const char *fmt, ...)
{
	char args[256], line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	clock_s += 0.000011;
	snprintf(line, sizeof line, "%16s-%-7d [%03d] d..2. %12.6f: %s\n", comm, pid, cpu, clock_s,
		 args);
	assert_int_equal(truth_line(t, line), 0);
}

static void sw(struct truth *t, int cpu, int prev, int next)
{
	ev(t, cpu, "p", prev,
	   "sched_switch: prev_comm=p prev_pid=%d prev_prio=120 prev_state=S ==> "
	   "next_comm=n next_pid=%d next_prio=120", prev, next);
}

static void newtask(struct truth *t, int cpu, int parent, int child, unsigned long flags)
{
	ev(t, cpu, "p", parent, "task_newtask: pid=%d comm=p clone_flags=%lx oom_score_adj=0", child,
	   flags);
	ev(t, cpu, "p", parent, "sched_process_fork: comm=p pid=%d child_comm=p child_pid=%d", parent,
	   child);
}

static void exec(struct truth *t, int cpu, int pid, int old_pid)
{
	ev(t, cpu, "p", pid, "sched_process_exec: filename=/bin/true pid=%d old_pid=%d", pid, old_pid);
}

static void texit(struct truth *t, int cpu, int pid)
{
	ev(t, cpu, "p", pid, "sched_process_exit: comm=p pid=%d prio=120", pid);
}

#define FORK_FLAGS 0x1200011UL   /* CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD */
#define KTHREAD_FLAGS 0x800711UL /* kernel_thread(): CLONE_VM|CLONE_UNTRACED|FS|FILES */

/* The window marks afwork writes to trace_marker: only what lies between
 * them counts, but the state (who has which mm, what is loaded) is followed
 * from the first line, so the first switch inside is judged right. */
static void test_window_marks(void **state)
{
	struct truth *t = truth_new(0);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	assert_int_equal(truth_task(t, 70, 70, 0), 0);   /* a busy process */
	sw(t, 0, 50, 70);                                /* before the window */
	sw(t, 0, 70, 50);
	ev(t, 0, "afwork", 50, "tracing_mark_write: " TRUTH_MARK_START);
	newtask(t, 0, 50, 60, FORK_FLAGS);
	sw(t, 0, 50, 60);
	texit(t, 0, 60);
	sw(t, 0, 60, 50);
	ev(t, 0, "afwork", 50, "tracing_mark_write: " TRUTH_MARK_END);
	sw(t, 0, 50, 70);                                /* after it */
	newtask(t, 0, 70, 61, FORK_FLAGS);
	struct truth_counts c = result(t);
	assert_int_equal(c.proc_create, 1);
	assert_int_equal(c.as_create, 1);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.cs, 2);           /* 50 -> 60 -> 50, not the 70s */
	assert_int_equal(c.sched_switch, 2);
	assert_int_equal(c.events, 12);      /* every event line was read, marks included */
	truth_free(t);
}

/* fork + exec: two address spaces per process; without exit_mmap the
 * exits are derived (the exec ends the fork's copy, the exit the exec's). */
static void test_forkexec_derived(void **state)
{
	struct truth *t = truth_new(0);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	for (int i = 0; i < 3; i++) {
		int child = 60 + i;
		newtask(t, 0, 50, child, FORK_FLAGS);
		sw(t, 0, 50, child);
		exec(t, 0, child, child);
		texit(t, 0, child);
		sw(t, 0, child, 50);
	}
	struct truth_counts c = result(t);
	assert_int_equal(c.proc_create, 3);
	assert_int_equal(c.as_create, 6);
	assert_int_equal(c.proc_exit, 3);
	assert_int_equal(c.exit_mmap, -1);
	assert_int_equal(c.as_exit, 6);
	assert_int_equal(c.as_exit_derived, 6);
	assert_int_equal(c.cs, 9);   /* to the child, its exec, back: 3 each */
	truth_free(t);
}

/* kthreadd creates a kernel thread: counted apart, never a cs, its exit is
 * no process exit.  A kernel thread's child that execs (a usermode helper)
 * becomes a process and an address space at its exec. */
static void test_kthread(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 2, 2, 1), 0);
	assert_int_equal(truth_task(t, 40, 40, 1), 0);   /* a kworker */
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	sw(t, 0, 50, 2);
	newtask(t, 0, 2, 200, KTHREAD_FLAGS);
	sw(t, 0, 2, 200);
	texit(t, 0, 200);
	sw(t, 0, 200, 50);
	struct truth_counts c = result(t);
	assert_int_equal(c.kthread_create, 1);
	assert_int_equal(c.kthread_exit, 1);
	assert_int_equal(c.proc_create, 0);
	assert_int_equal(c.as_create, 0);
	assert_int_equal(c.proc_exit, 0);
	assert_int_equal(c.cs, 0);

	newtask(t, 0, 40, 201, KTHREAD_FLAGS);
	sw(t, 0, 50, 201);
	exec(t, 0, 201, 201);   /* loads its new mm */
	sw(t, 0, 201, 50);
	texit(t, 0, 201);
	c = result(t);
	assert_int_equal(c.kthread_create, 2);
	assert_int_equal(c.proc_create, 1);
	assert_int_equal(c.as_create, 1);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.as_exit_derived, 1);
	assert_int_equal(c.cs, 2);   /* the exec's load, back to 50 */
	truth_free(t);
}

/* Lazy TLB: A -> kworker -> A and A -> idle -> A write no CR3; A ->
 * kworker -> B does (1), and B -> idle -> A again (2). */
static void test_lazy_switch(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 40, 40, 1), 0);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	assert_int_equal(truth_task(t, 51, 51, 0), 0);
	sw(t, 0, 50, 40);
	sw(t, 0, 40, 50);
	sw(t, 0, 50, 0);
	sw(t, 0, 0, 50);
	struct truth_counts c = result(t);
	assert_int_equal(c.cs, 0);
	assert_int_equal(c.sched_switch, 4);
	sw(t, 0, 50, 40);
	sw(t, 0, 40, 51);
	sw(t, 0, 51, 0);
	sw(t, 0, 0, 50);
	c = result(t);
	assert_int_equal(c.cs, 2);
	truth_free(t);
}

/* Two threads of one process share an mm: switching between them is free,
 * also from the snapshot (threads listed before their leader). */
static void test_snapshot_threads(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 71, 70, 0), 0);
	assert_int_equal(truth_task(t, 70, 70, 0), 0);
	assert_int_equal(truth_task(t, 70, 70, 0), 0);   /* listed twice: ignored */
	sw(t, 0, 70, 71);
	sw(t, 0, 71, 70);
	texit(t, 0, 71);
	struct truth_counts c = result(t);
	assert_int_equal(c.cs, 0);
	assert_int_equal(c.proc_exit, 0);
	assert_int_equal(c.as_exit_derived, 0);
	texit(t, 0, 70);
	c = result(t);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.as_exit_derived, 1);
	truth_free(t);
}

/* A non-leader thread execs: the kernel kills the leader (its exit event
 * comes first) and the exec'ing thread takes over the leader's pid.  The
 * process lives on until that one exits. */
static void test_exec_by_thread(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 300, 300, 0), 0);
	newtask(t, 0, 300, 301, 0x3d0f00);
	texit(t, 0, 300);
	exec(t, 0, 300, 301);
	struct truth_counts c = result(t);
	assert_int_equal(c.thread_create, 1);
	assert_int_equal(c.proc_exit, 0);
	assert_int_equal(c.exec, 1);
	assert_int_equal(c.as_exit_derived, 1);
	texit(t, 0, 300);
	c = result(t);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.as_exit_derived, 2);
	truth_free(t);
}

/* Per CPU: CPU 1 starts with a kernel thread (loaded mm unknown), so its
 * first switch to a user task counts; CPU 0 starts in user task 50, whose
 * mm is loaded there. */
static void test_two_cpus(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 40, 40, 1), 0);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	assert_int_equal(truth_task(t, 51, 51, 0), 0);
	sw(t, 1, 40, 51);
	sw(t, 0, 50, 0);
	sw(t, 0, 0, 50);
	sw(t, 1, 51, 40);
	sw(t, 1, 40, 51);
	struct truth_counts c = result(t);
	assert_int_equal(c.cs, 1);
	truth_free(t);
}

/* Odd comms: dashes, digits and spaces before the pid; the record-tgid
 * column; no irq-info flags column. */
static void test_prefix_forms(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 77, 77, 0), 0);
	assert_int_equal(truth_task(t, 78, 78, 0), 0);
	assert_int_equal(truth_line(t, "      a-1 b-c-77      [002] d..2.   5.000001: sched_switch: "
				       "prev_comm=a-1 b-c prev_pid=77 prev_prio=120 prev_state=S ==> "
				       "next_comm=x next_pid=3 next_pid=78 next_prio=120"), 0);
	assert_int_equal(truth_line(t, "          afwork-78    (     78) [002] .....   5.000002: "
				       "task_newtask: pid=79 comm=pid=5 clone_flags=1200011 oom_score_adj=0"), 0);
	assert_int_equal(truth_line(t, "          afwork-79   [002]   5.000003: sched_process_exit: "
				       "comm=a pid=1 pid=79 prio=120"), 0);
	struct truth_counts c = result(t);
	assert_int_equal(c.unknown, 0);
	assert_int_equal(c.proc_create, 1);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.cs, 1);   /* 77 -> 78 on a fresh CPU loaded with 77 */
	truth_free(t);
}

/* Lost entries: from the header, or "[LOST N EVENTS]" lines, the larger. */
static void test_lost(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_line(t, "# entries-in-buffer/entries-written: 90/100   #P:4\n"), 0);
	struct truth_counts c = result(t);
	assert_int_equal(c.header, 1);
	assert_int_equal(c.lost, 10);
	assert_int_equal(truth_line(t, "CPU:1 [LOST 25 EVENTS]\n"), 0);
	c = result(t);
	assert_int_equal(c.lost, 25);
	truth_free(t);
}

/* Garbage is counted, not fatal; a task never seen is assumed a process. */
static void test_bad_and_unknown(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_line(t, "this is no trace line\n"), -1);
	assert_int_equal(truth_line(t, "            a-5     [000] d..2.   1.0: sched_switch: no arrow\n"), -1);
	struct truth_counts c;
	truth_result(t, &c);
	assert_int_equal(c.bad, 2);
	sw(t, 0, 0, 999);
	truth_result(t, &c);
	assert_int_equal(c.unknown, 2);   /* 999, and 5 from the bad line's prefix */
	assert_int_equal(c.cs, 1);
	truth_free(t);
}

/* A reused pid is a new task. */
static void test_pid_reuse(void **state)
{
	struct truth *t = truth_new(1);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	for (int i = 0; i < 2000; i++) {   /* also grows the task table */
		int child = 100 + i % 7;
		newtask(t, 0, 50, child, FORK_FLAGS);
		sw(t, 0, 50, child);
		texit(t, 0, child);
		sw(t, 0, child, 50);
	}
	for (int i = 0; i < 3000; i++)
		assert_int_equal(truth_task(t, 10000 + i, 10000 + i, i & 1), 0);
	struct truth_counts c = result(t);
	assert_int_equal(c.proc_create, 2000);
	assert_int_equal(c.proc_exit, 2000);
	assert_int_equal(c.as_exit_derived, 2000);
	assert_int_equal(c.cs, 4000);
	assert_int_equal(c.unknown, 0);
	truth_free(t);
}

/* ------------------------------------------------------------ CR3 events */

/* switch_mm_irqs_off()'s CR3 load, as x86 traces it, in task pid on cpu. */
static void cr3(struct truth *t, int cpu, int pid)
{
	ev(t, cpu, "p", pid, "tlb_flush: pages:-1 reason:flush on task switch (0)");
}

static void execve_enter(struct truth *t, int cpu, int pid)
{
	ev(t, cpu, "p", pid, "sys_execve(filename: 4a0f18, argv: 7ffd4b8c1e30, envp: 7ffd4b8c1f48)");
}

static void execve_return(struct truth *t, int cpu, int pid)
{
	ev(t, cpu, "p", pid, "sys_execve -> 0x0");
}

/* The case the model without CR3 events gets wrong (6.12's vfork+exec):
 * the parent, woken when the child's exec releases the shared mm, preempts
 * the child after activate_mm() loaded the new mm but before
 * sched_process_exec.  The child's switch-out is then a switch between two
 * address spaces, and so is its switch back in: 4 loads, where the model
 * says 2.  Its exit ends in init_mm (a load that is no cs). */
static void vfork_preempted(struct truth *t)
{
	newtask(t, 0, 50, 60, 0x4111);   /* CLONE_VM|CLONE_VFORK|SIGCHLD */
	sw(t, 0, 50, 60);                /* shared mm: no load */
	execve_enter(t, 0, 60);
	cr3(t, 0, 60);                   /* activate_mm(): 1 */
	sw(t, 0, 60, 50);
	cr3(t, 0, 60);                   /* back to the parent's mm: 2 */
	sw(t, 0, 50, 60);
	cr3(t, 0, 50);                   /* the child's new mm: 3 */
	exec(t, 0, 60, 60);
	execve_return(t, 0, 60);
	cr3(t, 0, 60);                   /* exit_mmap()'s flush: init_mm */
	ev(t, 0, "p", 60, "exit_mmap: mt_mod (____ptrval____), DESTROY");
	texit(t, 0, 60);
	sw(t, 0, 60, 50);
	cr3(t, 0, 60);                   /* the parent: 4 */
}

static void test_cr3_vfork_preempted(void **state)
{
	struct truth *t = truth_new(TRUTH_EV_EXIT_MMAP | TRUTH_EV_CR3);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	vfork_preempted(t);
	struct truth_counts c = result(t);
	assert_one_vfork_exec(&c);
	assert_int_equal(c.cs, 4);
	assert_int_equal(c.cr3_switch, 5);
	truth_free(t);

	/* The same lines without TRUTH_EV_CR3: the model's 2. */
	t = truth_new(TRUTH_EV_EXIT_MMAP);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	vfork_preempted(t);
	c = result(t);
	assert_int_equal(c.cs, 2);
	assert_int_equal(c.cr3_switch, -1);
	assert_int_equal(c.as_create, 1);
	truth_free(t);
}

/* An exiting task switched out after exit_mm() (its CPU already moved to
 * init_mm) and back in runs lazily: no CR3 load, no cs, though the task is
 * still a user task until sched_process_exit.  A switch to a kernel thread
 * loads nothing; a flush on return to the same mm after lazy TLB reloads
 * it: no cs either.  Shootdowns (reason 1..4) are no loads at all. */
static void test_cr3_lazy_and_exit(void **state)
{
	struct truth *t = truth_new(TRUTH_EV_EXIT_MMAP | TRUTH_EV_CR3);
	assert_int_equal(truth_task(t, 40, 40, 1), 0);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	newtask(t, 0, 50, 60, FORK_FLAGS);
	sw(t, 0, 50, 60);
	cr3(t, 0, 50);                   /* the child: 1 */
	cr3(t, 0, 60);                   /* exit_mmap()'s flush: init_mm */
	sw(t, 0, 60, 50);
	cr3(t, 0, 60);                   /* the parent: 2 */
	sw(t, 0, 50, 60);                /* the exiting child: lazy, no load */
	ev(t, 0, "p", 60, "exit_mmap: mt_mod (____ptrval____), DESTROY");
	texit(t, 0, 60);
	sw(t, 0, 60, 40);                /* a kernel thread: lazy */
	ev(t, 0, "p", 40, "tlb_flush: pages:1 reason:local shootdown (2)");
	sw(t, 0, 40, 50);
	cr3(t, 0, 40);                   /* stale TLB after lazy: reload, no cs */
	struct truth_counts c = result(t);
	assert_int_equal(c.cs, 2);
	assert_int_equal(c.cr3_switch, 4);
	assert_int_equal(c.proc_exit, 1);
	assert_int_equal(c.as_exit, 1);
	assert_int_equal(c.bad, 0);
	truth_free(t);
}

/* A failed execve (no sched_process_exec, the syscall returns an error)
 * leaves the task in its mm: a later load in it is not an exec's. */
static void test_cr3_failed_exec(void **state)
{
	struct truth *t = truth_new(TRUTH_EV_CR3);
	assert_int_equal(truth_task(t, 50, 50, 0), 0);
	assert_int_equal(truth_task(t, 51, 51, 0), 0);
	execve_enter(t, 0, 50);
	ev(t, 0, "p", 50, "sys_execve -> 0xfffffffffffffffe");
	cr3(t, 0, 50);                   /* not an exec's load: the kernel's */
	sw(t, 0, 50, 51);
	cr3(t, 0, 50);                   /* 1 */
	sw(t, 0, 51, 50);
	cr3(t, 0, 51);                   /* 2 */
	struct truth_counts c = result(t);
	assert_int_equal(c.cs, 2);
	assert_int_equal(c.exec, 0);
	assert_int_equal(c.as_create, 0);
	truth_free(t);
}

/* A real 6.12 trace (Debian 6.12.118+deb12-amd64 under Formica in Bochs,
 * afwork vforkexec 100 with AFWORK_DUMP, so the clock is the TSC): one
 * vfork+exec in which the parent, woken when the child's exec released the
 * shared mm, preempted the child (prev_state=R+, prev_comm still afwork)
 * after activate_mm() had loaded the new mm.  36 of the 100 iterations of
 * that run went like this.  The kernel's CR3 loads: the new mm (in the
 * child, in execve), the parent's (the switch to 126), the new mm again
 * (the switch from rcu_preempt back to 130), init_mm (exit_mmap()'s flush),
 * the parent's: 4 into user mms.  Formica inferred the same; the model
 * without CR3 events says 2. */
static const char *vforkexec612[] = {
	"          afwork-126     [000] .....   3343253401: task_newtask: pid=130 comm=afwork clone_flags=4100 oom_score_adj=0\n",
	"          afwork-126     [000] .....   3343254184: sched_process_fork: comm=afwork pid=126 child_comm=afwork child_pid=130\n",
	"          afwork-126     [000] d..2.   3343259300: sched_switch: prev_comm=afwork prev_pid=126 prev_prio=120 prev_state=R+ ==> next_comm=afwork next_pid=130 next_prio=120\n",
	"            true-130     [000] ...1.   3343264707: sys_execve(filename: 49a0fc, argv: 4c8100, envp: 7ffe2428f838)\n",
	"            true-130     [000] d..1.   3343450206: tlb_flush: pages:-1 reason:flush on task switch (0)\n",
	"            true-130     [000] d..2.   3343467900: sched_switch: prev_comm=afwork prev_pid=130 prev_prio=120 prev_state=R+ ==> next_comm=afwork next_pid=126 next_prio=120\n",
	"            true-130     [000] d..2.   3343496331: tlb_flush: pages:-1 reason:flush on task switch (0)\n",
	"          afwork-126     [000] d..2.   3343513753: sched_switch: prev_comm=afwork prev_pid=126 prev_prio=120 prev_state=S ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3343518217: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=afwork next_pid=130 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3343525102: tlb_flush: pages:-1 reason:flush on task switch (0)\n",
	"            true-130     [000] dN.3.   3343558145: tlb_flush: pages:1 reason:local mm shootdown (3)\n",
	"            true-130     [000] dN.1.   3343566972: tlb_flush: pages:-1 reason:local mm shootdown (3)\n",
	"            true-130     [000] d..2.   3343570366: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3343575554: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] .....   3343660637: sched_process_exec: filename=/bin/true pid=130 old_pid=130\n",
	"            true-130     [000] ...1.   3343661856: sys_execve -> 0x0\n",
	"            true-130     [000] d..2.   3343759864: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3343765311: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] d..2.   3343862965: tlb_flush: pages:1 reason:local mm shootdown (3)\n",
	"            true-130     [000] d..2.   3343956578: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3343961798: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] d..2.   3344070068: tlb_flush: pages:1 reason:local mm shootdown (3)\n",
	"            true-130     [000] d..2.   3344159399: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3344163724: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] d..1.   3344209430: tlb_flush: pages:2 reason:local mm shootdown (3)\n",
	"            true-130     [000] d..2.   3344359213: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3344363586: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] d..1.   3344504344: tlb_flush: pages:-1 reason:flush on task switch (0)\n",
	"            true-130     [000] d..2.   3344555760: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=R+ ==> next_comm=rcu_preempt next_pid=19 next_prio=120\n",
	"     rcu_preempt-19      [000] d..2.   3344560031: sched_switch: prev_comm=rcu_preempt prev_pid=19 prev_prio=120 prev_state=I ==> next_comm=true next_pid=130 next_prio=120\n",
	"            true-130     [000] .....   3344564523: exit_mmap: mt_mod 000000005478618a, DESTROY\n",
	"            true-130     [000] .....   3344565715: sched_process_exit: comm=true pid=130 prio=120\n",
	"            true-130     [000] d..2.   3344576531: sched_switch: prev_comm=true prev_pid=130 prev_prio=120 prev_state=Z ==> next_comm=afwork next_pid=126 next_prio=120\n",
	"            true-130     [000] d..2.   3344604896: tlb_flush: pages:-1 reason:flush on task switch (0)\n",
};

static void test_real_vforkexec_612(void **state)
{
	for (int cr3_events = 1; cr3_events >= 0; cr3_events--) {
		struct truth *t = truth_new(TRUTH_EV_EXIT_MMAP | (cr3_events ? TRUTH_EV_CR3 : 0));
		assert_int_equal(truth_task(t, 19, 19, 1), 0);   /* rcu_preempt */
		assert_int_equal(truth_task(t, 126, 126, 0), 0);
		feed(t, vforkexec612, sizeof vforkexec612 / sizeof vforkexec612[0]);
		struct truth_counts c = result(t);
		assert_one_vfork_exec(&c);
		assert_int_equal(c.sched_switch, 17);
		assert_int_equal(c.events, 34);
		assert_int_equal(c.cs, cr3_events ? 4 : 2);
		assert_int_equal(c.cr3_switch, cr3_events ? 5 : -1);
		truth_free(t);
	}
}

/* The TRUTH line's keys are an interface: compare it whole. */
static void test_format(void **state)
{
	struct truth_counts c;
	memset(&c, 0, sizeof c);
	c.proc_create = 1000;
	c.as_create = 2000;
	c.proc_exit = 1000;
	c.as_exit = 2000;
	c.cs = 2028;
	c.sched_switch = 7078;
	c.fork = 1000;
	c.exec = 1000;
	c.exit_mmap = 2000;
	c.as_exit_derived = 2000;
	c.cr3_switch = 3110;
	c.events = 13078;
	char buf[512];
	truth_format(&c, buf, sizeof buf);
	assert_string_equal(buf,
		"proc_create=1000 as_create=2000 proc_exit=1000 as_exit=2000 cs=2028 "
		"sched_switch=7078 kthread_create=0 thread_create=0 kthread_exit=0 fork=1000 "
		"exec=1000 exit_mmap=2000 as_exit_derived=2000 cr3_switch=3110 unknown=0 events=13078 "
		"bad=0 lost=0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_fork),
		cmocka_unit_test(test_real_vforkexec),
		cmocka_unit_test(test_real_threads),
		cmocka_unit_test(test_forkexec_derived),
		cmocka_unit_test(test_window_marks),
		cmocka_unit_test(test_kthread),
		cmocka_unit_test(test_lazy_switch),
		cmocka_unit_test(test_snapshot_threads),
		cmocka_unit_test(test_exec_by_thread),
		cmocka_unit_test(test_two_cpus),
		cmocka_unit_test(test_prefix_forms),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_bad_and_unknown),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_real_vforkexec_612),
		cmocka_unit_test(test_cr3_vfork_preempted),
		cmocka_unit_test(test_cr3_lazy_and_exit),
		cmocka_unit_test(test_cr3_failed_exec),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
