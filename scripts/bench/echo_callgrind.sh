#!/usr/bin/env bash
# Instructions per echoed message, from callgrind: far steadier than CPU time on a shared,
# noisy machine. Runs an echo server under callgrind, zeroes its counters once it listens
# (start-up excluded), drives one load cell for SECS, dumps, and divides the instructions by
# the echoes the load tool counted (the cell's handshakes are included: small next to the
# messages).
#
#   bash scripts/bench/echo_callgrind.sh SERVER_BIN CONNS BYTES [SECS]
#   e.g. bash scripts/bench/echo_callgrind.sh target/release/examples/echo_server 10 1048576 10
#
# Needs valgrind and a release build of benches' `load` (target/release/load). Prints
# `ir_total=… msgs=… ir_per_msg=…`; the callgrind output stays in $OUT (default: a temp dir)
# for callgrind_annotate. CG_FLAGS adds callgrind options (e.g. --dump-instr=yes; with
# --cache-sim=yes it also prints simulated D1 misses per message). LINES=1 also prints the code
# run for every message: its distinct cache lines and pages (callgrind_lines.py). SERVER_ARGS
# go before the address (e.g. SERVER_ARGS=xor for the raw echo's floor).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVER=$1
CONNS=$2
BYTES=$3
SECS=${4:-10}
OUT=${OUT:-$(mktemp -d)}
LOAD=${LOAD:-$ROOT/target/release/load}
# A port the kernel just handed out is free.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

CG_FLAGS=${CG_FLAGS:-}
if [[ ${LINES:-0} == 1 ]]; then
    CG_FLAGS="$CG_FLAGS --dump-instr=yes"
fi
valgrind --tool=callgrind $CG_FLAGS --callgrind-out-file="$OUT/callgrind.out" \
    "$SERVER" ${SERVER_ARGS:-} "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
    ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN && break
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
    sleep 0.1
done
ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN || { echo "no server on $PORT" >&2; exit 1; }
callgrind_control -z "$PID" >/dev/null
line=$("$LOAD" "127.0.0.1:$PORT" "$CONNS" "$BYTES" "$SECS")
callgrind_control -d "$PID" >/dev/null
# The dump is written as callgrind.out.N; the newest one holds the run's counts.
dump=$(ls -t "$OUT"/callgrind.out.* | head -n 1)
ir=$(awk '/^summary:/ { print $2 }' "$dump")
msgs=$(grep -o 'total_msgs=[0-9]*' <<<"$line" | cut -d= -f2)
# With CG_FLAGS=--cache-sim=yes the dump also counts simulated cache misses: per message, the
# first-level data misses (reads, writes) show how many cache lines of state an echo touches.
misses=$(awk -v m="$msgs" '
    /^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
    /^summary:/ && ("D1mr" in col) {
        printf " d1_read_misses_per_msg=%.2f d1_write_misses_per_msg=%.2f", $col["D1mr"] / m, $col["D1mw"] / m
    }' "$dump")
lines=
if [[ ${LINES:-0} == 1 ]]; then
    lines=" $(python3 "$ROOT/scripts/bench/callgrind_lines.py" "$dump" "$msgs" | tail -n 1)"
fi
echo "ir_total=$ir msgs=$msgs ir_per_msg=$((ir / msgs))$misses$lines dump=$dump"
