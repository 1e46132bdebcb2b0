/*
 * extents.h - which parts of a disk guests may have, and which not (pure).
 *
 * formica.cfg gives each guest up to CFG_MAX_EXTENTS `disk = LBA+SECTORS`
 * slices of "the guest disk".  Before the hv hands any of them out it
 * checks them against that disk (extents.c):
 *
 *   - every extent is non-empty and ends inside the disk;
 *   - no two extents overlap (same guest or not);
 *   - no extent touches a protected region of the disk: an EFI System
 *     Partition, or the partition table that describes it.
 *
 * A guest with any bad extent gets no disk at all (one line per problem is
 * logged); the other guests keep theirs.
 *
 * Which disk is the guest disk, and what is protected (the "ESP rule"):
 * the hv cannot ask the firmware which disk it booted from (boot services
 * are gone), so it protects every ESP it can recognise, a superset of the
 * boot one.  disk_scan_layout() reads LBA 0 (and the GPT) of each disk:
 *
 *   FAT     LBA 0 is a FAT boot sector (0x55AA and a plausible BPB): a
 *           partitionless FAT volume, which is how firmware sees a
 *           "superfloppy" ESP.  The whole disk is protected.
 *   GPT     a protective MBR (type 0xEE) and a valid GPT (header CRC,
 *           primary or backup): every EFI System partition (type GUID
 *           C12A7328-F81F-11D2-BA4B-00A0C93EC93B) is protected, and so are
 *           the areas outside [FirstUsableLBA, LastUsableLBA] (MBR, both
 *           headers and entry arrays).
 *   MBR     0x55AA and partition entries: type 0xEF partitions are ESPs
 *           and protected, as is LBA 0.
 *   RAW     anything else: nothing to protect.
 *   UNKNOWN a protective MBR whose GPT is unreadable or corrupt: the
 *           whole disk is protected, since we cannot tell where the ESP is.
 *
 * storage_pick_disk() then picks the guest disk: the first disk (PCI
 * order, then port order) that holds no ESP and no FAT volume; failing
 * that, the first partitioned (GPT/MBR) disk, whose ESP and tables stay
 * protected by the checks above.  A FAT or UNKNOWN disk is never picked.
 */
#ifndef FORMICA_EXTENTS_H
#define FORMICA_EXTENTS_H

#include "types.h"
#include "config.h"

#define DISK_MAX_REGIONS 16

enum disk_scheme { DISK_RAW = 0, DISK_FAT, DISK_MBR, DISK_GPT, DISK_UNKNOWN };

enum region_kind {
	REGION_ESP = 1,       /* an EFI System Partition */
	REGION_PARTTABLE = 2, /* MBR, GPT headers and entry arrays */
	REGION_FAT = 3,       /* a whole-disk FAT volume */
	REGION_UNKNOWN = 4,   /* a whole disk we could not parse */
};

struct disk_region {
	u64 lba;
	u64 sectors;
	u8 kind; /* enum region_kind */
};

struct disk_layout {
	u64 sectors;
	u8 scheme;  /* enum disk_scheme */
	u32 nesp;   /* ESPs found (a FAT disk counts as one) */
	u32 nregions;
	struct disk_region region[DISK_MAX_REGIONS]; /* protected: no guest may touch */
};

/* Read one 512-byte sector; 0 on success.  The glue passes the driver's
 * synchronous read, unit tests a memory image. */
typedef int (*disk_read_fn)(void *ctx, u64 lba, u8 buf[512]);

/*
 * Work out the partitioning of a disk of `sectors` sectors and fill *out.
 * Returns 0, or -1 if LBA 0 could not be read (then *out is UNKNOWN with
 * the whole disk protected).
 */
int disk_scan_layout(struct disk_layout *out, u64 sectors, disk_read_fn rd, void *ctx);

const char *disk_scheme_name(u8 scheme);
const char *region_kind_name(u8 kind);

/* Index of the guest disk among n layouts (see the rule above), or -1. */
int storage_pick_disk(const struct disk_layout *layouts, const bool *usable, u32 n);

enum extent_err {
	EXT_EMPTY = 1,      /* sectors == 0 */
	EXT_PAST_END,       /* lba + sectors beyond the disk (or overflowing) */
	EXT_OVERLAP,        /* overlaps another guest's or its own other extent */
	EXT_PROTECTED,      /* overlaps a protected region (ESP, partition table...) */
	EXT_NO_DISK,        /* there is no guest disk */
};

struct extent_error {
	u8 code;        /* enum extent_err */
	u32 guest, idx; /* which extent */
	u32 other_guest, other_idx; /* EXT_OVERLAP: the other extent */
	struct disk_region region;  /* EXT_PROTECTED: what it hit; EXT_PAST_END: disk size */
};

#define EXT_MAX_ERRORS 32

struct extent_check {
	u32 nerr;                     /* all problems found (may exceed EXT_MAX_ERRORS) */
	struct extent_error err[EXT_MAX_ERRORS];
	bool guest_ok[CFG_MAX_GUESTS]; /* false: the guest gets no disk */
};

/*
 * Check every guest's extents in cfg against disk (NULL: no guest disk).
 * Returns the number of problems (also in out->nerr).
 */
u32 extents_validate(const struct formica_config *cfg, const struct disk_layout *disk,
		     struct extent_check *out);

/* One log line (no newline) for an error, e.g.
 *   storage: guest "a" extent 1 (LBA 100+50): overlaps guest "b" extent 0 (LBA 120+10) */
int extent_error_str(char *buf, size_t size, const struct formica_config *cfg,
		     const struct extent_error *e);

/* CRC-32 as GPT uses it (IEEE 802.3, reflected, init and final xor ~0). */
u32 crc32_ieee(u32 crc, const void *p, size_t len);

#endif
