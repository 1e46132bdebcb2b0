/*
 * iokey.h - which process a disk request belongs to, as sched/ keys it.
 *
 * The I/O scheduler (sched/) knows a process as a pair (guest, key).  The
 * virtual disk's requests reach the hv at the exit of the notify the
 * guest's driver makes when it submits them (virtio_blk.h: we never let it
 * skip one), so the process whose address space is loaded at that exit is
 * the requester - Antfarm's af_current().  That is the paper's point: with
 * the key, anticipatory scheduling can tell two readers in one guest apart.
 *
 * Key 0 is "nobody in particular": the kernel's own root (init_mm), a root
 * Antfarm does not track, or, with iosched_key = guest, every request (how
 * a VMM without process inference would key them).  Any other key names
 * one address space for its whole life: a root page reused by a later
 * process has a new generation and so a new key, and a request of the old
 * process still queued is not mistaken for the new one's.
 */
#ifndef FORMICA_ANTFARM_IOKEY_H
#define FORMICA_ANTFARM_IOKEY_H

#include "antfarm/antfarm.h"
#include "types.h"

enum iokey_mode {
	IOKEY_PROCESS = 0, /* iosched_key = process: (guest, inferred process) */
	IOKEY_GUEST = 1,   /* iosched_key = guest: one key for the whole guest */
};

#define IOKEY_NONE 0ull

/* The key of address space (asid, gen): never IOKEY_NONE, distinct for
 * distinct pairs while gen < 2^23 (a root page reused 8 million times). */
u64 iokey_make(u64 asid, u32 gen);

/* The root's guest-physical address and generation a process key names
 * (for log lines: Antfarm's event lines name processes by asid=). */
u64 iokey_asid(u64 key);
u32 iokey_gen(u64 key);

/* The key for a request submitted now on vcpu. */
u64 iokey_current(const struct af *af, u32 vcpu, enum iokey_mode mode);

#endif
