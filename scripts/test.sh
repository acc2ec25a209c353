#!/usr/bin/env bash
# Runs every test of the workspace, installing what the tests need first.
# This is the test command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tokio adapter's interop tests talk to Python's `websockets` (a peer nobody here wrote),
# pinned in scripts/interop/requirements.txt: install it into a virtualenv under target/
# (kept while it imports the pinned version) and hand its interpreter to the tests.
interop_venv="$PWD/target/interop-venv"
websockets_pin="$(sed -n 's/^websockets==//p' scripts/interop/requirements.txt)"
if ! "$interop_venv/bin/python" -c "import sys, websockets; sys.exit(websockets.__version__ != '$websockets_pin')" 2>/dev/null; then
  rm -rf "$interop_venv"
  python3 -m venv "$interop_venv"
  "$interop_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/interop/requirements.txt
fi
export SANSWS_PYTHON="$interop_venv/bin/python"

# The default feature set (std), then the core with no allocator at all and with alloc only:
# feature unification in a workspace run could otherwise hide a no_std breakage.
cargo test --workspace --all-targets
cargo test --workspace --doc
cargo test -p sansws --no-default-features
cargo test -p sansws --no-default-features --features alloc
# permessage-deflate without std: the miniz_oxide backend (the workspace run above has zlib-rs).
cargo test -p sansws --no-default-features --features deflate
# The rule scripts/autobahn.sh uses to run again cases Autobahn's own timer cut short.
python3 scripts/autobahn_retryable_test.py
# The statistics the echo load tables and verdicts are drawn with.
python3 scripts/bench/echo_summary_test.py
# The reading of callgrind dumps behind echo_callgrind.sh's code footprint (LINES=1).
python3 scripts/bench/callgrind_lines_test.py
