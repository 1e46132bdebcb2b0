# tools/fuzz/unit.mk - libFuzzer harnesses for the parsers of untrusted input
# (tools/fuzz/README.md).  `make fuzz` builds every target and runs each for
# FUZZ_S seconds (default 60), one summary line per target; FUZZ=NAME... picks
# some, FUZZ_RUNS=N stops each after N executions instead.  Not part of
# `make test`.
#
# A target is one line below: its NAME and the sources it fuzzes.  The
# harness is tools/fuzz/fuzz_NAME.c, its seeds tools/fuzz/corpus/NAME/.  The
# build is quiet: `make fuzz` prints only its summary lines.
FUZZ_CC ?= clang
FUZZ_S ?= 60
FUZZ_RUNS ?= 0
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-DFORMICA_HOST -Ihv/include -Ihv -I. -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS :=

define fuzz_target
FUZZ_TARGETS += $(1)
$(B)/fuzz/fuzz_$(1): tools/fuzz/fuzz_$(1).c $(2) $(wildcard hv/include/*.h hv/*/*.h) | $(B)/.deps-ok
	@mkdir -p $$(dir $$@)
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$(filter %.c,$$^)
endef

$(eval $(call fuzz_target,config,boot/config.c))
$(eval $(call fuzz_target,bzimage,hv/guest/bzimage.c))
$(eval $(call fuzz_target,emu,hv/emu/decode.c hv/lib/sbuf.c hv/emu/emulate.c))
$(eval $(call fuzz_target,walk,hv/mm/walk.c))
$(eval $(call fuzz_target,virtq,hv/dev/virtqueue.c hv/dev/virtio_blk.c hv/dev/pci_cfg.c))

FUZZ ?= $(FUZZ_TARGETS)
.PHONY: fuzz
fuzz: $(addprefix $(B)/fuzz/fuzz_,$(FUZZ))
	@tools/fuzz/run.sh $(B)/fuzz $(FUZZ_S) $(FUZZ_RUNS) $(FUZZ)
