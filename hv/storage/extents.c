/*
 * extents.c - partition-table scanning and guest extent validation (pure).
 *
 * The rule it implements is written out in extents.h.  Sources: UEFI 2.10
 * 5.2.1 (legacy MBR), 5.2.3 (protective MBR), 5.3 (GPT header and entries),
 * 13.3.1.1 (the ESP type GUID); Microsoft FAT specification 1.03, 3.1-3.3
 * (the BPB fields that identify a FAT volume).
 */
#include "types.h"
#include "le.h"
#include "string.h"
#include "kprintf.h"
#include "storage/extents.h"

u32 crc32_ieee(u32 crc, const void *p, size_t len)
{
	const u8 *b = p;
	crc = ~crc;
	while (len--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static bool is_pow2(u32 v) { return v && !(v & (v - 1)); }

/* A FAT boot sector: jump instruction, sane BPB, signature. */
static bool fat_boot_sector(const u8 *s)
{
	if (s[510] != 0x55 || s[511] != 0xaa)
		return false;
	if (!(s[0] == 0xeb && s[2] == 0x90) && s[0] != 0xe9)
		return false;
	u16 bps = le16_get(s + 11);
	u8 spc = s[13];
	u16 reserved = le16_get(s + 14);
	u8 nfats = s[16];
	u8 media = s[21];
	return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && is_pow2(spc) &&
	       reserved >= 1 && nfats >= 1 && (media == 0xf0 || media >= 0xf8);
}

static void add_region(struct disk_layout *l, u64 lba, u64 sectors, u8 kind)
{
	if (sectors == 0)
		return;
	if (l->nregions == DISK_MAX_REGIONS) {
		/* Out of slots: protect the whole disk rather than forget one. */
		l->region[0].lba = 0;
		l->region[0].sectors = l->sectors;
		l->region[0].kind = REGION_UNKNOWN;
		l->nregions = 1;
		return;
	}
	l->region[l->nregions].lba = lba;
	l->region[l->nregions].sectors = sectors;
	l->region[l->nregions].kind = kind;
	l->nregions++;
}

static void whole_disk(struct disk_layout *l, u8 scheme, u8 kind)
{
	l->scheme = scheme;
	l->nregions = 0;
	add_region(l, 0, l->sectors, kind);
}

/* EFI System Partition type GUID as stored on disk (mixed endian). */
static const u8 esp_guid[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

struct gpt_hdr {
	u64 my_lba, alt_lba, first_usable, last_usable, entries_lba;
	u32 nentries, entry_size, entries_crc;
};

/* Read and check the GPT header at lba (UEFI 5.3.2 validity rules). */
static bool gpt_header(u64 lba, u64 sectors, disk_read_fn rd, void *ctx, struct gpt_hdr *g)
{
	u8 s[512];
	if (lba >= sectors || rd(ctx, lba, s) != 0)
		return false;
	if (memcmp(s, "EFI PART", 8) != 0)
		return false;
	u32 hsize = le32_get(s + 12);
	if (hsize < 92 || hsize > 512)
		return false;
	u32 want = le32_get(s + 16);
	memset(s + 16, 0, 4);
	if (crc32_ieee(0, s, hsize) != want)
		return false;
	g->my_lba = le64_get(s + 24);
	g->alt_lba = le64_get(s + 32);
	g->first_usable = le64_get(s + 40);
	g->last_usable = le64_get(s + 48);
	g->entries_lba = le64_get(s + 72);
	g->nentries = le32_get(s + 80);
	g->entry_size = le32_get(s + 84);
	g->entries_crc = le32_get(s + 88);
	if (g->my_lba != lba || g->first_usable > g->last_usable || g->last_usable >= sectors)
		return false;
	if (g->entry_size < 128 || g->entry_size > 512 || (g->entry_size & (g->entry_size - 1)) ||
	    g->nentries == 0 || g->nentries > 1024)
		return false;
	u64 array_sectors = ((u64)g->nentries * g->entry_size + 511) / 512;
	if (g->entries_lba >= sectors || array_sectors > sectors - g->entries_lba)
		return false;
	return true;
}

/* Walk the entry array twice: first to check its CRC, then to record ESPs
 * (so a corrupt array adds nothing).  Entries never straddle sectors since
 * the entry size is a power of two between 128 and 512. */
static bool gpt_entries(const struct gpt_hdr *g, disk_read_fn rd, void *ctx,
			struct disk_layout *l, bool record)
{
	u8 s[512];
	u32 crc = 0, per = 512 / g->entry_size;
	u64 total = (u64)g->nentries * g->entry_size;
	for (u64 sec = 0; sec * 512 < total; sec++) {
		if (rd(ctx, g->entries_lba + sec, s) != 0)
			return false;
		u64 left = total - sec * 512;
		u32 len = left < 512 ? (u32)left : 512;
		if (!record) {
			crc = crc32_ieee(crc, s, len);
			continue;
		}
		for (u32 i = 0; i < per && (sec * per + i) < g->nentries; i++) {
			const u8 *e = s + i * g->entry_size;
			if (memcmp(e, esp_guid, 16) != 0)
				continue;
			u64 first = le64_get(e + 32), last = le64_get(e + 40);
			if (last < first || last >= l->sectors) {
				/* An ESP we cannot place: protect everything. */
				whole_disk(l, DISK_UNKNOWN, REGION_UNKNOWN);
				return true;
			}
			add_region(l, first, last - first + 1, REGION_ESP);
			l->nesp++;
		}
	}
	return record || crc == g->entries_crc;
}

static void scan_gpt(struct disk_layout *l, disk_read_fn rd, void *ctx)
{
	struct gpt_hdr g;
	/* Primary at LBA 1; the backup at the last LBA if the primary is bad. */
	bool ok = gpt_header(1, l->sectors, rd, ctx, &g) && gpt_entries(&g, rd, ctx, l, false);
	if (!ok)
		ok = gpt_header(l->sectors - 1, l->sectors, rd, ctx, &g) &&
		     gpt_entries(&g, rd, ctx, l, false);
	if (!ok) {
		whole_disk(l, DISK_UNKNOWN, REGION_UNKNOWN);
		return;
	}
	l->scheme = DISK_GPT;
	/* Everything outside the usable range holds GPT structures (and the
	 * protective MBR); whichever header we used, protect both ends. */
	add_region(l, 0, g.first_usable, REGION_PARTTABLE);
	add_region(l, g.last_usable + 1, l->sectors - g.last_usable - 1, REGION_PARTTABLE);
	gpt_entries(&g, rd, ctx, l, true);
}

int disk_scan_layout(struct disk_layout *out, u64 sectors, disk_read_fn rd, void *ctx)
{
	u8 s[512];
	memset(out, 0, sizeof(*out));
	out->sectors = sectors;
	if (sectors == 0)
		return 0;
	if (rd(ctx, 0, s) != 0) {
		whole_disk(out, DISK_UNKNOWN, REGION_UNKNOWN);
		return -1;
	}

	if (fat_boot_sector(s)) {
		whole_disk(out, DISK_FAT, REGION_FAT);
		out->nesp = 1;
		return 0;
	}
	if (s[510] != 0x55 || s[511] != 0xaa) {
		out->scheme = DISK_RAW;
		return 0;
	}

	/* MBR: four 16-byte entries at 446.  Status must be 0x00 or 0x80,
	 * else this is not a partition table (UEFI 5.2.1) and the disk is raw. */
	bool valid = true, any = false, protective = false;
	for (int i = 0; i < 4; i++) {
		const u8 *e = s + 446 + 16 * i;
		if (e[0] != 0x00 && e[0] != 0x80)
			valid = false;
		if (e[4] != 0)
			any = true;
		if (e[4] == 0xee)
			protective = true;
	}
	if (!valid || !any) {
		out->scheme = DISK_RAW;
		return 0;
	}
	if (protective) {
		scan_gpt(out, rd, ctx);
		return 0;
	}

	out->scheme = DISK_MBR;
	add_region(out, 0, 1, REGION_PARTTABLE);
	for (int i = 0; i < 4; i++) {
		const u8 *e = s + 446 + 16 * i;
		if (e[4] != 0xef)
			continue;
		u64 first = le32_get(e + 8), n = le32_get(e + 12);
		if (first + n > sectors) {
			whole_disk(out, DISK_UNKNOWN, REGION_UNKNOWN);
			return 0;
		}
		add_region(out, first, n, REGION_ESP);
		out->nesp++;
	}
	return 0;
}

const char *disk_scheme_name(u8 scheme)
{
	switch (scheme) {
	case DISK_RAW: return "raw";
	case DISK_FAT: return "FAT volume (ESP)";
	case DISK_MBR: return "MBR";
	case DISK_GPT: return "GPT";
	default: return "unreadable partition table";
	}
}

const char *region_kind_name(u8 kind)
{
	switch (kind) {
	case REGION_ESP: return "the EFI System Partition";
	case REGION_PARTTABLE: return "the partition table";
	case REGION_FAT: return "a whole-disk FAT volume (ESP)";
	default: return "a disk with an unreadable partition table";
	}
}

int storage_pick_disk(const struct disk_layout *l, const bool *usable, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (usable[i] && l[i].scheme != DISK_FAT && l[i].scheme != DISK_UNKNOWN &&
		    l[i].nesp == 0)
			return (int)i;
	for (u32 i = 0; i < n; i++)
		if (usable[i] && (l[i].scheme == DISK_GPT || l[i].scheme == DISK_MBR))
			return (int)i;
	return -1;
}

static bool overlap(u64 a, u64 an, u64 b, u64 bn)
{
	return a < b + bn && b < a + an;
}

/* A config never holds more, but it crosses a boundary: do not trust it. */
static u32 nextents(const struct cfg_guest *g)
{
	return g->nextents < CFG_MAX_EXTENTS ? g->nextents : CFG_MAX_EXTENTS;
}

static void add_err(struct extent_check *c, const struct extent_error *e)
{
	if (c->nerr < EXT_MAX_ERRORS)
		c->err[c->nerr] = *e;
	c->nerr++;
	c->guest_ok[e->guest] = false;
}

u32 extents_validate(const struct formica_config *cfg, const struct disk_layout *disk,
		     struct extent_check *out)
{
	memset(out, 0, sizeof(*out));
	u32 ng = cfg->nguests < CFG_MAX_GUESTS ? cfg->nguests : CFG_MAX_GUESTS;
	for (u32 g = 0; g < CFG_MAX_GUESTS; g++)
		out->guest_ok[g] = true;

	for (u32 g = 0; g < ng; g++) {
		const struct cfg_guest *cg = &cfg->guest[g];
		u32 ne = nextents(cg);
		for (u32 i = 0; i < ne; i++) {
			const struct cfg_extent *x = &cg->extent[i];
			struct extent_error e = { .guest = g, .idx = i };
			if (!disk) {
				e.code = EXT_NO_DISK;
				add_err(out, &e);
				continue;
			}
			if (x->sectors == 0) {
				e.code = EXT_EMPTY;
				add_err(out, &e);
				continue;
			}
			if (x->lba >= disk->sectors || x->sectors > disk->sectors - x->lba) {
				e.code = EXT_PAST_END;
				e.region.sectors = disk->sectors;
				add_err(out, &e);
				continue;
			}
			for (u32 r = 0; r < disk->nregions; r++) {
				const struct disk_region *dr = &disk->region[r];
				if (overlap(x->lba, x->sectors, dr->lba, dr->sectors)) {
					e.code = EXT_PROTECTED;
					e.region = *dr;
					add_err(out, &e);
				}
			}
			/* Against every earlier extent, so each pair is reported once. */
			for (u32 h = 0; h <= g; h++) {
				u32 nh = h == g ? i : nextents(&cfg->guest[h]);
				for (u32 j = 0; j < nh; j++) {
					const struct cfg_extent *y = &cfg->guest[h].extent[j];
					if (y->sectors == 0 || y->lba + y->sectors < y->lba)
						continue;
					if (overlap(x->lba, x->sectors, y->lba, y->sectors)) {
						e.code = EXT_OVERLAP;
						e.other_guest = h;
						e.other_idx = j;
						add_err(out, &e);
						/* the earlier guest loses its disk too */
						out->guest_ok[h] = false;
					}
				}
			}
		}
	}
	return out->nerr;
}

int extent_error_str(char *buf, size_t size, const struct formica_config *cfg,
		     const struct extent_error *e)
{
	const struct cfg_guest *g = &cfg->guest[e->guest];
	const struct cfg_extent *x = &g->extent[e->idx];
	int n = ksnprintf(buf, size, "storage: guest \"%s\" extent %u (LBA %llu+%llu): ", g->name,
			  e->idx, (unsigned long long)x->lba, (unsigned long long)x->sectors);
	if (n < 0 || (size_t)n >= size)
		return n;
	char *p = buf + n;
	size_t left = size - n;
	switch (e->code) {
	case EXT_EMPTY:
		return n + ksnprintf(p, left, "refused: zero sectors");
	case EXT_PAST_END:
		return n + ksnprintf(p, left, "refused: past the end of the disk (%llu sectors)",
				     (unsigned long long)e->region.sectors);
	case EXT_OVERLAP: {
		const struct cfg_guest *o = &cfg->guest[e->other_guest];
		const struct cfg_extent *y = &o->extent[e->other_idx];
		return n + ksnprintf(p, left,
				     "refused: overlaps guest \"%s\" extent %u (LBA %llu+%llu)",
				     o->name, e->other_idx, (unsigned long long)y->lba,
				     (unsigned long long)y->sectors);
	}
	case EXT_PROTECTED:
		return n + ksnprintf(p, left, "refused: overlaps %s (LBA %llu+%llu)",
				     region_kind_name(e->region.kind),
				     (unsigned long long)e->region.lba,
				     (unsigned long long)e->region.sectors);
	case EXT_NO_DISK:
		return n + ksnprintf(p, left, "refused: no guest disk (see storage: lines above)");
	default:
		return n + ksnprintf(p, left, "refused: error %u", e->code);
	}
}
