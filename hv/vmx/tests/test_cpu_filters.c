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

static void test_msr_unknown_is_gp(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m);
	u64 v = 7;
	assert_int_equal(msr_filter_read(&m, 0x4b564d99, &v), MSR_GP);
	assert_int_equal(msr_filter_write(&m, 0x4b564d99, 0), MSR_GP);
}

static void test_msr_syscall_state(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m);
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
	msr_state_init(&m);
	u64 v = 0;
	assert_int_equal(msr_filter_read(&m, MSR_IA32_ARCH_CAPABILITIES, &v), MSR_CONST);
	assert_true(v & ARCH_CAP_RDCL_NO);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_ARCH_CAPABILITIES, 0), MSR_GP);
}

static void test_msr_efer_bits(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, EFER_LME | EFER_NXE | EFER_SCE),
			 MSR_IN_VMCS);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_EFER, BIT(12)), MSR_GP); /* SVME */
}

static void test_msr_apic_base(void **s)
{
	struct guest_msrs m;
	msr_state_init(&m);
	u64 v = 0;
	assert_int_equal(msr_filter_read(&m, MSR_IA32_APIC_BASE, &v), MSR_IN_STATE);
	assert_int_equal(v & ~0xfffull, 0xfee00000ull);
	assert_true(v & BIT(8)); /* BSP */
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, v), MSR_IGNORE);
	assert_int_equal(msr_filter_write(&m, MSR_IA32_APIC_BASE, 0), MSR_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1_hides_vmx_sets_hypervisor),
		cmocka_unit_test(test_hypervisor_leaf_signature),
		cmocka_unit_test(test_leaf7),
		cmocka_unit_test(test_ext_leaf_hides_rdtscp),
		cmocka_unit_test(test_msr_unknown_is_gp),
		cmocka_unit_test(test_msr_syscall_state),
		cmocka_unit_test(test_msr_arch_capabilities),
		cmocka_unit_test(test_msr_efer_bits),
		cmocka_unit_test(test_msr_apic_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
