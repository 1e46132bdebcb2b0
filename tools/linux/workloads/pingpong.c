// pingpong.c - a context-switch workload for the Linux guest: two processes
// pass one byte back and forth through two pipes, N round trips.
//
// Why: on one CPU every round trip is two context switches (parent blocks
// in read, child runs; child blocks, parent runs), each a MOV to CR3 between
// two address spaces that both stay alive.  That is what a shadow pager
// must make cheap (issue 13: "<= 2 VM exits per switch"), measured with
// little else in the way: no fork, no exec, no page faults once warm.
// Static (the initramfs has no libc); built by tools/linux/unit.mk.
//
//   pingpong N      100 warm-up round trips, then mark byte 1 to the Formica
//                   mark port (0x510, through /dev/port), N timed round
//                   trips, mark byte 2, and one line:
//   FORMICA-PINGPONG: n=N ns=T ns_per_rt=R ok|fail
// T is CLOCK_MONOTONIC (the guest's clock) from just after mark 1 to just
// before mark 2.  Under bare hardware the mark writes go nowhere.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_PORT 0x510
#define WARMUP 100

static void mark(unsigned char v)
{
	int fd = open("/dev/port", O_WRONLY);

	if (fd >= 0) {
		if (pwrite(fd, &v, 1, MARK_PORT) != 1)
			perror("pingpong: mark");
		close(fd);
	}
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

// One round trip as the parent: send a byte, wait for it to come back.
static int round_trip(int out, int in)
{
	char c = 'p';

	return write(out, &c, 1) == 1 && read(in, &c, 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	long n = argc == 2 ? atol(argv[1]) : 0;
	int to_child[2], to_parent[2], status, bad = 0;
	long long t0, t1;
	pid_t pid;
	char c;

	if (n <= 0) {
		fprintf(stderr, "usage: pingpong N\n");
		return 2;
	}
	if (pipe(to_child) || pipe(to_parent)) {
		perror("pingpong: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0) { // the echo: every byte straight back, until EOF
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
	mark(1);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		bad |= round_trip(to_child[1], to_parent[0]);
	t1 = now_ns();
	mark(2);
	close(to_child[1]); // EOF: the child exits
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		bad = 1;
	printf("FORMICA-PINGPONG: n=%ld ns=%lld ns_per_rt=%lld %s\n", n, t1 - t0, (t1 - t0) / n,
	       bad ? "fail" : "ok");
	return bad;
}
