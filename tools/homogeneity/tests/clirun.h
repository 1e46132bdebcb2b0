/*
 * clirun.h - what the end-to-end tests of the host tools share
 * (test_homog_tools.c, test_homog_study.c): run a command and keep its
 * output, and hold a tool's --csv rows against scipy's field by field.
 * Both need cmocka's headers included first (same_rows fails the test).
 */
#ifndef CLIRUN_H
#define CLIRUN_H
#include <stddef.h>

/* Runs cmd with popen, its stdout into out[] (NUL-terminated, cut at
 * size - 1); returns its exit status, or -1 if it did not exit. */
int clirun(const char *cmd, char *out, size_t size);

/* Two CSV texts, field by field: text fields equal, numbers within 1e-5
 * relative (the tools print 6 digits); same line breaks.  Returns the
 * number of lines. */
int same_rows(const char *got, const char *want);

/* The k-th (from 0) job's text in the output of a cli_expected.py run with
 * several jobs (an empty line between them), into part[]; fails the test
 * if there is no such job or it does not fit. */
void scipy_part(const char *all, int k, char *part, size_t size);

#endif
