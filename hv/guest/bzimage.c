/*
 * bzimage.c - the x86 Linux boot protocol, 64-bit entry.
 *
 * Field offsets and meanings are from Documentation/arch/x86/boot.rst
 * (setup header, "Details of Header Fields", "64-bit Boot Protocol") and
 * zero-page.rst (the rest of struct boot_params); each constant below
 * carries the field's name from there.  All multi-byte fields are little-
 * endian and read byte by byte, so a hostile image can neither misalign us
 * nor make us read outside the buffer: every offset is checked against the
 * file length before use.
 */
#include "guest/bzimage.h"
#include "le.h"
#include "string.h"

/* Setup header, offsets in the image file and in boot_params (boot.rst). */
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1    /* u8  setup_sects */
#define HDR_SYSSIZE 0x1f4        /* u32 syssize, 16-byte paragraphs (2.04+) */
#define HDR_VID_MODE 0x1fa       /* u16 vid_mode */
#define HDR_BOOT_FLAG 0x1fe      /* u16 boot_flag, 0xAA55 */
#define HDR_JUMP 0x200           /* u16 jump: 0xEB, offset relative to 0x202 */
#define HDR_HEADER 0x202         /* u32 header, "HdrS" */
#define HDR_VERSION 0x206        /* u16 version */
#define HDR_KERNEL_VERSION 0x20e /* u16 kernel_version, string at value + 0x200 */
#define HDR_TYPE_OF_LOADER 0x210 /* u8  type_of_loader */
#define HDR_LOADFLAGS 0x211      /* u8  loadflags */
#define HDR_CODE32_START 0x214   /* u32 code32_start */
#define HDR_RAMDISK_IMAGE 0x218  /* u32 ramdisk_image */
#define HDR_RAMDISK_SIZE 0x21c   /* u32 ramdisk_size */
#define HDR_HEAP_END_PTR 0x224   /* u16 heap_end_ptr */
#define HDR_CMD_LINE_PTR 0x228   /* u32 cmd_line_ptr (2.02+) */
#define HDR_INITRD_ADDR_MAX 0x22c /* u32 initrd_addr_max (2.03+) */
#define HDR_KERNEL_ALIGNMENT 0x230 /* u32 kernel_alignment (2.05+) */
#define HDR_RELOCATABLE 0x234    /* u8  relocatable_kernel (2.05+) */
#define HDR_MIN_ALIGNMENT 0x235  /* u8  min_alignment, log2 (2.10+) */
#define HDR_XLOADFLAGS 0x236     /* u16 xloadflags (2.12+) */
#define HDR_CMDLINE_SIZE 0x238   /* u32 cmdline_size (2.06+) */
#define HDR_HARDWARE_SUBARCH 0x23c /* u32 hardware_subarch (2.07+) */
#define HDR_SETUP_DATA 0x250     /* u64 setup_data (2.09+) */
#define HDR_PREF_ADDRESS 0x258   /* u64 pref_address (2.10+) */
#define HDR_INIT_SIZE 0x260      /* u32 init_size (2.10+) */
#define HDR_MIN_END 0x264        /* the fields above are all we read */
#define HDR_MAX_END 0x290        /* boot_params: edd_mbr_sig_buffer follows the header */

#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC 0x53726448    /* "HdrS" */
#define PROTOCOL_MIN 0x020c      /* 2.12: the first with xloadflags */
#define LOADED_HIGH 0x01         /* loadflags bit 0: bzImage, kernel at 1 MiB+ */
#define XLF_KERNEL_64 0x01       /* xloadflags bit 0: 64-bit entry at +0x200 */
#define LOADER_UNDEFINED 0xff    /* type_of_loader: "no assigned id" */
#define VID_MODE_NORMAL 0xffff   /* vid_mode: "normal" (boot.rst, vga=) */
#define ENTRY64_OFFSET 0x200     /* 64-bit entry point: load address + 0x200 */

/* The rest of struct boot_params (zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070      /* u64 acpi_rsdp_addr */
#define BP_EXT_RAMDISK_IMAGE 0x0c0   /* u32 ext_ramdisk_image: high 32 bits */
#define BP_EXT_RAMDISK_SIZE 0x0c4    /* u32 ext_ramdisk_size */
#define BP_EXT_CMD_LINE_PTR 0x0c8    /* u32 ext_cmd_line_ptr */
#define BP_E820_ENTRIES 0x1e8        /* u8  e820_entries */
#define BP_SENTINEL 0x1ef            /* u8  sentinel: must stay 0 */
#define BP_E820_TABLE 0x2d0          /* struct boot_e820_entry[128], 20 bytes each */
#define BP_E820_ENTRY_SIZE 20
#define BP_SIZE 0x1000

/* Page-table entry bits (SDM Vol. 3, "4-Level Paging"). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

/* Control register bits the protocol's "64-bit mode with paging enabled"
 * needs (SDM Vol. 3, "Control Registers", "IA32_EFER"). */
#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

/* Flat descriptors: base 0, limit 4 GiB, G = 1, present, DPL 0, accessed
 * (VM entry requires the accessed bit in the guest's segment types). */
#define GDT_CODE64 0x00af9b000000ffffull /* execute/read, L = 1 */
#define GDT_DATA 0x00cf93000000ffffull   /* read/write, D/B = 1 */
#define TSS_LIMIT 0x67
#define TSS_TYPE_BUSY64 0xb

static bool pow2(u64 v)
{
	return v && !(v & (v - 1));
}

const char *bzimage_strerror(int err)
{
	switch (err) {
	case BZ_OK: return "ok";
	case BZ_ERR_TRUNCATED: return "file too short to hold a setup header";
	case BZ_ERR_NO_BOOT_FLAG: return "no 0xAA55 boot_flag at 0x1fe: not a Linux kernel image";
	case BZ_ERR_NO_HDRS: return "no \"HdrS\" magic at 0x202: not a Linux kernel image";
	case BZ_ERR_OLD_PROTOCOL: return "boot protocol older than 2.12 (no xloadflags)";
	case BZ_ERR_BAD_HEADER_LEN: return "setup header length (jump at 0x200) is invalid";
	case BZ_ERR_SETUP_TRUNCATED: return "setup_sects runs past the end of the file";
	case BZ_ERR_NOT_BZIMAGE: return "loadflags LOADED_HIGH clear: a zImage, not a bzImage";
	case BZ_ERR_NOT_64BIT: return "xloadflags XLF_KERNEL_64 clear: no 64-bit entry point";
	case BZ_ERR_NOT_RELOCATABLE: return "kernel is not relocatable";
	case BZ_ERR_BAD_ALIGNMENT: return "kernel_alignment/min_alignment invalid";
	case BZ_ERR_BAD_PREF_ADDRESS: return "pref_address below 1 MiB or not aligned";
	case BZ_ERR_NO_PAYLOAD: return "syssize is 0: no protected-mode kernel";
	case BZ_ERR_PAYLOAD_TRUNCATED: return "file shorter than setup + syssize*16: truncated";
	case BZ_ERR_BAD_INIT_SIZE: return "init_size smaller than the kernel itself";
	case BZ_ERR_BAD_CMDLINE_SIZE: return "cmdline_size is 0";
	case BZ_ERR_RAM_TOO_SMALL: return "guest RAM too small";
	case BZ_ERR_RAM_TOO_BIG: return "guest RAM above 3 GiB is not supported (PCI hole)";
	case BZ_ERR_NO_ROOM: return "kernel (init_size) does not fit in guest RAM";
	case BZ_ERR_CMDLINE_TOO_LONG: return "command line longer than the kernel's cmdline_size";
	case BZ_ERR_INITRD_NO_ROOM: return "initrd does not fit between kernel and initrd_addr_max";
	case BZ_ERR_BAD_ARG: return "bad argument";
	}
	return "unknown error";
}

int bzimage_parse(const u8 *img, u64 len, struct bzimage_info *out)
{
	if (!img || !out)
		return BZ_ERR_BAD_ARG;
	memset(out, 0, sizeof(*out));

	/* Everything we read lies below HDR_MIN_END: check once, then read. */
	if (len < HDR_MIN_END)
		return BZ_ERR_TRUNCATED;
	if (le16_get(img + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC)
		return BZ_ERR_NO_BOOT_FLAG;
	if (le32_get(img + HDR_HEADER) != HDRS_MAGIC)
		return BZ_ERR_NO_HDRS;
	out->version = le16_get(img + HDR_VERSION);
	if (out->version < PROTOCOL_MIN)
		return BZ_ERR_OLD_PROTOCOL;

	/* The jump at 0x200 (0xEB rel8) skips the header, so it measures it;
	 * it must cover every field we use and fit in boot_params' hole. */
	out->hdr_end = 0x202 + img[HDR_JUMP + 1];
	if (img[HDR_JUMP] != 0xeb || out->hdr_end < HDR_MIN_END || out->hdr_end > HDR_MAX_END)
		return BZ_ERR_BAD_HEADER_LEN;

	out->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	out->setup_size = (out->setup_sects + 1u) * 512;
	if (out->setup_size > len)
		return BZ_ERR_SETUP_TRUNCATED;

	out->loadflags = img[HDR_LOADFLAGS];
	out->xloadflags = le16_get(img + HDR_XLOADFLAGS);
	out->kernel_alignment = le32_get(img + HDR_KERNEL_ALIGNMENT);
	out->min_alignment = img[HDR_MIN_ALIGNMENT];
	out->pref_address = le64_get(img + HDR_PREF_ADDRESS);
	out->init_size = le32_get(img + HDR_INIT_SIZE);
	out->initrd_addr_max = le32_get(img + HDR_INITRD_ADDR_MAX);
	out->cmdline_size = le32_get(img + HDR_CMDLINE_SIZE);
	out->kernel_size = (u64)le32_get(img + HDR_SYSSIZE) * 16;

	if (!(out->loadflags & LOADED_HIGH))
		return BZ_ERR_NOT_BZIMAGE;
	if (!(out->xloadflags & XLF_KERNEL_64))
		return BZ_ERR_NOT_64BIT;
	if (!img[HDR_RELOCATABLE])
		return BZ_ERR_NOT_RELOCATABLE;
	if (!pow2(out->kernel_alignment) || out->kernel_alignment < PAGE_SIZE ||
	    out->kernel_alignment > (1u << 30) ||
	    (out->min_alignment && (out->min_alignment > 30 ||
				    (1u << out->min_alignment) > out->kernel_alignment)))
		return BZ_ERR_BAD_ALIGNMENT;
	if (out->pref_address &&
	    (out->pref_address < 0x100000 || (out->pref_address & (out->kernel_alignment - 1))))
		return BZ_ERR_BAD_PREF_ADDRESS;
	if (!out->kernel_size)
		return BZ_ERR_NO_PAYLOAD;
	if (out->kernel_size > len - out->setup_size)
		return BZ_ERR_PAYLOAD_TRUNCATED;
	/* init_size is the memory the kernel needs from its load address
	 * before it can read the memory map; it includes the image. */
	if (out->init_size < out->kernel_size)
		return BZ_ERR_BAD_INIT_SIZE;
	if (!out->cmdline_size)
		return BZ_ERR_BAD_CMDLINE_SIZE;

	/* kernel_version: a NUL-terminated string at value + 0x200, inside
	 * the setup area.  Only for the log; a bad pointer is no error. */
	u16 kv = le16_get(img + HDR_KERNEL_VERSION);
	if (kv && kv + 0x200u < out->setup_size) {
		u64 start = kv + 0x200u;
		u64 n = strnlen((const char *)img + start, out->setup_size - start);
		if (start + n < out->setup_size)
			out->version_string = (const char *)img + start;
	}
	return BZ_OK;
}

unsigned bzimage_e820(u64 ram, struct bz_e820 *e, unsigned max)
{
	/* The classic PC map: conventional memory up to the EBDA, the EBDA,
	 * VGA window and BIOS area reserved, then extended memory. */
	struct bz_e820 map[3] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED },
		{ 0x100000, ALIGN_DOWN(ram, PAGE_SIZE) - 0x100000, E820_RAM },
	};
	unsigned n = 0;
	for (unsigned i = 0; i < 3 && n < max; i++)
		if (map[i].size && (i < 2 || ram > 0x100000))
			e[n++] = map[i];
	return n;
}

static void build_gdt(u8 *gdt)
{
	memset(gdt, 0, BZ_ZERO_PAGE_GPA - BZ_GDT_GPA);
	/* 0x00 null, 0x08 unused (Linux's __BOOT_CS is the third entry). */
	le64_put(gdt + BZ_BOOT_CS, GDT_CODE64);
	le64_put(gdt + BZ_BOOT_DS, GDT_DATA);
	/* 0x20: 16-byte system descriptor for the TSS at BZ_TSS_GPA. */
	u64 base = BZ_TSS_GPA;
	u64 lo = (TSS_LIMIT & 0xffff) | ((base & 0xffffff) << 16) | ((u64)TSS_TYPE_BUSY64 << 40) |
		 (1ull << 47) | ((u64)(TSS_LIMIT >> 16) << 48) | (((base >> 24) & 0xff) << 56);
	le64_put(gdt + BZ_BOOT_TR, lo);
	le64_put(gdt + BZ_BOOT_TR + 8, base >> 32);
}

/* Identity-map [0, 4 GiB) with 2 MiB pages: PML4[0] -> PDPT[0..3] -> PDs. */
static void build_page_tables(u8 *low)
{
	u8 *pml4 = low + BZ_PML4_GPA, *pdpt = low + BZ_PDPT_GPA;
	memset(pml4, 0, BZ_LOW_END - BZ_PML4_GPA);
	le64_put(pml4 + 0, BZ_PDPT_GPA | PTE_P | PTE_RW);
	for (u64 i = 0; i < 4; i++) {
		u64 pd_gpa = BZ_PD_GPA + i * PAGE_SIZE;
		le64_put(pdpt + i * 8, pd_gpa | PTE_P | PTE_RW);
		for (u64 j = 0; j < 512; j++)
			le64_put(low + pd_gpa + j * 8, (i << 30) | (j << 21) | PTE_P | PTE_RW | PTE_PS);
	}
}

int bzimage_load(const u8 *img, u64 len, const struct bzimage_info *info, const u8 *initrd,
		 u64 initrd_len, const char *cmdline, struct gmem *m, struct bzimage_boot *out)
{
	if (!img || !info || !m || !out || (initrd_len && !initrd) ||
	    info->setup_size + info->kernel_size > len || info->hdr_end > HDR_MAX_END ||
	    !pow2(info->kernel_alignment))
		return BZ_ERR_BAD_ARG;
	memset(out, 0, sizeof(*out));
	if (m->size > BZ_MAX_RAM)
		return BZ_ERR_RAM_TOO_BIG;
	if (m->size < 2 * 0x100000)
		return BZ_ERR_RAM_TOO_SMALL;
	u64 ram_top = ALIGN_DOWN(m->size, PAGE_SIZE);

	/* Command line: cmdline_size is the longest the kernel accepts,
	 * without the terminating NUL (boot.rst, cmdline_size). */
	if (!cmdline)
		cmdline = "";
	u64 cmax = info->cmdline_size < BZ_CMDLINE_MAX ? info->cmdline_size : BZ_CMDLINE_MAX;
	u64 clen = strnlen(cmdline, cmax + 1);
	if (clen > cmax)
		return BZ_ERR_CMDLINE_TOO_LONG;

	/* Kernel: at pref_address if it fits, else at 16 MiB rounded up to
	 * kernel_alignment.  The kernel runs from there and uses init_size
	 * bytes before it looks at the e820 map, so all of it must be RAM. */
	u64 kaddr = info->pref_address;
	/* Not kaddr + init_size > ram_top: pref_address comes from the file,
	 * and near 2^64 the sum wraps and would look as if it fitted. */
	if (!kaddr || kaddr > ram_top || info->init_size > ram_top - kaddr)
		kaddr = ALIGN_UP(BZ_DEFAULT_KERNEL_ADDR, info->kernel_alignment);
	u64 kend = kaddr + info->init_size;
	if (kend > ram_top)
		return BZ_ERR_NO_ROOM;

	/* Initrd: as high as possible, page-aligned, ending at or below
	 * initrd_addr_max (the highest byte it may occupy). */
	u64 iaddr = 0;
	if (initrd_len) {
		u64 ceiling = (u64)info->initrd_addr_max + 1;
		if (ceiling > ram_top)
			ceiling = ram_top;
		if (initrd_len > ceiling || ALIGN_DOWN(ceiling - initrd_len, PAGE_SIZE) < kend)
			return BZ_ERR_INITRD_NO_ROOM;
		iaddr = ALIGN_DOWN(ceiling - initrd_len, PAGE_SIZE);
	}

	u8 *low = gpa_ptr(m, 0, BZ_BIOS_END);
	u8 *kdst = gpa_ptr(m, kaddr, info->kernel_size);
	u8 *idst = initrd_len ? gpa_ptr(m, iaddr, initrd_len) : NULL;
	if (!low || !kdst || (initrd_len && !idst))
		return BZ_ERR_NO_ROOM; /* cannot happen after the checks above */

	/* The first MiB is where a PC keeps firmware tables, and Linux looks
	 * there: BIOS data area (EBDA pointer, base memory size), MP floating
	 * pointer and ACPI RSDP scans of 0xE0000-0xFFFFF.  Guest RAM may hold
	 * anything, so clear it: every scan then finds "no firmware". */
	memset(low, 0, BZ_BIOS_END);
	memcpy(kdst, img + info->setup_size, info->kernel_size);
	if (initrd_len)
		memcpy(idst, initrd, initrd_len);
	memcpy(low + BZ_CMDLINE_GPA, cmdline, clen);
	low[BZ_CMDLINE_GPA + clen] = 0;

	/* Zero page: zeroed, then the image's setup header copied in at the
	 * same offsets (0x1f1 .. 0x202 + jump), then our writes. */
	u8 *bp = low + BZ_ZERO_PAGE_GPA;
	memcpy(bp + HDR_START, img + HDR_START, info->hdr_end - HDR_START);
	le16_put(bp + HDR_VID_MODE, VID_MODE_NORMAL);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	/* LOADED_HIGH only: QUIET_FLAG clear (we want early messages), no
	 * CAN_USE_HEAP (the real-mode setup code never runs), KASLR_FLAG is
	 * the kernel's own. */
	bp[HDR_LOADFLAGS] = LOADED_HIGH;
	le32_put(bp + HDR_CODE32_START, (u32)kaddr);
	le32_put(bp + HDR_RAMDISK_IMAGE, (u32)iaddr);
	le32_put(bp + HDR_RAMDISK_SIZE, (u32)initrd_len);
	le32_put(bp + BP_EXT_RAMDISK_IMAGE, (u32)(iaddr >> 32));
	le32_put(bp + BP_EXT_RAMDISK_SIZE, (u32)(initrd_len >> 32));
	le16_put(bp + HDR_HEAP_END_PTR, 0);
	le32_put(bp + HDR_CMD_LINE_PTR, (u32)BZ_CMDLINE_GPA);
	le32_put(bp + BP_EXT_CMD_LINE_PTR, 0);
	le32_put(bp + HDR_HARDWARE_SUBARCH, 0); /* the default x86/PC environment */
	le64_put(bp + HDR_SETUP_DATA, 0);       /* no setup_data list */
	le64_put(bp + BP_ACPI_RSDP_ADDR, 0);    /* no ACPI */
	bp[BP_SENTINEL] = 0; /* nonzero tells the kernel we copied too much */

	struct bz_e820 e820[BZ_E820_MAX];
	unsigned ne = bzimage_e820(m->size, e820, BZ_E820_MAX);
	bp[BP_E820_ENTRIES] = (u8)ne;
	for (unsigned i = 0; i < ne; i++) {
		u64 off = BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		le64_put(bp + off, e820[i].addr);
		le64_put(bp + off + 8, e820[i].size);
		le32_put(bp + off + 16, e820[i].type);
	}

	build_gdt(low + BZ_GDT_GPA);
	build_page_tables(low);

	/* boot.rst, "64-bit Boot Protocol": 64-bit mode, paging on, identity
	 * mapping of kernel (init_size), zero page and command line, __BOOT_CS
	 * and __BOOT_DS loaded, interrupts disabled, RSI = boot_params. */
	out->rip = kaddr + ENTRY64_OFFSET;
	out->rsi = BZ_ZERO_PAGE_GPA;
	out->rsp = BZ_STACK_TOP;
	out->rflags = 0x2;
	out->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	out->cr3 = BZ_PML4_GPA;
	out->cr4 = CR4_PAE;
	out->efer = EFER_LME | EFER_LMA;
	out->gdt_base = BZ_GDT_GPA;
	out->gdt_limit = BZ_BOOT_TR + 16 - 1;
	out->cs = BZ_BOOT_CS;
	out->ds = BZ_BOOT_DS;
	out->tr = BZ_BOOT_TR;
	/* VMCS access rights = descriptor bits 40-55 with the limit nibble cleared. */
	out->cs_ar = (u32)(GDT_CODE64 >> 40) & 0xf0ff;
	out->ds_ar = (u32)(GDT_DATA >> 40) & 0xf0ff;
	out->tr_ar = 0x80 | TSS_TYPE_BUSY64;
	out->tr_base = BZ_TSS_GPA;
	out->tr_limit = TSS_LIMIT;
	out->kernel_addr = kaddr;
	out->kernel_size = info->kernel_size;
	out->init_size = info->init_size;
	out->initrd_addr = iaddr;
	out->initrd_size = initrd_len;
	out->cmdline_addr = BZ_CMDLINE_GPA;
	out->cmdline_len = (u32)clen;
	out->e820_entries = ne;
	return BZ_OK;
}
