/* Unit tests: what CPUID and the MSRs look like to a guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "guest/guest.h"
#include "guest/msr.h"
#include "x86.h"

static void test_leaf1_hides_vmx_sets_hypervisor(void **s)
{
	struct cpuid_regs r = { 0x306c3, 0, 0xffffffff, 0xffffffff };
	cpuid_filter(1, 0, &r);
	assert_false(r.ecx & BIT(5));  /* VMX */
	assert_false(r.ecx & BIT(17)); /* PCID */
	assert_false(r.ecx & BIT(3));  /* MONITOR */
	assert_false(r.ecx & BIT(26)); /* XSAVE */
	assert_true(r.ecx & BIT(31));  /* hypervisor */
	assert_true(r.ecx & BIT(0));   /* SSE3 passes through */
	assert_int_equal(r.eax, 0x306c3);
	/* all but MCE, MCA and the local APIC */
	assert_int_equal(r.edx, 0xffffffff & ~(BIT(7) | BIT(14) | BIT(9)));
}

static void test_hypervisor_leaf_signature(void **s)
{
	struct cpuid_regs r = { 0x12, 0x34, 0x56, 0x78 }; /* whatever the host said */
	cpuid_filter(0x40000000, 0, &r);
	char sig[13] = { 0 };
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_string_equal(sig, "FormicaHV");
	assert_int_equal(r.eax, 0x40000001);
	r = (struct cpuid_regs){ 1, 2, 3, 4 };
	cpuid_filter(0x40000050, 0, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

static void test_leaf7(void **s)
{
	struct cpuid_regs r = { 0, 0xffffffff, 0xffffffff, 0 };
	cpuid_filter(7, 0, &r);
	assert_false(r.ebx & BIT(10)); /* INVPCID */
	assert_false(r.ecx & BIT(16)); /* LA57 */
	assert_true(r.edx & BIT(29));  /* ARCH_CAPABILITIES advertised */
	assert_true(r.ebx & BIT(0));   /* FSGSBASE passes */
	/* CET, Key Locker, bus-lock detection, PKS, UINTR: refused in CR4 or
	 * DEBUGCTL, so hidden */
	assert_int_equal(r.ecx & (BIT(7) | BIT(23) | BIT(24) | BIT(31)), 0);
	r = (struct cpuid_regs){ 0, 0, 0, 0xffffffff };
	cpuid_filter(7, 0, &r);
	assert_int_equal(r.edx & (BIT(5) | BIT(20)), 0);
	assert_true(r.edx & BIT(29));
	r = (struct cpuid_regs){ 5, 6, 7, 8 };
	cpuid_filter(7, 1, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

static void test_ext_leaf_hides_rdtscp(void **s)
{
	struct cpuid_regs r = { 0, 0, 0, 0xffffffff };
	cpuid_filter(0x80000001, 0, &r);
	assert_false(r.edx & BIT(27));
	assert_true(r.edx & BIT(29)); /* long mode stays */
}

static void test_maxphyaddr_matches_the_shadow_pager(void **s)
{
	struct cpuid_regs r = { 0x3028, 0, 0, 0 }; /* 48-bit linear, 40-bit physical */
	cpuid_filter(0x80000008, 0, &r);
	assert_int_equal(r.eax, 0x3000 | GUEST_MAXPHYADDR);
	r = (struct cpuid_regs){ 0x3024, 0, 0, 0 }; /* already 36 */
	cpuid_filter(0x80000008, 0, &r);
	assert_int_equal(r.eax, 0x3024);
}

static void test_msr_unknown_is_gp(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 7;
	assert_int_equal(msr_filter_read(&m, 0x4b564d99, &v), MSR_GP);
	assert_int_equal(msr_filter_write(&m, 0x4b564d99, 0), MSR_GP);
}

static void test_msr_syscall_state(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 0;
	assert_int_equal(msr_filter_write(&m, MSR_IA32_LSTAR, 0xffffffff81000000ull), MSR_IN_STATE);
	assert_int_equal(msr_filter_read(&m, MSR_IA32_LSTAR, &v), MSR_IN_STATE);
	assert_int_equal(v, 0xffffffff81000000ull);
	/* a non-canonical address is refused, and the old value stays */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_LSTAR, 0x0000800000000000ull), MSR_GP);
	msr_filter_read(&m, MSR_IA32_LSTAR, &v);
	assert_int_equal(v, 0xffffffff81000000ull);
}

static void test_msr_arch_capabilities(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 0;
	assert_int_equal(msr_filter_read(&m, MSR_IA32_ARCH_CAPABILITIES, &v), MSR_CONST);
	assert_true(v & ARCH_CAP_RDCL_NO);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_ARCH_CAPABILITIES, 0), MSR_GP);
}

/* IA32_MISC_ENABLE's fast-string bit is the host's (msr.h): Linux picks
 * its memset and clear_page by it, and a guest must pick what the same
 * kernel picks bare on the machine. */
static void test_msr_misc_enable_fast_strings_follow_host(void **s)
{
	struct guest_msrs m;
	u64 v = ~0ull;
	msr_state_init(&m, false);
	assert_int_equal(msr_filter_read(&m, MSR_IA32_MISC_ENABLE, &v), MSR_IN_STATE);
	assert_false(v & MISC_ENABLE_FAST_STRING);
	msr_state_init(&m, true);
	assert_int_equal(msr_filter_read(&m, MSR_IA32_MISC_ENABLE, &v), MSR_IN_STATE);
	assert_true(v & MISC_ENABLE_FAST_STRING);
}

static void test_msr_efer_bits(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, EFER_LME | EFER_NXE | EFER_SCE),
			 MSR_IN_VMCS);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, BIT(12)), MSR_GP); /* SVME */
}

static void test_msr_apic_base(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 0;
	assert_int_equal(msr_filter_read(&m, MSR_IA32_APIC_BASE, &v), MSR_IN_STATE);
	assert_int_equal(v & ~0xfffull, 0xfee00000ull);
	assert_true(v & BIT(8)); /* BSP */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, v), MSR_IGNORE);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, 0), MSR_GP);
}

/* Values the CPU would refuse with #GP must not reach the VMCS (a failed VM
 * entry) or the real MSRs msr_load_guest() writes on every switch. */
static void test_msr_fmask_reserved_bits(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 0;
	assert_int_equal(msr_filter_write(&m, MSR_IA32_FMASK, 0x47700), MSR_IN_STATE);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_FMASK, 0xffffffff00000000ull), MSR_GP);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_FMASK, BIT(32) | 0x200), MSR_GP);
	msr_filter_read(&m, MSR_IA32_FMASK, &v);
	assert_int_equal(v, 0x47700); /* the refused writes changed nothing */
}

static void test_msr_tsc_aux_reserved_bits(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	u64 v = 0;
	assert_int_equal(msr_filter_write(&m, MSR_IA32_TSC_AUX, 0xffffffffull), MSR_IN_STATE);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_TSC_AUX, BIT(40)), MSR_GP);
	msr_filter_read(&m, MSR_IA32_TSC_AUX, &v);
	assert_int_equal(v, 0xffffffffull);
}

static void test_msr_syscall_addresses_canonical(void **s)
{
	const u32 msrs[] = { MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_KERNEL_GS_BASE,
			     MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, MSR_IA32_SYSENTER_ESP,
			     MSR_IA32_SYSENTER_EIP };
	struct guest_msrs m;
	msr_state_init(&m, true);
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		assert_int_equal(msr_filter_write(&m, msrs[i], 0xdead000000000000ull), MSR_GP);
		assert_int_equal(msr_filter_write(&m, msrs[i], 0x0000800000000000ull), MSR_GP);
		assert_int_not_equal(msr_filter_write(&m, msrs[i], 0xffff800000001000ull), MSR_GP);
		assert_int_not_equal(msr_filter_write(&m, msrs[i], 0x00007ffffffff000ull), MSR_GP);
	}
}

static void test_msr_pat_memory_types(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	/* the power-on value and Linux's (WB, WC, UC-, UC, WB, WP, UC-, WT) */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_PAT, 0x0007040600070406ull), MSR_IN_VMCS);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_PAT, 0x0407050600070106ull), MSR_IN_VMCS);
	/* a reserved type (2, 3) or a reserved bit in any entry */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(msr_filter_write(&m, MSR_IA32_PAT, 2ull << (8 * i)), MSR_GP);
		assert_int_equal(msr_filter_write(&m, MSR_IA32_PAT, 3ull << (8 * i)), MSR_GP);
		assert_int_equal(msr_filter_write(&m, MSR_IA32_PAT, 0x16ull << (8 * i)), MSR_GP);
	}
}

static void test_msr_efer_svme_refused(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	const u64 base = EFER_LME | EFER_LMA | EFER_NXE;
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, base | BIT(12)), MSR_GP); /* SVME */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, base | BIT(14)), MSR_GP); /* FFXSR */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, base | BIT(63)), MSR_GP);
}

static void test_msr_debugctl_and_mtrr_def_type(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_DEBUGCTL, BIT(0) | BIT(1) | BIT(11)),
			 MSR_IN_VMCS);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_DEBUGCTL, BIT(2)), MSR_GP); /* bus lock */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_DEBUGCTL, BIT(7)), MSR_GP); /* BTS */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_DEBUGCTL, BIT(40)), MSR_GP);
	assert_int_equal(msr_filter_write(&m, 0x2ff, 0xc06), MSR_IN_STATE); /* E, FE, WB */
	assert_int_equal(msr_filter_write(&m, 0x2ff, 0xc07), MSR_GP); /* UC- is no MTRR type */
	assert_int_equal(msr_filter_write(&m, 0x2ff, 0x1006), MSR_GP);
}

static void test_msr_host_only_msrs_refused(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m, true);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_FEATURE_CONTROL, 5), MSR_GP);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_VMX_BASIC, 0), MSR_GP);
	/* the APIC stays where it is, enabled */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, 0xfec00000ull | BIT(11) | BIT(8)),
			 MSR_GP);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, 0xfee00000ull | BIT(8)), MSR_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1_hides_vmx_sets_hypervisor),
		cmocka_unit_test(test_hypervisor_leaf_signature),
		cmocka_unit_test(test_leaf7),
		cmocka_unit_test(test_ext_leaf_hides_rdtscp),
		cmocka_unit_test(test_maxphyaddr_matches_the_shadow_pager),
		cmocka_unit_test(test_msr_unknown_is_gp),
		cmocka_unit_test(test_msr_syscall_state),
		cmocka_unit_test(test_msr_arch_capabilities),
		cmocka_unit_test(test_msr_misc_enable_fast_strings_follow_host),
		cmocka_unit_test(test_msr_efer_bits),
		cmocka_unit_test(test_msr_apic_base),
		cmocka_unit_test(test_msr_fmask_reserved_bits),
		cmocka_unit_test(test_msr_tsc_aux_reserved_bits),
		cmocka_unit_test(test_msr_syscall_addresses_canonical),
		cmocka_unit_test(test_msr_pat_memory_types),
		cmocka_unit_test(test_msr_efer_svme_refused),
		cmocka_unit_test(test_msr_debugctl_and_mtrr_def_type),
		cmocka_unit_test(test_msr_host_only_msrs_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
