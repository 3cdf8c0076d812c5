"""`unetseg train` on inconsistent data and bad option values (issue 16).

Every case must end with the CLI's exit code (1 for a data error, 2 for a
usage error) and a message on stderr, never with a signal, and a data error
must be found before the first training step. Run from anywhere:
python3 tests/python/test_cli_train_inputs.py (exit 1 on failure).
"""
import os
import sys
import tempfile

from cli_helpers import check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402

LONG_MAX = str(2**63 - 1)


def shape(s):
    """A shape as the CLI prints it: (8, 16, 16, 3)."""
    return "(" + ", ".join(str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def write(path, images, masks):
    rng = np.random.default_rng(3)
    st_io.write(path, {"images": rng.uniform(0, 255, images).astype(np.float32),
                       "masks": (rng.uniform(0, 1, masks) > 0.5).astype(np.float32)})


def signal_free(r):
    """returncode < 0: killed by a signal (SIGSEGV, SIGFPE, ...)."""
    return r.returncode >= 0


def check_data_errors(tmp):
    """Inconsistent images and masks: exit 1 naming both shapes, no step."""
    init = os.path.join(tmp, "init.safetensors")
    r = run("init", "--backbone", "resnet18", "--output", init)  # 3 channels in, 1 class out
    check(r.returncode == 0, "init writes a resnet18 model")
    cases = [
        # (what, images, masks, extra options)
        ("8 images, 1 mask (issue 16: garbage mask value)", (8, 32, 32, 3), (1, 32, 32, 1), []),
        ("2000 images, 1 mask (issue 16: SIGSEGV)", (2000, 16, 16, 3), (1, 16, 16, 1), []),
        ("1 image, 8 masks", (1, 32, 32, 3), (8, 32, 32, 1), []),
        ("masks of another height and width", (8, 16, 16, 3), (8, 32, 32, 1), []),
        ("masks of another width", (8, 32, 32, 3), (8, 32, 64, 1), []),
        ("masks of rank 3", (8, 16, 16, 3), (8, 16, 16), []),
        ("masks of rank 5", (8, 16, 16, 3), (8, 16, 16, 1, 1), []),
        ("images of rank 2", (8, 768), (8, 16, 16, 1), []),
        ("images of rank 5", (8, 16, 16, 3, 1), (8, 16, 16, 1), []),
        ("masks with 2 channels, --classes 3", (8, 32, 32, 3), (8, 32, 32, 2), ["--classes", "3"]),
        ("masks with 1 channel, --classes 2", (8, 32, 32, 3), (8, 32, 32, 1), ["--classes", "2"]),
        ("masks with 2 channels, a --weights model of 1 class", (8, 32, 32, 3), (8, 32, 32, 2),
         ["--weights", init]),
        ("1-channel images, a --weights model of 3 channels", (8, 32, 32, 1), (8, 32, 32, 1),
         ["--weights", init]),
    ]
    for what, images, masks, extra in cases:
        data, out = os.path.join(tmp, "bad.safetensors"), os.path.join(tmp, "never.safetensors")
        write(data, images, masks)
        r = run("train", "--data", data, "--backbone", "resnet18", "--steps", "1", "--batch", "4",
                "--threads", "1", "--save", out, *extra)
        err = r.stderr
        check(signal_free(r), f"{what}: no signal (exit {r.returncode})")
        check(r.returncode == 1, f"{what}: exit 1 (got {r.returncode})")
        check(shape(images) in err and shape(masks) in err,
              f"{what}: the message names both shapes: {err.strip()[-200:]!r}")
        check("train step" not in err and "epoch " not in err and not os.path.exists(out),
              f"{what}: found before any training step")
    # the consistent multi-class case still trains (the check is not too strict)
    data = os.path.join(tmp, "two.safetensors")
    write(data, (4, 32, 32, 3), (4, 32, 32, 2))
    r = run("train", "--data", data, "--backbone", "resnet18", "--steps", "1", "--batch", "4",
            "--threads", "1", "--classes", "2", "--loss", "cce")
    check(r.returncode == 0, "2-channel masks with --classes 2 train: exit %d" % r.returncode)


def check_usage_errors(data):
    """Numbers are parsed whole and range-checked: exit 2 naming the option."""
    cases = [
        ("--batch", "2x"), ("--batch", "0"), ("--batch", "-4"), ("--batch", ""), ("--batch", " 4"),
        ("--batch", "99999999999999999999"), ("--batch", "0x10"),
        ("--epochs", "abc"), ("--epochs", "0"), ("--epochs", "1e9"),
        ("--steps", "-1"), ("--steps", "0"), ("--steps", "3.5"),
        ("--threads", "1e9"), ("--threads", "-1"), ("--threads", "4294967297"),
        ("--checkpoint-every", "2x"), ("--checkpoint-every", "0"),
        ("--lr", "nan"), ("--lr", "0"), ("--lr", "1e-3x"), ("--lr", "inf"),
        ("--momentum", "1"), ("--momentum", "abc"),
        ("--val-split", "1"), ("--val-split", "-0.1"), ("--val-split", "0.2x"),
        ("--seed", "-1"), ("--seed", "5x"),
        ("--classes", "2x"), ("--classes", "0"),
        ("--size", "32x32junk"), ("--size", "32"),
    ]
    for opt, value in cases:
        r = run("train", "--data", data, "--backbone", "resnet18", opt, value)
        what = f"{opt} {value!r}"
        check(signal_free(r) and r.returncode == 2, f"{what}: exit 2 (got {r.returncode})")
        check(opt in r.stderr and "epoch " not in r.stderr,
              f"{what}: the message names the option: {r.stderr.strip()[:160]!r}")
    r = run("train", "--backbone", "resnet18")
    check(r.returncode == 2 and "--data" in r.stderr, "no --data: exit 2 and says so")


def check_overflow(tmp, data):
    """Huge --batch / --epochs / --steps: no SIGFPE, no wrapped step count."""
    base = ["--data", data, "--backbone", "resnet18", "--threads", "1", "--seed", "1"]
    ckpt = os.path.join(tmp, "ckpt.safetensors")
    r = run("train", *base, "--batch", LONG_MAX, "--steps", "1")
    check(signal_free(r) and r.returncode == 0, f"--batch LONG_MAX --steps 1: exit 0 (got {r.returncode})")
    check("--batch" in r.stderr and "8 training samples" in r.stderr,
          "--batch above the number of samples is clamped to it (Keras), with a note")
    r = run("train", *base, "--batch", LONG_MAX, "--epochs", "2", "--val-split", "0.25")
    lines = [l for l in r.stderr.splitlines() if l.startswith("epoch ")]
    check(signal_free(r) and r.returncode == 0 and len(lines) == 2 and "6 training samples" in r.stderr,
          f"--batch LONG_MAX --epochs 2 --val-split 0.25: one batch of 6 per epoch (exit {r.returncode})")
    # a clamped batch is the same training as a batch of all samples
    a_out, b_out = os.path.join(tmp, "a.safetensors"), os.path.join(tmp, "b.safetensors")
    run("train", *base, "--batch", "8", "--steps", "2", "--save", a_out)
    run("train", *base, "--batch", "1000", "--steps", "2", "--save", b_out)
    if os.path.exists(a_out) and os.path.exists(b_out):
        a, _ = st_io.read(a_out)
        b, _ = st_io.read(b_out)
        check(all(np.array_equal(a[k], b[k]) for k in a), "--batch 1000 on 8 samples == --batch 8")
    else:
        check(False, "--batch 8 and --batch 1000 both save weights")
    r = run("train", *base, "--batch", "4", "--epochs", LONG_MAX)  # 2 steps an epoch
    check(signal_free(r) and r.returncode == 2 and "--epochs" in r.stderr,
          f"--epochs LONG_MAX of 2 steps: exit 2 (got {r.returncode}): {r.stderr.strip()[-160:]!r}")
    r = run("train", *base, "--batch", "3", "--epochs", str(2**62))  # 3 steps an epoch
    check(signal_free(r) and r.returncode == 2 and "--epochs" in r.stderr,
          f"--epochs 2^62 of 3 steps: exit 2 (got {r.returncode})")
    # resumed at step 1: step 1 + LONG_MAX would wrap
    r = run("train", *base, "--batch", "4", "--steps", "1", "--checkpoint", ckpt)
    check(r.returncode == 0 and os.path.exists(ckpt), "a checkpoint after 1 step")
    r = run("train", *base, "--steps", LONG_MAX, "--resume", ckpt, "--weights", ckpt)
    check(signal_free(r) and r.returncode == 2 and "--steps" in r.stderr,
          f"--steps LONG_MAX after step 1: exit 2 (got {r.returncode}): {r.stderr.strip()[-160:]!r}")
    r = run("train", *base, "--batch", LONG_MAX, "--steps", "1", "--recalibrate-bn", "--val-split", "0.5")
    check(signal_free(r) and r.returncode == 0 and "BatchNorm recalibrated on 4 images" in r.stderr,
          f"--batch LONG_MAX --recalibrate-bn: exit 0 (got {r.returncode})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "good.safetensors")
        write(data, (8, 32, 32, 3), (8, 32, 32, 1))
        check_data_errors(tmp)
        check_usage_errors(data)
        check_overflow(tmp, data)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
