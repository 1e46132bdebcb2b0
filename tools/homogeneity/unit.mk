# tools/homogeneity/: the homogeneity tests of the second seed (a pure core,
# homstat.h), the host tools around it, and their unit tests.  See
# tools/homogeneity/README.md.
HOMSTAT_SRCS := tools/homogeneity/midrank.c tools/homogeneity/mannwhitney.c \
	tools/homogeneity/siegel_tukey.c tools/homogeneity/anderson_darling.c

# Every statistic and p-value against scipy and R's kSamples: the script
# writes the input vectors and their reference values; the test recomputes
# them.  Regenerated when the script, scipy or kSamples change; for other
# random vectors: rm build/unit/homstat-expected.txt; make unit HOMSTAT_SEED=N
UNIT_TESTS += test_homstat
test_homstat_SRCS := tools/homogeneity/tests/test_homstat.c $(HOMSTAT_SRCS)
test_homstat_CFLAGS := -Itools/homogeneity '-DHOMSTAT_EXPECTED="$(B)/unit/homstat-expected.txt"'
HOMSTAT_SEED ?= 20140923
HOMSTAT_REFS := $(wildcard /usr/lib/python3/dist-packages/scipy/version.py \
	/usr/lib/R/site-library/kSamples/DESCRIPTION)
$(B)/unit/homstat-expected.txt: tools/homogeneity/tests/scipy_expected.py $(HOMSTAT_REFS) \
		| $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(call say,SCIPY,$@)
	$(Q)/usr/bin/python3 $< $@ $(HOMSTAT_SEED)
unit: $(B)/unit/homstat-expected.txt

# The log parser and the CSV reader.
UNIT_TESTS += test_samplelog
test_samplelog_SRCS := tools/homogeneity/tests/test_samplelog.c tools/homogeneity/samplelog.c \
	tools/homogeneity/csvcol.c
test_samplelog_CFLAGS := -Itools/homogeneity

# The tools end to end on a synthetic log, against scipy (cli_expected.py),
# and the plot script (gnuplot).
UNIT_TESTS += test_homog_tools
test_homog_tools_SRCS := tools/homogeneity/tests/test_homog_tools.c tools/homogeneity/tests/clirun.c
test_homog_tools_CFLAGS := -Wno-format-truncation -Itools/homogeneity/tests
$(B)/unit/test_homog_tools: $(B)/homogeneity $(B)/samples2csv

# The host tools, built by `make` (optimised, no sanitizers).
HOMOG_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -DFORMICA_HOST \
	-Ihv/include -Itools/homogeneity
$(B)/homogeneity: tools/homogeneity/homogeneity.c tools/homogeneity/csvcol.c $(HOMSTAT_SRCS) \
		$(wildcard tools/homogeneity/*.h) | $(B)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(HOMOG_CFLAGS) -o $@ tools/homogeneity/homogeneity.c \
		tools/homogeneity/csvcol.c $(HOMSTAT_SRCS) -lm
$(B)/samples2csv: tools/homogeneity/samples2csv.c tools/homogeneity/samplelog.c \
		tools/homogeneity/samplelog.h hv/include/config.h | $(B)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(HOMOG_CFLAGS) -o $@ tools/homogeneity/samples2csv.c tools/homogeneity/samplelog.c
all: $(B)/homogeneity $(B)/samples2csv

# The study's analysis step (study.sh --log) on a small fixed log
# (tests/study-small.log, cut from a real run): the workload cut, the pairs,
# table.csv against scipy, the tables and plots.  No emulator.
UNIT_TESTS += test_homog_study
test_homog_study_SRCS := tools/homogeneity/tests/test_homog_study.c tools/homogeneity/tests/clirun.c
test_homog_study_CFLAGS := -Wno-format-truncation -Itools/homogeneity/tests
$(B)/unit/test_homog_study: $(B)/homogeneity $(B)/samples2csv tools/homogeneity/study.sh \
	tools/homogeneity/tests/study-small.log

# make homogeneity: the study itself (tools/homogeneity/study.sh).  It writes
# to build/homogeneity-study/, not build/homogeneity/ as issue 14 says:
# build/homogeneity is the test tool's binary.  HOMOG_BENCH=qemu|bochs,
# HOMOG_SECONDS (guest time per guest), HOMOG_TIMEOUT (wall, s).
.PHONY: homogeneity
homogeneity: all $(B)/homogeneity $(B)/samples2csv build/linux/vmlinuz build/linux-6.12/vmlinuz \
		build/linux-cloud/vmlinuz build/antfarm/tree/bin/afwork build/linux/compile-kit/tree.stamp
	@tools/homogeneity/study.sh --bench $${HOMOG_BENCH:-qemu} \
		--guest-seconds $${HOMOG_SECONDS:-1800} --timeout $${HOMOG_TIMEOUT:-3000}
