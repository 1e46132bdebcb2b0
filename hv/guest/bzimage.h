/*
 * bzimage.h - loading a Linux bzImage with the x86 64-bit boot protocol.
 *
 * The kernel's Documentation/arch/x86/boot.rst ("The Linux/x86 Boot
 * Protocol") defines a setup header at offset 0x1f1 of the image and a
 * "zero page" (struct boot_params, zero-page.rst) that the loader fills.
 * With the 64-bit protocol no real-mode code runs: the loader copies the
 * protected-mode kernel somewhere aligned, fills the zero page, builds
 * identity page tables and a GDT, and jumps to load address + 0x200 in
 * long mode with RSI = the zero page.
 *
 * Two steps, both pure:
 *   bzimage_parse()  validates the header of an image in memory and says
 *                    why it refuses one (bzimage_strerror());
 *   bzimage_load()   places kernel, initrd, command line, zero page, GDT
 *                    and page tables in guest memory and returns the CPU
 *                    state the glue must load into the VMCS.
 *
 * Guest-physical layout (everything below 64 KiB, which Linux reserves
 * early and never hands to its allocator before it is done with it):
 *
 *   0x1000  GDT: 0x10 = __BOOT_CS (64-bit code), 0x18 = __BOOT_DS,
 *           0x20 = a 64-bit TSS descriptor (VMX wants a usable TR)
 *   0x1080  that TSS (104 bytes of zeros)
 *   0x2000  zero page (struct boot_params)
 *   0x3000  command line, NUL-terminated (up to 4095 bytes)
 *   0x4000-0x8000  a stack, in case anything runs before the kernel sets its own
 *   0x9000  PML4, 0xa000 PDPT, 0xb000-0xefff four page directories:
 *           the first 4 GiB identity-mapped with 2 MiB pages
 *   The rest of the first MiB is zeroed: no BIOS data, MP or ACPI tables.
 *   pref_address (16 MiB for Debian's kernels): the kernel, init_size bytes
 *   top of RAM (below initrd_addr_max): the initrd, page-aligned
 *
 * e820 map given to the guest (a PC's): [0, 0x9fc00) RAM, [0x9fc00,
 * 0x100000) reserved (EBDA, VGA hole, BIOS), [0x100000, RAM size) RAM.
 * Guest RAM is limited to 3 GiB so that it stays clear of the 32-bit
 * PCI/APIC hole below 4 GiB (gmem is one block from guest-physical 0).
 */
#ifndef FORMICA_GUEST_BZIMAGE_H
#define FORMICA_GUEST_BZIMAGE_H

#include "mm/gmem.h"
#include "types.h"

enum bzimage_err {
	BZ_OK = 0,
	/* bzimage_parse */
	BZ_ERR_TRUNCATED = -1,         /* file ends inside the boot sector/setup header */
	BZ_ERR_NO_BOOT_FLAG = -2,      /* boot_flag (0x1fe) is not 0xAA55 */
	BZ_ERR_NO_HDRS = -3,           /* header (0x202) is not "HdrS" */
	BZ_ERR_OLD_PROTOCOL = -4,      /* version (0x206) < 2.12 */
	BZ_ERR_BAD_HEADER_LEN = -5,    /* jump (0x200) gives a header too short or too long */
	BZ_ERR_SETUP_TRUNCATED = -6,   /* the setup_sects sectors run past the end of the file */
	BZ_ERR_NOT_BZIMAGE = -7,       /* loadflags LOADED_HIGH clear: zImage */
	BZ_ERR_NOT_64BIT = -8,         /* xloadflags XLF_KERNEL_64 clear */
	BZ_ERR_NOT_RELOCATABLE = -9,   /* relocatable_kernel (0x234) is 0 */
	BZ_ERR_BAD_ALIGNMENT = -10,    /* kernel_alignment not a power of two in [4K, 1G] */
	BZ_ERR_BAD_PREF_ADDRESS = -11, /* pref_address below 1 MiB or misaligned */
	BZ_ERR_NO_PAYLOAD = -12,       /* syssize (0x1f4) is 0 */
	BZ_ERR_PAYLOAD_TRUNCATED = -13,/* syssize * 16 bytes are not all in the file */
	BZ_ERR_BAD_INIT_SIZE = -14,    /* init_size (0x260) smaller than the kernel */
	BZ_ERR_BAD_CMDLINE_SIZE = -15, /* cmdline_size (0x238) is 0 */
	/* bzimage_load */
	BZ_ERR_RAM_TOO_SMALL = -16,    /* guest RAM cannot hold even the low area */
	BZ_ERR_RAM_TOO_BIG = -17,      /* guest RAM above 3 GiB (PCI hole) */
	BZ_ERR_NO_ROOM = -18,          /* load address + init_size beyond guest RAM */
	BZ_ERR_CMDLINE_TOO_LONG = -19, /* longer than cmdline_size or 4095 */
	BZ_ERR_INITRD_NO_ROOM = -20,   /* initrd does not fit between kernel and its ceiling */
	BZ_ERR_BAD_ARG = -21,          /* NULL pointer, or info not from bzimage_parse */
};

/* "what is wrong", for the log line "guest NAME: kernel refused: ..." */
const char *bzimage_strerror(int err);

/* What bzimage_parse learned from the setup header. */
struct bzimage_info {
	u16 version;           /* 0x020f = 2.15 */
	u8 setup_sects;        /* effective: 0 in the file means 4 */
	u32 setup_size;        /* (setup_sects + 1) * 512: the file offset of the kernel */
	u32 hdr_end;           /* 0x202 + jump offset: the end of the setup header */
	u8 loadflags;
	u16 xloadflags;
	u32 kernel_alignment;
	u8 min_alignment;
	u64 pref_address;
	u32 init_size;
	u32 initrd_addr_max;
	u32 cmdline_size;
	u64 kernel_size;       /* syssize * 16: the protected-mode kernel */
	const char *version_string; /* inside the image, or NULL */
};

int bzimage_parse(const u8 *img, u64 len, struct bzimage_info *out);

/* Guest-physical layout (see above). */
#define BZ_GDT_GPA 0x1000ull
#define BZ_TSS_GPA 0x1080ull
#define BZ_ZERO_PAGE_GPA 0x2000ull
#define BZ_CMDLINE_GPA 0x3000ull
#define BZ_CMDLINE_MAX 4095u
#define BZ_STACK_TOP 0x8000ull
#define BZ_PML4_GPA 0x9000ull
#define BZ_PDPT_GPA 0xa000ull
#define BZ_PD_GPA 0xb000ull     /* four of them */
#define BZ_LOW_END 0x10000ull   /* end of the area above */
#define BZ_BIOS_END 0x100000ull /* the loader zeroes [0, 1 MiB) */
#define BZ_DEFAULT_KERNEL_ADDR 0x1000000ull /* 16 MiB, if pref_address is unusable */
#define BZ_MAX_RAM 0xc0000000ull

/* __BOOT_CS and __BOOT_DS (boot.rst, "64-bit Boot Protocol"), our TR. */
#define BZ_BOOT_CS 0x10
#define BZ_BOOT_DS 0x18
#define BZ_BOOT_TR 0x20

/* E820 (zero-page.rst: e820_table at 0x2d0, struct boot_e820_entry). */
#define E820_RAM 1
#define E820_RESERVED 2
#define BZ_E820_MAX 8
struct bz_e820 {
	u64 addr, size;
	u32 type;
};
/* The map for a guest with ram bytes of RAM; returns the entry count. */
unsigned bzimage_e820(u64 ram, struct bz_e820 *e, unsigned max);

/* The CPU state the 64-bit boot protocol requires at entry, and where
 * everything went.  Segment access rights are in the VMCS encoding
 * (SDM Vol. 3, "Guest Register State"). */
struct bzimage_boot {
	u64 rip;      /* kernel load address + 0x200: startup_64 */
	u64 rsi;      /* zero page */
	u64 rsp;
	u64 rflags;   /* 0x2: interrupts disabled */
	u64 cr0, cr3, cr4, efer;
	u64 gdt_base;
	u16 gdt_limit;
	u16 cs, ds, tr;        /* DS = ES = SS = FS = GS = ds */
	u32 cs_ar, ds_ar, tr_ar;
	u64 tr_base;
	u32 tr_limit;
	u64 kernel_addr, kernel_size, init_size;
	u64 initrd_addr, initrd_size;
	u64 cmdline_addr;
	u32 cmdline_len;
	u32 e820_entries;
};

/*
 * Load the image parsed into *info into guest memory m.  initrd may be NULL
 * (initrd_len 0); cmdline may be NULL (empty).  Returns 0 and fills *out,
 * or a negative BZ_ERR_*; on error guest memory may be partly written.
 */
int bzimage_load(const u8 *img, u64 len, const struct bzimage_info *info, const u8 *initrd,
		 u64 initrd_len, const char *cmdline, struct gmem *m, struct bzimage_boot *out);

#endif
