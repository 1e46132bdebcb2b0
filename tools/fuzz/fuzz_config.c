/*
 * fuzz_config.c - libFuzzer harness for the formica.cfg parser (boot/config.c).
 *
 * formica.cfg is whatever someone put on the ESP, so config_parse() must
 * survive any bytes.  The input is the file's text.  It is parsed with a
 * full-size error buffer and, one input in 4, again with a tiny one (each
 * malloc()ed to exactly its size, over a struct pre-filled with different
 * junk), and the harness checks
 * what the parser promises in config.h: the same settings either way, every
 * kept value in its documented range, strings NUL-terminated, one error line
 * per error unless the buffer filled up.  Any failed check aborts: a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_string(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

static void check_config(const struct formica_config *cfg)
{
	CHECK(cfg->log <= LOG_SWITCHES && cfg->selftest <= SELFTEST_IOSCHED);
	CHECK(cfg->timer <= TIMER_PREEMPTION && cfg->antfarm <= ANTFARM_EXEC_AWARE);
	CHECK(cfg->sample_ms <= 60000 && cfg->wss_sample <= 4096);
	CHECK(cfg->switches_ms >= 1 && cfg->switches_ms <= 60000);
	CHECK(cfg->slice_ms >= 1 && cfg->slice_ms <= 1000);
	CHECK(cfg->nguests <= CFG_MAX_GUESTS);
	for (u32 i = 0; i < cfg->nguests; i++) {
		const struct cfg_guest *g = &cfg->guest[i];

		check_string(g->name, sizeof(g->name));
		check_string(g->kernel, sizeof(g->kernel));
		check_string(g->initrd, sizeof(g->initrd));
		check_string(g->cmdline, sizeof(g->cmdline));
		CHECK(g->name[0] != '\0' && g->kernel[0] != '\0');
		for (const char *c = g->name; *c; c++)
			CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *c));
		for (u32 j = 0; j < i; j++)
			CHECK(strcmp(g->name, cfg->guest[j].name) != 0);
		CHECK(g->kind == GUEST_FLAT || g->kind == GUEST_LINUX);
		CHECK(g->mem_mb >= 2 && g->mem_mb <= 65536);
		CHECK(g->nextents <= CFG_MAX_EXTENTS);
		for (u32 j = 0; j < g->nextents; j++)
			CHECK(g->extent[j].sectors >= 1 &&
			      g->extent[j].lba + g->extent[j].sectors > g->extent[j].lba);
	}
}

/* Parse into a junk-filled config with an exact-size error buffer. */
static int parse(const u8 *data, size_t size, struct formica_config *cfg, int junk, char **err,
		 size_t errlen)
{
	*err = malloc(errlen ? errlen : 1);
	memset(*err, 'x', errlen);
	memset(cfg, junk, sizeof(*cfg));
	return config_parse((const char *)data, size, cfg, errlen ? *err : NULL, errlen);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct formica_config big_cfg, small_cfg;
	char *big, *small;
	size_t small_len = size % 97; /* sometimes 0: no buffer at all */
	int n = parse(data, size, &big_cfg, 0xa5, &big, CFG_ERR_LEN);
	int lines = 0;

	CHECK(n >= 0);
	check_string(big, CFG_ERR_LEN);
	for (const char *c = big; *c; c++)
		lines += *c == '\n';
	/* One line per error, or fewer ending in "..." when the buffer filled. */
	size_t len = strlen(big);
	bool full = len >= 4 && strcmp(big + len - 4, "...\n") == 0;
	CHECK(full ? lines <= n : lines == n);
	check_config(&big_cfg);

	free(big);

	/* The error buffer's size must not change what was parsed.  (Only
	 * for one input in 4: parsing is most of the time a run takes.) */
	if (size % 4)
		return 0;
	CHECK(parse(data, size, &small_cfg, 0x5a, &small, small_len) == n);
	CHECK(memcmp(&big_cfg, &small_cfg, sizeof(big_cfg)) == 0);
	if (small_len)
		check_string(small, small_len);
	free(small);
	return 0;
}
