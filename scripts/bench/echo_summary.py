#!/usr/bin/env python3
"""Tables from the samples `echo_load.sh` writes (one row per server run).

Usage: echo_summary.py SAMPLES.tsv TICKS_PER_SECOND

Prints, per cell and server, the medians over rounds; then sansws-mio against the targets,
as ratios of those medians; then the same ratios taken round by round, as their median and
its 95 % confidence interval [low–high] (or the range (low–high) under 6 rounds); then a
verdict per target: met or missed when that interval lies wholly on one side of it, else
within noise. Each round runs every server back to back, so a slow phase of the machine
that lasts longer than a round hits both sides of that round's ratio.

The floor is raw-xor: the raw echo plus one XOR pass over every byte read, the least any
WebSocket server can do. Where the user-CPU target is not met, the verdict says whether the
floor itself meets it: if the floor misses too, the bound is physical on that machine.
"""

import csv
import math
import statistics
import sys

# The other libraries (an A/B copy of a sansws build, named after its file, is not one).
PEERS = ("tungstenite", "fastwebsockets", "tokio-websockets")


def size(nbytes):
    b = int(nbytes)
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB" if b >= 1024 else f"{b} B"


def med(xs):
    return statistics.median(xs) if xs else float("nan")


class Run:
    """One server run: its rate and CPU per message (µs)."""

    def __init__(self, row, tick_us):
        self.round = row["round"]
        self.rate = float(row["msgs_per_sec"])
        self.msgs = int(row["total_msgs"])
        self.hwm_mib = int(row["hwm_kib"]) / 1024
        ticks = int(row["user_ticks"]) + int(row["sys_ticks"])
        per_msg = tick_us / self.msgs if self.msgs else float("nan")
        self.total = ticks * per_msg
        if row.get("user_share"):  # perf's split of the exact total
            self.user = ticks * float(row["user_share"]) * per_msg
            self.unmask = ticks * float(row["mask_share"]) * per_msg
        else:
            self.user = int(row["user_ticks"]) * per_msg
            self.unmask = float("nan")


def load(path, ticks_per_second):
    tick_us = 1e6 / float(ticks_per_second)
    runs = {}  # (conns, bytes) -> server -> [Run]
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            cell = runs.setdefault((row["conns"], row["bytes"]), {})
            cell.setdefault(row["server"], []).append(Run(row, tick_us))
    return runs


def medians(runs):
    """Per server: (msgs/s, user, total, unmasking, peak RSS, run count); CPU from runs
    that echoed something."""
    out = {}
    for server, rs in runs.items():
        ok = [r for r in rs if r.msgs > 0]
        out[server] = (
            med([r.rate for r in rs]),
            med([r.user for r in ok]),
            med([r.total for r in ok]),
            med([r.unmask for r in ok]),
            max(r.hwm_mib for r in rs),
            len(rs),
        )
    return out


def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"


def print_servers(runs):
    print("| cell (conns × bytes) | server | msgs/s (median) | µs CPU/msg user | µs CPU/msg total "
          "| of user: µs unmasking | peak RSS MiB | msgs/s ÷ sansws-mio | user CPU/msg ÷ sansws-mio "
          "| runs |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (conns, nbytes), cell in runs.items():
        stats = medians(cell)
        base = stats.get("sansws-mio")
        for server, (rate, user, total, unmask, hwm, n) in stats.items():
            rr = ratio(rate, base[0]) if base else "–"
            ur = ratio(user, base[1]) if base else "–"
            um = "–" if math.isnan(unmask) else f"{unmask:.2f}"
            print(f"| {conns} × {size(nbytes)} | {server} | {rate:,.0f} | {user:.2f} | {total:.2f} "
                  f"| {um} | {hwm:.1f} | {rr} | {ur} | {n} |")


def print_table(head, rows):
    """A markdown table after a blank line, first column left-aligned; nothing without rows."""
    if not rows:
        return
    print()
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def print_targets(runs):
    """sansws-mio against the targets, from the medians. The floor is the raw-xor server's
    user CPU where it ran; else an estimate: the raw echo's plus the unmasking sansws-mio
    did (measured in the same run, where the bytes lie after the kernel copied them in)."""
    rows = []
    for (conns, nbytes), cell in runs.items():
        stats = medians(cell)
        me = stats.get("sansws-mio")
        them = [v for s, v in stats.items() if s in PEERS]
        if not me or not them:
            continue
        raw = stats.get("raw")
        low_user = min(t[1] for t in them)
        unmask = 0 if math.isnan(me[3]) else me[3]
        if "raw-xor" in stats:
            floor = ratio(stats["raw-xor"][1], low_user)
        else:
            floor = ratio(raw[1] + unmask, low_user) + " (estimate)" if raw else "–"
        rows.append((
            f"{conns} × {size(nbytes)}",
            ratio(me[0], max(t[0] for t in them)),
            ratio(me[0], raw[0]) if raw else "–",
            ratio(me[1], low_user),
            ratio(me[2], min(t[2] for t in them)),
            floor,
        ))
    print_table(("cell", "msgs/s ÷ best peer", "msgs/s ÷ raw", "user CPU ÷ lowest peer",
                 "total CPU ÷ lowest peer", "floor user CPU ÷ lowest peer"), rows)


# The ratios taken within each round, in the order the round-by-round table shows them.
ROUND_RATIOS = ("best", "raw", "user", "total", "floor", "above_floor")

# The targets, as (name, bound, whether higher is better) over the per-round ratios below.
TARGETS = {
    "best": ("msgs/s ≥ best peer", 1.0, True),
    "raw": ("msgs/s ≥ 0.95 × raw", 0.95, True),
    "user": ("user CPU ≤ 0.5 × lowest peer", 0.5, False),
    "total": ("total CPU < lowest peer", 1.0, False),
}


def median_interval(xs):
    """The median of `xs` and an interval around it: the distribution-free 95 % confidence
    interval of the median (order statistics k and n + 1 - k, k from the binomial
    distribution), which needs at least 6 values; with fewer, the whole range. Returns
    (median, low, high, is_confidence_interval)."""
    xs = sorted(x for x in xs if not math.isnan(x))
    n = len(xs)
    if not n:
        return None
    k, below = 0, 0.0
    while k < n:
        below += math.comb(n, k) / 2**n  # P(fewer than k + 1 values below the median)
        if below > 0.025:
            break
        k += 1
    if k == 0:
        return (med(xs), xs[0], xs[-1], False)
    return (med(xs), xs[k - 1], xs[n - k], True)


def show(interval):
    if interval is None:
        return "–"
    m, lo, hi, ci = interval
    return f"{m:.2f} [{lo:.2f}–{hi:.2f}]" if ci else f"{m:.2f} ({lo:.2f}–{hi:.2f})"


def verdict(interval, bound, higher_is_better):
    """"met" when the whole interval is on the target's side of `bound`, "missed" when it is
    all on the other side, else "within noise"."""
    if interval is None:
        return "–"
    _, lo, hi, _ = interval
    good, bad = (lo >= bound, hi < bound) if higher_is_better else (hi <= bound, lo > bound)
    return "met" if good else "missed" if bad else "within noise"


def round_ratios(cell):
    """Per round that ran sansws-mio and a peer: the ratios the targets name, taken within
    the round, plus the floor (raw-xor) user CPU ÷ lowest peer's and sansws-mio's ÷ the
    floor's. Each a list over the rounds."""
    by_round = {}
    for server, rs in cell.items():
        for r in rs:
            by_round.setdefault(r.round, {})[server] = r
    out = {key: [] for key in ROUND_RATIOS}
    for servers in by_round.values():
        me = servers.get("sansws-mio")
        them = [r for s, r in servers.items() if s in PEERS and r.msgs > 0]
        if not me or not them or me.msgs == 0:
            continue
        low_user = min(t.user for t in them)
        out["best"].append(me.rate / max(t.rate for t in them))
        out["user"].append(me.user / low_user)
        out["total"].append(me.total / min(t.total for t in them))
        raw = servers.get("raw")
        if raw and raw.rate:
            out["raw"].append(me.rate / raw.rate)
        floor = servers.get("raw-xor")
        if floor and floor.msgs:
            out["floor"].append(floor.user / low_user)
            out["above_floor"].append(me.user / floor.user)
    return out


def target_verdicts(intervals):
    """Per target, its verdict from the round-by-round intervals; where the user-CPU target
    is not met, also the floor's (whether a server doing nothing but the echo and the
    unmasking pass meets it)."""
    out = {key: verdict(intervals[key], bound, up) for key, (_, bound, up) in TARGETS.items()}
    if out["user"] != "met" and intervals.get("floor") is not None:
        _, bound, up = TARGETS["user"]
        floor = verdict(intervals["floor"], bound, up)
        out["user"] += f"; the floor: {'missed too' if floor == 'missed' else floor}"
    return out


def print_rounds(runs):
    """The ratios within each round, as their median and its 95 % confidence interval over
    the rounds (the range when fewer than 6), then a verdict per target from them."""
    rows, verdicts = [], []
    for (conns, nbytes), cell in runs.items():
        if "sansws-mio" not in cell or not any(s in PEERS for s in cell):
            continue
        ratios = round_ratios(cell)
        intervals = {key: median_interval(xs) for key, xs in ratios.items()}
        name = f"{conns} × {size(nbytes)}"
        rows.append((name, *(show(intervals[k]) for k in ROUND_RATIOS), str(len(ratios["user"]))))
        verdicts.append((name, *target_verdicts(intervals).values()))
    print_table(("cell", "round by round: msgs/s ÷ best peer", "msgs/s ÷ raw",
                 "user CPU ÷ lowest peer", "total CPU ÷ lowest peer",
                 "floor user CPU ÷ lowest peer", "user CPU ÷ floor", "rounds"), rows)
    print_table(("cell", *(name for name, _, _ in TARGETS.values())), verdicts)


def main(path, ticks_per_second):
    runs = load(path, ticks_per_second)
    print_servers(runs)
    print_targets(runs)
    print_rounds(runs)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
