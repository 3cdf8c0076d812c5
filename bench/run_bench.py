"""`make bench`: unetseg and PyTorch on the same network, side by side.

Each case runs in its own process (peak RSS is that case's), median of
REPEAT runs after a warm-up, for 1 and 2 threads, in ROUNDS interleaved
rounds of the engines (the best round of each is shown). Prints one table and
writes it to bench/RESULTS.md. PyTorch comes from Debian's python3-torch
(`make bench-deps`); without it the PyTorch columns say n/a.
"""
import datetime
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNETSEG = os.path.join(ROOT, "build", "bench", "bench_unetseg")
TORCH = [("/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable),
         os.path.join(ROOT, "bench", "torch_unet.py")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
# Rounds of the three engines, interleaved (unetseg, PyTorch channels_last,
# PyTorch NCHW, then again): on a shared machine the speed drifts by 20-30%
# over minutes, and each engine's best round is compared, so a slow spell
# hits neither side alone.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CASES = [  # (label, mode, batch, size, per-image divisor)
    ("forward b1 256x256", "fwd", 1, 256, 1),
    ("forward b4 256x256 (per image)", "fwd", 4, 256, 4),
    ("forward b1 512x512", "fwd", 1, 512, 1),
    ("MC T=10 b1 256x256", "mc", 1, 256, 1),
    ("train step b4 256x256", "train", 4, 256, 1),
]


def run(cmd):
    threads = cmd[-2] if cmd[-1].isdigit() else cmd[-3]
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        return None
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout)}


def best(a, b):
    """The faster of two runs of one engine (None for a failed run)."""
    if a is None or b is None:
        return a or b
    return a if a["median_ms"] <= b["median_ms"] else b


def main():
    have_torch = subprocess.run(TORCH[:1] + ["-c", "import torch"], capture_output=True).returncode == 0
    rows = []
    header = ("| case | threads | unetseg ms | GFLOP/s | RSS MiB | PyTorch ms (channels_last) | RSS MiB "
              "| ratio | PyTorch ms (best: NCHW, jit-frozen for forward) | ratio to best |\n"
              "|---|---|---|---|---|---|---|---|---|---|")
    print(header)
    for label, mode, batch, size, per in CASES:
        for threads in (1, 2):
            args = [mode, str(batch), str(size), str(threads), str(REPEAT)]
            u = t = tb = None
            for _ in range(ROUNDS):
                u = best(u, run([UNETSEG] + args))
                t = best(t, run(TORCH + args) if have_torch else None)
                tb = best(tb, run(TORCH + args + ["nchw"]) if have_torch else None)
            ums = u["median_ms"] / per if u else float("nan")
            tms = t["median_ms"] / per if t else float("nan")
            bms = min(tms, tb["median_ms"] / per) if tb else tms
            gfs = u["gflop"] / (u["median_ms"] / 1e3) if u else float("nan")
            row = (f"| {label} | {threads} | {ums:.1f} | {gfs:.1f} | "
                   f"{u['peak_rss_kb'] / 1024:.0f} | " if u else f"| {label} | {threads} | failed | | | ")
            row += (f"{tms:.1f} | {t['peak_rss_kb'] / 1024:.0f} | {ums / tms:.2f} | {bms:.1f} | "
                    f"{ums / bms:.2f} |" if t else "n/a | | | | |")
            print(row, flush=True)
            rows.append(row)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "w") as f:
        f.write(f"# make bench, {datetime.date.today()}\n\nMachine: {machine}. Median of {REPEAT} "
                f"runs after a warm-up, one process per case; {ROUNDS} interleaved rounds of the "
                "engines, the best round of each shown. ratio = unetseg / PyTorch "
                "(below 1: unetseg is faster). Command: `make bench`.\n\n" + header + "\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
