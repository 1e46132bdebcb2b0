# dump-steps.sh - guest steps for looking at context switches by hand: one
# vfork+exec window with its trace dumped to the console (AFWORK_DUMP=1,
# TSC-stamped; count it again with build/antfarm/truth-replay), then fork
# and fork+exec windows without dumps.  See tools/antfarm/README.md,
# "Context switches".  About 6 minutes of Bochs on 6.12:
#   tools/table1.sh --steps tools/antfarm/dump-steps.sh \
#       --cfg tools/configs/antfarm-test.cfg --out build/diag612 --kernel build/linux-6.12
export PATH=/usr/bin:/bin
rc=0
AFWORK_DUMP=1 /bin/afwork vforkexec 100 || rc=1
/bin/afwork fork 100 || rc=1
/bin/afwork forkexec 100 || rc=1
exit $rc
