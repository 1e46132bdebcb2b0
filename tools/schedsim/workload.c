/*
 * workload.c - the workloads, after the Antfarm paper's anticipatory
 * scheduling case study: P processes in each of V guests, each reading
 * 200 MiB sequentially from its own region of a 1 GiB file in its guest.
 *
 * Layout: guest g's virtual disk is a 16 GiB extent starting at
 * 1 MiB + g * 16 GiB of the physical disk (near the fast outer edge), and
 * its 1 GiB file starts 1 GiB into that disk.  Process p of P reads from
 * file offset p * (1 GiB / P).  Requests are 64 KiB (an assumption: a guest
 * reading a file in 64 KiB chunks); a process thinks 100 us between its
 * reads (the paper asks only for "a small think time": well under
 * antic_expire, as for a process that copies or checksums what it reads).
 *
 * Process keys are CR3-like values, and deliberately the same in every guest
 * (each guest's first process has key 0x1000): only the pair (guest, key)
 * tells processes apart.
 */
#include <stdio.h>
#include <string.h>

#include "workload.h"

#define KIB 1024ull
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define SECT 512ull

#define GUEST_BASE (1 * MIB / SECT)
#define GUEST_SIZE (16 * GIB / SECT)
#define FILE_OFF (1 * GIB / SECT)
#define FILE_SIZE (1 * GIB / SECT)
#define SEQ_REQ (64 * KIB / SECT)
#define RAND_REQ (4 * KIB / SECT)
#define WRITE_DEPTH 8

void wl_default_sizes(struct wl_sizes *z)
{
	z->read_bytes = 200 * MIB;
	z->random_reads = 2000;
	z->think_ns = 100 * 1000;
}

static u64 file_start(u32 g)
{
	return GUEST_BASE + (u64)g * GUEST_SIZE + FILE_OFF;
}

static struct wl_proc *add(struct workload *w, enum wl_kind kind, u32 g, u32 p)
{
	struct wl_proc *wp = &w->procs[w->nprocs++];
	memset(wp, 0, sizeof(*wp));
	wp->kind = kind;
	wp->guest = g;
	wp->key = 0x1000ull * (p + 1);
	return wp;
}

void wl_sequential(struct workload *w, const struct wl_sizes *z, u32 guests, u32 procs)
{
	memset(w, 0, sizeof(*w));
	if (z->think_ns >= 1000 * 1000)
		snprintf(w->name, sizeof(w->name), "seq %ux%u, %u ms think", guests, procs,
			 z->think_ns / 1000000);
	else
		snprintf(w->name, sizeof(w->name), "seq %ux%u", guests, procs);
	snprintf(w->desc, sizeof(w->desc),
		 "%u guest(s) x %u process(es), each reading %llu MiB sequentially, "
		 "64 KiB reads, %u us think", guests, procs,
		 (unsigned long long)(z->read_bytes / MIB), z->think_ns / 1000);
	for (u32 g = 0; g < guests; g++) {
		for (u32 p = 0; p < procs; p++) {
			struct wl_proc *wp = add(w, WL_SEQ_READ, g, p);
			wp->span = FILE_SIZE / procs;
			wp->start = file_start(g) + p * wp->span;
			wp->req_sectors = SEQ_REQ;
			wp->requests = z->read_bytes / (SEQ_REQ * SECT);
			wp->think_ns = z->think_ns;
			wp->depth = 1;
		}
	}
	w->seq_readers = guests * procs;
}

void wl_random(struct workload *w, const struct wl_sizes *z, u32 guests, u32 procs)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "random %ux%u", guests, procs);
	snprintf(w->desc, sizeof(w->desc),
		 "%u guest(s) x %u process(es), each %llu random 4 KiB reads in its region, "
		 "%u us think", guests, procs, (unsigned long long)z->random_reads,
		 z->think_ns / 1000);
	for (u32 g = 0; g < guests; g++) {
		for (u32 p = 0; p < procs; p++) {
			struct wl_proc *wp = add(w, WL_RAND_READ, g, p);
			wp->span = FILE_SIZE / procs;
			wp->start = file_start(g) + p * wp->span;
			wp->req_sectors = RAND_REQ;
			wp->requests = z->random_reads;
			wp->think_ns = z->think_ns;
			wp->depth = 1;
		}
	}
}

/* Each guest: one sequential reader in the file's first half, and one process
 * whose writes the guest's page cache flushes, 8 at a time, into the second. */
void wl_mixed(struct workload *w, const struct wl_sizes *z, u32 guests)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "read/write %ux2", guests);
	snprintf(w->desc, sizeof(w->desc),
		 "%u guest(s), each 1 reader (%llu MiB sequential, sync) and 1 writer "
		 "(%llu MiB sequential, %u outstanding), 64 KiB", guests,
		 (unsigned long long)(z->read_bytes / MIB),
		 (unsigned long long)(z->read_bytes / MIB), WRITE_DEPTH);
	for (u32 g = 0; g < guests; g++) {
		struct wl_proc *r = add(w, WL_SEQ_READ, g, 0);
		r->span = FILE_SIZE / 2;
		r->start = file_start(g);
		r->req_sectors = SEQ_REQ;
		r->requests = z->read_bytes / (SEQ_REQ * SECT);
		r->think_ns = z->think_ns;
		r->depth = 1;

		struct wl_proc *wr = add(w, WL_SEQ_WRITE, g, 1);
		wr->span = FILE_SIZE / 2;
		wr->start = file_start(g) + FILE_SIZE / 2;
		wr->req_sectors = SEQ_REQ;
		wr->requests = z->read_bytes / (SEQ_REQ * SECT);
		wr->think_ns = 0;
		wr->depth = WRITE_DEPTH;
	}
	w->seq_readers = guests;
}
