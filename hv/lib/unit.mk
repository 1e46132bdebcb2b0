UNIT_TESTS += test_printf
test_printf_SRCS := hv/lib/tests/test_printf.c hv/lib/printf.c
test_printf_CFLAGS := -Wno-format-truncation -Wno-format-overflow
