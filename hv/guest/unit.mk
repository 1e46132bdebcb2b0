# hv/guest: the Linux boot-protocol loader (pure core).
UNIT_TESTS += test_bzimage
test_bzimage_SRCS := hv/guest/tests/test_bzimage.c hv/guest/bzimage.c
# hv/guest: what MOV to CR0/CR3/CR4 and WRMSR EFER refuse (pure core).
UNIT_TESTS += test_cr_check
test_cr_check_SRCS := hv/guest/tests/test_cr_check.c hv/guest/cr_check.c
# hv/guest: the vCPU scheduler (pure core of the run loop).
UNIT_TESTS += test_vsched
test_vsched_SRCS := hv/guest/tests/test_vsched.c hv/guest/vsched.c
# hv/guest/disk_glue.c in Bochs: guest-tests/vblk.asm drives the virtio-blk
# device by hand and attacks it, beside a neighbour; the data disk checked.
ITESTS += tools/vblk-test.sh
