"""make bench-stream: `unetseg train` on a generated folder of N images at
512x512 (issue 13 item 3, datasets larger than memory): peak RSS and
training images/s for each N, streamed from disk (--cache none) and, when the
decoded folder fits the 1 GiB budget, held in memory as 8 bits (--cache
uint8); prefetching on (2 batches ahead) and off. A Markdown table on stdout.

    python3 bench/bench_stream.py [N ...]      (make bench-stream,
                                                BENCH_STREAM_COUNTS="1000 10000")

The images are compressible (a flat background and a rectangle, ~2 KB a PNG)
so 10,000 take ~40 MB of disk; they are written once into
build/bench/stream_N/ and reused. Each run is a child process; its peak RSS
is /usr/bin/time's %M. A run is a few steps of Unet('resnet18') at batch 1 (BENCH_STREAM_BATCH)
(--steps, then one validation image), so the model and its activations set
the floor; what matters is that RSS does not grow with N.
"""
import os
import re
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "bin", "unetseg")
SIZE = 512
STEPS = int(os.environ.get("BENCH_STREAM_STEPS", "3"))
BATCH = int(os.environ.get("BENCH_STREAM_BATCH", "1"))


def png(path, pixels):
    """An 8-bit gray or RGB PNG (filter 0 rows, zlib level 6)."""
    h, w = pixels.shape[:2]
    c = 1 if pixels.ndim == 2 else pixels.shape[2]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, w * c)], axis=1).tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0 if c == 1 else 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6))
                + chunk(b"IEND", b""))


def make_folder(n):
    """build/bench/stream_N/{images,masks}/NNNNN.png, once."""
    folder = os.path.join(ROOT, "build", "bench", f"stream_{n}")
    done = os.path.join(folder, "complete")
    if os.path.exists(done):
        return folder
    for sub in ("images", "masks"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    rng = np.random.default_rng(n)
    start = time.time()
    for i in range(n):
        img = np.empty((SIZE, SIZE, 3), np.uint8)
        img[:] = rng.integers(0, 120, 3, dtype=np.uint8)
        mask = np.zeros((SIZE, SIZE), np.uint8)
        y, x = rng.integers(0, SIZE - 128, 2)
        hh, ww = rng.integers(32, 128, 2)
        img[y:y + hh, x:x + ww] = rng.integers(130, 256, 3, dtype=np.uint8)
        mask[y:y + hh, x:x + ww] = 255
        png(os.path.join(folder, "images", f"{i:05d}.png"), img)
        png(os.path.join(folder, "masks", f"{i:05d}.png"), mask)
    open(done, "w").close()
    print(f"wrote {n} image pairs into {os.path.relpath(folder, ROOT)} in {time.time() - start:.0f} s",
          file=sys.stderr)
    return folder


def train(folder, n, cache, prefetch):
    """One run: (peak RSS MiB, training images/s, wall seconds, the cache's
    decoding rate in images/s or "")."""
    out = os.path.join(ROOT, "build", "bench", "stream_time.txt")
    # one validation image: the epoch line comes after the steps either way
    args = ["/usr/bin/time", "-f", "%M %e", "-o", out, CLI, "train", "--data", folder,
            "--size", f"{SIZE}x{SIZE}x3", "--backbone", "resnet18", "--steps", str(STEPS),
            "--batch", str(BATCH), "--val-split", repr(1.5 / n), "--val-bn", "moving",
            "--cache", cache, "--prefetch", str(prefetch), "--threads", "2", "--seed", "1"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench-stream: {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    with open(out) as f:
        kb, wall = f.read().split()[-2:]
    ms = float(re.search(r"(\d+) ms/step", r.stderr).group(1))
    decode = re.search(r"decoded in [\d.]+ s \((\d+) images/s", r.stderr)
    return int(kb) / 1024, BATCH * 1000.0 / ms, float(wall), decode.group(1) if decode else ""


def main():
    counts = [int(a) for a in sys.argv[1:]] or [200, 2000]
    if not os.access(CLI, os.X_OK):
        sys.exit("bench-stream: build bin/unetseg first (make)")
    print(f"`unetseg train` at {SIZE}x{SIZE}, Unet('resnet18'), batch {BATCH}, {STEPS} steps, "
          f"2 threads; images/s over the training steps (decoding included); decode images/s: "
          f"filling the uint8 cache, one thread, image and mask\n")
    print("| images | --cache | --prefetch | decoded 8-bit size MiB | peak RSS MiB | train images/s | "
          "decode images/s | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for n in counts:
        folder = make_folder(n)
        decoded = n * SIZE * SIZE * 4 / 2**20
        # prefetch off and the cache only where the folder fits the budget
        runs = [("uint8", 2), ("none", 0), ("none", 2)] if decoded <= 1024 else [("none", 2)]
        for cache, prefetch in runs:
            rss, ips, wall, decode = train(folder, n, cache, prefetch)
            print(f"| {n} | {cache} | {prefetch} | {decoded:.0f} | {rss:.0f} | {ips:.2f} | {decode} | "
                  f"{wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
