# tools/antfarm/unit.mk - the Table 1 ground-truth analyzer's unit tests and
# the guest tree with the static workload program (see tools/antfarm/README.md).
UNIT_TESTS += test_truth
test_truth_SRCS := tools/antfarm/tests/test_truth.c tools/antfarm/truth.c
# report.awk's window accounting (runs awk from the top of the tree)
UNIT_TESTS += test_report
test_report_SRCS := tools/antfarm/tests/test_report.c

# build/antfarm/tree is an EXTRA_TREES directory for tools/linux/mkinitramfs.sh:
#   EXTRA_TREES=build/antfarm/tree tools/linux/mkinitramfs.sh OUT tools/antfarm/table1-steps.sh
# afwork runs in a libc-less initramfs, hence -static; no sanitizers there.
AFWORK_TREE := build/antfarm/tree
$(AFWORK_TREE)/bin/afwork: tools/antfarm/afwork.c tools/antfarm/truth.c tools/antfarm/truth.h
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -static -O2 -Wall -Wextra -std=gnu11 -o $@ tools/antfarm/afwork.c tools/antfarm/truth.c
.PHONY: afwork-tree
afwork-tree: $(AFWORK_TREE)/bin/afwork

# make truth-replay: a host program that counts a window again from the trace
# afwork dumped into a serial log (AFWORK_DUMP=1), with and without the CR3
# events (tools/antfarm/truth-replay.c).
.PHONY: truth-replay
truth-replay: build/antfarm/truth-replay
build/antfarm/truth-replay: tools/antfarm/truth-replay.c tools/antfarm/truth.c tools/antfarm/truth.h
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -O2 -g -Wall -Wextra -Werror -std=gnu11 -o $@ tools/antfarm/truth-replay.c tools/antfarm/truth.c

# make table1: the workloads under formica in Bochs, Table 1 on stdout and
# build/table1/{table1.csv,lag.csv,report.txt} (tools/table1.sh; about an hour).
.PHONY: table1 bench-antfarm
# (Literal paths: tools/linux/*.mk, which define LINUX_GUEST and COMPILE_KIT,
# are read after this file, and prerequisites are expanded as read.)
T1_INPUTS := build/linux/vmlinuz $(AFWORK_TREE)/bin/afwork build/linux/compile-kit/tree.stamp
table1: all $(T1_INPUTS)
	tools/table1.sh

# make bench: Antfarm's lag at several background loads and the cost of
# inference (the same workloads with inference on and off, one boot).
BENCH_TARGETS += bench-antfarm
bench-antfarm: all $(T1_INPUTS)
	tools/table1.sh --steps tools/antfarm/bench-steps.sh --out build/bench-antfarm
ITESTS += tools/antfarm-test.sh
