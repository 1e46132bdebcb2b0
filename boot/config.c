/*
 * config.c - the formica.cfg parser.
 *
 * boot/ reads \formica\formica.cfg from the ESP and hands its text to
 * config_parse(), which fills a struct formica_config (hv/include/config.h)
 * and describes every problem it found, one line each.  The parser is a pure
 * function of the text: it is built into the UEFI boot application, maybe
 * into the hv, and into a host unit test (boot/tests/test_config.c).  gnu-efi
 * gives us memset and memcpy and nothing else, so the few string helpers we
 * need are written here, and no line is ever copied: we work on pointers
 * into the text.
 *
 * THE FORMAT (this comment is its reference)
 *
 * formica.cfg is a text file of lines ending in LF or CRLF; the last line
 * needs no line end, and a UTF-8 byte-order mark at the very start is
 * skipped (Windows editors write one).  Spaces and tabs around keys, '='
 * and values do not matter.  Blank lines are ignored.  '#' starts a comment
 * that runs to the end of the line, except in a cmdline value, where it is
 * an ordinary character (Linux command lines may contain one).
 *
 * Global settings come first, before any section (a global key inside a
 * section is an error):
 *
 *   serial = auto       where the hv's console goes: auto (the 16550 at
 *                       0x3f8 if one answers its scratch and loopback
 *                       test, else the first PCI 16550, else none) | an I/O
 *                       port such as 0x3f8 or 0x2f8 | pci (the first
 *                       16550-compatible PCI function: class 07.00, prog-if
 *                       00-06; PCIe serial cards, Intel AMT Serial-over-LAN)
 *                       | none (0 means the same).  Default auto.
 *   screen = on         on | off: mirror the console as text on the
 *                       framebuffer the firmware set up (GOP), scrolling.
 *                       Default on: a machine with no serial port shows
 *                       its log to the person in front of it.
 *   log = summary       summary | switches | verbose | counts.  Default
 *                       summary: Antfarm's creations and exits, context
 *                       switches only counted; switches: and a line of them
 *                       every switches_ms; verbose: a line for each; counts:
 *                       no event lines at all, only the counts at marks and
 *                       the end (a benchmark's setting: a guest that forks
 *                       ~30 processes a second fills the 115200-baud UART
 *                       and would wait for it).
 *   sample_ms = 10000   every this many ms of guest time, one `sample` line
 *                       per guest: its exits by reason, CR3 loads, working
 *                       set... (hv/guest/sample_glue.c; the line format is in
 *                       tools/homogeneity/README.md), 0..60000; 0: no
 *                       samples.  Default 10000 (issue 14's seed samples
 *                       every 10 s).
 *   wss_sample = 100    pages the sampling working-set estimator (VMware
 *                       ESX's, hv/stats/wss.h) invalidates per sample
 *                       interval, 0..4096; 0: off (the accessed-bit count
 *                       stays).  Default 100, as in ESX.
 *   switches_ms = 100   log = switches: one `switches` line per this many
 *                       ms that had context switches,
 *                       1..60000.  Default 100.  (Before issue 14 this was
 *                       sample_ms.)
 *   slice_ms = 10       time slice per guest, 1..1000.  Default 10.
 *   selftest = none     none | storage | iosched.  Default none.
 *   timer = lapic       how the hv gets control back from a guest in time
 *                       for its next device event or time slice: lapic (the
 *                       local APIC timer, one-shot) | preemption (the
 *                       VMX-preemption timer).  Default lapic: Bochs runs
 *                       guests about 3x slower while the preemption timer is
 *                       armed.  With lapic, an entry into a guest with
 *                       interrupts off still gets the preemption timer if
 *                       the CPU has one (hv/guest/guest.c, arm_deadline()).
 *   antfarm = plain     process inference (hv/antfarm): off | plain (the
 *                       paper's rules: an exec's new address space is a
 *                       new process) | exec-aware (an exec by the same guest
 *                       task continues its process).  Default plain.
 *   iosched = anticipatory  how sched/ orders the guests' virtio disk
 *                       requests on the physical disk: anticipatory |
 *                       deadline | fcfs.  Default anticipatory.
 *   iosched_key = process   what the scheduler calls a process: process
 *                       (guest + Antfarm's inferred process) | guest (each
 *                       guest is one "process").  Default process.
 *   disk_model = none   none | hdd7200: hold each completion until a
 *                       modelled 7200 rpm disk would have finished it
 *                       (sched/hdd_model.h; emulated disks never seek).
 *                       Default none.
 *   shadow = synced     how the shadow pager (hv/mm/README.md) treats a
 *                       root the guest loads into CR3 again: cached (keep
 *                       its shadow, drop only what a CR3 load flushes) |
 *                       synced (keep it whole: the guest page tables it
 *                       was built from are write-protected, and writes to
 *                       them trapped; cached while the guest boots, for a
 *                       young process's user pages and for global pages) |
 *                       reference (start from an empty shadow every time:
 *                       the obviously right oracle, and slow).  Default
 *                       synced: in the bench it boots Linux as fast as
 *                       cached, runs fork+exec within 5% of it, and the
 *                       parallel compile and the pipe ping-pong ~2-3x
 *                       faster (README).  A
 *                       guest can switch it at run time through the mark
 *                       port (hv/guest/io.c), to time both in one boot.
 *   shadow_2m = on      on | off: a guest page of 2 MiB or more may be
 *                       shadowed with 2 MiB leaves (hv/mm/shadow.c, "large
 *                       leaves"), one #PF exit per 2 MiB instead of per
 *                       4 KiB.  Default on; off: 4 KiB leaves only.
 *
 * Then one section per guest, at most CFG_MAX_GUESTS (24) of them (a
 * section beyond that is an error):
 *
 *   [guest NAME]        NAME: 1..31 characters of A-Z a-z 0-9 _ -, unique
 *                       among the guests kept so far.
 *   kind = flat         flat | linux.  Default flat.
 *   kernel = \formica\hello.bin   required: a path on the ESP (max 127 chars).
 *   initrd = \formica\initrd.img  optional, same form; none by default.
 *   cmdline = console=ttyS0 quiet optional: the rest of the line after '='
 *                       and the blanks that follow it, verbatim ('#'
 *                       included), minus trailing blanks (max 511 chars).
 *   mem_mb = 16         guest RAM in MiB, 2..65536.  Default 16 for flat
 *                       guests, 256 for linux guests.
 *   disk = 2048+409600  a slice of the physical disk for this guest: first
 *                       LBA + number of sectors (at least 1).  Repeat the
 *                       key for more slices, at most CFG_MAX_EXTENTS (4).
 *   max_ms = 2000       a time limit: the hv stops the guest this many ms
 *                       after its first VM entry (a log line says so, and it
 *                       ends "time-limit"), 1..86400000.  Default: none.
 *
 * Numbers are decimal or 0x-prefixed hexadecimal; a leading 0 does not mean
 * octal.  Keys and words (summary, flat, ...) are lower case.  Each key may
 * be given once per section (disk once per slice).  Values are taken as they
 * are: a path may contain spaces, but not '#'.
 *
 * ERRORS
 *
 * Each problem becomes one line "formica.cfg:LINE: what is wrong" in err,
 * and config_parse() returns how many there were.  The parser never stops
 * early, so one boot shows every mistake.  What happens to the bad part:
 *   - a global setting with an error (a bad value, or given twice) has its
 *     default value;
 *   - a guest section with any error (in its header, in any of its lines,
 *     or a missing kernel, reported at the header's line) is dropped whole;
 *     the other guests stay, so the hv can still boot them;
 *   - after a header that is not [guest NAME] (malformed, or a section type
 *     we do not know) the lines up to the next header are skipped
 *     unchecked: we cannot know what they mean, and one typo should not
 *     produce a page of errors.
 * If err fills up, it ends with a "..." line instead of a cut-off message.
 */
#include "config.h"
#include "string.h"

/* ------------------------------------------------------------ characters */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A piece of the text: the parser never copies a line, it narrows views.
 * Views are not NUL-terminated.
 */
struct view {
	const char *p;
	size_t n;
};

static struct view trim(struct view v)
{
	while (v.n > 0 && is_blank(v.p[0])) {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && is_blank(v.p[v.n - 1]))
		v.n--;
	return v;
}

/* Offset of the first c in v, or v.n if there is none. */
static size_t find(struct view v, char c)
{
	size_t i = 0;

	while (i < v.n && v.p[i] != c)
		i++;
	return i;
}

/* Does v hold exactly the NUL-terminated word s? */
static bool is_word(struct view v, const char *s)
{
	size_t i;

	for (i = 0; i < v.n; i++)
		if (s[i] != v.p[i]) /* also stops at s's NUL, since v has none */
			return false;
	return s[i] == '\0';
}

/* Same, for two NUL-terminated strings (guest names). */
static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Copy v into dst[size] as a C string.  False if it does not fit. */
static bool copy_str(char *dst, size_t size, struct view v)
{
	if (v.n >= size)
		return false;
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return true;
}

enum num_result { NUM_OK, NUM_BAD, NUM_TOO_BIG };

/* Decimal or 0x-hex, nothing else (no sign, no suffix, no octal). */
static enum num_result parse_u64(struct view v, u64 *out)
{
	u64 x = 0;
	size_t i = 0;

	if (v.n == 0)
		return NUM_BAD;
	if (v.n > 2 && v.p[0] == '0' && (v.p[1] == 'x' || v.p[1] == 'X')) {
		for (i = 2; i < v.n; i++) {
			int d = hex_value(v.p[i]);
			if (d < 0)
				return NUM_BAD;
			if (x >> 60)
				return NUM_TOO_BIG; /* would lose the top digit */
			x = x << 4 | (u64)d;
		}
	} else {
		for (i = 0; i < v.n; i++) {
			if (!is_digit(v.p[i]))
				return NUM_BAD;
			u64 d = (u64)(v.p[i] - '0');
			if (x > (UINT64_MAX - d) / 10)
				return NUM_TOO_BIG;
			x = x * 10 + d;
		}
	}
	*out = x;
	return NUM_OK;
}

/* ------------------------------------------------------------ messages */

/*
 * One error message under construction.  Messages are bounded: quoted
 * values are clipped (see put_quoted), so MSG_LEN always suffices, and the
 * put_ functions still stop at the end rather than trust that.
 */
#define MSG_LEN 256
#define QUOTE_MAX 40 /* characters of a value we quote in a message */

struct msg {
	char s[MSG_LEN];
	size_t n;
};

static void put_char(struct msg *m, char c)
{
	if (m->n < MSG_LEN)
		m->s[m->n++] = c;
}

static void put_str(struct msg *m, const char *s)
{
	while (*s)
		put_char(m, *s++);
}

static void put_u64(struct msg *m, u64 x)
{
	char digits[20];
	int i = 0;

	do {
		digits[i++] = (char)('0' + x % 10);
		x /= 10;
	} while (x);
	while (i > 0)
		put_char(m, digits[--i]);
}

/* 'value', clipped to QUOTE_MAX characters, control characters as '?'. */
static void put_quoted(struct msg *m, struct view v)
{
	size_t i;

	put_char(m, '\'');
	for (i = 0; i < v.n && i < QUOTE_MAX; i++)
		put_char(m, (u8)v.p[i] < 0x20 || v.p[i] == 0x7f ? '?' : v.p[i]);
	if (v.n > QUOTE_MAX)
		put_str(m, "...");
	put_char(m, '\'');
}

/* ------------------------------------------------------------ the parser */

enum key {
	/* global settings */
	K_SERIAL,
	K_SCREEN,
	K_LOG,
	K_SAMPLE_MS,
	K_SLICE_MS,
	K_SWITCHES_MS,
	K_WSS_SAMPLE,
	K_SELFTEST,
	K_TIMER,
	K_ANTFARM,
	K_IOSCHED,
	K_IOSCHED_KEY,
	K_DISK_MODEL,
	K_SHADOW,
	K_SHADOW_2M,
	/* guest settings */
	K_KIND,
	K_KERNEL,
	K_INITRD,
	K_CMDLINE,
	K_MEM_MB,
	K_DISK,
	K_MAX_MS,
	NKEYS,
	K_FIRST_GUEST = K_KIND,
};

/* Indexed by enum key.  Arrays, not pointers: no relocations to apply. */
static const char key_name[NKEYS][12] = {
	"serial", "screen", "log",    "sample_ms", "slice_ms", "switches_ms", "wss_sample",
	"selftest", "timer", "antfarm", "iosched", "iosched_key", "disk_model",
	"shadow", "shadow_2m",
	"kind",   "kernel", "initrd",    "cmdline",  "mem_mb",   "disk",     "max_ms",
};

enum state {
	IN_GLOBAL, /* before the first section */
	IN_GUEST,  /* inside a [guest NAME] section */
	IN_SKIP,   /* under a bad header: lines ignored until the next one */
};

struct parser {
	struct formica_config *cfg;
	char *err; /* caller's buffer; errused bytes used, not counting the NUL */
	size_t errlen, errused;
	bool errfull; /* a line did not fit: nothing more is appended */
	int nerrors;

	u64 line; /* number of the line being parsed, from 1 */
	enum state state;
	u32 global_seen; /* bit per global key: given once already */

	/* The guest section being parsed; copied into cfg->guest[] at its
	 * end if nothing was wrong with it. */
	struct cfg_guest g;
	u64 g_line; /* line of its header */
	bool g_bad; /* an error was reported since the header */
	u32 g_seen; /* bit per guest key, as global_seen */
};

/*
 * Append "formica.cfg:LINE: MSG\n" to err.  Only whole lines go in, so
 * a full buffer never ends in half a message; the first line that does not
 * fit is replaced by "...\n", for which room is always kept.
 */
#define ELLIPSIS "...\n"

static void report(struct parser *p, u64 line, struct msg *m)
{
	struct msg out = { .n = 0 };
	size_t room;

	p->nerrors++;
	p->g_bad = true; /* only matters inside a guest section: drop it */

	put_str(&out, "formica.cfg:");
	put_u64(&out, line);
	put_str(&out, ": ");
	if (m->n > MSG_LEN - out.n - 1) /* clip: keep room for the '\n' */
		m->n = MSG_LEN - out.n - 1;
	memcpy(out.s + out.n, m->s, m->n);
	out.n += m->n;
	out.s[out.n++] = '\n';

	if (p->err == NULL || p->errlen == 0 || p->errfull)
		return;
	room = p->errlen - p->errused - 1; /* bytes left before the NUL */
	if (out.n + (sizeof(ELLIPSIS) - 1) <= room) {
		memcpy(p->err + p->errused, out.s, out.n);
		p->errused += out.n;
	} else {
		p->errfull = true;
		if (sizeof(ELLIPSIS) - 1 <= room) {
			memcpy(p->err + p->errused, ELLIPSIS, sizeof(ELLIPSIS) - 1);
			p->errused += sizeof(ELLIPSIS) - 1;
		}
	}
	p->err[p->errused] = '\0';
}


/*
 * What a message may mention.  A tiny format language keeps the call sites
 * readable without varargs: %v is the value (quoted, clipped), %s a string,
 * %1 and %2 numbers.
 */
struct args {
	struct view v;
	const char *s;
	u64 n1, n2;
};

static void errorf_at(struct parser *p, u64 line, const char *fmt, struct args a)
{
	struct msg m = { .n = 0 };

	for (; *fmt; fmt++) {
		if (fmt[0] != '%' || fmt[1] == '\0') {
			put_char(&m, *fmt);
			continue;
		}
		switch (*++fmt) {
		case 'v':
			put_quoted(&m, a.v);
			break;
		case 's':
			put_str(&m, a.s);
			break;
		case '1':
			put_u64(&m, a.n1);
			break;
		case '2':
			put_u64(&m, a.n2);
			break;
		default:
			put_char(&m, *fmt);
			break;
		}
	}
	report(p, line, &m);
}

/* An error on the line being parsed: errorf(p, "bad %v", .v = value). */
#define errorf(p, fmt, ...) errorf_at((p), (p)->line, (fmt), (struct args){ __VA_ARGS__ })

/* A number in [lo, hi] for key k.  Reports the error and returns false if not. */
static bool number(struct parser *p, enum key k, struct view v, u64 lo, u64 hi, u64 *out)
{
	switch (parse_u64(v, out)) {
	case NUM_OK:
		if (*out >= lo && *out <= hi)
			return true;
		break;
	case NUM_TOO_BIG:
		break;
	case NUM_BAD:
		errorf(p, "bad number %v for %s", .v = v, .s = key_name[k]);
		return false;
	}
	errorf(p, "value %v out of range for %s (%1..%2)", .v = v, .s = key_name[k], .n1 = lo,
	       .n2 = hi);
	return false;
}

/* A string value into dst[size].  Reports the error and returns false if too long. */
static bool set_string(struct parser *p, enum key k, struct view v, char *dst, size_t size)
{
	if (copy_str(dst, size, v))
		return true;
	errorf(p, "value too long for %s (max %1 chars)", .s = key_name[k], .n1 = size - 1);
	return false;
}

static void set_global_default(struct formica_config *cfg, enum key k)
{
	switch (k) {
	case K_SERIAL:
		cfg->serial = SERIAL_AUTO;
		cfg->serial_port = 0x3f8;
		break;
	case K_SCREEN:
		cfg->screen = true;
		break;
	case K_LOG:
		cfg->log = LOG_SUMMARY;
		break;
	case K_SAMPLE_MS:
		cfg->sample_ms = 10000;
		break;
	case K_SWITCHES_MS:
		cfg->switches_ms = 100;
		break;
	case K_WSS_SAMPLE:
		cfg->wss_sample = 100;
		break;
	case K_SLICE_MS:
		cfg->slice_ms = 10;
		break;
	case K_SELFTEST:
		cfg->selftest = SELFTEST_NONE;
		break;
	case K_TIMER:
		cfg->timer = TIMER_LAPIC;
		break;
	case K_ANTFARM:
		cfg->antfarm = ANTFARM_PLAIN;
		break;
	case K_IOSCHED:
		cfg->iosched = IOSCHED_ANTICIPATORY;
		break;
	case K_IOSCHED_KEY:
		cfg->iosched_key = IOSCHED_KEY_PROCESS;
		break;
	case K_DISK_MODEL:
		cfg->disk_model = DISK_MODEL_NONE;
		break;
	case K_SHADOW:
		cfg->shadow = SHADOW_POLICY_SYNCED;
		break;
	case K_SHADOW_2M:
		cfg->shadow_2m = true;
		break;
	default:
		break;
	}
}

/* A setting that is on or off. */
static void on_off(struct parser *p, enum key k, struct view v, bool *out)
{
	if (is_word(v, "on"))
		*out = true;
	else if (is_word(v, "off"))
		*out = false;
	else
		errorf(p, "unknown value %v for %s (on or off)", .v = v, .s = key_name[k]);
}

/*
 * A global setting.  Values are stored only once valid, so a bad one
 * leaves the default in place.
 */
static void set_global(struct parser *p, enum key k, struct view v)
{
	struct formica_config *cfg = p->cfg;
	u64 x;

	switch (k) {
	case K_SERIAL:
		/* 0 is "none" too */
		if (is_word(v, "none")) {
			cfg->serial = SERIAL_NONE;
			cfg->serial_port = 0;
		} else if (is_word(v, "auto")) {
			cfg->serial = SERIAL_AUTO;
			cfg->serial_port = 0x3f8;
		} else if (is_word(v, "pci")) {
			cfg->serial = SERIAL_PCI;
			cfg->serial_port = 0;
		} else if (number(p, k, v, 0, 0xffff, &x)) {
			cfg->serial = x ? SERIAL_PORT : SERIAL_NONE;
			cfg->serial_port = (u16)x;
		}
		break;
	case K_SCREEN:
		on_off(p, k, v, &cfg->screen);
		break;
	case K_LOG:
		if (is_word(v, "summary"))
			cfg->log = LOG_SUMMARY;
		else if (is_word(v, "verbose"))
			cfg->log = LOG_VERBOSE;
		else if (is_word(v, "switches"))
			cfg->log = LOG_SWITCHES;
		else if (is_word(v, "counts"))
			cfg->log = LOG_COUNTS;
		else
			errorf(p, "unknown value %v for log (summary, switches, verbose or counts)", .v = v);
		break;
	case K_SAMPLE_MS:
		if (number(p, k, v, 0, 60000, &x))
			cfg->sample_ms = (u32)x;
		break;
	case K_SWITCHES_MS:
		if (number(p, k, v, 1, 60000, &x))
			cfg->switches_ms = (u32)x;
		break;
	case K_WSS_SAMPLE:
		if (number(p, k, v, 0, 4096, &x))
			cfg->wss_sample = (u32)x;
		break;
	case K_SLICE_MS:
		if (number(p, k, v, 1, 1000, &x))
			cfg->slice_ms = (u32)x;
		break;
	case K_SELFTEST:
		if (is_word(v, "none"))
			cfg->selftest = SELFTEST_NONE;
		else if (is_word(v, "storage"))
			cfg->selftest = SELFTEST_STORAGE;
		else if (is_word(v, "iosched"))
			cfg->selftest = SELFTEST_IOSCHED;
		else
			errorf(p, "unknown value %v for selftest (none, storage or iosched)", .v = v);
		break;
	case K_TIMER:
		if (is_word(v, "lapic"))
			cfg->timer = TIMER_LAPIC;
		else if (is_word(v, "preemption"))
			cfg->timer = TIMER_PREEMPTION;
		else
			errorf(p, "unknown value %v for timer (lapic or preemption)", .v = v);
		break;
	case K_ANTFARM:
		if (is_word(v, "off"))
			cfg->antfarm = ANTFARM_OFF;
		else if (is_word(v, "plain"))
			cfg->antfarm = ANTFARM_PLAIN;
		else if (is_word(v, "exec-aware"))
			cfg->antfarm = ANTFARM_EXEC_AWARE;
		else
			errorf(p, "unknown value %v for antfarm (off, plain or exec-aware)", .v = v);
		break;
	case K_IOSCHED:
		if (is_word(v, "anticipatory"))
			cfg->iosched = IOSCHED_ANTICIPATORY;
		else if (is_word(v, "deadline"))
			cfg->iosched = IOSCHED_DEADLINE;
		else if (is_word(v, "fcfs"))
			cfg->iosched = IOSCHED_FCFS;
		else
			errorf(p, "unknown value %v for iosched (anticipatory, deadline or fcfs)",
			       .v = v);
		break;
	case K_IOSCHED_KEY:
		if (is_word(v, "process"))
			cfg->iosched_key = IOSCHED_KEY_PROCESS;
		else if (is_word(v, "guest"))
			cfg->iosched_key = IOSCHED_KEY_GUEST;
		else
			errorf(p, "unknown value %v for iosched_key (process or guest)", .v = v);
		break;
	case K_DISK_MODEL:
		if (is_word(v, "none"))
			cfg->disk_model = DISK_MODEL_NONE;
		else if (is_word(v, "hdd7200"))
			cfg->disk_model = DISK_MODEL_HDD7200;
		else
			errorf(p, "unknown value %v for disk_model (none or hdd7200)", .v = v);
		break;
	case K_SHADOW:
		if (is_word(v, "cached"))
			cfg->shadow = SHADOW_POLICY_CACHED;
		else if (is_word(v, "reference"))
			cfg->shadow = SHADOW_POLICY_REFERENCE;
		else if (is_word(v, "synced"))
			cfg->shadow = SHADOW_POLICY_SYNCED;
		else
			errorf(p, "unknown value %v for shadow (cached, synced or reference)",
			       .v = v);
		break;
	case K_SHADOW_2M:
		on_off(p, k, v, &cfg->shadow_2m);
		break;
	default:
		break;
	}
}

/* disk = LBA+SECTORS: one more slice of the disk for the current guest. */
static void add_extent(struct parser *p, struct view v)
{
	struct cfg_guest *g = &p->g;
	size_t plus = find(v, '+');
	struct view lba_text, sectors_text;
	enum num_result lba_ok, sectors_ok;
	u64 lba = 0, sectors = 0;

	if (g->nextents == CFG_MAX_EXTENTS) {
		errorf(p, "too many disk extents (max %1)", .n1 = CFG_MAX_EXTENTS);
		return;
	}
	if (plus == v.n) {
		errorf(p, "bad disk extent %v (want LBA+SECTORS)", .v = v);
		return;
	}
	lba_text = trim((struct view){ v.p, plus });
	sectors_text = trim((struct view){ v.p + plus + 1, v.n - plus - 1 });
	lba_ok = parse_u64(lba_text, &lba);
	sectors_ok = parse_u64(sectors_text, &sectors);
	if (lba_ok == NUM_BAD) {
		errorf(p, "bad number %v for disk", .v = lba_text);
		return;
	}
	if (sectors_ok == NUM_BAD) {
		errorf(p, "bad number %v for disk", .v = sectors_text);
		return;
	}
	/* The hv computes lba + sectors: it must not wrap. */
	if (lba_ok == NUM_TOO_BIG || sectors_ok == NUM_TOO_BIG || lba + sectors < lba) {
		errorf(p, "value %v out of range for disk (the extent must end below 2^64)",
		       .v = v);
		return;
	}
	if (sectors == 0) {
		errorf(p, "value %v out of range for disk (sectors must be at least 1)", .v = v);
		return;
	}
	g->extent[g->nextents].lba = lba;
	g->extent[g->nextents].sectors = sectors;
	g->nextents++;
}

/* A setting of the current guest. */
static void set_guest(struct parser *p, enum key k, struct view v)
{
	struct cfg_guest *g = &p->g;
	u64 x;

	switch (k) {
	case K_KIND:
		if (is_word(v, "flat"))
			g->kind = GUEST_FLAT;
		else if (is_word(v, "linux"))
			g->kind = GUEST_LINUX;
		else
			errorf(p, "unknown kind %v (flat or linux)", .v = v);
		break;
	case K_KERNEL:
		if (v.n == 0)
			errorf(p, "missing value for kernel");
		else
			set_string(p, k, v, g->kernel, sizeof(g->kernel));
		break;
	case K_INITRD:
		set_string(p, k, v, g->initrd, sizeof(g->initrd));
		break;
	case K_CMDLINE:
		set_string(p, k, v, g->cmdline, sizeof(g->cmdline));
		break;
	case K_MEM_MB:
		if (number(p, k, v, 2, 65536, &x))
			g->mem_mb = x;
		break;
	case K_DISK:
		add_extent(p, v);
		break;
	case K_MAX_MS:
		if (number(p, k, v, 1, 86400000, &x))
			g->max_ms = (u32)x;
		break;
	default:
		break;
	}
}

/* The end of a guest section (a new header, or the end of the file). */
static void end_section(struct parser *p)
{
	struct cfg_guest *g = &p->g;

	if (p->state != IN_GUEST)
		return;
	p->state = IN_GLOBAL;
	/* Only "never given": a kernel line with an error was reported already. */
	if (!(p->g_seen & BIT(K_KERNEL))) {
		struct view name = { g->name, 0 };
		while (g->name[name.n])
			name.n++;
		errorf_at(p, p->g_line, "guest %v has no kernel", (struct args){ .v = name });
	}
	if (!(p->g_seen & BIT(K_MEM_MB)))
		g->mem_mb = g->kind == GUEST_LINUX ? 256 : 16;
	if (!p->g_bad)
		memcpy(&p->cfg->guest[p->cfg->nguests++], g, sizeof(*g));
}

/*
 * A line starting with '['.  Only [guest NAME] opens a section we parse.
 * A well-formed [guest NAME] always opens one, even when the name is bad
 * or there are too many guests, so that its lines are still checked; it
 * will just not be kept.
 */
static void parse_header(struct parser *p, struct view line)
{
	struct formica_config *cfg = p->cfg;
	size_t close = find(line, ']');
	struct view inner, rest, type, name;
	size_t i;

	end_section(p);
	p->state = IN_SKIP; /* until we know it is a good header */

	if (close == line.n) {
		errorf(p, "malformed section header (no ']')");
		return;
	}
	rest = trim((struct view){ line.p + close + 1, line.n - close - 1 });
	if (rest.n > 0 && rest.p[0] != '#') {
		errorf(p, "malformed section header (text after ']')");
		return;
	}
	inner = trim((struct view){ line.p + 1, close - 1 });
	i = 0;
	while (i < inner.n && !is_blank(inner.p[i]))
		i++;
	type = (struct view){ inner.p, i };
	name = trim((struct view){ inner.p + i, inner.n - i });
	if (type.n == 0) {
		errorf(p, "malformed section header (want [guest NAME])");
		return;
	}
	if (!is_word(type, "guest")) {
		errorf(p, "unknown section type %v (want [guest NAME])", .v = type);
		return;
	}
	if (name.n == 0) {
		errorf(p, "malformed section header (want [guest NAME])");
		return;
	}

	p->state = IN_GUEST;
	memset(&p->g, 0, sizeof(p->g));
	p->g_line = p->line;
	p->g_bad = false;
	p->g_seen = 0;
	/* Keep the name, clipped if too long, for later messages. */
	copy_str(p->g.name, sizeof(p->g.name),
		 (struct view){ name.p, name.n < CFG_NAME_LEN ? name.n : CFG_NAME_LEN - 1 });

	i = 0;
	while (i < name.n && cfg_name_char(name.p[i]))
		i++;
	if (name.n >= CFG_NAME_LEN) {
		errorf(p, "guest name %v too long (max %1 chars)", .v = name,
		       .n1 = CFG_NAME_LEN - 1);
	} else if (i < name.n) {
		errorf(p, "bad guest name %v (letters, digits, '_' and '-' only)", .v = name);
	} else {
		for (i = 0; i < cfg->nguests; i++)
			if (str_eq(cfg->guest[i].name, p->g.name))
				break;
		if (i < cfg->nguests)
			errorf(p, "duplicate guest name %v", .v = name);
	}
	if (cfg->nguests == CFG_MAX_GUESTS)
		errorf(p, "too many guests (max %1)", .n1 = CFG_MAX_GUESTS);
}

static enum key lookup_key(struct view word)
{
	int k;

	for (k = 0; k < NKEYS; k++)
		if (is_word(word, key_name[k]))
			break;
	return (enum key)k; /* NKEYS: unknown */
}

/* One line, without its '\n'. */
static void parse_line(struct parser *p, struct view line)
{
	struct view key, rest, value;
	enum key k;
	size_t i;

	/* A NUL would silently cut a value short when it is used as a C string. */
	if (find(line, '\0') < line.n) {
		errorf(p, "NUL byte in line (is formica.cfg a text file?)");
		return;
	}
	line = trim(line); /* also drops the '\r' of a CRLF */
	if (line.n == 0 || line.p[0] == '#')
		return;
	if (line.p[0] == '[') {
		parse_header(p, line);
		return;
	}
	if (p->state == IN_SKIP)
		return;

	/* key = value */
	i = 0;
	while (i < line.n && !is_blank(line.p[i]) && line.p[i] != '=' && line.p[i] != '#')
		i++;
	key = (struct view){ line.p, i };
	rest = trim((struct view){ line.p + i, line.n - i });
	if (key.n == 0) {
		errorf(p, "missing key before '='");
		return;
	}
	if (rest.n == 0 || rest.p[0] != '=') {
		errorf(p, "missing '=' after %v", .v = key);
		return;
	}
	rest = trim((struct view){ rest.p + 1, rest.n - 1 });

	k = lookup_key(key);
	if (k == NKEYS) {
		errorf(p, "unknown key %v", .v = key);
		return;
	}
	/* cmdline keeps everything; for the rest, '#' starts a comment */
	value = k == K_CMDLINE ? rest : trim((struct view){ rest.p, find(rest, '#') });

	if (k < K_FIRST_GUEST) {
		if (p->state == IN_GUEST) {
			errorf(p, "global key %v inside a guest section (global keys go before the "
				  "first [guest])", .v = key);
			return;
		}
		if (p->global_seen & BIT(k)) {
			errorf(p, "duplicate key %v (%s is back to its default)", .v = key,
			       .s = key_name[k]);
			set_global_default(p->cfg, k);
			return;
		}
		p->global_seen |= BIT(k);
		set_global(p, k, value);
	} else {
		if (p->state != IN_GUEST) {
			errorf(p, "key %v outside a [guest NAME] section", .v = key);
			return;
		}
		if ((p->g_seen & BIT(k)) && k != K_DISK) {
			errorf(p, "duplicate key %v", .v = key);
			return;
		}
		p->g_seen |= BIT(k);
		set_guest(p, k, value);
	}
}

int config_parse(const char *text, size_t len, struct formica_config *cfg, char *err,
		 size_t errlen)
{
	struct parser p;
	size_t pos = 0, end;

	memset(cfg, 0, sizeof(*cfg));
	for (int k = 0; k < K_FIRST_GUEST; k++)
		set_global_default(cfg, (enum key)k);

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.err = err;
	p.errlen = errlen;
	p.state = IN_GLOBAL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		len = 0;

	/* UTF-8 byte-order mark */
	if (len >= 3 && (u8)text[0] == 0xef && (u8)text[1] == 0xbb && (u8)text[2] == 0xbf)
		pos = 3;

	while (pos < len) {
		p.line++;
		end = pos + find((struct view){ text + pos, len - pos }, '\n');
		parse_line(&p, (struct view){ text + pos, end - pos });
		pos = end + 1; /* past the '\n', or past len on a last line without one */
	}
	end_section(&p);
	return p.nerrors;
}
