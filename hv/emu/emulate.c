/*
 * emulate.c - executing a decoded page-table write (see emulate.h).
 *
 * Every memory operand is handled as a "span": the one or two aligned
 * qwords that hold its bytes.  The emulator reads the span, computes, splices
 * the result in and writes the span back, so the glue sees whole old/new
 * qwords (whole page-table entries) even for a byte-sized LOCK ORB.
 * Flag results follow the SDM's descriptions of each instruction (Vol. 2);
 * flags the SDM calls undefined are left as they were.
 */
#include "types.h"
#include "string.h"
#include "emu/emulate.h"

#define PAGE_MASK (~(PAGE_SIZE - 1))

struct span {
	u64 q0;          /* first aligned qword */
	unsigned shift;  /* offset of the operand's first byte in q0 */
	unsigned nq;     /* 1, or 2 when the operand crosses a qword boundary */
	u64 old[2];
	u64 val[2];
};

static u64 size_mask(unsigned size)
{
	return size == 8 ? ~0ull : BIT(8 * size) - 1;
}

static int span_read(const struct emu_mem *m, u64 lin, unsigned size, struct span *s)
{
	unsigned i;

	s->q0 = lin & ~7ull;
	s->shift = lin & 7;
	s->nq = s->shift + size > 8 ? 2 : 1;
	for (i = 0; i < s->nq; i++) {
		if (!m->read_qword(m->ctx, s->q0 + 8 * i, &s->old[i]))
			return EMU_ERR_MEM;
		s->val[i] = s->old[i];
	}
	return EMU_OK;
}

static u64 span_get(const struct span *s, unsigned size)
{
	u64 v = s->old[0] >> (8 * s->shift);

	if (s->nq == 2)
		v |= s->old[1] << (8 * (8 - s->shift)); /* nq == 2 implies shift > 0 */
	return v & size_mask(size);
}

static void span_put(struct span *s, unsigned size, u64 v)
{
	unsigned i;

	for (i = 0; i < size; i++) {
		unsigned pos = s->shift + i, q = pos / 8, b = pos % 8;

		s->val[q] = (s->val[q] & ~(0xffull << (8 * b))) | (((v >> (8 * i)) & 0xff) << (8 * b));
	}
}

static int span_write(const struct emu_mem *m, const struct span *s)
{
	unsigned i;

	for (i = 0; i < s->nq; i++)
		if (!m->write_qword(m->ctx, s->q0 + 8 * i, s->old[i], s->val[i]))
			return EMU_ERR_MEM;
	return EMU_OK;
}

/* Register access at an operand size.  A 32-bit write zero-extends into the
 * full register; 8- and 16-bit writes keep the other bits (SDM Vol. 1,
 * 3.4.1.1).  high8 selects AH/CH/DH/BH. */
static u64 read_reg(const struct emu_regs *r, unsigned reg, bool high8, unsigned size)
{
	if (high8)
		return (r->gpr[reg] >> 8) & 0xff;
	return r->gpr[reg] & size_mask(size);
}

static void write_reg(struct emu_regs *r, unsigned reg, bool high8, unsigned size, u64 v)
{
	if (high8)
		r->gpr[reg] = (r->gpr[reg] & ~0xff00ull) | ((v & 0xff) << 8);
	else if (size == 4)
		r->gpr[reg] = v & 0xffffffffull;
	else
		r->gpr[reg] = (r->gpr[reg] & ~size_mask(size)) | (v & size_mask(size));
}

/* PF is set when the low byte of the result has an even number of ones. */
static bool parity_even(u64 v)
{
	u8 b = (u8)v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

static u64 set_flag(u64 rflags, u64 flag, bool on)
{
	return on ? rflags | flag : rflags & ~flag;
}

static u64 flags_szp(u64 rflags, u64 res, unsigned size)
{
	rflags = set_flag(rflags, RFLAGS_ZF, (res & size_mask(size)) == 0);
	rflags = set_flag(rflags, RFLAGS_SF, res & BIT(8 * size - 1));
	return set_flag(rflags, RFLAGS_PF, parity_even(res));
}

/* AND, OR: OF and CF cleared, SF ZF PF from the result, AF undefined. */
static u64 flags_logic(u64 rflags, u64 res, unsigned size)
{
	rflags &= ~(RFLAGS_CF | RFLAGS_OF);
	return flags_szp(rflags, res, size);
}

/* CMPXCHG compares as CMP accumulator, destination: the flags of a - b. */
static u64 flags_sub(u64 rflags, u64 a, u64 b, unsigned size)
{
	u64 mask = size_mask(size), res = (a - b) & mask, msb = BIT(8 * size - 1);

	a &= mask;
	b &= mask;
	rflags = set_flag(rflags, RFLAGS_CF, a < b);
	rflags = set_flag(rflags, RFLAGS_OF, (a ^ b) & (a ^ res) & msb);
	rflags = set_flag(rflags, RFLAGS_AF, (a ^ b ^ res) & 0x10);
	return flags_szp(rflags, res, size);
}

/* REP STOS / STOS: see emulate.h for why it stops at the page boundary. */
static int exec_stos(const struct emu_insn *in, struct emu_regs *r, const struct emu_mem *m)
{
	bool rep = in->prefixes & EMU_PFX_REP, down = r->rflags & RFLAGS_DF;
	u64 size = in->size, first = r->gpr[GPR_RDI], page = first & PAGE_MASK;
	u64 v = r->gpr[GPR_RAX] & size_mask(in->size);
	u64 count = rep ? r->gpr[GPR_RCX] : 1, room, n, lo, len, q;

	if (count == 0) {
		r->rip += in->len;
		return EMU_OK;
	}
	/* Elements whose first byte is in the faulting page. */
	room = down ? (first - page) / size + 1 : (page + PAGE_SIZE - first + size - 1) / size;
	n = count < room ? count : room;
	/* The bytes stored are [lo, lo + len).  Compared as offsets from lo:
	 * in the top page of the address space lo + len wraps to 0, and a
	 * test against that end would store nothing. */
	lo = down ? first - (n - 1) * size : first;
	len = n * size;

	for (q = lo & ~7ull; q - (lo & ~7ull) < (lo & 7) + len; q += 8) {
		u64 old, new_val;
		unsigned b;

		if (!m->read_qword(m->ctx, q, &old))
			return EMU_ERR_MEM;
		new_val = old;
		for (b = 0; b < 8; b++) {
			u64 a = q + b;

			if (a - lo >= len) /* before lo (wraps: huge) or past the end */
				continue;
			/* Element boundaries sit at first + k * size, in either
			 * direction, so (a - first) mod size is the byte's index
			 * within its element. */
			new_val &= ~(0xffull << (8 * b));
			new_val |= ((v >> (8 * ((a - first) & (size - 1)))) & 0xff) << (8 * b);
		}
		if (!m->write_qword(m->ctx, q, old, new_val))
			return EMU_ERR_MEM;
	}

	r->gpr[GPR_RDI] = down ? first - n * size : first + n * size;
	if (rep)
		r->gpr[GPR_RCX] -= n;
	if (!rep || r->gpr[GPR_RCX] == 0)
		r->rip += in->len;
	return EMU_OK;
}

int emu_execute(const struct emu_insn *in, struct emu_regs *r, const struct emu_mem *m)
{
	unsigned size = in->size;
	struct span s;
	u64 src, dst, res, rflags = r->rflags;
	int err;

	if (in->op == EMU_STOS)
		return exec_stos(in, r, m);
	if (in->op >= EMU_SYS) /* emu_decode_sys()'s: the glue carries them out */
		return EMU_ERR_UNSUPPORTED;

	/* A register source is read now, not at decode: the same value unless
	 * the glue changed the registers in between, and then this is right. */
	src = in->src_reg != EMU_NO_REG ? read_reg(r, in->src_reg, in->src_high8, size) : in->src;

	err = span_read(m, in->lin, size, &s);
	if (err)
		return err;
	dst = span_get(&s, size);

	switch (in->op) {
	case EMU_MOV:
	case EMU_MOVNTI:
	case EMU_XCHG: /* the register half of XCHG is written below */
		span_put(&s, size, src);
		break;
	case EMU_CMPXCHG: {
		u64 acc = read_reg(r, GPR_RAX, false, size);

		rflags = flags_sub(rflags, acc, dst, size);
		/* On failure the CPU writes the destination back unchanged. */
		span_put(&s, size, acc == dst ? src : dst);
		break;
	}
	case EMU_AND:
	case EMU_OR:
		res = in->op == EMU_AND ? dst & src : dst | src;
		rflags = flags_logic(rflags, res, size);
		span_put(&s, size, res);
		break;
	case EMU_BTS:
	case EMU_BTR:
		/* CF = the bit before; ZF unaffected; OF SF AF PF undefined. */
		rflags = set_flag(rflags, RFLAGS_CF, (dst >> in->bit) & 1);
		res = in->op == EMU_BTS ? dst | BIT(in->bit) : dst & ~BIT(in->bit);
		span_put(&s, size, res);
		break;
	default: /* STOS and the system instructions returned above */
		break;
	}

	err = span_write(m, &s);
	if (err)
		return err;

	/* Memory is done: now the registers. */
	if (in->op == EMU_XCHG)
		write_reg(r, in->src_reg, in->src_high8, size, dst);
	if (in->op == EMU_CMPXCHG && !(rflags & RFLAGS_ZF))
		write_reg(r, GPR_RAX, false, size, dst);
	r->rflags = rflags;
	r->rip += in->len;
	return EMU_OK;
}

int emu_step(const u8 *bytes, size_t n, struct emu_regs *regs, const struct emu_segs *segs,
	     const struct emu_mem *mem, u64 fault_lin, struct emu_insn *in)
{
	int err = emu_decode(bytes, n, regs, segs, in);

	if (err)
		return err;
	if (!emu_insn_covers(in, fault_lin))
		return EMU_ERR_ADDRESS;
	return emu_execute(in, regs, mem);
}
