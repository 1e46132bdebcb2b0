// truth-replay.c - run a trace dumped by afwork (AFWORK_DUMP=1) through the
// truth analyzer again, on the host.
//
//   build/antfarm/truth-replay SERIAL.LOG
//
// Why: the guest prints one TRUTH line per window and the trace is gone
// when the guest powers off.  With the dump (FORMICA-TASK lines for the
// snapshot, FORMICA-TRACE lines for the trace) the same window can be
// counted again after the fact, with and without the CR3 events, which is
// how the 6.12 context-switch difference was pinned on the model
// (tools/antfarm/README.md, "Context switches").  Prints one line per
// dumped window and mode:
//   window=N mode=model|cr3 proc_create=.. ... lost=..
// "model" ignores the tlb_flush and execve lines, "cr3" uses them
// (TRUTH_EV_CR3); exit_mmap is assumed enabled, as on every 6.x kernel.
// Serial-log prefixes ("[  12.3] [linux1] ") and CRs are skipped.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

#define TASK_TAG "FORMICA-TASK: "
#define TRACE_TAG "FORMICA-TRACE: "

static void report(struct truth *t, int window, const char *mode)
{
	struct truth_counts c;
	char buf[512];
	truth_result(t, &c);
	truth_format(&c, buf, sizeof buf);
	printf("window=%d mode=%s %s\n", window, mode, buf);
}

// One pass over the log in one mode.  A window's dump is its FORMICA-TASK
// lines followed by its FORMICA-TRACE lines; the next FORMICA-TASK line
// after trace lines starts the next window.
static int replay(FILE *f, unsigned events, const char *mode)
{
	char line[4096];
	struct truth *t = NULL;
	int window = 0, in_trace = 0;
	rewind(f);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		const char *task = strstr(line, TASK_TAG), *trace = strstr(line, TRACE_TAG);
		int pid, tgid, kt;
		if (task && sscanf(task + strlen(TASK_TAG), "pid=%d tgid=%d kthread=%d", &pid, &tgid,
				   &kt) == 3) {
			if (!t || in_trace) {
				if (t)
					report(t, window++, mode);
				truth_free(t);
				t = truth_new(events);
				if (!t)
					return -1;
				in_trace = 0;
			}
			if (truth_task(t, pid, tgid, kt) < 0)
				return -1;
		} else if (trace && t) {
			in_trace = 1;
			truth_line(t, trace + strlen(TRACE_TAG));   // errors show up in bad=
		}
	}
	if (t)
		report(t, window++, mode);
	truth_free(t);
	return window;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SERIAL.LOG (with afwork's AFWORK_DUMP lines)\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	int n = replay(f, TRUTH_EV_EXIT_MMAP, "model");
	if (n >= 0)
		n = replay(f, TRUTH_EV_EXIT_MMAP | TRUTH_EV_CR3, "cr3");
	fclose(f);
	if (n < 0) {
		fprintf(stderr, "truth-replay: out of memory\n");
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "truth-replay: no FORMICA-TASK/FORMICA-TRACE lines in %s\n", argv[1]);
		return 1;
	}
	return 0;
}
