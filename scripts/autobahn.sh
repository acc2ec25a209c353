#!/usr/bin/env bash
# Runs the Autobahn TestSuite strictly against both echo servers (sansws-tokio, sansws-mio)
# and both autobahn clients, and exits non-zero if any case is not OK or INFORMATIONAL.
#
#   scripts/autobahn.sh            # the default case set (all but 9.*, 12.*, 13.*)
#   scripts/autobahn.sh '9.*'      # an explicit case list (comma-separated patterns)
#   ADAPTERS=tokio scripts/autobahn.sh '12.*,13.*'   # one adapter only (default: tokio mio)
#
# The suite comes from the shared folder (../shared/autobahn next to the checkout, or
# $SANSWS_SHARED/autobahn); its virtualenv is built once under target/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cases="${1:-}"
shared=""
for candidate in "${SANSWS_SHARED:-}" "$root/../shared" /work/shared; do
  if [ -n "$candidate" ] && [ -x "$candidate/autobahn/run-server-suite.sh" ]; then
    shared="$(cd "$candidate" && pwd)"
    break
  fi
done
if [ -z "$shared" ]; then
  echo "autobahn.sh: the shared autobahn folder was not found (set SANSWS_SHARED)" >&2
  exit 2
fi
suite="$shared/autobahn"
export AUTOBAHN_VENV="${AUTOBAHN_VENV:-$root/target/autobahn-venv}"
if [ ! -x "$AUTOBAHN_VENV/bin/wstest" ]; then
  bash "$suite/setup.sh"
fi

# Both adapters name their examples alike: build each and keep its binaries apart.
bin="$root/target/autobahn-bin"
mkdir -p "$bin"
adapters="${ADAPTERS:-tokio mio}"
for adapter in $adapters; do
  cargo build --release --quiet -p "sansws-$adapter" --example echo_server --example autobahn_client
  cp target/release/examples/echo_server "$bin/$adapter-echo_server"
  cp target/release/examples/autobahn_client "$bin/$adapter-autobahn_client"
done

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

label="${cases:-default}"
label="${label//[^A-Za-z0-9]/_}"
reports="$root/target/autobahn/$label"
failed=0
summary=()

run() {
  local name="$1"; shift
  local start=$SECONDS
  if "$@"; then
    summary+=("$name: strict OK in $((SECONDS - start)) s")
  else
    summary+=("$name: FAILED (see $reports/$name) in $((SECONDS - start)) s")
    failed=1
  fi
}

for adapter in $adapters; do
  port="$(free_port)"
  "$bin/$adapter-echo_server" "127.0.0.1:$port" 2>/dev/null &
  server_pid=$!
  wait_for_port "$port"
  run "$adapter-server" env STRICT=1 AGENT="sansws-$adapter" \
    bash "$suite/run-server-suite.sh" "ws://127.0.0.1:$port" "$reports/$adapter-server" ${cases:+"$cases"}
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""

  port="$(free_port)"
  run "$adapter-client" env STRICT=1 ${cases:+CASES="$cases"} \
    bash "$suite/run-client-suite.sh" "$port" "$reports/$adapter-client" \
    "$bin/$adapter-autobahn_client ws://127.0.0.1:$port sansws-$adapter"
done

printf '\nAutobahn (%s):\n' "${cases:-default cases}"
printf '  %s\n' "${summary[@]}"
exit "$failed"
