# test-steps.sh - the guest steps of make test's Antfarm-on-Linux test
# (tools/antfarm-test.sh): Table 1's workloads, small, and one each of the
# lag and overhead runs, so that every path of tools/table1.sh is exercised
# in CI at a tenth of its cost.  Lines: tools/antfarm/README.md.
export PATH=/usr/bin:/bin
rc=0
/bin/afwork fork 100 || rc=1
/bin/afwork forkexec 100 || rc=1
/bin/afwork vforkexec 100 || rc=1
make -C /src/schedsim clean >/dev/null 2>&1
/bin/afwork run compile -- /usr/bin/make -j4 -C /src/schedsim || rc=1
/bin/afwork lag 20 1 || rc=1
/bin/afwork overhead 1 mem -- /bin/afwork mem 16 || rc=1
exit $rc
