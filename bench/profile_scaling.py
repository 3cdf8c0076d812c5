"""Per layer, one thread against two: where a two-thread pass loses.

    python3 bench/profile_scaling.py [BATCH SIZE [ROUNDS]]     (default: 4 256 3)
    make bench-profile  (BENCH_PROFILE="4 256 3")

Runs `bench_unetseg fwd BATCH SIZE T 8 weights=... input=... profile=1` for
T = 1 and 2 alternately, ROUNDS times each (the machine's speed drifts, so a
slow spell hits both), and takes each layer's fastest run over the rounds
(a spell only adds time). Prints one Markdown row per layer, the layers that
lose most first: one-thread and two-thread milliseconds a run, the speed-up,
the loss against a perfect 2x (two-thread time less half the one-thread
time) and the idle share of the two-thread run (unetseg_model_profile: of
the layer's time on both threads, the part no thread worked on it). Needs
build/bench/ as
`make bench` leaves it (weights and inputs from bench/make_bench_weights.py).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
ROW = re.compile(r"^(\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")


def profile(batch, size, threads):
    """{layer: (ms a run, idle %)} and the pass's median ms, from one process."""
    cmd = [os.path.join(BENCH, "bench_unetseg"), "fwd", str(batch), str(size), str(threads), "8",
           f"weights={BENCH}/weights.safetensors",
           f"input={BENCH}/input_b{batch}_{size}.safetensors", "profile=1"]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    layers = {}
    for line in run.stderr.splitlines():
        m = ROW.match(line.strip())
        if m:
            layers[m.group(2)] = (float(m.group(5)), float(m.group(7)))
    return layers, float(re.search(r"median_ms=([\d.]+)", run.stdout).group(1))


def main():
    args = sys.argv[1:]
    batch, size = (int(args[0]), int(args[1])) if len(args) >= 2 else (4, 256)
    rounds = int(args[2]) if len(args) >= 3 else 3
    best = {1: {}, 2: {}}
    passes = {1: [], 2: []}
    for _ in range(rounds):
        for threads in (1, 2):
            layers, median = profile(batch, size, threads)
            passes[threads].append(median)
            for name, (ms, idle) in layers.items():
                if name not in best[threads] or ms < best[threads][name][0]:
                    best[threads][name] = (ms, idle)
    one, two = best[1], best[2]
    rows = sorted(((two[n][0] - one[n][0] / 2, n) for n in one if n in two), reverse=True)
    sum1, sum2 = sum(v[0] for v in one.values()), sum(v[0] for v in two.values())
    print(f"Unet('resnet34') forward, batch {batch}, {size}x{size}: passes (median of each "
          f"process) 1 thread {', '.join('%.1f' % p for p in passes[1])} ms, 2 threads "
          f"{', '.join('%.1f' % p for p in passes[2])} ms; the layers' fastest runs add up to "
          f"{sum1:.1f} / {sum2:.1f} ms ({sum1 / sum2:.2f}x)\n")
    print("| layer | 1 thread ms | 2 threads ms | speed-up | loss ms | idle % (2 threads) |")
    print("|---|---|---|---|---|---|")
    for loss, name in rows:
        print(f"| {name} | {one[name][0]:.3f} | {two[name][0]:.3f} | "
              f"{one[name][0] / two[name][0]:.2f}x | {loss:.3f} | {two[name][1]:.1f} |")
    print(f"\nloss in all: {sum(r[0] for r in rows):.1f} ms")


if __name__ == "__main__":
    main()
