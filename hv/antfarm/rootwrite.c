/*
 * rootwrite.c - a guest's write to a watched root page (see rootwrite.h).
 *
 * The emulator asks for guest memory one aligned qword at a time, and an
 * instruction it knows touches at most two pages (REP STOS stops at the
 * faulting page's end, emulate.h), most often one.  So the translation of
 * the last page is kept for the rest of the instruction: a clear_page() of
 * a root is one walk, not 1024.
 */
#include "types.h"
#include "string.h"
#include "antfarm/rootwrite.h"

#define PAGE_OFFSET(x) ((x) & (PAGE_SIZE - 1))

size_t af_fetch_insn(struct shadow_ctx *sh, u64 rip, u32 access, u8 *buf)
{
	struct walk_result w;
	size_t n = 0;

	/* At most two rounds: 15 bytes span at most two pages. */
	while (n < EMU_MAX_INSN_LEN) {
		u64 lin = rip + n;
		size_t chunk = PAGE_SIZE - PAGE_OFFSET(lin);
		const u8 *p;

		if (chunk > EMU_MAX_INSN_LEN - n)
			chunk = EMU_MAX_INSN_LEN - n;
		/* WALK_PEEK: the CPU already fetched these bytes and set A. */
		if (shadow_translate(sh, lin, WALK_FETCH | WALK_PEEK | (access & WALK_USER), &w) !=
		    WALK_OK)
			break;
		p = gpa_ptr(sh->gm, w.gpa, chunk);
		if (!p)
			break;
		memcpy(buf + n, p, chunk);
		n += chunk;
	}
	return n;
}

/* The emulator's view of guest memory during one instruction. */
struct wctx {
	struct af *af;
	struct shadow_ctx *sh;
	u32 access;   /* WALK_USER / WALK_AC of the guest's privilege */
	u64 now_tsc;
	/* The last page translated: linear page -> guest-physical page. */
	u64 lin_page;
	u64 gpa_page;
	u64 *host;    /* NULL: none yet */
	bool root;    /* gpa_page is a live root: its stores go to Antfarm */
};

/*
 * The qword at lin in guest RAM.  Reads are translated as writes too: every
 * qword the emulator reads it then stores (a failed CMPXCHG writes back what
 * it read, as the CPU does), so the read must not succeed where the store
 * would fault, and D is set exactly as the CPU would set it.
 */
static u64 *qword_at(struct wctx *c, u64 lin)
{
	u64 page = lin & ~(PAGE_SIZE - 1);
	struct walk_result w;

	if (!c->host || page != c->lin_page) {
		c->host = NULL;
		if (shadow_translate(c->sh, lin, WALK_WRITE | c->access, &w) != WALK_OK)
			return NULL;
		c->host = gpa_ptr(c->sh->gm, w.page_gpa, PAGE_SIZE);
		if (!c->host)
			return NULL; /* not RAM: an emulated device's page */
		c->lin_page = page;
		c->gpa_page = w.page_gpa;
		c->root = af_is_watched(c->af, w.page_gpa);
	}
	return &c->host[PAGE_OFFSET(lin) / 8];
}

static bool read_qword(void *ctx, u64 lin, u64 *val)
{
	u64 *q = qword_at(ctx, lin);

	if (!q)
		return false;
	*val = *q;
	return true;
}

static bool write_qword(void *ctx, u64 lin, u64 old, u64 new_val)
{
	struct wctx *c = ctx;
	u64 *q = qword_at(c, lin);

	if (!q)
		return false;
	*q = new_val;
	/* The synced shadow policy protects guest page tables too: every store
	 * to one drops the shadow entries built from it (hv/mm/synced.c). */
	shadow_guest_write(c->sh, c->gpa_page + PAGE_OFFSET(lin), 8);
	if (c->root)
		af_root_write(c->af, c->gpa_page, (u32)(PAGE_OFFSET(lin) / 8), old, new_val,
			      c->now_tsc);
	return true;
}

int af_emulate_write(struct af *af, struct shadow_ctx *sh, struct emu_regs *regs,
		     const struct emu_segs *segs, u32 access, u64 fault_lin, u64 now_tsc,
		     struct emu_insn *in)
{
	struct wctx c = {
		.af = af,
		.sh = sh,
		.access = access & (WALK_USER | WALK_AC),
		.now_tsc = now_tsc,
	};
	const struct emu_mem mem = { read_qword, write_qword, &c };
	u8 bytes[EMU_MAX_INSN_LEN];
	size_t n = af_fetch_insn(sh, regs->rip, access, bytes);

	if (n == 0) {
		memset(in, 0, sizeof(*in));
		return EMU_ERR_MEM;
	}
	return emu_step(bytes, n, regs, segs, &mem, fault_lin, in);
}
