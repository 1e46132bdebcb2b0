/* Unit tests: VMX control adjustment, VMCS field encodings, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/vmcs_fields.h"
#include "vmx/vmx_pure.h"

/* cap = allowed1 << 32 | allowed0 */
static u64 cap(u32 allowed0, u32 allowed1) { return ((u64)allowed1 << 32) | allowed0; }

static void test_adjust_adds_must_be_one(void **s)
{
	u32 refused = 99;
	/* bits 1, 2, 4 must be 1; anything in 0xff may be 1 */
	assert_int_equal(vmx_adjust_controls(cap(0x16, 0xff), 0x01, &refused), 0x17);
	assert_int_equal(refused, 0);
}

static void test_adjust_drops_must_be_zero(void **s)
{
	u32 refused;
	/* we want bits 0 and 31; bit 31 may not be 1 */
	assert_int_equal(vmx_adjust_controls(cap(0, 0x7fffffff), 0x80000001, &refused), 1);
	assert_int_equal(refused, 0x80000000);
}

static void test_adjust_real_bochs_values(void **s)
{
	/* Bochs 2.7 corei7_haswell_4770, IA32_VMX_TRUE_PROCBASED_CTLS, as logged */
	u32 refused;
	u32 v = vmx_adjust_controls(cap(0x04006172, 0xf7f9fffe),
				    CPU_HLT_EXITING | CPU_INVLPG_EXITING | CPU_CR3_LOAD_EXITING |
					    CPU_UNCONDITIONAL_IO_EXITING |
					    CPU_ACTIVATE_SECONDARY_CONTROLS,
				    &refused);
	assert_true(v & CPU_HLT_EXITING);
	assert_true(v & CPU_UNCONDITIONAL_IO_EXITING);
	assert_true(v & BIT(1)); /* a default1 bit: must be set */
	assert_int_equal(refused, 0);
	assert_int_equal(v & ~0xf7f9fffeu, 0);
}

static void test_adjust_null_refused(void **s)
{
	assert_int_equal(vmx_adjust_controls(cap(1, 1), 2, NULL), 1);
}

static void test_deadline_timer_choice(void **s)
{
	/* timer = preemption: always, if the CPU has it */
	assert_true(vmx_deadline_by_preemption_timer(true, true, true));
	assert_true(vmx_deadline_by_preemption_timer(true, true, false));
	/* timer = lapic: only for an entry with interrupts off */
	assert_false(vmx_deadline_by_preemption_timer(false, true, true));
	assert_true(vmx_deadline_by_preemption_timer(false, true, false));
	/* no VMX-preemption timer: never */
	assert_false(vmx_deadline_by_preemption_timer(true, false, true));
	assert_false(vmx_deadline_by_preemption_timer(false, false, false));
}

static void test_field_width_and_type(void **s)
{
	assert_int_equal(vmcs_field_width(GUEST_ES_SELECTOR), VMCS_W16);
	assert_int_equal(vmcs_field_width(VMCS_LINK_POINTER), VMCS_W64);
	assert_int_equal(vmcs_field_width(PIN_BASED_VM_EXEC_CONTROL), VMCS_W32);
	assert_int_equal(vmcs_field_width(GUEST_RIP), VMCS_WNATURAL);
	assert_int_equal(vmcs_field_type(PIN_BASED_VM_EXEC_CONTROL), VMCS_CONTROL);
	assert_int_equal(vmcs_field_type(VM_EXIT_REASON), VMCS_EXIT_INFO);
	assert_int_equal(vmcs_field_type(GUEST_CR3), VMCS_GUEST);
	assert_int_equal(vmcs_field_type(HOST_RIP), VMCS_HOST);
	assert_int_equal(vmcs_field_bytes(GUEST_CS_SELECTOR), 2);
	assert_int_equal(vmcs_field_bytes(GUEST_IA32_EFER), 8);
	assert_int_equal(vmcs_field_bytes(GUEST_IA32_EFER + 1), 4); /* high half */
	assert_int_equal(vmcs_field_bytes(EXCEPTION_BITMAP), 4);
	assert_int_equal(vmcs_field_bytes(HOST_RSP), 8);
	assert_false(vmcs_field_is_high(TSC_OFFSET));
	assert_true(vmcs_field_is_high(TSC_OFFSET + 1));
}

/* Every guest segment's selector/limit/AR/base fields step by 2 together
 * (hv/vmx/vmcs.c's set_segment() relies on it). */
static void test_segment_field_layout(void **s)
{
	assert_int_equal(GUEST_CS_LIMIT - GUEST_ES_LIMIT, GUEST_CS_SELECTOR - GUEST_ES_SELECTOR);
	assert_int_equal(GUEST_GS_AR_BYTES - GUEST_ES_AR_BYTES, GUEST_GS_SELECTOR - GUEST_ES_SELECTOR);
	assert_int_equal(GUEST_SS_BASE - GUEST_ES_BASE, GUEST_SS_SELECTOR - GUEST_ES_SELECTOR);
	assert_int_equal(GUEST_TR_BASE - GUEST_ES_BASE, GUEST_TR_SELECTOR - GUEST_ES_SELECTOR);
}

static void test_exit_reason_names(void **s)
{
	assert_string_equal(exit_reason_name(EXIT_REASON_CPUID), "CPUID");
	assert_string_equal(exit_reason_name(EXIT_REASON_IO_INSTRUCTION), "I/O instruction");
	assert_string_equal(exit_reason_name(EXIT_REASON_TRIPLE_FAULT), "triple fault");
	assert_string_equal(exit_reason_name(EXIT_REASON_PREEMPTION_TIMER),
			    "VMX-preemption timer expired");
	assert_string_equal(exit_reason_name(35), "unknown exit reason"); /* a hole */
	assert_string_equal(exit_reason_name(70), "unknown exit reason");
	assert_string_equal(exit_reason_name(0xffff), "unknown exit reason");
	for (u32 r = 0; r <= EXIT_REASON_MAX; r++)
		assert_non_null(exit_reason_name(r));
}

static void test_vm_instruction_errors(void **s)
{
	assert_string_equal(vm_instruction_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vm_instruction_error_name(8),
			    "VM entry with invalid host-state field(s)");
	assert_string_equal(vm_instruction_error_name(0), "unknown VM-instruction error");
	assert_string_equal(vm_instruction_error_name(14), "unknown VM-instruction error");
	assert_string_equal(vm_instruction_error_name(1000), "unknown VM-instruction error");
}

static void test_field_names(void **s)
{
	assert_string_equal(vmcs_field_name(GUEST_RIP), "GUEST_RIP");
	assert_null(vmcs_field_name(0x7777));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_adds_must_be_one),
		cmocka_unit_test(test_adjust_drops_must_be_zero),
		cmocka_unit_test(test_adjust_real_bochs_values),
		cmocka_unit_test(test_adjust_null_refused),
		cmocka_unit_test(test_deadline_timer_choice),
		cmocka_unit_test(test_field_width_and_type),
		cmocka_unit_test(test_segment_field_layout),
		cmocka_unit_test(test_exit_reason_names),
		cmocka_unit_test(test_vm_instruction_errors),
		cmocka_unit_test(test_field_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
