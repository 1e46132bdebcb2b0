/* Unit tests: emu_decode_sys(), the lengths and operands of exiting
 * instructions for a CPU without NRIP save or decode assists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "emu/decode.h"

static struct emu_regs regs;

static struct emu_insn dec(const u8 *b, size_t n, bool long64, int want_err)
{
	struct emu_insn in;
	assert_int_equal(emu_decode_sys(b, n, long64, &regs, &in), want_err);
	return in;
}

static void test_lengths(void **s)
{
	static const struct { u8 b[6]; u8 n, len; } t[] = {
		{ { 0xf4 }, 1, 1 },                   /* hlt */
		{ { 0xf3, 0x90 }, 2, 2 },             /* pause */
		{ { 0x0f, 0xa2 }, 2, 2 },             /* cpuid */
		{ { 0x0f, 0x32 }, 2, 2 },             /* rdmsr */
		{ { 0x0f, 0x30 }, 2, 2 },             /* wrmsr */
		{ { 0x0f, 0x09 }, 2, 2 },             /* wbinvd */
		{ { 0x0f, 0x01, 0xd9 }, 3, 3 },       /* vmmcall */
		{ { 0x0f, 0x01, 0xc9 }, 3, 3 },       /* mwait */
		{ { 0x48, 0x0f, 0x32 }, 3, 3 },       /* rex.w rdmsr */
		{ { 0x66, 0x2e, 0x0f, 0xa2 }, 4, 4 }, /* prefixes count */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct emu_insn in = dec(t[i].b, t[i].n, true, EMU_OK);
		assert_int_equal(in.len, t[i].len);
		assert_int_equal(in.op, EMU_SYS);
	}
	static const u8 vmcall[] = { 0x0f, 0x01, 0xc1 };
	struct emu_insn in = dec(vmcall, 3, true, EMU_OK);
	assert_int_equal(in.op, EMU_HYPERCALL);
	assert_int_equal(in.len, 3);
}

static void test_mov_cr(void **s)
{
	regs.gpr[GPR_RBX] = 0x80010033;
	static const u8 to_cr0[] = { 0x0f, 0x22, 0xc3 }; /* mov cr0, rbx */
	struct emu_insn in = dec(to_cr0, 3, true, EMU_OK);
	assert_int_equal(in.op, EMU_MOV_TO_CR);
	assert_int_equal(in.cr, 0);
	assert_int_equal(in.src_reg, GPR_RBX);
	assert_int_equal(in.src, 0x80010033);
	assert_int_equal(in.len, 3);
	static const u8 from_cr3_r13[] = { 0x41, 0x0f, 0x20, 0xdd }; /* mov r13, cr3 */
	in = dec(from_cr3_r13, 4, true, EMU_OK);
	assert_int_equal(in.op, EMU_MOV_FROM_CR);
	assert_int_equal(in.cr, 3);
	assert_int_equal(in.src_reg, GPR_R13);
	assert_int_equal(in.len, 4);
	static const u8 to_cr8[] = { 0x44, 0x0f, 0x22, 0xc0 }; /* mov cr8, rax (REX.R) */
	assert_int_equal(dec(to_cr8, 4, true, EMU_OK).cr, 8);
	/* outside 64-bit mode 0x41 is INC ECX, not a REX: not an exiting instruction */
	dec(from_cr3_r13, 4, false, EMU_ERR_UNSUPPORTED);
	static const u8 from_cr4_32[] = { 0x0f, 0x20, 0xe0 }; /* mov eax, cr4 */
	in = dec(from_cr4_32, 3, false, EMU_OK);
	assert_int_equal(in.cr, 4);
	assert_int_equal(in.src_reg, GPR_RAX);
	assert_int_equal(in.size, 4);
}

static void test_clts_lmsw(void **s)
{
	static const u8 clts[] = { 0x0f, 0x06 };
	struct emu_insn in = dec(clts, 2, true, EMU_OK);
	assert_int_equal(in.op, EMU_CLTS);
	assert_int_equal(in.len, 2);
	regs.gpr[GPR_RDX] = 0xabcd000f;
	static const u8 lmsw_dx[] = { 0x0f, 0x01, 0xf2 }; /* lmsw dx */
	in = dec(lmsw_dx, 3, true, EMU_OK);
	assert_int_equal(in.op, EMU_LMSW);
	assert_int_equal(in.src, 0x000f);
	static const u8 lmsw_mem[] = { 0x0f, 0x01, 0x30 }; /* lmsw [rax]: not emulated */
	dec(lmsw_mem, 3, true, EMU_ERR_UNSUPPORTED);
}

static void test_invlpg(void **s)
{
	regs.gpr[GPR_RAX] = 0xffff888000123000ull;
	regs.gpr[GPR_RDI] = 0x1000;
	regs.gpr[GPR_RCX] = 3;
	regs.rip = 0x100000;
	static const u8 invlpg_rax[] = { 0x0f, 0x01, 0x38 }; /* invlpg [rax] */
	struct emu_insn in = dec(invlpg_rax, 3, true, EMU_OK);
	assert_int_equal(in.op, EMU_INVLPG);
	assert_int_equal(in.lin, 0xffff888000123000ull);
	assert_int_equal(in.len, 3);
	static const u8 invlpg_sib[] = { 0x0f, 0x01, 0x7c, 0xcf, 0x10 }; /* invlpg [rdi+rcx*8+0x10] */
	in = dec(invlpg_sib, 5, true, EMU_OK);
	assert_int_equal(in.lin, 0x1000 + 3 * 8 + 0x10);
	assert_int_equal(in.len, 5);
	static const u8 invlpg_rip[] = { 0x0f, 0x01, 0x3d, 0x00, 0x10, 0x00, 0x00 }; /* [rip+0x1000] */
	in = dec(invlpg_rip, 7, true, EMU_OK);
	assert_int_equal(in.lin, 0x100000 + 7 + 0x1000);
	/* invlpg with a register operand does not exist (it is SWAPGS/RDTSCP space) */
	static const u8 swapgs[] = { 0x0f, 0x01, 0xf8 };
	dec(swapgs, 3, true, EMU_ERR_UNSUPPORTED);
	/* truncated input: the next page did not translate */
	dec(invlpg_sib, 3, true, EMU_ERR_TRUNCATED);
}

static void test_refused(void **s)
{
	static const u8 mov[] = { 0x48, 0x89, 0x07 }; /* mov [rdi], rax: no exit of ours */
	dec(mov, 3, true, EMU_ERR_UNSUPPORTED);
	static const u8 ud2[] = { 0x0f, 0x0b };
	dec(ud2, 2, true, EMU_ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_mov_cr),
		cmocka_unit_test(test_clts_lmsw),
		cmocka_unit_test(test_invlpg),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
