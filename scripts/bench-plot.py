#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Draw the comparison of `make bench` as a picture.

    bench-plot.py OUT_DIR

reads OUT_DIR/bench.json (written by scripts/bench-report.py) and writes OUT_DIR/bench.svg:
one horizontal bar per row, the rtun/tun.ko ratio as bench-report.py orients it (> 1 always
means rtun is better, whether the row is a rate or a cost), with a line at 1.0, and the
range of the per-round ratios as an error bar when there were several rounds. One panel
per view (icount, wall, mem), so deterministic and wall-clock numbers are not mixed up.

Needs Debian's python3-matplotlib (scripts/install-deps.sh); without it, it says so and
exits 0: the picture is an extra, the bench's results are in bench.json either way.
"""
import json
import os
import sys

# Short panel titles; the long explanation of each view is in bench.json's "views".
TITLES = {"icount": "icount view: guest instructions, deterministic",
          "wall": "wall view: wall-clock, multi-threaded TCG",
          "mem": "kernel memory"}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    try:
        import matplotlib
    except ImportError:
        print("bench-plot: no matplotlib (apt-get install python3-matplotlib): no bench.svg")
        return 0
    matplotlib.use("Agg")  # no display: write files only
    import matplotlib.pyplot as plt

    with open(os.path.join(out, "bench.json")) as f:
        data = json.load(f)
    # Rows without a ratio (a driver failed every round) have nothing to draw.
    views = {}
    for r in data["rows"]:
        if r.get("ratio"):
            views.setdefault(r["view"], []).append(r)
    if not views:
        print(f"bench-plot: no ratios in {out}/bench.json: no bench.svg", file=sys.stderr)
        return 1

    # icount first: it is the deterministic one; then wall, mem, anything new.
    order = sorted(views, key=lambda v: list(TITLES).index(v) if v in TITLES else len(TITLES))
    counts = [len(views[v]) for v in order]
    fig, axes = plt.subplots(len(order), 1, squeeze=False,
                             figsize=(9, 1.6 + 0.35 * sum(counts) + 0.6 * len(order)),
                             gridspec_kw={"height_ratios": counts})
    for ax, view in zip(axes[:, 0], order):
        rows = views[view]
        ys = range(len(rows))
        ratios = [r["ratio"] for r in rows]
        # Bars start at 1.0, not 0: the differences are a few percent, which bars from 0
        # would hide. Green where rtun is better, red where it is worse.
        ax.barh(ys, [x - 1 for x in ratios], left=1, height=0.6,
                color=["tab:green" if x >= 1 else "tab:red" for x in ratios])
        dev = 0.02  # the panel's reach on either side of 1.0, at least 2 %
        for y, r in zip(ys, rows):
            x, ends = r["ratio"], [r["ratio"]]
            # Error bars: min to max of the per-round ratios (tun and rtun measured back
            # to back), the "rounds" column of the table; only with more than one round.
            # The ratio of the medians may fall just outside that range: clamp to 0.
            rr = [v for v in r.get("round_ratios") or [] if v]
            if len(rr) > 1:
                ends += rr
                ax.errorbar(x, y, xerr=[[max(0, x - min(rr))], [max(0, max(rr) - x)]],
                            fmt="none", ecolor="black", capsize=3)
            # The value, past the bar and its error bar so that neither hides it.
            side = 1 if x >= 1 else -1
            ax.annotate(f"{x:.3f}", (max(ends) if side > 0 else min(ends), y),
                        xytext=(4 * side, 0), textcoords="offset points", va="center",
                        fontsize=8, ha="left" if side > 0 else "right")
            dev = max(dev, *(abs(v - 1) for v in ends))
        # Each panel its own scale (wall's rounds may spread far more than icount's), but
        # centred on 1.0 so the 1.0 lines line up; the margin leaves room for the values.
        ax.set_xlim(1 - 1.25 * dev, 1 + 1.25 * dev)
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_yticks(list(ys), [f"{r['row'].split('@')[0]} ({r['unit']})" for r in rows],
                      fontsize=9)
        ax.invert_yaxis()  # the table's order, top to bottom
        ax.set_title(TITLES.get(view, view), fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)

    axes[-1, 0].set_xlabel("ratio (> 1: rtun better; rtun/tun for rates, tun/rtun for costs)")
    env = "; ".join(f"{v}: {e.get('kernel')}, {e.get('cpus')} vCPU, {e.get('ns_per_insn')} ns/insn"
                    for v, e in sorted(data.get("env", {}).items()))
    fig.suptitle("rtun against tun.ko" + (f"\n{env}" if env else ""), fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench.svg"))
    print(f"(picture: {out}/bench.svg)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
