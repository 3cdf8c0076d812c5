"""`unetseg train` augmentation (--flip, --rot90, --crop, --jitter; issue 15
item 4), end to end: reproducible for a seed, applied (it changes the run),
and a run interrupted by a checkpoint and resumed equals the uninterrupted
run, weights and CSV; the refusals (crop larger than the samples, --rot90 on
non-square samples, --jitter on normalised data, bad values). The transforms
themselves, and image and mask transformed alike, are checked in C
(tests/test_augment.c)."""
import os
import sys
import tempfile

from cli_helpers import check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402


def dataset(path, n=6, h=40, w=40, offset=0.0):
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 60, (n, h, w, 3)).astype(np.float32) + offset
    masks = np.zeros((n, h, w, 1), np.float32)
    for i in range(n):
        y, x = rng.integers(2, min(h, w) - 16, 2)
        images[i, y:y + 14, x:x + 14] += 150
        masks[i, y:y + 14, x:x + 14] = 1
    st_io.write(path, {"images": images, "masks": masks})


def csv_rows(path):
    """The CSV without its seconds column (wall time)."""
    with open(path) as f:
        return [line.rsplit(",", 1)[0] for line in f.read().splitlines()]


def same(a_path, b_path):
    a, _ = st_io.read(a_path)
    b, _ = st_io.read(b_path)
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        dataset(p("d.st"))
        base = ["--data", p("d.st"), "--backbone", "resnet18", "--batch", "3", "--seed", "4",
                "--threads", "1", "--val-split", "0.34", "--crop", "--size", "32x32x3"]
        aug = base + ["--flip", "--rot90", "--jitter", "0.2,0.3,0.25"]
        # 3 epochs of 2 steps straight; then 1 epoch + a mid-epoch checkpoint
        # (step 3) resumed for the rest
        r = run("train", *aug, "--epochs", "3", "--save", p("straight.st"), "--csv", p("straight.csv"))
        check(r.returncode == 0, "train --crop --flip --rot90 --jitter: " + r.stderr.strip()[-200:])
        r = run("train", *aug, "--steps", "3", "--checkpoint", p("ck.st"), "--csv", p("resumed.csv"))
        check(r.returncode == 0, "the first half, checkpoint at step 3 (inside epoch 2)")
        r = run("train", *aug, "--steps", "3", "--weights", p("ck.st"), "--resume", p("ck.st"),
                "--save", p("resumed.st"), "--csv", p("resumed.csv"))
        check(r.returncode == 0, "the resumed half: " + r.stderr.strip()[-200:])
        check(same(p("straight.st"), p("resumed.st")),
              "3 steps + --resume + 3 steps == 6 steps with every augmentation on (weights)")
        check(csv_rows(p("straight.csv")) == csv_rows(p("resumed.csv"))
              and len(csv_rows(p("straight.csv"))) == 4,
              "... and the same CSV rows (header + 3 epochs, seconds aside)")
        r = run("train", *aug, "--epochs", "3", "--save", p("again.st"))
        check(same(p("straight.st"), p("again.st")), "the same seed gives the same run")
        r = run("train", *aug, "--epochs", "3", "--save", p("seed5.st"), "--seed", "5")
        check(r.returncode == 0 and not same(p("straight.st"), p("seed5.st")), "another seed, another run")
        # each augmentation changes the run (it is applied)
        run("train", *base, "--epochs", "1", "--save", p("plain.st"))
        for extra in (["--flip"], ["--rot90"], ["--jitter", "0.2,0,0"], ["--jitter", "0,0,0.2"]):
            r = run("train", *base, *extra, "--epochs", "1", "--save", p("one.st"))
            check(r.returncode == 0 and not same(p("plain.st"), p("one.st")),
                  " ".join(extra) + " changes the trained weights")
        r = run("train", *base, "--jitter", "0,0,0", "--epochs", "1", "--save", p("one.st"))
        check(r.returncode == 0 and same(p("plain.st"), p("one.st")), "--jitter 0,0,0 changes nothing")
        # a folder of 64x64 images, random 32x32 crops
        r = run("demo-data", "--output", p("folder"), "--count", "4", "--size", "64")
        r = run("train", "--data", p("folder"), "--backbone", "resnet18", "--size", "32x32x3", "--crop",
                "--rot90", "--jitter", "0.1,0.1,0.1", "--steps", "1", "--batch", "2", "--threads", "1")
        check(r.returncode == 0, "a folder of 64x64 images with --crop --size 32x32: " + r.stderr[-200:])
        refusals(tmp, base)
    return check.summary()


def refusals(tmp, base):
    p = lambda name: os.path.join(tmp, name)  # noqa: E731
    data = ["--data", p("d.st"), "--backbone", "resnet18", "--steps", "1"]
    r = run("train", *data, "--crop")
    check(r.returncode == 2 and "--crop needs --size" in r.stderr, "--crop without --size: usage error")
    r = run("train", *data, "--crop", "--size", "64x64x3")
    check(r.returncode == 2 and "only 40x40" in r.stderr, "crops larger than the samples are refused")
    dataset(p("wide.st"), h=32, w=64)
    r = run("train", "--data", p("wide.st"), "--backbone", "resnet18", "--steps", "1", "--rot90")
    check(r.returncode == 2 and "square" in r.stderr, "--rot90 on 32x64 samples is refused")
    r = run("train", "--data", p("wide.st"), "--backbone", "resnet18", "--steps", "1", "--rot90",
            "--crop", "--size", "32x32x3", "--threads", "1")
    check(r.returncode == 0, "--rot90 on square crops of them is fine")
    dataset(p("norm.st"), offset=-100.0)
    r = run("train", "--data", p("norm.st"), "--backbone", "resnet18", "--steps", "1", "--jitter",
            "0.2,0.2,0.2")
    check(r.returncode == 1 and "[0, 255]" in r.stderr, "--jitter on normalised (negative) pixels")
    for bad in ("0.2,0.2", "0.2,0.2,0.2,0.2", "1,0,0", "-0.1,0,0", "a,b,c", ""):
        r = run("train", *data, "--jitter", bad)
        check(r.returncode == 2, "--jitter '%s' is a usage error" % bad)


if __name__ == "__main__":
    sys.exit(main())
