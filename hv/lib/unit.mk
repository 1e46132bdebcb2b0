UNIT_TESTS += test_printf
test_printf_SRCS := hv/lib/tests/test_printf.c hv/lib/printf.c
test_printf_CFLAGS := -Wno-format-truncation -Wno-format-overflow
UNIT_TESTS += test_sbuf
test_sbuf_SRCS := hv/lib/tests/test_sbuf.c hv/lib/sbuf.c
