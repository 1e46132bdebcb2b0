# hv/stats: the sampler's lines and the working-set estimators (pure cores).
UNIT_TESTS += test_sample test_wss test_rootset
test_sample_SRCS := hv/stats/tests/test_sample.c hv/stats/sample.c hv/vmx/vmx_pure.c \
	tools/homogeneity/samplelog.c
test_sample_CFLAGS := -Itools/homogeneity
test_wss_SRCS := hv/stats/tests/test_wss.c hv/stats/wss.c
test_rootset_SRCS := hv/stats/tests/test_rootset.c hv/stats/rootset.c
# make test: guests with known working sets in Bochs, both estimators checked
ITESTS += tools/wss-test.sh
