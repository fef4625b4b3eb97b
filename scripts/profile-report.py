#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `make profile` (scripts/profile.sh): instructions per packet per function,
tun.ko against rtun, from the insnprof plugin's snapshots.

    profile-report.py OUT [--top N] [--min-diff X]

Reads OUT/raw (snap.N, snaps.txt, bench.txt, kallsyms; see scripts/guest-profile.sh) and
writes, for each mode (read, write, rtt), OUT/<mode>/report.txt (printed too),
perfunc-<driver>.txt (every function) and peraddr-<driver>.txt (every instruction address),
and OUT/summary.txt (the totals of every mode).

Per packet = ((big run's window) - (small run's window)) / (packets big - packets small):
what the program does once (set-up, teardown, warm-up) cancels, what it does per packet or
per cycle stays. With several runs of a mode, each function's (and address's) figure is the
median across runs. Rust names are demangled when rustfilt is on PATH.
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys

DRIVERS = ('tun', 'rtun')
# What a mode's window holds beyond what its program times.
NOTES = {
    'read': 'the read window also holds per-cycle work bench_read does not time: pktgen\'s '
            'start and result through /proc, its 100 ms polling sleeps and their timer ticks; '
            'the same for both drivers, but noisy: PROFILE_READ_RUNS takes medians',
    'rtt': 'the rtt window also holds bench_rtt\'s own work outside its timestamps: the '
           'checksums of each request, and the qsort of the samples at the end, which grows '
           'faster than the packets and so does not cancel; that is most of the [user] row, '
           'and the kernel figure is the one to hold against the program\'s',
}
USER = '[user]'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out', help='make profile output directory (with raw/)')
    p.add_argument('--top', type=int, default=40, help='functions listed per driver (40)')
    p.add_argument('--min-diff', type=float, default=3.0,
                   help='smallest |rtun - tun| listed in the diff table (3 insns/packet)')
    return p.parse_args()


class Symbols:
    """Text symbols of the guest's /proc/kallsyms: address -> 'name [module]'."""

    def __init__(self, path):
        syms = []
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 3 or p[1] not in 'tTwW':
                    continue
                a = int(p[0], 16)
                if a:
                    syms.append((a, p[2] + (' [%s]' % p[3].strip('[]') if len(p) > 3 else '')))
        syms.sort()
        self.addrs = [s[0] for s in syms]
        self.names = [s[1] for s in syms]

    def __call__(self, a):
        if a < 0xffff800000000000:
            return USER
        i = bisect.bisect_right(self.addrs, a) - 1
        return self.names[i] if i >= 0 else '[unknown]'


def demangler(names):
    """name -> demangled name (rustfilt on PATH), or the identity."""
    rf = shutil.which('rustfilt')
    if not rf:
        return None
    names = sorted(names)
    split = [n.rsplit(' [', 1) if n.endswith(']') and ' [' in n else [n] for n in names]
    r = subprocess.run([rf], input=''.join(s[0] + '\n' for s in split),
                       capture_output=True, text=True)
    lines = r.stdout.split('\n')
    if r.returncode != 0 or len(lines) < len(names):
        return None
    out = {}
    for n, s, d in zip(names, split, lines):
        d = re.sub(r'::h[0-9a-f]{16}$', '', d)
        out[n] = d + (' [' + s[1] if len(s) > 1 else '')
    return out


def load_snap(path):
    d = {}
    with open(path) as f:
        for line in f:
            a, c = line.split()
            d[int(a, 16)] = int(c)
    return d


def packets(mode, line):
    """Packets a run handled, from its bench.txt line (only the big - small difference
    matters, so what every run adds, a warm-up, cancels)."""
    key = {'read': r'\bread=(\d+)', 'write': r'\binhdrerr=(\d+)', 'rtt': r'\biterations=(\d+)'}[mode]
    m = re.search(key, line)
    if not m:
        sys.exit('profile-report: no packet count in: ' + line)
    return int(m.group(1))


def bench_figure(mode, line):
    """The program's own figure (guest ns = instructions under -icount) for comparison."""
    key = {'read': r'\bns_per_pkt=([\d.]+)', 'write': r'\bns_per_pkt=([\d.]+)',
           'rtt': r'\bmedian_ns=(\d+)'}[mode]
    m = re.search(key, line)
    return float(m.group(1)) if m else None


def main():
    args = parse_args()
    raw = os.path.join(args.out, 'raw')
    sym = Symbols(os.path.join(raw, 'kallsyms'))
    snaps = {}
    with open(os.path.join(raw, 'snaps.txt')) as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[0] == 'snap':
                snaps[p[2]] = int(p[1])
    bench = {}
    with open(os.path.join(raw, 'bench.txt')) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3:
                bench[(p[0], p[1], p[2])] = line.strip()
    # Runs per mode, in the order they ran: read.1, read.2, ...
    runs = collections.OrderedDict()
    for run, drv, size in bench:
        runs.setdefault(run.split('.')[0], [])
        if run not in runs[run.split('.')[0]]:
            runs[run.split('.')[0]].append(run)

    def window(tag):
        """Per-address counts between the begin and end snapshots of TAG: the end one
        holds what executed since the begin one (the plugin writes differences)."""
        b, e = snaps[tag + '-begin'], snaps[tag + '-end']
        if e != b + 1:
            sys.exit('profile-report: snapshots of %s not adjacent (%d, %d)' % (tag, b, e))
        return load_snap(os.path.join(raw, 'snap.%d' % e))

    def per_packet(mode, run, drv):
        small, big = window('%s-%s-small' % (run, drv)), window('%s-%s-big' % (run, drv))
        n = (packets(mode, bench[(run, drv, 'big')]) -
             packets(mode, bench[(run, drv, 'small')]))
        if n <= 0:
            sys.exit('profile-report: %s %s: no more packets in the big run' % (run, drv))
        addr = collections.Counter(big)
        addr.subtract(small)
        func = collections.Counter()
        for a, c in addr.items():
            if c:
                func[sym(a)] += c
        return ({k: v / n for k, v in func.items()}, {a: c / n for a, c in addr.items() if c}, n)

    def median(dicts):
        keys = set().union(*dicts)
        return {k: statistics.median([d.get(k, 0.0) for d in dicts]) for k in keys}

    results = {}
    for mode, mruns in runs.items():
        res = {}
        for drv in DRIVERS:
            per = [per_packet(mode, run, drv) for run in mruns]
            res[drv] = {
                'func': median([p[0] for p in per]),
                'addr': median([p[1] for p in per]),
                'totals': [sum(p[0].values()) for p in per],
                'packets': [p[2] for p in per],
                'bench': [bench_figure(mode, bench[(run, drv, 'big')]) for run in mruns],
            }
        results[mode] = res

    names = set()
    for res in results.values():
        for drv in DRIVERS:
            names |= set(res[drv]['func'])
    dm = demangler(names)
    hint = None
    if dm is None:
        dm = {}
        hint = ('(Rust symbols are left mangled: with rustfilt on PATH, e.g. '
                '`cargo install rustfilt`, the report demangles them)')

    def name(n):
        return dm.get(n, n)

    summary = []
    for mode, res in results.items():
        mdir = os.path.join(args.out, mode)
        os.makedirs(mdir, exist_ok=True)
        lines = []

        def P(s=''):
            lines.append(s)

        nruns = len(runs[mode])
        P('=' * 100)
        P('MODE %s: instructions per packet (-icount shift=0), %d run%s%s' %
          (mode, nruns, 's' if nruns > 1 else '', ', per-function medians' if nruns > 1 else ''))
        for k in sorted(bench):
            if k[0].split('.')[0] == mode:
                P('  bench: ' + bench[k])
        for drv in DRIVERS:
            r = res[drv]
            f = r['func']
            tot = sum(f.values())
            P('-' * 100)
            P('%s %s: %s packets in the difference; total %.1f/packet (kernel %.1f, user %.1f)' %
              (mode, drv, '/'.join(map(str, r['packets'])), tot, tot - f.get(USER, 0.0),
               f.get(USER, 0.0)))
            if nruns > 1:
                P('  per-run totals: %s, median %.1f (the total above: the sum of the '
                  'functions\' medians)' % (' '.join('%.1f' % t for t in r['totals']),
                                             statistics.median(r['totals'])))
            ranked = sorted(f.items(), key=lambda x: -x[1])
            for k, v in ranked[:args.top]:
                P('  %9.2f  %s' % (v, name(k)))
            P('  %9.2f  (the rest, %d functions)' %
              (sum(v for _, v in ranked[args.top:]), max(0, len(ranked) - args.top)))
        P('-' * 100)
        for drv in DRIVERS:
            f = res[drv]['func']
            own = {k: v for k, v in f.items() if k.endswith(' [%s]' % drv)}
            P('%s: its own module\'s functions, %.1f/packet' % (drv, sum(own.values())))
            for k, v in sorted(own.items(), key=lambda x: -x[1]):
                if abs(v) >= 0.05:
                    P('  %9.2f  %s' % (v, name(k)))
        P('-' * 100)
        ft, fr = res['tun']['func'], res['rtun']['func']
        P('DIFF %s (rtun - tun), |diff| > %g instructions/packet:' % (mode, args.min_diff))
        P('  %9s %9s %9s  %s' % ('tun', 'rtun', 'diff', 'function'))
        rows = [(k, ft.get(k, 0.0), fr.get(k, 0.0)) for k in set(ft) | set(fr)]
        rows.sort(key=lambda x: (-abs(x[2] - x[1]), x[0]))
        listed = 0.0
        for k, a, b in rows:
            if abs(b - a) > args.min_diff:
                P('  %9.1f %9.1f %+9.1f  %s' % (a, b, b - a, name(k)))
                listed += b - a
        st, sr = sum(ft.values()), sum(fr.values())
        P('  sum of the listed differences %+.1f; the rest (many small ones, mostly timer '
          'tick and scheduler noise) %+.1f' % (listed, sr - st - listed))
        bt, br = (statistics.median(res[d]['bench']) if None not in res[d]['bench'] else None
                  for d in DRIVERS)
        P('  totals: tun %.1f  rtun %.1f  diff %+.1f  (the program\'s own figure: tun %s, rtun %s)' %
          (st, sr, sr - st, '%.1f' % bt if bt else '-', '%.1f' % br if br else '-'))
        if mode in NOTES:
            P('  (' + NOTES[mode] + ')')
        if hint:
            P(hint)
        text = '\n'.join(lines) + '\n'
        with open(os.path.join(mdir, 'report.txt'), 'w') as f:
            f.write(text)
        sys.stdout.write(text)
        for drv in DRIVERS:
            with open(os.path.join(mdir, 'perfunc-%s.txt' % drv), 'w') as f:
                for k, v in sorted(res[drv]['func'].items(), key=lambda x: (-x[1], x[0])):
                    f.write('%10.3f %s\n' % (v, name(k)))
            with open(os.path.join(mdir, 'peraddr-%s.txt' % drv), 'w') as f:
                for a, c in sorted(res[drv]['addr'].items()):
                    if abs(c) >= 0.01:
                        f.write('%016x %10.3f %s\n' % (a, c, name(sym(a))))
        summary.append((mode, nruns, st, sr, bt, br))

    with open(os.path.join(args.out, 'summary.txt'), 'w') as f:
        rows = ['%-6s %4s %9s %9s %8s %6s   %s' % ('mode', 'runs', 'tun', 'rtun', 'diff', 'ratio',
                                                  'program\'s own figure (tun, rtun)')]
        for mode, nruns, st, sr, bt, br in summary:
            rows.append('%-6s %4d %9.1f %9.1f %+8.1f %6.3f   %s, %s' %
                        (mode, nruns, st, sr, sr - st, st / sr, '%.1f' % bt if bt else '-',
                         '%.1f' % br if br else '-'))
        text = ('Instructions per packet (ratio: tun.ko over rtun, above 1 rtun is cheaper)\n' +
                '\n'.join(rows) + '\n')
        f.write(text)
    print('=' * 100)
    sys.stdout.write(text)
    print('profile: reports in %s/<mode>/report.txt, summary in %s/summary.txt' %
          (args.out, args.out))


if __name__ == '__main__':
    main()
