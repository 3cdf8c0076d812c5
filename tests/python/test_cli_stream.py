"""`unetseg train` on a folder: decoded once into 8-bit memory (--cache uint8)
or batch by batch from disk (--cache none), batches made ahead on a thread
(--prefetch N). Every combination trains the same weights byte for byte,
BatchNorm recalibration and validation included; a corrupt image met in the
middle of a streamed run stops it with the file's name (exit 1, nothing
saved); a missing mask is found before the first step; bad values refused."""
import os
import re
import shutil
import sys
import tempfile

from cli_helpers import check, run

# 10 images of 64x64 resized to 32x32 (the bilinear resize path), flips, a
# validation split, a run ending inside its second epoch, recalibration.
TRAIN = ["--size", "32x32x3", "--backbone", "resnet18", "--steps", "5", "--batch", "3", "--flip",
         "--val-split", "0.2", "--threads", "1", "--seed", "4", "--recalibrate-bn"]


def numbers(stderr):
    """The losses and metrics of the epoch lines (not the timings)."""
    return re.findall(r"(?:loss|IoU|F1) (\d+\.\d+)", stderr)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        r = run("demo-data", "--output", data, "--count", "10", "--size", "64", "--seed", "3")
        check(r.returncode == 0, "demo-data")

        weights, logs = {}, {}
        for cache, depth in [("uint8", "0"), ("uint8", "2"), ("none", "0"), ("none", "1"), ("none", "3"),
                             (None, None)]:
            out = os.path.join(tmp, f"w_{cache}_{depth}.safetensors")
            extra = (["--cache", cache] if cache else []) + (["--prefetch", depth] if depth else [])
            r = run("train", "--data", data, *TRAIN, *extra, "--save", out)
            name = " ".join(extra) or "the defaults"
            if not check(r.returncode == 0, f"{name}: trains (exit {r.returncode})"):
                print(r.stderr[-500:])
                continue
            with open(out, "rb") as f:
                weights[name] = f.read()
            logs[name] = numbers(r.stderr)
            said = "streamed from" if cache == "none" else "held in memory as 8 bits"
            check(said in r.stderr, f"{name}: stderr says how the data is kept ({said!r})")
        reference = weights.get("--cache uint8 --prefetch 0")
        check(reference is not None and len(logs["--cache uint8 --prefetch 0"]) >= 8,
              "the reference run has its epoch and recalibration lines")
        for name, w in weights.items():
            check(w == reference, f"{name}: weights byte-identical to --cache uint8 --prefetch 0")
            check(logs[name] == logs["--cache uint8 --prefetch 0"], f"{name}: the same losses and metrics")

        # a corrupt image met mid-training: named, exit 1, nothing saved
        bad = os.path.join(tmp, "bad")
        shutil.copytree(data, bad)
        with open(os.path.join(bad, "images", "0004.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"truncated" * 8)
        for depth in ["0", "2"]:
            out = os.path.join(tmp, f"bad_{depth}.safetensors")
            r = run("train", "--data", bad, *TRAIN[:-3], "--val-split", "0", "--cache", "none",
                    "--prefetch", depth, "--save", out, timeout=120)
            check(r.returncode == 1, f"--prefetch {depth}: a corrupt streamed image: exit 1 (got {r.returncode})")
            check("images/0004.png" in r.stderr and "could not be made" in r.stderr,
                  f"--prefetch {depth}: the file is named at the step it breaks: " + r.stderr.strip()[-160:])
            check(not os.path.exists(out), f"--prefetch {depth}: no weights saved")
        r = run("train", "--data", bad, *TRAIN, "--cache", "uint8", timeout=120)
        check(r.returncode == 1 and "0004.png" in r.stderr and "epoch" not in r.stderr,
              "--cache uint8: the corrupt image is named while loading, before training")

        # a missing mask is found before the first step, even streamed
        os.remove(os.path.join(bad, "masks", "0007.png"))
        r = run("train", "--data", bad, *TRAIN, "--cache", "none", timeout=120)
        check(r.returncode == 1 and "0007.png" in r.stderr and "epoch" not in r.stderr,
              "a missing mask is named before training: " + r.stderr.strip()[-200:])

        for flag, value in [("--cache", "float"), ("--prefetch", "17"), ("--prefetch", "-1")]:
            r = run("train", "--data", data, flag, value)
            check(r.returncode == 2 and flag in r.stderr, f"{flag} {value} refused (exit 2)")
    sys.exit(check.summary())


if __name__ == "__main__":
    main()
