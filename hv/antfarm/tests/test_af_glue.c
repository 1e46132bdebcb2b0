/*
 * test_af_glue.c - the write emulator (hv/emu) feeding Antfarm, wired the
 * way the paging core's glue is meant to wire them (antfarm.h, emulate.h).
 *
 * Guest memory is identity-mapped here (linear == guest-physical) so that
 * the test is about the contract, not about translation: the glue's
 * write_qword stores the qword and, when its page is a watched root,
 * reports the entry to af_root_write() with old and new values.  The
 * guest's page-table writes are real instruction bytes of the kinds Linux
 * uses: set_p4d (MOV), ptep_get_and_clear (XCHG), clear_bit (LOCK BTR),
 * clear_page (REP STOSQ).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "antfarm/antfarm.h"
#include "emu/emulate.h"

#define NPG 8
#define K 0x1000ull /* init_mm's root */
#define A 0x2000ull /* a process's root */

static uint64_t ram[NPG][512];
static bool watched[NPG];
static struct af af;
static struct af_event evs[64];
static unsigned nev;
static uint64_t tsc = 1000;

static uint64_t *qword(uint64_t gpa)
{
	assert_true(gpa < NPG * 4096ull);
	return &ram[gpa >> 12][(gpa & 0xfff) >> 3];
}

/* ---- the paging core's side of Antfarm ---- */

static void on_event(void *ctx, const struct af_event *ev)
{
	(void)ctx;
	evs[nev++] = *ev;
}

static bool on_watch(void *ctx, uint64_t gpa)
{
	(void)ctx;
	watched[gpa >> 12] = true; /* and write-protect it in every shadow table */
	return true;
}

static void on_unwatch(void *ctx, uint64_t gpa)
{
	(void)ctx;
	watched[gpa >> 12] = false;
}

static int on_count(void *ctx, uint64_t gpa)
{
	(void)ctx;
	if (gpa >= NPG * 4096ull)
		return -1;
	return (int)af_count_user(ram[gpa >> 12]); /* gpa_ptr() in the hv */
}

static const struct af_ops af_ops = { on_event, on_watch, on_unwatch, on_count, NULL };

/* ---- the emulator's memory callbacks ---- */

static bool rd(void *ctx, uint64_t lin, uint64_t *v)
{
	(void)ctx;
	if (lin >= NPG * 4096ull)
		return false;
	*v = *qword(lin); /* the hv: walk the guest's tables, then gpa_ptr() */
	return true;
}

static bool wr(void *ctx, uint64_t lin, uint64_t old, uint64_t new_val)
{
	(void)ctx;
	if (lin >= NPG * 4096ull)
		return false;
	*qword(lin) = new_val;
	if (watched[lin >> 12])
		af_root_write(&af, lin & ~0xfffull, (uint32_t)((lin & 0xfff) >> 3), old, new_val, tsc);
	return true;
}

static const struct emu_mem mem = { rd, wr, NULL };

/* A write fault at fault_lin on an instruction: what the #PF exit does. */
static int fault(const uint8_t *b, size_t n, struct emu_regs *r, uint64_t fault_lin)
{
	struct emu_insn in;
	static const struct emu_segs segs = { 0, 0 };

	tsc += 100;
	return emu_step(b, n, r, &segs, &mem, fault_lin, &in);
}

static void test_emulated_writes_drive_antfarm(void **state)
{
	static const uint8_t mov[] = { 0x48, 0x89, 0x07 };                   /* mov %rax,(%rdi) */
	static const uint8_t xchg[] = { 0x48, 0x87, 0x07 };                  /* xchg %rax,(%rdi) */
	static const uint8_t btr[] = { 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x00 }; /* lock btrq $0,(%rdi) */
	static const uint8_t stos[] = { 0xf3, 0x48, 0xab };                  /* rep stos %rax,(%rdi) */
	struct emu_regs r;

	(void)state;
	memset(&r, 0, sizeof(r));
	*qword(K + 8 * 300) = 0x5063;           /* kernel half */
	*qword(A + 8 * 300) = 0x5063;
	*qword(A + 0) = 0x3067;                 /* text */
	*qword(A + 8 * 255) = 0x4067;           /* stack */
	af_init(&af, &af_ops, 0, 0);

	af_cr3_load(&af, 0, K, tsc, 0);
	af_cr3_load(&af, 0, A, tsc += 10, 0);
	assert_int_equal(nev, 1);
	assert_int_equal(evs[0].kind, AF_EV_CREATE);
	assert_true(watched[A >> 12]);

	/* set_p4d(): a new top-level entry */
	r.gpr[GPR_RDI] = A + 8 * 5;
	r.gpr[GPR_RAX] = 0x6067;
	assert_int_equal(fault(mov, sizeof(mov), &r, A + 8 * 5), EMU_OK);
	/* native_p4d_clear through xchg */
	r.gpr[GPR_RDI] = A;
	r.gpr[GPR_RAX] = 0;
	assert_int_equal(fault(xchg, sizeof(xchg), &r, A), EMU_OK);
	assert_int_equal(r.gpr[GPR_RAX], 0x3067);
	/* clear_bit(_PAGE_BIT_PRESENT) */
	r.gpr[GPR_RDI] = A + 8 * 255;
	assert_int_equal(fault(btr, sizeof(btr), &r, A + 8 * 255), EMU_OK);
	assert_true(r.rflags & RFLAGS_CF);
	assert_int_equal(af.sp[0].asid, A);
	assert_int_equal(af.sp[0].count, 1); /* entry 5 remains */
	af_cr3_load(&af, 0, K, tsc += 10, 0);
	assert_int_equal(nev, 1); /* not zero yet: no exit */

	/* clear_page() of the whole root: 512 qwords in one emulation */
	r.gpr[GPR_RDI] = A;
	r.gpr[GPR_RCX] = 512;
	r.gpr[GPR_RAX] = 0;
	r.rip = 0xffffffff81000000ull;
	assert_int_equal(fault(stos, sizeof(stos), &r, A), EMU_OK);
	assert_int_equal(r.gpr[GPR_RCX], 0);
	assert_int_equal(r.rip, 0xffffffff81000003ull);
	assert_int_equal(nev, 1);
	af_cr3_load(&af, 0, K, tsc += 10, 0); /* the flush */
	assert_int_equal(nev, 2);
	assert_int_equal(evs[1].kind, AF_EV_EXIT);
	assert_int_equal(evs[1].asid, A);
	assert_false(watched[A >> 12]);
	assert_int_equal(af.st.anomalies + af.st.stale_writes, 0);
}

/* An instruction the emulator does not know: the glue logs its bytes and
 * stops the guest; Antfarm sees nothing. */
static void test_unsupported_writer(void **state)
{
	static const uint8_t xadd[] = { 0xf0, 0x48, 0x0f, 0xc1, 0x07, 0x90, 0x90 };
	struct emu_regs r;
	struct emu_insn in;
	static const struct emu_segs segs = { 0, 0 };
	char line[128];
	int err;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.gpr[GPR_RDI] = A;
	err = emu_step(xadd, sizeof(xadd), &r, &segs, &mem, A, &in);
	assert_int_equal(err, EMU_ERR_UNSUPPORTED);
	emu_format_error(line, sizeof(line), err, &in);
	assert_string_equal(line, "unsupported instruction f0 48 0f c1 07 90 90 (byte 3)");
	assert_int_equal(r.rip, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulated_writes_drive_antfarm),
		cmocka_unit_test(test_unsupported_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
