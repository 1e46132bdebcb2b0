# shadow-bench.sh - the guest side of tools/bench-linux.sh (a step script
# for tools/linux/mkinitramfs.sh).  Why this shape: the shadow pager's two
# policies are compared in ONE boot, in alternating rounds, so both see the
# same kernel state and the same emulator load; each measured interval is
# bracketed by mark bytes 1 and 2 on the Formica mark port (0x510), at
# which the hv logs its exit counts and shadow counters.  Under bare
# hardware the same steps run and the port writes go nowhere, so the bare
# column has the same rounds.
#
# Mark commands (hv/guest/io.c): 0x20 shadow = reference, 0x21 = cached.
# Lines (one per interval, in the order of the mark pairs):
#   FORMICA-BENCH: forkexec policy=P round=R n=N cs=CS   (guest centiseconds)
#   FORMICA-BENCH: pingpong policy=P n=N ns=T ns_per_rt=R ok|fail
# then afwork's FORMICA-OVERHEAD lines (inference on/off, no 1/2 marks).
# bench-linux.sh substitutes the counts below.
ROUNDS=@ROUNDS@     # fork+exec rounds per policy
FORKS=@FORKS@       # fork+exec per round
PINGS=@PINGS@       # pipe round trips per policy
MEM_ROUNDS=@MEM_ROUNDS@ # inference on/off rounds (0: none)

mark() { printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=1296 count=1 2>/dev/null; }
up_cs() { local u i; read u i </proc/uptime; echo $(( ${u%.*} * 100 + 1${u#*.} - 100 )); }
policy() { if [ "$1" = reference ]; then mark 32; else mark 33; fi; }

forkexec_round() {   # forkexec_round POLICY R: FORKS fork+exec of /bin/true
	local i=0 t0 t1
	policy "$1"
	mark 1
	t0=$(up_cs)
	while [ $i -lt $FORKS ]; do /bin/true || rc=1; i=$((i + 1)); done
	t1=$(up_cs)
	mark 2
	echo "FORMICA-BENCH: forkexec policy=$1 round=$2 n=$FORKS cs=$((t1 - t0))"
}

rc=0
# Alternating: cached first in odd rounds, reference first in even ones.
r=1
while [ $r -le $ROUNDS ]; do
	if [ $((r % 2)) = 1 ]; then order="cached reference"; else order="reference cached"; fi
	for p in $order; do forkexec_round $p $r; done
	r=$((r + 1))
done
for p in cached reference; do
	policy $p
	out=$(/bin/pingpong $PINGS) || rc=1
	echo "FORMICA-BENCH: pingpong policy=$p ${out#FORMICA-PINGPONG: }"
done
policy cached
if [ $MEM_ROUNDS -gt 0 ]; then
	/bin/afwork overhead $MEM_ROUNDS mem -- /bin/afwork mem 64 || rc=1
fi
exit $rc
