/*
 * fuzz_emu.c - libFuzzer harness for the instruction decoder and emulator
 * (hv/emu/decode.c, hv/emu/emulate.c).
 *
 * The bytes at a faulting guest RIP are the guest's to choose.  The input is
 * those bytes (the decoder looks at 15 at most); bytes after the 15th, if any,
 * overwrite the fake guest state (registers, FS/GS bases, which memory access
 * fails).  By default every register points into a 16 KiB fake guest memory,
 * as in hv/emu/tests.  The harness decodes, emulates against that memory, and
 * checks what emulate.h promises: aligned qword accesses, each write after a
 * read of the same qword with the same old value, ascending, no byte outside
 * the operand changed, registers untouched on failure, and the operand's new
 * value is what the instruction computes.
 */
#include <stdlib.h>
#include <string.h>

#include "emu/emulate.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define LIN0 0xfe000ull /* guest-linear address of mem[0] */
#define MEM_SIZE 0x4000ull

/* Everything the input may override, after its first 15 bytes. */
struct state {
	struct emu_regs regs;
	struct emu_segs segs;
	u8 fail_read, fail_write; /* the Nth read / write fails (0: none) */
};

static u8 mem[MEM_SIZE];
static struct state st;
static unsigned nreads, nwrites;
static u64 last_write, read_q[4], read_old[4]; /* qwords read, for writes to match */
static u64 lo, hi; /* the bytes [lo, hi) the instruction may change */

static bool in_mem(u64 lin)
{
	return lin >= LIN0 && lin - LIN0 <= MEM_SIZE - 8;
}

static bool rd(void *ctx, u64 lin, u64 *val)
{
	CHECK(lin % 8 == 0);
	if (++nreads == st.fail_read || !in_mem(lin))
		return false;
	memcpy(val, mem + (lin - LIN0), 8);
	read_q[nreads % 4] = lin;
	read_old[nreads % 4] = *val;
	return true;
}

static bool wr(void *ctx, u64 lin, u64 old, u64 new_val)
{
	bool was_read = false;

	CHECK(lin % 8 == 0 && (nwrites == 0 || lin > last_write));
	for (int i = 0; i < 4; i++)
		was_read |= read_q[i] == lin && read_old[i] == old;
	CHECK(was_read && in_mem(lin) && memcmp(mem + (lin - LIN0), &old, 8) == 0);
	for (u64 b = 0; b < 8; b++) /* bytes outside [lo, hi) keep their value */
		if (lin + b < lo || lin + b >= hi)
			CHECK(((old ^ new_val) >> (8 * b) & 0xff) == 0);
	last_write = lin;
	if (++nwrites == st.fail_write)
		return false;
	memcpy(mem + (lin - LIN0), &new_val, 8);
	return true;
}

static u64 mask(unsigned size)
{
	return size == 8 ? ~0ull : BIT(8 * size) - 1;
}

/* The operand's value now (it was written, so it lies in mem). */
static u64 operand(const struct emu_insn *in)
{
	u64 v = 0;

	memcpy(&v, mem + (in->lin - LIN0), in->size);
	return v;
}

/* What the instruction should have left in memory, given dst (old value). */
static u64 expected(const struct emu_insn *in, const struct emu_regs *before, u64 dst)
{
	u64 src = in->src_reg == EMU_NO_REG ? in->src
		: in->src_high8 ? before->gpr[in->src_reg] >> 8 & 0xff
		: before->gpr[in->src_reg] & mask(in->size);

	switch (in->op) {
	case EMU_CMPXCHG:
		return (before->gpr[GPR_RAX] & mask(in->size)) == dst ? src : dst;
	case EMU_AND: return dst & src;
	case EMU_OR: return dst | src;
	case EMU_BTS: return dst | BIT(in->bit);
	case EMU_BTR: return dst & ~BIT(in->bit);
	default: return src; /* MOV, MOVNTI, XCHG */
	}
}

static void check_decode(int err, const struct emu_insn *in, size_t n)
{
	char line[24];

	CHECK(in->nraw == (n < EMU_MAX_INSN_LEN ? n : EMU_MAX_INSN_LEN));
	if (err == EMU_OK)
		CHECK(in->len >= 1 && in->len <= in->nraw && in->op <= EMU_STOS &&
		      (in->size == 1 || in->size == 2 || in->size == 4 || in->size == 8) &&
		      emu_insn_covers(in, in->lin) && !emu_insn_covers(in, in->lin + in->size));
	else
		CHECK(err >= EMU_ERR_NO_MEMORY && err <= EMU_ERR_UNSUPPORTED &&
		      in->err_at < EMU_MAX_INSN_LEN);
	size_t len = emu_format_error(line, sizeof(line), err, in);
	CHECK(len < sizeof(line) && strlen(line) == len);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	size_t n = size < EMU_MAX_INSN_LEN ? size : EMU_MAX_INSN_LEN;
	struct emu_regs before;
	struct emu_insn in;
	u64 dst = 0;

	static u8 pattern[MEM_SIZE];
	if (!pattern[0])
		for (u64 i = 0; i < MEM_SIZE; i++)
			pattern[i] = (u8)(i * 7 + 1);
	memcpy(mem, pattern, MEM_SIZE);
	memset(&st, 0, sizeof(st));
	for (int r = 0; r < GPR_COUNT; r++)
		st.regs.gpr[r] = LIN0 + 0x1000 + 0x111 * r;
	st.regs.gpr[GPR_RAX] = 0x1122334455667788ull;
	st.regs.gpr[GPR_RCX] = 3;
	st.regs.rip = 0xffffffff81000000ull;
	st.regs.rflags = 0x2;
	st.segs.fs_base = LIN0;
	st.segs.gs_base = LIN0 + 0x2000;
	if (size > n)
		memcpy(&st, data + n, size - n < sizeof(st) ? size - n : sizeof(st));

	int err = emu_decode(data, n, &st.regs, &st.segs, &in);
	check_decode(err, &in, n);
	if (err != EMU_OK)
		return 0;

	/* Which bytes may change: the operand, or for STOS the elements that
	 * start in RDI's page. */
	lo = in.lin;
	hi = in.lin + in.size;
	if (in.op == EMU_STOS) {
		lo = in.lin & ~(PAGE_SIZE - 1);
		hi = lo + PAGE_SIZE + in.size - 1;
	} else if (in_mem(in.lin & ~7ull) && in_mem((in.lin + in.size - 1) & ~7ull)) {
		memcpy(&dst, mem + (in.lin - LIN0), in.size);
	}
	before = st.regs;
	nreads = nwrites = 0;
	memset(read_q, 0xff, sizeof(read_q));
	const struct emu_mem ops = { rd, wr, NULL };
	err = emu_execute(&in, &st.regs, &ops);

	if (err != EMU_OK) {
		CHECK(err == EMU_ERR_MEM && memcmp(&before, &st.regs, sizeof(before)) == 0);
		return 0;
	}
	CHECK((st.regs.rflags ^ before.rflags) == ((st.regs.rflags ^ before.rflags) & RFLAGS_STATUS));
	if (in.op == EMU_STOS) {
		bool rep = in.prefixes & EMU_PFX_REP, done = !rep || st.regs.gpr[GPR_RCX] == 0;
		u64 count = rep ? before.gpr[GPR_RCX] : 1;
		u64 stored = rep ? before.gpr[GPR_RCX] - st.regs.gpr[GPR_RCX] : 1;
		u64 step = st.regs.rflags & RFLAGS_DF ? -(u64)in.size : in.size;

		CHECK(st.regs.rip == before.rip + (done ? in.len : 0));
		/* Elements counted as stored were stored, RDI moved past them. */
		CHECK(stored <= count && (count == 0 || (stored >= 1 && nwrites >= 1)));
		CHECK(st.regs.gpr[GPR_RDI] == before.gpr[GPR_RDI] + stored * step);
		before.gpr[GPR_RCX] = st.regs.gpr[GPR_RCX];
		before.gpr[GPR_RDI] = st.regs.gpr[GPR_RDI];
		CHECK(memcmp(before.gpr, st.regs.gpr, sizeof(before.gpr)) == 0);
		return 0;
	}
	CHECK(st.regs.rip == before.rip + in.len && nwrites >= 1);
	CHECK(operand(&in) == (expected(&in, &before, dst) & mask(in.size)));
	/* The one register some instructions write gets the old operand. */
	if (in.op == EMU_XCHG || (in.op == EMU_CMPXCHG && !(st.regs.rflags & RFLAGS_ZF))) {
		unsigned r = in.op == EMU_XCHG ? in.src_reg : GPR_RAX;
		bool high8 = in.op == EMU_XCHG && in.src_high8;
		u64 v = high8 ? st.regs.gpr[r] >> 8 & 0xff : st.regs.gpr[r] & mask(in.size);
		CHECK(v == dst);
		before.gpr[r] = st.regs.gpr[r];
	}
	CHECK(memcmp(before.gpr, st.regs.gpr, sizeof(before.gpr)) == 0);
	return 0;
}
