#!/usr/bin/env bash
# Runs every test of the workspace, installing what the tests need first.
# This is the test command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# The default feature set (std), then the core with no allocator at all and with alloc only:
# feature unification in a workspace run could otherwise hide a no_std breakage.
cargo test --workspace --all-targets
cargo test --workspace --doc
cargo test -p sansws --no-default-features
cargo test -p sansws --no-default-features --features alloc
