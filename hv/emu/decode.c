/*
 * decode.c - the decoder for page-table writes (see decode.h for the list).
 *
 * The structure follows the SDM's instruction format (Vol. 2A, chapter 2):
 * legacy prefixes, REX, opcode, ModRM, SIB, displacement, immediate.  It
 * decodes one instruction of the list exactly and nothing else.  Anything
 * the decoder does not know stops with the byte it refused, so the glue's
 * log line shows what the guest was doing.
 */
#include "types.h"
#include "string.h"
#include "sbuf.h"
#include "emu/decode.h"

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

struct cursor {
	const u8 *b;
	size_t n;   /* bytes available (at most 15) */
	size_t pos;
	bool short_input; /* fewer than 15 bytes were given */
};

/* An instruction longer than 15 bytes raises #GP (SDM Vol. 2A, 2.3.11), so
 * running out of the 15 is "invalid"; running out of a shorter input only
 * means the glue did not give us enough bytes. */
static int fetch(struct cursor *c, u8 *out)
{
	if (c->pos >= c->n)
		return c->short_input ? EMU_ERR_TRUNCATED : EMU_ERR_INVALID;
	*out = c->b[c->pos++];
	return EMU_OK;
}

/* Little-endian immediate or displacement of 1, 2 or 4 bytes, sign-extended. */
static int fetch_signed(struct cursor *c, unsigned bytes, u64 *out)
{
	u64 v = 0;
	unsigned i;
	u8 b;
	int err;

	for (i = 0; i < bytes; i++) {
		err = fetch(c, &b);
		if (err)
			return err;
		v |= (u64)b << (8 * i);
	}
	if (bytes < 8 && (v & BIT(8 * bytes - 1)))
		v |= ~0ull << (8 * bytes);
	*out = v;
	return EMU_OK;
}

static u64 size_mask(unsigned size)
{
	return size == 8 ? ~0ull : BIT(8 * size) - 1;
}

static int fail(struct emu_insn *in, size_t at, int err)
{
	in->err_at = (u8)(at < EMU_MAX_INSN_LEN ? at : EMU_MAX_INSN_LEN - 1);
	return err;
}

/*
 * The register named by a ModRM reg field, as an operand of size bytes.
 * Without REX, byte registers 4-7 are AH, CH, DH, BH; with any REX they are
 * SPL, BPL, SIL, DIL (SDM Vol. 2A, 3.7.2.1 / Table 3-1).
 */
static void set_reg_source(struct emu_insn *in, const struct emu_regs *r, unsigned reg)
{
	if (in->size == 1 && !in->rex && reg >= 4 && reg < 8) {
		in->src_reg = (u8)(reg - 4);
		in->src_high8 = true;
		in->src = (r->gpr[reg - 4] >> 8) & 0xff;
		return;
	}
	in->src_reg = (u8)reg;
	in->src = r->gpr[reg] & size_mask(in->size);
}

/*
 * ModRM, SIB and displacement of a memory operand (SDM Vol. 2A, 2.1.5 and
 * 2.2.1).  Fills in->ea except for RIP-relative operands, whose address
 * depends on the full instruction length: *rip_rel says so and in->ea then
 * holds the displacement alone.
 */
static int decode_modrm(struct cursor *c, struct emu_insn *in, const struct emu_regs *r,
			u8 modrm, bool *rip_rel)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;
	bool a32 = in->prefixes & EMU_PFX_ADDRSIZE;
	u64 amask = a32 ? 0xffffffffull : ~0ull;
	u64 base = 0, index = 0, disp = 0;
	unsigned scale = 0;
	bool no_base = false;
	int err;

	*rip_rel = false;
	if (rm == 4) {
		u8 sib;
		unsigned ix, bs;

		err = fetch(c, &sib);
		if (err)
			return err;
		scale = sib >> 6;
		ix = ((sib >> 3) & 7) | (in->rex & REX_X ? 8 : 0);
		bs = (sib & 7) | (in->rex & REX_B ? 8 : 0);
		/* Index 100b without REX.X means "no index"; R12 is fine. */
		if (ix != GPR_RSP)
			index = r->gpr[ix] & amask;
		/* Base 101b with mod 00 means "disp32, no base", REX.B or not. */
		if ((sib & 7) == 5 && mod == 0)
			no_base = true;
		else
			base = r->gpr[bs] & amask;
	} else if (rm == 5 && mod == 0) {
		*rip_rel = true; /* 64-bit mode: RIP + disp32 (SDM Vol. 2A, 2.2.1.6) */
		no_base = true;
	} else {
		base = r->gpr[rm | (in->rex & REX_B ? 8 : 0)] & amask;
	}

	if (mod == 1)
		err = fetch_signed(c, 1, &disp);
	else if (mod == 2 || no_base)
		err = fetch_signed(c, 4, &disp);
	else
		err = EMU_OK;
	if (err)
		return err;

	if (*rip_rel)
		in->ea = disp;
	else
		in->ea = (base + (index << scale) + disp) & amask;
	return EMU_OK;
}

static bool is_lockable(enum emu_op op)
{
	return op == EMU_XCHG || op == EMU_CMPXCHG || op == EMU_AND || op == EMU_OR ||
	       op == EMU_BTS || op == EMU_BTR;
}

/*
 * Legacy prefixes in any order, then an optional REX; *opcode gets the
 * first byte after them.  A REX that is followed by a legacy prefix is
 * ignored (SDM Vol. 2A, 2.2.1).
 */
static int decode_prefixes(struct cursor *c, struct emu_insn *in, bool *f2, u8 *opcode)
{
	u8 b;
	for (;;) {
		int err = fetch(c, &b);
		if (err)
			return err;
		switch (b) {
		case 0xf0: in->prefixes |= EMU_PFX_LOCK; break;
		case 0xf3: in->prefixes |= EMU_PFX_REP; break;
		case 0xf2: *f2 = true; break;
		case 0x66: in->prefixes |= EMU_PFX_OPSIZE; break;
		case 0x67: in->prefixes |= EMU_PFX_ADDRSIZE; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: in->seg = EMU_SEG_NONE; break;
		case 0x64: in->seg = EMU_SEG_FS; break;
		case 0x65: in->seg = EMU_SEG_GS; break;
		default:
			if ((b & 0xf0) == 0x40) {
				in->rex = b;
				continue;
			}
			*opcode = b;
			return EMU_OK;
		}
		in->rex = 0;
	}
}

static void start(struct cursor *c, struct emu_insn *in, const u8 *bytes, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->src_reg = EMU_NO_REG;
	in->nraw = (u8)(n < EMU_MAX_INSN_LEN ? n : EMU_MAX_INSN_LEN);
	memcpy(in->raw, bytes, in->nraw);
	c->b = in->raw;
	c->n = in->nraw;
	c->pos = 0;
	c->short_input = n < EMU_MAX_INSN_LEN;
}

int emu_decode(const u8 *bytes, size_t n, const struct emu_regs *r,
	       const struct emu_segs *segs, struct emu_insn *in)
{
	struct cursor c;
	size_t op_at;
	u8 b, op, modrm = 0;
	bool two_byte = false, byte_op = false, has_modrm = true, rip_rel = false;
	bool f2 = false, rex_w;
	unsigned imm_bytes = 0, reg_field = 0;
	u8 group_reg = 0;
	u64 imm = 0;
	int err;

	start(&c, in, bytes, n);
	err = decode_prefixes(&c, in, &f2, &b);
	if (err)
		return fail(in, c.pos, err);
	op_at = c.pos - 1;
	op = b;
	if (op == 0x0f) {
		two_byte = true;
		err = fetch(&c, &op);
		if (err)
			return fail(in, c.pos, err);
		op_at = c.pos - 1;
	}
	rex_w = in->rex & REX_W;

	if (!two_byte) {
		switch (op) {
		case 0x88: in->op = EMU_MOV; byte_op = true; break;
		case 0x89: in->op = EMU_MOV; break;
		case 0xc6: in->op = EMU_MOV; byte_op = true; imm_bytes = 1; break;
		case 0xc7: in->op = EMU_MOV; imm_bytes = 4; break;
		case 0x86: in->op = EMU_XCHG; byte_op = true; break;
		case 0x87: in->op = EMU_XCHG; break;
		case 0x08: in->op = EMU_OR; byte_op = true; break;
		case 0x09: in->op = EMU_OR; break;
		case 0x20: in->op = EMU_AND; byte_op = true; break;
		case 0x21: in->op = EMU_AND; break;
		case 0x80: in->op = EMU_OR; byte_op = true; imm_bytes = 1; break;
		case 0x81: in->op = EMU_OR; imm_bytes = 4; break;
		case 0x83: in->op = EMU_OR; imm_bytes = 1; break;
		case 0xaa: in->op = EMU_STOS; byte_op = true; has_modrm = false; break;
		case 0xab: in->op = EMU_STOS; has_modrm = false; break;
		default:
			return fail(in, op_at, EMU_ERR_UNSUPPORTED);
		}
	} else {
		switch (op) {
		case 0xb0: in->op = EMU_CMPXCHG; byte_op = true; break;
		case 0xb1: in->op = EMU_CMPXCHG; break;
		case 0xab: in->op = EMU_BTS; break;
		case 0xb3: in->op = EMU_BTR; break;
		case 0xba: in->op = EMU_BTS; imm_bytes = 1; break;
		case 0xc3: in->op = EMU_MOVNTI; break;
		default:
			return fail(in, op_at, EMU_ERR_UNSUPPORTED);
		}
	}

	/* Operand size (SDM Vol. 1, 3.6.1): REX.W beats 66. */
	if (byte_op)
		in->size = 1;
	else if (rex_w)
		in->size = 8;
	else if (in->prefixes & EMU_PFX_OPSIZE)
		in->size = 2;
	else
		in->size = 4;
	/* iz immediates are 2 bytes at operand size 16, else 4 (sign-extended). */
	if (imm_bytes == 4 && in->size == 2)
		imm_bytes = 2;

	/* Repeat prefixes: F3 is REP for STOS; on anything else it is an HLE or
	 * mandatory-prefix encoding Linux does not use for page tables. */
	if (f2 || ((in->prefixes & EMU_PFX_REP) && in->op != EMU_STOS))
		return fail(in, op_at, EMU_ERR_UNSUPPORTED);
	if ((in->prefixes & EMU_PFX_LOCK) && !is_lockable(in->op))
		return fail(in, op_at, EMU_ERR_INVALID); /* #UD */
	if (in->op == EMU_MOVNTI && (in->prefixes & EMU_PFX_OPSIZE))
		return fail(in, op_at, EMU_ERR_INVALID); /* NP 0F C3: #UD with 66 */

	if (!has_modrm) {
		/* STOS: ES:[RDI], ES has base 0 and cannot be overridden. */
		if (in->prefixes & EMU_PFX_ADDRSIZE)
			return fail(in, op_at, EMU_ERR_UNSUPPORTED);
		in->seg = EMU_SEG_NONE;
		in->src_reg = GPR_RAX;
		in->src = r->gpr[GPR_RAX] & size_mask(in->size);
		in->ea = r->gpr[GPR_RDI];
		in->lin = in->ea;
		in->len = (u8)c.pos;
		return EMU_OK;
	}

	err = fetch(&c, &modrm);
	if (err)
		return fail(in, c.pos, err);
	reg_field = ((modrm >> 3) & 7) | (in->rex & REX_R ? 8 : 0);
	group_reg = (modrm >> 3) & 7; /* opcode extension: REX.R plays no part */

	/* Opcode extensions (SDM Vol. 2A, Table A-6). */
	if (!two_byte && (op == 0xc6 || op == 0xc7)) {
		if (group_reg != 0)
			return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	} else if (!two_byte && (op == 0x80 || op == 0x81 || op == 0x83)) {
		if (group_reg == 1)
			in->op = EMU_OR;
		else if (group_reg == 4)
			in->op = EMU_AND;
		else
			return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	} else if (two_byte && op == 0xba) {
		if (group_reg == 5)
			in->op = EMU_BTS;
		else if (group_reg == 6)
			in->op = EMU_BTR;
		else
			return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	}

	if ((modrm >> 6) == 3) {
		/* A register destination cannot fault on memory.  LOCK with one is
		 * #UD; MOVNTI with one is #UD. */
		if ((in->prefixes & EMU_PFX_LOCK) || in->op == EMU_MOVNTI)
			return fail(in, c.pos - 1, EMU_ERR_INVALID);
		return fail(in, c.pos - 1, EMU_ERR_NO_MEMORY);
	}

	err = decode_modrm(&c, in, r, modrm, &rip_rel);
	if (err)
		return fail(in, c.pos, err);

	if (imm_bytes) {
		err = fetch_signed(&c, imm_bytes, &imm);
		if (err)
			return fail(in, c.pos, err);
	}
	in->len = (u8)c.pos;

	if (rip_rel) {
		/* Relative to the next instruction, immediates included. */
		in->ea += r->rip + in->len;
		if (in->prefixes & EMU_PFX_ADDRSIZE)
			in->ea &= 0xffffffffull;
	}
	in->lin = in->ea;
	if (in->seg == EMU_SEG_FS)
		in->lin += segs ? segs->fs_base : 0;
	else if (in->seg == EMU_SEG_GS)
		in->lin += segs ? segs->gs_base : 0;

	if (imm_bytes) {
		in->src = imm & size_mask(in->size);
		if (in->op == EMU_BTS || in->op == EMU_BTR)
			in->bit = (u8)(imm & (8u * in->size - 1)); /* imm8 modulo operand size */
		return EMU_OK;
	}

	set_reg_source(in, r, reg_field);
	if (in->op == EMU_BTS || in->op == EMU_BTR) {
		/* A register bit offset is signed and may reach outside the operand:
		 * the CPU accesses the operand-sized unit at
		 * EA + size * (offset SAR log2(bits)) (SDM Vol. 2A, BT). */
		unsigned bits = 8u * in->size, shift = in->size == 2 ? 4 : in->size == 4 ? 5 : 6;
		i64 off = (i64)in->src;

		if (in->size == 2)
			off = (i16)in->src;
		else if (in->size == 4)
			off = (i32)in->src;
		in->lin += (u64)((off >> shift) * (i64)in->size);
		in->bit = (u8)((u64)off & (bits - 1));
	}
	return EMU_OK;
}

/*
 * The instructions that exit to the hypervisor, for a CPU that does not
 * say how long they were or what their operands are (AMD SVM without NRIP
 * save or decode assists, APM Vol. 2, 15.7.1 and 15.33).  Opcodes: SDM
 * Vol. 2, Table.  Legacy prefixes are skipped; REX counts only
 * in 64-bit mode.
 */
int emu_decode_sys(const u8 *bytes, size_t n, bool long64, const struct emu_regs *r,
		   struct emu_insn *in)
{
	struct cursor c;
	u8 op, modrm;
	bool f2 = false, rip_rel;
	int err;

	start(&c, in, bytes, n);
	if (long64) {
		err = decode_prefixes(&c, in, &f2, &op);
	} else {
		/* Outside 64-bit mode 40-4F are INC/DEC: no REX to look for. */
		do
			err = fetch(&c, &op);
		while (!err && (op == 0xf0 || op == 0xf2 || op == 0xf3 || op == 0x66 ||
				op == 0x67 || op == 0x26 || op == 0x2e || op == 0x36 ||
				op == 0x3e || op == 0x64 || op == 0x65));
	}
	if (err)
		return fail(in, c.pos, err);
	in->op = EMU_SYS;
	if (op == 0xf4 || op == 0x90) { /* HLT; PAUSE is F3 90 */
		in->len = (u8)c.pos;
		return EMU_OK;
	}
	if (op != 0x0f)
		return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	err = fetch(&c, &op);
	if (err)
		return fail(in, c.pos, err);
	switch (op) {
	case 0x06: /* CLTS */
		in->op = EMU_CLTS;
		/* fall through */
	case 0x08: case 0x09: /* INVD, WBINVD */
	case 0x30: case 0x32: case 0xa2: /* WRMSR, RDMSR, CPUID */
		in->len = (u8)c.pos;
		return EMU_OK;
	case 0x20: case 0x22: /* MOV r64, CRn; MOV CRn, r64: mod is ignored */
		err = fetch(&c, &modrm);
		if (err)
			return fail(in, c.pos, err);
		in->op = op == 0x22 ? EMU_MOV_TO_CR : EMU_MOV_FROM_CR;
		in->cr = (u8)(((modrm >> 3) & 7) | (in->rex & REX_R ? 8 : 0));
		in->src_reg = (u8)((modrm & 7) | (in->rex & REX_B ? 8 : 0));
		in->src = r->gpr[in->src_reg];
		in->size = long64 ? 8 : 4;
		in->len = (u8)c.pos;
		return EMU_OK;
	case 0x01:
		break;
	default:
		return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	}
	/* Group 7: VMMCALL, MONITOR, MWAIT, SWAPGS... by the whole ModRM byte;
	 * LMSW (/6) and INVLPG (/7) by its reg field. */
	err = fetch(&c, &modrm);
	if (err)
		return fail(in, c.pos, err);
	if (modrm == 0xc1) { /* VMCALL */
		in->op = EMU_HYPERCALL;
		in->len = (u8)c.pos;
		return EMU_OK;
	}
	if (modrm == 0xd9 || modrm == 0xc8 || modrm == 0xc9) { /* VMMCALL, MONITOR, MWAIT */
		in->len = (u8)c.pos;
		return EMU_OK;
	}
	if (((modrm >> 3) & 7) == 6 && (modrm >> 6) == 3) { /* LMSW r16 */
		in->op = EMU_LMSW;
		in->src_reg = (u8)((modrm & 7) | (in->rex & REX_B ? 8 : 0));
		in->src = r->gpr[in->src_reg] & 0xffff;
		in->size = 2;
		in->len = (u8)c.pos;
		return EMU_OK;
	}
	if (((modrm >> 3) & 7) != 7 || (modrm >> 6) == 3 || !long64)
		return fail(in, c.pos - 1, EMU_ERR_UNSUPPORTED);
	in->op = EMU_INVLPG; /* INVLPG m: the operand's address, never its contents */
	err = decode_modrm(&c, in, r, modrm, &rip_rel);
	if (err)
		return fail(in, c.pos, err);
	in->len = (u8)c.pos;
	if (rip_rel)
		in->ea += r->rip + in->len;
	if (in->prefixes & EMU_PFX_ADDRSIZE)
		in->ea &= 0xffffffffull;
	in->lin = in->ea; /* FS/GS bases: the glue adds them (not needed by Linux) */
	return EMU_OK;
}

bool emu_insn_covers(const struct emu_insn *in, u64 addr)
{
	return addr - in->lin < in->size;
}

const char *emu_op_name(const struct emu_insn *in)
{
	bool lock = in->prefixes & EMU_PFX_LOCK;

	switch (in->op) {
	case EMU_MOV: return "mov";
	case EMU_MOVNTI: return "movnti";
	case EMU_XCHG: return "xchg";
	case EMU_CMPXCHG: return lock ? "lock cmpxchg" : "cmpxchg";
	case EMU_AND: return lock ? "lock and" : "and";
	case EMU_OR: return lock ? "lock or" : "or";
	case EMU_BTS: return lock ? "lock bts" : "bts";
	case EMU_BTR: return lock ? "lock btr" : "btr";
	case EMU_STOS: return in->prefixes & EMU_PFX_REP ? "rep stos" : "stos";
	case EMU_SYS: return "system instruction";
	case EMU_MOV_TO_CR: return "mov to cr";
	case EMU_MOV_FROM_CR: return "mov from cr";
	case EMU_CLTS: return "clts";
	case EMU_LMSW: return "lmsw";
	case EMU_INVLPG: return "invlpg";
	case EMU_HYPERCALL: return "vmcall";
	}
	return "?";
}

const char *emu_strerror(int err)
{
	switch (err) {
	case EMU_OK: return "ok";
	case EMU_ERR_UNSUPPORTED: return "unsupported instruction";
	case EMU_ERR_TRUNCATED: return "truncated instruction";
	case EMU_ERR_INVALID: return "invalid instruction";
	case EMU_ERR_NO_MEMORY: return "instruction writes no memory";
	case EMU_ERR_MEM: return "guest memory access failed for instruction";
	case EMU_ERR_ADDRESS: return "faulting address not written by instruction";
	}
	return "unknown error for instruction";
}

size_t emu_format_error(char *buf, size_t size, int err, const struct emu_insn *in)
{
	static const char hex[] = "0123456789abcdef";
	struct sbuf s = sbuf_on(buf, size);
	unsigned i;

	if (!size)
		return 0;
	sbuf_puts(&s, emu_strerror(err));
	for (i = 0; i < in->nraw; i++) {
		sbuf_putc(&s, ' ');
		sbuf_putc(&s, hex[in->raw[i] >> 4]);
		sbuf_putc(&s, hex[in->raw[i] & 15]);
	}
	if (err != EMU_ERR_MEM && err != EMU_ERR_ADDRESS) {
		sbuf_puts(&s, " (byte ");
		sbuf_putu(&s, in->err_at);
		sbuf_putc(&s, ')');
	}
	return sbuf_end(&s);
}
