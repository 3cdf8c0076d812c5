"""The demo (examples/demo.sh) in a reduced mode: Unet('resnet18') instead of
resnet34, otherwise the same steps. Checks the PNGs it writes, that the
per-epoch validation IoU (BatchNorm recalibrated) rises and that of the last
epoch reaches 0.9 (with dropout inserted). About two
minutes on 2 cores."""
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = 0


def check(ok, what):
    global failures
    print(("ok:   " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1


def png_size(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "demo-out")
        env = dict(os.environ, DEMO_BACKBONE="resnet18", DEMO_COUNT="96", DEMO_EPOCHS="18")
        r = subprocess.run([os.path.join(ROOT, "examples", "demo.sh"), out], capture_output=True,
                           text=True, env=env, cwd=ROOT)
        check(r.returncode == 0, "demo.sh exits 0" + ("" if r.returncode == 0 else ": " + r.stderr[-300:]))
        check("no layer name contains 'block'" in r.stderr, "the demo shows the 'block' predicate failing")
        check("inserted 10 layer(s)" in r.stderr, "ConditionalDropout after the 10 decoder convs")
        ious = [float(x) for x in re.findall(r"(?:^|\r)epoch \d+ .*?val loss [\d.]+\s+IoU ([\d.]+)", r.stderr, re.M)]
        print("per-epoch validation IoU:", " ".join(f"{x:.3f}" for x in ious))
        check(len(ious) == 18 and "[bn recalibrated]" in r.stderr, "18 epoch lines, BatchNorm recalibrated")
        iou = ious[-1] if ious else 0.0
        check(iou >= 0.9, f"validation IoU of the last epoch {iou:.3f} >= 0.9")
        # rising: every later epoch beats the first, and the last third of the
        # epochs is on average clearly above the first third (single epochs dip)
        third = len(ious) // 3
        first, last = (sum(ious[:third]) / third, sum(ious[-third:]) / third) if third else (1, 0)
        check(third > 0 and min(ious[1:]) > ious[0] and last > first + 0.03,
              f"the per-epoch IoU rises over the epochs (mean of the first third {first:.3f}, "
              f"of the last third {last:.3f})")
        with open(os.path.join(out, "history.csv")) as f:
            header = f.readline()
            n_rows = sum(1 for _ in f)
        check(header.startswith("epoch,lr,loss,val_loss,val_iou,") and n_rows == 18, "history.csv: 18 rows")
        for name in ("input", "truth", "mask", "overlay", "mean", "std", "entropy", "panel", "curves"):
            size = png_size(os.path.join(out, name + ".png"))
            check(size is not None and size[1] >= 64, f"{name}.png is a valid PNG {size}")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
