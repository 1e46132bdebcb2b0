# make iosched: the Antfarm paper's scheduling case study on Formica
# (issue 11): Linux guests' sequential readers under each I/O scheduler,
# one Bochs boot per policy.  Writes build/iosched/iosched.csv and .png and
# prints the table; see tools/iosched/iosched.sh for the options
# (IOSCHED_ARGS="--mib 8 --runs fcfs-process,anticipatory-process").
.PHONY: iosched
iosched: all build/linux-6.12/vmlinuz build/schedsim/schedsim
	tools/iosched/iosched.sh $(IOSCHED_ARGS)
