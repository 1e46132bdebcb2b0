/*
 * samples2csv.c - a Formica console log into one CSV per guest.
 *
 *   samples2csv LOG OUTDIR
 *
 * Writes OUTDIR/NAME.csv for every guest NAME with `sample` lines in LOG
 * (format: README.md): a header naming the columns (t_ms first, then the
 * keys in order of first appearance) and one row per sample.  Malformed
 * sample lines are counted and the first few reported with their line
 * number; they never stop the others.  The parsing is samplelog.c's;
 * this file only reads and writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "samplelog.h"

#define MAX_REPORTED 10

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: samples2csv LOG OUTDIR\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	struct sample_log *log = sample_log_new();
	char *line = NULL;
	size_t cap = 0, lineno = 0, bad = 0;
	ssize_t len;

	if (!f || !log) {
		fprintf(stderr, "samples2csv: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		const char *why = "";
		int rc = sample_log_add(log, line, (size_t)len, &why);
		lineno++;
		if (rc == -2) {
			fprintf(stderr, "samples2csv: out of memory\n");
			return 1;
		}
		if (rc < 0 && bad++ < MAX_REPORTED)
			fprintf(stderr, "samples2csv: %s:%zu: %s\n", argv[1], lineno, why);
	}
	free(line);
	fclose(f);
	if (mkdir(argv[2], 0777) && errno != EEXIST) {
		fprintf(stderr, "samples2csv: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (size_t g = 0; g < sample_log_guests(log); g++) {
		char path[4096];
		char *text = sample_log_csv(log, g);
		snprintf(path, sizeof(path), "%s/%s.csv", argv[2], sample_log_guest(log, g));
		FILE *o = fopen(path, "w");
		if (!text || !o || fputs(text, o) < 0 || fclose(o)) {
			fprintf(stderr, "samples2csv: %s: %s\n", path, strerror(errno));
			return 1;
		}
		printf("%s: %zu samples\n", path, sample_log_rows(log, g));
		free(text);
	}
	if (bad)
		fprintf(stderr, "samples2csv: %zu malformed sample line(s) skipped\n", bad);
	if (!sample_log_guests(log))
		fprintf(stderr, "samples2csv: no sample lines in %s\n", argv[1]);
	sample_log_free(log);
	return 0;
}
