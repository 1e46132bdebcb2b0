/*
 * handoff.h - the one structure boot/ gives hv/.
 *
 * boot/ runs as a UEFI application.  It loads everything from the ESP,
 * fills this block, calls ExitBootServices() and jumps to hv_entry(h).
 * From then on the firmware's boot services are gone; everything the
 * hypervisor knows about the machine is in here (plus ACPI tables, which
 * stay in memory, and the EFI runtime services, which stay callable).
 *
 * All addresses are physical.  hv/ identity-maps physical memory, so a
 * physical address can be used as a pointer there.
 */
#ifndef FORMICA_HANDOFF_H
#define FORMICA_HANDOFF_H

#include "config.h"
#include "types.h"

#define HANDOFF_MAGIC 0x21414349524f4621ull /* "!FORMICA!" minus one byte */
#define HANDOFF_VERSION 4 /* 2: CFG_MAX_GUESTS 24, cfg_guest.max_ms; 3: iosched, iosched_key,
			   * disk_model; 4: cfg.serial (mode), cfg.screen, fb_* filled */
#define HANDOFF_MAX_MEM 256
#define HANDOFF_BOOTLOG_LEN 4096

/* Our own memory types: the hv does not need UEFI's fourteen. */
enum handoff_mem_type {
	HMEM_RAM = 1,      /* free for the hv to use (conventional + boot services) */
	HMEM_RESERVED = 2, /* firmware, MMIO, unusable: never touch */
	HMEM_ACPI = 3,     /* ACPI tables and NVS: keep */
	HMEM_RUNTIME = 4,  /* EFI runtime services code/data: keep mapped */
	HMEM_LOADER = 5,   /* what boot/ allocated: hv image, heap, guests, files */
};

/* GOP pixel formats the hv draws (EFI_GRAPHICS_PIXEL_FORMAT 0 and 1). */
enum handoff_fb_format {
	HFB_RGBX = 0, /* PixelRedGreenBlueReserved8BitPerColor: byte 0 red */
	HFB_BGRX = 1, /* PixelBlueGreenRedReserved8BitPerColor: byte 0 blue */
};

struct handoff_mem {
	u64 base;
	u64 pages; /* 4 KiB pages */
	u32 type;  /* enum handoff_mem_type */
	u32 pad;
};

/* A file boot/ read from the ESP (kernel, initrd), still in its own buffer. */
struct handoff_file {
	u64 base;
	u64 size; /* 0: no file */
};

struct handoff_guest {
	struct handoff_file kernel;
	struct handoff_file initrd;
	u64 mem_base; /* guest RAM: physically contiguous, 2 MiB aligned */
	u64 mem_size;
};

struct handoff {
	u64 magic;
	u32 version;
	u32 nmem;

	u64 hv_base, hv_size;     /* where the hv image was loaded */
	u64 heap_base, heap_size; /* memory reserved for the hv's page allocator */

	struct handoff_mem mem[HANDOFF_MAX_MEM];

	struct formica_config cfg;               /* parsed formica.cfg, valid guests only */
	struct handoff_guest guest[CFG_MAX_GUESTS]; /* parallel to cfg.guest[] */

	u64 acpi_rsdp;     /* physical address of the RSDP, 0 if none */
	u64 efi_runtime;   /* EFI_RUNTIME_SERVICES *, for ResetSystem() */
	/* The GOP framebuffer as the firmware left it (UEFI 2.9, 12.9): 32-bit
	 * pixels, fb_pitch bytes per line (PixelsPerScanLine * 4). */
	u64 fb_base;       /* 0 if none (or a pixel format we do not draw) */
	u32 fb_width, fb_height, fb_pitch;
	u32 fb_format;     /* enum handoff_fb_format */
	u64 tsc_at_handoff;

	/* Messages boot/ produced (config errors, load failures); the hv
	 * prints them on its console, since only it knows the serial port
	 * for certain. NUL-terminated lines. */
	u32 bootlog_len;
	char bootlog[HANDOFF_BOOTLOG_LEN];
};

/* The hv's entry point: System V ABI, interrupts off, any stack. */
typedef void (*hv_entry_fn)(struct handoff *h);

#endif
