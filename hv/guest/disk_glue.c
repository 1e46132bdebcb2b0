/*
 * disk_glue.c - the guests' virtual disks, wired into the run loop.
 *
 * The path itself is pure and lives elsewhere: the virtio-blk device
 * (hv/dev/virtio_blk.c) validates a guest's requests, vblkq.c keys them by
 * the process Antfarm sees loaded and hands them to the disk queue
 * (hv/storage/diskq.c), which orders them with sched/ and drives the real
 * disk.  This file is the glue around it: which guests get a device and
 * where it sits on their virtual PC, when the queue is told about a notify
 * and polled, how a completion wakes a guest that is not on the CPU, and
 * the log lines (hv/dev/README.md has the essay, hv/ARCHITECTURE.md the
 * path from the notify to the disk and back).
 *
 * All times are guest_now_ns(): one host clock shared by every guest, as
 * the disk queue and the scheduler need.
 */
#include "guest/disk_glue.h"
#include "guest/guest.h"
#include "guest/vsched.h"
#include "dev/vblkq.h"
#include "kprintf.h"
#include "pmm.h"
#include "storage/storage.h"
#include "string.h"

/*
 * Where the device sits on every guest's virtual PC: the place a BIOS
 * would have given the first PCI function after the host bridge.  IRQ 11
 * is a classic PCI interrupt on PCs with an 8259 (free here: no ISA device
 * of the vPC uses it), level-triggered in the ELCR as PCI INTx must be.
 */
#define VBLK_PCI_SLOT 3
#define VBLK_IO_BASE 0xc000
#define VBLK_IRQ 11

/*
 * While a piece of a request is at the disk, the queue is polled at least
 * this often.  The disk drivers are polled, not interrupt-driven, so this
 * bounds how late a completion is noticed: a guest whose request the disk
 * finishes is on the CPU within DISK_POLL_NS + MIN_TIMER_NS (guest.c) +
 * one exit's handling, well under the 6 ms antic_expire, whatever the other
 * guests do (vsched.c rule 1 for halted and kicked vCPUs).  With a disk
 * model the hold ends at an exact time (diskq_deadline()) and needs no
 * polling.
 */
#define DISK_POLL_NS 50000ull

/* `io` lines: every IO_LINE_MS of time, for processes with disk activity. */
#define IO_LINE_MS 1000ull

static struct vblkq *vq;     /* NULL: no guest has a disk */
static struct guest *of[VBLKQ_MAX_GUESTS]; /* vblkq guest index -> guest */
static u64 seen_done[VBLKQ_MAX_GUESTS];    /* completions already woken for */
static u64 seen_completed;                  /* their sum */
static u64 next_io_line_ns;

/* What the last `io` line said of each process the disk queue knows. */
static struct {
	bool used;
	u32 guest;
	u64 key;
	struct sched_proc_stats st;
} last[DISKQ_PROCS];

static void on_fault(void *ctx, u32 idx, const char *what)
{
	struct guest *g = of[idx];
	kprintf("guest %s: virtio-blk: %s: request refused\n", g->name, what);
}

/* "asid=0x... gen=N", or "kernel" for key 0 (the guest's own key). */
static int proc_name(char *buf, unsigned len, u64 key)
{
	if (key == IOKEY_NONE)
		return ksnprintf(buf, len, "proc=guest");
	return ksnprintf(buf, len, "asid=0x%lx gen=%u", iokey_asid(key), iokey_gen(key));
}

static void on_done(void *ctx, u32 idx, const struct diskq_req *r)
{
	char who[48];
	proc_name(who, sizeof(who), r->proc);
	/* lba: where it starts on the disk (r->lba is relative to r->ext);
	 * a flush has neither. */
	kprintf("io-req guest=%s %s op=%s lba=%lu sectors=%u wait_us=%lu disk_us=%lu status=%s\n",
		of[idx]->name, who, blk_op_name(r->op), r->ext ? r->ext->lba + r->lba : 0,
		r->count, (r->dispatch_ns - r->submit_ns) / 1000,
		(r->complete_ns - r->dispatch_ns) / 1000, r->status == BLK_OK ? "ok" : "error");
}

static enum sched_policy policy_of(enum iosched_policy p)
{
	return p == IOSCHED_FCFS ? SCHED_FCFS : p == IOSCHED_DEADLINE ? SCHED_DEADLINE
								 : SCHED_ANTICIPATORY;
}

/* The disk queue for the physical disk the extents are on; false if none. */
static bool queue_up(const struct formica_config *cfg)
{
	struct blk_dev *dev = storage_guest_disk();
	if (!dev) {
		kprintf("disk: guests have disk extents, but there is no disk for them: no "
			"virtual disks\n");
		return false;
	}
	struct hdd *model = NULL;
	if (cfg->disk_model == DISK_MODEL_HDD7200) {
		struct hdd_params hp;
		hdd_default_params(&hp);
		model = pmm_alloc_pages((sizeof(*model) + PAGE_SIZE - 1) / PAGE_SIZE);
		if (hdd_init(model, &hp))
			panic("disk: the 7200 rpm model's parameters are out of range\n");
	}
	vq = pmm_alloc_pages((sizeof(*vq) + PAGE_SIZE - 1) / PAGE_SIZE);
	int rc = vblkq_init(vq, dev, policy_of(cfg->iosched),
			   cfg->iosched_key == IOSCHED_KEY_GUEST ? IOKEY_GUEST : IOKEY_PROCESS, model);
	if (rc) {
		kprintf("disk: cannot set up the disk queue (%d): no virtual disks\n", rc);
		vq = NULL;
		return false;
	}
	vq->fault = on_fault;
	vq->trace = cfg->log == LOG_VERBOSE ? on_done : NULL;
	kprintf("disk: virtual disks on %s: iosched=%s iosched_key=%s disk_model=%s\n",
		dev->name, sched_policy_name(policy_of(cfg->iosched)),
		cfg->iosched_key == IOSCHED_KEY_GUEST ? "guest" : "process",
		model ? "hdd7200" : "none");
	return true;
}

/* Give g its device: on its PCI bus, its ports, its 8259; false if not. */
static bool attach(struct guest *g)
{
	const struct blk_extent *ext = storage_guest_extent((u32)g->id, 0);
	u64 sectors = 0;
	for (u32 i = 0; i < g->cfg->nextents; i++) {
		const struct blk_extent *e = storage_guest_extent((u32)g->id, i);
		if (!e) {
			kprintf("guest %s: no virtual disk: its extent %u was refused (see above)\n",
				g->name, i);
			return false;
		}
		sectors += e->sectors;
	}
	struct irq_line irq = { pic_irq_line_set, &g->pc.pic, VBLK_IRQ };
	if (vblk_init(&g->blk, &g->mem, &g->pc.pci, VBLK_PCI_SLOT, VBLK_IO_BASE, &irq, sectors,
		      g->name) ||
	    vio_register(&g->pc.bus, VBLK_IO_BASE, VBLK_IO_BASE + VBLK_IO_SIZE - 1, &vblk_ops,
			 &g->blk, "virtio-blk", 0)) {
		kprintf("guest %s: no virtual disk: its PCI slot or ports are taken\n", g->name);
		return false;
	}
	/* Level-triggered, as a BIOS sets the ELCR for a PCI interrupt. */
	g->pc.pic.chip[1].elcr |= (u8)(1u << (VBLK_IRQ - 8));
	int idx = vblkq_add_guest(vq, &g->blk, &g->mem, ext, g->cfg->nextents, &g->af);
	if (idx < 0) {
		kprintf("guest %s: no virtual disk: %s\n", g->name,
			vq->nguests == VBLKQ_MAX_GUESTS ? "only 4 guests can have one"
							: "its extents are not on the guests' disk");
		return false;
	}
	of[idx] = g;
	g->disk = idx;
	kprintf("guest %s: virtio-blk disk: %lu sectors (%lu MiB) on %u extent(s), PCI 00:%02x.0, "
		"I/O 0x%x, IRQ %u\n",
		g->name, sectors, sectors >> 11, g->cfg->nextents, VBLK_PCI_SLOT, VBLK_IO_BASE,
		VBLK_IRQ);
	return true;
}

/* Guest RAM above 4 GiB (UEFI put it there) and a controller whose DMA
 * does not reach it: the disk queue copies through a buffer below 4 GiB. */
static void bounce_up(const struct blk_dev *dev)
{
	u64 bytes = (u64)dev->max_sectors * BLK_SECTOR_SIZE;
	u8 *buf = pmm_alloc_pages((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
	if ((u64)buf + bytes > (1ull << 32)) {
		kprintf("disk: %s reaches only the low 4 GiB and no memory is free there: "
			"requests into guest RAM above 4 GiB will fail\n", dev->name);
		return;
	}
	diskq_set_bounce(&vq->dq, buf, dev->max_sectors);
	kprintf("disk: %s reaches only the low 4 GiB: guest RAM above it goes through a "
		"%lu KiB bounce buffer at 0x%lx\n", dev->name, bytes >> 10, (u64)buf);
}

void guest_disks_init(const struct handoff *h)
{
	bool any = false;
	for (int i = 0; i < nguests; i++) {
		guests[i].disk = -1;
		any |= guests[i].state != GUEST_ENDED && guests[i].cfg->nextents > 0;
	}
	if (!any)
		return;
	if (h->cfg.selftest != SELFTEST_NONE) {
		kprintf("disk: selftest = %s uses the extents: no virtual disks\n",
			h->cfg.selftest == SELFTEST_STORAGE ? "storage" : "iosched");
		return;
	}
	if (!queue_up(&h->cfg))
		return;
	bool high = false;
	for (int i = 0; i < nguests; i++)
		if (guests[i].state != GUEST_ENDED && guests[i].cfg->nextents > 0 &&
		    attach(&guests[i]))
			high |= (u64)guests[i].mem.base + guests[i].mem.size > (1ull << 32);
	if (high && vq->dq.dev->dma32)
		bounce_up(vq->dq.dev);
	next_io_line_ns = guest_now_ns() + IO_LINE_MS * 1000000;
}

void guest_disk_io(struct guest *g, u16 port)
{
	if (!vq || g->disk < 0 || port != VBLK_IO_BASE + VIRTIO_PCI_QUEUE_NOTIFY)
		return;
	/* vCPU 0: Formica's guests have one.  Whoever af_current() names now
	 * wrote the notify, so it submitted what is new in the ring. */
	u64 now = guest_now_ns();
	vblkq_notify(vq, (u32)g->disk, 0, now);
	vblkq_poll(vq, now); /* an idle disk starts on it at once */
}


void guest_disk_totals(const struct guest *g, u64 *reqs, u64 *bytes)
{
	*reqs = *bytes = 0;
	if (!vq || g->disk < 0)
		return;
	const struct vblkq_gstats *s = &vq->g[g->disk].st;
	*reqs = s->reads + s->writes + s->flushes;
	*bytes = (s->sectors_read + s->sectors_written) * 512;
}

bool guest_disks_poll(struct guest *running, u64 now)
{
	/* Nothing outstanding and no completion unseen: the common case.
	 * (A notify exit can finish requests, another guest's too, and this
	 * is the first look at them: skipping it once lost that guest's
	 * wake-up, and a guest halted with no timer then slept for good.) */
	if (!vq || (!vblkq_busy(vq) && vq->completed == seen_completed))
		return false;
	vblkq_poll(vq, now);
	seen_completed = vq->completed;
	bool other = false;
	for (u32 i = 0; i < vq->nguests; i++) {
		u64 done = vq->g[i].completed;
		if (done == seen_done[i])
			continue;
		seen_done[i] = done;
		struct guest *h = of[i];
		if (h == running || h->state == GUEST_ENDED)
			continue;
		/* Its interrupt is raised; make it due now (vsched.c rule 1). */
		if (h->idle && h->wake_ns > now)
			h->wake_ns = now;
		else if (!h->idle && h->kick_ns == VSCHED_NEVER)
			h->kick_ns = now;
		other = true;
	}
	return other;
}

u64 guest_disks_next_event(u64 now)
{
	if (!vq)
		return VSCHED_NEVER;
	u64 e = vblkq_next_event(vq);
	const struct diskq_req *r = vq->dq.inflight;
	/* A piece at the disk (or anything outstanding with no time named:
	 * a driver that was busy) is noticed by polling. */
	if ((r && !r->pieces_done) || (e == SCHED_NEVER && vq->outstanding))
		if (now + DISK_POLL_NS < e)
			e = now + DISK_POLL_NS;
	return e;
}


/* One process's `io` line: what changed since its last one. */
static void io_line(u32 k, u64 now)
{
	const struct diskq_proc *p = &vq->dq.known[k];
	struct sched_proc_stats st;
	if (diskq_proc_stats(&vq->dq, p->guest, p->key, &st))
		return;
	if (!last[k].used || last[k].guest != p->guest || last[k].key != p->key) {
		memset(&last[k], 0, sizeof(last[k]));
		last[k].used = true;
		last[k].guest = p->guest;
		last[k].key = p->key;
	}
	const struct sched_proc_stats *o = &last[k].st;
	u64 reads = st.reads - o->reads, writes = st.writes - o->writes;
	if (!reads && !writes && st.antic_waits == o->antic_waits)
		return;
	char who[48];
	proc_name(who, sizeof(who), p->key);
	kprintf("io guest=%s t_ms=%lu %s reads=%lu writes=%lu bytes=%lu think_us=%lu "
		"antic_waits=%lu antic_hits=%lu antic_timeouts=%lu queued=%u\n",
		of[p->guest]->name, now / 1000000, who, reads, writes,
		(st.sectors_read - o->sectors_read + st.sectors_written - o->sectors_written) * 512,
		st.think_samples ? st.think_mean_ns / 1000 : 0, st.antic_waits - o->antic_waits,
		st.antic_hits - o->antic_hits, st.antic_timeouts - o->antic_timeouts,
		st.queued + st.in_flight);
	last[k].st = st;
}

void guest_disk_proc_gone(struct guest *g, u64 asid, u32 gen)
{
	if (!vq || g->disk < 0)
		return;
	u64 key = iokey_make(asid, gen);
	/* Its last `io` line now: the scheduler forgets it (and its counts)
	 * once its requests have drained, usually at once. */
	int k = diskq_proc_find(&vq->dq, (u32)g->disk, key);
	if (k >= 0)
		io_line((u32)k, guest_now_ns());
	diskq_proc_gone(&vq->dq, (u32)g->disk, key);
}

void guest_disks_tick(u64 now)
{
	if (!vq || now < next_io_line_ns)
		return;
	next_io_line_ns = now + IO_LINE_MS * 1000000;
	for (u32 k = 0; k < DISKQ_PROCS; k++)
		if (vq->dq.known[k].used)
			io_line(k, now);
}

void guest_disks_report(void)
{
	if (!vq)
		return;
	next_io_line_ns = 0; /* the last, partial interval */
	guest_disks_tick(guest_now_ns());
	for (u32 i = 0; i < vq->nguests; i++) {
		const struct vblkq_gstats *s = &vq->g[i].st;
		const struct vblk *b = &of[i]->blk;
		kprintf("disk guest=%s reads=%lu writes=%lu kib_read=%lu kib_written=%lu flushes=%lu "
			"faults=%lu ioerr=%lu notifies=%lu\n",
			of[i]->name, s->reads, s->writes, s->sectors_read / 2, s->sectors_written / 2,
			s->flushes, s->faults, s->ioerr, b->notifies);
	}
	const struct diskq_stats *d = &vq->dq.st;
	const struct sched_stats *ss = &vq->dq.s.stats;
	kprintf("disk queue: policy=%s submitted=%lu completed=%lu errors=%lu busy_ms=%lu "
		"antic_waits=%lu antic_hits=%lu antic_timeouts=%lu proc_evictions=%lu bounced=%lu\n",
		sched_policy_name(vq->dq.s.policy), d->submitted, d->completed, d->errors,
		d->busy_ns / 1000000, ss->antic_waits, ss->antic_hits, ss->antic_timeouts,
		d->proc_evictions, d->bounced);
}
