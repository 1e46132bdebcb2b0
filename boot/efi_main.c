/*
 * efi_main.c - Formica's UEFI boot application (BOOTX64.EFI).
 *
 * Its whole job, in order:
 *   1. read \formica\formica.cfg from the ESP we were loaded from, parse it;
 *   2. load \formica\hv.bin (the hypervisor image, see linker.ld);
 *   3. reserve the hv's heap and each guest's RAM, load the guest images;
 *   4. fill one struct handoff (hv/include/handoff.h);
 *   5. take the memory map, ExitBootServices(), jump to the hv.
 * Problems (a bad config line, a missing kernel) are shown on the screen
 * and passed to the hv in handoff.bootlog, so they reach the serial log
 * too; the guests that are fine still boot.
 *
 * Everything boot/ allocates is EfiLoaderData: after ExitBootServices the
 * OS (here: the hv) owns it, and the memory map tells the hv where it is.
 */
#include <efi.h>
#include <efilib.h>

#include "config.h"
#include "handoff.h"
#include "kprintf.h"
#include "string.h"

#define HV_HEAP_MB 160
#define SZ_2M (2ull << 20)

static struct handoff *H;

/* Append one line to the boot log and show it on the firmware console. */
static void blog(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	Print(L"formica: %a\n", line);
	for (char *c = line; *c && H->bootlog_len < HANDOFF_BOOTLOG_LEN - 2; c++)
		H->bootlog[H->bootlog_len++] = *c;
	H->bootlog[H->bootlog_len++] = '\n';
	H->bootlog[H->bootlog_len] = 0;
}

static void *alloc_pages(u64 bytes, u64 *pa)
{
	EFI_PHYSICAL_ADDRESS a = 0;
	UINTN pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	if (BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &a) != EFI_SUCCESS)
		return NULL;
	if (pa)
		*pa = a;
	return (void *)a;
}

/* Read a whole file from the ESP into fresh pages. */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, const char *path, u64 *base, u64 *size)
{
	CHAR16 wpath[CFG_PATH_LEN];
	UINTN i = 0;
	for (; path[i] && i < CFG_PATH_LEN - 1; i++)
		wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)path[i];
	wpath[i] = 0;

	EFI_FILE_HANDLE f;
	EFI_STATUS st = root->Open(root, &f, wpath, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	EFI_FILE_INFO *info = LibFileInfo(f);
	if (!info) {
		f->Close(f);
		return EFI_DEVICE_ERROR;
	}
	UINTN n = info->FileSize;
	FreePool(info);
	void *buf = alloc_pages(n ? n : 1, base);
	if (!buf) {
		f->Close(f);
		return EFI_OUT_OF_RESOURCES;
	}
	st = f->Read(f, &n, buf);
	f->Close(f);
	*size = n;
	return st;
}

/* The header linker.ld puts at the start of hv.bin. */
struct hv_image_header {
	u64 magic, entry, mem_size, file_size;
};
#define HV_IMAGE_MAGIC 0x314143494d524f46ull /* "FORMICA1" */

static EFI_STATUS load_hv(EFI_FILE_HANDLE root, u64 *entry)
{
	u64 file, size;
	EFI_STATUS st = read_file(root, "\\formica\\hv.bin", &file, &size);
	if (EFI_ERROR(st)) {
		blog("cannot read \\formica\\hv.bin: %s", st == EFI_NOT_FOUND ? "not found" : "error");
		return st;
	}
	const struct hv_image_header *hdr = (void *)file;
	if (size < sizeof(*hdr) || hdr->magic != HV_IMAGE_MAGIC || hdr->file_size > size ||
	    hdr->mem_size < hdr->file_size || hdr->entry >= hdr->file_size) {
		blog("\\formica\\hv.bin is not a Formica hypervisor image (bad header)");
		return EFI_LOAD_ERROR;
	}
	u64 base;
	u8 *img = alloc_pages(hdr->mem_size, &base);
	if (!img)
		return EFI_OUT_OF_RESOURCES;
	memcpy(img, (void *)file, hdr->file_size);
	memset(img + hdr->file_size, 0, hdr->mem_size - hdr->file_size); /* .bss */
	H->hv_base = base;
	H->hv_size = hdr->mem_size;
	*entry = base + hdr->entry;
	return EFI_SUCCESS;
}

/* Load one guest's images and RAM.  Returns false (after saying why) if
 * the guest cannot run. */
static bool load_guest(EFI_FILE_HANDLE root, const struct cfg_guest *cg, struct handoff_guest *hg)
{
	EFI_STATUS st = read_file(root, cg->kernel, &hg->kernel.base, &hg->kernel.size);
	if (EFI_ERROR(st)) {
		blog("guest %s: cannot read kernel %s: %s; guest skipped", cg->name, cg->kernel,
		     st == EFI_NOT_FOUND ? "file not found" : "read error");
		return false;
	}
	if (cg->initrd[0]) {
		st = read_file(root, cg->initrd, &hg->initrd.base, &hg->initrd.size);
		if (EFI_ERROR(st)) {
			blog("guest %s: cannot read initrd %s: %s; guest skipped", cg->name,
			     cg->initrd, st == EFI_NOT_FOUND ? "file not found" : "read error");
			return false;
		}
	}
	/* Guest RAM: contiguous and 2 MiB aligned, so the hv can map it with
	 * large pages.  UEFI has no aligned allocation; take 2 MiB more and
	 * round up. */
	u64 size = cg->mem_mb << 20, pa;
	if (!alloc_pages(size + SZ_2M, &pa)) {
		blog("guest %s: cannot reserve %lu MiB of RAM; guest skipped", cg->name,
		     cg->mem_mb);
		return false;
	}
	hg->mem_base = ALIGN_UP(pa, SZ_2M);
	hg->mem_size = size;
	return true;
}

static void load_config(EFI_FILE_HANDLE root)
{
	u64 base = 0, size = 0;
	static char err[CFG_ERR_LEN];
	EFI_STATUS st = read_file(root, "\\formica\\formica.cfg", &base, &size);
	if (EFI_ERROR(st)) {
		blog("cannot read \\formica\\formica.cfg (%s): no guests",
		     st == EFI_NOT_FOUND ? "not found" : "error");
		config_parse("", 0, &H->cfg, err, sizeof(err));
		return;
	}
	int nerr = config_parse((const char *)base, size, &H->cfg, err, sizeof(err));
	for (char *p = err; nerr && *p;) {
		char *nl = p;
		while (*nl && *nl != '\n')
			nl++;
		char c = *nl;
		*nl = 0;
		blog("%s", p);
		p = c ? nl + 1 : nl;
	}
}

static u32 mem_type(UINT32 efi_type)
{
	switch (efi_type) {
	case EfiConventionalMemory:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return HMEM_RAM;
	case EfiLoaderCode:
	case EfiLoaderData:
		return HMEM_LOADER;
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
		return HMEM_ACPI;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
		return HMEM_RUNTIME;
	default:
		return HMEM_RESERVED;
	}
}

/* Convert UEFI's memory map to ours, merging neighbours of the same type. */
static void convert_memory_map(u8 *map, UINTN map_size, UINTN desc_size)
{
	H->nmem = 0;
	for (UINTN off = 0; off < map_size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)(map + off);
		u32 t = mem_type(d->Type);
		struct handoff_mem *last = H->nmem ? &H->mem[H->nmem - 1] : NULL;
		if (last && last->type == t && last->base + last->pages * PAGE_SIZE == d->PhysicalStart) {
			last->pages += d->NumberOfPages;
			continue;
		}
		if (H->nmem == HANDOFF_MAX_MEM)
			break; /* the hv only loses the highest ranges: logged there */
		H->mem[H->nmem++] = (struct handoff_mem){ d->PhysicalStart, d->NumberOfPages, t, 0 };
	}
}

static void find_acpi(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, &acpi20) ||
		    (!H->acpi_rsdp && !CompareGuid(&t->VendorGuid, &acpi10)))
			H->acpi_rsdp = (u64)t->VendorTable;
	}
}

/* The framebuffer the firmware's GOP set up, for the hv's screen console
 * (screen = on).  We keep the mode the firmware chose: it is the one the
 * display was already showing.  Formats other than 32-bit RGBX/BGRX (a
 * bit-mask format, or blt-only GOPs with no framebuffer) are left out. */
static void find_framebuffer(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	if (LibLocateProtocol(&GraphicsOutputProtocol, (void **)&gop) != EFI_SUCCESS || !gop ||
	    !gop->Mode || !gop->Mode->Info) {
		blog("no GOP framebuffer: no screen console");
		return;
	}
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	if (mi->PixelFormat != PixelRedGreenBlueReserved8BitPerColor &&
	    mi->PixelFormat != PixelBlueGreenRedReserved8BitPerColor) {
		blog("GOP pixel format %u is not 32-bit RGB/BGR: no screen console",
		     (unsigned)mi->PixelFormat);
		return;
	}
	H->fb_base = gop->Mode->FrameBufferBase;
	H->fb_width = mi->HorizontalResolution;
	H->fb_height = mi->VerticalResolution;
	H->fb_pitch = mi->PixelsPerScanLine * 4;
	H->fb_format = mi->PixelFormat == PixelRedGreenBlueReserved8BitPerColor ? HFB_RGBX : HFB_BGRX;
}

/* With Secure Boot on, the firmware runs only signed images: if we run at
 * all, someone enrolled or signed this one.  Say so plainly, since the
 * usual outcome (an unsigned BOOTX64.EFI refused by the firmware, with the
 * firmware's own message) is the one users ask about; README "Booting it". */
static void check_secure_boot(void)
{
	UINTN size = 0;
	UINT8 *sb = LibGetVariableAndSize(L"SecureBoot", &EfiGlobalVariable, &size);
	if (sb && size >= 1 && *sb == 1)
		blog("Secure Boot is ON.  Formica is unsigned; the firmware ran it only because "
		     "it was enrolled or signed.  If it is refused, switch Secure Boot off in the "
		     "firmware setup (README.md, \"Booting it\").");
	if (sb)
		FreePool(sb);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	Print(L"formica: boot\n");

	u64 hpa;
	H = alloc_pages(sizeof(*H), &hpa);
	if (!H)
		return EFI_OUT_OF_RESOURCES;
	memset(H, 0, sizeof(*H));
	H->magic = HANDOFF_MAGIC;
	H->version = HANDOFF_VERSION;

	EFI_LOADED_IMAGE *li;
	EFI_GUID lip = LOADED_IMAGE_PROTOCOL;
	if (BS->HandleProtocol(image, &lip, (void **)&li) != EFI_SUCCESS)
		return EFI_LOAD_ERROR;
	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		Print(L"formica: cannot open the boot volume\n");
		return EFI_LOAD_ERROR;
	}

	check_secure_boot();
	load_config(root);
	u64 entry;
	if (EFI_ERROR(load_hv(root, &entry))) {
		Print(L"formica: no hypervisor image; returning to the firmware\n");
		return EFI_LOAD_ERROR;
	}
	if (!alloc_pages((u64)HV_HEAP_MB << 20, &H->heap_base)) {
		Print(L"formica: cannot reserve the hypervisor heap\n");
		return EFI_OUT_OF_RESOURCES;
	}
	H->heap_size = (u64)HV_HEAP_MB << 20;

	/* Guests that fail to load are dropped; the rest move up. */
	u32 kept = 0;
	for (u32 i = 0; i < H->cfg.nguests; i++) {
		struct handoff_guest hg = { 0 };
		if (!load_guest(root, &H->cfg.guest[i], &hg))
			continue;
		if (kept != i)
			H->cfg.guest[kept] = H->cfg.guest[i];
		H->guest[kept++] = hg;
	}
	H->cfg.nguests = kept;
	find_acpi();
	if (H->cfg.screen)
		find_framebuffer();
	H->efi_runtime = (u64)RT;

	/* The memory map changes with every allocation, so get it into a
	 * buffer allocated beforehand, then exit at once.  If the key went
	 * stale in between, ExitBootServices fails and we try again. */
	UINTN map_cap = 64 * 1024, map_size, key, desc_size;
	UINT32 desc_ver;
	u8 *map = alloc_pages(map_cap, NULL);
	blog("loaded hv at 0x%lx, %u guest(s); exiting boot services", H->hv_base, kept);
	for (int tries = 0; tries < 8; tries++) {
		map_size = map_cap;
		if (BS->GetMemoryMap(&map_size, (void *)map, &key, &desc_size, &desc_ver) != EFI_SUCCESS)
			continue;
		convert_memory_map(map, map_size, desc_size);
		H->tsc_at_handoff = 0;
		if (BS->ExitBootServices(image, key) == EFI_SUCCESS) {
			__asm__ volatile("cli");
			((hv_entry_fn)entry)(H);
			for (;;)
				__asm__ volatile("hlt");
		}
	}
	Print(L"formica: ExitBootServices kept failing\n");
	return EFI_ABORTED;
}
