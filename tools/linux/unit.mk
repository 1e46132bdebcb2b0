# The Linux guest kit: Debian's kernel (fetched with apt) and a busybox
# initramfs with the workload.  Both land in build/linux/.
build/linux/vmlinuz:
	tools/linux/fetch-kernel.sh build/linux
build/linux/initramfs.cpio.gz: tools/linux/mkinitramfs.sh
	tools/linux/mkinitramfs.sh $@
LINUX_GUEST := build/linux/vmlinuz build/linux/initramfs.cpio.gz
ITESTS += tools/linux-test.sh
BENCH_TARGETS += bench-linux
.PHONY: bench-linux
bench-linux: all $(LINUX_GUEST)
	tools/bench-linux.sh
# The top Makefile includes only */unit.mk and */*/unit.mk: one level deeper
# needs this.
include tools/linux/compile-kit/unit.mk
