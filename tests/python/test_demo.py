"""The demo (examples/demo.sh) in a reduced mode: Unet('resnet18') instead of
resnet34, otherwise the same steps. Checks the PNGs it writes and that the
validation IoU after training (with dropout inserted) reaches 0.9. About two
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
        m = re.search(r"BatchNorm recalibrated on \d+ images: val loss ([\d.]+)\s+IoU ([\d.]+)", r.stderr)
        iou = float(m.group(2)) if m else 0.0
        check(iou >= 0.9, f"validation IoU {iou:.3f} >= 0.9")
        for name in ("input", "truth", "mask", "overlay", "mean", "std", "entropy", "panel"):
            size = png_size(os.path.join(out, name + ".png"))
            check(size is not None and size[1] >= 64, f"{name}.png is a valid PNG {size}")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
