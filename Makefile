# Formica - a teaching hypervisor.  See README.md.
#
#   make            build build/formica.efi, build/hv.bin and build/esp.img, and
#                   the host tools build/samples2csv, build/homogeneity
#   make usb        build/formica-usb.img: GPT disk image for a USB stick
#   make unit       host unit tests (cmocka), seconds
#   make test       unit tests, then integration tests booted in Bochs
#   make test-kernels  the Antfarm test on each kernel of the Linux kit
#   make run        boot the default configuration in Bochs, console on stdout
#   make qemu       boot in QEMU + OVMF (TCG: AMD SVM; KVM with -cpu host where tools/kvm-usable.sh says yes)
#   make itest-svm  the QEMU lane of make test: AMD SVM in QEMU TCG (hv/svm/README.md)
#   make bench      measured ratios (see README.md); make bench-svm: QEMU + SVM
#   make fuzz       libFuzzer on the parsers of untrusted input (tools/fuzz/)
#   make iosched    the Antfarm scheduling case study on Linux guests (tools/iosched/)
#   make homogeneity  the second seed's study: Linux kernels side by side, are
#                   their samples alike? (tools/homogeneity/study.sh; it writes to
#                   build/homogeneity-study/, since build/homogeneity is the tool)
#   make V=1 ...    print every command (default: one short line per step)
#
# Subsystems add their unit tests and benchmarks through small fragments
# (*/unit.mk); see hv/ARCHITECTURE.md, "Adding a unit test".

SHELL := /bin/bash
B := build
HOSTCC ?= cc
CC := gcc
LD := ld
OBJCOPY := objcopy
NASM := nasm

.DEFAULT_GOAL := all
.PHONY: all usb unit test itest run qemu bench deps clean

# ---------------------------------------------------------------- packages
# Debian packages the build and the tests need, and the command that proves
# each is there.  `make deps` installs what is missing (as root), or prints
# the one command to run.  clang and libclang-rt-dev (libFuzzer, for the
# default clang) are for `make fuzz` (tools/fuzz/); python3-scipy and
# r-cran-ksamples give tools/homogeneity's tests their reference values,
# gnuplot-nox draws its plots, tools/logplot.sh's and `make iosched`'s chart;
# gdisk (sgdisk) writes the USB image's partition table.
DEPS_PKGS := gcc make binutils gnu-efi nasm libcmocka-dev bochs bochsbios vgabios \
	clang libclang-rt-dev \
	ovmf qemu-system-x86 mtools dosfstools gdisk python3 busybox-static cpio kmod xz-utils zstd \
	python3-scipy r-cran-ksamples gnuplot-nox
deps:
	@tools/deps.sh $(DEPS_PKGS)
$(B)/.deps-ok: tools/deps.sh | $(B)
	@tools/deps.sh $(DEPS_PKGS)
	@touch $@

$(B):
	@mkdir -p $(B)

# ---------------------------------------------------------------- output
# Quiet by default: each step prints one short line ("CC hv/foo.c") and
# `make V=1` prints the full commands instead.  A recipe is written as
#	$(call say,CC,$<)
#	$(Q)$(CC) ...
V ?= 0
ifeq ($(V),1)
Q :=
say = @:
else
Q := @
say = @printf '  %-8s%s\n' '$(1)' '$(2)'
endif

# ---------------------------------------------------------------- hv image
# The hypervisor is a freestanding, position-independent ELF, linked by
# linker.ld, flattened to build/hv.bin.  boot/ loads it anywhere and jumps
# in; hv/kernel/entry.S applies its own relocations first.
#
# -mgeneral-regs-only: the hv never touches SSE/AVX registers, so it does not
# have to save and restore the guest's FPU state on every exit.
# -mno-red-zone: exception handlers run on the same stack.
# libgcc is linked for the few helpers gcc may call (__popcountdi2...); the
# hv runs with interrupts off, so its red-zone use is harmless.
HV_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fpie \
	-mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -fno-tree-loop-distribute-patterns -Wall -Wextra -Werror -Wno-unused-parameter \
	-Ihv/include -Ihv -I.
HV_SRCS := $(wildcard hv/*.c hv/*/*.c) $(wildcard sched/*.c)
HV_SRCS := $(filter-out %/tests/%,$(HV_SRCS))
HV_ASM := $(wildcard hv/*.S hv/*/*.S)
HV_OBJS := $(patsubst %.c,$(B)/%.o,$(HV_SRCS)) $(patsubst %.S,$(B)/%.o,$(HV_ASM))

$(B)/hv/%.o: hv/%.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@
$(B)/hv/%.o: hv/%.S | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@
$(B)/sched/%.o: sched/%.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(B)/hv.elf: $(HV_OBJS) linker.ld
	$(call say,LD,$@)
	$(Q)$(LD) -nostdlib -static -pie --no-dynamic-linker -z max-page-size=4096 \
		-z noexecstack --no-warn-rwx-segments -T linker.ld -o $@ $(HV_OBJS) \
		$(shell $(CC) -print-libgcc-file-name)
$(B)/hv.bin: $(B)/hv.elf
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -O binary $< $@

# ---------------------------------------------------------------- boot (UEFI)
EFI_INC := -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_CFLAGS := -std=gnu11 -O2 -fpic -fshort-wchar -fno-stack-protector -ffreestanding \
	-mno-red-zone -mgeneral-regs-only -DGNU_EFI_USE_MS_ABI -Wall -Wextra -Werror \
	-Wno-unused-parameter $(EFI_INC) -Ihv/include
BOOT_SRCS := $(wildcard boot/*.c) hv/lib/printf.c
BOOT_OBJS := $(patsubst %.c,$(B)/efi/%.o,$(BOOT_SRCS))

$(B)/efi/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,CC,$< (UEFI))
	$(Q)$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@
$(B)/boot.so: $(BOOT_OBJS)
	$(call say,LD,$@)
	$(Q)$(LD) -nostdlib -shared -Bsymbolic -znocombreloc -T /usr/lib/elf_x86_64_efi.lds \
		/usr/lib/crt0-efi-x86_64.o $(BOOT_OBJS) -L/usr/lib -lefi -lgnuefi -o $@
$(B)/formica.efi: $(B)/boot.so
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# ---------------------------------------------------------------- guest tests
GUEST_TESTS := $(patsubst guest-tests/%.asm,%,$(wildcard guest-tests/*.asm))
GUEST_BINS := $(patsubst %,$(B)/guest-tests/%.bin,$(filter-out lib,$(GUEST_TESTS)))
$(B)/guest-tests/%.bin: guest-tests/%.asm $(wildcard guest-tests/*.inc) | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)
	$(Q)$(NASM) -f bin -Iguest-tests/ -M -MT $@ -MF $@.d $<
	$(Q)$(NASM) -f bin -Iguest-tests/ -o $@ $<

# ---------------------------------------------------------------- ESP image
# CONFIG picks the formica.cfg that goes on the ESP; ESP_EXTRA lists more
# files (host path) for its \formica directory.
CONFIG ?= tools/configs/default.cfg
ESP_EXTRA ?=
ESP_IMG ?= $(B)/esp.img
# An image also depends on which CONFIG and ESP_EXTRA make was given and on
# the FORMICA_* variables tools/mkesp.sh reads, changes make cannot see:
# IMAGE.args records them and is rewritten only when they differ (make
# then finds it newer than the image).  The images used to be rebuilt at
# every make instead, and make test's two lanes, each a make, rebuilt them
# at once ("dd: failed to open 'build/formica-usb.img.esp'", the QEMU lane
# dead in 7 s, once).
IMG_ARGS = $(CONFIG) $(ESP_EXTRA) shadow=$(FORMICA_SHADOW) shadow_2m=$(FORMICA_SHADOW_2M) \
	sample_ms=$(FORMICA_SAMPLE_MS) log=$(FORMICA_LOG)
%.args: FORCE
	@mkdir -p $(dir $@)
	@echo '$(IMG_ARGS)' | cmp -s - $@ || echo '$(IMG_ARGS)' >$@
$(ESP_IMG): $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(CONFIG) $(ESP_EXTRA) tools/mkesp.sh $(ESP_IMG).args
	$(call say,ESP,$@)
	$(Q)tools/mkesp.sh $@ $(CONFIG) $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(ESP_EXTRA)
FORCE:

all: $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(ESP_IMG)

# make usb: the same files in a disk image with a GPT, for `dd` to a USB
# stick (tools/mkusb.sh; README.md, "Booting it", real hardware).
USB_IMG := $(B)/formica-usb.img
$(USB_IMG): $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(CONFIG) $(ESP_EXTRA) tools/mkesp.sh tools/mkusb.sh \
		$(USB_IMG).args
	$(call say,USB,$@)
	$(Q)tools/mkusb.sh $@ $(CONFIG) $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(ESP_EXTRA)
usb: $(USB_IMG)

# ---------------------------------------------------------------- unit tests
# Each fragment appends a name to UNIT_TESTS and sets NAME_SRCS (and, if it
# needs them, NAME_CFLAGS / NAME_LIBS).  Tests build with the host compiler,
# FORMICA_HOST defined, and AddressSanitizer + UBSan.
UNIT_TESTS :=
BENCH_TARGETS :=
ITESTS :=
include $(sort $(wildcard */unit.mk */*/unit.mk))

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-DFORMICA_HOST -Ihv/include -Ihv -I. -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
# One compiler run builds a test from all its sources; a -MM pass beside it
# lists the headers they include (BIN.d), so a header change rebuilds it.
define unit_rule
$(B)/unit/$(1): $$($(1)_SRCS) | $(B)/.deps-ok
	@mkdir -p $$(dir $$@)
	$$(call say,HOSTCC,$$@)
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) $$($(1)_CFLAGS) -MM -MP -MT $$@ $$($(1)_SRCS) > $$@.d
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) $$($(1)_CFLAGS) -o $$@ $$($(1)_SRCS) -lcmocka $$($(1)_LIBS) -lm
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
UNIT_BINS := $(addprefix $(B)/unit/,$(UNIT_TESTS))
-include $(UNIT_BINS:=.d)

# The binaries build $(nproc) at a time unless make already runs with -j
# (then the sub-make shares its job slots): from clean, one at a time, the
# ~63 ASan compiles took 52 s here on 2 cores.
.PHONY: unit-bins
unit-bins: $(UNIT_BINS)
unit:
	@case " $$MAKEFLAGS " in *jobserver*|*" -j"*) j= ;; *) j=-j$$(nproc) ;; esac; \
	$(MAKE) --no-print-directory $$j unit-bins
	@tools/run-unit.sh $(B)/unit-results.txt $(UNIT_BINS)

# ---------------------------------------------------------------- integration
# `make test` = unit tests + integration tests (tools/itest.sh).  Both write
# "passed failed" counts; tools/summary.sh prints the one closing line.
# tools/usb-test.sh boots build/formica-usb.img from an emulated USB stick.
ITESTS += tools/usb-test.sh
itest: all $(USB_IMG) $(LINUX_GUEST)
	@tools/itest.sh $(B)/itest-results.txt $(ITESTS)

# The QEMU lane: the same hv on AMD SVM (hv/svm/) in QEMU's TCG, -cpu max
# (Bochs emulates no SVM, QEMU's TCG no VMX): the flat guest-tests in one
# boot, then ITESTS_SVM with their QEMU switch on (tools/itest.sh), on q35,
# whose AHCI controller is the physical disk.  Guest time there is the
# instruction count (-icount, tools/qemu-run.sh), as in Bochs, so no timing
# check depends on what else the host runs.  `make itest-svm ITESTS_SVM=`
# boots only the flat guest-tests (seconds).  The Linux tests: one guest
# and two at once (linux-test.sh), Antfarm against tracefs (antfarm-test.sh),
# two guests with disks on the AHCI disk (linux-disk-test.sh).  Until
# 2026-12-05 Linux under SVM could hang here: QEMU delivered an interrupt
# injected through EVENTINJ twice (hv/svm/README.md, "Interrupt delivery").
ITESTS_SVM ?= tools/vblk-test.sh tools/linux-test.sh tools/antfarm-test.sh tools/linux-disk-test.sh
SVM_LINUX_TESTS ?=
.PHONY: itest-svm itest-inputs
itest-svm: itest-inputs
	@ITEST_BENCH=qemu LINUX_TEST_ONLY=$(SVM_LINUX_TESTS) tools/itest.sh $(B)/itest-svm-results.txt $(ITESTS_SVM)
.PHONY: linux-test-svm
linux-test-svm: all $(LINUX_GUEST)
	@LINUX_TEST_BENCH=qemu tools/linux-test.sh

# What both lanes' scripts build or fetch, built once before they run side
# by side (two makes must not write the same file at once).
itest-inputs: all $(USB_IMG) $(LINUX_GUEST) build/linux-6.12/vmlinuz afwork-tree \
	build/linux/compile-kit/tree.stamp

# The Bochs (VT-x) lane and the QEMU (SVM) lane run side by side: each is
# one single-threaded emulator, the machine has two cores, and in both the
# guests' clock counts instructions.  TEST_LANES=serial runs one after the
# other.  The QEMU lane's output goes to build/itest-svm.out, printed after.
TEST_LANES ?= parallel
test:
	@rm -f $(B)/unit-results.txt $(B)/itest-results.txt $(B)/itest-svm-results.txt
	@$(MAKE) --no-print-directory unit || true
	@$(MAKE) --no-print-directory itest-inputs
	@start=$$SECONDS; \
	if [ "$(TEST_LANES)" = serial ]; then \
		$(MAKE) --no-print-directory itest-svm > $(B)/itest-svm.out 2>&1; \
		echo "test: QEMU lane took $$((SECONDS - start)) s"; \
		$(MAKE) --no-print-directory itest; \
	else \
		( $(MAKE) --no-print-directory itest-svm > $(B)/itest-svm.out 2>&1; \
		  echo "test: QEMU lane took $$((SECONDS - start)) s" >> $(B)/itest-svm.out ) & \
		$(MAKE) --no-print-directory itest; \
		echo "test: Bochs lane took $$((SECONDS - start)) s"; \
		wait; \
	fi; \
	cat $(B)/itest-svm.out; true
	@tools/summary.sh $(B)/unit-results.txt $(B)/itest-results.txt $(B)/itest-svm-results.txt

# make run: RUN_CONFIG (default: two Linux guests with a disk each), with
# build/run-data.img as the guests' disk, on the bench RUN_BENCH names:
#   bochs  Bochs, VT-x (hv/vmx/); the disk on IDE (ata0-slave)
#   qemu   QEMU: KVM where it can nest (tools/kvm-usable.sh; untested), else TCG with AMD SVM
#          (hv/svm/), several times faster than Bochs; the disk on AHCI
#   auto   (default) qemu on a host with neither VT-x nor a usable KVM, where
#          Bochs would be the slow way to the same guests; bochs otherwise
# The first line says which, and why.
# make run RUN_CONFIG=tools/configs/default.cfg: the flat test guests (fast).
RUN_BENCH ?= auto
# Then the pictures and CSV tables of the run in build/run/ (tools/logplot.sh),
# also when the run timed out: they show how far it got.
RUN_CONFIG ?= tools/configs/run.cfg
RUN_INITRD := $(B)/linux/run.cpio.gz
$(RUN_INITRD): tools/linux/mkinitramfs.sh $(wildcard tools/linux/workloads/*.sh tools/linux/workloads/lib/*.sh) build/linux/vmlinuz
	$(call say,INITRD,$@)
	$(Q)MODULES="virtio_pci virtio_blk" tools/linux/mkinitramfs.sh $@ forkexec tmpfs cpuinfo \
		tools/linux/workloads/disk-pattern.sh tools/linux/workloads/disk-two.sh 2>/dev/null
$(B)/run-data.img:
	$(Q)python3 tools/storage/disktool.py mkdata $@ 64512
run: all $(LINUX_GUEST) $(RUN_INITRD) $(B)/run-data.img
	$(Q)tools/run-bench.sh $(RUN_BENCH) > $(B)/run-bench.txt
	$(call say,ESP,$(B)/run-esp.img)
	$(Q)tools/mkesp.sh $(B)/run-esp.img $(RUN_CONFIG) $(B)/formica.efi $(B)/hv.bin $(GUEST_BINS) $(LINUX_GUEST) $(RUN_INITRD)
	$(Q)if [ "$$(cat $(B)/run-bench.txt)" = qemu ]; then \
		tools/qemu-run.sh --esp $(B)/run-esp.img --data $(B)/run-data.img --log $(B)/run-serial.log \
			--timeout $${TIMEOUT:-3600}; \
	else \
		tools/bochs-run.sh --esp $(B)/run-esp.img --data $(B)/run-data.img --log $(B)/run-serial.log --megs 1536 --stream \
			--timeout $${TIMEOUT:-3600}; \
	fi; st=$$?; \
	tools/logplot.sh $(B)/run-serial.log $(B)/run; exit $$st

qemu: all
	$(call say,QEMU,$(ESP_IMG))
	$(Q)tools/qemu-run.sh --esp $(ESP_IMG) --log $(B)/qemu-serial.log

bench: $(BENCH_TARGETS)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
