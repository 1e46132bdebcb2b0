# shadow-bench.sh - the guest side of tools/bench-linux.sh (a step script
# for tools/linux/mkinitramfs.sh).  Why this shape: the shadow pager's
# policies are compared in ONE boot, so both see the same kernel state and
# the same emulator load; every measured interval is run by /bin/ctxbench
# (tools/linux/workloads/ctxbench.c), which switches the policy itself and
# brackets the interval with mark bytes 1 and 2 on the Formica mark port,
# at which the hv logs its exit counts and shadow counters.  Bare, the same
# steps run and the port writes go nowhere, so the bare column has the
# same rounds.
#
# Order: pipe ping-pong rounds alternating between the policies; fork+exec
# rounds alternating between the cached and the synced policy; inference
# on/off (afwork overhead); and
# last the reference policy's fork+exec, bounded by an alarm: under it a
# Linux guest in Bochs has been seen to stall in fork+exec (README), and
# what is measured before it must not be lost.
# bench-linux.sh substitutes the counts below.
ROUNDS=@ROUNDS@         # fork+exec rounds per policy (cached, synced)
FORKS=@FORKS@           # fork+exec per round
PINGS=@PINGS@           # pipe round trips per ping-pong round
PING_ROUNDS=@PING_ROUNDS@ # ping-pong rounds per policy
PING_POLICIES="@PING_POLICIES@" # the policies they alternate between
MEM_ROUNDS=@MEM_ROUNDS@ # inference on/off rounds (0: none)
REF_FORKS=@REF_FORKS@   # fork+exec under the reference policy (0: none)
LIMIT=@LIMIT@           # seconds of guest time per interval at most

rc=0
run() {   # ctxbench's status 3 (timeout) is a measurement, not a failure
	/bin/ctxbench -t $LIMIT "$@"
	case $? in 0|3) ;; *) rc=1 ;; esac
}
r=1
while [ $r -le $PING_ROUNDS ]; do
	order=$PING_POLICIES
	if [ $((r % 2)) = 0 ]; then order=; for p in $PING_POLICIES; do order="$p $order"; done; fi
	for p in $order; do run -p $p pingpong $PINGS; done
	r=$((r + 1))
done
r=1
while [ $r -le $ROUNDS ]; do
	if [ $((r % 2)) = 1 ]; then order="cached synced"; else order="synced cached"; fi
	for p in $order; do run -p $p forkexec $FORKS; done
	r=$((r + 1))
done
if [ $MEM_ROUNDS -gt 0 ]; then
	/bin/afwork overhead $MEM_ROUNDS mem -- /bin/afwork mem 64 || rc=1
fi
[ $REF_FORKS -gt 0 ] && run -p reference forkexec $REF_FORKS
exit $rc
