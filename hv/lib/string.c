/*
 * string.c - the mem and str functions for the freestanding hv.
 * (The compiler may also emit calls to memcpy/memset on its own.)
 */
#include "types.h"
#include "string.h"

/*
 * REP STOSQ / REP MOVSQ for the bulk, then REP STOSB / MOVSB for the last
 * bytes: one instruction the CPU runs with its fast-string microcode.  Why
 * eight bytes at a time when a CPU with ERMS is as fast with bytes: Bochs
 * and QEMU's -icount count every iteration of a REP string instruction as
 * one instruction of guest time, and the hv clears a 4 KiB table page for
 * every shadow table and a fault record at every #PF exit (512 iterations
 * instead of 4096).  The hv runs with RFLAGS.DF = 0 (entry.S clears it).
 */
void *memset(void *d, int c, size_t n)
{
	void *p = d;
	size_t q = n / 8, b = n % 8;
	u64 v = 0x0101010101010101ull * (u8)c;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(b) : "a"(v) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *dp = d;
	size_t q = n / 8, b = n % 8;

	__asm__ volatile("rep movsq" : "+D"(dp), "+S"(s), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dp), "+S"(s), "+c"(b) : : "memory");
	return d;
}

/* Overlapping with d above s: copy from the end, eight bytes at a time
 * (shadow_watch() opens a slot in its sorted array this way). */
void *memmove(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	if (dp < sp)
		return memcpy(d, s, n);
	while (n % 8) {
		n--;
		dp[n] = sp[n];
	}
	while (n) {
		u64 v;
		n -= 8;
		__builtin_memcpy(&v, sp + n, 8);
		__builtin_memcpy(dp + n, &v, 8);
	}
	return d;
}

/* REPE CMPSQ over the bulk (the synced shadow policy compares 4 KiB guest
 * tables with their copies at CR3 loads: 512 iterations instead of ~2000
 * instructions of a loop), then bytes from the last qword it compared: the
 * one that differed, or the last equal one, plus the tail. */
int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	size_t q = n / 8, done;

	__asm__ volatile("repe cmpsq" : "+S"(x), "+D"(y), "+c"(q) : : "memory", "cc");
	done = (n / 8 - q) * 8;
	if (done) { /* step back onto the last qword compared */
		x -= 8, y -= 8;
		n -= done - 8;
	}
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strncpy(char *d, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && s[i]; i++)
		d[i] = s[i];
	for (; i < n; i++)
		d[i] = 0;
	return d;
}
