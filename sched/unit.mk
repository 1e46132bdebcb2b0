# sched/: the disk request scheduler (a pure core), its tests, and its
# benchmark (tools/schedsim).  See sched/README.md.

SCHED_SRCS := $(filter-out %/tests/%,$(wildcard sched/*.c))
SCHEDSIM_SRCS := $(filter-out %/schedsim.c %/tests/%,$(wildcard tools/schedsim/*.c))

UNIT_TESTS += test_sched
test_sched_SRCS := sched/tests/test_sched.c $(SCHED_SRCS)

UNIT_TESTS += test_schedsim
test_schedsim_SRCS := tools/schedsim/tests/test_schedsim.c $(SCHEDSIM_SRCS) $(SCHED_SRCS)
test_schedsim_CFLAGS := -Itools/schedsim

# The benchmark: built with the host compiler, optimised, no sanitizers.  It
# runs twice and says whether the two outputs are identical (they must be:
# the simulation is deterministic).  It only reports; `schedsim --check`
# exits 1 when anticipatory is not >= 2x FCFS with 2+ sequential readers.
$(B)/schedsim/schedsim: tools/schedsim/schedsim.c $(SCHEDSIM_SRCS) $(SCHED_SRCS) \
		$(wildcard tools/schedsim/*.h sched/*.h)
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -DFORMICA_HOST \
		-Ihv/include -Ihv -I. -Itools/schedsim -o $@ tools/schedsim/schedsim.c \
		$(SCHEDSIM_SRCS) $(SCHED_SRCS) -lm

BENCH_TARGETS += bench-sched
.PHONY: bench-sched
bench-sched: $(B)/schedsim/schedsim
	@$< > $(B)/schedsim/run1.txt
	@$< > $(B)/schedsim/run2.txt
	@cat $(B)/schedsim/run1.txt
	@if cmp -s $(B)/schedsim/run1.txt $(B)/schedsim/run2.txt; then \
		echo "schedsim: two runs, identical output"; \
	else echo "schedsim: two runs, DIFFERENT output"; fi

# The integer disk model against the float one it was ported from.
UNIT_TESTS += test_hdd_model
test_hdd_model_SRCS := sched/tests/test_hdd_model.c sched/hdd_model.c tools/schedsim/simdisk.c
test_hdd_model_CFLAGS := -Itools/schedsim
