#!/usr/bin/env bash
# Side-by-side echo load: the sansws echo servers (mio and tokio examples) against the peers'
# (tokio-tungstenite, fastwebsockets, tokio-websockets), a raw byte echo (the loop's limit) and
# raw-xor, the raw echo plus the one XOR pass over every byte that unmasking costs (the floor
# under any WebSocket server's CPU where unmasking dominates), all release builds, each cell
# of the matrix on a fresh server process, servers interleaved round by round. Prints
# markdown tables on stdout; raw samples go to $OUT.
#
#   bash scripts/bench/echo_load.sh                 # load matrix, 3 rounds
#   QUICK=1 bash scripts/bench/echo_load.sh         # smoke test: 1 round, 2 s, 3 cells
#   MODE=idle bash scripts/bench/echo_load.sh       # memory: RSS growth over idle connections
#   MODE=all ...                                    # both
#   MODE=syscalls bash scripts/bench/echo_load.sh   # syscalls per message (perf stat), 1 run
#
# Environment: ROUNDS (3), SECS per run (5; 2 when QUICK=1), PIN=split|same|none (split:
# server on CPU 0, load on CPU 1; same: both on CPU 0), SERVERS (space-separated subset; any
# other name is an executable in target/bench-bins, e.g. an experimental build to set against
# the others), IDLE_CONNS (10000), OUT (results directory), NO_BUILD=1 (reuse
# target/bench-bins), CELLS (a subset of the matrix: "CONNS BYTES" pairs separated by commas,
# e.g. CELLS="10 1048576, 100 20"), CPU=perf|ticks (how user CPU is split from total, below).
#
# CPU time: the total is the server's utime + stime from /proc/PID/stat (the scheduler's exact
# runtime). Its split into user and kernel time there is sampled at the clock tick (100/s):
# over a few seconds of a server that spends ~90 % in the kernel that is a few dozen user
# samples, ±20 %. With CPU=perf (the default when `perf record` works) each server runs under
# `perf record -e cpu-clock -F 10000` and the user share is the share of its samples taken in
# user space (100× the samples; every server pays the same sampling overhead).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

QUICK=${QUICK:-0}
MODE=${MODE:-load}
PIN=${PIN:-none}
IDLE_CONNS=${IDLE_CONNS:-10000}
CELLS_SPEC=${CELLS:-}
unset CELLS
if [[ $QUICK == 1 ]]; then
    ROUNDS=${ROUNDS:-1}
    SECS=${SECS:-2}
    CELLS=("100 20" "100 1024" "10 16384")
else
    ROUNDS=${ROUNDS:-3}
    SECS=${SECS:-5}
    CELLS=("1 20" "100 20" "100 1024" "10 16384" "500 16384" "10 1048576")
fi
if [[ -n $CELLS_SPEC ]]; then
    IFS=, read -r -a CELLS <<<"$CELLS_SPEC"
fi
ALL_SERVERS="sansws-mio sansws-tokio tungstenite fastwebsockets tokio-websockets raw raw-xor"
read -r -a SERVER_LIST <<<"${SERVERS:-$ALL_SERVERS}"
BIN="$ROOT/target/bench-bins"
OUT=${OUT:-"$ROOT/target/bench-results/echo_load-$(date -u +%Y%m%dT%H%M%SZ)"}
mkdir -p "$BIN" "$OUT"

PERF_FREQ=${PERF_FREQ:-10000}
if [[ -z ${CPU:-} ]]; then
    if perf record -q -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then CPU=perf; else CPU=ticks; fi
fi
case $CPU in perf | ticks) ;; *) echo "CPU must be perf or ticks" >&2; exit 2 ;; esac

case $PIN in
    split) SERVER_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1) ;;
    same) SERVER_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 0) ;;
    none) SERVER_PIN=() LOAD_PIN=() ;;
    *) echo "PIN must be split, same or none" >&2; exit 2 ;;
esac

# Everything started here is tracked by PID and stopped on exit.
STARTED=()
cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }

# --- build ------------------------------------------------------------------------------
if [[ ${NO_BUILD:-0} != 1 ]]; then
    log "building (release)…"
    # Both adapters' examples are target/release/examples/echo_server: copy each right away.
    cargo build --release -q -p sansws-mio --example echo_server
    cp target/release/examples/echo_server "$BIN/sansws-mio"
    cargo build --release -q -p sansws-tokio --example echo_server
    cp target/release/examples/echo_server "$BIN/sansws-tokio"
    cargo build --release -q -p sansws-benches --bins
    for b in load idle tungstenite_echo fastwebsockets_echo tokio_websockets_echo raw_echo; do
        cp "target/release/$b" "$BIN/$b"
    done
fi

# The command that runs server $1, less its address.
server_cmd() {
    case $1 in
        sansws-mio | sansws-tokio) echo "$BIN/$1" ;;
        tungstenite) echo "$BIN/tungstenite_echo" ;;
        fastwebsockets) echo "$BIN/fastwebsockets_echo" ;;
        tokio-websockets) echo "$BIN/tokio_websockets_echo" ;;
        raw) echo "$BIN/raw_echo" ;;
        raw-xor) echo "$BIN/raw_echo xor" ;;
        *)
            # Any other executable there by name: an experimental build to set against these.
            [[ $1 != */* && -x $BIN/$1 ]] || { echo "unknown server $1" >&2; return 1; }
            echo "$BIN/$1"
            ;;
    esac
}

# A fresh port per server process, so no run meets the previous one's sockets.
PORT=$((20000 + RANDOM % 20000))
SERVER_PID=
# A command the server runs under (perf), set per run; then WRAP_PID is that command's PID
# and SERVER_PID its child, the server.
WRAP=()
WRAP_PID=
start_server() {
    local cmd
    read -r -a cmd <<<"$(server_cmd "$1")"
    ((${#cmd[@]})) || return 1
    PORT=$((PORT + 1))
    "${SERVER_PIN[@]}" "${WRAP[@]}" "${cmd[@]}" "127.0.0.1:$PORT" >/dev/null 2>&1 &
    SERVER_PID=$!
    STARTED+=("$SERVER_PID")
    WRAP_PID=
    local try
    if ((${#WRAP[@]})); then
        WRAP_PID=$SERVER_PID
        for try in $(seq 1 100); do
            SERVER_PID=$(pgrep -P "$WRAP_PID" | head -n 1 || true)
            [[ -n $SERVER_PID ]] && break
            sleep 0.05
        done
        [[ -n $SERVER_PID ]] || { log "server $1 did not start under ${WRAP[0]}"; return 1; }
    fi
    for try in $(seq 1 100); do
        if ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    log "server $1 did not start (try $try)"
    return 1
}

stop_server() {
    if [[ -n $WRAP_PID ]]; then
        # perf writes its data once the server it runs has exited.
        kill -INT "$SERVER_PID" 2>/dev/null || true
        wait "$WRAP_PID" 2>/dev/null || true
    else
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}

# The shares of `perf record` samples taken in user space (any object but the kernel), and
# in user-space functions named for (un)masking (every library's unmasking loop is: sansws
# `apply_mask`/`mask_*`, fastwebsockets `unmask`, tungstenite `apply_mask`, ...): "USER MASK".
perf_shares() {
    perf report -i "$1" --sort dso,sym --stdio -F sample,dso,sym 2>/dev/null | awk '
        /^#/ || NF < 3 { next }
        $2 ~ /kernel/ { k += $1; next }
        { u += $1; if (tolower($0) ~ /mask/) m += $1 }
        END { if (u + k > 0) printf "%.5f %.5f", u / (u + k), m / (u + k) }'
}

# utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat; the command name, field 2,
# is in parentheses and may hold spaces, so count from after its closing parenthesis).
cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    stat=${stat##*) }
    # After "pid (comm) ", field 3 (state) is word 1: fields 14/15 are words 12/13.
    awk '{ print $12, $13 }' <<<"$stat"
}

hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

TICK=$(getconf CLK_TCK)

# --- load matrix --------------------------------------------------------------------------
run_load() {
    local samples="$OUT/load.tsv"
    printf 'conns\tbytes\tserver\tround\tmsgs_per_sec\tp50_us\tp99_us\ttotal_msgs\tuser_ticks\tsys_ticks\thwm_kib\tuser_share\tmask_share\n' >"$samples"
    local perf_data="$OUT/cpu.perf"
    local round cell server conns bytes line
    for round in $(seq 1 "$ROUNDS"); do
        for cell in "${CELLS[@]}"; do
            read -r conns bytes <<<"$cell"
            for server in "${SERVER_LIST[@]}"; do
                WRAP=()
                if [[ $CPU == perf ]]; then
                    WRAP=(perf record -q -e cpu-clock -F "$PERF_FREQ" -o "$perf_data" --)
                fi
                start_server "$server" || continue
                local before after
                before=$(cpu_ticks "$SERVER_PID")
                if ! line=$("${LOAD_PIN[@]}" timeout $((SECS * 2 + 60)) "$BIN/load" \
                    "127.0.0.1:$PORT" "$conns" "$bytes" "$SECS"); then
                    log "round $round: $server $conns×$bytes: load failed"
                    stop_server
                    continue
                fi
                after=$(cpu_ticks "$SERVER_PID")
                local hwm u0 s0 u1 s1
                hwm=$(hwm_kib "$SERVER_PID")
                read -r u0 s0 <<<"$before"
                read -r u1 s1 <<<"$after"
                stop_server
                local share= mask=
                if [[ $CPU == perf ]]; then
                    read -r share mask <<<"$(perf_shares "$perf_data")"
                    rm -f "$perf_data"
                fi
                local rate p50 p99 total
                rate=$(grep -o 'msgs_per_sec=[0-9]*' <<<"$line" | cut -d= -f2)
                p50=$(grep -o 'p50_us=[0-9]*' <<<"$line" | cut -d= -f2)
                p99=$(grep -o 'p99_us=[0-9]*' <<<"$line" | cut -d= -f2)
                total=$(grep -o 'total_msgs=[0-9]*' <<<"$line" | cut -d= -f2)
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$conns" \
                    "$bytes" "$server" "$round" "$rate" "$p50" "$p99" "$total" $((u1 - u0)) \
                    $((s1 - s0)) "$hwm" "$share" "$mask" >>"$samples"
                log "round $round: $server $conns×$bytes: $line"
            done
        done
    done
    python3 "$ROOT/scripts/bench/echo_summary.py" "$samples" "$TICK"
}

# --- syscalls per message -----------------------------------------------------------------
run_syscalls() {
    local stat="$OUT/syscalls.csv" samples="$OUT/syscalls.tsv"
    printf 'conns\tbytes\tserver\ttotal_msgs\tsyscalls\tepoll_waits\n' >"$samples"
    local cell server conns bytes line
    for cell in "${CELLS[@]}"; do
        read -r conns bytes <<<"$cell"
        for server in "${SERVER_LIST[@]}"; do
            WRAP=(perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait -o "$stat" --)
            start_server "$server" || continue
            if ! line=$(timeout $((SECS * 2 + 60)) "$BIN/load" "127.0.0.1:$PORT" "$conns" "$bytes" "$SECS"); then
                log "$server $conns×$bytes: load failed"
                stop_server
                continue
            fi
            stop_server
            local total calls waits
            total=$(grep -o 'total_msgs=[0-9]*' <<<"$line" | cut -d= -f2)
            calls=$(awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$stat")
            waits=$(awk -F, '$3 == "syscalls:sys_enter_epoll_wait" { print $1 }' "$stat")
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$conns" "$bytes" "$server" "$total" "$calls" "$waits" >>"$samples"
            log "syscalls: $server $conns×$bytes: $line calls=$calls epoll_waits=$waits"
        done
    done
    echo
    echo "| cell (conns × bytes) | server | syscalls/msg | of which epoll_wait |"
    echo "|---|---|---:|---:|"
    tail -n +2 "$samples" | while IFS=$'\t' read -r c b s t n w; do
        awk -v c="$c" -v b="$b" -v s="$s" -v t="$t" -v n="$n" -v w="$w" \
            'BEGIN { printf "| %d × %d B | %s | %.2f | %.3f |\n", c, b, s, n / t, w / t }'
    done
}

# --- idle memory --------------------------------------------------------------------------
run_idle() {
    local samples="$OUT/idle.tsv"
    printf 'server\tconns\trss_before\trss_after\tbytes_per_conn\n' >"$samples"
    local server line
    for server in "${SERVER_LIST[@]}"; do
        start_server "$server" || continue
        if ! line=$(timeout 300 "$BIN/idle" "127.0.0.1:$PORT" "$SERVER_PID" "$IDLE_CONNS"); then
            log "$server: idle failed"
            stop_server
            continue
        fi
        stop_server
        log "idle: $server: $line"
        printf '%s\t%s\t%s\t%s\t%s\n' "$server" \
            "$(grep -o 'conns=[0-9]*' <<<"$line" | cut -d= -f2)" \
            "$(grep -o 'rss_before=[0-9]*' <<<"$line" | cut -d= -f2)" \
            "$(grep -o 'rss_after=[0-9]*' <<<"$line" | cut -d= -f2)" \
            "$(grep -o 'bytes_per_conn=[0-9]*' <<<"$line" | cut -d= -f2)" >>"$samples"
        # Let the closed connections' sockets drain before the next server.
        sleep 1
    done
    echo
    echo "| server | idle conns | RSS before MiB | RSS after MiB | bytes/conn |"
    echo "|---|---:|---:|---:|---:|"
    tail -n +2 "$samples" | while IFS=$'\t' read -r s n b a per; do
        awk -v s="$s" -v n="$n" -v b="$b" -v a="$a" -v p="$per" \
            'BEGIN { printf "| %s | %d | %.1f | %.1f | %d |\n", s, n, b / 1048576, a / 1048576, p }'
    done
}

echo "echo load: rounds=$ROUNDS secs=$SECS pin=$PIN cpu=$CPU quick=$QUICK servers=${SERVER_LIST[*]} ($(date -u +%FT%TZ))"
echo
case $MODE in
    load) run_load ;;
    idle) run_idle ;;
    syscalls) run_syscalls ;;
    all) run_load; run_idle; run_syscalls ;;
    *) echo "MODE must be load, idle, syscalls or all" >&2; exit 2 ;;
esac
echo
echo "raw samples: $OUT"
