/* Unit tests: SVM capabilities, exit translation, permission maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "svm/svm_pure.h"
#include "x86.h"

static struct vmcb vm;
static const struct svm_caps bare = { 0 }; /* QEMU TCG: no NRIPS, no decode assists */

static struct vcpu_exit exit_of(u64 code, u64 info1, u64 info2, const struct svm_caps *c)
{
	struct vcpu_exit x;
	vm.exitcode = code;
	vm.exitinfo1 = info1;
	vm.exitinfo2 = info2;
	svm_translate_exit(&vm, c, &x);
	return x;
}

static void test_caps_qemu(void **s)
{
	/* What QEMU 7.2 TCG -cpu max reports: revision 1, 16 ASIDs, NP + vGIF
	 * + SVME-addr-check. */
	struct svm_caps c;
	svm_parse_caps(1, 16, 0x10010001, &c);
	assert_int_equal(c.revision, 1);
	assert_int_equal(c.nasid, 16);
	assert_true(c.np);
	assert_false(c.nrips);
	assert_false(c.decode_assists);
	assert_false(c.vmcb_clean);
	assert_false(c.flush_by_asid);
	svm_parse_caps(1, 32768, BIT(3) | BIT(5) | BIT(6) | BIT(7), &c);
	assert_true(c.nrips && c.vmcb_clean && c.flush_by_asid && c.decode_assists);
	assert_false(c.np);
}

static void test_ioio(void **s)
{
	/* IN AL, 0x3fd at rip 0x1000, 2 bytes: port in 31:16, SZ8, TYPE=IN. */
	vm.rip = 0x1000;
	struct vcpu_exit x = exit_of(SVM_EXIT_IOIO, (0x3fdull << 16) | IOIO_SZ8 | IOIO_TYPE_IN,
				     0x1002, &bare);
	assert_int_equal(x.event, VE_IO);
	assert_int_equal(x.io.port, 0x3fd);
	assert_int_equal(x.io.size, 1);
	assert_true(x.io.in);
	assert_false(x.io.string);
	assert_int_equal(x.insn_len, 2); /* from EXITINFO2, even without NRIPS */
	/* OUT DX, EAX; REP OUTSW counts as a string */
	x = exit_of(SVM_EXIT_IOIO, (0x510ull << 16) | IOIO_SZ32, 0x1001, &bare);
	assert_int_equal(x.io.size, 4);
	assert_false(x.io.in);
	x = exit_of(SVM_EXIT_IOIO, (0x1f0ull << 16) | IOIO_SZ16 | IOIO_REP | IOIO_STR, 0x1002, &bare);
	assert_int_equal(x.io.size, 2);
	assert_true(x.io.string);
}

static void test_page_fault_and_exceptions(void **s)
{
	struct vcpu_exit x = exit_of(SVM_EXIT_EXCP_BASE + VEC_PF, 0x7, 0xdead000, &bare);
	assert_int_equal(x.event, VE_PAGE_FAULT);
	assert_int_equal(x.pf.error_code, 7);
	assert_int_equal(x.pf.addr, 0xdead000);
	x = exit_of(SVM_EXIT_EXCP_BASE + VEC_UD, 0, 0, &bare);
	assert_int_equal(x.event, VE_EXCEPTION);
	assert_int_equal(x.vector, VEC_UD);
}

static void test_cr_without_and_with_decode_assists(void **s)
{
	struct vcpu_exit x = exit_of(SVM_EXIT_WRITE_CR0 + 3, 0, 0, &bare);
	assert_int_equal(x.event, VE_CR);
	assert_int_equal(x.cr.cr, 3);
	assert_int_equal(x.cr.access, CR_MOV_TO);
	assert_false(x.decoded); /* the GPR must come from the instruction */
	x = exit_of(SVM_EXIT_READ_CR0 + 4, 0, 0, &bare);
	assert_int_equal(x.cr.access, CR_MOV_FROM);
	assert_int_equal(x.cr.cr, 4);

	struct svm_caps da = { .decode_assists = true, .nrips = true };
	vm.rip = 0x2000;
	vm.nrip = 0x2003;
	x = exit_of(SVM_EXIT_WRITE_CR0 + 3, BIT(63) | 11, 0, &da);
	assert_true(x.decoded);
	assert_int_equal(x.cr.gpr, 11);
	assert_int_equal(x.insn_len, 3);
	/* CLTS/LMSW: bit 63 clear, so not decoded */
	x = exit_of(SVM_EXIT_WRITE_CR0, 0, 0, &da);
	assert_false(x.decoded);
	x = exit_of(SVM_EXIT_INVLPG, 0xffff800000001000ull, 0, &da);
	assert_int_equal(x.event, VE_INVLPG);
	assert_true(x.decoded);
	assert_int_equal(x.invlpg.gva, 0xffff800000001000ull);
	x = exit_of(SVM_EXIT_INVLPG, 0x1234, 0, &bare);
	assert_false(x.decoded);
	vm.nrip = 0;
}

static void test_simple_and_unknown_events(void **s)
{
	assert_int_equal(exit_of(SVM_EXIT_CPUID, 0, 0, &bare).event, VE_CPUID);
	assert_int_equal(exit_of(SVM_EXIT_HLT, 0, 0, &bare).event, VE_HLT);
	assert_int_equal(exit_of(SVM_EXIT_MSR, 0, 0, &bare).event, VE_RDMSR);
	assert_int_equal(exit_of(SVM_EXIT_MSR, 1, 0, &bare).event, VE_WRMSR);
	assert_int_equal(exit_of(SVM_EXIT_INTR, 0, 0, &bare).event, VE_NONE);
	assert_int_equal(exit_of(SVM_EXIT_VINTR, 0, 0, &bare).event, VE_NONE);
	assert_int_equal(exit_of(SVM_EXIT_SHUTDOWN, 0, 0, &bare).event, VE_TRIPLE_FAULT);
	assert_int_equal(exit_of(SVM_EXIT_VMRUN, 0, 0, &bare).event, VE_VIRT_INSN);
	assert_int_equal(exit_of(SVM_EXIT_VMMCALL, 0, 0, &bare).event, VE_VIRT_INSN);
	assert_int_equal(exit_of(SVM_EXIT_WBINVD, 0, 0, &bare).event, VE_NOP);
	assert_int_equal(exit_of(SVM_EXIT_INVALID, 0, 0, &bare).event, VE_ENTRY_FAILED);
	assert_int_equal(exit_of(SVM_EXIT_NPF, 0, 0, &bare).event, VE_UNKNOWN);
	assert_int_equal(exit_of(0x65, 0, 0, &bare).event, VE_UNKNOWN); /* CR0_SEL_WRITE */
	/* NRIP beyond 15 bytes is no instruction length */
	struct svm_caps n = { .nrips = true };
	vm.rip = 0x1000;
	vm.nrip = 0x1100;
	assert_int_equal(exit_of(SVM_EXIT_CPUID, 0, 0, &n).insn_len, 0);
	vm.nrip = 0x1002;
	assert_int_equal(exit_of(SVM_EXIT_CPUID, 0, 0, &n).insn_len, 2);
	vm.nrip = 0;
}

static void test_exit_names(void **s)
{
	assert_string_equal(svm_exit_name(SVM_EXIT_IOIO), "IOIO");
	assert_string_equal(svm_exit_name(SVM_EXIT_EXCP_BASE + VEC_PF), "#PF");
	assert_string_equal(svm_exit_name(0x13), "CR3 write");
	assert_string_equal(svm_exit_name(0x04), "CR4 read");
	assert_string_equal(svm_exit_name((u32)SVM_EXIT_INVALID), "VMEXIT_INVALID");
	assert_string_equal(svm_exit_name(0x9f), "?");
}

static void test_msrpm(void **s)
{
	static u8 map[SVM_MSRPM_BYTES];
	memset(map, 0xff, sizeof(map));
	/* EFER 0xc0000080: second range (byte 0x800), MSR 0x80 -> bits 0x100, 0x101 */
	assert_true(svm_msrpm_set(map, MSR_IA32_EFER, false, true));
	assert_int_equal(map[0x800 + 0x100 / 8], 0xfe);
	/* PAT 0x277: first range, bits 0x4ee and 0x4ef -> byte 0x9d, bits 6 and 7 */
	assert_true(svm_msrpm_set(map, MSR_IA32_PAT, false, false));
	assert_int_equal(map[0x9d], 0x3f);
	assert_true(svm_msrpm_set(map, MSR_IA32_PAT, true, true));
	assert_int_equal(map[0x9d], 0xff);
	/* third range: VM_CR 0xc0010114 */
	assert_true(svm_msrpm_set(map, 0xc0010114, false, false));
	assert_int_equal(map[0x1000 + 0x228 / 8], 0xfc);
	/* outside the three ranges: always intercepted, nothing to set */
	assert_false(svm_msrpm_set(map, 0x40000000, false, false));
	assert_false(svm_msrpm_set(map, 0xc0002000, false, false));
}

static void test_cr4_allowed(void **s)
{
	u64 base = svm_cr4_allowed(0, 0, 0);
	assert_true(base & CR4_PAE);
	assert_false(base & (CR4_SMEP | CR4_SMAP | CR4_FSGSBASE | CR4_UMIP | CR4_PCIDE |
			     CR4_OSXSAVE | CR4_PKE | CR4_VMXE | CR4_LA57));
	u64 all = svm_cr4_allowed(BIT(17) | BIT(26), BIT(0) | BIT(7) | BIT(20), BIT(2) | BIT(3));
	assert_int_equal(all & ~base, CR4_PCIDE | CR4_OSXSAVE | CR4_FSGSBASE | CR4_SMEP | CR4_SMAP |
					      CR4_UMIP | CR4_PKE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_qemu),
		cmocka_unit_test(test_ioio),
		cmocka_unit_test(test_page_fault_and_exceptions),
		cmocka_unit_test(test_cr_without_and_with_decode_assists),
		cmocka_unit_test(test_simple_and_unknown_events),
		cmocka_unit_test(test_exit_names),
		cmocka_unit_test(test_msrpm),
		cmocka_unit_test(test_cr4_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
