/*
 * csvcol.h - one numeric column of a CSV table (a pure core).
 *
 * The tables samples2csv writes are plain: a header line naming the
 * columns, then rows of comma-separated decimal numbers, no quoting.
 * homogeneity reads one column of several such files; this finds the
 * column by name and parses it, and says which line is wrong if one is,
 * rather than guessing (an empty cell is an error, not a zero).
 */
#ifndef CSVCOL_H
#define CSVCOL_H

#include <stddef.h>

/*
 * csv_column - the column called name in the CSV text (NUL-terminated).
 * Returns 0 with *values (malloc'd) and *n set, or -1 with a message in
 * err[0..errlen) ("line 7: ..."); *values is then NULL.
 */
int csv_column(const char *text, const char *name, double **values, size_t *n, char *err,
	       size_t errlen);

#endif
