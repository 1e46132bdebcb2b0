# The guest's "parallel compile" kit (tools/linux/compile-kit.sh): tcc, GNU
# make, the glibc they need and Formica's scheduler sources in /src/schedsim,
# as a tree to put into an initramfs with EXTRA_TREES=$(COMPILE_KIT).
# Built once (the stamp): it depends on the kit's own files, not on sched/,
# so the compile workload stays the same from one measurement to the next.
# rm $(COMPILE_KIT).stamp to refresh the copied sources.
COMPILE_KIT := build/linux/compile-kit/tree

$(COMPILE_KIT).stamp: tools/linux/compile-kit.sh tools/linux/compile-kit/Makefile.guest \
		tools/linux/compile-kit/quick.c
	tools/linux/compile-kit.sh $(COMPILE_KIT)
	@touch $@

# An initramfs whose only step is the compile, for a quick try:
#   make build/linux/compile.cpio.gz && tools/linux/qemu-bare.sh --initrd build/linux/compile.cpio.gz
build/linux/compile.cpio.gz: $(COMPILE_KIT).stamp tools/linux/mkinitramfs.sh \
		tools/linux/compile-kit/compile-step.sh
	EXTRA_TREES=$(COMPILE_KIT) tools/linux/mkinitramfs.sh $@ tools/linux/compile-kit/compile-step.sh
