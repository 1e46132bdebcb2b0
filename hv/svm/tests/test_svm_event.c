/* Unit tests: SVM event delivery (svm_event.c): V_IRQ for interrupts and
 * windows, EVENTINJ for exceptions, EXITINTINFO after an exit, on hardware
 * and as QEMU TCG reports it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "svm/svm_event.h"
#include "x86.h"

static struct vmcb vm;

static int setup(void **s)
{
	memset(&vm, 0, sizeof(vm));
	vm.v_intr = V_INTR_MASKING;
	return 0;
}

static bool window_on(void) { return vm.intercept_misc1 & SVM_INTERCEPT_VINTR; }

static void test_deliver_and_window(void **s)
{
	/* a window: V_IRQ with the VINTR intercept */
	svm_virq_window(&vm, true);
	assert_true(vm.v_intr & V_IRQ);
	assert_true(window_on());
	assert_false(svm_virq_delivering(&vm));
	svm_virq_window(&vm, false);
	assert_false(vm.v_intr & V_IRQ);
	assert_false(window_on());
	assert_true(vm.v_intr & V_INTR_MASKING); /* left alone */
	/* an interrupt: V_IRQ + vector, no intercept, never EVENTINJ */
	svm_virq_deliver(&vm, 0x30);
	assert_true(svm_virq_delivering(&vm));
	assert_int_equal(vm.v_intr_vector, 0x30);
	assert_false(window_on());
	assert_int_equal(vm.eventinj, 0);
	/* the run loop's "window off" (it injected) and "window on" (the 8259
	 * has another) leave the waiting vector alone */
	svm_virq_window(&vm, false);
	assert_true(svm_virq_delivering(&vm));
	svm_virq_window(&vm, true);
	assert_true(svm_virq_delivering(&vm));
	assert_false(window_on());
	/* the CPU took it (it clears V_IRQ): a window can be asked for again */
	vm.v_intr &= ~V_IRQ;
	assert_false(svm_virq_delivering(&vm));
	svm_virq_window(&vm, true);
	assert_true(window_on());
	/* a window turns into a delivery when the run loop injects */
	svm_virq_deliver(&vm, 0x21);
	assert_true(svm_virq_delivering(&vm));
	assert_false(window_on());
}

static void test_requeue_exceptions(void **s)
{
	/* nothing was being delivered (V = 0) */
	vm.exitintinfo = 0x20 | EVENTINJ_TYPE_INTR;
	assert_true(svm_requeue_event(&vm));
	assert_int_equal(vm.eventinj, 0);
	assert_false(vm.v_intr & V_IRQ);
	/* an exception with its error code */
	u64 ev = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_GP | (0x18ull << 32);
	vm.exitintinfo = ev;
	assert_true(svm_requeue_event(&vm));
	assert_int_equal(vm.eventinj, ev);
	/* the handler injected #PF while #GP was being delivered: #DF */
	vm.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_PF;
	assert_true(svm_requeue_event(&vm));
	assert_int_equal(vm.eventinj & 0xffffffffull,
			 EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_DF);
	/* ... and while #DF was being delivered: triple fault */
	vm.exitintinfo = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_DF;
	vm.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_PF;
	assert_false(svm_requeue_event(&vm));
	/* INT3 and INTn (QEMU reports INT3 as a software interrupt): run again,
	 * not injected with RIP still at the instruction */
	vm.eventinj = 0;
	u64 soft[] = { EVENTINJ_VALID | EVENTINJ_TYPE_SOFT_INT | VEC_BP,
		       EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | VEC_BP,
		       EVENTINJ_VALID | EVENTINJ_TYPE_SOFT_INT | 0x80 };
	for (unsigned i = 0; i < 3; i++) {
		vm.exitintinfo = soft[i];
		assert_true(svm_requeue_event(&vm));
		assert_int_equal(vm.eventinj, 0);
		assert_false(vm.v_intr & V_IRQ);
	}
}

/* The bug this file exists for: an interrupt that went in through EVENTINJ
 * came out of QEMU TCG twice.  Interrupts therefore never use EVENTINJ,
 * and an interrupted delivery is repeated exactly once. */
static void test_requeue_interrupts(void **s)
{
	/* Hardware: V_IRQ was taken (cleared), the delivery hit a #PF exit,
	 * EXITINTINFO says INTR 0x30: back into V_IRQ, not EVENTINJ. */
	vm.exitintinfo = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | 0x30;
	assert_true(svm_requeue_event(&vm));
	assert_true(svm_virq_delivering(&vm));
	assert_int_equal(vm.v_intr_vector, 0x30);
	assert_int_equal(vm.eventinj, 0);

	/* QEMU TCG: V_IRQ still set, EXITINTINFO reports the vector as an
	 * exception (> 31): it stays where it is, delivered once. */
	setup(NULL);
	svm_virq_deliver(&vm, 0x31);
	vm.exitintinfo = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | 0x31;
	assert_true(svm_requeue_event(&vm));
	assert_true(svm_virq_delivering(&vm));
	assert_int_equal(vm.v_intr_vector, 0x31);
	assert_int_equal(vm.eventinj, 0);

	/* An interrupt being delivered and an exception queued by the exit's
	 * handler: the exception goes first (EVENTINJ), the interrupt waits in
	 * V_IRQ until the guest can take it, not lost. */
	setup(NULL);
	vm.exitintinfo = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | 0x20;
	vm.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | VEC_UD;
	assert_true(svm_requeue_event(&vm));
	assert_int_equal(vm.eventinj, EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | VEC_UD);
	assert_true(svm_virq_delivering(&vm));
	assert_int_equal(vm.v_intr_vector, 0x20);

	/* An interrupt cut short while a window was asked for: the delivery
	 * replaces the window. */
	setup(NULL);
	svm_virq_window(&vm, true);
	vm.exitintinfo = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | 0x22;
	assert_true(svm_requeue_event(&vm));
	assert_true(svm_virq_delivering(&vm));
	assert_false(window_on());
	assert_int_equal(vm.v_intr_vector, 0x22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_deliver_and_window, setup),
		cmocka_unit_test_setup(test_requeue_exceptions, setup),
		cmocka_unit_test_setup(test_requeue_interrupts, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
