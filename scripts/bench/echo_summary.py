#!/usr/bin/env python3
"""Tables from the samples `echo_load.sh` writes (one row per server run).

Usage: echo_summary.py SAMPLES.tsv TICKS_PER_SECOND

Prints, per cell and server, the medians over rounds; then sansws-mio against the targets,
as ratios of those medians; then the same ratios taken round by round, as median
(lowest–highest). Each round runs every server back to back, so a slow phase of the machine
that lasts longer than a round hits both sides of that round's ratio.
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


def spread(xs):
    xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return "–"
    return f"{med(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"


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
    """sansws-mio against the targets, from the medians. The floor is what a server would
    cost that did only the raw echo's work plus the unmasking sansws-mio did (measured in
    the same run, where the bytes lie after the kernel copied them in)."""
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
        rows.append((
            f"{conns} × {size(nbytes)}",
            ratio(me[0], max(t[0] for t in them)),
            ratio(me[0], raw[0]) if raw else "–",
            ratio(me[1], low_user),
            ratio(me[2], min(t[2] for t in them)),
            ratio(raw[1] + unmask, low_user) if raw else "–",
        ))
    print_table(("cell", "msgs/s ÷ best peer", "msgs/s ÷ raw", "user CPU ÷ lowest peer",
                 "total CPU ÷ lowest peer", "floor (raw user + unmasking) ÷ lowest peer user"),
                rows)


def print_rounds(runs):
    """The same ratios within each round, then their median and range over the rounds."""
    rows = []
    for (conns, nbytes), cell in runs.items():
        if "sansws-mio" not in cell or not any(s in PEERS for s in cell):
            continue
        by_round = {}
        for server, rs in cell.items():
            for r in rs:
                by_round.setdefault(r.round, {})[server] = r
        best, vs_raw, user, total = [], [], [], []
        for servers in by_round.values():
            me = servers.get("sansws-mio")
            them = [r for s, r in servers.items() if s in PEERS and r.msgs > 0]
            if not me or not them or me.msgs == 0:
                continue
            best.append(me.rate / max(t.rate for t in them))
            user.append(me.user / min(t.user for t in them))
            total.append(me.total / min(t.total for t in them))
            if "raw" in servers and servers["raw"].rate:
                vs_raw.append(me.rate / servers["raw"].rate)
        rows.append((f"{conns} × {size(nbytes)}", spread(best), spread(vs_raw), spread(user),
                     spread(total), str(len(user))))
    print_table(("cell", "round by round: msgs/s ÷ best peer", "msgs/s ÷ raw",
                 "user CPU ÷ lowest peer", "total CPU ÷ lowest peer", "rounds"), rows)


def main(path, ticks_per_second):
    runs = load(path, ticks_per_second)
    print_servers(runs)
    print_targets(runs)
    print_rounds(runs)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
