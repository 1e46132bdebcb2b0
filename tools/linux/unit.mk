# The Linux guest kit: Debian's kernel (fetched with apt) and a busybox
# initramfs with the workload.  Both land in build/linux/.
build/linux/vmlinuz:
	tools/linux/fetch-kernel.sh build/linux
# More kernels, one directory each: build/linux-S/ holds Debian's newest
# kernel of the series S (the metapackage linux-image-S-amd64), e.g.
# build/linux-6.12/.  KERNEL_KITS are the kernels make test-kernels runs
# the Antfarm test on: the default one first.
build/linux-%/vmlinuz:
	tools/linux/fetch-kernel.sh build/linux-$* linux-image-$*-amd64
KERNEL_KITS := build/linux build/linux-6.12
.PHONY: test-kernels
test-kernels: all $(addsuffix /vmlinuz,$(KERNEL_KITS)) build/antfarm/tree/bin/afwork \
		build/linux/compile-kit/tree.stamp
	@KERNEL_KITS="$(KERNEL_KITS)" tools/test-kernels.sh
build/linux/initramfs.cpio.gz: tools/linux/mkinitramfs.sh
	$(call say,INITRD,$@)
	$(Q)tools/linux/mkinitramfs.sh $@
LINUX_GUEST := build/linux/vmlinuz build/linux/initramfs.cpio.gz
ITESTS += tools/linux-test.sh
BENCH_TARGETS += bench-linux
.PHONY: bench-linux
# ctxbench runs in a libc-less initramfs, hence -static (like afwork).
BENCH_TREE := build/linux/bench-tree
$(BENCH_TREE)/bin/ctxbench: tools/linux/workloads/ctxbench.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -static -O2 -Wall -Wextra -std=gnu11 -o $@ $<
$(BENCH_TREE)/bin/kprof: tools/linux/workloads/kprof.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -static -O2 -Wall -Wextra -std=gnu11 -o $@ $<
bench-linux: all $(LINUX_GUEST) $(BENCH_TREE)/bin/ctxbench $(BENCH_TREE)/bin/kprof build/antfarm/tree/bin/afwork \
		build/linux/compile-kit/tree.stamp
	tools/bench-linux.sh
# The top Makefile includes only */unit.mk and */*/unit.mk: one level deeper
# needs this.
include tools/linux/compile-kit/unit.mk
# Two Linux guests with a disk each (virtio-blk on their extents of a
# second ATA disk): pattern written, read back, checked on the host.
ITESTS += tools/linux-disk-test.sh
# benchcsv.py's pairing of marks and intervals, on made-up logs
UNIT_TESTS += test_benchcsv
test_benchcsv_SRCS := tools/linux/tests/test_benchcsv.c
