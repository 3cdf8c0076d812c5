"""make bench-folder: `unetseg predict --input DIR --output OUT` over a folder
of N 256x256 RGB images (`unetseg demo-data`, written once into
build/bench/folder_N/), with the bench's Unet('resnet34') weights
(build/bench/weights.safetensors, bench/make_bench_weights.py): milliseconds
per image and images/s, on 1 and 2 threads. With a second binary (an older
build) the two run alternately, round by round, so that the VM's slow
spells hit both; a Markdown table on stdout, median over the rounds.

    python3 bench/bench_folder.py [--count N] [--rounds R] [--old OLD/bin/unetseg]

A run's time is the whole process: loading the model, decoding every image,
the passes, writing every mask. The per-image figure is the difference
between a run over N images and one over the first N / 4 of them, divided by
3N / 4, so that loading and the first passes (the second makes the kept
kernels: 150-350 ms) drop out.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
WEIGHTS = os.path.join(BENCH, "weights.safetensors")


def make_folders(cli, n):
    """build/bench/folder_N/images/*.png and folder_N/first/, its first
    N / 4 images, once."""
    folder = os.path.join(BENCH, f"folder_{n}")
    images, first = os.path.join(folder, "images"), os.path.join(folder, "first")
    if not os.path.exists(os.path.join(folder, "complete")):
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([cli, "demo-data", "--output", folder, "--count", str(n), "--size", "256"],
                       check=True, capture_output=True)
        os.makedirs(first)
        for name in sorted(os.listdir(images))[:n // 4]:
            shutil.copy(os.path.join(images, name), first)
        open(os.path.join(folder, "complete"), "w").close()
    return images, first


def run_seconds(cli, images, threads):
    with tempfile.TemporaryDirectory(dir=BENCH) as out:
        start = time.perf_counter()
        subprocess.run([cli, "predict", "--weights", WEIGHTS, "--input", images, "--output", out,
                        "--threads", str(threads)], check=True, capture_output=True)
        return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=int(os.environ.get("BENCH_FOLDER_COUNT", "100")))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_FOLDER_ROUNDS", "3")))
    ap.add_argument("--old", help="another bin/unetseg, run alternately with this tree's")
    args = ap.parse_args()
    if args.count < 8 or not os.path.exists(WEIGHTS):
        sys.exit("needs --count >= 8 and build/bench/weights.safetensors (make bench once, or "
                 "/usr/bin/python3 bench/make_bench_weights.py)")
    new = os.path.join(ROOT, "bin", "unetseg")
    builds = [("this tree", new)] + ([("old", os.path.abspath(args.old))] if args.old else [])
    many, first = make_folders(new, args.count)
    extra = args.count - args.count // 4
    per_image = {(name, t): [] for name, _ in builds for t in (1, 2)}
    for _ in range(args.rounds):
        for t in (1, 2):
            for name, cli in builds:
                whole, part = run_seconds(cli, many, t), run_seconds(cli, first, t)
                per_image[(name, t)].append((whole - part) / extra * 1e3)
    print(f"`unetseg predict --input DIR` over {args.count} 256x256 PNGs, Unet('resnet34'), "
          f"median of {args.rounds} rounds\n")
    print("| build | threads | ms per image | images/s | rounds (ms per image) |")
    print("|---|---|---|---|---|")
    for (name, t), v in per_image.items():
        med = statistics.median(v)
        print(f"| {name} | {t} | {med:.1f} | {1e3 / med:.1f} | {', '.join(f'{x:.1f}' for x in v)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
