#!/bin/sh
# Build and run the FFI examples (examples/cpp, examples/go, examples/rust)
# against the unetseg that pkg-config finds (make examples-ffi points
# PKG_CONFIG_PATH at the build tree; .ci/run also at an install prefix).
# A language whose compiler is missing is skipped with a message; a build or
# run that fails, or examples that disagree on the Monte-Carlo std map
# (each prints its FNV-1a hash), fail the script.
# Usage: examples/ffi.sh OUTDIR   (CXX, GO, RUSTC choose the compilers)
set -eu
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
mkdir -p "$out"
CXX=${CXX:-c++}
GO=${GO:-go}
RUSTC=${RUSTC:-rustc}
pkg-config --exists unetseg || { echo "examples-ffi: pkg-config finds no unetseg (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})"; exit 1; }
libdir=$(pkg-config --variable=libdir unetseg)
includedir=$(pkg-config --variable=includedir unetseg)
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "examples-ffi: unetseg $(pkg-config --modversion unetseg) from $libdir"
ran="" skipped="" hashes=""

run() { # name command...: run, echo its output, remember its hash
    name=$1; shift
    start=$(date +%s)
    line=$("$@")
    echo "$line   ($(( $(date +%s) - start )) s)"
    hashes="$hashes $(echo "$line" | sed -n 's/.*fnv1a \([0-9a-f]*\).*/\1/p')"
    ran="$ran $name"
}

if command -v "$CXX" >/dev/null 2>&1; then
    echo "== C++17 ($CXX)"
    # shellcheck disable=SC2046
    $CXX -std=c++17 -O2 -Wall -Wextra -Werror -pedantic examples/cpp/main.cpp \
        $(pkg-config --cflags --libs unetseg) -pthread -o "$out/unetseg_cpp"
    run cpp "$out/unetseg_cpp"
else
    echo "== C++: skipped, no '$CXX' on PATH (Debian: apt-get install g++)"; skipped="$skipped cpp"
fi

if command -v "$GO" >/dev/null 2>&1; then
    echo "== Go ($($GO version | cut -d' ' -f3), cgo, #cgo pkg-config: unetseg)"
    (cd examples/go && GOCACHE="$out/go-cache" GOPATH="$out/gopath" GOFLAGS=-buildvcs=false \
        GOPROXY=off CGO_ENABLED=1 "$GO" build -o "$out/unetseg_go" .)
    run go "$out/unetseg_go"
else
    echo "== Go: skipped, no '$GO' on PATH (Debian: apt-get install golang-go)"; skipped="$skipped go"
fi

if command -v "$RUSTC" >/dev/null 2>&1; then
    echo "== Rust ($($RUSTC --version | cut -d' ' -f1-2), no crates)"
    # the build-time check of the example's constants against the installed list
    sh examples/rust/check_constants.sh examples/rust/main.rs "$includedir/unetseg_constants.txt"
    "$RUSTC" --edition 2021 -O examples/rust/main.rs -L "$libdir" -o "$out/unetseg_rust"
    run rust "$out/unetseg_rust"
else
    echo "== Rust: skipped, no '$RUSTC' on PATH (Debian: apt-get install rustc)"; skipped="$skipped rust"
fi

first=""
for h in $hashes; do
    [ -z "$first" ] && first=$h
    [ "$h" = "$first" ] || { echo "examples-ffi: the examples disagree on the MC std map:$hashes"; exit 1; }
done
echo "examples-ffi: ran${ran:- nothing}${skipped:+; skipped$skipped}${first:+; all agree (fnv1a $first)}"
