UNIT_TESTS += test_printf
test_printf_SRCS := hv/lib/tests/test_printf.c hv/lib/printf.c
test_printf_CFLAGS := -Wno-format-truncation -Wno-format-overflow
UNIT_TESTS += test_sbuf
test_sbuf_SRCS := hv/lib/tests/test_sbuf.c hv/lib/sbuf.c
UNIT_TESTS += test_tsc_freq
test_tsc_freq_SRCS := hv/lib/tests/test_tsc_freq.c hv/lib/tsc_freq.c
test_tsc_freq_CFLAGS := -Ihv/lib
UNIT_TESTS += test_uart_probe
test_uart_probe_SRCS := hv/lib/tests/test_uart_probe.c hv/lib/uart_probe.c hv/dev/uart16550.c
test_uart_probe_CFLAGS := -Ihv/lib
# The hv's memset/memcpy/memmove (REP string instructions), under other
# names beside the host's libc.
UNIT_TESTS += test_string
test_string_SRCS := hv/lib/tests/test_string.c
