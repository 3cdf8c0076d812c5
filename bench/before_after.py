"""Two builds of bench_unetseg side by side, interleaved, for a speed-up claim.

    git worktree add /tmp/before REV && make -C /tmp/before build/bench/bench_unetseg
    python3 bench/before_after.py [--bench-files] /tmp/before/build/bench/bench_unetseg build/bench/bench_unetseg

Runs the two binaries alternately (the machine's speed drifts over minutes,
so a slow spell hits both), ROUNDS processes each per case, and prints one
Markdown row per case: the median over the rounds of each process's median.
Without options both run the library's own initial weights on a fixed
pattern; --bench-files gives both the weights and inputs of `make bench`
(build/bench/, written by bench/make_bench_weights.py; realistic BatchNorm
statistics), which needs binaries that take weights=/input= (from the commit
that added them on).
"""
import os
import re
import statistics
import subprocess
import sys

CASES = [  # (mode, batch, size, threads, repeat per process, rounds)
    ("fwd", 1, 256, 1, 7, 5),
    ("fwd", 1, 256, 2, 7, 5),
    ("train", 4, 256, 1, 3, 3),
    ("train", 4, 256, 2, 3, 3),
]


BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "bench")


def median_ms(binary, mode, batch, size, threads, repeat, files):
    extra = [f"weights={BENCH}/weights.safetensors",
             f"input={BENCH}/input_b{batch}_{size}.safetensors"] if files else []
    out = subprocess.run([binary, mode, str(batch), str(size), str(threads), str(repeat)] + extra,
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median_ms=([\d.]+)", out).group(1))


def main():
    args = sys.argv[1:]
    files = "--bench-files" in args
    args = [a for a in args if a != "--bench-files"]
    if len(args) != 2:
        sys.exit(__doc__)
    before, after = args
    if files:
        gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_bench_weights.py")
        shapes = ",".join(sorted({f"{c[1]}x{c[2]}" for c in CASES}))
        subprocess.run(["/usr/bin/python3", gen, "--inputs", shapes], check=True)
    print("| case | threads | before ms | after ms | speed-up | rounds (before; after) |\n"
          "|---|---|---|---|---|---|")
    for mode, batch, size, threads, repeat, rounds in CASES:
        runs = {before: [], after: []}
        for _ in range(rounds):
            for binary in (before, after):
                runs[binary].append(median_ms(binary, mode, batch, size, threads, repeat, files))
        b, a = statistics.median(runs[before]), statistics.median(runs[after])
        print(f"| {mode} b{batch} {size}x{size} | {threads} | {b:.0f} | {a:.0f} | {b / a:.2f}x | "
              f"{[round(x) for x in runs[before]]}; {[round(x) for x in runs[after]]} |", flush=True)


if __name__ == "__main__":
    main()
