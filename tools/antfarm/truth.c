// truth.c - count processes, address spaces and address-space switches
// from ftrace text.  Definitions in truth.h.
//
// The model: a table of tasks keyed by pid (open addressing; pids are
// reused, so an entry is simply overwritten by the next task_newtask of
// that pid), a reference count per mm id (live user tasks using it), and
// per CPU the mm currently loaded in CR3.
//
// Context switches are counted one of two ways.  With TRUTH_EV_CR3 the
// kernel says itself when it wrote CR3: switch_mm_irqs_off() traces every
// load as tlb_flush "reason: flush on task switch (0)", and the model only
// names the mm it loaded (the task just switched to, an exec's new mm, or
// the kernel's own).  Without it (older traces, other architectures), the
// model guesses the loads from sched_switch and sched_process_exec; that
// guess goes wrong where a task is switched out between its exec's
// activate_mm() and the sched_process_exec event (truth.h, "cs").
#include "truth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct task {
	int pid;        // key; 0 marks an empty slot (pid 0 is idle, never stored)
	int tgid;
	int mm;         // 0: none (kernel thread, or exited)
	int nthreads;   // in the group leader's entry: live tasks of the group
	int exec_mm;    // the mm an exec in progress has loaded (0: not yet)
	unsigned char used, kernel, alive, init;
	unsigned char in_exec;   // between sys_enter_execve(at) and the exec/return
};

struct truth {
	struct task *tab;   // hash table, cap a power of two, at most half full
	size_t cap, n;
	int *mmref;         // live user tasks per mm id; id 0 unused
	size_t nmm, mmcap;
	int loaded[TRUTH_MAX_CPUS];   // -1 unknown, else mm id (0: kernel's own)
	// If a CPU's last event was a sched_switch (else -1): the tasks it
	// switched from and to.  A CR3 load traced next, still in the task
	// switched from, is that switch's (switch_mm_irqs_off() runs before
	// switch_to()); one in the task switched to is not.
	int switched_from[TRUTH_MAX_CPUS], switched_to[TRUTH_MAX_CPUS];
	unsigned char seen[TRUTH_MAX_CPUS];
	long lost_hdr, lost_lines;
	int have_exit_mmap, have_cr3;
	struct truth_counts c;
	// The window, if the trace marks it (TRUTH_MARK_START/END lines): the
	// counts at its start, and at its end once seen.
	int started, ended;
	struct truth_counts at_start, at_end;
};

// ---------------------------------------------------------------- tables

static size_t slot(const struct truth *t, int pid)
{
	size_t i = ((uint32_t)pid * 2654435761u) & (t->cap - 1);
	while (t->tab[i].used && t->tab[i].pid != pid)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static struct task *find(struct truth *t, int pid)
{
	struct task *e = &t->tab[slot(t, pid)];
	return e->used ? e : NULL;
}

// Make room for k more entries now, so that pointers taken during one
// event stay valid (growing moves every entry).
static int reserve(struct truth *t, size_t k)
{
	if ((t->n + k) * 2 <= t->cap)
		return 0;
	struct task *old = t->tab;
	size_t oldcap = t->cap, ncap = t->cap;
	while ((t->n + k) * 2 > ncap)
		ncap *= 2;
	struct task *tab = calloc(ncap, sizeof *tab);
	if (!tab)
		return -1;
	t->tab = tab;
	t->cap = ncap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used)
			t->tab[slot(t, old[i].pid)] = old[i];
	free(old);
	return 0;
}

// The entry for pid, created empty (init = 0) if absent.  Call reserve first.
static struct task *get(struct truth *t, int pid)
{
	struct task *e = &t->tab[slot(t, pid)];
	if (!e->used) {
		memset(e, 0, sizeof *e);
		e->used = 1;
		e->pid = pid;
		t->n++;
	}
	return e;
}

static int new_mm(struct truth *t)
{
	if (t->nmm + 1 >= t->mmcap) {
		size_t ncap = t->mmcap ? t->mmcap * 2 : 256;
		int *m = realloc(t->mmref, ncap * sizeof *m);
		if (!m)
			return -1;
		memset(m + t->mmcap, 0, (ncap - t->mmcap) * sizeof *m);
		t->mmref = m;
		t->mmcap = ncap;
	}
	return (int)++t->nmm;
}

static void mm_get(struct truth *t, int mm)
{
	if (mm > 0)
		t->mmref[mm]++;
}

static void mm_put(struct truth *t, int mm)
{
	if (mm > 0 && t->mmref[mm] > 0 && --t->mmref[mm] == 0)
		t->c.as_exit_derived++;
}

struct truth *truth_new(unsigned events)
{
	struct truth *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cap = 1024;
	t->tab = calloc(t->cap, sizeof *t->tab);
	if (!t->tab) {
		free(t);
		return NULL;
	}
	for (int i = 0; i < TRUTH_MAX_CPUS; i++)
		t->loaded[i] = t->switched_from[i] = t->switched_to[i] = -1;
	t->have_exit_mmap = (events & TRUTH_EV_EXIT_MMAP) != 0;
	t->have_cr3 = (events & TRUTH_EV_CR3) != 0;
	return t;
}

void truth_free(struct truth *t)
{
	if (!t)
		return;
	free(t->tab);
	free(t->mmref);
	free(t);
}

// The group leader's entry, set up on first use: the snapshot may list a
// thread before its leader.
static struct task *leader(struct truth *t, int tgid, int kernel)
{
	struct task *l = get(t, tgid);
	if (!l->init) {
		l->init = 1;
		l->tgid = tgid;
		l->kernel = kernel;
		l->mm = kernel ? 0 : new_mm(t);
	}
	return l;
}

int truth_task(struct truth *t, int pid, int tgid, int kthread)
{
	if (pid <= 0 || tgid <= 0 || reserve(t, 2) < 0)
		return -1;
	struct task *l = leader(t, tgid, kthread);
	if (l->mm < 0)
		return -1;
	struct task *e = get(t, pid);
	if (e->alive)
		return 0;   // listed twice
	e->init = 1;
	e->tgid = tgid;
	e->kernel = kthread != 0;
	e->mm = l->mm;
	e->alive = 1;
	l->nthreads++;
	mm_get(t, e->mm);
	return 0;
}

// A task that the trace mentions but nobody told us about: assume a
// single-threaded user process with a private mm, and say so in `unknown`.
static struct task *known(struct truth *t, int pid)
{
	struct task *e = find(t, pid);
	if (e && e->init)
		return e;
	if (reserve(t, 1) < 0)
		return NULL;
	e = get(t, pid);
	e->init = 1;
	e->tgid = pid;
	e->kernel = 0;
	e->alive = 1;
	e->nthreads = 1;
	e->mm = new_mm(t);
	if (e->mm < 0)
		return NULL;
	mm_get(t, e->mm);
	t->c.unknown++;
	return e;
}

// ---------------------------------------------------------------- parsing

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

// The prefix "  COMM-PID  [CPU] FLAGS  TIMESTAMP: EVENT: ARGS".  COMM may
// hold spaces and dashes, so look for the first "-DIGITS  [DIGITS]" (with an
// optional "(TGID)" column between, as the record-tgid option prints).
// System-call events print differently: "sys_execve(filename: ...)" on
// entry, "sys_execve -> 0x0" on return.
enum ev_form { EV_PLAIN, EV_SYS_ENTER, EV_SYS_EXIT };

struct ev {
	int pid, cpu;
	enum ev_form form;
	const char *name;
	size_t namelen;
	const char *args;
};

#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

static int parse_prefix(const char *line, struct ev *e)
{
	for (const char *d = strchr(line, '-'); d; d = strchr(d + 1, '-')) {
		const char *p = d + 1;
		if (!is_digit(*p))
			continue;
		long pid = strtol(p, (char **)&p, 10);
		if (*p != ' ')
			continue;
		p = skip_sp(p);
		if (*p == '(') {
			const char *q = strchr(p, ')');
			if (!q)
				continue;
			p = skip_sp(q + 1);
		}
		if (*p != '[' || !is_digit(p[1]))
			continue;
		long cpu = strtol(p + 1, (char **)&p, 10);
		if (*p != ']')
			continue;
		p = skip_sp(p + 1);
		// FLAGS (absent without irq-info), then TIMESTAMP ending in ':'
		const char *tok = p;
		while (*p && *p != ' ')
			p++;
		if (p == tok)
			return -1;
		if (p[-1] != ':') {
			p = skip_sp(p);
			tok = p;
			while (*p && *p != ' ')
				p++;
			if (p == tok || p[-1] != ':')
				return -1;
		}
		p = skip_sp(p);
		e->pid = (int)pid;
		e->cpu = (int)cpu;
		e->name = p;
		size_t id = strspn(p, IDENT_CHARS);
		if (id && p[id] == '(') {
			e->form = EV_SYS_ENTER;
			e->namelen = id;
			e->args = p + id;
			return 0;
		}
		if (id && strncmp(p + id, " -> ", 4) == 0) {
			e->form = EV_SYS_EXIT;
			e->namelen = id;
			e->args = p + id + 4;
			return 0;
		}
		const char *colon = strchr(p, ':');
		if (!colon || colon == p)
			return -1;
		e->form = EV_PLAIN;
		e->namelen = (size_t)(colon - p);
		e->args = colon[1] == ' ' ? colon + 2 : colon + 1;
		return 0;
	}
	return -1;
}

static int is_event(const struct ev *e, const char *name)
{
	return strlen(name) == e->namelen && memcmp(e->name, name, e->namelen) == 0;
}

// The value of the last "KEY=" in [s, end) that starts s or follows a
// space.  The last one, because a comm printed before it may contain
// anything, the key included; the fields we want come after the comms.
static int field(const char *s, const char *end, const char *key, int base, unsigned long *val)
{
	size_t kl = strlen(key);
	const char *hit = NULL;
	for (const char *p = s; p + kl <= end; p++)
		if ((p == s || p[-1] == ' ') && memcmp(p, key, kl) == 0)
			hit = p + kl;
	if (!hit || hit >= end)
		return -1;
	char *q;
	if (base == 10 && *hit == '-')
		return -1;   // no negative pids here
	unsigned long v = strtoul(hit, &q, base);
	if (q == hit)
		return -1;
	*val = v;
	return 0;
}

// ---------------------------------------------------------------- events

static void on_newtask(struct truth *t, struct task *cur, int child, unsigned long flags)
{
	// A reused pid: overwrite the dead task.  (A pid is not reused while
	// it names a live thread group: the zombie leader holds it.)
	struct task *e = get(t, child);
	memset(e, 0, sizeof *e);
	e->used = 1;
	e->init = 1;
	e->pid = child;
	e->alive = 1;
	if (cur->kernel) {
		t->c.kthread_create++;
		e->kernel = 1;
		e->tgid = child;
		e->nthreads = 1;
		return;
	}
	if (flags & TRUTH_CLONE_THREAD) {
		t->c.thread_create++;
		e->tgid = cur->tgid;
		struct task *l = find(t, cur->tgid);
		if (l)
			l->nthreads++;
	} else {
		t->c.proc_create++;
		e->tgid = child;
		e->nthreads = 1;
	}
	if (flags & TRUTH_CLONE_VM) {
		e->mm = cur->mm;
	} else {
		e->mm = new_mm(t);
		t->c.as_create++;
	}
	mm_get(t, e->mm);
}

// The mm an exec builds, given to e once: at the CR3 load of activate_mm()
// (TRUTH_EV_CR3) or else at sched_process_exec.
static int exec_new_mm(struct truth *t, struct task *e)
{
	if (!e->exec_mm) {
		mm_put(t, e->mm);
		e->mm = e->exec_mm = new_mm(t);
		mm_get(t, e->mm);
	}
	return e->mm;
}

static void on_exec(struct truth *t, int cpu, int pid, int old_pid)
{
	struct task *e = known(t, old_pid);
	if (!e)
		return;
	if (old_pid != pid) {
		// A non-leader thread exec'd and takes over the leader's pid; the
		// leader's entry keeps the group's live count.
		struct task *l = get(t, pid);
		int nthreads = l->nthreads;
		*l = *e;
		l->pid = pid;
		l->nthreads = nthreads;
		e->alive = 0;
		e->mm = 0;
		e = l;
	}
	t->c.exec++;
	t->c.as_create++;
	if (e->kernel) {
		// A usermode helper: a kernel thread's child becoming a process.
		e->kernel = 0;
		t->c.proc_create++;
	}
	int counted = t->have_cr3 && e->exec_mm;
	exec_new_mm(t, e);
	e->exec_mm = 0;
	e->in_exec = 0;
	if (counted)
		return;   // its CR3 load was seen (on_cr3_load) and counted there
	// activate_mm() loads the new mm on this CPU: the CPU changes address
	// space, a context switch in the paper's sense (its Linux 2.6 fork+exec
	// row has ~1000 more than fork-only), though no sched_switch happens.
	// Without TRUTH_EV_CR3 the model puts that load here, at the event; in
	// fact it came earlier, before the new program was loaded.
	t->loaded[cpu] = e->mm;
	t->c.cs++;
}

static void on_task_exit(struct truth *t, int pid)
{
	struct task *e = known(t, pid);
	if (!e || !e->alive)
		return;
	e->alive = 0;
	if (e->kernel) {
		t->c.kthread_exit++;
		return;
	}
	mm_put(t, e->mm);
	e->mm = 0;
	struct task *l = find(t, e->tgid);
	if (l && l->nthreads > 0 && --l->nthreads == 0)
		t->c.proc_exit++;
}

static void on_switch(struct truth *t, int cpu, int prev, int next)
{
	t->c.sched_switch++;
	if (t->have_cr3) {
		t->switched_from[cpu] = prev;   // its CR3 load, if any, is traced next
		t->switched_to[cpu] = next;
		return;
	}
	if (next == 0)
		return;   // idle: lazy TLB, the loaded mm stays
	struct task *e = known(t, next);
	if (!e || !e->alive || e->kernel || e->mm <= 0)
		return;   // kernel thread: lazy TLB too
	if (t->loaded[cpu] != e->mm) {
		t->c.cs++;
		t->loaded[cpu] = e->mm;
	}
}

// switch_mm_irqs_off() wrote CR3 on cpu (TRUTH_EV_CR3), in task pid (cur).
// Which mm it loaded: the next task's, if the load belongs to the
// sched_switch traced just before it (to_pid); the new mm, if cur is in an
// exec (activate_mm()); else the kernel's own (a lazy CPU's TLB flush
// switching to init_mm, as in exit_mmap(); text_poke's temporary mm and a
// kernel-started helper's exec, which makes no execve system call, land
// here too).  A cs is a load of a user mm other than the one loaded.
static void on_cr3_load(struct truth *t, int cpu, int pid, struct task *cur, int to_pid)
{
	int mm = 0;
	t->c.cr3_switch++;
	if (to_pid >= 0) {
		struct task *n = to_pid ? find(t, to_pid) : NULL;
		if (n && n->alive && !n->kernel && n->mm > 0)
			mm = n->mm;
	} else if (pid && cur && cur->alive && !cur->kernel && cur->in_exec && !cur->exec_mm) {
		mm = exec_new_mm(t, cur);
	}
	if (mm > 0 && mm != t->loaded[cpu])
		t->c.cs++;
	t->loaded[cpu] = mm;
}

static int is_execve(const struct ev *e)
{
	return is_event(e, "sys_execve") || is_event(e, "sys_execveat");
}

static int header_line(struct truth *t, const char *line)
{
	const char *p = strstr(line, "entries-in-buffer/entries-written:");
	if (!p)
		return 0;
	p += strlen("entries-in-buffer/entries-written:");
	char *q;
	long inbuf = strtol(p, &q, 10);
	if (q == p || *q != '/')
		return -1;
	p = q + 1;
	long written = strtol(p, &q, 10);
	if (q == p)
		return -1;
	t->c.header = 1;
	t->lost_hdr = written - inbuf;
	return 0;
}

int truth_line(struct truth *t, const char *line)
{
	const char *s = skip_sp(line);
	if (*s == '\0' || *s == '\n' || *s == '\r')
		return 0;   // exit_mmap's format ends in "\n": a blank line follows
	if (*s == '#')
		return header_line(t, s);
	if (strncmp(s, "CPU:", 4) == 0) {
		// "CPU:1 [LOST 123 EVENTS]" where the ring buffer overran
		const char *p = strstr(s, "[LOST ");
		if (p)
			t->lost_lines += strtol(p + 6, NULL, 10);
		return 0;
	}
	struct ev e;
	if (parse_prefix(s, &e) < 0 || e.cpu < 0 || e.cpu >= TRUTH_MAX_CPUS) {
		t->c.bad++;
		return -1;
	}
	const char *end = e.args + strlen(e.args);
	while (end > e.args && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	t->c.events++;
	if (reserve(t, 4) < 0)
		return -1;

	// The current task of a CPU not seen before is running, so if it is a
	// user task its mm is the one loaded there.
	struct task *cur = e.pid ? known(t, e.pid) : NULL;
	if (e.pid && !cur)
		return -1;
	if (!t->seen[e.cpu]) {
		t->seen[e.cpu] = 1;
		if (cur && cur->alive && !cur->kernel && cur->mm > 0 && t->loaded[e.cpu] < 0)
			t->loaded[e.cpu] = cur->mm;
	}
	// The switch this event may belong to (on_switch sets them again).
	int to_pid = t->switched_from[e.cpu] == e.pid ? t->switched_to[e.cpu] : -1;
	t->switched_from[e.cpu] = t->switched_to[e.cpu] = -1;

	unsigned long a, b;
	if (is_event(&e, "tracing_mark_write")) {
		// afwork's window marks, written next to its mark-port writes:
		// the counts are taken between them, while the task and mm state
		// is followed through the whole trace.
		if (strncmp(e.args, TRUTH_MARK_START, strlen(TRUTH_MARK_START)) == 0) {
			t->started = 1;
			t->ended = 0;
			t->at_start = t->c;
		} else if (strncmp(e.args, TRUTH_MARK_END, strlen(TRUTH_MARK_END)) == 0) {
			t->ended = 1;
			t->at_end = t->c;
		}
		return 0;
	}
	if (is_event(&e, "sched_switch")) {
		const char *arrow = strstr(e.args, " ==> ");
		if (!arrow || field(arrow + 5, end, "next_pid=", 10, &a) < 0)
			goto bad;
		on_switch(t, e.cpu, e.pid, (int)a);
	} else if (is_event(&e, "task_newtask")) {
		// "pid=" is the first field (a later match could be in the comm)
		if (strncmp(e.args, "pid=", 4) != 0 || !is_digit(e.args[4]) ||
		    field(e.args, end, "clone_flags=", 16, &b) < 0 || !cur)
			goto bad;
		a = strtoul(e.args + 4, NULL, 10);
		on_newtask(t, cur, (int)a, b);
	} else if (is_event(&e, "sched_process_exec")) {
		if (field(e.args, end, "pid=", 10, &a) < 0 ||
		    field(e.args, end, "old_pid=", 10, &b) < 0)
			goto bad;
		on_exec(t, e.cpu, (int)a, (int)b);
	} else if (is_event(&e, "sched_process_exit")) {
		if (field(e.args, end, "pid=", 10, &a) < 0)
			goto bad;
		on_task_exit(t, (int)a);
	} else if (is_event(&e, "tlb_flush")) {
		// "pages:-1 reason:flush on task switch (0)": the code in parentheses
		const char *paren = end;
		while (paren > e.args && *paren != '(')
			paren--;
		if (*paren != '(' || !is_digit(paren[1]))
			goto bad;
		if (strtol(paren + 1, NULL, 10) == 0 && t->have_cr3)
			on_cr3_load(t, e.cpu, e.pid, cur, to_pid);
	} else if (e.form != EV_PLAIN && is_execve(&e)) {
		// In an exec from entry to return; sched_process_exec ends it too.
		if (cur) {
			cur->in_exec = e.form == EV_SYS_ENTER;
			cur->exec_mm = 0;
		}
	} else if (is_event(&e, "sched_process_fork")) {
		t->c.fork++;
	} else if (is_event(&e, "exit_mmap")) {
		t->c.exit_mmap++;
	}
	return 0;
bad:
	t->c.bad++;
	return -1;
}

void truth_result(const struct truth *t, struct truth_counts *out)
{
	*out = t->c;
	if (t->started) {
		// Only what happened between the window marks.
		const struct truth_counts *e = t->ended ? &t->at_end : &t->c, *b = &t->at_start;
#define WINDOW(f) out->f = e->f - b->f;
		TRUTH_WINDOW_COUNTS(WINDOW)
#undef WINDOW
	}
	out->lost = t->lost_hdr > t->lost_lines ? t->lost_hdr : t->lost_lines;
	if (!t->have_cr3)
		out->cr3_switch = -1;
	if (!t->have_exit_mmap) {
		out->exit_mmap = -1;
		out->as_exit = out->as_exit_derived;
	} else {
		out->as_exit = out->exit_mmap;
	}
}

int truth_format(const struct truth_counts *c, char *buf, size_t n)
{
	return snprintf(buf, n,
		"proc_create=%ld as_create=%ld proc_exit=%ld as_exit=%ld cs=%ld "
		"sched_switch=%ld kthread_create=%ld thread_create=%ld kthread_exit=%ld "
		"fork=%ld exec=%ld exit_mmap=%ld as_exit_derived=%ld cr3_switch=%ld unknown=%ld "
		"events=%ld bad=%ld lost=%ld",
		c->proc_create, c->as_create, c->proc_exit, c->as_exit, c->cs,
		c->sched_switch, c->kthread_create, c->thread_create, c->kthread_exit,
		c->fork, c->exec, c->exit_mmap, c->as_exit_derived, c->cr3_switch, c->unknown,
		c->events, c->bad, c->lost);
}
