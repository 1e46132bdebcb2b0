/*
 * fuzz_bzimage.c - libFuzzer harness for the bzImage loader (hv/guest/bzimage.c).
 *
 * The kernel image comes from the ESP, so a hostile or broken file must be
 * refused with a reason, never read past its end.  The input is the image.
 * bzimage_parse() runs on it; if it accepts, bzimage_load() places it in a
 * fake 128 MiB guest RAM (a malloc()ed buffer: ASan sees any write outside),
 * with the image itself doubling as the initrd.  The harness checks what the
 * header comments promise: offsets inside the file, a known error code, and
 * after a load the kernel, initrd and command line where the boot state says.
 */
#include <stdlib.h>
#include <string.h>

#include "guest/bzimage.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define RAM (128ull << 20)
#define CMDLINE "console=ttyS0 root=/dev/vda quiet formica=fuzz"

static bool known_error(int err)
{
	return err <= BZ_OK && err >= BZ_ERR_BAD_ARG;
}

static void check_info(const u8 *img, u64 len, const struct bzimage_info *in)
{
	CHECK(in->version >= 0x020c);
	CHECK(in->hdr_end >= 0x264 && in->hdr_end <= 0x290);
	CHECK(in->setup_size == (in->setup_sects + 1u) * 512 && in->setup_size <= len);
	CHECK(in->kernel_size > 0 && in->kernel_size <= len - in->setup_size);
	CHECK(in->init_size >= in->kernel_size && in->cmdline_size > 0);
	CHECK(in->kernel_alignment && !(in->kernel_alignment & (in->kernel_alignment - 1)));
	if (in->version_string) {
		const u8 *s = (const u8 *)in->version_string;
		CHECK(s >= img + 0x200 && s < img + in->setup_size);
		CHECK(memchr(s, 0, img + in->setup_size - s) != NULL);
	}
}

static void check_boot(const u8 *img, const struct bzimage_info *in, const u8 *ram,
		       const struct bzimage_boot *b)
{
	CHECK(b->kernel_addr >= 0x100000 && !(b->kernel_addr & (in->kernel_alignment - 1)));
	CHECK(b->kernel_addr + in->init_size <= RAM && b->rip == b->kernel_addr + 0x200);
	CHECK(memcmp(ram + b->kernel_addr, img + in->setup_size, in->kernel_size) == 0);
	CHECK(b->initrd_addr % PAGE_SIZE == 0 && b->initrd_addr >= b->kernel_addr + in->init_size);
	CHECK(b->initrd_addr + b->initrd_size <= RAM);
	CHECK(b->initrd_addr + b->initrd_size - 1 <= in->initrd_addr_max);
	CHECK(b->cmdline_len == strlen(CMDLINE) && b->cmdline_len <= in->cmdline_size);
	CHECK(memcmp(ram + b->cmdline_addr, CMDLINE, sizeof(CMDLINE)) == 0);
	CHECK(ram[b->rsi + 0x1ef] == 0); /* boot_params.sentinel */
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 *ram;
	struct bzimage_info info;
	struct bzimage_boot boot;

	if (!ram)
		ram = malloc(RAM); /* once: the loader clears what it uses */
	int err = bzimage_parse(data, size, &info);
	CHECK(known_error(err) && strcmp(bzimage_strerror(err), "unknown error") != 0);
	if (err != BZ_OK)
		return 0;
	check_info(data, size, &info);

	struct gmem m = { ram, RAM };
	err = bzimage_load(data, size, &info, data, size, CMDLINE, &m, &boot);
	CHECK(known_error(err) && err != BZ_ERR_BAD_ARG);
	if (err == BZ_ERR_NO_ROOM) { /* only if neither pref_address nor 16 MiB has room */
		u64 dflt = ALIGN_UP(16ull << 20, info.kernel_alignment);
		CHECK(info.pref_address == 0 || info.pref_address >= RAM ||
		      info.init_size > RAM - info.pref_address);
		CHECK(dflt + info.init_size > RAM);
	}
	if (err == BZ_OK) {
		CHECK(boot.initrd_size == size &&
		      memcmp(ram + boot.initrd_addr, data, size) == 0);
		check_boot(data, &info, ram, &boot);
	}
	return 0;
}
