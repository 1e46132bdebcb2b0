/*
 * workload.h - the guest processes the benchmark runs: who reads or writes
 * what, how much at a time, and how long each thinks between requests.
 */
#ifndef SCHEDSIM_WORKLOAD_H
#define SCHEDSIM_WORKLOAD_H

#include "types.h"

#define WL_MAX_PROCS 32

enum wl_kind { WL_SEQ_READ, WL_RAND_READ, WL_SEQ_WRITE };

struct wl_proc {
	enum wl_kind kind;
	u32 guest;
	u64 key;		/* the process key the hv would infer (a CR3 value) */
	u64 start;		/* first sector of its region */
	u64 span;		/* region length, sectors */
	u64 requests;		/* how many it issues */
	u32 req_sectors;
	u64 think_ns;		/* from a completion to its next request */
	u32 depth;		/* requests it keeps outstanding: 1 = synchronous */
};

struct workload {
	char name[32];
	char desc[192];
	u32 nprocs;
	struct wl_proc procs[WL_MAX_PROCS];
	u32 seq_readers;	/* concurrent sequential readers */
};

/* Sizes the case study uses; the test shrinks them. */
struct wl_sizes {
	u64 read_bytes;		/* per sequential process: 200 MiB */
	u64 random_reads;	/* per random reader */
	u32 think_ns;
};

void wl_default_sizes(struct wl_sizes *z);
void wl_sequential(struct workload *w, const struct wl_sizes *z, u32 guests, u32 procs);
void wl_random(struct workload *w, const struct wl_sizes *z, u32 guests, u32 procs);
void wl_mixed(struct workload *w, const struct wl_sizes *z, u32 guests);

#endif
