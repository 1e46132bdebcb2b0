/*
 * clirun.c - the shared helpers of the host tools' end-to-end tests
 * (clirun.h): a command's output, and --csv rows against scipy's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "clirun.h"

int clirun(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, got;

	if (!p)
		return -1;
	while (n + 1 < size && (got = fread(out + n, 1, size - 1 - n, p)) > 0)
		n += got;
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int same_rows(const char *got, const char *want)
{
	const char *g = got, *w = want;
	int rows = 0;

	while (*g && *w) {
		size_t gl = strcspn(g, ",\n"), wl = strcspn(w, ",\n");
		char *ge, *we;
		double gv = strtod(g, &ge), wv = strtod(w, &we);
		if (ge == g + gl && we == w + wl && gl && wl) {
			if (fabs(gv - wv) > 1e-5 * fmax(fabs(gv), fabs(wv)))
				fail_msg("%.*s vs scipy %.*s", (int)gl, g, (int)wl, w);
		} else if (gl != wl || memcmp(g, w, gl)) {
			fail_msg("field \"%.*s\" vs scipy \"%.*s\"", (int)gl, g, (int)wl, w);
		}
		rows += g[gl] == '\n';
		assert_int_equal(g[gl], w[wl]);
		g += gl + 1;
		w += wl + 1;
	}
	assert_true(!*g && !*w);
	return rows;
}

void scipy_part(const char *all, int k, char *part, size_t size)
{
	const char *p = all, *end;

	for (int i = 0; i < k; i++) {
		p = strstr(p, "\n\n");
		if (!p)
			fail_msg("no job %d in scipy's output", k);
		p += 2;
	}
	end = strstr(p, "\n\n");
	size_t n = end ? (size_t)(end + 1 - p) : strlen(p);

	assert_true(n < size);
	memcpy(part, p, n);
	part[n] = 0;
}
