// truth.h - ground truth for Antfarm's Table 1, from the guest's own ftrace.
//
// The hypervisor infers processes from CR3 loads; this module counts what
// really happened, from the text of /sys/kernel/tracing/trace (Linux 6.1
// format, checked on Debian's 6.1.0-56-amd64).  It is pure: the caller
// feeds it the tasks that existed before the window (truth_task) and then
// the trace one line at a time (truth_line); it does no I/O, so the host
// unit tests (tests/test_truth.c) drive it with synthetic lines.
//
// Events it reads: task/task_newtask, sched/sched_process_fork,
// sched/sched_process_exec, sched/sched_process_exit, sched/sched_switch,
// mmap/exit_mmap, and with TRUTH_EV_CR3 tlb/tlb_flush and the execve and
// execveat system-call events.  Other events are counted in `events` and
// ignored.
//
// Definitions (what the README cites; "user task" = a task with a user mm,
// i.e. not a kernel thread and not the idle task pid 0):
//
//   proc_create    task_newtask without CLONE_THREAD (0x10000) whose creator
//                  (the task the event ran in) is a user task.  A vfork or
//                  clone(CLONE_VM) child is a new process too.  Also: a task
//                  created by a kernel thread that later execs (a usermode
//                  helper such as modprobe) is counted at its exec, since
//                  that is when it becomes a user process.
//   kthread_create task_newtask whose creator is a kernel thread (kthreadd
//                  or another kernel thread); the child is a kernel thread.
//   thread_create  task_newtask with CLONE_THREAD from a user task.
//   as_create      task_newtask without CLONE_VM (0x100) from a user task,
//                  plus every sched_process_exec (exec builds a new mm).
//   proc_exit      a process ends when the last task of its thread group
//                  exits (sched_process_exit of a user task brings the
//                  group's live count to 0).  For our single-threaded
//                  workloads this is one per process.  Exec by a non-leader
//                  thread (old_pid != pid) keeps the group alive.
//   kthread_exit   sched_process_exit of a kernel thread.
//   as_exit        the number of mmap/exit_mmap events (the mm's page tables
//                  are torn down) when the tracepoint exists (it does in
//                  6.1), else as_exit_derived.
//   as_exit_derived  counted from the task model: an mm ends when the last
//                  task using it exits or execs away from it.  It misses
//                  mms kept alive past the window by a kernel reference.
//   cs             switches between address spaces, as the paper's
//                  "Context Switch" column counts them: CR3 loads of a user
//                  mm other than the one loaded.  Per CPU we track the mm
//                  loaded in CR3.
//                  With TRUTH_EV_CR3 (x86), the kernel traces each of its
//                  CR3 loads (tlb_flush reason 0, from switch_mm_irqs_off())
//                  and the model only says which mm was loaded: right after
//                  a sched_switch, the next task's (none if it is a kernel
//                  thread: those never cause a load); in a task that is in
//                  execve(), its exec's new mm (activate_mm(), which comes
//                  well before sched_process_exec); else the kernel's own
//                  (a lazy CPU's TLB flush loads init_mm, e.g. in exit_mmap()
//                  of an exiting task).  A load of the mm already loaded (a
//                  flush after lazy TLB) is no cs.
//                  Without it (the fallback, and older fixtures): a
//                  sched_switch to a user task whose
//                  mm differs from the loaded one counts 1 and loads it.  A
//                  switch to a kernel thread or to idle (pid 0) keeps the
//                  loaded mm (lazy TLB: no CR3 write).  An exec loads the new
//                  mm on its CPU and counts 1 too: the CPU changes address
//                  space (the paper's Linux 2.6 fork+exec row has ~1000 more
//                  context switches than fork-only, one per exec).
//                  The fallback is wrong when a task is switched out
//                  between activate_mm() and sched_process_exec (6.12 does
//                  that to a third of vfork children: the parent, woken by
//                  exec_mm_release(), preempts the child), and when a task
//                  is switched back in after exit_mm() (lazily, with no CR3
//                  load).
//                  Before the first event on a CPU its loaded mm is unknown;
//                  the first event's current task, if it is a user task,
//                  tells it (that is how the task doing the tracing_on write
//                  gets its mm loaded at window start).  A switch to a user
//                  task while the loaded mm is still unknown counts.
//   sched_switch   raw number of sched_switch events.
//   cr3_switch     raw number of CR3 loads the kernel traced (tlb_flush with
//                  reason 0: to user mms, to init_mm, and reloads); -1
//                  without TRUTH_EV_CR3.
//   fork, exec, exit_mmap  raw event counts (exit_mmap -1: no such event).
//   unknown        tasks seen in the trace but neither in the snapshot nor
//                  created in it; they are assumed to be user processes with
//                  a private mm.  Should be 0.
//   bad            event lines that did not parse.  Should be 0.
//   lost           entries-written minus entries-in-buffer from the trace
//                  header (or the sum of "[LOST N EVENTS]" lines if larger).
//                  Must be 0, or the other counts are incomplete.
//
// mm identities: a pre-existing task's mm is its thread group's (tgid's);
// kernel threads (PF_KTHREAD 0x00200000 in /proc/PID/stat) have none.  A
// CLONE_VM child shares its creator's mm (a vfork child until its exec);
// any other new user task and every exec gets a fresh mm id.  Ids are never
// reused, unlike page-directory addresses.
#ifndef FORMICA_TRUTH_H
#define FORMICA_TRUTH_H

#include <stddef.h>

#define TRUTH_CLONE_VM     0x100UL
#define TRUTH_CLONE_THREAD 0x10000UL
#define TRUTH_PF_KTHREAD   0x00200000UL
#define TRUTH_MAX_CPUS     512

// Window marks afwork writes to tracefs's trace_marker right after turning
// tracing on and right before turning it off, each next to its mark-port
// write.  When the trace has them, the counts cover only the events between
// them, as the hypervisor's counters cover the span between its two marks;
// without them (a hand-made trace), the whole trace.  Task and mm state is
// followed through the whole trace either way.
#define TRUTH_MARK_START "formica-window-start"
#define TRUTH_MARK_END   "formica-window-end"

// The counts that describe what happened in the window (truth_result()
// takes them between the window marks); the others describe the trace.
#define TRUTH_WINDOW_COUNTS(X) X(proc_create) X(as_create) X(proc_exit) X(as_exit) \
	X(cs) X(sched_switch) X(kthread_create) X(thread_create) X(kthread_exit)   \
	X(fork) X(exec) X(exit_mmap) X(as_exit_derived) X(cr3_switch)

struct truth_counts {
	long proc_create, as_create, proc_exit, as_exit, cs, sched_switch;
	long kthread_create, thread_create, kthread_exit;
	long fork, exec, exit_mmap, as_exit_derived, cr3_switch;
	long unknown, events, bad, lost;
	int header;   // 1 if the entries-in-buffer/entries-written line was seen
};

struct truth;

// Which optional events the trace was made with (truth_new's argument).
#define TRUTH_EV_EXIT_MMAP 1u   // mmap/exit_mmap
#define TRUTH_EV_CR3       2u   // tlb/tlb_flush and syscalls/sys_{enter,exit}_execve
				// (and _execveat): count cs at the kernel's CR3 loads

// events: TRUTH_EV_* bits.  NULL if out of memory.
struct truth *truth_new(unsigned events);
void truth_free(struct truth *t);

// One task that exists before the window (from /proc/PID/task/TID).
// kthread: PF_KTHREAD was set.  0 ok, -1 bad arguments or out of memory.
int truth_task(struct truth *t, int pid, int tgid, int kthread);

// One line of /sys/kernel/tracing/trace (with or without its newline).
// 0: used or ignored (comments, blank lines, other events); -1: an event
// line that did not parse (also counted in `bad`) or out of memory.
int truth_line(struct truth *t, const char *line);

void truth_result(const struct truth *t, struct truth_counts *out);

// "proc_create=N as_create=N ... lost=N" (the keys above, one line, no
// newline) into buf; returns what snprintf returns.
int truth_format(const struct truth_counts *c, char *buf, size_t n);

#endif
