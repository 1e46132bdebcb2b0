/*
 * samplelog.h - `sample` lines of a Formica console log, as tables.
 *
 * The hypervisor's sampler prints, per guest and interval, a line
 *	[   12.345678] sample guest=NAME t_ms=T key=value key=value ...
 * (format: tools/homogeneity/README.md).  This pure core turns the lines
 * of a log into one table per guest, columns in order of first appearance,
 * so a key the sampler adds later needs no change here; samples2csv.c does
 * the file I/O.  Everything else in the log, including whatever guests
 * print on their consoles ("[ts] [NAME] ..."), is skipped.
 */
#ifndef SAMPLELOG_H
#define SAMPLELOG_H

#include <stddef.h>

/* hv/kernel/console.c formats a line in 512 bytes: one this long may be cut. */
#define SAMPLE_LINE_MAX 510
#define SAMPLE_MAX_KEYS 256

struct sample_kv {
	const char *key, *val; /* into the line: not NUL-terminated */
	size_t klen, vlen;
};

struct sample_line {
	const char *guest;
	size_t glen;
	size_t nkv; /* kv[0] is t_ms */
	struct sample_kv kv[SAMPLE_MAX_KEYS];
};

/*
 * sample_parse - one log line (no newline needed).  Returns 1 and fills
 * *out for a well-formed sample line, 0 for a line that is not a sample
 * line, -1 for a sample line that is malformed (*why says what).
 */
int sample_parse(const char *line, size_t len, struct sample_line *out, const char **why);

struct sample_log; /* the tables of all guests */

struct sample_log *sample_log_new(void);
void sample_log_free(struct sample_log *log);

/*
 * sample_log_add - feed one line.  Lines of one guest with the same t_ms
 * are one sample (the sampler splits long samples).  Returns as
 * sample_parse; a sample line that contradicts the earlier ones (t_ms
 * going back, a key twice in one sample) is malformed too.  -2: no memory.
 */
int sample_log_add(struct sample_log *log, const char *line, size_t len, const char **why);

size_t sample_log_guests(const struct sample_log *log);
const char *sample_log_guest(const struct sample_log *log, size_t g);
size_t sample_log_rows(const struct sample_log *log, size_t g);

/*
 * sample_log_csv - guest g's table as CSV text (malloc'd, NUL-terminated):
 * a header naming the columns, one row per sample.  A key missing from a
 * sample is written as 0 if it is an exit counter (exit_*: the sampler
 * prints only the nonzero ones), else left empty.  NULL: no memory.
 */
char *sample_log_csv(const struct sample_log *log, size_t g);

#endif
