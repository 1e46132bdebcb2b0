# hv/guest: the Linux boot-protocol loader (pure core).
UNIT_TESTS += test_bzimage
test_bzimage_SRCS := hv/guest/tests/test_bzimage.c hv/guest/bzimage.c
