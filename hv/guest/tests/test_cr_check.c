/*
 * test_cr_check.c - MOV to CR0/CR3/CR4 and WRMSR EFER: what a CPU refuses
 * with #GP(0) (SDM Vol. 2B, MOV to CR; Vol. 3A 2.5, 4.5, 9.8.5), and what
 * it stores when it accepts.  The starting point is a flat guest as
 * hv/guest/flat.c enters it: 64-bit mode, 4-level paging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/cr_check.h"
#include "x86.h"

#define ALL ~0ull /* a CPU that allows every CR4 bit in VMX operation */

static const struct cr_regs long64 = {
	.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
	.cr3 = 0x2000,
	.cr4 = CR4_PAE,
	.efer = EFER_LME | EFER_LMA | EFER_NXE,
	.cs_l = true,
};

static void test_cr3_bit63_without_pcide_is_gp(void **s)
{
	u64 v = 0x2000 | BIT(63);
	assert_non_null(cr_check_cr3(&long64, 36, &v));
	/* with PCIDE = 1 it is the no-flush hint, and not stored */
	struct cr_regs r = long64;
	r.cr4 |= CR4_PCIDE;
	v = 0x3000 | BIT(63) | 5;
	assert_null(cr_check_cr3(&r, 36, &v));
	assert_int_equal(v, 0x3005);
}

static void test_cr3_above_maxphyaddr_is_gp(void **s)
{
	u64 v = 1ull << 36;
	assert_non_null(cr_check_cr3(&long64, 36, &v));
	v = 1ull << 51;
	assert_non_null(cr_check_cr3(&long64, 36, &v));
	v = (1ull << 36) - 0x1000; /* the highest page below: fine */
	assert_null(cr_check_cr3(&long64, 36, &v));
	assert_int_equal(v, (1ull << 36) - 0x1000);
	v = 1ull << 38;
	assert_null(cr_check_cr3(&long64, 40, &v));
}

static void test_cr3_outside_64bit_mode_takes_32_bits(void **s)
{
	struct cr_regs r = long64;
	r.cs_l = false; /* compatibility mode */
	u64 v = 0xffffffff00003000ull | BIT(63);
	assert_null(cr_check_cr3(&r, 36, &v));
	assert_int_equal(v, 0x3000);
	r.efer = 0; /* legacy PAE mode */
	v = 0x12345000ull | BIT(40);
	assert_null(cr_check_cr3(&r, 36, &v));
	assert_int_equal(v, 0x12345000ull);
}

static void test_cr0_rules(void **s)
{
	u64 v = long64.cr0 | BIT(32);
	assert_non_null(cr_check_cr0(&long64, &v)); /* bits 63:32 */
	v = long64.cr0 | CR0_NW;
	assert_non_null(cr_check_cr0(&long64, &v)); /* NW without CD */
	v = long64.cr0 | CR0_NW | CR0_CD;
	assert_null(cr_check_cr0(&long64, &v));
	v = long64.cr0 & ~CR0_PG;
	assert_non_null(cr_check_cr0(&long64, &v)); /* leaving paging in 64-bit mode */
	v = long64.cr0 & ~CR0_PE;
	assert_non_null(cr_check_cr0(&long64, &v)); /* PG without PE */
	/* reserved low bits are ignored, ET always reads 1 */
	v = (long64.cr0 & ~CR0_ET) | BIT(6) | BIT(17);
	assert_null(cr_check_cr0(&long64, &v));
	assert_int_equal(v, long64.cr0);
	v = long64.cr0 | CR0_TS;
	assert_null(cr_check_cr0(&long64, &v));
	assert_int_equal(v, long64.cr0 | CR0_TS);
}

static void test_cr0_paging_transitions(void **s)
{
	/* compatibility mode may leave paging (SDM 9.8.5.4) */
	struct cr_regs r = long64;
	r.cs_l = false;
	u64 v = r.cr0 & ~CR0_PG;
	assert_null(cr_check_cr0(&r, &v));
	/* ... unless PCIDE is on */
	r.cr4 |= CR4_PCIDE;
	v = r.cr0 & ~CR0_PG;
	assert_non_null(cr_check_cr0(&r, &v));
	/* entering IA-32e mode needs CR4.PAE */
	r = (struct cr_regs){ .cr0 = CR0_PE | CR0_ET, .efer = EFER_LME };
	v = CR0_PE | CR0_ET | CR0_PG;
	assert_non_null(cr_check_cr0(&r, &v));
	r.cr4 = CR4_PAE;
	assert_null(cr_check_cr0(&r, &v));
	/* legacy paging without LME needs no PAE */
	r = (struct cr_regs){ .cr0 = CR0_PE | CR0_ET };
	v = CR0_PE | CR0_ET | CR0_PG;
	assert_null(cr_check_cr0(&r, &v));
}

static void test_cr4_hidden_features_are_gp(void **s)
{
	const u64 hidden[] = { CR4_MCE, CR4_LA57, CR4_VMXE, CR4_SMXE, CR4_PCIDE, CR4_OSXSAVE,
			       CR4_PKE, BIT(15), BIT(23), BIT(32), BIT(63) };
	for (unsigned i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		u64 v = long64.cr4 | hidden[i];
		assert_non_null(cr_check_cr4(&long64, ALL, &v));
	}
	u64 v = long64.cr4 | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_SMEP | CR4_FSGSBASE;
	u64 want = v;
	assert_null(cr_check_cr4(&long64, ALL, &v));
	assert_int_equal(v, want);
}

static void test_cr4_needs_cpu_support(void **s)
{
	/* a CPU without SMAP (VMX does not let CR4.SMAP be 1): #GP as on it */
	u64 v = long64.cr4 | CR4_SMAP;
	assert_non_null(cr_check_cr4(&long64, ALL & ~CR4_SMAP, &v));
	v = long64.cr4 | CR4_SMAP;
	assert_null(cr_check_cr4(&long64, ALL, &v));
}

static void test_cr4_pae_stays_in_long_mode(void **s)
{
	u64 v = long64.cr4 & ~CR4_PAE;
	assert_non_null(cr_check_cr4(&long64, ALL, &v));
	struct cr_regs r = { .cr0 = CR0_PE | CR0_ET, .cr4 = CR4_PAE };
	v = 0;
	assert_null(cr_check_cr4(&r, ALL, &v)); /* no paging: anything goes */
}

static void test_efer_lme_while_paging_is_gp(void **s)
{
	u64 v = EFER_NXE | EFER_LMA; /* LME cleared in long mode */
	assert_non_null(cr_check_efer(&long64, &v));
	v = EFER_LME | EFER_NXE | EFER_SCE; /* other bits may change; LMA stays */
	assert_null(cr_check_efer(&long64, &v));
	assert_int_equal(v, EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE);
	/* paging off: LME may change, and a written LMA is ignored */
	struct cr_regs r = { .cr0 = CR0_PE | CR0_ET };
	v = EFER_LME | EFER_LMA;
	assert_null(cr_check_efer(&r, &v));
	assert_int_equal(v, EFER_LME);
	/* legacy paging: setting LME is refused too */
	r.cr0 |= CR0_PG;
	v = EFER_LME;
	assert_non_null(cr_check_efer(&r, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr3_bit63_without_pcide_is_gp),
		cmocka_unit_test(test_cr3_above_maxphyaddr_is_gp),
		cmocka_unit_test(test_cr3_outside_64bit_mode_takes_32_bits),
		cmocka_unit_test(test_cr0_rules),
		cmocka_unit_test(test_cr0_paging_transitions),
		cmocka_unit_test(test_cr4_hidden_features_are_gp),
		cmocka_unit_test(test_cr4_needs_cpu_support),
		cmocka_unit_test(test_cr4_pae_stays_in_long_mode),
		cmocka_unit_test(test_efer_lme_while_paging_is_gp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
