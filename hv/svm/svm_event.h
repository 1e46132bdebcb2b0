/*
 * svm_event.h - getting an event into an SVM guest, and again after an exit
 * cut its delivery short (APM Vol. 2, 15.20 and 15.21).
 *
 * Exceptions go in through EVENTINJ.  External interrupts go in as a
 * virtual interrupt (V_IRQ with V_INTR_VECTOR): the CPU delivers it itself,
 * through the guest's IDT, as soon as the guest's RFLAGS.IF and interrupt
 * shadow allow.  V_IRQ has a second use, the interrupt window: with the
 * VINTR intercept on, the moment the guest could take it becomes an exit
 * instead.  hv/svm/README.md, "Interrupt delivery", says why interrupts do
 * not go through EVENTINJ (QEMU TCG delivers those twice).
 * Pure: it only reads and writes a VMCB in memory (tests/test_svm_pure.c).
 */
#ifndef FORMICA_SVM_EVENT_H
#define FORMICA_SVM_EVENT_H

#include "types.h"
#include "svm/vmcb.h"

/* Have the CPU deliver external interrupt `vector` when the guest can take it. */
void svm_virq_deliver(struct vmcb *vm, u8 vector);

/* True while a vector given to svm_virq_deliver() waits for delivery: the
 * CPU clears V_IRQ when it takes it. */
bool svm_virq_delivering(const struct vmcb *vm);

/* Ask for (on) or cancel (off) a VINTR exit when the guest can take an
 * interrupt.  Neither touches a vector waiting for delivery: the guest gets
 * that one first, and the next exit asks again. */
void svm_virq_window(struct vmcb *vm, bool on);

/*
 * After an exit: EXITINTINFO holds an event whose delivery the exit
 * interrupted (15.7.2), to be delivered again.
 *  - An external interrupt goes back into V_IRQ, unless it is still there
 *    (QEMU TCG leaves V_IRQ set, and reports the vector as an exception).
 *  - An exception goes back into EVENTINJ, unless the exit's handler
 *    queued one: exception on exception is #DF (APM 8.2.9, simplified as
 *    on VMX), and on #DF a triple fault: then it returns false.
 *  - INTn, INT3 and INTO are not delivered again: RIP still points at the
 *    instruction (the VMCB has the next RIP only with NRIP save), so the
 *    guest executes it again.
 */
bool svm_requeue_event(struct vmcb *vm);

#endif
