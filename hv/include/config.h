/*
 * config.h - what formica.cfg says, after parsing.
 *
 * boot/ parses formica.cfg (boot/config.c, a pure parser with unit tests)
 * into this structure and copies it into the hand-off block, so hv/ sees
 * the same settings without parsing text again.  Fixed-size arrays only:
 * the structure is copied across the boot/hv boundary as plain bytes.
 *
 * The file format is documented in boot/config.c and README.md.
 */
#ifndef FORMICA_CONFIG_H
#define FORMICA_CONFIG_H

#include "types.h"

#define CFG_MAX_GUESTS 24 /* the itest boot runs a score of small guests */
#define CFG_NAME_LEN 32
#define CFG_PATH_LEN 128
#define CFG_CMDLINE_LEN 512
#define CFG_MAX_EXTENTS 4
#define CFG_ERR_LEN 2048

/* The characters of a guest name (boot/config.c accepts no others; the
 * host tools in tools/homogeneity read guest names back from the log). */
static inline bool cfg_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

enum guest_kind {
	GUEST_FLAT = 0,  /* guest-tests/ kernel: flat 64-bit binary, see hv/guest/loader.c */
	GUEST_LINUX = 1, /* bzImage, Linux x86 boot protocol */
};

enum log_level {
	LOG_SUMMARY = 0, /* every event but context switches (counted at marks and the end) */
	LOG_VERBOSE = 1, /* every event on its own line */
	LOG_SWITCHES = 2, /* summary, and the context switches of every switches_ms interval */
	LOG_COUNTS = 3, /* no event lines: only the counts at marks and the end (benchmarks) */
};

enum selftest {
	SELFTEST_NONE = 0,
	SELFTEST_STORAGE = 1, /* write/read/verify patterns over every guest extent */
	SELFTEST_IOSCHED = 2, /* concurrent keyed streams through sched/ and the real disk */
};

/* A slice of the physical disk given to a guest: [lba, lba + sectors). */
struct cfg_extent {
	u64 lba;
	u64 sectors;
};

struct cfg_guest {
	char name[CFG_NAME_LEN];
	enum guest_kind kind;
	char kernel[CFG_PATH_LEN]; /* path on the ESP, e.g. \formica\hello.bin */
	char initrd[CFG_PATH_LEN]; /* empty: none */
	char cmdline[CFG_CMDLINE_LEN];
	u64 mem_mb; /* guest RAM, default 256 (Linux) or 16 (flat) */
	u32 nextents;
	struct cfg_extent extent[CFG_MAX_EXTENTS];
	u32 max_ms; /* stop the guest this long after its first VM entry; 0 = never */
};

enum vmx_timer {
	TIMER_LAPIC = 0,      /* local APIC one-shot timer + external-interrupt exiting */
	TIMER_PREEMPTION = 1, /* the VMX-preemption timer */
};

enum antfarm_mode {
	ANTFARM_PLAIN = 0,      /* the paper's rules */
	ANTFARM_OFF = 1,        /* no process inference (roots not watched) */
	ANTFARM_EXEC_AWARE = 2, /* an exec continues its task's process */
};

/* The guests' virtual disks (hv/guest/vdisk_glue.c): which sched/ policy
 * orders their requests on the physical disk, what a "process" is for it,
 * and whether completions wait for a modelled hard disk. */
enum iosched_policy {
	IOSCHED_ANTICIPATORY = 0,
	IOSCHED_DEADLINE = 1,
	IOSCHED_FCFS = 2,
};

enum iosched_key {
	IOSCHED_KEY_PROCESS = 0, /* (guest, Antfarm's inferred process) */
	IOSCHED_KEY_GUEST = 1,   /* (guest): what a VMM without inference can do */
};

enum disk_model {
	DISK_MODEL_NONE = 0,    /* completions come when the disk is done */
	DISK_MODEL_HDD7200 = 1, /* ...and not before a 7200 rpm disk would be */
};

/* The shadow pager's policy for a root loaded again (hv/mm/shadow.h, enum
 * shadow_policy; the glue maps one to the other). */
enum shadow_policy_cfg {
	SHADOW_POLICY_CACHED = 0,    /* keep each root's shadow across CR3 loads */
	SHADOW_POLICY_REFERENCE = 1, /* an empty shadow at every CR3 load (the oracle) */
	SHADOW_POLICY_SYNCED = 2,    /* keep shadows whole: guest page tables write-protected */
};

/* Where the hv's console goes (hv/kernel/console.c, hv/pci/serialpick.c). */
enum serial_mode {
	SERIAL_AUTO = 0, /* the legacy port if a 16550 answers there, else a PCI one */
	SERIAL_PORT = 1, /* the 16550 at serial_port (I/O space) */
	SERIAL_PCI = 2,  /* the first 16550-compatible PCI function (class 07.00) */
	SERIAL_NONE = 3, /* no serial console */
};

struct formica_config {
	enum serial_mode serial;
	u16 serial_port;    /* SERIAL_AUTO: the legacy port tried first (0x3f8); SERIAL_PORT:
			     * the port; 0 with SERIAL_NONE */
	bool screen;        /* mirror the console on the GOP framebuffer; default on */
	enum log_level log;
	u32 sample_ms;      /* `sample` line interval, default 10000; 0: none */
	u32 switches_ms;    /* Antfarm `switches` summary interval, default 100 */
	u32 wss_sample;     /* pages the sampling WSS estimator takes, default 100 */
	u32 slice_ms;       /* time slice per guest when several run, default 10 */
	enum selftest selftest;
	enum vmx_timer timer;
	enum antfarm_mode antfarm;
	enum iosched_policy iosched;
	enum iosched_key iosched_key;
	enum disk_model disk_model;
	enum shadow_policy_cfg shadow;
	bool shadow_2m;     /* 2 MiB shadow leaves for large guest pages; default on */
	u32 nguests;
	struct cfg_guest guest[CFG_MAX_GUESTS];
};

/*
 * Parse the text of formica.cfg (len bytes, not necessarily NUL-terminated).
 * Fills *cfg with defaults first, then the file's settings.
 *
 * Returns the number of errors found.  Each error is one line appended to
 * err (NUL-terminated, at most errlen bytes), in the form
 *     formica.cfg:LINE: what is wrong
 * A guest section with an error is dropped as a whole; the other guests
 * stay, so the hypervisor can boot the remaining valid ones.
 */
int config_parse(const char *text, size_t len, struct formica_config *cfg,
		 char *err, size_t errlen);

#endif
