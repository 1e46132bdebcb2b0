#ifndef FORMICA_CONSOLE_H
#define FORMICA_CONSOLE_H
#include "types.h"
/* Start the console on the 16550 at port (0: none).  See hv/console.c. */
void console_init(u16 port);
#endif
