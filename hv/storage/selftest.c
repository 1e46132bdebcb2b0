/*
 * selftest.c - `selftest = storage`: write, read back and verify a pattern
 * over every guest extent, and report throughput (glue; the pattern and
 * the arithmetic are pure, in pattern.c).
 *
 * Every request goes through blk_extent_submit(), the same bounds check
 * guests will go through, so the test also shows that nothing outside the
 * extents is written.  Requests are issued in batches of SELFTEST_NBUF so
 * a queueing driver (AHCI NCQ) has several in flight; only the time from
 * the first submit of a batch to its last completion is counted, the
 * pattern generation and checking is not.  Extents up to 128 MiB are
 * covered whole; larger ones in 16 evenly spread 8 MiB windows (the first
 * and the last included), so a test of a real disk stays short.  After an
 * extent's writes and reads, one flush (FLUSH CACHE [EXT]) goes to its
 * disk: it must succeed, and its time is logged.
 */
#include "types.h"
#include "string.h"
#include "io.h"
#include "kprintf.h"
#include "pmm.h"
#include "tsc.h"
#include "handoff.h"
#include "storage/pattern.h"
#include "storage/storage.h"

#define SELFTEST_CHUNK 512              /* sectors per request: 256 KiB */
#define SELFTEST_NBUF 8                 /* requests per batch */
#define SELFTEST_FULL_MAX (262144ull)   /* 128 MiB: test the whole extent */
#define SELFTEST_WINDOWS 16
#define SELFTEST_WINDOW 16384ull        /* 8 MiB */
#define SELFTEST_MAX_ERR_LINES 8

struct totals {
	u64 bytes_w, bytes_r, us_w, us_r;
	u32 io_errors, bad_sectors, extents;
	u32 err_lines;
};

static const char *err_name(int rc)
{
	switch (rc) {
	case BLK_EINVAL: return "invalid request";
	case BLK_EIO: return "I/O error";
	case BLK_ETIMEDOUT: return "timeout";
	case BLK_EFAILED: return "disk failed";
	case BLK_EBUSY: return "queue full";
	case BLK_ERANGE: return "outside the extent";
	default: return "error";
	}
}

/* Run n requests at once (rel LBAs rel[i], count each) and wait for all;
 * ok[i] tells which succeeded.  Returns the microseconds from first submit
 * to last completion. */
static u64 batch(const struct blk_extent *e, u8 op, u8 **buf, const u64 *rel, const u32 *cnt,
		 u32 n, struct totals *t, bool *ok)
{
	struct blk_req req[SELFTEST_NBUF];
	u64 t0 = now_us();
	for (u32 i = 0; i < n; i++) {
		memset(&req[i], 0, sizeof(req[i]));
		req[i].op = op;
		req[i].lba = rel[i];
		req[i].count = cnt[i];
		req[i].buf = (u64)(uintptr_t)buf[i];
		int rc = blk_extent_submit(e, &req[i]);
		if (rc < 0)
			req[i].status = rc;
	}
	for (;;) {
		bool pending = false;
		for (u32 i = 0; i < n; i++)
			pending |= req[i].status == BLK_PENDING;
		if (!pending)
			break;
		e->dev->ops->poll(e->dev);
	}
	u64 us = now_us() - t0;
	for (u32 i = 0; i < n; i++) {
		ok[i] = req[i].status == BLK_OK;
		if (ok[i])
			continue;
		t->io_errors++;
		if (t->err_lines++ < SELFTEST_MAX_ERR_LINES)
			kprintf("storage selftest: %s LBA %llu+%u on %s: %s (%d)\n",
				op == BLK_WRITE ? "write" : "read",
				(unsigned long long)(e->lba + rel[i]), cnt[i], e->dev->name,
				err_name(req[i].status), req[i].status);
	}
	return us;
}

/* Write then read back [start, start + len) of the extent (relative LBAs). */
static void test_range(const struct blk_extent *e, u64 start, u64 len, u64 seed, u8 **buf,
		       struct totals *t, u64 *bw, u64 *br, u64 *uw, u64 *ur, u32 *bad)
{
	for (int pass = 0; pass < 2; pass++) {
		u8 op = pass == 0 ? BLK_WRITE : BLK_READ;
		for (u64 off = 0; off < len;) {
			u64 rel[SELFTEST_NBUF];
			u32 cnt[SELFTEST_NBUF], n = 0;
			for (; n < SELFTEST_NBUF && off < len; n++) {
				rel[n] = start + off;
				u64 left = len - off;
				cnt[n] = (u32)(left < SELFTEST_CHUNK ? left : SELFTEST_CHUNK);
				if (op == BLK_WRITE)
					pattern_fill(buf[n], e->lba + rel[n], cnt[n], seed);
				else
					memset(buf[n], 0xa5, (u64)cnt[n] * 512);
				off += cnt[n];
			}
			bool ok[SELFTEST_NBUF];
			u64 us = batch(e, op, buf, rel, cnt, n, t, ok);
			u64 bytes = 0; /* what actually moved: failed requests do not count */
			for (u32 i = 0; i < n; i++)
				if (ok[i])
					bytes += (u64)cnt[i] * 512;
			if (op == BLK_WRITE) {
				*bw += bytes;
				*uw += us;
				continue;
			}
			*br += bytes;
			*ur += us;
			for (u32 i = 0; i < n; i++) {
				u64 first = 0;
				if (!ok[i])
					continue; /* counted as an I/O error already */
				u64 lba = e->lba + rel[i];
				u32 b = pattern_check(buf[i], lba, cnt[i], seed, &first);
				if (b && t->err_lines++ < SELFTEST_MAX_ERR_LINES)
					kprintf("storage selftest: %u bad sector%s in LBA %llu+%u "
						"on %s, first at LBA %llu\n", b, b == 1 ? "" : "s",
						(unsigned long long)lba, cnt[i], e->dev->name,
						(unsigned long long)first);
				*bad += b;
			}
		}
	}
}

static void test_extent(const struct cfg_guest *cg, u32 idx, const struct blk_extent *e,
			u64 seed, u8 **buf, struct totals *t)
{
	u64 bw = 0, br = 0, uw = 0, ur = 0;
	u32 bad = 0, errs0 = t->io_errors;

	if (e->sectors <= SELFTEST_FULL_MAX) {
		test_range(e, 0, e->sectors, seed, buf, t, &bw, &br, &uw, &ur, &bad);
	} else {
		u64 step = (e->sectors - SELFTEST_WINDOW) / (SELFTEST_WINDOWS - 1);
		for (u32 w = 0; w < SELFTEST_WINDOWS; w++)
			test_range(e, w * step, SELFTEST_WINDOW, seed, buf, t, &bw, &br, &uw, &ur,
				   &bad);
	}

	/* One flush: the disk's write cache to its media, as a guest's FLUSH
	 * would.  A flush names no sectors, so it goes to the disk itself. */
	struct blk_req flush = { .op = BLK_FLUSH };
	u64 t0 = now_us();
	int frc = blk_rw_sync(e->dev, &flush, 0);
	kprintf("storage selftest: flush on %s after extent %u: %s (%d), %llu us\n", e->dev->name,
		idx, frc == BLK_OK ? "ok" : err_name(frc), frc,
		(unsigned long long)(now_us() - t0));
	if (frc != BLK_OK)
		t->io_errors++;

	/* The bounds check itself: one sector past the end must be refused
	 * before it reaches the driver. */
	struct blk_req past = { .op = BLK_WRITE, .lba = e->sectors, .count = 1,
				.buf = (u64)(uintptr_t)buf[0] };
	int rc = blk_extent_submit(e, &past);
	if (rc != BLK_ERANGE) {
		kprintf("storage selftest: write one past the end of extent %u was not refused "
			"(%d)\n", idx, rc);
		t->io_errors++;
		if (rc == 0)
			blk_rw_sync(e->dev, &past, 0); /* cannot happen; do not leave it queued */
	}

	kprintf("storage selftest: guest \"%s\" extent %u (LBA %llu+%llu) on %s: write %llu KiB "
		"%llu KiB/s, read %llu KiB %llu KiB/s, %u bad sectors, %u I/O errors\n",
		cg->name, idx, (unsigned long long)e->lba, (unsigned long long)e->sectors,
		e->dev->name, (unsigned long long)(bw / 1024),
		(unsigned long long)kib_per_s(bw, uw), (unsigned long long)(br / 1024),
		(unsigned long long)kib_per_s(br, ur), bad, t->io_errors - errs0);
	t->bytes_w += bw;
	t->bytes_r += br;
	t->us_w += uw;
	t->us_r += ur;
	t->bad_sectors += bad;
	t->extents++;
}

int storage_selftest(const struct handoff *h)
{
	if (h->cfg.selftest != SELFTEST_STORAGE)
		return 0;

	struct blk_dev *disk = storage_guest_disk();
	u64 seed = rdtsc();
	kprintf("storage selftest: start, seed 0x%llx, %u extents configured, %u refused\n",
		(unsigned long long)seed, storage_extents_configured(), storage_extents_refused());

	u64 pages = (u64)SELFTEST_CHUNK * 512 / PAGE_SIZE;
	if (pmm_free_bytes() < (SELFTEST_NBUF * pages + 64) * PAGE_SIZE) {
		kprintf("storage selftest: FAIL not enough hv heap for buffers (%llu KiB free)\n",
			(unsigned long long)(pmm_free_bytes() / 1024));
		return -1;
	}
	u8 *buf[SELFTEST_NBUF];
	for (u32 i = 0; i < SELFTEST_NBUF; i++) {
		buf[i] = pmm_alloc_pages(pages);
		/* pointer == physical address; say so if a 32-bit DMA engine
		 * could not reach it (the driver then refuses the request). */
		if ((u64)(uintptr_t)buf[i] + pages * PAGE_SIZE > (1ull << 32))
			kprintf("storage selftest: buffer %u at 0x%llx is above 4 GiB\n", i,
				(unsigned long long)(uintptr_t)buf[i]);
	}

	struct totals t = { 0 };
	for (u32 g = 0; g < h->cfg.nguests && g < CFG_MAX_GUESTS; g++)
		for (u32 i = 0; i < CFG_MAX_EXTENTS; i++) {
			const struct blk_extent *e = storage_guest_extent(g, i);
			if (e)
				test_extent(&h->cfg.guest[g], i, e, seed, buf, &t);
		}

	for (u32 i = 0; i < SELFTEST_NBUF; i++)
		pmm_free_pages(buf[i], pages);

	const char *tr = disk ? disk->transport : "-";
	const char *dn = disk ? disk->name : "-";
	bool ok = t.extents > 0 && t.io_errors == 0 && t.bad_sectors == 0 &&
		  storage_extents_refused() == 0 && !(disk && disk->failed);
	kprintf("storage selftest: %s %u extents on %s (%s): %llu KiB written, %llu KiB read and "
		"verified, write %llu KiB/s, read %llu KiB/s, %u I/O errors, %u bad sectors, %u "
		"extents refused%s\n",
		ok ? "PASS" : "FAIL", t.extents, dn, tr, (unsigned long long)(t.bytes_w / 1024),
		(unsigned long long)(t.bytes_r / 1024),
		(unsigned long long)kib_per_s(t.bytes_w, t.us_w),
		(unsigned long long)kib_per_s(t.bytes_r, t.us_r), t.io_errors, t.bad_sectors,
		storage_extents_refused(), t.extents == 0 ? ", nothing to test" : "");
	return ok ? 0 : -1;
}
