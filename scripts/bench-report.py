#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw results of `make bench` into the comparison table.

    bench-report.py OUT_DIR

reads OUT_DIR/<view>/raw.txt (lines "view=V row=R driver=D round=N key=value ...", written
by scripts/guest-bench.sh), prints a table of tun.ko against rtun per row with the median
of the rounds, writes the same data to OUT_DIR/bench.json and OUT_DIR/bench.csv, and ends
with one line per row:

    bench <row> tun=<value> rtun=<value> ratio=<r> <view>

ratio > 1 always means rtun is better: rtun/tun for rates, tun/rtun for costs, latencies
and memory.

With an older rtun measured as well (`make bench BASE=<commit>`: driver=base in raw.txt),
the table has the columns base and "vs base", the ratio of the current rtun against it
in the same orientation (> 1: the current rtun is better), bench.json and bench.csv have
base and vs_base, and each of those last lines ends with base=<value> vs_base=<r>.

OUT_DIR/toolchain.txt (key=value, written by scripts/bench.sh) becomes bench.json's
"toolchain" and the report's first line; OUT_DIR/base/info.txt its "base".
Standard library only.
"""
import csv
import json
import os
import statistics
import sys

VIEWS = {
    "wall": "wall-clock, multi-threaded TCG: compare the ratio, not the absolute values",
    "icount": "QEMU -icount shift=0,sleep=off: guest ns = guest instructions, deterministic",
    "mem": "kernel memory (SUnreclaim+KernelStack+PageTables+Percpu+VmallocUsed), KiB per device",
}


def parse(path):
    """The records of one raw.txt, as dicts of strings."""
    recs = []
    if not os.path.exists(path):
        return recs
    with open(path) as f:
        for line in f:
            rec = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            if "row" in rec:
                recs.append(rec)
    return recs


def read_kv(path):
    """A key=value file as a dict (missing file: empty)."""
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    kv[k] = v
    return kv


def metrics(view, row):
    """(name suffix, key, better, unit, tag) of the values a raw row yields, in view."""
    if row.startswith("mem_"):
        return [("", "kernel_kib", "low", "KiB/dev", "mem")]
    if row == "rtt":
        unit = "insn" if view == "icount" else "ns"
        return [("_median", "median_ns", "low", unit, view), ("_p99", "p99_ns", "low", unit, view)]
    if view == "icount":
        return [("", "ns_per_pkt", "low", "insn/pkt", view)]
    return [("", "pps", "high", "pkt/s", view)]


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "KiB/dev":
        return f"{v:.1f}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"


def spread(vals):
    """Relative spread of the rounds: (max - min) / median."""
    if len(vals) < 2:
        return 0.0
    m = statistics.median(vals)
    return (max(vals) - min(vals)) / m if m else 0.0


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    recs = []
    for view in ("wall", "icount", "mem"):
        recs += parse(os.path.join(out, view, "raw.txt"))
    if not recs:
        print(f"bench-report: no results under {out}", file=sys.stderr)
        return 1

    env = {r["view"]: r for r in recs if r["row"] == "env"}
    base = any(r.get("driver") == "base" for r in recs)
    drivers = ("tun", "rtun", "base") if base else ("tun", "rtun")
    rows, order, errors = {}, [], []
    for r in recs:
        if r["row"] == "env":
            continue
        if "error" in r:
            errors.append(f'{r["view"]} {r["row"]} {r["driver"]} round {r["round"]}: {r["error"]}')
            continue
        for suffix, key, better, unit, tag in metrics(r["view"], r["row"]):
            name = f'{r["row"]}{suffix}@{tag}'
            if name not in rows:
                order.append(name)
                rows[name] = {"row": name, "view": tag, "unit": unit, "better": better,
                              "samples": {d: [] for d in drivers},
                              "extra": {d: [] for d in drivers}}
            if key in r:
                rows[name]["samples"][r["driver"]].append(float(r[key]))
                rows[name]["extra"][r["driver"]].append(r)

    results = []
    for name in order:
        d = rows[name]
        res = {k: d[k] for k in ("row", "view", "unit", "better")}
        med = {}
        for drv in drivers:
            s = d["samples"][drv]
            med[drv] = statistics.median(s) if s else None
            res[drv] = med[drv]
            res[f"{drv}_samples"] = s
            res[f"{drv}_spread"] = spread(s)
        res["ratio"] = ratio(med["tun"], med["rtun"], d["better"])
        if base:
            # The current rtun against the older one, oriented like ratio.
            res["vs_base"] = ratio(med["base"], med["rtun"], d["better"])
        # Ratio of each round's pair, measured back to back: how stable the comparison is.
        pairs = zip(d["samples"]["tun"], d["samples"]["rtun"])
        res["round_ratios"] = [ratio(a, b, d["better"]) for a, b in pairs]
        res["notes"] = notes(name, d["extra"])
        # Every other number the load generator printed, as medians (drops, cost split, ...).
        res["medians"] = {drv: medians(d["extra"][drv]) for drv in drivers}
        results.append(res)

    # Per queue: what 240 more queues cost, from the 16- and 256-queue devices.
    byname = {r["row"]: r for r in results}
    q16, q256 = byname.get("mem_q16@mem"), byname.get("mem_q256@mem")
    if q16 and q256 and None not in (q16["tun"], q16["rtun"], q256["tun"], q256["rtun"]):
        pq = {drv: (q256[drv] - q16[drv]) / 240 for drv in ("tun", "rtun")}
        res = {"row": "mem_per_queue@mem", "view": "mem", "unit": "KiB/queue",
               "better": "low", "tun": pq["tun"], "rtun": pq["rtun"],
               "ratio": ratio(pq["tun"], pq["rtun"], "low"), "tun_spread": None,
               "rtun_spread": None, "round_ratios": [],
               "notes": "(mem_q256 - mem_q16) / 240"}
        if base:
            pq_base = None
            if None not in (q16["base"], q256["base"]):
                pq_base = (q256["base"] - q16["base"]) / 240
            res.update({"base": pq_base, "base_spread": None,
                        "vs_base": ratio(pq_base, pq["rtun"], "low")})
        results.append(res)

    toolchain = read_kv(os.path.join(out, "toolchain.txt"))
    base_info = read_kv(os.path.join(out, "base", "info.txt")) if base else None
    report(out, env, results, errors, toolchain, base_info)
    return 1 if errors else 0


def medians(recs):
    keys = {k for r in recs for k in r} - {"view", "row", "driver", "round"}
    out = {}
    for k in sorted(keys):
        try:
            out[k] = statistics.median(float(r[k]) for r in recs if k in r)
        except ValueError:
            pass
    return out


def ratio(tun, rtun, better):
    if not tun or not rtun:
        return None
    return rtun / tun if better == "high" else tun / rtun


def notes(name, extra):
    """Side numbers worth a glance: drops on the read path, the cost split of icount read."""
    def med(drv, key):
        vals = [float(r[key]) for r in extra[drv] if key in r]
        return statistics.median(vals) if vals else None

    if name.startswith("read") and name.endswith("@wall"):
        return "dropped/s tun {} rtun {}".format(*(fmt(med(d, "drop_pps"), "") for d in ("tun", "rtun")))
    if name.startswith("read") and name.endswith("@icount"):
        return "xmit+read: tun {}+{} rtun {}+{}".format(
            *(fmt(med(d, k), "") for d in ("tun", "rtun") for k in ("xmit_ns_per_pkt", "read_ns_per_pkt")))
    if name.startswith("write") or name.startswith("vhost_"):
        # Packets write() (or vhost) accepted that never reached ip_rcv, e.g. a full
        # backlog; for vhost RX, frames sent into the tap that never came out of the ring.
        lost = [f"{d} lost {sum(int(r.get('lost', 0)) for r in extra[d])}"
                for d in ("tun", "rtun") if any(int(r.get("lost", 0)) for r in extra[d])]
        if name.startswith("vhost_"):
            # How vhost and the program batched the work: eventfd kicks, the program's
            # sleeps, context switches (the program's and vhost's worker's).
            keys = ("kicks", "waits", "switches")
            lost.append("kicks/waits/switches per kpkt: tun {}/{}/{} rtun {}/{}/{}".format(
                *(fmt(med(d, k), "") for d in ("tun", "rtun") for k in keys)))
        return "; ".join(lost)
    return ""


def report(out, env, results, errors, toolchain, base_info):
    print()
    if toolchain:
        # The tools' own --version lines name them; the inlining modes go as key=value.
        tools = ("rustc", "clang", "bindgen")
        print("toolchain: " + "; ".join([toolchain[k] for k in tools if k in toolchain] +
                                        [f"{k}={v}" for k, v in toolchain.items() if k not in tools]))
    print("rtun benchmark: tun.ko against rtun, loaded side by side in one boot per view")
    if base_info is not None:
        print(f"  base: rtun.ko of {base_info.get('rev', '?')} (sha256 {base_info.get('sha256', '?')}),"
              " measured after tun and rtun each time, swapped in for rtun")
        print("  vs base > 1: the current rtun better than the base (same orientation as ratio)")
    print("  (vhost_* rows: in the same boot, each driver in turn at /dev/net/tun, vhost_net bound to it)")
    for view, e in sorted(env.items()):
        print(f"  {view:6} view: {e.get('cpus')} vCPU, {e.get('kernel')}, "
              f"guest ns per instruction {e.get('ns_per_insn')}")
    for tag, text in VIEWS.items():
        print(f"  {tag:6} {text}")
    print("  median of the rounds; rounds = range of the per-round ratios (tun and rtun measured")
    print("  back to back); spread = (max - min) / median of each driver's rounds;")
    print("  ratio > 1: rtun better (rtun/tun for rates, tun/rtun for costs, latency, memory)")
    print()
    base = base_info is not None
    bcols = f" {'base':>11} {'vs base':>7}" if base else ""
    head = (f"{'row':26} {'unit':9} {'tun':>11} {'rtun':>11} {'ratio':>6}{bcols}  {'rounds':11}  "
            f"{'spread tun/rtun':15}  notes")
    print(head)
    print("-" * len(head))
    for r in results:
        sp = ""
        if r.get("tun_spread") is not None:
            sp = f"{100 * r['tun_spread']:.1f}%/{100 * r['rtun_spread']:.1f}%"
        rt = f"{r['ratio']:.2f}" if r["ratio"] else "-"
        rr = [x for x in r["round_ratios"] if x]
        rng = f"{min(rr):.2f}-{max(rr):.2f}" if len(rr) > 1 else ""
        bv = ""
        if base:
            vb = f"{r['vs_base']:.2f}" if r.get("vs_base") else "-"
            bv = f" {fmt(r.get('base'), r['unit']):>11} {vb:>7}"
        print(f"{r['row']:26} {r['unit']:9} {fmt(r['tun'], r['unit']):>11} "
              f"{fmt(r['rtun'], r['unit']):>11} {rt:>6}{bv}  {rng:11}  {sp:15}  {r['notes']}")
    if errors:
        print()
        print("failed measurements (left out of the medians):")
        for e in errors:
            print("  " + e)

    with open(os.path.join(out, "bench.json"), "w") as f:
        data = {"views": VIEWS, "toolchain": toolchain, "env": env, "rows": results,
                "errors": errors}
        if base:
            data["base"] = base_info
        json.dump(data, f, indent=1)
    with open(os.path.join(out, "bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "view", "unit", "better", "tun", "rtun", "ratio", "tun_spread",
                    "rtun_spread", "notes"] + (["base", "vs_base", "base_spread"] if base else []))
        for r in results:
            w.writerow([r["row"], r["view"], r["unit"], r["better"], r["tun"], r["rtun"],
                        r["ratio"], r["tun_spread"], r["rtun_spread"], r["notes"]] +
                       ([r.get("base"), r.get("vs_base"), r.get("base_spread")] if base else []))
    print()
    print(f"(data: {out}/bench.json, {out}/bench.csv; raw rounds: {out}/<view>/raw.txt)")
    print()
    label = {"wall": "wall-clock", "icount": "icount", "mem": "memory"}
    for r in results:
        rt = f"{r['ratio']:.3f}" if r["ratio"] else "nan"
        t = "nan" if r["tun"] is None else f"{r['tun']:.6g}"
        v = "nan" if r["rtun"] is None else f"{r['rtun']:.6g}"
        line = f"bench {r['row']} tun={t} rtun={v} ratio={rt} {label[r['view']]}({r['unit']})"
        if base:
            b = "nan" if r.get("base") is None else f"{r['base']:.6g}"
            vb = f"{r['vs_base']:.3f}" if r.get("vs_base") else "nan"
            line += f" base={b} vs_base={vb}"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
