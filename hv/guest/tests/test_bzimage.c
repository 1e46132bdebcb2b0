/*
 * test_bzimage.c - the boot-protocol loader against synthetic bzImages:
 * a valid one, then each checked header field corrupted and the file cut at
 * many lengths (every refusal must carry the right code), then loading into
 * simulated guest memory and checking what the kernel will find there:
 * zero page fields, e820, command line, initrd placement, page tables, GDT.
 * If build/linux/vmlinuz exists (tools/linux/fetch-kernel.sh), the real
 * Debian kernel is parsed and loaded too; otherwise that test is skipped.
 *
 * Offsets are written out as numbers from boot.rst / zero-page.rst on
 * purpose, not taken from bzimage.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/bzimage.h"

#define MiB (1024ull * 1024)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define KSIZE (64 * 1024)     /* protected-mode kernel in the synthetic image */
#define INIT_SIZE (8 * MiB)
#define VERSION_STR "6.1.0-test (formica) #1"

static void w16(u8 *p, u64 o, u16 v) { p[o] = v; p[o + 1] = v >> 8; }
static void w32(u8 *p, u64 o, u32 v) { w16(p, o, v); w16(p, o + 2, v >> 16); }
static void w64(u8 *p, u64 o, u64 v) { w32(p, o, v); w32(p, o + 4, v >> 32); }
static u16 r16(const u8 *p, u64 o) { return p[o] | p[o + 1] << 8; }
static u32 r32(const u8 *p, u64 o) { return r16(p, o) | (u32)r16(p, o + 2) << 16; }
static u64 r64(const u8 *p, u64 o) { return r32(p, o) | (u64)r32(p, o + 4) << 32; }

static u8 image[SETUP_SIZE + KSIZE];

/* A bzImage header as Debian's 6.1 kernel has it, with a small kernel. */
static void make_image(void)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = SETUP_SECTS;            /* setup_sects */
	w32(image, 0x1f4, KSIZE / 16);         /* syssize */
	w16(image, 0x1fe, 0xaa55);             /* boot_flag */
	image[0x200] = 0xeb;                   /* jump */
	image[0x201] = 0x6a;                   /* header ends at 0x26c */
	memcpy(image + 0x202, "HdrS", 4);      /* header */
	w16(image, 0x206, 0x020f);             /* version 2.15 */
	w16(image, 0x20e, 0x0400);             /* kernel_version -> 0x600 */
	memcpy(image + 0x600, VERSION_STR, sizeof(VERSION_STR));
	w32(image, 0x214, 0x100000);           /* code32_start */
	image[0x211] = 0x01;                   /* loadflags: LOADED_HIGH */
	w32(image, 0x22c, 0x7fffffff);         /* initrd_addr_max */
	w32(image, 0x230, 0x200000);           /* kernel_alignment */
	image[0x234] = 1;                      /* relocatable_kernel */
	image[0x235] = 21;                     /* min_alignment */
	w16(image, 0x236, 0x7f);               /* xloadflags */
	w32(image, 0x238, 0x7ff);              /* cmdline_size */
	w64(image, 0x258, 16 * MiB);           /* pref_address */
	w32(image, 0x260, INIT_SIZE);          /* init_size */
	w32(image, 0x264, 0x190);              /* handover_offset */
	image[0x1ef] = 0xff;                   /* what a real image has before the header */
	for (u32 i = 0; i < KSIZE; i++)
		image[SETUP_SIZE + i] = (u8)(i * 7 + 3);
}

static int setup(void **state)
{
	make_image();
	return 0;
}

static int parse_len(u64 len)
{
	/* An exact-size copy, so ASan catches any read past the end. */
	u8 *copy = malloc(len ? len : 1);
	memcpy(copy, image, len);
	struct bzimage_info info;
	int rc = bzimage_parse(copy, len, &info);
	free(copy);
	return rc;
}

static int parse(void)
{
	return parse_len(sizeof(image));
}

static void test_valid_image(void **state)
{
	struct bzimage_info info;
	assert_int_equal(bzimage_parse(image, sizeof(image), &info), BZ_OK);
	assert_int_equal(info.version, 0x020f);
	assert_int_equal(info.setup_sects, SETUP_SECTS);
	assert_int_equal(info.setup_size, SETUP_SIZE);
	assert_int_equal(info.hdr_end, 0x26c);
	assert_int_equal(info.kernel_size, KSIZE);
	assert_int_equal(info.kernel_alignment, 0x200000);
	assert_int_equal(info.pref_address, 16 * MiB);
	assert_int_equal(info.init_size, INIT_SIZE);
	assert_int_equal(info.cmdline_size, 0x7ff);
	assert_int_equal(info.initrd_addr_max, 0x7fffffff);
	assert_string_equal(info.version_string, VERSION_STR);
	/* Trailing bytes after the kernel (Debian's signature) are allowed. */
	u8 *longer = calloc(1, sizeof(image) + 1472);
	memcpy(longer, image, sizeof(image));
	assert_int_equal(bzimage_parse(longer, sizeof(image) + 1472, &info), BZ_OK);
	assert_int_equal(info.kernel_size, KSIZE);
	free(longer);
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct bzimage_info info;
	image[0x1f1] = 0;
	assert_int_equal(bzimage_parse(image, sizeof(image), &info), BZ_OK);
	assert_int_equal(info.setup_sects, 4);
	assert_int_equal(info.setup_size, 5 * 512);
}

static void test_version_string_optional(void **state)
{
	struct bzimage_info info;
	w16(image, 0x20e, 0);
	assert_int_equal(bzimage_parse(image, sizeof(image), &info), BZ_OK);
	assert_null(info.version_string);
	w16(image, 0x20e, 0x2000); /* points past the setup area */
	assert_int_equal(bzimage_parse(image, sizeof(image), &info), BZ_OK);
	assert_null(info.version_string);
	w16(image, 0x20e, 0x400);
	memset(image + 0x600, 'x', SETUP_SIZE - 0x600); /* never terminated */
	assert_int_equal(bzimage_parse(image, sizeof(image), &info), BZ_OK);
	assert_null(info.version_string);
}

struct corruption {
	const char *what;
	u32 off;
	u32 size; /* 1, 2, 4, 8 */
	u64 value;
	int expect;
};

static void test_corrupted_fields(void **state)
{
	static const struct corruption c[] = {
		{ "boot_flag", 0x1fe, 2, 0x0000, BZ_ERR_NO_BOOT_FLAG },
		{ "boot_flag swapped", 0x1fe, 2, 0x55aa, BZ_ERR_NO_BOOT_FLAG },
		{ "header", 0x202, 4, 0x54726448 /* "HdrT" */, BZ_ERR_NO_HDRS },
		{ "version 2.11", 0x206, 2, 0x020b, BZ_ERR_OLD_PROTOCOL },
		{ "version 1.0", 0x206, 2, 0x0100, BZ_ERR_OLD_PROTOCOL },
		{ "jump opcode", 0x200, 1, 0xe9, BZ_ERR_BAD_HEADER_LEN },
		{ "jump too short", 0x201, 1, 0x50, BZ_ERR_BAD_HEADER_LEN },
		{ "jump too long", 0x201, 1, 0x90, BZ_ERR_BAD_HEADER_LEN },
		{ "setup_sects", 0x1f1, 1, 200, BZ_ERR_SETUP_TRUNCATED },
		{ "loadflags", 0x211, 1, 0x00, BZ_ERR_NOT_BZIMAGE },
		{ "xloadflags", 0x236, 2, 0x7e, BZ_ERR_NOT_64BIT },
		{ "relocatable_kernel", 0x234, 1, 0, BZ_ERR_NOT_RELOCATABLE },
		{ "kernel_alignment 3M", 0x230, 4, 0x300000, BZ_ERR_BAD_ALIGNMENT },
		{ "kernel_alignment 0", 0x230, 4, 0, BZ_ERR_BAD_ALIGNMENT },
		{ "kernel_alignment 2K", 0x230, 4, 0x800, BZ_ERR_BAD_ALIGNMENT },
		{ "kernel_alignment 2G", 0x230, 4, 0x80000000, BZ_ERR_BAD_ALIGNMENT },
		{ "min_alignment > kernel_alignment", 0x235, 1, 22, BZ_ERR_BAD_ALIGNMENT },
		{ "min_alignment huge", 0x235, 1, 200, BZ_ERR_BAD_ALIGNMENT },
		{ "pref_address misaligned", 0x258, 8, 0x1001000, BZ_ERR_BAD_PREF_ADDRESS },
		{ "pref_address low", 0x258, 8, 0x80000, BZ_ERR_BAD_PREF_ADDRESS },
		{ "syssize 0", 0x1f4, 4, 0, BZ_ERR_NO_PAYLOAD },
		{ "syssize +1", 0x1f4, 4, KSIZE / 16 + 1, BZ_ERR_PAYLOAD_TRUNCATED },
		{ "syssize huge", 0x1f4, 4, 0xffffffff, BZ_ERR_PAYLOAD_TRUNCATED },
		{ "init_size < kernel", 0x260, 4, KSIZE - 16, BZ_ERR_BAD_INIT_SIZE },
		{ "init_size 0", 0x260, 4, 0, BZ_ERR_BAD_INIT_SIZE },
		{ "cmdline_size 0", 0x238, 4, 0, BZ_ERR_BAD_CMDLINE_SIZE },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		make_image();
		assert_int_equal(parse(), BZ_OK);
		switch (c[i].size) {
		case 1: image[c[i].off] = (u8)c[i].value; break;
		case 2: w16(image, c[i].off, (u16)c[i].value); break;
		case 4: w32(image, c[i].off, (u32)c[i].value); break;
		default: w64(image, c[i].off, c[i].value); break;
		}
		int rc = parse();
		if (rc != c[i].expect)
			fail_msg("%s: got %d (%s), want %d (%s)", c[i].what, rc,
				 bzimage_strerror(rc), c[i].expect, bzimage_strerror(c[i].expect));
	}
	/* pref_address 0 is allowed: the loader picks 16 MiB. */
	make_image();
	w64(image, 0x258, 0);
	assert_int_equal(parse(), BZ_OK);
}

static void test_truncated_files(void **state)
{
	static const struct {
		u64 len;
		int expect;
	} t[] = {
		{ 0, BZ_ERR_TRUNCATED },
		{ 1, BZ_ERR_TRUNCATED },
		{ 0x1f0, BZ_ERR_TRUNCATED },
		{ 0x200, BZ_ERR_TRUNCATED },
		{ 0x263, BZ_ERR_TRUNCATED },
		{ 0x264, BZ_ERR_SETUP_TRUNCATED },
		{ 0x400, BZ_ERR_SETUP_TRUNCATED },
		{ SETUP_SIZE - 1, BZ_ERR_SETUP_TRUNCATED },
		{ SETUP_SIZE, BZ_ERR_PAYLOAD_TRUNCATED },
		{ SETUP_SIZE + 1, BZ_ERR_PAYLOAD_TRUNCATED },
		{ SETUP_SIZE + KSIZE / 2, BZ_ERR_PAYLOAD_TRUNCATED },
		{ SETUP_SIZE + KSIZE - 1, BZ_ERR_PAYLOAD_TRUNCATED },
		{ SETUP_SIZE + KSIZE, BZ_OK },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_len(t[i].len);
		if (rc != t[i].expect)
			fail_msg("len %llu: got %d (%s), want %d", (unsigned long long)t[i].len, rc,
				 bzimage_strerror(rc), t[i].expect);
	}
	struct bzimage_info info;
	assert_int_equal(bzimage_parse(NULL, 100, &info), BZ_ERR_BAD_ARG);
	assert_int_equal(bzimage_parse(image, sizeof(image), NULL), BZ_ERR_BAD_ARG);
}

static void test_every_error_has_a_reason(void **state)
{
	for (int e = BZ_ERR_BAD_ARG; e < 0; e++) {
		const char *s = bzimage_strerror(e);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown error");
		for (int f = BZ_ERR_BAD_ARG; f < e; f++)
			assert_string_not_equal(s, bzimage_strerror(f));
	}
	assert_string_equal(bzimage_strerror(-1000), "unknown error");
}

/* ---------------------------------------------------------------- loading */

struct guest {
	struct gmem m;
	struct bzimage_info info;
	struct bzimage_boot boot;
};

static void guest_alloc(struct guest *g, u64 size)
{
	g->m.size = size;
	g->m.base = malloc(size);
	assert_non_null(g->m.base);
	memset(g->m.base, 0xcc, 1 * MiB); /* low memory starts dirty: the loader must clear it */
}

static void guest_free(struct guest *g)
{
	free(g->m.base);
	g->m.base = NULL;
}

static int load(struct guest *g, const u8 *initrd, u64 ilen, const char *cmdline)
{
	assert_int_equal(bzimage_parse(image, sizeof(image), &g->info), BZ_OK);
	return bzimage_load(image, sizeof(image), &g->info, initrd, ilen, cmdline, &g->m, &g->boot);
}

/* Walk the guest's 4-level tables for va; returns the physical address or
 * ~0 if not mapped (SDM Vol. 3, 4-level paging, 2 MiB pages). */
static u64 translate(const struct guest *g, u64 cr3, u64 va)
{
	const u8 *mem = g->m.base;
	u64 pml4e = r64(mem, (cr3 & ~0xfffull) + ((va >> 39) & 511) * 8);
	if (!(pml4e & 1))
		return ~0ull;
	u64 pdpte = r64(mem, (pml4e & 0xffffffffff000ull) + ((va >> 30) & 511) * 8);
	if (!(pdpte & 1) || (pdpte & 0x80))
		return ~0ull; /* no 1 GiB pages expected */
	u64 pde = r64(mem, (pdpte & 0xffffffffff000ull) + ((va >> 21) & 511) * 8);
	if (!(pde & 1) || !(pde & 0x80) || !(pde & 2))
		return ~0ull; /* expect present, writable 2 MiB pages */
	return (pde & 0xfffffffe00000ull) | (va & 0x1fffff);
}

static void test_load_layout_and_zero_page(void **state)
{
	struct guest g;
	guest_alloc(&g, 64 * MiB);
	u8 initrd[100 * 1024 + 5];
	for (u32 i = 0; i < sizeof(initrd); i++)
		initrd[i] = (u8)(i ^ 0x5a);
	const char *cmdline = "console=ttyS0,115200 root=/dev/ram0 nokaslr";
	assert_int_equal(load(&g, initrd, sizeof(initrd), cmdline), BZ_OK);
	const struct bzimage_boot *b = &g.boot;
	u8 *mem = g.m.base;

	/* Entry state (boot.rst, 64-bit Boot Protocol). */
	assert_int_equal(b->kernel_addr, 16 * MiB);
	assert_int_equal(b->rip, 16 * MiB + 0x200);
	assert_int_equal(b->rsi, 0x2000);
	assert_int_equal(b->rflags, 0x2);
	assert_int_equal(b->cr0 & 0x80000001, 0x80000001); /* PG, PE */
	assert_int_equal(b->cr4 & 0x20, 0x20);             /* PAE */
	assert_int_equal(b->efer & 0x500, 0x500);          /* LME, LMA */
	assert_int_equal(b->cs, 0x10);
	assert_int_equal(b->ds, 0x18);
	assert_int_equal(b->cs_ar, 0xa09b); /* present, code, exec/read, accessed, L, G */
	assert_int_equal(b->ds_ar, 0xc093); /* present, data, read/write, accessed, D/B, G */
	assert_int_equal(b->tr_ar, 0x8b);   /* present, busy 64-bit TSS */

	/* Kernel, initrd, command line where the boot record says. */
	assert_memory_equal(mem + 16 * MiB, image + SETUP_SIZE, KSIZE);
	assert_int_equal(b->initrd_addr, (64 * MiB - sizeof(initrd)) & ~0xfffull);
	assert_int_equal(b->initrd_addr % 4096, 0);
	assert_true(b->initrd_addr >= 16 * MiB + INIT_SIZE);
	assert_memory_equal(mem + b->initrd_addr, initrd, sizeof(initrd));
	assert_string_equal((char *)mem + 0x3000, cmdline);
	assert_int_equal(b->cmdline_len, strlen(cmdline));

	/* Zero page (zero-page.rst and boot.rst). */
	const u8 *bp = mem + 0x2000;
	assert_int_equal(bp[0x1ef], 0);                    /* sentinel: header copied exactly */
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(r16(bp, 0x206), 0x020f);          /* version */
	assert_int_equal(bp[0x1f1], SETUP_SECTS);          /* setup_sects copied */
	assert_int_equal(r32(bp, 0x1f4), KSIZE / 16);      /* syssize copied */
	assert_int_equal(r32(bp, 0x260), INIT_SIZE);       /* init_size copied */
	assert_int_equal(r32(bp, 0x264), 0x190);           /* handover_offset copied */
	assert_int_equal(r16(bp, 0x1fa), 0xffff);          /* vid_mode: normal */
	assert_int_equal(bp[0x210], 0xff);                 /* type_of_loader */
	assert_int_equal(bp[0x211], 0x01);                 /* loadflags: LOADED_HIGH only */
	assert_int_equal(r32(bp, 0x214), 16 * MiB);        /* code32_start */
	assert_int_equal(r32(bp, 0x218), b->initrd_addr);  /* ramdisk_image */
	assert_int_equal(r32(bp, 0x21c), sizeof(initrd));  /* ramdisk_size */
	assert_int_equal(r32(bp, 0x228), 0x3000);          /* cmd_line_ptr */
	assert_int_equal(r32(bp, 0x0c0), 0);               /* ext_ramdisk_image */
	assert_int_equal(r32(bp, 0x0c4), 0);               /* ext_ramdisk_size */
	assert_int_equal(r32(bp, 0x0c8), 0);               /* ext_cmd_line_ptr */
	assert_int_equal(r64(bp, 0x070), 0);               /* acpi_rsdp_addr */
	assert_int_equal(r64(bp, 0x250), 0);               /* setup_data */
	for (int i = 0; i < 0x1e8; i++)
		assert_int_equal(bp[i], 0); /* screen_info etc.: zero */
	for (int i = 0x26c; i < 0x2d0; i++)
		assert_int_equal(bp[i], 0); /* nothing copied past the header */

	/* e820 (0x1e8 count, table at 0x2d0, 20-byte entries). */
	assert_int_equal(bp[0x1e8], 3);
	assert_int_equal(b->e820_entries, 3);
	static const u64 want[3][3] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ 0x100000, 63 * MiB, 1 },
	};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r64(bp, 0x2d0 + 20 * i), want[i][0]);
		assert_int_equal(r64(bp, 0x2d0 + 20 * i + 8), want[i][1]);
		assert_int_equal(r32(bp, 0x2d0 + 20 * i + 16), want[i][2]);
	}
	assert_int_equal(r64(bp, 0x2d0 + 60), 0);

	/* Identity page tables: kernel (all of init_size), zero page,
	 * command line, initrd, and up to 4 GiB. */
	static const u64 va[] = { 0, 0x2000, 0x3000, 16 * MiB + 0x200, 16 * MiB + INIT_SIZE - 1,
				  64 * MiB - 1, 0xfee00000, 0xffffffffull };
	for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		assert_int_equal(translate(&g, b->cr3, va[i]), va[i]);
	assert_int_equal(translate(&g, b->cr3, b->initrd_addr), b->initrd_addr);
	assert_int_equal(translate(&g, b->cr3, 0x100000000ull), ~0ull);
	assert_true(b->cr3 + 6 * 4096 <= 0x10000);

	/* GDT: flat 64-bit __BOOT_CS, flat __BOOT_DS, TSS at 0x20. */
	assert_int_equal(b->gdt_base, 0x1000);
	assert_true(b->gdt_limit >= 0x27);
	assert_int_equal(r64(mem, 0x1000), 0);
	assert_int_equal(r64(mem, 0x1010), 0x00af9b000000ffffull);
	assert_int_equal(r64(mem, 0x1018), 0x00cf93000000ffffull);
	u64 tss = r64(mem, 0x1020);
	assert_int_equal(tss & 0xffff, 0x67);                                  /* limit */
	assert_int_equal(((tss >> 16) & 0xffffff) | ((tss >> 56) << 24), b->tr_base);
	assert_int_equal((tss >> 40) & 0x8f, 0x8b);                            /* P, busy TSS */
	assert_int_equal(b->tr_base, 0x1080);
	assert_int_equal(b->tr, 0x20);
	/* The low area is clean apart from what we put there. */
	assert_int_equal(mem[0x40e], 0); /* BDA: no EBDA pointer */
	assert_int_equal(mem[0x500], 0);
	for (u64 a = 0x10000; a < 0x100000; a += 0x10)
		assert_int_equal(mem[a], 0); /* no stale "_MP_" or "RSD PTR " to find */
	assert_true(b->rsp > 0x3000 + 4096 && b->rsp <= b->cr3);
	guest_free(&g);
}

static void test_load_without_initrd_or_cmdline(void **state)
{
	struct guest g;
	guest_alloc(&g, 32 * MiB);
	assert_int_equal(load(&g, NULL, 0, NULL), BZ_OK);
	const u8 *bp = g.m.base + 0x2000;
	assert_int_equal(r32(bp, 0x218), 0);
	assert_int_equal(r32(bp, 0x21c), 0);
	assert_int_equal(g.m.base[0x3000], 0);
	assert_int_equal(r32(bp, 0x228), 0x3000); /* still set: 0 would mean "pre-2.02 loader" */
	assert_int_equal(g.boot.initrd_addr, 0);
	guest_free(&g);
}

static void test_load_placement_rules(void **state)
{
	struct guest g;
	guest_alloc(&g, 64 * MiB);
	/* initrd_addr_max below top of RAM: the initrd ends at or below it. */
	w32(image, 0x22c, 32 * MiB - 1);
	u8 initrd[8192] = { 1 };
	assert_int_equal(load(&g, initrd, sizeof(initrd), ""), BZ_OK);
	assert_int_equal(g.boot.initrd_addr, 32 * MiB - 8192);
	/* pref_address 0: 16 MiB rounded to kernel_alignment. */
	make_image();
	w64(image, 0x258, 0);
	w32(image, 0x230, 0x1000000);
	image[0x235] = 24;
	assert_int_equal(load(&g, NULL, 0, ""), BZ_OK);
	assert_int_equal(g.boot.kernel_addr, 16 * MiB);
	/* A pref_address that does not fit falls back to 16 MiB. */
	make_image();
	w64(image, 0x258, 60 * MiB);
	assert_int_equal(load(&g, NULL, 0, ""), BZ_OK);
	assert_int_equal(g.boot.kernel_addr, 16 * MiB);
	/* One that fits is honoured. */
	make_image();
	w64(image, 0x258, 32 * MiB);
	assert_int_equal(load(&g, NULL, 0, ""), BZ_OK);
	assert_int_equal(g.boot.kernel_addr, 32 * MiB);
	assert_int_equal(g.boot.rip, 32 * MiB + 0x200);
	/* One so high that pref_address + init_size wraps past 2^64 does
	 * not fit either: 16 MiB, not "no room". */
	make_image();
	w64(image, 0x258, 0xffffffffffe00000ull);
	assert_int_equal(load(&g, NULL, 0, ""), BZ_OK);
	assert_int_equal(g.boot.kernel_addr, 16 * MiB);
	guest_free(&g);
}

static void test_load_errors(void **state)
{
	struct guest g;
	guest_alloc(&g, 32 * MiB);
	/* RAM sizes we refuse (checked before memory is touched). */
	u64 real = g.m.size;
	g.m.size = 1 * MiB;
	assert_int_equal(load(&g, NULL, 0, ""), BZ_ERR_RAM_TOO_SMALL);
	g.m.size = 4096 * MiB;
	assert_int_equal(load(&g, NULL, 0, ""), BZ_ERR_RAM_TOO_BIG);
	g.m.size = 20 * MiB; /* 16 MiB + init_size 8 MiB does not fit */
	assert_int_equal(load(&g, NULL, 0, ""), BZ_ERR_NO_ROOM);
	g.m.size = real;
	/* Command line: cmdline_size excludes the NUL. */
	w32(image, 0x238, 10);
	assert_int_equal(load(&g, NULL, 0, "0123456789"), BZ_OK);
	assert_int_equal(load(&g, NULL, 0, "0123456789a"), BZ_ERR_CMDLINE_TOO_LONG);
	make_image();
	char longline[5000];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	w32(image, 0x238, 100000);
	assert_int_equal(load(&g, NULL, 0, longline), BZ_ERR_CMDLINE_TOO_LONG);
	make_image();
	/* An initrd that would overlap the kernel's init_size. */
	static u8 big[9 * 1024 * 1024];
	assert_int_equal(load(&g, big, sizeof(big), ""), BZ_ERR_INITRD_NO_ROOM);
	assert_int_equal(load(&g, big, 8 * MiB, ""), BZ_OK); /* exactly fits */
	assert_int_equal(g.boot.initrd_addr, 24 * MiB);
	/* Bad arguments. */
	assert_int_equal(bzimage_parse(image, sizeof(image), &g.info), BZ_OK);
	assert_int_equal(bzimage_load(image, sizeof(image), &g.info, NULL, 5, "", &g.m, &g.boot),
			 BZ_ERR_BAD_ARG);
	assert_int_equal(bzimage_load(image, 100, &g.info, NULL, 0, "", &g.m, &g.boot),
			 BZ_ERR_BAD_ARG);
	assert_int_equal(bzimage_load(image, sizeof(image), NULL, NULL, 0, "", &g.m, &g.boot),
			 BZ_ERR_BAD_ARG);
	guest_free(&g);
}

static void test_e820_map(void **state)
{
	struct bz_e820 e[BZ_E820_MAX];
	unsigned n = bzimage_e820(256 * MiB, e, BZ_E820_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(e[2].addr + e[2].size, 256 * MiB);
	/* Entries are sorted and do not overlap. */
	for (unsigned i = 1; i < n; i++)
		assert_int_equal(e[i - 1].addr + e[i - 1].size <= e[i].addr, 1);
	/* A ragged size is cut to whole pages. */
	n = bzimage_e820(256 * MiB + 100, e, BZ_E820_MAX);
	assert_int_equal(e[2].addr + e[2].size, 256 * MiB);
	assert_int_equal(bzimage_e820(256 * MiB, e, 2), 2);
}

/* ------------------------------------------------- the real Debian kernel */

static u8 *read_file(const char *path, u64 *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *buf = malloc(n > 0 ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void test_real_vmlinuz(void **state)
{
	const char *path = getenv("FORMICA_VMLINUZ");
	if (!path)
		path = "build/linux/vmlinuz";
	u64 len, ilen = 0;
	u8 *img = read_file(path, &len);
	if (!img) {
		print_message("      %s not found: skipped\n", path);
		skip();
		return;
	}
	u8 *initrd = read_file("build/linux/initramfs.cpio.gz", &ilen);
	struct guest g;
	assert_int_equal(bzimage_parse(img, len, &g.info), BZ_OK);
	assert_true(g.info.version >= 0x020c);
	assert_non_null(g.info.version_string);
	print_message("      %s: protocol %x, %s\n", path, g.info.version, g.info.version_string);
	guest_alloc(&g, 256 * MiB);
	assert_int_equal(bzimage_load(img, len, &g.info, initrd, initrd ? ilen : 0,
				      "console=ttyS0 earlyprintk=serial nokaslr", &g.m, &g.boot),
			 BZ_OK);
	assert_int_equal(g.boot.rip, g.boot.kernel_addr + 0x200);
	assert_int_equal(g.boot.kernel_addr % g.info.kernel_alignment, 0);
	assert_true(g.boot.kernel_addr + g.info.init_size <= 256 * MiB);
	if (initrd) {
		assert_true(g.boot.initrd_addr >= g.boot.kernel_addr + g.info.init_size);
		assert_memory_equal(g.m.base + g.boot.initrd_addr, initrd, ilen);
	}
	assert_memory_equal(g.m.base + g.boot.kernel_addr, img + g.info.setup_size, 4096);
	/* Every truncation of the real image is refused, never read past. */
	static const u64 cuts[] = { 0x100, 0x263, 0x264, 0x1000, 0x4000 };
	for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		u8 *copy = malloc(cuts[i]);
		memcpy(copy, img, cuts[i]);
		struct bzimage_info info;
		assert_int_not_equal(bzimage_parse(copy, cuts[i], &info), BZ_OK);
		free(copy);
	}
	struct bzimage_info info;
	assert_int_equal(bzimage_parse(img, g.info.setup_size + g.info.kernel_size - 1, &info),
			 BZ_ERR_PAYLOAD_TRUNCATED);
	guest_free(&g);
	free(initrd);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_image, setup),
		cmocka_unit_test_setup(test_setup_sects_zero_means_four, setup),
		cmocka_unit_test_setup(test_version_string_optional, setup),
		cmocka_unit_test_setup(test_corrupted_fields, setup),
		cmocka_unit_test_setup(test_truncated_files, setup),
		cmocka_unit_test_setup(test_every_error_has_a_reason, setup),
		cmocka_unit_test_setup(test_load_layout_and_zero_page, setup),
		cmocka_unit_test_setup(test_load_without_initrd_or_cmdline, setup),
		cmocka_unit_test_setup(test_load_placement_rules, setup),
		cmocka_unit_test_setup(test_load_errors, setup),
		cmocka_unit_test_setup(test_e820_map, setup),
		cmocka_unit_test_setup(test_real_vmlinuz, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
