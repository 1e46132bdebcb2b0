#ifndef FORMICA_POWER_H
#define FORMICA_POWER_H
struct handoff;
void power_init(const struct handoff *h);
void power_off(void) __attribute__((noreturn));
#endif
