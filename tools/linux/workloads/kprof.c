// kprof.c - where the guest kernel spent its time, by function, from the
// kernel's own tick profiler (boot with `profile=2`: every timer tick that
// lands in kernel mode counts one hit in /proc/profile, in 4-byte buckets
// from _stext).  Run in the Linux guest as /bin/kprof (static: the
// initramfs has no libc) by tools/linux/workloads/shadow-bench.sh when
// BENCH_KPROF=1.
//
// Why: the same kernel and the same work, bare and under Formica, should
// spend the same instructions in the same functions; a function that
// takes more ticks under Formica is either the hv's time spent on behalf
// of it (the tick is delivered at the next VM entry, so an exit's time
// lands on the instruction that exited) or code the guest runs only there.
// That is how the guest's fast-string routines were found (README, "Shadow
// pager performance"): the guest ran memset_erms where the bare kernel ran
// memset_orig.  The names come from /proc/kallsyms in the guest, so no
// System.map is needed (Debian's is a stub).
//
//   kprof reset                 zero the counters (any write does)
//   kprof dump NAME POLICY N    the N functions with most hits:
//     FORMICA-KPROF: NAME policy=POLICY total=T symbols=S
//     FORMICA-KPROF: NAME policy=POLICY fn=SYMBOL hits=H     (N lines)
// Exit status 0, or 1 when the kernel has no profile (no profile= boot
// option) or no symbols.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
	unsigned long addr;
	char name[64];
	unsigned long hits;
};

static struct sym *syms;
static size_t nsyms;

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_hits(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->hits > y->hits ? -1 : x->hits < y->hits;
}

// The kernel's text symbols (types t/T), sorted by address; _stext's.
static unsigned long load_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], name[256], type;
	unsigned long addr, stext = 0;
	size_t cap = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!strcmp(name, "_stext"))
			stext = addr;
		if ((type != 't' && type != 'T') || strchr(line, '['))
			continue; // modules' symbols: the profile covers the kernel image only
		if (nsyms == cap) {
			cap = cap ? 2 * cap : 65536;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				exit(1);
		}
		syms[nsyms].addr = addr;
		snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%.63s", name);
		syms[nsyms].hits = 0;
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
	return stext;
}

// The symbol holding addr: the last one at or below it.
static struct sym *lookup(unsigned long addr)
{
	size_t lo = 0, hi = nsyms;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return nsyms && syms[lo].addr <= addr ? &syms[lo] : NULL;
}

static int dump(const char *name, const char *policy, int top)
{
	// The file: one word, the bucket size in bytes, then one counter per
	// bucket (kernel/profile.c, read_profile()).  Read before kallsyms:
	// the kernel's ticks while it formats 100k symbol lines for us would
	// be counted too.
	int fd = open("/proc/profile", O_RDONLY);
	size_t cap = 1 << 20, len = 0;
	unsigned *buf = malloc(cap);
	unsigned long stext, total = 0;
	ssize_t r;

	if (fd < 0 || !buf) {
		fprintf(stderr, "kprof: no /proc/profile (boot with profile=2)\n");
		return 1;
	}
	while ((r = read(fd, (char *)buf + len, cap - len)) > 0) {
		len += r;
		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			return 1;
	}
	close(fd);
	stext = load_kallsyms();
	if (!stext || !nsyms || len < sizeof(*buf)) {
		fprintf(stderr, "kprof: no kernel symbols in /proc/kallsyms\n");
		return 1;
	}
	for (size_t i = 1; i < len / sizeof(*buf); i++) {
		struct sym *s;
		if (!buf[i] || !(s = lookup(stext + (i - 1) * buf[0])))
			continue;
		s->hits += buf[i];
		total += buf[i];
	}
	qsort(syms, nsyms, sizeof(*syms), by_hits);
	size_t used = 0;
	while (used < nsyms && syms[used].hits)
		used++;
	printf("FORMICA-KPROF: %s policy=%s total=%lu symbols=%zu\n", name, policy, total, used);
	for (size_t i = 0; i < used && (int)i < top; i++)
		printf("FORMICA-KPROF: %s policy=%s fn=%s hits=%lu\n", name, policy, syms[i].name,
		       syms[i].hits);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "reset")) {
		int fd = open("/proc/profile", O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			perror("kprof: reset /proc/profile");
			return 1;
		}
		close(fd);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "dump"))
		return dump(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: kprof reset | kprof dump NAME POLICY N\n");
	return 2;
}
