/*
 * io.c - port I/O from a guest, routed to its virtual PC (hv/dev/vpc.h).
 *
 * The console part: bytes the guest's UART transmits are collected into a
 * line and printed on the hv console as "[name] line", so the output of
 * several guests stays readable.
 */
#include "guest/guest.h"
#include "guest/disk_glue.h"
#include "console.h"
#include "io.h"
#include "kprintf.h"

#define MAX_UNHANDLED_LOG 16

void guest_console_flush(struct guest *g)
{
	if (!g->line_len)
		return;
	g->line[g->line_len] = 0;
	kprintf("[%s] %s\n", g->name, g->line);
	g->line_len = 0;
}

/* The UART model's output sink (vpc_init's emit callback). */
void guest_console_byte(void *ctx, u8 c)
{
	struct guest *g = ctx;
	if (c == '\n') {
		guest_console_flush(g);
		return;
	}
	if (c == '\r')
		return;
	/* Keep the log one line per line whatever the guest sends. */
	g->line[g->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	if (g->line_len == sizeof(g->line) - 1)
		guest_console_flush(g);
}

/*
 * The Formica mark port: a guest writes a byte to port 0x510 to mark a
 * moment (user space can, through /dev/port); the hv logs it with the
 * guest's exit count, the TSC and Antfarm's counters, so a benchmark can
 * count exits and inferred events between two marks (tools/bench-linux.sh,
 * tools/table1.sh):
 *   mark guest=NAME value=V exits=N tsc=T af_created=.. af_exited=..
 *        af_creates=.. af_exits=.. af_execs=.. af_switches=.. af_live=..
 *        af_kernel_loads=.. af_reloads=.. af_zero=.. af_rules=.. shadow=..
 * (af_created/af_exited: address spaces, the paper's "inferred" columns;
 * af_creates/af_exits: processes, which differ in exec-aware mode only;
 * af_kernel_loads: CR3 loads of a root with no user entries, af_reloads:
 * of the root already loaded, i.e. TLB flushes: neither is a switch;
 * af_zero: address spaces emptied and awaiting the flush that confirms
 * their exit; af_rules: plain (the paper's) or exec-aware.)
 * followed by the exit counts so far by the vendor's exit code (VMX basic
 * exit reason, SVM exit code; nonzero ones):
 *   mark-exits guest=NAME 0:N 1:N 28:N ...
 * the hv's time so far (TSC cycles: all of it, then per exit reason, as in
 * the end-of-guest "exits" lines) and the shadow pager's counters:
 *   mark-cycles guest=NAME hv=T 0:T 1:T 28:T ...
 *   mark-shadow guest=NAME faults=N ... (as the end-of-guest "shadow" line)
 *   mark-console guest=NAME wait_tsc=T (kprintf()'s waits for a full queue)
 * Some values are commands, carried out before the line is printed:
 * 0x10 switches inference off, 0x11 on again; 0x20 switches the shadow
 * pager to its reference policy, 0x21 to the cached one, 0x22 to the synced
 * one, 0x23 back to the one formica.cfg's shadow = names (the default for
 * what runs between measured rounds), so one boot can time alternating
 * rounds of them; the line's shadow= says which one runs from here on.
 * A read returns 0.  Not a device any real PC has: only a guest that
 * knows about Formica uses it.
 */
#define FORMICA_MARK_PORT 0x510
#define FORMICA_MARK_AF_OFF 0x10
#define FORMICA_MARK_AF_ON 0x11
#define FORMICA_MARK_SHADOW_REFERENCE 0x20
#define FORMICA_MARK_SHADOW_CACHED 0x21
#define FORMICA_MARK_SHADOW_SYNCED 0x22
#define FORMICA_MARK_SHADOW_CONFIGURED 0x23

static void mark(struct guest *g, u8 v)
{
	const struct af_stats *s = &g->af.st;

	if (v == FORMICA_MARK_AF_OFF || v == FORMICA_MARK_AF_ON)
		guest_af_set(g, v == FORMICA_MARK_AF_ON);
	if (v == FORMICA_MARK_SHADOW_REFERENCE)
		guest_set_shadow_policy(g, SHADOW_REFERENCE);
	if (v == FORMICA_MARK_SHADOW_CACHED)
		guest_set_shadow_policy(g, SHADOW_CACHED);
	if (v == FORMICA_MARK_SHADOW_SYNCED)
		guest_set_shadow_policy(g, SHADOW_SYNCED);
	if (v == FORMICA_MARK_SHADOW_CONFIGURED)
		guest_set_shadow_policy(g, guest_config_shadow_policy(g));
	kprintf("mark guest=%s value=%u exits=%lu tsc=%lu af_created=%lu af_exited=%lu "
		"af_creates=%lu af_exits=%lu af_execs=%lu af_switches=%lu af_live=%u "
		"af_kernel_loads=%lu af_reloads=%lu af_zero=%u af_rules=%s shadow=%s\n",
		g->name, v, g->exits_total, rdtsc(), s->spaces_created, s->spaces_exited,
		s->creates, s->exits, s->execs, s->switches, guest_af_live(g), s->kernel_loads,
		s->reloads, af_emptied(&g->af), g->af.flags & AF_EXEC_AWARE ? "exec-aware" : "plain",
		guest_shadow_policy(g));
	/* One line, whatever the number of reasons: built, then printed. */
	char line[512];
	int n = ksnprintf(line, sizeof(line), "mark-exits guest=%s", g->name);
	for (u32 r = 0; r < VCPU_EXIT_SLOTS && n > 0 && n < (int)sizeof(line) - 32; r++)
		if (g->exits[r])
			n += ksnprintf(line + n, sizeof(line) - n, " %u:%lu", r, g->exits[r]);
	kprintf("%s\n", line);
	n = ksnprintf(line, sizeof(line), "mark-cycles guest=%s hv=%lu", g->name, g->hv_tsc);
	for (u32 r = 0; r < VCPU_EXIT_SLOTS && n > 0 && n < (int)sizeof(line) - 40; r++)
		if (g->exit_tsc[r])
			n += ksnprintf(line + n, sizeof(line) - n, " %u:%lu", r, g->exit_tsc[r]);
	kprintf("%s\n", line);
	guest_paging_counters(g, line, sizeof(line));
	kprintf("mark-shadow guest=%s %s\n", g->name, line);
	guest_sync_counters(g, line, sizeof(line));
	kprintf("mark-sync guest=%s %s\n", g->name, line);
	kprintf("mark-console guest=%s wait_tsc=%lu\n", g->name, console_wait_tsc());
}

static bool port_io(struct guest *g, u16 port, unsigned size, enum vio_dir dir, u32 *val)
{
	if (port == FORMICA_MARK_PORT) {
		if (dir == VIO_OUT)
			mark(g, (u8)*val);
		else
			*val = 0;
		return true;
	}
	int r = vpc_io(&g->pc, port, size, dir, val, guest_now_ns());
	if (r == 0) {
		if (dir == VIO_OUT)
			guest_disk_io(g, port); /* a virtio notify: new disk requests */
		return true;
	}
	/* Nobody owns the port: reads float high (the bus already gave
	 * all-ones), writes vanish.  Guests probe for hardware this way, so
	 * this is no error; we log the first few for the curious. */
	if (g->unhandled_ports++ < MAX_UNHANDLED_LOG)
		kprintf("guest %s: %s port 0x%x (size %u): no device%s\n", g->name,
			dir == VIO_IN ? "in from" : "out to", port, size,
			g->unhandled_ports == MAX_UNHANDLED_LOG ? " (no more of these logged)" : "");
	return false;
}

bool guest_port_in(struct guest *g, u16 port, unsigned size, u32 *val)
{
	return port_io(g, port, size, VIO_IN, val);
}

bool guest_port_out(struct guest *g, u16 port, unsigned size, u32 val)
{
	return port_io(g, port, size, VIO_OUT, &val);
}
