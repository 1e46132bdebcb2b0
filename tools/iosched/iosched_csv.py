#!/usr/bin/env python3
"""iosched_csv.py - one boot of `make iosched` turned into CSV rows.

  iosched_csv.py LOG CFG POLICY KEY CASES SCHEDSIM >>CSV

LOG is the serial console of one boot (tools/iosched/iosched.sh) whose
guests ran tools/linux/workloads/iosched-read.sh with the cases CASES
(e.g. 1x2,2x1,2x2: case k's processes write marks 0x20+k and 0x30+k), CFG
its formica.cfg (for each guest's extents), POLICY and KEY the formica.cfg
`iosched` and `iosched_key` it ran with, SCHEDSIM the tools/schedsim
binary.  Prints one row per case:

  case,policy,key,mb_per_s,mean_think_us,antic_waits,antic_hits,antic_timeouts,model_mb_per_s

* mb_per_s: the bytes every process of the case read (its own
  FORMICA-RESULT line), over the time from the case's first start mark to
  its last end mark on the hv's TSC (the clock the disk model runs on);
  MB = 10^6 bytes, as in schedsim.
* mean_think_us and the antic_* counts: the hv's `io` lines (per guest,
  per process, per interval) that the log prints between the case's first
  start mark and the next case's (or the end); think time is the mean over
  the lines of processes that read, weighted by their reads.
* model_mb_per_s: `schedsim --case` for the same policy and key, the same
  processes at the same physical sectors (the guest's extents, end to end,
  are its /dev/vda), 64 KiB requests, and the measured mean think time.

Checks that make a number meaningless are printed to stderr as
"iosched: warning: ..." (a case overlapping the next one, a process that
failed, a guest that started late), and the row is still written.
Only the standard library.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "storage"))
import disktool  # noqa: E402  (tools/storage/disktool.py)

KV = re.compile(r"(\w+)=(\S+)")
LATE_CS = 100  # a guest's sleep ends 0.1-0.3 s late under Formica: harmless
SPREAD = 0.1   # processes of a case starting further apart than this part of it: warn


def kv(text):
    return dict(KV.findall(text))


def guest_extents(cfg):
    """{guest: [(lba, n), ...]} in config order (disktool.py reads the cfg)."""
    out = {}
    for g in disktool.guests(cfg):
        out[g] = [disktool.parse_range(r) for r in disktool.extents(cfg, g)]
    return out


def physical(ext, sector):
    """The physical sector of /dev/vda's `sector` (extents end to end)."""
    for lba, n in ext:
        if sector < n:
            return lba + sector
        sector -= n
    raise ValueError("sector past the guest's disk")


def io_line(line):
    """The key=value pairs of an hv `io` line, or None."""
    m = re.search(r"(?:^|[\] ])io ((?:\w+=\S+\s*)+)$", line.rstrip())
    if not m:
        return None
    d = kv(m.group(1))
    return d if "guest" in d else None


def num(d, k):
    try:
        return float(d.get(k, 0))
    except ValueError:
        return 0.0


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__)
    log, cfg, policy, key, cases, schedsim = argv[1:]
    cases = cases.split(",")
    ext = guest_extents(cfg)
    order = list(ext)  # guest index = order in the config
    lines = open(log, "rb").read().decode("utf-8", "replace").splitlines()

    tsc_hz = None
    for ln in lines:
        m = re.search(r"tsc: (\d+)\.(\d+) MHz", ln)
        if m:
            tsc_hz = int(m.group(1)) * 1e6 + int(m.group(2)) * 1e3
            break
    if not tsc_hz:
        sys.exit("iosched: no 'tsc: ... MHz' line in " + log)

    starts = {k: [] for k in range(len(cases))}   # (tsc, line number)
    ends = {k: [] for k in range(len(cases))}
    procs = {c: [] for c in cases}
    for i, ln in enumerate(lines):
        m = re.search(r"\bmark (guest=\S+ value=\d+ .*)", ln)
        if m:
            d = kv(m.group(1))
            v = int(d["value"])
            if 0x20 <= v < 0x20 + len(cases):
                starts[v - 0x20].append((int(d["tsc"]), i))
            elif 0x30 <= v < 0x30 + len(cases):
                ends[v - 0x30].append((int(d["tsc"]), i))
            continue
        m = re.search(r"FORMICA-RESULT: iosched (case=.*)", ln)
        if m:
            d = kv(m.group(1))
            tail = m.group(1).split()[-1]
            if "late_cs" in d and int(d["late_cs"]) > LATE_CS:
                print(f"iosched: warning: {policy}/{key} case {d['case']}: guest "
                      f"{d['guest']} started {d['late_cs']} cs late", file=sys.stderr)
            if "proc" in d and d.get("case") in procs:
                if tail != "ok":
                    print(f"iosched: warning: {policy}/{key} case {d['case']}: guest "
                          f"{d['guest']} proc {d['proc']} failed", file=sys.stderr)
                procs[d["case"]].append(d)

    all_waits = 0.0
    for k, c in enumerate(cases):
        g, p = (int(x) for x in c.split("x"))
        rows = procs[c]
        if len(rows) != g * p or len(starts[k]) != g * p or len(ends[k]) != g * p:
            print(f"iosched: warning: {policy}/{key} case {c}: {len(rows)} results, "
                  f"{len(starts[k])} start and {len(ends[k])} end marks, want {g * p}",
                  file=sys.stderr)
        if not rows or not starts[k] or not ends[k]:
            print(f"{c},{policy},{key},,,,,,")
            continue
        t0 = min(t for t, _ in starts[k])
        t1 = max(t for t, _ in ends[k])
        if k + 1 < len(cases) and starts[k + 1] and min(t for t, _ in starts[k + 1]) < t1:
            print(f"iosched: warning: {policy}/{key} case {c} ran into the next case",
                  file=sys.stderr)
        # All processes should start together (under anticipation they need
        # not end together: it serves one while the other waits).
        spread = max(t for t, _ in starts[k]) - t0
        if spread > SPREAD * (t1 - t0):
            print(f"iosched: warning: {policy}/{key} case {c}: its processes started "
                  f"{spread / tsc_hz * 1e3:.0f} ms apart, in a case of "
                  f"{(t1 - t0) / tsc_hz * 1e3:.0f} ms", file=sys.stderr)
        total = sum(int(d["bytes"]) for d in rows)
        mbps = total / ((t1 - t0) / tsc_hz) / 1e6

        first = min(i for _, i in starts[k])
        last = min(i for _, i in starts[k + 1]) if k + 1 < len(cases) and starts[k + 1] \
            else len(lines)
        reads = think = waits = hits = timeouts = 0.0
        for ln in lines[first:last]:
            d = io_line(ln)
            if not d:
                continue
            r = num(d, "reads")
            if r > 0:
                reads += r
                think += r * num(d, "think_us")
            waits += num(d, "antic_waits")
            hits += num(d, "antic_hits")
            timeouts += num(d, "antic_timeouts")
        mean_think = think / reads if reads else None

        model = ""
        if mean_think is not None:
            req_kib = int(rows[0].get("bs_kib", 64))
            args = []
            for d in rows:
                gi = order.index(d["guest"])
                lba = physical(ext[d["guest"]], int(d["lba"]))
                args.append(f"{gi}:{lba}:{int(d['bytes']) // 1024}")
            sim_policy = "anticipatory" if policy.startswith("anticipatory") else policy
            out = subprocess.run([schedsim, "--case", sim_policy, key, f"{mean_think:.1f}",
                                  str(req_kib)] + args, capture_output=True, text=True,
                                 check=True).stdout
            model = f"{float(kv(out)['mb_per_s']):.2f}"
        all_waits += waits
        think_s = f"{mean_think:.0f}" if mean_think is not None else ""
        print(f"{c},{policy},{key},{mbps:.2f},{think_s},{waits:.0f},{hits:.0f},"
              f"{timeouts:.0f},{model}")
    # The hv's own total, at the end: the io lines should account for it.
    for ln in lines:
        m = re.search(r"disk queue: (policy=.*)", ln)
        if m and int(kv(m.group(1)).get("antic_waits", 0)) > all_waits:
            print(f"iosched: warning: {policy}/{key}: the io lines show {all_waits:.0f} of the "
                  f"{kv(m.group(1))['antic_waits']} anticipation waits of the disk queue's "
                  f"summary (counts of a process's last interval before it exits are lost)",
                  file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
