# hv/svm: exit translation, capabilities, permission maps, event delivery (pure cores).
UNIT_TESTS += test_svm_pure
test_svm_pure_SRCS := hv/svm/tests/test_svm_pure.c hv/svm/svm_pure.c
UNIT_TESTS += test_svm_event
test_svm_event_SRCS := hv/svm/tests/test_svm_event.c hv/svm/svm_event.c

# make bench-svm (part of make bench): the Linux workload of bench-linux.sh
# on QEMU TCG + SVM, bare and under formica (tools/bench-svm.sh,
# build/bench/svm.csv).  Literal paths: tools/linux/unit.mk, which defines
# LINUX_GUEST, is read after this file.
BENCH_TARGETS += bench-svm
.PHONY: bench-svm
bench-svm: all build/linux/vmlinuz
	tools/bench-svm.sh
