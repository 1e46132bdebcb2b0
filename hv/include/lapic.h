#ifndef FORMICA_LAPIC_H
#define FORMICA_LAPIC_H
#include "types.h"
void lapic_quiesce(void);
void lapic_eoi(void);
#define LAPIC_TIMER_VECTOR 0xf0
void lapic_timer_init(void);
void lapic_timer_arm(u64 ns); /* one-shot, ns from now */
void lapic_timer_stop(void);
#endif
