#ifndef FORMICA_SCREEN_H
#define FORMICA_SCREEN_H
#include "types.h"
struct handoff;
/* Start the screen console on the GOP framebuffer (formica.cfg screen = on).
 * False if it is off or there is none.  See hv/kernel/screen.c. */
bool screen_init(const struct handoff *h);
/* Draw one character (nothing before screen_init() or without a screen). */
void screen_putc(char c);
/* Copy what changed to the framebuffer. */
void screen_sync(void);
#endif
