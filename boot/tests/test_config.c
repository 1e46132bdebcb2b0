/*
 * test_config.c - unit tests for the formica.cfg parser (boot/config.c).
 *
 * Every file is handed to config_parse() in a malloc()ed buffer of exactly
 * its length, without a NUL, so AddressSanitizer catches any read past the
 * end of the text.  Error output is compared whole: the line numbers and the
 * wording are what a user sees when a boot goes wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct formica_config cfg;
static char err[CFG_ERR_LEN];

static int parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int n;

	memcpy(copy, text, len);
	memset(&cfg, 0xa5, sizeof(cfg)); /* the parser must set every field */
	memset(err, 'x', sizeof(err));
	n = config_parse(copy, len, &cfg, err, sizeof(err));
	free(copy);
	return n;
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void assert_defaults(void)
{
	assert_int_equal(cfg.serial, SERIAL_AUTO);
	assert_int_equal(cfg.serial_port, 0x3f8);
	assert_true(cfg.screen);
	assert_int_equal(cfg.log, LOG_SUMMARY);
	assert_int_equal(cfg.sample_ms, 10000);
	assert_int_equal(cfg.switches_ms, 100);
	assert_int_equal(cfg.wss_sample, 100);
	assert_int_equal(cfg.slice_ms, 10);
	assert_int_equal(cfg.selftest, SELFTEST_NONE);
	assert_int_equal(cfg.timer, TIMER_LAPIC);
	assert_int_equal(cfg.antfarm, ANTFARM_PLAIN);
	assert_int_equal(cfg.iosched, IOSCHED_ANTICIPATORY);
	assert_int_equal(cfg.iosched_key, IOSCHED_KEY_PROCESS);
	assert_int_equal(cfg.disk_model, DISK_MODEL_NONE);
	assert_int_equal(cfg.shadow, SHADOW_POLICY_SYNCED);
}

/* A file that names one bad value of a global key: default stays. */
static void assert_one_error(const char *text, const char *expect)
{
	assert_int_equal(parse(text), 1);
	assert_string_equal(err, expect);
}

/* ------------------------------------------------------------ valid files */

static const char full_file[] = "# formica.cfg for the lab machine\n"
				"serial = 0x2f8\n"
				"log = verbose\n"
				"sample_ms = 250\n"
				"switches_ms = 300\n"
				"wss_sample = 0\n"
				"slice_ms = 5\n"
				"selftest = storage\n"
				"\n"
				"[guest alpine]\n"
				"kind = linux\n"
				"kernel = \\formica\\bzImage\n"
				"initrd = \\formica\\initrd.img\n"
				"cmdline = console=ttyS0 root=/dev/sda1 quiet\n"
				"mem_mb = 512\n"
				"disk = 2048+409600\n"
				"disk = 0x80000+0x1000\n"
				"\n"
				"[guest hello]\n"
				"kernel = \\formica\\hello.bin\n";

/* selftest = iosched: the scheduler's self-test (hv/storage/ioselftest.c). */
static void test_selftest_iosched(void **state)
{
	assert_int_equal(parse("selftest = iosched\n"), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.selftest, SELFTEST_IOSCHED);
}

static void test_full_file(void **state)
{
	struct cfg_guest *g;

	assert_int_equal(parse(full_file), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.serial_port, 0x2f8);
	assert_int_equal(cfg.log, LOG_VERBOSE);
	assert_int_equal(cfg.sample_ms, 250);
	assert_int_equal(cfg.switches_ms, 300);
	assert_int_equal(cfg.wss_sample, 0);
	assert_int_equal(cfg.slice_ms, 5);
	assert_int_equal(cfg.selftest, SELFTEST_STORAGE);
	assert_int_equal(cfg.nguests, 2);

	g = &cfg.guest[0];
	assert_string_equal(g->name, "alpine");
	assert_int_equal(g->kind, GUEST_LINUX);
	assert_string_equal(g->kernel, "\\formica\\bzImage");
	assert_string_equal(g->initrd, "\\formica\\initrd.img");
	assert_string_equal(g->cmdline, "console=ttyS0 root=/dev/sda1 quiet");
	assert_int_equal(g->mem_mb, 512);
	assert_int_equal(g->nextents, 2);
	assert_int_equal(g->extent[0].lba, 2048);
	assert_int_equal(g->extent[0].sectors, 409600);
	assert_int_equal(g->extent[1].lba, 0x80000);
	assert_int_equal(g->extent[1].sectors, 0x1000);

	g = &cfg.guest[1];
	assert_string_equal(g->name, "hello");
	assert_int_equal(g->kind, GUEST_FLAT);
	assert_string_equal(g->kernel, "\\formica\\hello.bin");
	assert_string_equal(g->initrd, "");
	assert_string_equal(g->cmdline, "");
	assert_int_equal(g->mem_mb, 16);
	assert_int_equal(g->nextents, 0);
}

static void test_empty_file_gives_defaults(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_string_equal(err, "");
	assert_defaults();
	assert_int_equal(cfg.nguests, 0);

	/* NULL text with length 0 is an empty file too */
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(config_parse(NULL, 0, &cfg, err, sizeof(err)), 0);
	assert_defaults();
	assert_int_equal(cfg.nguests, 0);
}

static void test_guest_defaults(void **state)
{
	/* mem_mb's default depends on kind, which may come after it */
	assert_int_equal(parse("[guest a]\nkernel = \\a\n"
			       "[guest b]\nkernel = \\b\nkind = linux\n"
			       "[guest c]\nkind = flat\nkernel = \\c\n"),
			 0);
	assert_defaults();
	assert_int_equal(cfg.nguests, 3);
	assert_int_equal(cfg.guest[0].kind, GUEST_FLAT);
	assert_int_equal(cfg.guest[0].mem_mb, 16);
	assert_int_equal(cfg.guest[1].kind, GUEST_LINUX);
	assert_int_equal(cfg.guest[1].mem_mb, 256);
	assert_int_equal(cfg.guest[2].kind, GUEST_FLAT);
	assert_int_equal(cfg.guest[2].mem_mb, 16);
	assert_string_equal(cfg.guest[0].initrd, "");
	assert_string_equal(cfg.guest[0].cmdline, "");
	assert_int_equal(cfg.guest[0].nextents, 0);
}

static void test_serial_modes_and_screen(void **state)
{
	assert_int_equal(parse("serial = pci\nscreen = off\n"), 0);
	assert_int_equal(cfg.serial, SERIAL_PCI);
	assert_false(cfg.screen);
	assert_int_equal(parse("serial = auto\nscreen = on\n"), 0);
	assert_int_equal(cfg.serial, SERIAL_AUTO);
	assert_int_equal(cfg.serial_port, 0x3f8);
	assert_true(cfg.screen);
	assert_int_equal(parse("serial = 0x2f8\n"), 0);
	assert_int_equal(cfg.serial, SERIAL_PORT);
	assert_int_equal(cfg.serial_port, 0x2f8);
	/* A bad value leaves the default. */
	assert_one_error("screen = yes\n",
			 "formica.cfg:1: unknown value 'yes' for screen (on or off)\n");
	assert_true(cfg.screen);
	assert_one_error("serial = PCI\n", "formica.cfg:1: bad number 'PCI' for serial\n");
	assert_int_equal(cfg.serial, SERIAL_AUTO);
}

static void test_serial_none_and_numbers(void **state)
{
	assert_int_equal(parse("serial = none\n"), 0);
	assert_int_equal(cfg.serial, SERIAL_NONE);
	assert_int_equal(cfg.serial_port, 0);
	assert_int_equal(parse("serial = 0\n"), 0);
	assert_int_equal(cfg.serial, SERIAL_NONE);
	assert_int_equal(cfg.serial_port, 0);
	assert_int_equal(parse("serial = 1016\n"), 0); /* decimal 0x3f8 */
	assert_int_equal(cfg.serial, SERIAL_PORT);
	assert_int_equal(cfg.serial_port, 0x3f8);
	assert_int_equal(parse("serial = 0X2E8\n"), 0);
	assert_int_equal(cfg.serial_port, 0x2e8);
	assert_int_equal(parse("sample_ms = 0100\n"), 0); /* not octal */
	assert_int_equal(cfg.sample_ms, 100);
	assert_int_equal(parse("sample_ms = 60000\nslice_ms = 1000\n"), 0);
	assert_int_equal(cfg.sample_ms, 60000);
	assert_int_equal(cfg.slice_ms, 1000);
	assert_int_equal(parse("sample_ms = 1\nslice_ms = 1\n"), 0);
	assert_int_equal(cfg.sample_ms, 1);
	assert_int_equal(cfg.slice_ms, 1);
	assert_int_equal(parse("sample_ms = 0\nwss_sample = 4096\nswitches_ms = 60000\n"), 0);
	assert_int_equal(cfg.sample_ms, 0); /* no samples */
	assert_int_equal(cfg.wss_sample, 4096);
	assert_int_equal(cfg.switches_ms, 60000);
	assert_int_equal(
		parse("[guest g]\nkernel=\\k\nmem_mb=2\n[guest h]\nkernel=\\k\nmem_mb=65536\n"), 0);
	assert_int_equal(cfg.guest[0].mem_mb, 2);
	assert_int_equal(cfg.guest[1].mem_mb, 65536);
}

/* The four console levels (hv/antfarm/evlog.h). */
static void test_log_levels(void **state)
{
	assert_int_equal(parse("log = counts\n"), 0);
	assert_int_equal(cfg.log, LOG_COUNTS);
	assert_int_equal(parse("log = verbose\n"), 0);
	assert_int_equal(cfg.log, LOG_VERBOSE);
	assert_int_equal(parse("log = switches\n"), 0);
	assert_int_equal(cfg.log, LOG_SWITCHES);
	assert_int_equal(parse("log = summary\n"), 0);
	assert_int_equal(cfg.log, LOG_SUMMARY);
}

static void test_extents(void **state)
{
	assert_int_equal(parse("[guest g]\nkernel = \\k\n"
			       "disk = 0+1\n"
			       "disk = 100 + 200\n"
			       "disk=0xffffffffffffff00+0xff\n"
			       "disk = 7+8 # comment\n"),
			 0);
	assert_int_equal(cfg.nguests, 1);
	assert_int_equal(cfg.guest[0].nextents, 4);
	assert_int_equal(cfg.guest[0].extent[0].lba, 0);
	assert_int_equal(cfg.guest[0].extent[0].sectors, 1);
	assert_int_equal(cfg.guest[0].extent[1].lba, 100);
	assert_int_equal(cfg.guest[0].extent[1].sectors, 200);
	assert_true(cfg.guest[0].extent[2].lba == 0xffffffffffffff00ull);
	assert_int_equal(cfg.guest[0].extent[2].sectors, 0xff);
	assert_int_equal(cfg.guest[0].extent[3].lba, 7);
	assert_int_equal(cfg.guest[0].extent[3].sectors, 8);
}

/* ------------------------------------------------------------ line syntax */

static void test_crlf(void **state)
{
	assert_int_equal(parse("serial = 0x2f8\r\n"
			       "log = verbose\r\n"
			       "\r\n"
			       "[guest w]\r\n"
			       "kernel = \\formica\\w.bin\r\n"
			       "cmdline = a b\r\n"),
			 0);
	assert_int_equal(cfg.serial_port, 0x2f8);
	assert_int_equal(cfg.log, LOG_VERBOSE);
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].name, "w");
	assert_string_equal(cfg.guest[0].kernel, "\\formica\\w.bin");
	assert_string_equal(cfg.guest[0].cmdline, "a b");

	/* and line numbers still count CRLF lines */
	assert_one_error("\r\n\r\nfoo = 1\r\n", "formica.cfg:3: unknown key 'foo'\n");
}

static void test_no_final_newline(void **state)
{
	assert_int_equal(parse("[guest x]\nkernel = \\formica\\x.bin"), 0);
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].kernel, "\\formica\\x.bin");

	assert_int_equal(parse("[guest x]\ncmdline = quiet\r\nkernel = \\k\r"), 0);
	assert_string_equal(cfg.guest[0].kernel, "\\k");

	/* the error on an unterminated last line has the right number */
	assert_one_error("\n\nlog = loud",
			 "formica.cfg:3: unknown value 'loud' for log (summary, switches, verbose or counts)\n");
	assert_defaults();
}

static void test_comments_and_blanks(void **state)
{
	assert_int_equal(parse("# a comment\n"
			       "   # an indented comment\n"
			       "\t\n"
			       "  serial\t=\t0x2f8   # the second port\n"
			       "log=verbose#no space needed\n"
			       "[guest c]   # a header comment\n"
			       "  [guest]-looking text in a comment # [guest d]\n"),
			 2);
	/* line 7 is not a comment: it starts with '[' (and it ends section c) */
	assert_string_equal(err, "formica.cfg:6: guest 'c' has no kernel\n"
				 "formica.cfg:7: malformed section header (text after ']')\n");

	assert_int_equal(parse("# a comment\n"
			       "   # an indented comment\n"
			       "\t\n"
			       "  serial\t=\t0x2f8   # the second port\n"
			       "log=verbose#no space needed\n"
			       "[guest c]   # a header comment\n"
			       "\tkernel = \\formica\\c.bin # the kernel\n"
			       "  mem_mb = 32#MiB\n"),
			 0);
	assert_int_equal(cfg.serial_port, 0x2f8);
	assert_int_equal(cfg.log, LOG_VERBOSE);
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].name, "c");
	assert_string_equal(cfg.guest[0].kernel, "\\formica\\c.bin");
	assert_int_equal(cfg.guest[0].mem_mb, 32);
}

static void test_cmdline_verbatim(void **state)
{
	assert_int_equal(parse("[guest l]\n"
			       "kind = linux\n"
			       "kernel = \\formica\\bzImage\n"
			       "cmdline =   console=ttyS0  init=/bin/sh -c 'echo #1 # 2'  \t \r\n"),
			 0);
	assert_string_equal(cfg.guest[0].cmdline, "console=ttyS0  init=/bin/sh -c 'echo #1 # 2'");

	/* '#' right after '=', and an empty cmdline */
	assert_int_equal(parse("[guest l]\nkernel = \\k\ncmdline=#x\n"
			       "[guest m]\nkernel = \\k\ncmdline =   \n"),
			 0);
	assert_string_equal(cfg.guest[0].cmdline, "#x");
	assert_string_equal(cfg.guest[1].cmdline, "");
}

static void test_bom(void **state)
{
	assert_int_equal(parse("\xef\xbb\xbfserial = none\nfoo = 1\n"), 1);
	assert_int_equal(cfg.serial_port, 0);
	assert_string_equal(err, "formica.cfg:2: unknown key 'foo'\n");
}

static void test_path_with_spaces(void **state)
{
	assert_int_equal(parse("[guest p]\nkernel =  \\formica\\my kernel.bin  \n"), 0);
	assert_string_equal(cfg.guest[0].kernel, "\\formica\\my kernel.bin");
}

/* ------------------------------------------------------------ each error */

static void test_antfarm(void **state)
{
	(void)state;
	assert_int_equal(parse("antfarm = exec-aware\n"), 0);
	assert_int_equal(cfg.antfarm, ANTFARM_EXEC_AWARE);
	assert_int_equal(parse("antfarm = off\n"), 0);
	assert_int_equal(cfg.antfarm, ANTFARM_OFF);
	assert_int_equal(parse("antfarm = plain\n"), 0);
	assert_int_equal(cfg.antfarm, ANTFARM_PLAIN);
	assert_one_error("antfarm = on\n",
			 "formica.cfg:1: unknown value 'on' for antfarm (off, plain or exec-aware)\n");
	assert_int_equal(cfg.antfarm, ANTFARM_PLAIN); /* a bad value keeps the default */
}

static void test_iosched_keys(void **state)
{
	(void)state;
	assert_int_equal(parse("iosched = fcfs\niosched_key = guest\ndisk_model = hdd7200\n"), 0);
	assert_int_equal(cfg.iosched, IOSCHED_FCFS);
	assert_int_equal(cfg.iosched_key, IOSCHED_KEY_GUEST);
	assert_int_equal(cfg.disk_model, DISK_MODEL_HDD7200);
	assert_int_equal(parse("iosched = deadline\n"), 0);
	assert_int_equal(cfg.iosched, IOSCHED_DEADLINE);
	assert_one_error("iosched = cfq\n", "formica.cfg:1: unknown value 'cfq' for iosched "
					  "(anticipatory, deadline or fcfs)\n");
	assert_int_equal(cfg.iosched, IOSCHED_ANTICIPATORY);
	assert_one_error("iosched_key = pid\n",
			 "formica.cfg:1: unknown value 'pid' for iosched_key (process or guest)\n");
	assert_one_error("disk_model = ssd\n",
			 "formica.cfg:1: unknown value 'ssd' for disk_model (none or hdd7200)\n");
	/* Global keys: not inside a guest section. */
	assert_int_equal(parse("[guest a]\nkernel = k\niosched = fcfs\n"), 1);
}

/* shadow = cached | synced | reference; anything else keeps the default. */
static void test_shadow_policy(void **state)
{
	(void)state;
	assert_int_equal(parse("shadow = reference\n"), 0);
	assert_int_equal(cfg.shadow, SHADOW_POLICY_REFERENCE);
	assert_int_equal(parse("shadow=cached\n"), 0);
	assert_int_equal(cfg.shadow, SHADOW_POLICY_CACHED);
	assert_int_equal(parse("shadow = synced\n"), 0);
	assert_int_equal(cfg.shadow, SHADOW_POLICY_SYNCED);
	assert_one_error("shadow = kvm\n",
			 "formica.cfg:1: unknown value 'kvm' for shadow (cached, synced or "
			 "reference)\n");
	assert_int_equal(cfg.shadow, SHADOW_POLICY_SYNCED);
	assert_one_error("shadow = Reference\n", "formica.cfg:1: unknown value 'Reference' for "
						    "shadow (cached, synced or reference)\n");
	/* Given twice: an error, and the default stays. */
	assert_int_equal(parse("shadow = reference\nshadow = reference\n"), 1);
	assert_int_equal(cfg.shadow, SHADOW_POLICY_SYNCED);
	/* A global key: not inside a guest section. */
	assert_int_equal(parse("[guest a]\nkernel = k\nshadow = reference\n"), 1);
}

/* shadow_2m = on | off; default on. */
static void test_shadow_2m(void **state)
{
	(void)state;
	assert_int_equal(parse("shadow = cached\n"), 0);
	assert_true(cfg.shadow_2m);
	assert_int_equal(parse("shadow_2m = off\n"), 0);
	assert_false(cfg.shadow_2m);
	assert_int_equal(parse("shadow_2m=on\n"), 0);
	assert_true(cfg.shadow_2m);
	assert_one_error("shadow_2m = 1\n",
			 "formica.cfg:1: unknown value '1' for shadow_2m (on or off)\n");
	assert_true(cfg.shadow_2m);
}

static void test_max_ms(void **state)
{
	assert_int_equal(parse("[guest a]\nkernel = a.bin\nmax_ms = 2500\n"
			       "[guest b]\nkernel = b.bin\n"),
			 0);
	assert_int_equal(cfg.nguests, 2);
	assert_int_equal(cfg.guest[0].max_ms, 2500);
	assert_int_equal(cfg.guest[1].max_ms, 0); /* default: no limit */
	assert_one_error("[guest a]\nkernel = a.bin\nmax_ms = 0\n",
			 "formica.cfg:3: value '0' out of range for max_ms (1..86400000)\n");
	assert_one_error("max_ms = 5\n", "formica.cfg:1: key 'max_ms' outside a [guest NAME] "
					  "section\n");
}

static void test_timer(void **state)
{
	assert_int_equal(parse("timer = preemption\n"), 0);
	assert_int_equal(cfg.timer, TIMER_PREEMPTION);
	assert_int_equal(parse("timer = lapic\n"), 0);
	assert_int_equal(cfg.timer, TIMER_LAPIC);
}

static void test_unknown_key(void **state)
{
	assert_one_error("serial = 0x3f8\nverbose = 1\n", "formica.cfg:2: unknown key 'verbose'\n");
	assert_one_error("[guest g]\nkernel = \\k\nKernel = \\k\n",
			 "formica.cfg:3: unknown key 'Kernel'\n");
	assert_int_equal(cfg.nguests, 0);
}

static void test_missing_equals(void **state)
{
	assert_one_error("\nserial 0x2f8\n", "formica.cfg:2: missing '=' after 'serial'\n");
	assert_defaults();
	assert_one_error("[guest g]\nkernel = \\k\nmem_mb 5\n",
			 "formica.cfg:3: missing '=' after 'mem_mb'\n");
	assert_int_equal(cfg.nguests, 0);
	/* the '=' hidden in a comment does not count */
	assert_one_error("log # = verbose\n", "formica.cfg:1: missing '=' after 'log'\n");
	assert_one_error("  = 5\n", "formica.cfg:1: missing key before '='\n");
}

static void test_bad_number(void **state)
{
	assert_one_error("[guest g]\nkernel = \\k\nmem_mb = 16M\n",
			 "formica.cfg:3: bad number '16M' for mem_mb\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error("sample_ms = -1\n", "formica.cfg:1: bad number '-1' for sample_ms\n");
	assert_one_error("slice_ms = 0x\n", "formica.cfg:1: bad number '0x' for slice_ms\n");
	assert_one_error("slice_ms =\n", "formica.cfg:1: bad number '' for slice_ms\n");
	assert_one_error("serial = 0x3g8\n", "formica.cfg:1: bad number '0x3g8' for serial\n");
	assert_one_error("sample_ms = 1 2\n", "formica.cfg:1: bad number '1 2' for sample_ms\n");
	assert_defaults();
}

static void test_out_of_range(void **state)
{
	assert_one_error("[guest g]\nkernel = \\k\nmem_mb = 1\n",
			 "formica.cfg:3: value '1' out of range for mem_mb (2..65536)\n");
	assert_one_error("[guest g]\nkernel = \\k\nmem_mb = 65537\n",
			 "formica.cfg:3: value '65537' out of range for mem_mb (2..65536)\n");
	assert_one_error("switches_ms = 0\n",
			 "formica.cfg:1: value '0' out of range for switches_ms (1..60000)\n");
	assert_one_error("sample_ms = 60001\n",
			 "formica.cfg:1: value '60001' out of range for sample_ms (0..60000)\n");
	assert_one_error("wss_sample = 4097\n",
			 "formica.cfg:1: value '4097' out of range for wss_sample (0..4096)\n");
	assert_one_error("slice_ms = 1001\n",
			 "formica.cfg:1: value '1001' out of range for slice_ms (1..1000)\n");
	assert_one_error("serial = 0x10000\n",
			 "formica.cfg:1: value '0x10000' out of range for serial (0..65535)\n");
	/* numbers beyond 64 bits are out of range, not garbage */
	assert_one_error("slice_ms = 18446744073709551616\n",
			 "formica.cfg:1: value '18446744073709551616' out of range for slice_ms "
			 "(1..1000)\n");
	assert_one_error(
		"slice_ms = 0x10000000000000000\n",
		"formica.cfg:1: value '0x10000000000000000' out of range for slice_ms (1..1000)\n");
	assert_defaults();
}

static void test_duplicate_guest_name(void **state)
{
	assert_int_equal(parse("[guest a]\nkernel = \\a1\n"
			       "\n"
			       "[guest a]\nkernel = \\a2\n"),
			 1);
	assert_string_equal(err, "formica.cfg:4: duplicate guest name 'a'\n");
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].kernel, "\\a1");
}

static void test_too_many_guests(void **state)
{
	char text[1024];
	size_t n = 0;
	int i;

	for (i = 0; i < CFG_MAX_GUESTS + 2; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[guest g%d]\nkernel = \\k%d\n",
				      i, i);
	assert_int_equal(parse(text), 2);
	/* two lines per guest: the first one too many starts on line 2 * MAX + 1 */
	char want[256];
	snprintf(want, sizeof(want),
		 "formica.cfg:%d: too many guests (max %d)\n"
		 "formica.cfg:%d: too many guests (max %d)\n",
		 2 * CFG_MAX_GUESTS + 1, CFG_MAX_GUESTS, 2 * CFG_MAX_GUESTS + 3, CFG_MAX_GUESTS);
	assert_string_equal(err, want);
	assert_int_equal(cfg.nguests, CFG_MAX_GUESTS);
	char last[8];
	snprintf(last, sizeof(last), "g%d", CFG_MAX_GUESTS - 1);
	assert_string_equal(cfg.guest[CFG_MAX_GUESTS - 1].name, last);

	/* dropped guests do not take a place */
	n = (size_t)snprintf(text, sizeof(text), "[guest bad]\nmem_mb = 0\nkernel = \\k\n");
	for (i = 0; i < CFG_MAX_GUESTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[guest g%d]\nkernel = \\k%d\n",
				      i, i);
	assert_int_equal(parse(text), 1);
	assert_int_equal(cfg.nguests, CFG_MAX_GUESTS);
}

static void test_no_kernel(void **state)
{
	/* reported at the header's line, after the section's other lines */
	assert_int_equal(parse("log = verbose\n"
			       "\n"
			       "[guest empty]\n"
			       "mem_mb = 32\n"
			       "[guest ok]\n"
			       "kernel = \\ok\n"
			       "[guest last]\n"
			       "cmdline = x\n"),
			 2);
	assert_string_equal(err, "formica.cfg:3: guest 'empty' has no kernel\n"
				 "formica.cfg:7: guest 'last' has no kernel\n");
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].name, "ok");

	assert_one_error("[guest e]\nkernel =   # nothing\n",
			 "formica.cfg:2: missing value for kernel\n");
}

static void test_value_too_long(void **state)
{
	char text[2048], path[CFG_PATH_LEN + 1], cmd[CFG_CMDLINE_LEN + 1];

	/* CFG_PATH_LEN - 1 characters fit, one more does not */
	memset(path, 'p', sizeof(path));
	path[0] = '\\';
	path[CFG_PATH_LEN - 1] = '\0';
	snprintf(text, sizeof(text), "[guest g]\nkernel = %s\ninitrd = %s\n", path, path);
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.guest[0].kernel, path);
	assert_string_equal(cfg.guest[0].initrd, path);

	path[CFG_PATH_LEN - 1] = 'p';
	path[CFG_PATH_LEN] = '\0';
	snprintf(text, sizeof(text), "[guest g]\nkernel = %s\n", path);
	assert_one_error(text, "formica.cfg:2: value too long for kernel (max 127 chars)\n");
	assert_int_equal(cfg.nguests, 0);
	snprintf(text, sizeof(text), "[guest g]\nkernel = \\k\ninitrd = %s\n", path);
	assert_one_error(text, "formica.cfg:3: value too long for initrd (max 127 chars)\n");
	assert_int_equal(cfg.nguests, 0);

	memset(cmd, 'c', sizeof(cmd));
	cmd[CFG_CMDLINE_LEN - 1] = '\0';
	snprintf(text, sizeof(text), "[guest g]\nkernel = \\k\ncmdline = %s\n", cmd);
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.guest[0].cmdline, cmd);
	cmd[CFG_CMDLINE_LEN - 1] = 'c';
	cmd[CFG_CMDLINE_LEN] = '\0';
	snprintf(text, sizeof(text), "[guest g]\nkernel = \\k\ncmdline = %s\n", cmd);
	assert_one_error(text, "formica.cfg:3: value too long for cmdline (max 511 chars)\n");

	/* names: 31 characters fit, 32 do not; the message clips the name */
	assert_int_equal(parse("[guest abcdefghijklmnopqrstuvwxyz01234]\nkernel = \\k\n"), 0);
	assert_string_equal(cfg.guest[0].name, "abcdefghijklmnopqrstuvwxyz01234");
	assert_one_error(
		"[guest abcdefghijklmnopqrstuvwxyz012345]\nkernel = \\k\n",
		"formica.cfg:1: guest name 'abcdefghijklmnopqrstuvwxyz012345' too long (max 31 "
		"chars)\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error(
		"[guest abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH]\nkernel = \\k\n",
		"formica.cfg:1: guest name 'abcdefghijklmnopqrstuvwxyz0123456789ABCD...' too "
		"long (max 31 chars)\n");
}

static void test_malformed_header(void **state)
{
	assert_one_error("[guest a\nkernel = \\k\n",
			 "formica.cfg:1: malformed section header (no ']')\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error("[guest a] kernel = \\k\n",
			 "formica.cfg:1: malformed section header (text after ']')\n");
	assert_one_error("\n[]\n", "formica.cfg:2: malformed section header (want [guest NAME])\n");
	assert_one_error("[ guest ]\nkernel = \\k\n",
			 "formica.cfg:1: malformed section header (want [guest NAME])\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error(
		"[guest a!]\nkernel = \\k\n",
		"formica.cfg:1: bad guest name 'a!' (letters, digits, '_' and '-' only)\n");
	assert_one_error(
		"[guest my vm]\nkernel = \\k\n",
		"formica.cfg:1: bad guest name 'my vm' (letters, digits, '_' and '-' only)\n");
	assert_int_equal(cfg.nguests, 0);

	/* blanks inside the brackets are fine */
	assert_int_equal(parse("[  guest\tA-b_9  ]\nkernel = \\k\n"), 0);
	assert_string_equal(cfg.guest[0].name, "A-b_9");
}

static void test_unknown_kind(void **state)
{
	assert_one_error("[guest g]\nkernel = \\k\nkind = windows\n",
			 "formica.cfg:3: unknown kind 'windows' (flat or linux)\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error("[guest g]\nkernel = \\k\nkind = Linux\n",
			 "formica.cfg:3: unknown kind 'Linux' (flat or linux)\n");
}

static void test_unknown_section_type(void **state)
{
	/* the lines under it are skipped unchecked, up to the next header */
	assert_int_equal(parse("[disk d]\n"
			       "lba = 7\n"
			       "nonsense\n"
			       "[guest g]\n"
			       "kernel = \\k\n"),
			 1);
	assert_string_equal(err,
			    "formica.cfg:1: unknown section type 'disk' (want [guest NAME])\n");
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].name, "g");

	assert_one_error("[guests g]\n",
			 "formica.cfg:1: unknown section type 'guests' (want [guest NAME])\n");
}

static void test_global_key_in_guest(void **state)
{
	assert_one_error(
		"[guest g]\nkernel = \\k\nserial = none\n",
		"formica.cfg:3: global key 'serial' inside a guest section (global keys go "
		"before the first [guest])\n");
	assert_int_equal(cfg.nguests, 0);
	assert_defaults(); /* and the setting was not taken */

	assert_one_error("kernel = \\k\n",
			 "formica.cfg:1: key 'kernel' outside a [guest NAME] section\n");
}

static void test_other_value_errors(void **state)
{
	assert_one_error("log = debug\n",
			 "formica.cfg:1: unknown value 'debug' for log (summary, switches, verbose or counts)\n");
	assert_one_error("selftest = all\n",
			 "formica.cfg:1: unknown value 'all' for selftest (none, storage or iosched)\n");
	assert_defaults();
	assert_one_error("timer = pit\n",
			 "formica.cfg:1: unknown value 'pit' for timer (lapic or preemption)\n");
	assert_defaults();

	assert_one_error("[guest g]\nkernel = \\k\ndisk = 2048\n",
			 "formica.cfg:3: bad disk extent '2048' (want LBA+SECTORS)\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error("[guest g]\nkernel = \\k\ndisk = x+1\n",
			 "formica.cfg:3: bad number 'x' for disk\n");
	assert_one_error("[guest g]\nkernel = \\k\ndisk = 1+\n",
			 "formica.cfg:3: bad number '' for disk\n");
	assert_one_error("[guest g]\nkernel = \\k\ndisk = 2048+0\n",
			 "formica.cfg:3: value '2048+0' out of range for disk (sectors must be at "
			 "least 1)\n");
	assert_one_error(
		"[guest g]\nkernel = \\k\ndisk = 0xffffffffffffffff+1\n",
		"formica.cfg:3: value '0xffffffffffffffff+1' out of range for disk (the extent "
		"must end below 2^64)\n");
	assert_int_equal(cfg.nguests, 0);
	assert_one_error(
		"[guest g]\nkernel = \\k\ndisk=1+1\ndisk=2+1\ndisk=3+1\ndisk=4+1\ndisk=5+1\n",
		"formica.cfg:7: too many disk extents (max 4)\n");
	assert_int_equal(cfg.nguests, 0);
}

static void test_duplicate_keys(void **state)
{
	/* a global given twice is an error, and falls back to its default */
	assert_one_error(
		"slice_ms = 5\nslice_ms = 6\n",
		"formica.cfg:2: duplicate key 'slice_ms' (slice_ms is back to its default)\n");
	assert_int_equal(cfg.slice_ms, 10);

	assert_one_error("[guest g]\nkernel = \\k\nkernel = \\j\n",
			 "formica.cfg:3: duplicate key 'kernel'\n");
	assert_int_equal(cfg.nguests, 0);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[guest g]\nkernel = \\k\0x\n";

	assert_int_equal(parse_n(text, sizeof(text) - 1), 2);
	assert_string_equal(err, "formica.cfg:2: NUL byte in line (is formica.cfg a text file?)\n"
				 "formica.cfg:1: guest 'g' has no kernel\n");
	assert_int_equal(cfg.nguests, 0);
}

static void test_global_error_keeps_default(void **state)
{
	assert_int_equal(
		parse("serial = com1\nlog = loud\nswitches_ms = 0\nslice_ms = x\nselftest = yes\n"
		      "[guest g]\nkernel = \\k\n"),
		5);
	assert_defaults();
	assert_int_equal(cfg.nguests, 1); /* global errors do not drop guests */
}

/* ------------------------------------------------------------ whole files */

static void test_bad_guest_dropped_good_stays(void **state)
{
	assert_int_equal(parse("[guest one]\n"
			       "kernel = \\one\n"
			       "[guest two]\n"
			       "kernel = \\two\n"
			       "mem_mb = lots\n"
			       "cmdline = still checked\n"
			       "kind = vm\n"
			       "[guest three]\n"
			       "kernel = \\three\n"
			       "mem_mb = 64\n"),
			 2);
	assert_string_equal(err, "formica.cfg:5: bad number 'lots' for mem_mb\n"
				 "formica.cfg:7: unknown kind 'vm' (flat or linux)\n");
	assert_int_equal(cfg.nguests, 2);
	assert_string_equal(cfg.guest[0].name, "one");
	assert_string_equal(cfg.guest[0].kernel, "\\one");
	assert_string_equal(cfg.guest[1].name, "three");
	assert_string_equal(cfg.guest[1].kernel, "\\three");
	assert_int_equal(cfg.guest[1].mem_mb, 64);
}

static void test_many_errors_all_reported(void **state)
{
	assert_int_equal(parse("a = 1\n"      /* 1 unknown key */
			       "serial\n"     /* 2 missing '=' */
			       "[guest x]\n"  /* 3 no kernel */
			       "mem_mb = 0\n" /* 4 out of range */
			       "[guest x]\n"  /* 5: not a duplicate: the first x was dropped */
			       "kernel = \\x\n"
			       "[x]\n"), /* 7 unknown section */
			 5);
	assert_string_equal(err, "formica.cfg:1: unknown key 'a'\n"
				 "formica.cfg:2: missing '=' after 'serial'\n"
				 "formica.cfg:4: value '0' out of range for mem_mb (2..65536)\n"
				 "formica.cfg:3: guest 'x' has no kernel\n"
				 "formica.cfg:7: unknown section type 'x' (want [guest NAME])\n");
	assert_int_equal(cfg.nguests, 1);
	assert_string_equal(cfg.guest[0].kernel, "\\x");
}

/* ------------------------------------------------------------ the err buffer */

static void test_err_truncation(void **state)
{
	static const char text[] = "a = 1\nb = 2\nc = 3\n";
	static const char line1[] = "formica.cfg:1: unknown key 'a'\n";
	char buf[64 + 8];
	size_t len;

	/* room for line 1 and the "..." marker, not for line 2 */
	for (len = 0; len < 64; len++) {
		memset(buf, '#', sizeof(buf));
		assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, buf, len), 3);
		/* nothing written past len */
		for (size_t i = len; i < sizeof(buf); i++)
			assert_int_equal(buf[i], '#');
		if (len == 0)
			continue;
		assert_true(strnlen(buf, len) < len); /* NUL-terminated */
		if (len < sizeof(line1) + 4)
			/* whole lines only, then "..." if it fits */
			assert_string_equal(buf, len > 4 ? "...\n" : "");
		else
			assert_string_equal(buf, "formica.cfg:1: unknown key 'a'\n...\n");
	}

	/* the full buffer: 100 errors, far more than fit; all are counted */
	{
		char big[100 * 8 + 1], *p = big;
		for (int i = 0; i < 100; i++)
			p += sprintf(p, "x%d = 1\n", i);
		assert_int_equal(parse(big), 100);
		len = strlen(err);
		assert_true(len < sizeof(err));
		assert_true(len > sizeof(err) - 64); /* filled, not given up early */
		assert_string_equal(err + len - 5, "\n...\n");
	}

	/* no buffer at all is fine */
	assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, NULL, 0), 3);
}

static void test_err_exact_fit(void **state)
{
	static const char text[] = "a = 1\n";
	static const char line1[] = "formica.cfg:1: unknown key 'a'\n";
	char buf[sizeof(line1) + 4];

	/* a line goes in when it leaves room for the "...\n" that may follow */
	assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, buf, sizeof(buf)), 1);
	assert_string_equal(buf, line1);
	assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, buf, sizeof(buf) - 1), 1);
	assert_string_equal(buf, "...\n");
}

static void test_quoted_values_clipped(void **state)
{
	assert_one_error(
		"log = 0123456789012345678901234567890123456789012\n",
		"formica.cfg:1: unknown value '0123456789012345678901234567890123456789...' for "
		"log (summary, switches, verbose or counts)\n");
	assert_one_error("log = a\tb\n",
			 "formica.cfg:1: unknown value 'a?b' for log (summary, switches, verbose or counts)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_selftest_iosched),
		cmocka_unit_test(test_empty_file_gives_defaults),
		cmocka_unit_test(test_guest_defaults),
		cmocka_unit_test(test_serial_none_and_numbers),
		cmocka_unit_test(test_serial_modes_and_screen),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_max_ms),
		cmocka_unit_test(test_antfarm),
		cmocka_unit_test(test_shadow_policy),
		cmocka_unit_test(test_shadow_2m),
		cmocka_unit_test(test_extents),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_cmdline_verbatim),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_path_with_spaces),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_missing_equals),
		cmocka_unit_test(test_bad_number),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_duplicate_guest_name),
		cmocka_unit_test(test_too_many_guests),
		cmocka_unit_test(test_no_kernel),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_unknown_section_type),
		cmocka_unit_test(test_global_key_in_guest),
		cmocka_unit_test(test_other_value_errors),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_global_error_keeps_default),
		cmocka_unit_test(test_bad_guest_dropped_good_stays),
		cmocka_unit_test(test_many_errors_all_reported),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_err_exact_fit),
		cmocka_unit_test(test_quoted_values_clipped),
		cmocka_unit_test(test_iosched_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
