#!/usr/bin/env python3
"""benchcsv.py - turn a bench boot's logs into make bench's Linux table.

Why a program: tools/bench-linux.sh boots the same kernel and initramfs
bare and under formica; the guest (tools/linux/workloads/shadow-bench.sh)
prints one FORMICA-BENCH line per measured interval, and the hv logs its
counters at the mark bytes 1 and 2 that bracket each interval.  Pairing the
k-th mark pair with the k-th interval line, summing rounds per shadow
policy and taking medians of alternating rounds is more than awk should
carry.  Standard library only.

  benchcsv.py --formica LOG [--bare SERIAL] [--guest linux1] [--out CSV]

Writes CSV with the header metric,bare,formica,ratio (ratio = formica/bare;
an empty cell: not measured), prints it as a table, then where the hv's
time went per fork+exec and per compile (each policy): exits, TSC cycles
and mean per exit reason, and the shadow pager's counters; and each
compile round on its own, since one slow round can be many times another.

Interval kinds: forkexec and pingpong sum their rounds per policy (many
short loops); any other kind (ctxbench's `run NAME`, e.g. compile) is one
long run a round, so its rows are medians of the rounds: NAME_s/POLICY,
exits_per_NAME/POLICY, shadow_faults_per_NAME/POLICY.
"""
import argparse
import re
import statistics
import sys

KV = re.compile(r'(\w+)=([^\s]+)')


def kv(text):
    return dict(KV.findall(text))


def guest_lines(path, guest, prefixed):
    """The guest's own console lines (formica's log prefixes them with [NAME])."""
    out = []
    try:
        with open(path, 'rb') as f:
            for raw in f:
                line = raw.decode('latin-1').rstrip('\r\n')
                if prefixed:
                    i = line.find('[%s] ' % guest)
                    if i < 0:
                        continue
                    line = line[i + len(guest) + 3:]
                out.append(line)
    except OSError:
        pass
    return out


def marks(path, guest):
    """The hv's mark lines for guest, in order: dicts with value, exits,
    shadow counters (mark-shadow, mark-sync, and the console's wait_tsc from
    mark-console), per-reason exits and cycles."""
    out = []
    with open(path, 'rb') as f:
        for raw in f:
            line = raw.decode('latin-1').rstrip('\r\n')
            m = re.search(r'\bmark(-\w+)? guest=%s (.*)$' % re.escape(guest), line)
            if not m:
                continue
            kind, rest = m.group(1), m.group(2)
            if kind is None:
                d = kv(rest)
                out.append({'value': int(d['value']), 'exits': int(d['exits']),
                            'shadow': {}, 'rexits': {}, 'rcycles': {}})
            elif out and kind in ('-shadow', '-sync', '-console'):
                out[-1]['shadow'].update({k: int(v) for k, v in kv(rest).items()})
            elif out and kind in ('-exits', '-cycles'):
                d = out[-1]['rexits' if kind == '-exits' else 'rcycles']
                for tok in rest.split():
                    if tok.startswith('hv='):
                        d['hv'] = int(tok[3:])
                    elif ':' in tok:
                        r, v = tok.split(':')
                        d[int(r)] = int(v)
    return out


def intervals(lines):
    """FORMICA-BENCH lines: (kind, fields); fields['status'] is the last
    word (ok, fail or timeout)."""
    out = []
    for line in lines:
        m = re.search(r'FORMICA-BENCH: (\w+) (.*)$', line)
        if m:
            f = kv(m.group(2))
            f['status'] = m.group(2).split()[-1]
            out.append((m.group(1), f))
    return out


def first(lines, pattern):
    for line in lines:
        m = re.search(pattern, line)
        if m:
            return float(m.group(1))
    return None


def delta(a, b, key):
    return b.get(key, 0) - a.get(key, 0)


def pair_marks(ms, n):
    """The first n (1, 2) mark pairs, in order; None if there are fewer."""
    pairs, start = [], None
    for m in ms:
        if m['value'] == 1:
            start = m
        elif m['value'] == 2 and start is not None:
            pairs.append((start, m))
            start = None
    return pairs[:n] if len(pairs) >= n else None


def overhead_pct(lines):
    """Inference on/off: median of the rounds' own on/off ratios, in %."""
    t = {}
    for line in lines:
        m = re.search(r'FORMICA-OVERHEAD: (.*)$', line)
        if m:
            d = kv(m.group(1))
            # A line cut short (a bare kernel's console can lose the last
            # lines at power-off, or a run ends on its timeout) is no round.
            if not all(k in d for k in ('workload', 'round', 'antfarm', 'tsc')):
                continue
            t.setdefault((d['workload'], int(d['round'])), {})[d['antfarm']] = int(d['tsc'])
    ratios = {}
    for (w, _), v in sorted(t.items()):
        if v.get('on') and v.get('off'):
            ratios.setdefault(w, []).append(v['on'] / v['off'])
    return {w: (statistics.median(r) - 1) * 100 for w, r in ratios.items()}


def summarize(lines, ms):
    """Metric -> value for one side (ms = None for bare)."""
    res = {}
    res['boot_to_init_s'] = first(lines, r'FORMICA-INIT: start uptime=([0-9.]+)')
    ivs = intervals(lines)
    pairs = pair_marks(ms, len(ivs)) if ms is not None else None
    if ms is not None and pairs is None:
        print('benchcsv: %d intervals but fewer mark pairs: no exit counts' % len(ivs),
              file=sys.stderr)
    per = {}  # (kind, policy) -> sums
    for i, (kind, f) in enumerate(ivs):
        s = per.setdefault((kind, f['policy']), {'n': 0, 'timeouts': 0, 'ns': 0, 'exits': 0,
                                                 'faults': 0, 'cr3': 0, 'rounds': 0,
                                                 'rexits': {}, 'rcycles': {}, 'shadow': {}})
        s['n'] += int(f['n'])
        s['rounds'] += 1
        s['ns'] += int(f.get('ns', 0))
        s['timeouts'] += f['status'] == 'timeout'
        one = {'index': i, 'ns': int(f.get('ns', 0)), 'status': f['status']}
        if pairs:
            a, b = pairs[i]
            one['exits'] = b['exits'] - a['exits']
            one['faults'] = delta(a['shadow'], b['shadow'], 'faults')
            s['exits'] += one['exits']
            s['faults'] += one['faults']
            s['cr3'] += delta(a['shadow'], b['shadow'], 'cr3_loads')
            for k in ('rexits', 'rcycles', 'shadow'):
                one[k] = {r: delta(a[k], b[k], r) for r in b[k]}
                for r, v in one[k].items():
                    s[k][r] = s[k].get(r, 0) + v
        s.setdefault('each', []).append(one)
    for (kind, pol), s in sorted(per.items()):
        if s['n'] == 0:
            continue
        if s['timeouts']:  # the n done before the alarm: a lower bound
            res['%s_timeouts/%s' % (kind, pol)] = s['timeouts']
        if kind == 'forkexec':
            res['forkexec_%d_s/%s' % (s['n'], pol)] = s['ns'] / 1e9
            if pairs:
                res['exits_per_forkexec/%s' % pol] = s['exits'] / s['n']
                res['shadow_faults_per_forkexec/%s' % pol] = s['faults'] / s['n']
        elif kind == 'pingpong':
            res['pipe_round_trip_us/%s' % pol] = s['ns'] / s['n'] / 1000
            if pairs:  # one CPU: two context switches per round trip
                res['exits_per_switch/%s' % pol] = s['exits'] / (2 * s['n'])
                res['cr3_loads_per_switch/%s' % pol] = s['cr3'] / (2 * s['n'])
        else:  # one run a round: medians, so that one slow round shows as such
            each = s['each']
            res['%s_s/%s' % (kind, pol)] = statistics.median(e['ns'] for e in each) / 1e9
            if pairs:
                res['exits_per_%s/%s' % (kind, pol)] = statistics.median(e['exits'] for e in each)
                res['shadow_faults_per_%s/%s' % (kind, pol)] = statistics.median(
                    e['faults'] for e in each)
    for w, pct in overhead_pct(lines).items():
        res['inference_overhead_pct/%s' % w] = pct
    return res, per


def fmt(x):
    if x is None:
        return ''
    return '%.4g' % x if abs(x) < 10 else '%.2f' % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--formica', required=True)
    ap.add_argument('--bare')
    ap.add_argument('--guest', default='linux1')
    ap.add_argument('--out')
    a = ap.parse_args()

    hv, per = summarize(guest_lines(a.formica, a.guest, True), marks(a.formica, a.guest))
    bare = summarize(guest_lines(a.bare, a.guest, False), None)[0] if a.bare else {}
    rows = []
    # Bare has no shadow policy: a row for another policy than the bare run
    # had (an older bare run, BENCH_REUSE_BARE) takes the cached row's bare
    # value, the same loop on the same kernel.
    for k in list(bare) + [k for k in hv if k not in bare]:
        b, f = bare.get(k), hv.get(k)
        if b is None and '/' in k and not k.startswith('inference'):
            b = bare.get(k.split('/')[0] + '/cached')
        if b is None and f is None:
            continue
        r = f / b if b and f is not None and not k.startswith('inference') else None
        rows.append((k, fmt(b), fmt(f), '%.2f' % r if r is not None else ''))
    csv = 'metric,bare,formica,ratio\n' + ''.join(','.join(r) + '\n' for r in rows)
    if a.out:
        with open(a.out, 'w') as f:
            f.write(csv)
    print('%-36s %12s %12s %8s' % ('metric', 'bare', 'formica', 'ratio'))
    for r in rows:
        print('%-36s %12s %12s %8s' % r)

    for pol in ('cached', 'synced'):
        where(per.get(('forkexec', pol)), pol, 'fork+exec+exit')
    runs = sorted((k, s) for k, s in per.items() if k[0] not in ('forkexec', 'pingpong'))
    for (kind, pol), s in runs:
        where(s, pol, kind)
    each_round(runs)
    if a.bare:
        guest_side(guest_lines(a.bare, a.guest, False), guest_lines(a.formica, a.guest, True))
    return 0


GSTAT_KEYS = ('cpu_user', 'cpu_system', 'ctxt', 'intr', 'processes', 'pgfault', 'pgalloc',
              'softirq_TIMER', 'softirq_HRTIMER', 'softirq_SCHED', 'softirq_RCU')


def per_round(lines, tag):
    """FORMICA-GSTAT / FORMICA-KPROF lines of one kind, averaged over the
    rounds: {policy: {key: mean}} and {'bare': ...} for the pooled rounds
    (bare has no policy: its rounds are all the same loop)."""
    sums, rounds = {}, {}
    for line in lines:
        if not line.startswith(tag):
            continue
        d = kv(line)
        pol = d.pop('policy', '?')
        if tag == 'FORMICA-KPROF:':
            if 'total' in d:
                rounds[pol] = rounds.get(pol, 0) + 1
                d = {'total': d['total']}
            elif 'fn' in d:
                d = {d['fn']: d['hits']}
        else:
            rounds[pol] = rounds.get(pol, 0) + 1
            # pages allocated, whichever zone (a guest's RAM may lie in DMA32 or Normal)
            d['pgalloc'] = str(sum(int(v) for k, v in d.items() if k.startswith('pgalloc_')))
        acc = sums.setdefault(pol, {})
        for k, v in d.items():
            if re.fullmatch(r'-?\d+', v):
                acc[k] = acc.get(k, 0) + int(v)
    return {p: {k: v / rounds[p] for k, v in acc.items()} for p, acc in sums.items() if rounds.get(p)}


def pooled(d):
    """The bare rounds of all policies as one (weighting each policy's mean alike)."""
    out = {}
    for acc in d.values():
        for k, v in acc.items():
            out[k] = out.get(k, 0) + v / len(d)
    return out


def guest_side(bare_lines, hv_lines):
    """What the guest kernel itself counted in a compile round, bare against
    formica (FORMICA-GSTAT: /proc/stat, /proc/vmstat, interrupts,
    softirqs; cpu_* in ticks of 10 ms), and where its kernel-mode timer
    ticks landed (FORMICA-KPROF, with BENCH_KPROF=1): the functions whose
    ticks differ most.  Under formica a tick that comes due during an exit
    is delivered at the next entry, so the hv's time lands on the guest
    instruction that exited."""
    for tag, title in (('FORMICA-GSTAT:', 'the guest kernel\'s counters'),
                       ('FORMICA-KPROF:', 'kernel ticks by function (profile=2)')):
        b, f = per_round(bare_lines, tag), per_round(hv_lines, tag)
        if not b or not f:
            continue
        b = pooled(b)
        pols = sorted(f)
        print('\nPer compile round, %s (mean of rounds):' % title)
        print('%-34s %9s' % ('', 'bare') + ''.join(' %9s' % p for p in pols))
        if tag == 'FORMICA-GSTAT:':
            keys = [k for k in GSTAT_KEYS if k in b or any(k in f[p] for p in pols)]
        else:
            keys = ['total'] + sorted((k for k in set(b) | set().union(*f.values()) if k != 'total'),
                                      key=lambda k: -max(abs(f[p].get(k, 0) - b.get(k, 0))
                                                         for p in pols))[:20]
        for k in keys:
            print('%-34s %9.1f' % (k[:34], b.get(k, 0)) + ''.join(' %9.1f' % f[p].get(k, 0) for p in pols))


# Gauges, not counters: a difference between two marks means nothing.
GAUGES = ('pages', 'pages_peak', 'sync_records')


def shadow_causes(d, n):
    f = ' %s=%d' if n == 1 else ' %s=%.1f'
    return ''.join(f % (k, v / n) for k, v in sorted(d.items()) if v and k not in GAUGES)


def where(s, pol, what):
    if s and s['rexits']:
        n = s['n']
        print('\nWhere the hv time went per %s, %s policy (%d of them):' % (what, pol, n))
        print('%-8s %10s %14s %12s' % ('reason', 'exits', 'cycles', 'mean'))
        for r in sorted(k for k in s['rexits'] if k != 'hv'):
            c, t = s['rexits'][r], s['rcycles'].get(r, 0)
            if c > 0:
                print('%-8s %10.1f %14.0f %12.0f' % (r, c / n, t / n, t / c))
        print('%-8s %10s %14.0f' % ('hv all', '', s['rcycles'].get('hv', 0) / n))
        print('shadow:' + shadow_causes(s['shadow'], n))


def each_round(runs):
    """Every round of the one-run kinds, in the order they ran: guest
    seconds, exits, the hv's cycles, the three costliest exit reasons
    (reason:exits/Mcycles) and the shadow faults by cause."""
    rounds = sorted(((e['index'], kind, pol, e) for (kind, pol), s in runs for e in s['each']),
                    key=lambda t: t[0])
    if not rounds:
        return
    print('\nEach round (guest s; the hv\'s exits and TSC cycles in it):')
    for _, kind, pol, e in rounds:
        line = '%-8s %-7s %9.2f s %s' % (kind, pol, e['ns'] / 1e9, e['status'])
        if 'exits' in e:
            top = sorted((r for r in e['rcycles'] if r != 'hv'), key=lambda r: -e['rcycles'][r])[:3]
            line += ' exits=%d hv_Mcycles=%.0f top=%s' % (
                e['exits'], e['rcycles'].get('hv', 0) / 1e6,
                ','.join('%s:%d/%.0f' % (r, e['rexits'].get(r, 0), e['rcycles'][r] / 1e6)
                         for r in top))
            line += '\n   shadow:' + shadow_causes(e['shadow'], 1)
        print(line)


if __name__ == '__main__':
    sys.exit(main())
