/*
 * svm_event.c - EVENTINJ, V_IRQ and EXITINTINFO (svm_event.h says what each
 * is for).
 *
 * One V_IRQ serves two purposes, told apart by the VINTR intercept: with it
 * off, V_IRQ is a vector for the CPU to deliver; with it on, V_IRQ is only
 * a request for a VINTR exit (an interrupt window) and the vector does not
 * matter.  Priority 15 and V_IGN_TPR make the guest's TPR (CR8) irrelevant:
 * the virtual 8259 has already chosen the interrupt.
 */
#include "svm/svm_event.h"
#include "x86.h"

#define V_IRQ_BITS (V_IRQ | V_INTR_PRIO(15) | V_IGN_TPR)

void svm_virq_deliver(struct vmcb *vm, u8 vector)
{
	vm->v_intr_vector = vector;
	vm->v_intr |= V_IRQ_BITS;
	vm->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
}

bool svm_virq_delivering(const struct vmcb *vm)
{
	return (vm->v_intr & V_IRQ) && !(vm->intercept_misc1 & SVM_INTERCEPT_VINTR);
}

void svm_virq_window(struct vmcb *vm, bool on)
{
	if (svm_virq_delivering(vm))
		return;
	if (on) {
		vm->v_intr |= V_IRQ_BITS;
		vm->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		vm->v_intr &= ~V_IRQ_BITS;
		vm->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	}
}

bool svm_requeue_event(struct vmcb *vm)
{
	u64 info = vm->exitintinfo;
	if (!(info & EVENTINJ_VALID))
		return true;
	u64 type = info & EVENTINJ_TYPE_MASK;
	u8 vector = info & 0xff;
	/* INTn, INT3, INTO: the guest runs the instruction again (as KVM
	 * does).  Injected again, the event would push the RIP of the
	 * instruction instead of the next one, and the guest's handler would
	 * return onto its INT3 (Linux's text_poke_bp() handler then finds no
	 * patch site: a double fault). */
	if (type == EVENTINJ_TYPE_SOFT_INT ||
	    (type == EVENTINJ_TYPE_EXCEPTION && (vector == VEC_BP || vector == VEC_OF)))
		return true;
	/* An external interrupt.  Hardware reports a virtual interrupt it had
	 * taken as type INTR; QEMU TCG as an exception with the vector (> 31,
	 * which no exception has), and leaves V_IRQ set. */
	if (type == EVENTINJ_TYPE_INTR || (type == EVENTINJ_TYPE_EXCEPTION && vector > 31)) {
		if (!svm_virq_delivering(vm))
			svm_virq_deliver(vm, vector);
		return true;
	}
	if (vm->eventinj & EVENTINJ_VALID) {
		if (type == EVENTINJ_TYPE_EXCEPTION &&
		    (vm->eventinj & EVENTINJ_TYPE_MASK) == EVENTINJ_TYPE_EXCEPTION) {
			if (vector == VEC_DF)
				return false;
			vm->eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | VEC_DF;
		}
		return true;
	}
	/* Same format as EVENTINJ, error code included (15.7.2). */
	vm->eventinj = info;
	return true;
}
