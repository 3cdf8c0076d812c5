"""`unetseg predict` with tiled sliding-window prediction (issue 13, item 1):
--tile/--overlap/--blend/--tile-batch/--tile-margin on PNG and safetensors
inputs of sizes that are not multiples of 32, Monte-Carlo maps tile by tile,
tiling by default above 1,048,576 pixels (said on stderr) and --no-tile, and
the usage errors."""
import os
import sys
import tempfile

from cli_helpers import check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402
import st_io  # noqa: E402
from test_cli_images import png_size, write_png  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m.safetensors")
        r = run("init", "--output", model, "--backbone", "resnet18", "--decoder-filters", "16,8,8,8,4")
        check(r.returncode == 0, "init a small resnet18 Unet: " + r.stderr.strip()[-200:])

        # a PNG that is not a multiple of 32, tiled at its own size
        odd = os.path.join(tmp, "odd.png")
        write_png(odd, 70, 50, lambda x, y: ((x * 7) % 256, (y * 5) % 256, 40))
        mask = os.path.join(tmp, "odd_mask.png")
        r = run("predict", "--weights", model, "--input", odd, "--output", mask, "--tile", "64",
                "--overlap", "16", "--blend", "uniform", "--tile-batch", "2")
        check(r.returncode == 0 and png_size(mask) == (70, 50, 1), "a 70x50 PNG in 64x64 tiles: a 70x50 mask")
        check("tiled prediction of 70x50: 2 tile(s) of 64x64, overlap 16" in r.stderr
              and "uniform blend, 2 per pass" in r.stderr, "stderr says how it was tiled: " + r.stderr.strip())

        # a safetensors input: one tile the size of the image equals the whole-image pass
        x = np.random.default_rng(3).uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
        src, whole, tiled = (os.path.join(tmp, n + ".safetensors") for n in ("x", "whole", "tiled"))
        st_io.write(src, {"input": x})
        r1 = run("predict", "--weights", model, "--input", src, "--output", whole)
        r2 = run("predict", "--weights", model, "--input", src, "--output", tiled, "--tile", "64",
                 "--overlap", "16")
        ok = r1.returncode == 0 and r2.returncode == 0
        if ok:
            a, b = st_io.read(whole)[0]["output"], st_io.read(tiled)[0]["output"]
            ok = a.shape == b.shape == (1, 64, 64, 1) and float(np.abs(a - b).max()) < 1e-5
        check(ok, "a 64x64 input as one 64x64 tile equals forward()")

        # odd sizes, several tiles, Gaussian blend, Monte-Carlo maps
        y = np.random.default_rng(4).uniform(0, 255, (2, 45, 77, 3)).astype(np.float32)
        src2, out2, mc2 = (os.path.join(tmp, n + ".safetensors") for n in ("y", "y_out", "y_mc"))
        st_io.write(src2, {"input": y})
        r = run("predict", "--weights", model, "--input", src2, "--output", out2, "--tile", "32",
                "--overlap", "8", "--blend", "gaussian", "--tile-batch", "3")
        ok = r.returncode == 0
        if ok:
            out = st_io.read(out2)[0]["output"]
            ok = out.shape == (2, 45, 77, 1) and bool(np.all((out >= 0) & (out <= 1 + 1e-6)))
        check(ok, "a (2, 45, 77, 3) tensor in 32x32 tiles: a (2, 45, 77, 1) output in [0, 1] (float rounding of the blend)")
        r = run("predict", "--weights", model, "--input", src2, "--output", mc2, "--tile", "32",
                "--overlap", "8", "--mc", "3", "--insert", "kind=conv2d & region=decoder",
                "--dropout", "conditional", "--rate", "0.2")
        ok = r.returncode == 0
        if ok:
            t = st_io.read(mc2)[0]
            ok = (t["mean"].shape == (2, 45, 77, 1) and t["std"].shape == (2, 45, 77, 1)
                  and t["entropy"].shape == (2, 45, 77, 1) and float(t["std"].max()) > 0)
        check(ok, "--mc with --tile: mean, std (not all 0) and entropy maps of the whole input")

        # above 1,048,576 pixels: tiled by default, and said so; --no-tile runs it whole
        big = os.path.join(tmp, "big.png")
        write_png(big, 1100, 1000, lambda x, y: ((x * y) % 256, y % 256, 40))
        big_mask = os.path.join(tmp, "big_mask.png")
        r = run("predict", "--weights", model, "--input", big, "--output", big_mask)
        check(r.returncode == 0 and png_size(big_mask) == (1100, 1000, 1)
              and "more than 1048576: tiled prediction" in r.stderr
              and "9 tile(s) of 512x512, overlap 128" in r.stderr,
              "a 1100x1000 image is tiled by default (512x512, overlap 128): " + r.stderr.strip())
        r = run("predict", "--weights", model, "--input", big, "--output", big_mask, "--no-tile")
        check(r.returncode == 0 and png_size(big_mask) == (1100, 1000, 1) and "tiled" not in r.stderr,
              "--no-tile runs it whole")
        r = run("predict", "--weights", model, "--input", odd, "--output", mask)
        check(r.returncode == 0 and "tiled" not in r.stderr, "a small image without --tile is not tiled")

        # usage errors (exit 2) and a tile the model cannot take (exit 1)
        base = ["predict", "--weights", model, "--input", src, "--output", os.path.join(tmp, "e.safetensors")]
        for extra, needle in ((["--tile", "0"], "--tile"), (["--tile", "64", "--overlap", "64"], "smaller than the tile"),
                              (["--overlap", "-1"], "--overlap"), (["--blend", "box"], "gaussian or uniform"),
                              (["--tile-batch", "0"], "--tile-batch"), (["--no-tile", "--tile", "64"], "--no-tile"),
                              (["--tile", "64", "--dump", "relu0"], "not with --tile"),
                              (["--tile", "64", "--overlap", "8", "--tile-margin", "5"], "overlap of at least 10"),
                              (["--tile", "32x"], "--tile")):
            r = run(*base, *extra)
            check(r.returncode == 2 and needle in r.stderr, f"{' '.join(extra)}: usage error naming {needle!r}")
        r = run(*base, "--tile", "48")
        check(r.returncode == 1 and "multiples of 32" in r.stderr, "--tile 48 on Unet: exit 1, says multiples of 32")
        r = run("predict", "--help")
        check(r.returncode == 0 and "--tile N" in r.stdout and "--no-tile" in r.stdout, "--help lists the tiling options")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
