#ifndef FORMICA_LAPIC_H
#define FORMICA_LAPIC_H
void lapic_quiesce(void);
void lapic_eoi(void);
#endif
