/*
 * test_emu_emulate.c - executing page-table writes (hv/emu/emulate.c).
 *
 * Guest memory is a 16 KiB buffer seen at guest-linear 0xff000..0x103000;
 * the callbacks log every qword written (address, old, new), which is what
 * the glue would hand to Antfarm.  Expected flag values are worked out from
 * the SDM's definitions in the comments next to them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/emulate.h"

#define LIN0 0xff000ull
#define MEM_SIZE 0x4000
#define P1 0x100000ull /* the page most tests write */
#define RIP0 0xffffffff81234000ull

static uint8_t mem[MEM_SIZE];
static struct {
	uint64_t lin, old, new_val;
} wlog[1024];
static unsigned nw, nr, insn_first; /* insn_first: wlog index where the current instruction starts */
static uint64_t fail_read_at = ~0ull, fail_write_at = ~0ull;
static struct emu_regs regs;
static const struct emu_segs segs = { 0, 0 };

static bool rd(void *ctx, uint64_t lin, uint64_t *val)
{
	(void)ctx;
	assert_int_equal(lin & 7, 0);
	if (lin == fail_read_at || lin < LIN0 || lin - LIN0 > MEM_SIZE - 8)
		return false;
	memcpy(val, mem + (lin - LIN0), 8);
	nr++;
	return true;
}

static bool wr(void *ctx, uint64_t lin, uint64_t old, uint64_t new_val)
{
	uint64_t cur;

	(void)ctx;
	assert_int_equal(lin & 7, 0);
	if (lin == fail_write_at || lin < LIN0 || lin - LIN0 > MEM_SIZE - 8)
		return false;
	/* old must be what memory holds: nothing else writes in between. */
	memcpy(&cur, mem + (lin - LIN0), 8);
	assert_int_equal(cur, old);
	memcpy(mem + (lin - LIN0), &new_val, 8);
	assert_true(nw < 1024);
	if (nw > insn_first)
		assert_true(lin > wlog[nw - 1].lin); /* ascending, each qword once */
	wlog[nw].lin = lin;
	wlog[nw].old = old;
	wlog[nw].new_val = new_val;
	nw++;
	return true;
}

static const struct emu_mem mops = { rd, wr, NULL };

static uint64_t q(uint64_t lin)
{
	uint64_t v;

	memcpy(&v, mem + (lin - LIN0), 8);
	return v;
}

static void setq(uint64_t lin, uint64_t v)
{
	memcpy(mem + (lin - LIN0), &v, 8);
}

static int setup(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < MEM_SIZE; i++)
		mem[i] = (uint8_t)(i * 7 + 1);
	nw = nr = insn_first = 0;
	fail_read_at = fail_write_at = ~0ull;
	memset(&regs, 0, sizeof(regs));
	regs.gpr[GPR_RAX] = 0x1122334455667788ull;
	regs.gpr[GPR_RDX] = 0x8877665544332211ull;
	regs.gpr[GPR_RDI] = P1;
	regs.rip = RIP0;
	regs.rflags = 0x2;
	return 0;
}

/* Decode and execute bytes, with the fault at the operand's first byte. */
static int run(const uint8_t *b, size_t n)
{
	struct emu_insn in;
	int err = emu_decode(b, n, &regs, &segs, &in);

	insn_first = nw;
	if (err)
		return err;
	return emu_execute(&in, &regs, &mops);
}

#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

#define STATUS RFLAGS_STATUS

/* ------------------------------------------------------------ MOV */

static void test_mov_qword(void **state)
{
	(void)state;
	setq(P1, 0x0000000012345067ull);
	/* mov %rax,(%rdi) */
	assert_int_equal(RUN(0x48, 0x89, 0x07), EMU_OK);
	assert_int_equal(q(P1), 0x1122334455667788ull);
	assert_int_equal(nw, 1);
	assert_int_equal(wlog[0].lin, P1);
	assert_int_equal(wlog[0].old, 0x0000000012345067ull);
	assert_int_equal(wlog[0].new_val, 0x1122334455667788ull);
	assert_int_equal(regs.rip, RIP0 + 3);
	assert_int_equal(regs.rflags, 0x2);
	assert_int_equal(regs.gpr[GPR_RAX], 0x1122334455667788ull);
}

/* A byte store is reported as the whole qword around it. */
static void test_mov_byte_splices(void **state)
{
	(void)state;
	setq(P1, 0x0706050403020100ull);
	regs.gpr[GPR_RDI] = P1 + 3;
	/* mov %ah,(%rdi) */
	assert_int_equal(RUN(0x88, 0x27), EMU_OK);
	assert_int_equal(q(P1), 0x0706050477020100ull);
	assert_int_equal(nw, 1);
	assert_int_equal(wlog[0].lin, P1);
	assert_int_equal(wlog[0].old, 0x0706050403020100ull);
	assert_int_equal(wlog[0].new_val, 0x0706050477020100ull);
}

/* A misaligned dword across two qwords: both reported, ascending. */
static void test_mov_across_qwords(void **state)
{
	(void)state;
	setq(P1, 0);
	setq(P1 + 8, 0);
	regs.gpr[GPR_RDI] = P1 + 6;
	/* movl $0x12345678,(%rdi) */
	assert_int_equal(RUN(0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), EMU_OK);
	assert_int_equal(nw, 2);
	assert_int_equal(wlog[0].new_val, 0x5678000000000000ull);
	assert_int_equal(wlog[1].new_val, 0x0000000000001234ull);
	assert_int_equal(regs.rip, RIP0 + 6);
}

static void test_mov_imm_sign_extended(void **state)
{
	(void)state;
	/* movq $0xffffffffffffffff,(%rdi) */
	assert_int_equal(RUN(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), EMU_OK);
	assert_int_equal(q(P1), ~0ull);
	/* movw $0x1234,0x8(%rdi)... via 66 c7 47 08 34 12 */
	setq(P1 + 8, 0);
	assert_int_equal(RUN(0x66, 0xc7, 0x47, 0x08, 0x34, 0x12), EMU_OK);
	assert_int_equal(q(P1 + 8), 0x1234);
	assert_int_equal(regs.rip, RIP0 + 7 + 6);
}

static void test_movnti(void **state)
{
	(void)state;
	/* movnti %eax,(%rdi) */
	setq(P1, 0xffffffffffffffffull);
	assert_int_equal(RUN(0x0f, 0xc3, 0x07), EMU_OK);
	assert_int_equal(q(P1), 0xffffffff55667788ull);
}

/* ------------------------------------------------------------ XCHG */

static void test_xchg(void **state)
{
	(void)state;
	setq(P1, 0x8000000012345067ull);
	/* xchg %rax,(%rdi): ptep_get_and_clear with RAX = 0 */
	regs.gpr[GPR_RAX] = 0;
	regs.rflags = 0x2 | RFLAGS_ZF | RFLAGS_CF;
	assert_int_equal(RUN(0x48, 0x87, 0x07), EMU_OK);
	assert_int_equal(q(P1), 0);
	assert_int_equal(regs.gpr[GPR_RAX], 0x8000000012345067ull);
	assert_int_equal(wlog[0].old, 0x8000000012345067ull);
	assert_int_equal(wlog[0].new_val, 0);
	assert_int_equal(regs.rflags, 0x2 | RFLAGS_ZF | RFLAGS_CF); /* no flags */
	assert_int_equal(regs.rip, RIP0 + 3);

	/* xchg %edx,(%rdi) (87 17): a 32-bit register write zero-extends */
	setq(P1, 0xaaaaaaaabbbbbbbbull);
	regs.gpr[GPR_RDX] = 0xffffffff00000001ull;
	assert_int_equal(RUN(0x87, 0x17), EMU_OK);
	assert_int_equal(q(P1), 0xaaaaaaaa00000001ull);
	assert_int_equal(regs.gpr[GPR_RDX], 0xbbbbbbbbull);

	/* xchg %ah,(%rdi): only bits 15:8 of RAX change */
	setq(P1, 0x11);
	regs.gpr[GPR_RAX] = 0xffffffffffff22ffull;
	assert_int_equal(RUN(0x86, 0x27), EMU_OK);
	assert_int_equal(q(P1), 0x22);
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffffffff11ffull);
}

/* A misaligned read-modify-write reads its value out of two qwords. */
static void test_rmw_across_qwords(void **state)
{
	(void)state;
	setq(P1, 0x0706050403020100ull);
	setq(P1 + 8, 0x0f0e0d0c0b0a0908ull);
	regs.gpr[GPR_RDI] = P1 + 4;
	regs.gpr[GPR_RAX] = 0xaaaaaaaabbbbbbbbull;
	/* xchg %rax,(%rdi) */
	assert_int_equal(RUN(0x48, 0x87, 0x07), EMU_OK);
	assert_int_equal(regs.gpr[GPR_RAX], 0x0b0a090807060504ull);
	assert_int_equal(q(P1), 0xbbbbbbbb03020100ull);
	assert_int_equal(q(P1 + 8), 0x0f0e0d0caaaaaaaaull);
	assert_int_equal(nw, 2);
}

/* ------------------------------------------------------------ CMPXCHG */

static void test_cmpxchg_success(void **state)
{
	(void)state;
	setq(P1, 0x0000000012345067ull);
	regs.gpr[GPR_RAX] = 0x0000000012345067ull;
	regs.gpr[GPR_RDX] = 0x0000000012345065ull;
	regs.rflags = 0x2 | RFLAGS_CF | RFLAGS_SF | RFLAGS_OF | RFLAGS_AF;
	/* lock cmpxchg %rdx,(%rdi) */
	assert_int_equal(RUN(0xf0, 0x48, 0x0f, 0xb1, 0x17), EMU_OK);
	assert_int_equal(q(P1), 0x0000000012345065ull);
	assert_int_equal(regs.gpr[GPR_RAX], 0x0000000012345067ull);
	/* equal: a - b = 0, so ZF PF set, CF OF SF AF clear */
	assert_int_equal(regs.rflags & STATUS, RFLAGS_ZF | RFLAGS_PF);
	assert_int_equal(regs.rip, RIP0 + 5);
	assert_int_equal(nw, 1);
}

static void test_cmpxchg_failure(void **state)
{
	(void)state;
	setq(P1, 2);
	regs.gpr[GPR_RAX] = 1;
	regs.gpr[GPR_RDX] = 0x99;
	/* lock cmpxchg %rdx,(%rdi): 1 - 2 = -1: CF SF AF PF, not ZF OF */
	assert_int_equal(RUN(0xf0, 0x48, 0x0f, 0xb1, 0x17), EMU_OK);
	assert_int_equal(q(P1), 2);
	assert_int_equal(regs.gpr[GPR_RAX], 2);
	assert_int_equal(regs.rflags & STATUS, RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	/* the CPU writes the old value back; the glue sees old == new */
	assert_int_equal(nw, 1);
	assert_int_equal(wlog[0].old, 2);
	assert_int_equal(wlog[0].new_val, 2);

	/* 32-bit failure: EAX loaded, upper RAX cleared. */
	setq(P1, 0xdddddddd00000005ull);
	regs.gpr[GPR_RAX] = 0xffffffff00000007ull;
	/* lock cmpxchg %edx,(%rdi) */
	assert_int_equal(RUN(0xf0, 0x0f, 0xb1, 0x17), EMU_OK);
	assert_int_equal(regs.gpr[GPR_RAX], 5);
	/* 7 - 5 = 2: nothing but... PF? 0x02 has one bit: odd, PF clear */
	assert_int_equal(regs.rflags & STATUS, 0);

	/* 32-bit success: RAX untouched, upper half included. */
	setq(P1, 0xdddddddd00000005ull);
	regs.gpr[GPR_RAX] = 0xffffffff00000005ull;
	regs.gpr[GPR_RDX] = 0x77;
	assert_int_equal(RUN(0xf0, 0x0f, 0xb1, 0x17), EMU_OK);
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffff00000005ull);
	assert_int_equal(q(P1), 0xdddddddd00000077ull);
}

static void test_cmpxchg_byte_overflow(void **state)
{
	(void)state;
	/* AL = 0x80, mem = 0x01: 0x80 - 0x01 = 0x7f overflows (neg - pos = pos):
	 * OF set; CF clear (0x80 >= 1); SF clear; AF set (borrow from bit 4:
	 * 0x80 ^ 0x01 ^ 0x7f = 0xfe); PF clear (0x7f has 7 ones). */
	setq(P1, 0xaaaaaaaaaaaaaa01ull);
	regs.gpr[GPR_RAX] = 0x1234567812345680ull;
	regs.gpr[GPR_RCX] = 0x33;
	/* lock cmpxchg %cl,(%rdi) */
	assert_int_equal(RUN(0xf0, 0x0f, 0xb0, 0x0f), EMU_OK);
	assert_int_equal(regs.rflags & STATUS, RFLAGS_OF | RFLAGS_AF);
	assert_int_equal(regs.gpr[GPR_RAX], 0x1234567812345601ull); /* AL only */
	assert_int_equal(q(P1), 0xaaaaaaaaaaaaaa01ull);
}

/* ------------------------------------------------------------ AND / OR */

static void test_and_or_flags(void **state)
{
	(void)state;
	/* lock andb $0xfd,(%rdi): clear _PAGE_RW in byte 0 of a PTE */
	setq(P1, 0x8000000012345067ull);
	regs.rflags = 0x2 | RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF;
	assert_int_equal(RUN(0xf0, 0x80, 0x27, 0xfd), EMU_OK);
	assert_int_equal(q(P1), 0x8000000012345065ull);
	assert_int_equal(wlog[0].old, 0x8000000012345067ull);
	assert_int_equal(wlog[0].new_val, 0x8000000012345065ull);
	/* result byte 0x65 = 0110 0101: 4 ones, PF set; not zero; SF clear */
	assert_int_equal(regs.rflags & (STATUS & ~RFLAGS_AF), RFLAGS_PF);
	assert_int_equal(regs.rip, RIP0 + 4);

	/* lock and %rax,(%rdi) down to zero: ZF PF set */
	regs.gpr[GPR_RAX] = 0x0fffffffedcbaf98ull;
	regs.rflags = 0x2 | RFLAGS_CF | RFLAGS_OF;
	assert_int_equal(RUN(0xf0, 0x48, 0x21, 0x07), EMU_OK);
	assert_int_equal(q(P1), 0);
	assert_int_equal(regs.rflags & (STATUS & ~RFLAGS_AF), RFLAGS_ZF | RFLAGS_PF);

	/* lock orq $0xffffffff80000000,(%rdi): SF from bit 63 */
	assert_int_equal(RUN(0xf0, 0x48, 0x81, 0x0f, 0x00, 0x00, 0x00, 0x80), EMU_OK);
	assert_int_equal(q(P1), 0xffffffff80000000ull);
	assert_int_equal(regs.rflags & (STATUS & ~RFLAGS_AF), RFLAGS_SF | RFLAGS_PF);

	/* lock or %al,(%rdi) on byte 1 (08 47 01): SF from bit 7 of the byte */
	setq(P1, 0);
	regs.gpr[GPR_RAX] = 0x81;
	assert_int_equal(RUN(0xf0, 0x08, 0x47, 0x01), EMU_OK);
	assert_int_equal(q(P1), 0x8100);
	assert_int_equal(regs.rflags & (STATUS & ~RFLAGS_AF), RFLAGS_SF | RFLAGS_PF);

	/* orw $0x1234,(%rdi): 16-bit, odd parity of 0x34 (3 ones) */
	setq(P1, 0xffff000000000000ull);
	assert_int_equal(RUN(0x66, 0x81, 0x0f, 0x34, 0x12), EMU_OK);
	assert_int_equal(q(P1), 0xffff000000001234ull);
	assert_int_equal(regs.rflags & (STATUS & ~RFLAGS_AF), 0);
}

/* ------------------------------------------------------------ BTS / BTR */

static void test_bts_btr(void **state)
{
	(void)state;
	setq(P1, 0x8000000000000001ull);
	regs.rflags = 0x2 | RFLAGS_ZF | RFLAGS_CF;
	/* lock btsq $0x1,(%rdi): bit was clear */
	assert_int_equal(RUN(0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x01), EMU_OK);
	assert_int_equal(q(P1), 0x8000000000000003ull);
	assert_int_equal(regs.rflags & (RFLAGS_CF | RFLAGS_ZF), RFLAGS_ZF); /* ZF untouched */
	assert_int_equal(regs.rip, RIP0 + 6);

	/* lock btrq $0x3f,(%rdi): bit was set */
	assert_int_equal(RUN(0xf0, 0x48, 0x0f, 0xba, 0x37, 0x3f), EMU_OK);
	assert_int_equal(q(P1), 0x0000000000000003ull);
	assert_true(regs.rflags & RFLAGS_CF);

	/* lock btr %rax,(%rdi) with bit 0 of the next qword... RAX = 64 */
	setq(P1 + 8, 0xff);
	regs.gpr[GPR_RAX] = 64;
	assert_int_equal(RUN(0xf0, 0x48, 0x0f, 0xb3, 0x07), EMU_OK);
	assert_int_equal(q(P1 + 8), 0xfe);
	assert_int_equal(q(P1), 3);
	assert_true(regs.rflags & RFLAGS_CF);
	assert_int_equal(wlog[nw - 1].lin, P1 + 8);

	/* lock bts %eax,(%rdi) with EAX = -1: bit 31 of the dword below */
	setq(P1 - 8, 0);
	regs.gpr[GPR_RAX] = 0xffffffff;
	assert_int_equal(RUN(0xf0, 0x0f, 0xab, 0x07), EMU_OK);
	assert_int_equal(q(P1 - 8), 0x8000000000000000ull);
	assert_false(regs.rflags & RFLAGS_CF);

	/* setting a set bit still writes (same value) and sets CF */
	nw = 0;
	assert_int_equal(RUN(0xf0, 0x0f, 0xab, 0x07), EMU_OK);
	assert_int_equal(nw, 1);
	assert_int_equal(wlog[0].old, wlog[0].new_val);
	assert_true(regs.rflags & RFLAGS_CF);
}

/* ------------------------------------------------------------ STOS */

static void test_rep_stosq(void **state)
{
	unsigned i;

	(void)state;
	regs.gpr[GPR_RCX] = 4;
	regs.gpr[GPR_RAX] = 0;
	/* rep stos %rax,%es:(%rdi) */
	assert_int_equal(RUN(0xf3, 0x48, 0xab), EMU_OK);
	assert_int_equal(nw, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(wlog[i].lin, P1 + 8 * i);
		assert_int_equal(q(P1 + 8 * i), 0);
		assert_int_not_equal(wlog[i].old, 0);
	}
	assert_int_not_equal(q(P1 + 32), 0); /* stops after RCX elements */
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 32);
	assert_int_equal(regs.rip, RIP0 + 3);
}

/* A REP STOS stops at the end of the faulting page and leaves RIP alone;
 * the second call (the re-executed instruction faulting on the next page)
 * finishes it. */
static void test_rep_stosq_page_end(void **state)
{
	(void)state;
	regs.gpr[GPR_RDI] = P1 + 0xff0;
	regs.gpr[GPR_RCX] = 10;
	regs.gpr[GPR_RAX] = 0x5555;
	assert_int_equal(RUN(0xf3, 0x48, 0xab), EMU_OK);
	assert_int_equal(nw, 2);
	assert_int_equal(regs.gpr[GPR_RCX], 8);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 0x1000);
	assert_int_equal(regs.rip, RIP0);
	assert_int_not_equal(q(P1 + 0x1000), 0x5555);

	assert_int_equal(RUN(0xf3, 0x48, 0xab), EMU_OK);
	assert_int_equal(nw, 10);
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 0x1040);
	assert_int_equal(regs.rip, RIP0 + 3);
	assert_int_equal(q(P1 + 0x1038), 0x5555);
}

/* clear_page with REP STOSB (ERMS): a whole page in 512 qword writes. */
static void test_rep_stosb_page(void **state)
{
	unsigned i;

	(void)state;
	regs.gpr[GPR_RCX] = 4096;
	regs.gpr[GPR_RAX] = 0xffffffffffffff00ull; /* AL = 0 */
	assert_int_equal(RUN(0xf3, 0xaa), EMU_OK);
	assert_int_equal(nw, 512);
	for (i = 0; i < 4096; i += 8)
		assert_int_equal(q(P1 + i), 0);
	assert_int_not_equal(q(P1 - 8), 0);
	assert_int_not_equal(q(P1 + 4096), 0);
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 4096);
	assert_int_equal(regs.rip, RIP0 + 2);
}

/* Misaligned bytes: only the bytes in range change. */
static void test_rep_stosb_partial(void **state)
{
	(void)state;
	setq(P1, 0x0706050403020100ull);
	setq(P1 + 8, 0x0f0e0d0c0b0a0908ull);
	regs.gpr[GPR_RDI] = P1 + 5;
	regs.gpr[GPR_RCX] = 5;
	regs.gpr[GPR_RAX] = 0xee;
	assert_int_equal(RUN(0xf3, 0xaa), EMU_OK);
	assert_int_equal(q(P1), 0xeeeeee0403020100ull);
	assert_int_equal(q(P1 + 8), 0x0f0e0d0c0b0aeeeeull);
	assert_int_equal(nw, 2);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 10);
}

/* DF = 1: elements go down from RDI. */
static void test_rep_stosd_backwards(void **state)
{
	(void)state;
	setq(P1, 0);
	setq(P1 + 8, 0);
	setq(P1 + 16, 0);
	regs.rflags = 0x2 | RFLAGS_DF;
	regs.gpr[GPR_RDI] = P1 + 0x10;
	regs.gpr[GPR_RCX] = 3;
	regs.gpr[GPR_RAX] = 0xaabbccdd;
	/* rep stos %eax,%es:(%rdi): dwords at +0x10, +0xc, +0x8 */
	assert_int_equal(RUN(0xf3, 0xab), EMU_OK);
	assert_int_equal(q(P1), 0);
	assert_int_equal(q(P1 + 8), 0xaabbccddaabbccddull);
	assert_int_equal(q(P1 + 16), 0x00000000aabbccddull);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 4);
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.rip, RIP0 + 2);
}

/* DF = 1 across the bottom of the page: stop at the page start. */
static void test_rep_stosb_backwards_page(void **state)
{
	(void)state;
	regs.rflags = 0x2 | RFLAGS_DF;
	regs.gpr[GPR_RDI] = P1 + 0x1002;
	regs.gpr[GPR_RCX] = 5;
	regs.gpr[GPR_RAX] = 0x77;
	assert_int_equal(RUN(0xf3, 0xaa), EMU_OK);
	assert_int_equal(regs.gpr[GPR_RCX], 2);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 0xfff);
	assert_int_equal(regs.rip, RIP0);
	assert_int_equal(q(P1 + 0x1000) & 0xffffff, 0x777777);
	assert_int_not_equal(mem[P1 + 0xfff - LIN0], 0x77);
}

static void test_stos_single_and_zero_count(void **state)
{
	(void)state;
	/* stos %ax,%es:(%rdi) without REP: one element, RCX untouched */
	setq(P1, 0);
	regs.gpr[GPR_RCX] = 100;
	assert_int_equal(RUN(0x66, 0xab), EMU_OK);
	assert_int_equal(q(P1), 0x7788);
	assert_int_equal(regs.gpr[GPR_RCX], 100);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 2);
	assert_int_equal(regs.rip, RIP0 + 2);

	/* rep stosq with RCX = 0: nothing stored, RIP moves on */
	nw = nr = 0;
	regs.gpr[GPR_RCX] = 0;
	assert_int_equal(RUN(0xf3, 0x48, 0xab), EMU_OK);
	assert_int_equal(nw + nr, 0);
	assert_int_equal(regs.gpr[GPR_RDI], P1 + 2);
	assert_int_equal(regs.rip, RIP0 + 5);
}

/* In the top page of the address space the end of the stored bytes wraps
 * to 0.  The store must still be tried (here the callback refuses it),
 * not skipped with RDI advanced as if it had happened (seen while writing
 * tools/fuzz/fuzz_emu's STOS check). */
static void test_stos_top_of_address_space(void **state)
{
	(void)state;
	regs.gpr[GPR_RDI] = 0xfffffffffffffff8ull;
	/* stos %rax,%es:(%rdi) */
	assert_int_equal(RUN(0x48, 0xab), EMU_ERR_MEM);
	assert_int_equal(nw, 0);
	assert_int_equal(regs.gpr[GPR_RDI], 0xfffffffffffffff8ull);
	assert_int_equal(regs.rip, RIP0);
}

/* ------------------------------------------------------------ failures */

static void test_memory_failure_leaves_state(void **state)
{
	struct emu_regs before;
	uint64_t m0;

	(void)state;
	/* The second qword of a split store cannot be read: nothing written. */
	regs.gpr[GPR_RDI] = P1 + 4;
	fail_read_at = P1 + 8;
	before = regs;
	m0 = q(P1);
	assert_int_equal(RUN(0x48, 0x87, 0x07), EMU_ERR_MEM);
	assert_int_equal(nw, 0);
	assert_int_equal(q(P1), m0);
	assert_memory_equal(&regs, &before, sizeof(regs));

	/* A failed write: registers unchanged. */
	fail_read_at = ~0ull;
	fail_write_at = P1;
	regs.gpr[GPR_RDI] = P1;
	before = regs;
	assert_int_equal(RUN(0x48, 0x87, 0x07), EMU_ERR_MEM);
	assert_memory_equal(&regs, &before, sizeof(regs));
}

static void test_step_checks_fault_address(void **state)
{
	static const uint8_t mov[] = { 0x48, 0x89, 0x07 };
	static const uint8_t bad[] = { 0x0f, 0x01, 0xd9, 0x90 };
	struct emu_insn in;
	char line[96];
	int err;

	(void)state;
	/* The fault is on another page than (%rdi): refuse, touch nothing. */
	assert_int_equal(emu_step(mov, sizeof(mov), &regs, &segs, &mops, P1 + 0x1000, &in),
			 EMU_ERR_ADDRESS);
	assert_int_equal(nw + nr, 0);
	assert_int_equal(regs.rip, RIP0);

	assert_int_equal(emu_step(mov, sizeof(mov), &regs, &segs, &mops, P1 + 7, &in), EMU_OK);
	assert_int_equal(q(P1), 0x1122334455667788ull);
	assert_int_equal(regs.rip, RIP0 + 3);

	err = emu_step(bad, sizeof(bad), &regs, &segs, &mops, P1, &in);
	assert_int_equal(err, EMU_ERR_UNSUPPORTED);
	emu_format_error(line, sizeof(line), err, &in);
	assert_string_equal(line, "unsupported instruction 0f 01 d9 90 (byte 1)");
	assert_int_equal(regs.rip, RIP0 + 3);
}

/* ------------------------------------------------------------ against the CPU */

#if defined(__x86_64__)
/*
 * The host is an x86-64: run the same operations natively and compare
 * memory, RAX and the defined flags with the emulator's, over many
 * pseudo-random operands.  (This file builds with -mno-red-zone: the asm
 * pushes and pops RFLAGS.)
 */
#define NATIVE(name, insn, T)                                                              \
	static uint64_t name(T *m, T src, uint64_t *rax, uint64_t fin)                     \
	{                                                                                  \
		uint64_t fl;                                                               \
		asm volatile("pushq %[fin]\n\tpopfq\n\t" insn " %[s], (%[p])\n\t"          \
			     "pushfq\n\tpopq %[fl]"                                        \
			     : [fl] "=&r"(fl), "+a"(*rax), [s] "+r"(src)                   \
			     : [fin] "r"(fin), [p] "r"(m)                                  \
			     : "cc", "memory");                                            \
		(void)src;                                                                 \
		return fl;                                                                 \
	}
NATIVE(n_cmpxchgb, "lock cmpxchgb", uint8_t)
NATIVE(n_cmpxchgw, "lock cmpxchgw", uint16_t)
NATIVE(n_cmpxchgl, "lock cmpxchgl", uint32_t)
NATIVE(n_cmpxchgq, "lock cmpxchgq", uint64_t)
NATIVE(n_andb, "lock andb", uint8_t)
NATIVE(n_andw, "lock andw", uint16_t)
NATIVE(n_andl, "lock andl", uint32_t)
NATIVE(n_andq, "lock andq", uint64_t)
NATIVE(n_orb, "lock orb", uint8_t)
NATIVE(n_orw, "lock orw", uint16_t)
NATIVE(n_orl, "lock orl", uint32_t)
NATIVE(n_orq, "lock orq", uint64_t)
NATIVE(n_btsw, "lock btsw", uint16_t)
NATIVE(n_btsl, "lock btsl", uint32_t)
NATIVE(n_btsq, "lock btsq", uint64_t)
NATIVE(n_btrw, "lock btrw", uint16_t)
NATIVE(n_btrl, "lock btrl", uint32_t)
NATIVE(n_btrq, "lock btrq", uint64_t)

static uint64_t lcg_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	/* Knuth's MMIX LCG; the high half is well mixed.  Mix in some
	 * all-ones/all-zero bytes so equal compares and zero results happen. */
	uint64_t v;

	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	v = lcg_state ^ (lcg_state >> 29);
	switch ((lcg_state >> 60) & 7) {
	case 0: return 0;
	case 1: return v & 0xff00ff00ff00ff00ull;
	case 2: return ~0ull;
	default: return v;
	}
}

enum nop { N_CMPXCHG, N_AND, N_OR, N_BTS, N_BTR };

/* Native run of op at size on a copy of memory; returns flags. */
static uint64_t native(enum nop op, unsigned size, uint8_t *m, uint64_t src, uint64_t *rax,
		       uint64_t fin)
{
#define PICK(b, w, l, qq)                                                                  \
	switch (size) {                                                                    \
	case 1: return b((uint8_t *)m, (uint8_t)src, rax, fin);                            \
	case 2: return w((uint16_t *)(void *)m, (uint16_t)src, rax, fin);                  \
	case 4: return l((uint32_t *)(void *)m, (uint32_t)src, rax, fin);                  \
	default: return qq((uint64_t *)(void *)m, src, rax, fin);                          \
	}
#define PICK3(w, l, qq)                                                                    \
	switch (size) {                                                                    \
	case 2: return w((uint16_t *)(void *)m, (uint16_t)src, rax, fin);                  \
	case 4: return l((uint32_t *)(void *)m, (uint32_t)src, rax, fin);                  \
	default: return qq((uint64_t *)(void *)m, src, rax, fin);                          \
	}
	switch (op) {
	case N_CMPXCHG: PICK(n_cmpxchgb, n_cmpxchgw, n_cmpxchgl, n_cmpxchgq)
	case N_AND: PICK(n_andb, n_andw, n_andl, n_andq)
	case N_OR: PICK(n_orb, n_orw, n_orl, n_orq)
	case N_BTS: PICK3(n_btsw, n_btsl, n_btsq)
	case N_BTR: PICK3(n_btrw, n_btrl, n_btrq)
	}
#undef PICK
#undef PICK3
	return 0;
}

static void test_against_cpu(void **state)
{
	/* Flags each op defines (the rest the SDM calls undefined). */
	static const uint64_t defined[] = {
		[N_CMPXCHG] = RFLAGS_STATUS,
		[N_AND] = RFLAGS_STATUS & ~RFLAGS_AF,
		[N_OR] = RFLAGS_STATUS & ~RFLAGS_AF,
		[N_BTS] = RFLAGS_CF | RFLAGS_ZF, /* ZF: unaffected, so it must match too */
		[N_BTR] = RFLAGS_CF | RFLAGS_ZF,
	};
	static const uint8_t opc[] = { [N_CMPXCHG] = 0xb1, [N_AND] = 0x21, [N_OR] = 0x09,
				       [N_BTS] = 0xab, [N_BTR] = 0xb3 };
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static uint8_t native_mem[64] __attribute__((aligned(8)));
	unsigned i, op, si;

	(void)state;
	for (i = 0; i < 3000; i++) {
		for (op = 0; op <= N_BTR; op++) {
			for (si = 0; si < 4; si++) {
				unsigned size = sizes[si], k, off;
				uint8_t b[8];
				size_t n = 0;
				uint64_t src = rnd(), rax = rnd(), fin, fl, nrax;

				if ((op == N_BTS || op == N_BTR) && size == 1)
					continue;
				/* The operand sits at P1 + 24 (native_mem + 24): register
				 * bit offsets in [-128, 127] stay inside the 64 bytes. */
				if (op == N_BTS || op == N_BTR)
					src = (uint64_t)(int64_t)(int8_t)src;
				for (k = 0; k < 64; k += 8) {
					uint64_t v = rnd();

					memcpy(native_mem + k, &v, 8);
					setq(P1 + k, v);
				}
				if (op == N_CMPXCHG && (i & 1)) /* make half the compares succeed */
					memcpy(native_mem + 24, &rax, 8), setq(P1 + 24, rax);
				fin = 0x2 | (rnd() & RFLAGS_STATUS);

				/* f0 [66|48] [0f] op modrm(00 001 111: %rcx-ish,(%rdi)) */
				b[n++] = 0xf0;
				if (size == 2)
					b[n++] = 0x66;
				if (size == 8)
					b[n++] = 0x48;
				if (op == N_CMPXCHG || op == N_BTS || op == N_BTR)
					b[n++] = 0x0f;
				b[n++] = (uint8_t)(opc[op] - (size == 1 ? 1 : 0));
				b[n++] = 0x0f;
				regs.gpr[GPR_RAX] = rax;
				regs.gpr[GPR_RCX] = src;
				regs.gpr[GPR_RDI] = P1 + 24;
				regs.rflags = fin;
				regs.rip = RIP0;
				nw = 0;
				assert_int_equal(run(b, n), EMU_OK);

				nrax = rax;
				fl = native(op, size, native_mem + 24, src, &nrax, fin);
				if ((regs.rflags ^ fl) & defined[op] || regs.gpr[GPR_RAX] != nrax)
					fail_msg("op %u size %u src %llx rax %llx: flags %llx/%llx "
						 "rax %llx/%llx", op, size,
						 (unsigned long long)src, (unsigned long long)rax,
						 (unsigned long long)regs.rflags,
						 (unsigned long long)fl,
						 (unsigned long long)regs.gpr[GPR_RAX],
						 (unsigned long long)nrax);
				for (off = 0; off < 64; off += 8) {
					uint64_t v;

					memcpy(&v, native_mem + off, 8);
					if (q(P1 + off) != v)
						fail_msg("op %u size %u: memory +%u %llx, CPU %llx",
							 op, size, off,
							 (unsigned long long)q(P1 + off),
							 (unsigned long long)v);
				}
				assert_int_equal(regs.rip, RIP0 + n);
			}
		}
	}
}
#else
static void test_against_cpu(void **state)
{
	(void)state;
	skip();
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mov_qword, setup),
		cmocka_unit_test_setup(test_mov_byte_splices, setup),
		cmocka_unit_test_setup(test_mov_across_qwords, setup),
		cmocka_unit_test_setup(test_mov_imm_sign_extended, setup),
		cmocka_unit_test_setup(test_movnti, setup),
		cmocka_unit_test_setup(test_xchg, setup),
		cmocka_unit_test_setup(test_rmw_across_qwords, setup),
		cmocka_unit_test_setup(test_cmpxchg_success, setup),
		cmocka_unit_test_setup(test_cmpxchg_failure, setup),
		cmocka_unit_test_setup(test_cmpxchg_byte_overflow, setup),
		cmocka_unit_test_setup(test_and_or_flags, setup),
		cmocka_unit_test_setup(test_bts_btr, setup),
		cmocka_unit_test_setup(test_rep_stosq, setup),
		cmocka_unit_test_setup(test_rep_stosq_page_end, setup),
		cmocka_unit_test_setup(test_rep_stosb_page, setup),
		cmocka_unit_test_setup(test_rep_stosb_partial, setup),
		cmocka_unit_test_setup(test_rep_stosd_backwards, setup),
		cmocka_unit_test_setup(test_rep_stosb_backwards_page, setup),
		cmocka_unit_test_setup(test_stos_single_and_zero_count, setup),
		cmocka_unit_test_setup(test_stos_top_of_address_space, setup),
		cmocka_unit_test_setup(test_memory_failure_leaves_state, setup),
		cmocka_unit_test_setup(test_step_checks_fault_address, setup),
		cmocka_unit_test_setup(test_against_cpu, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
