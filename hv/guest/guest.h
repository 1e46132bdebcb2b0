/*
 * guest.h - one guest: its memory, its virtual CPU, its devices, its
 * counters.  Formica gives each guest a single virtual CPU; its VMCS or
 * VMCB holds most of the CPU state, struct vcpu (hv/include/vcpu.h) the
 * rest.
 */
#ifndef FORMICA_GUEST_H
#define FORMICA_GUEST_H

#include "antfarm/antfarm.h"
#include "antfarm/evlog.h"
#include "config.h"
#include "handoff.h"
#include "dev/vpc.h"
#include "dev/virtio_blk.h"
#include "guest/msr.h"
#include "guest/sample_glue.h"
#include "mm/gmem.h"
#include "mm/shadow.h"
#include "types.h"
#include "vcpu.h"

enum guest_state { GUEST_READY, GUEST_RUNNING, GUEST_ENDED };

struct guest {
	int id;
	const struct cfg_guest *cfg;
	const struct formica_config *hv_cfg; /* the global settings (log, sample_ms) */
	const char *name;
	struct gmem mem;
	enum guest_state state;
	char ended[64]; /* how it ended: "exit(0)", "triple-fault", ... */

	/* the virtual CPU: the backend's (VMX or SVM) state, and the last exit */
	struct vcpu vcpu;
	struct vcpu_exit exit;
	/* The guest's x87/SSE state (FXSAVE format).  The hv never touches
	 * these registers, so one guest's stay on the CPU only needs them
	 * swapped when another guest takes over (run_slice()). */
	u8 fpu[512] __attribute__((aligned(16)));
	u64 cr0_shadow; /* what the guest believes CR0 and CR4 are */
	u64 cr4_shadow;
	struct shadow_ctx shadow; /* shadow paging: hv/mm/shadow.h */
	u64 efer;       /* the guest's view of IA32_EFER */

	/* process inference (hv/antfarm/; glue: antfarm_glue.c) */
	struct af af;
	struct af_log aflog;
	u64 af_reused; /* empty roots let go when an unknown writer reused them */
	u64 sync_unemulated; /* shadowed guest tables let go: a write the emulator does not know */
	bool af_on;    /* inference running (formica.cfg antfarm, mark port) */

	/* the virtual PC: UART, PIC, PIT, RTC, PCI config space, ... */
	struct vpc pc;
	bool idle;          /* in HLT, waiting for an interrupt */
	u64 wake_ns;        /* idle: when its next device event is due (guest.c) */
	u32 unhandled_ports; /* I/O to ports no device owns (logged up to a limit) */
	u64 kick_ns;        /* runnable, and a disk completion came for it then
			     * while another guest ran; VSCHED_NEVER: none (disk_glue.c) */

	/* its virtual disk (disk_glue.c), when formica.cfg gives it extents */
	struct vblk blk;
	int disk;           /* index in the disk queue's guests; -1: no disk */

	struct guest_msrs msrs; /* MSRs the VMCS does not switch (msr.h) */

	/* console: guest UART output, one line at a time.  Longer lines are
	 * cut; 448 leaves room for the stamp and name within kprintf's 512,
	 * and keeps afwork's TRUTH lines (about 300 characters) whole. */
	char line[448];
	u32 line_len;

	/* statistics */
	u64 exits[VCPU_EXIT_SLOTS]; /* by vendor exit code, vcpu_exit_slot() */
	u64 exits_total;
	/* hypervisor time in TSC cycles: per basic exit reason, from the exit
	 * to the end of its handler; all of it, from each exit to the next
	 * entry of the same stay (handler, device ticks, interrupt injection) */
	u64 exit_tsc[VCPU_EXIT_SLOTS]; /* indexed as exits[] */
	u64 hv_tsc;
	u64 tsc_started, tsc_ended;
	u64 next_progress_ns; /* when to print the next "progress" line */
	/* wake-ups from HLT: how late after its device event the guest got
	 * the CPU (the bound hv/guest/vsched.c promises) */
	u64 wakeups, wake_late_sum_ns, wake_late_max_ns;
	struct guest_sampler smp; /* `sample` lines: sample_glue.c */
};

extern struct guest guests[CFG_MAX_GUESTS];
extern int nguests;

void guest_console_byte(void *ctx, u8 c);

/* Set up and run every configured guest; returns when all have ended. */
void guests_run(const struct handoff *h);
/* End guest g with a reason (printf-style); it will not run again. */
void guest_end(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loaders: fill *e and the guest's memory, or return -1 after logging why. */
int flat_load(struct guest *g, const struct handoff_guest *hg, struct guest_entry *e);
int linux_load(struct guest *g, const struct handoff_guest *hg, struct guest_entry *e);

/* Guest time in nanoseconds (the clock the virtual devices run on). */
u64 guest_now_ns(void);

/* shadow_glue.c: shadow paging glue for the exit handlers. */
int guest_paging_init(struct guest *g, const struct guest_entry *e);
/* Once every guest exists: share the free heap among their shadow pagers. */
void guest_shadow_budgets(void);
void guest_paging_report(const struct guest *g);
int guest_paging_counters(const struct guest *g, char *buf, size_t size);
int guest_sync_counters(const struct guest *g, char *buf, size_t size);
/* The shadow policy now ("reference", "cached" or "synced"), a switch to
 * another (the mark port), and the one formica.cfg's shadow = names. */
const char *guest_shadow_policy(const struct guest *g);
void guest_set_shadow_policy(struct guest *g, enum shadow_policy policy);
enum shadow_policy guest_config_shadow_policy(const struct guest *g);
void guest_page_fault(struct guest *g, u64 gva, u32 error_code);
/* MOV to CR0/CR3/CR4 and WRMSR EFER: true if the write happened (advance
 * RIP); false if the guest got a #GP instead or was stopped. */
bool guest_write_cr(struct guest *g, int cr, u64 val);
u64 guest_read_cr3(struct guest *g);
void guest_invlpg(struct guest *g, u64 gva);
bool guest_write_efer(struct guest *g, u64 val);

/* antfarm_glue.c: Antfarm process inference on the shadow pager's events. */
void guest_af_init(struct guest *g);
void guest_af_cr3_load(struct guest *g, u64 cr3);
void guest_af_set(struct guest *g, bool on);
int guest_af_watched_write(struct guest *g, u64 gva, const struct shadow_fault *f);
void guest_af_tick(struct guest *g, u64 now_tsc);
u32 guest_af_live(const struct guest *g);
void guest_af_report(const struct guest *g);

/* exit.c: handle the VM exit that just happened (g->exit). */
void guest_handle_exit(struct guest *g);

/* Helpers for exit handlers (exit.c): move RIP past the exiting
 * instruction; queue an exception for the next entry; the guest's RIP. */
void guest_skip_instruction(struct guest *g);
void guest_inject_exception(struct guest *g, u32 vector, bool has_error, u32 error_code);
u64 guest_rip(struct guest *g);

/* msr.c: the RDMSR and WRMSR exit handlers, and the MSRs the CPU's entry
 * and exit do not switch, around a guest's stay on the CPU. */
void guest_msr_read(struct guest *g, const struct vcpu_exit *x);
void guest_msr_write(struct guest *g, const struct vcpu_exit *x);
void msr_load_guest(struct guest *g);
void msr_save_guest(struct guest *g);

/* io.c: port I/O from the guest.  Returns false if no device answers. */
bool guest_port_in(struct guest *g, u16 port, unsigned size, u32 *val);
bool guest_port_out(struct guest *g, u16 port, unsigned size, u32 val);
void guest_console_flush(struct guest *g);

/* cpuid.c (pure): what the guest sees for CPUID leaf/subleaf, given what
 * the real CPU returned in *r. */
struct cpuid_regs;
void cpuid_filter(u32 leaf, u32 subleaf, struct cpuid_regs *r);
#define FORMICA_CPUID_SIGNATURE "FormicaHV\0\0\0"
#define FORMICA_CPUID_MAX_LEAF 0x40000001
/* The guest's physical-address width (CPUID.80000008H:EAX[7:0]): the walker
 * and the CR3 check treat the bits above it as reserved.  64 GiB is plenty
 * for any guest, and every 64-bit CPU has at least this many bits. */
#define GUEST_MAXPHYADDR 36

/* Hypercalls (guest-tests/README.md): VMCALL with EAX = number */
#define HC_EXIT 0

#endif
