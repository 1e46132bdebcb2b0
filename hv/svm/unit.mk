# hv/svm: exit translation, capabilities, permission maps (pure core).
UNIT_TESTS += test_svm_pure
test_svm_pure_SRCS := hv/svm/tests/test_svm_pure.c hv/svm/svm_pure.c
