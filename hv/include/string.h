/*
 * string.h - the mem and str functions, with the libc names so that pure
 * cores built for the host use the host's libc and the hv uses
 * hv/lib/string.c.
 */
#ifndef FORMICA_STRING_H
#define FORMICA_STRING_H

#ifdef FORMICA_HOST
#include_next <string.h>
#else
#include "types.h"
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *d, const char *s, size_t n);
#endif

#endif
