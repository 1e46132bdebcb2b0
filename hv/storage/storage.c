/*
 * storage.c - bring-up of the hv's disks and of the guests' extents (glue).
 *
 * The order: PCI enumeration, one driver per storage controller (AHCI for
 * class 01.06.01, IDE for class 01.01), the partition layout of every disk
 * (read through the block layer, judged by extents.c), the choice of the
 * guest disk, and the validation of every guest's extents.  Only extents
 * that pass are handed out (storage_guest_extent()); the reasons for the
 * others are logged, one line each.
 */
#include "types.h"
#include "string.h"
#include "kprintf.h"
#include "pmm.h"
#include "tsc.h"
#include "handoff.h"
#include "pci/pci.h"
#include "storage/ahci.h"
#include "storage/ide.h"
#include "storage/extents.h"
#include "storage/storage.h"

/* Longest blk_rw_sync() waits before giving up on a driver; the drivers'
 * own timeouts (10 s, one retry after a reset) fire well before. */
#define SYNC_SAFETY_US 120000000ull

static struct blk_extent gext[CFG_MAX_GUESTS][CFG_MAX_EXTENTS];
static u32 gnext[CFG_MAX_GUESTS];
static struct blk_dev *guest_disk;
static struct disk_layout layouts[BLK_MAX_DEVS];
static u8 *bounce;

static u32 storage_refused_extents;
static u32 storage_configured_extents;

int blk_rw_sync(struct blk_dev *d, struct blk_req *r, u64 timeout_us)
{
	int rc = d->ops->submit(d, r);
	if (rc < 0)
		return rc;
	u64 end = now_us() + (timeout_us ? timeout_us : SYNC_SAFETY_US);
	while (r->status == BLK_PENDING) {
		d->ops->poll(d);
		if (r->status == BLK_PENDING && now_us() > end) {
			kprintf("%s: request LBA %llu+%u not completed by the driver; disk marked "
				"failed\n", d->name, (unsigned long long)r->lba, r->count);
			d->failed = true;
			d->ops->poll(d); /* a failed disk gives its requests back */
			if (r->status == BLK_PENDING)
				panic("%s: driver kept a request after failing", d->name);
		}
	}
	return r->status;
}

static int sector_read(void *ctx, u64 lba, u8 buf[512])
{
	struct blk_dev *d = ctx;
	struct blk_req r = { .op = BLK_READ, .lba = lba, .count = 1 };
	r.buf = (u64)(uintptr_t)bounce;
	int rc = blk_rw_sync(d, &r, 0);
	if (rc != BLK_OK)
		return -1;
	memcpy(buf, bounce, 512);
	return 0;
}

static void log_layout(const struct blk_dev *d, const struct disk_layout *l)
{
	kprintf("storage: %s: %s, %u ESP%s\n", d->name, disk_scheme_name(l->scheme), l->nesp,
		l->nesp == 1 ? "" : "s");
	for (u32 i = 0; i < l->nregions; i++)
		kprintf("storage: %s:   protected LBA %llu+%llu: %s\n", d->name,
			(unsigned long long)l->region[i].lba,
			(unsigned long long)l->region[i].sectors,
			region_kind_name(l->region[i].kind));
}

static void probe_controllers(void)
{
	for (u32 i = 0; i < pci_ndevs(); i++) {
		const struct pci_dev *pd = pci_get(i);
		if (pd->class_code != PCI_CLASS_STORAGE)
			continue;
		if (pd->subclass == PCI_SUBCLASS_SATA && pd->prog_if == PCI_PROGIF_AHCI)
			ahci_probe(pd);
		else if (pd->subclass == PCI_SUBCLASS_IDE)
			ide_probe(pd);
		else
			kprintf("storage: %02x:%02x.%x %04x:%04x %s controller: no driver, "
				"ignored\n",
				pd->bus, pd->dev, pd->fn, pd->vendor, pd->device,
				pci_class_name(pd->class_code, pd->subclass, pd->prog_if));
	}
}

void storage_init(const struct handoff *h)
{
	/* hv_main() enumerated PCI already (the console may be a PCI UART). */
	probe_controllers();

	u32 n = blk_ndevs();
	bool usable[BLK_MAX_DEVS];
	bounce = pmm_alloc_pages(1);
	if ((u64)(uintptr_t)bounce + PAGE_SIZE > (1ull << 32))
		kprintf("storage: warning: DMA bounce page 0x%llx is above 4 GiB\n",
			(unsigned long long)(uintptr_t)bounce);
	for (u32 i = 0; i < n; i++) {
		struct blk_dev *d = blk_get(i);
		if (disk_scan_layout(&layouts[i], d->sectors, sector_read, d) < 0)
			kprintf("storage: %s: cannot read LBA 0, whole disk protected\n", d->name);
		log_layout(d, &layouts[i]);
		usable[i] = !d->failed;
	}
	kprintf("storage: %u disk%s\n", n, n == 1 ? "" : "s");

	int pick = storage_pick_disk(layouts, usable, n);
	if (pick >= 0) {
		guest_disk = blk_get(pick);
		kprintf("storage: guest disk %s \"%s\" (%s)\n", guest_disk->name, guest_disk->model,
			layouts[pick].nesp ? "partitioned disk with an ESP, which stays protected" :
					     "first disk without an ESP");
	} else {
		kprintf("storage: no guest disk (no disk, or every disk is a FAT/ESP volume)\n");
	}

	struct extent_check chk;
	extents_validate(&h->cfg, pick >= 0 ? &layouts[pick] : NULL, &chk);
	char line[256];
	for (u32 i = 0; i < chk.nerr && i < EXT_MAX_ERRORS; i++) {
		extent_error_str(line, sizeof(line), &h->cfg, &chk.err[i]);
		kprintf("%s\n", line);
	}
	if (chk.nerr > EXT_MAX_ERRORS)
		kprintf("storage: %u more extent errors not shown\n", chk.nerr - EXT_MAX_ERRORS);

	storage_configured_extents = 0;
	storage_refused_extents = 0;
	for (u32 g = 0; g < h->cfg.nguests && g < CFG_MAX_GUESTS; g++) {
		const struct cfg_guest *cg = &h->cfg.guest[g];
		u32 ne = cg->nextents < CFG_MAX_EXTENTS ? cg->nextents : CFG_MAX_EXTENTS;
		storage_configured_extents += ne;
		gnext[g] = 0;
		if (ne == 0)
			continue;
		if (!chk.guest_ok[g]) {
			storage_refused_extents += ne;
			kprintf("storage: guest \"%s\": all %u extent%s refused, the guest gets no "
				"disk\n",
				cg->name, ne, ne == 1 ? "" : "s");
			continue;
		}
		for (u32 i = 0; i < ne; i++) {
			gext[g][i].dev = guest_disk;
			gext[g][i].lba = cg->extent[i].lba;
			gext[g][i].sectors = cg->extent[i].sectors;
			kprintf("storage: guest \"%s\" extent %u: LBA %llu+%llu (%llu KiB) on %s\n",
				cg->name, i, (unsigned long long)cg->extent[i].lba,
				(unsigned long long)cg->extent[i].sectors,
				(unsigned long long)(cg->extent[i].sectors / 2), guest_disk->name);
		}
		gnext[g] = ne;
	}
}

const struct blk_extent *storage_guest_extent(u32 guest, u32 idx)
{
	if (guest >= CFG_MAX_GUESTS || idx >= gnext[guest])
		return NULL;
	return &gext[guest][idx];
}

struct blk_dev *storage_guest_disk(void) { return guest_disk; }
u32 storage_extents_configured(void) { return storage_configured_extents; }
u32 storage_extents_refused(void) { return storage_refused_extents; }
