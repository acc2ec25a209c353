#!/usr/bin/env bash
# Code size and worst-case stack of the no-alloc client and server on thumbv7em-none-eabihf.
#
#   ./measure.sh            measure against ../../core as it is in the work tree
#   ./measure.sh REV        measure against core/ as committed at REV (e.g. HEAD), so that
#                           edits in progress elsewhere do not move the figures
#   TOP=40 ./measure.sh     list more of the largest symbols
#
# Size: `.text + .rodata` of each program (as `size -A` reports the sections) minus those of
# `empty`, which links the same harness. Release profile: opt-level "z", fat LTO,
# codegen-units 1, panic = "abort" (see Cargo.toml), stable toolchain.
# Stack: the same programs built with nightly `-Z emit-stack-sizes`; elfsize.py walks the call
# graph from `_start` with the per-function frames of `.stack_sizes`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=thumbv7em-none-eabihf
top=${TOP:-25}

# Tools: the target for both toolchains, an llvm-objdump (LLVM's, or rustup's llvm-tools).
rustup target add "$target" >/dev/null 2>&1 || true
have_nightly=0
if rustup toolchain list | grep -q '^nightly'; then
    rustup target add "$target" --toolchain nightly >/dev/null 2>&1 && have_nightly=1
fi
if ! command -v llvm-objdump >/dev/null 2>&1; then
    rustup component add llvm-tools --toolchain nightly >/dev/null 2>&1 \
        || rustup component add llvm-tools >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq llvm >/dev/null; } || true
fi

# The tree to build: this crate beside core/, from the work tree or from a commit.
work=$here
if [ $# -ge 1 ]; then
    snap=$(mktemp -d)
    trap 'rm -rf "$snap"' EXIT
    mkdir -p "$snap/embedded/size"
    git -C "$here/../.." archive "$1" core | tar -x -C "$snap"
    # The root manifest, for what core/ inherits, with core/ as its only member.
    git -C "$here/../.." show "$1:Cargo.toml" \
        | sed -E 's/^members *=.*/members = ["core"]/' >"$snap/Cargo.toml"
    cp -r "$here/Cargo.toml" "$here/Cargo.lock" "$here/src" "$here/.cargo" "$snap/embedded/size/"
    work=$snap/embedded/size
    echo "core/ at $(git -C "$here/../.." rev-parse --short "$1")"
else
    echo "core/ from the work tree"
fi
tdir=$here/target/measure
release=$tdir/size/$target/release
stack=$tdir/stack/$target/release

(cd "$work" && cargo build --release --quiet --target-dir "$tdir/size" --bins)
# Debug info changes no code size that matters here (within ~0.5 %) and lets `files` see
# through inlining.
(cd "$work" && CARGO_PROFILE_RELEASE_DEBUG=2 cargo build --release --quiet \
    --target-dir "$tdir/debug" --bins)
debug=$tdir/debug/$target/release
if [ "$have_nightly" = 1 ]; then
    (cd "$work" && RUSTFLAGS="-Z emit-stack-sizes" cargo +nightly build --release --quiet \
        --target-dir "$tdir/stack" --bins)
fi

size_of() { python3 "$here/elfsize.py" size "$1"; }
empty=$(size_of "$release/empty")
echo
echo "== .text + .rodata (bytes; empty program: $empty)"
for bin in client server; do
    total=$(size_of "$release/$bin")
    printf '%-7s %6d  above empty: %6d\n' "$bin" "$total" "$((total - empty))"
done
echo
echo "== size -A (client)"
if command -v llvm-size >/dev/null 2>&1; then
    llvm-size -A "$release/client" | grep -E '^\.(text|rodata|data|bss) '
fi
for bin in client server; do
    echo
    echo "== where the bytes go: $bin"
    python3 "$here/elfsize.py" top "$release/$bin" "$release/empty" -n "$top"
    python3 "$here/elfsize.py" files "$debug/$bin" "$debug/empty"
done
echo
echo "== worst-case stack"
if [ "$have_nightly" = 1 ]; then
    for bin in client server; do
        python3 "$here/elfsize.py" stack "$stack/$bin"
        echo
    done
else
    echo "(no nightly toolchain: frames from prologues of the stable build)"
    for bin in client server; do python3 "$here/elfsize.py" stack "$release/$bin"; done
fi
