// ctxbench.c - the measured loops of tools/bench-linux.sh, run in the Linux
// guest as /bin/ctxbench (static: the initramfs has no libc).
//
// Why a program and not shell: each interval must be bracketed by mark
// bytes on the Formica mark port (0x510, through /dev/port) with nothing
// else in it, and the shadow policy must be switched (mark 0x20 reference,
// 0x21 cached, 0x22 synced, 0x23 formica.cfg's) by a process that is already running: under the reference
// policy a Linux guest in Bochs can stall in fork+exec (see hv/mm/README.md,
// "Measurement log"), so a shell that forks dd to write a mark
// could never switch back.  An alarm bounds every interval for that reason.
//
//   ctxbench [-p reference|cached|synced] [-t SECONDS] forkexec N
//       N x (fork; the child execs /bin/true; waitpid)
//   ctxbench [-p reference|cached|synced] [-t SECONDS] pingpong N
//       two processes pass one byte back and forth through two pipes, N
//       round trips after 100 untimed ones.  On one CPU each round trip is
//       two context switches, each a MOV to CR3 between two live address
//       spaces: what a shadow pager must make cheap.
//   ctxbench [-p reference|cached|synced] [-t SECONDS] run NAME PROGRAM [ARG...]
//       PROGRAM once (execv: a path), in a process group of its own with
//       stdout on /dev/null, e.g. the parallel compile `make -j4`; at the
//       alarm the whole group is killed (make's compilers too).  The line
//       says NAME where the others say KIND, with n=1.
// With -p the policy byte is written first and 0x23 (back to formica.cfg's
// policy, under which whatever runs between the rounds runs) after; then mark 1, the loop, mark 2, and one line:
//   FORMICA-BENCH: KIND policy=P n=N ns=T ok|fail|timeout
// (pingpong adds ns_per_rt=R; timeout: the alarm of -t SECONDS, default
// 120, came first, and n is how many were done).  T is CLOCK_MONOTONIC,
// the guest's clock.  Under bare hardware the port writes go nowhere.
// Exit status: 0 ok, 1 fail, 2 usage, 3 timeout.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_PORT 0x510
#define MARK_REFERENCE 0x20
#define MARK_CACHED 0x21
#define MARK_SYNCED 0x22
#define MARK_CONFIGURED 0x23
#define WARMUP 100

static int port_fd = -1;
static volatile sig_atomic_t timed_out;

static void mark(unsigned char v)
{
	if (port_fd >= 0 && pwrite(port_fd, &v, 1, MARK_PORT) != 1)
		perror("ctxbench: mark");
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* Fork, exec argv in the child, wait; 0 if it exited with status 0.  A
 * group child (run) gets a process group of its own and a silent stdout,
 * so the alarm can kill all it started; forkexec's child gets nothing
 * extra, so its loop stays fork, execv, waitpid. */
static int spawn_wait(char *const argv[], bool group)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (group) {
			int null = open("/dev/null", O_WRONLY);

			setpgid(0, 0);
			if (null >= 0)
				dup2(null, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (group)
		setpgid(pid, pid); /* also here: the alarm may come before the child runs */
	while (waitpid(pid, &status, 0) < 0) {
		if (!timed_out)
			return -1;
		kill(group ? -pid : pid, SIGKILL); /* the alarm: not waited for longer */
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int forkexec_one(void)
{
	char *const argv[] = { "/bin/true", NULL };

	return spawn_wait(argv, false);
}

static int round_trip(int out, int in)
{
	char c = 'p';

	return write(out, &c, 1) == 1 && read(in, &c, 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *policy = NULL;
	unsigned seconds = 120;
	int opt, bad = 0, to_child[2], to_parent[2];
	long n, done = 0;
	long long t0, t1;
	pid_t echo = -1;
	char c;

	while ((opt = getopt(argc, argv, "+p:t:")) != -1) {
		if (opt == 'p' && (!strcmp(optarg, "reference") || !strcmp(optarg, "cached") ||
				   !strcmp(optarg, "synced")))
			policy = optarg;
		else if (opt == 't')
			seconds = (unsigned)atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind < 2)
		goto usage;
	const char *kind = argv[optind];
	bool pingpong = !strcmp(kind, "pingpong"), run = !strcmp(kind, "run");
	char *const *program = NULL;

	if (run) {
		if (argc - optind < 3)
			goto usage;
		kind = argv[optind + 1];
		program = &argv[optind + 2];
		n = 1;
	} else if (argc - optind != 2 || (n = atol(argv[optind + 1])) <= 0 ||
		   (!pingpong && strcmp(kind, "forkexec"))) {
		goto usage;
	}
	port_fd = open("/dev/port", O_WRONLY);
	if (pingpong) {
		if (pipe(to_child) || pipe(to_parent) || (echo = fork()) < 0) {
			perror("ctxbench: pipe/fork");
			return 1;
		}
		if (echo == 0) { /* every byte straight back, until EOF */
			close(to_child[1]);
			close(to_parent[0]);
			while (read(to_child[0], &c, 1) == 1)
				if (write(to_parent[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(to_child[0]);
		close(to_parent[1]);
		for (int i = 0; i < WARMUP; i++)
			bad |= round_trip(to_child[1], to_parent[0]);
	}
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: a blocked read ends */
	sigaction(SIGALRM, &sa, NULL);
	if (policy)
		mark(!strcmp(policy, "reference") ? MARK_REFERENCE
		     : !strcmp(policy, "synced")  ? MARK_SYNCED
						  : MARK_CACHED);
	alarm(seconds);
	mark(1);
	t0 = now_ns();
	for (; done < n && !timed_out && !bad; done++)
		bad |= pingpong ? round_trip(to_child[1], to_parent[0])
		       : run	? spawn_wait(program, true)
				: forkexec_one();
	t1 = now_ns();
	mark(2);
	alarm(0);
	if (policy)
		mark(MARK_CONFIGURED);
	if (pingpong) {
		close(to_child[1]); /* EOF: the echo exits */
		int status;
		if (waitpid(echo, &status, 0) != echo || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	}
	printf("FORMICA-BENCH: %s policy=%s n=%ld ns=%lld", kind, policy ? policy : "configured", done,
	       t1 - t0);
	if (pingpong && done)
		printf(" ns_per_rt=%lld", (t1 - t0) / done);
	printf(" %s\n", timed_out ? "timeout" : bad ? "fail" : "ok");
	return timed_out ? 3 : bad ? 1 : 0;
usage:
	fprintf(stderr,
		"usage: ctxbench [-p reference|cached|synced] [-t SECONDS] forkexec|pingpong N\n"
		"       ctxbench [-p reference|cached|synced] [-t SECONDS] run NAME PROGRAM [ARG...]\n");
	return 2;
}
