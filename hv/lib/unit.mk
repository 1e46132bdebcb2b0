UNIT_TESTS += test_printf
test_printf_SRCS := hv/lib/tests/test_printf.c hv/lib/printf.c
test_printf_CFLAGS := -Wno-format-truncation -Wno-format-overflow
UNIT_TESTS += test_tsc_freq
test_tsc_freq_SRCS := hv/lib/tests/test_tsc_freq.c hv/lib/tsc_freq.c
test_tsc_freq_CFLAGS := -Ihv/lib
