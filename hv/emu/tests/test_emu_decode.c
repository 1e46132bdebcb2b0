/*
 * test_emu_decode.c - the page-table write decoder (hv/emu/decode.c).
 *
 * Every byte sequence below was encoded by hand from the SDM and checked
 * with `objdump -D -b binary -mi386:x86-64` (the disassembly is the comment
 * on each line).  The register file gives each register a value that makes
 * the computed linear address show which registers went into it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/decode.h"

#define RIP0 0xffffffff81000000ull
#define FS0 0x0000010000000000ull
#define GS0 0xffff888000000000ull

static struct emu_regs regs;
static const struct emu_segs segs = { .fs_base = FS0, .gs_base = GS0 };

static void init_regs(void)
{
	memset(&regs, 0, sizeof(regs));
	regs.gpr[GPR_RAX] = 0x1122334455667788ull;
	regs.gpr[GPR_RCX] = 3;
	regs.gpr[GPR_RDX] = 0x8877665544332211ull;
	regs.gpr[GPR_RBX] = 0x5000;
	regs.gpr[GPR_RSP] = 0x7000;
	regs.gpr[GPR_RBP] = 0x9000;
	regs.gpr[GPR_RSI] = 0xa0b0c0d0e0f01234ull;
	regs.gpr[GPR_RDI] = 0x100000;
	regs.gpr[GPR_R8] = 0xdeadbeefcafe0008ull;
	regs.gpr[GPR_R12] = 0x40;
	regs.gpr[GPR_R13] = 0x20000;
	regs.gpr[GPR_R15] = 0x300000;
	regs.rip = RIP0;
	regs.rflags = 0x2;
}

static int setup(void **state)
{
	(void)state;
	init_regs();
	return 0;
}

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

struct good {
	const char *what;
	const uint8_t *bytes;
	size_t n;
	enum emu_op op;
	unsigned size, len;
	uint64_t lin;
	uint64_t src;
	uint8_t src_reg; /* EMU_NO_REG for immediates */
	bool high8;
	uint8_t prefixes;
	uint8_t bit;
};

#define R(g) (regs.gpr[g])
#define NOREG EMU_NO_REG

static void check_good(const struct good *g)
{
	struct emu_insn in;
	int err;

	err = emu_decode(g->bytes, g->n, &regs, &segs, &in);
	if (err) {
		char line[128];

		emu_format_error(line, sizeof(line), err, &in);
		fail_msg("%s: %s", g->what, line);
	}
	assert_int_equal(in.op, g->op);
	assert_int_equal(in.size, g->size);
	assert_int_equal(in.len, g->len);
	assert_int_equal(in.lin, g->lin);
	assert_int_equal(in.src, g->src);
	assert_int_equal(in.src_reg, g->src_reg);
	assert_int_equal(in.src_high8, g->high8);
	assert_int_equal(in.prefixes, g->prefixes);
	assert_int_equal(in.bit, g->bit);
	assert_true(emu_insn_covers(&in, g->lin));
	assert_true(emu_insn_covers(&in, g->lin + g->size - 1));
	assert_false(emu_insn_covers(&in, g->lin + g->size));
	assert_false(emu_insn_covers(&in, g->lin - 1));
}

static void run_table(const struct good *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* Trailing bytes after the instruction must not matter: decode
		 * again from a 15-byte buffer padded with junk. */
		uint8_t buf[15];
		struct good g = t[i];

		init_regs();
		check_good(&g);
		memset(buf, 0xcc, sizeof(buf));
		memcpy(buf, g.bytes, g.n);
		g.bytes = buf;
		g.n = sizeof(buf);
		check_good(&g);
	}
}

/* ------------------------------------------------------------ MOV forms */

static void test_mov_register_sources(void **state)
{
	const uint64_t di = 0x100000;
	const struct good t[] = {
		/* mov %rax,(%rdi) */
		{ "mov q", B(0x48, 0x89, 0x07), EMU_MOV, 8, 3, di, R(GPR_RAX), GPR_RAX, 0, 0, 0 },
		/* mov %eax,(%rdi) */
		{ "mov d", B(0x89, 0x07), EMU_MOV, 4, 2, di, 0x55667788, GPR_RAX, 0, 0, 0 },
		/* mov %ax,(%rdi) */
		{ "mov w", B(0x66, 0x89, 0x07), EMU_MOV, 2, 3, di, 0x7788, GPR_RAX, 0,
		  EMU_PFX_OPSIZE, 0 },
		/* mov %ah,(%rdi) */
		{ "mov ah", B(0x88, 0x27), EMU_MOV, 1, 2, di, 0x77, GPR_RAX, true, 0, 0 },
		/* mov %spl,(%rdi): any REX turns 4-7 into SPL..DIL */
		{ "mov spl", B(0x40, 0x88, 0x27), EMU_MOV, 1, 3, di, 0x00, GPR_RSP, 0, 0, 0 },
		/* mov %dh,(%rdi) */
		{ "mov dh", B(0x88, 0x37), EMU_MOV, 1, 2, di, 0x22, GPR_RDX, true, 0, 0 },
		/* mov %sil,(%rdi) */
		{ "mov sil", B(0x40, 0x88, 0x37), EMU_MOV, 1, 3, di, 0x34, GPR_RSI, 0, 0, 0 },
		/* mov %r8b,(%r15) */
		{ "mov r8b", B(0x45, 0x88, 0x07), EMU_MOV, 1, 3, 0x300000, 0x08, GPR_R8, 0, 0, 0 },
		/* movnti %rax,(%rdi) */
		{ "movnti q", B(0x48, 0x0f, 0xc3, 0x07), EMU_MOVNTI, 8, 4, di, R(GPR_RAX), GPR_RAX,
		  0, 0, 0 },
		/* movnti %eax,(%rdi) */
		{ "movnti d", B(0x0f, 0xc3, 0x07), EMU_MOVNTI, 4, 3, di, 0x55667788, GPR_RAX, 0, 0,
		  0 },
		/* rex.W then 66: the REX is ignored, so mov %ax,(%rdi) */
		{ "rex then 66", B(0x48, 0x66, 0x89, 0x07), EMU_MOV, 2, 4, di, 0x7788, GPR_RAX, 0,
		  EMU_PFX_OPSIZE, 0 },
		/* cs mov %rax,(%rdi): CS/DS/ES/SS overrides have base 0 */
		{ "cs mov", B(0x2e, 0x48, 0x89, 0x07), EMU_MOV, 8, 4, di, R(GPR_RAX), GPR_RAX, 0, 0,
		  0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_addressing_forms(void **state)
{
	const uint64_t rax = 0x1122334455667788ull;
	const struct good t[] = {
		/* mov %r8,(%rdi,%rcx,8) */
		{ "sib scale 8", B(0x4c, 0x89, 0x04, 0xcf), EMU_MOV, 8, 4, 0x100018,
		  0xdeadbeefcafe0008ull, GPR_R8, 0, 0, 0 },
		/* mov %rax,(%rdi,%r12,8): REX.X makes index 100b R12, not "none" */
		{ "sib index r12", B(0x4a, 0x89, 0x04, 0xe7), EMU_MOV, 8, 4, 0x100200, rax, GPR_RAX,
		  0, 0, 0 },
		/* mov %rax,(%rsp) */
		{ "sib base rsp", B(0x48, 0x89, 0x04, 0x24), EMU_MOV, 8, 4, 0x7000, rax, GPR_RAX, 0,
		  0, 0 },
		/* mov %rax,(%r12) */
		{ "sib base r12", B(0x49, 0x89, 0x04, 0x24), EMU_MOV, 8, 4, 0x40, rax, GPR_RAX, 0, 0,
		  0 },
		/* mov %rax,-0x8(%rbp) */
		{ "disp8", B(0x48, 0x89, 0x45, 0xf8), EMU_MOV, 8, 4, 0x8ff8, rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,0x0(%r13): r13 needs mod 01 (mod 00 would be RIP) */
		{ "r13 disp8", B(0x49, 0x89, 0x45, 0x00), EMU_MOV, 8, 4, 0x20000, rax, GPR_RAX, 0, 0,
		  0 },
		/* mov %rax,0x10(%rip): REX.B does not turn rm 101b into r13 */
		{ "rip rel rex.b", B(0x49, 0x89, 0x05, 0x10, 0, 0, 0), EMU_MOV, 8, 7,
		  RIP0 + 7 + 0x10, rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,-0x10(%rip) */
		{ "rip rel neg", B(0x48, 0x89, 0x05, 0xf0, 0xff, 0xff, 0xff), EMU_MOV, 8, 7,
		  RIP0 + 7 - 0x10, rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,0x100(%rsp) */
		{ "sib disp32", B(0x48, 0x89, 0x84, 0x24, 0x00, 0x01, 0, 0), EMU_MOV, 8, 8, 0x7100,
		  rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,0x1000: SIB, no base, no index */
		{ "absolute", B(0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0, 0), EMU_MOV, 8, 8, 0x1000,
		  rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,(%r12,%r13,1) */
		{ "r12+r13", B(0x4b, 0x89, 0x04, 0x2c), EMU_MOV, 8, 4, 0x20040, rax, GPR_RAX, 0, 0,
		  0 },
		/* mov %eax,0x2000(,%rbp,1): base 101b, mod 00 = no base even with REX.B */
		{ "no base rex.b", B(0x41, 0x89, 0x04, 0x2d, 0x00, 0x20, 0, 0), EMU_MOV, 4, 8,
		  0xb000, 0x55667788, GPR_RAX, 0, 0, 0 },
		/* mov %r8,0x12345678(%r8,%rbx,8) */
		{ "base index disp32", B(0x4d, 0x89, 0x84, 0xd8, 0x78, 0x56, 0x34, 0x12), EMU_MOV, 8,
		  8, 0xdeadbeefcafe0008ull + 0x5000 * 8 + 0x12345678, 0xdeadbeefcafe0008ull, GPR_R8,
		  0, 0, 0 },
		/* mov %rax,%gs:0x28 */
		{ "gs", B(0x65, 0x48, 0x89, 0x04, 0x25, 0x28, 0, 0, 0), EMU_MOV, 8, 9, GS0 + 0x28,
		  rax, GPR_RAX, 0, 0, 0 },
		/* mov %rax,%fs:(%rbx) */
		{ "fs", B(0x64, 0x48, 0x89, 0x03), EMU_MOV, 8, 4, FS0 + 0x5000, rax, GPR_RAX, 0, 0,
		  0 },
		/* mov %rax,0x10(%eip): 67 makes it EIP-relative, 32-bit wrap */
		{ "eip rel", B(0x67, 0x48, 0x89, 0x05, 0x10, 0, 0, 0), EMU_MOV, 8, 8,
		  (RIP0 + 8 + 0x10) & 0xffffffffull, rax, GPR_RAX, 0, EMU_PFX_ADDRSIZE, 0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

/* 67 truncates the effective address to 32 bits before the segment base. */
static void test_address_size_32(void **state)
{
	static const uint8_t b[] = { 0x67, 0x64, 0x48, 0x89, 0x07 }; /* mov %rax,%fs:(%edi) */
	struct emu_insn in;

	(void)state;
	regs.gpr[GPR_RDI] = 0xffffffff00001230ull;
	assert_int_equal(emu_decode(b, sizeof(b), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.ea, 0x1230);
	assert_int_equal(in.lin, FS0 + 0x1230);
	assert_int_equal(in.len, 5);
}

static void test_mov_immediates(void **state)
{
	const uint64_t di = 0x100000;
	const struct good t[] = {
		/* movb $0x5a,(%rdi) */
		{ "imm8", B(0xc6, 0x07, 0x5a), EMU_MOV, 1, 3, di, 0x5a, NOREG, 0, 0, 0 },
		/* movw $0x1234,(%rdi): iw at operand size 16 */
		{ "imm16", B(0x66, 0xc7, 0x07, 0x34, 0x12), EMU_MOV, 2, 5, di, 0x1234, NOREG, 0,
		  EMU_PFX_OPSIZE, 0 },
		/* movl $0x12345678,(%rdi) */
		{ "imm32", B(0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), EMU_MOV, 4, 6, di, 0x12345678,
		  NOREG, 0, 0, 0 },
		/* movq $0xffffffffffffffff,(%rdi): imm32 sign-extended */
		{ "imm32 sext", B(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), EMU_MOV, 8, 7, di,
		  ~0ull, NOREG, 0, 0, 0 },
		/* movq $0x1,0x10(%rip): RIP-relative counts the immediate too */
		{ "imm rip rel", B(0x48, 0xc7, 0x05, 0x10, 0, 0, 0, 0x01, 0, 0, 0), EMU_MOV, 8, 11,
		  RIP0 + 11 + 0x10, 1, NOREG, 0, 0, 0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

/* ------------------------------------------------------------ locked RMW */

static void test_xchg_cmpxchg(void **state)
{
	const uint64_t di = 0x100000, rax = 0x1122334455667788ull;
	const struct good t[] = {
		/* xchg %rax,(%rdi) */
		{ "xchg q", B(0x48, 0x87, 0x07), EMU_XCHG, 8, 3, di, rax, GPR_RAX, 0, 0, 0 },
		/* lock xchg %rax,(%rdi) */
		{ "lock xchg", B(0xf0, 0x48, 0x87, 0x07), EMU_XCHG, 8, 4, di, rax, GPR_RAX, 0,
		  EMU_PFX_LOCK, 0 },
		/* xchg %al,(%rdi) */
		{ "xchg al", B(0x86, 0x07), EMU_XCHG, 1, 2, di, 0x88, GPR_RAX, 0, 0, 0 },
		/* xchg %ah,(%rdi) */
		{ "xchg ah", B(0x86, 0x27), EMU_XCHG, 1, 2, di, 0x77, GPR_RAX, true, 0, 0 },
		/* lock cmpxchg %rdx,(%rdi) */
		{ "lock cmpxchg q", B(0xf0, 0x48, 0x0f, 0xb1, 0x17), EMU_CMPXCHG, 8, 5, di,
		  0x8877665544332211ull, GPR_RDX, 0, EMU_PFX_LOCK, 0 },
		/* lock cmpxchg %cl,(%rdi) */
		{ "lock cmpxchg b", B(0xf0, 0x0f, 0xb0, 0x0f), EMU_CMPXCHG, 1, 4, di, 3, GPR_RCX, 0,
		  EMU_PFX_LOCK, 0 },
		/* cmpxchg %r8,(%rdi) */
		{ "cmpxchg r8", B(0x4c, 0x0f, 0xb1, 0x07), EMU_CMPXCHG, 8, 4, di,
		  0xdeadbeefcafe0008ull, GPR_R8, 0, 0, 0 },
		/* cmpxchg %ax,(%rdi) */
		{ "cmpxchg w", B(0x66, 0x0f, 0xb1, 0x07), EMU_CMPXCHG, 2, 4, di, 0x7788, GPR_RAX, 0,
		  EMU_PFX_OPSIZE, 0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_and_or(void **state)
{
	const uint64_t di = 0x100000, rax = 0x1122334455667788ull;
	const struct good t[] = {
		/* lock orb $0x1,(%rdi) */
		{ "lock orb imm", B(0xf0, 0x80, 0x0f, 0x01), EMU_OR, 1, 4, di, 1, NOREG, 0,
		  EMU_PFX_LOCK, 0 },
		/* lock andb $0xfe,(%rdi) */
		{ "lock andb imm", B(0xf0, 0x80, 0x27, 0xfe), EMU_AND, 1, 4, di, 0xfe, NOREG, 0,
		  EMU_PFX_LOCK, 0 },
		/* lock or %rax,(%rdi) */
		{ "lock or q", B(0xf0, 0x48, 0x09, 0x07), EMU_OR, 8, 4, di, rax, GPR_RAX, 0,
		  EMU_PFX_LOCK, 0 },
		/* lock and %rax,(%rdi) */
		{ "lock and q", B(0xf0, 0x48, 0x21, 0x07), EMU_AND, 8, 4, di, rax, GPR_RAX, 0,
		  EMU_PFX_LOCK, 0 },
		/* lock or %al,(%rdi) */
		{ "lock or b", B(0xf0, 0x08, 0x07), EMU_OR, 1, 3, di, 0x88, GPR_RAX, 0, EMU_PFX_LOCK,
		  0 },
		/* lock and %al,(%rdi) */
		{ "lock and b", B(0xf0, 0x20, 0x07), EMU_AND, 1, 3, di, 0x88, GPR_RAX, 0,
		  EMU_PFX_LOCK, 0 },
		/* lock orq $0xffffffff80000000,(%rdi) */
		{ "lock orq imm32", B(0xf0, 0x48, 0x81, 0x0f, 0x00, 0x00, 0x00, 0x80), EMU_OR, 8, 8,
		  di, 0xffffffff80000000ull, NOREG, 0, EMU_PFX_LOCK, 0 },
		/* lock andq $0xfffffffffffffff7,(%rdi) */
		{ "lock andq imm8", B(0xf0, 0x48, 0x83, 0x27, 0xf7), EMU_AND, 8, 5, di,
		  0xfffffffffffffff7ull, NOREG, 0, EMU_PFX_LOCK, 0 },
		/* orw $0x1234,(%rdi) */
		{ "orw imm16", B(0x66, 0x81, 0x0f, 0x34, 0x12), EMU_OR, 2, 5, di, 0x1234, NOREG, 0,
		  EMU_PFX_OPSIZE, 0 },
		/* orl $0xffffff80,(%rdi) */
		{ "orl imm8", B(0x83, 0x0f, 0x80), EMU_OR, 4, 3, di, 0xffffff80, NOREG, 0, 0, 0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

static void test_bts_btr(void **state)
{
	const uint64_t di = 0x100000;
	const struct good t[] = {
		/* lock btsq $0x3f,(%rdi) */
		{ "bts imm", B(0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x3f), EMU_BTS, 8, 6, di, 0x3f, NOREG,
		  0, EMU_PFX_LOCK, 63 },
		/* lock btrl $0x5,(%rdi) */
		{ "btr imm", B(0xf0, 0x0f, 0xba, 0x37, 0x05), EMU_BTR, 4, 5, di, 5, NOREG, 0,
		  EMU_PFX_LOCK, 5 },
		/* lock btsl $0x25,(%rdi): imm8 taken modulo the operand size */
		{ "bts imm mod", B(0xf0, 0x0f, 0xba, 0x2f, 0x25), EMU_BTS, 4, 5, di, 0x25, NOREG, 0,
		  EMU_PFX_LOCK, 5 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

/* A register bit offset is signed and selects the operand unit it lands in. */
static void test_bt_register_offsets(void **state)
{
	static const uint8_t btsq[] = { 0xf0, 0x48, 0x0f, 0xab, 0x07 }; /* lock bts %rax,(%rdi) */
	static const uint8_t btrq[] = { 0xf0, 0x48, 0x0f, 0xb3, 0x07 }; /* lock btr %rax,(%rdi) */
	static const uint8_t btsl[] = { 0xf0, 0x0f, 0xab, 0x07 };       /* lock bts %eax,(%rdi) */
	static const uint8_t btsw[] = { 0x66, 0x0f, 0xab, 0x07 };       /* bts %ax,(%rdi) */
	struct emu_insn in;

	(void)state;
	regs.gpr[GPR_RAX] = 3;
	assert_int_equal(emu_decode(btsq, sizeof(btsq), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.op, EMU_BTS);
	assert_int_equal(in.lin, 0x100000);
	assert_int_equal(in.bit, 3);

	regs.gpr[GPR_RAX] = 64 * 5 + 9; /* 6th qword, bit 9 */
	assert_int_equal(emu_decode(btrq, sizeof(btrq), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.op, EMU_BTR);
	assert_int_equal(in.lin, 0x100000 + 40);
	assert_int_equal(in.bit, 9);

	regs.gpr[GPR_RAX] = (uint64_t)-1; /* the last bit of the qword before */
	assert_int_equal(emu_decode(btsq, sizeof(btsq), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.lin, 0x100000 - 8);
	assert_int_equal(in.bit, 63);

	/* 32-bit: the offset is EAX, signed; upper RAX bits play no part. */
	regs.gpr[GPR_RAX] = 0x12345678ffffffe0ull; /* EAX = -32 */
	assert_int_equal(emu_decode(btsl, sizeof(btsl), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.lin, 0x100000 - 4);
	assert_int_equal(in.bit, 0);

	regs.gpr[GPR_RAX] = 0x21; /* word 2, bit 1 */
	assert_int_equal(emu_decode(btsw, sizeof(btsw), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.size, 2);
	assert_int_equal(in.lin, 0x100004);
	assert_int_equal(in.bit, 1);
}

static void test_stos(void **state)
{
	const uint64_t di = 0x100000, rax = 0x1122334455667788ull;
	const struct good t[] = {
		/* rep stos %rax,%es:(%rdi) */
		{ "rep stosq", B(0xf3, 0x48, 0xab), EMU_STOS, 8, 3, di, rax, GPR_RAX, 0, EMU_PFX_REP,
		  0 },
		/* rep stos %eax,%es:(%rdi) */
		{ "rep stosd", B(0xf3, 0xab), EMU_STOS, 4, 2, di, 0x55667788, GPR_RAX, 0,
		  EMU_PFX_REP, 0 },
		/* rep stos %al,%es:(%rdi) */
		{ "rep stosb", B(0xf3, 0xaa), EMU_STOS, 1, 2, di, 0x88, GPR_RAX, 0, EMU_PFX_REP, 0 },
		/* stos %rax,%es:(%rdi) */
		{ "stosq", B(0x48, 0xab), EMU_STOS, 8, 2, di, rax, GPR_RAX, 0, 0, 0 },
		/* stos %ax,%es:(%rdi) */
		{ "stosw", B(0x66, 0xab), EMU_STOS, 2, 2, di, 0x7788, GPR_RAX, 0, EMU_PFX_OPSIZE, 0 },
		/* rep stos %ax,%es:(%rdi) */
		{ "rep stosw", B(0xf3, 0x66, 0xab), EMU_STOS, 2, 3, di, 0x7788, GPR_RAX, 0,
		  EMU_PFX_REP | EMU_PFX_OPSIZE, 0 },
		/* fs rep stos: ES cannot be overridden, the FS base must not apply */
		{ "fs stosq", B(0x64, 0xf3, 0x48, 0xab), EMU_STOS, 8, 4, di, rax, GPR_RAX, 0,
		  EMU_PFX_REP, 0 },
	};

	(void)state;
	run_table(t, sizeof(t) / sizeof(t[0]));
}

/* ------------------------------------------------------------ refusals */

struct bad {
	const char *what;
	const uint8_t *bytes;
	size_t n;
	int err;
	unsigned err_at;
};

static void test_refusals(void **state)
{
	const struct bad t[] = {
		/* mov %rax,%rax */
		{ "register dest", B(0x48, 0x89, 0xc0), EMU_ERR_NO_MEMORY, 2 },
		/* vmmcall */
		{ "vmmcall", B(0x0f, 0x01, 0xd9), EMU_ERR_UNSUPPORTED, 1 },
		/* add %rax,(%rdi) */
		{ "add", B(0x48, 0x01, 0x07), EMU_ERR_UNSUPPORTED, 1 },
		/* lock xadd %rax,(%rdi) */
		{ "xadd", B(0xf0, 0x48, 0x0f, 0xc1, 0x07), EMU_ERR_UNSUPPORTED, 3 },
		/* lock mov %rax,(%rdi): #UD on a CPU */
		{ "lock mov", B(0xf0, 0x48, 0x89, 0x07), EMU_ERR_INVALID, 2 },
		/* lock stos: #UD */
		{ "lock stos", B(0xf0, 0x48, 0xab), EMU_ERR_INVALID, 2 },
		/* lock or %rax,%rax: #UD */
		{ "lock reg", B(0xf0, 0x48, 0x09, 0xc0), EMU_ERR_INVALID, 3 },
		/* addb $0x1,(%rdi): group 1 /0 */
		{ "group1 add", B(0x80, 0x07, 0x01), EMU_ERR_UNSUPPORTED, 1 },
		/* xorq $1,(%rdi): group 1 /6 */
		{ "group1 xor", B(0x48, 0x83, 0x37, 0x01), EMU_ERR_UNSUPPORTED, 2 },
		/* lock btcq $1,(%rdi): group 8 /7 */
		{ "btc", B(0xf0, 0x48, 0x0f, 0xba, 0x3f, 0x01), EMU_ERR_UNSUPPORTED, 4 },
		/* xbegin */
		{ "xbegin", B(0xc7, 0xf8, 0, 0, 0, 0), EMU_ERR_UNSUPPORTED, 1 },
		/* repnz stos */
		{ "repnz stos", B(0xf2, 0xab), EMU_ERR_UNSUPPORTED, 1 },
		/* xrelease mov %rax,(%rdi) */
		{ "xrelease", B(0xf3, 0x48, 0x89, 0x07), EMU_ERR_UNSUPPORTED, 2 },
		/* mov (%rdi),%rax: a load */
		{ "load", B(0x48, 0x8b, 0x07), EMU_ERR_UNSUPPORTED, 1 },
		/* addr32 rep stos */
		{ "stos a32", B(0x67, 0xf3, 0x48, 0xab), EMU_ERR_UNSUPPORTED, 3 },
		/* 66 movnti: #UD */
		{ "66 movnti", B(0x66, 0x0f, 0xc3, 0x07), EMU_ERR_INVALID, 2 },
		/* movnti to a register: #UD */
		{ "movnti reg", B(0x0f, 0xc3, 0xc0), EMU_ERR_INVALID, 2 },
		/* truncated: modrm missing */
		{ "trunc modrm", B(0x48, 0x89), EMU_ERR_TRUNCATED, 2 },
		/* truncated: SIB missing */
		{ "trunc sib", B(0x48, 0x89, 0x04), EMU_ERR_TRUNCATED, 3 },
		/* truncated: disp32 cut short */
		{ "trunc disp", B(0x48, 0x89, 0x05, 0x10, 0x00), EMU_ERR_TRUNCATED, 5 },
		/* truncated: immediate cut short */
		{ "trunc imm", B(0xc7, 0x07, 0x78, 0x56), EMU_ERR_TRUNCATED, 4 },
		/* truncated: only prefixes */
		{ "trunc prefix", B(0xf0, 0x48), EMU_ERR_TRUNCATED, 2 },
		/* 14 prefixes + 89 07 = 16 bytes: #GP on a CPU */
		{ "too long", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				0x66, 0x66, 0x89, 0x07), EMU_ERR_INVALID, 14 },
		/* 15 bytes exactly is fine below; 15 given, cut in the modrm */
		{ "15 given, 16 needed", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					   0x66, 0x66, 0x66, 0x89, 0x45), EMU_ERR_INVALID, 14 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct emu_insn in;
		int err = emu_decode(t[i].bytes, t[i].n, &regs, &segs, &in);

		if (err != t[i].err || in.err_at != t[i].err_at)
			fail_msg("%s: err %d at %u, want %d at %u", t[i].what, err, in.err_at,
				 t[i].err, t[i].err_at);
		assert_int_equal(in.nraw, t[i].n < 15 ? t[i].n : 15);
		assert_memory_equal(in.raw, t[i].bytes, in.nraw);
	}
}

static void test_max_length_ok(void **state)
{
	/* 13 prefixes + 89 07 = 15 bytes: legal. */
	static const uint8_t b[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				     0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x07 };
	struct emu_insn in;

	(void)state;
	assert_int_equal(emu_decode(b, sizeof(b), &regs, &segs, &in), EMU_OK);
	assert_int_equal(in.len, 15);
	assert_int_equal(in.size, 2);
}

static void test_error_line(void **state)
{
	static const uint8_t b[] = { 0x0f, 0x01, 0xd9 };
	struct emu_insn in;
	char line[128], tiny[12];
	int err;

	(void)state;
	err = emu_decode(b, sizeof(b), &regs, &segs, &in);
	assert_int_equal(err, EMU_ERR_UNSUPPORTED);
	emu_format_error(line, sizeof(line), err, &in);
	assert_string_equal(line, "unsupported instruction 0f 01 d9 (byte 1)");

	/* Truncated to the buffer, always NUL-terminated. */
	assert_int_equal(emu_format_error(tiny, sizeof(tiny), err, &in), 11);
	assert_string_equal(tiny, "unsupported");

	emu_format_error(line, sizeof(line), EMU_ERR_MEM, &in);
	assert_string_equal(line, "guest memory access failed for instruction 0f 01 d9");
}

static void test_op_names(void **state)
{
	static const uint8_t b[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x17 };
	static const uint8_t s[] = { 0xf3, 0x48, 0xab };
	struct emu_insn in;

	(void)state;
	assert_int_equal(emu_decode(b, sizeof(b), &regs, &segs, &in), EMU_OK);
	assert_string_equal(emu_op_name(&in), "lock cmpxchg");
	assert_int_equal(emu_decode(s, sizeof(s), &regs, &segs, &in), EMU_OK);
	assert_string_equal(emu_op_name(&in), "rep stos");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mov_register_sources, setup),
		cmocka_unit_test_setup(test_addressing_forms, setup),
		cmocka_unit_test_setup(test_address_size_32, setup),
		cmocka_unit_test_setup(test_mov_immediates, setup),
		cmocka_unit_test_setup(test_xchg_cmpxchg, setup),
		cmocka_unit_test_setup(test_and_or, setup),
		cmocka_unit_test_setup(test_bts_btr, setup),
		cmocka_unit_test_setup(test_bt_register_offsets, setup),
		cmocka_unit_test_setup(test_stos, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_max_length_ok, setup),
		cmocka_unit_test_setup(test_error_line, setup),
		cmocka_unit_test_setup(test_op_names, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
