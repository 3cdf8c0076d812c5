"""`unetseg` with image files: demo-data, training on a folder, predict on PNGs
(mask, probabilities, overlay, MC heat maps, panel), odd image sizes."""
import os
import struct
import sys
import tempfile

from cli_helpers import check, run, write_png


def png_size(path):
    """(width, height, channels) from a PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(26)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    w, h, depth, colour = struct.unpack(">IIBB", head[16:26])
    return w, h, {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data, model = os.path.join(tmp, "data"), os.path.join(tmp, "m.safetensors")
        r = run("demo-data", "--output", data, "--count", "8", "--size", "32", "--seed", "3")
        names = sorted(os.listdir(os.path.join(data, "images")))
        check(r.returncode == 0 and len(names) == 8 and png_size(os.path.join(data, "images", names[0])) == (32, 32, 3)
              and png_size(os.path.join(data, "masks", names[0])) == (32, 32, 1),
              "demo-data writes 8 RGB images and gray masks of 32x32 plus a holdout")
        r = run("train", "--data", data, "--backbone", "resnet18", "--size", "32x32x3", "--steps", "2",
                "--batch", "4", "--flip", "--recalibrate-bn", "--insert", "kind=conv2d & region=decoder",
                "--dropout", "conditional", "--rate", "0.2", "--save", model)
        check(r.returncode == 0 and "BatchNorm recalibrated" in r.stderr, "train on an image folder")
        out = {k: os.path.join(tmp, k + ".png") for k in ("mask", "prob", "overlay", "panel")}
        r = run("predict", "--weights", model, "--input", os.path.join(data, "holdout.png"),
                "--output", out["mask"], "--probabilities", out["prob"], "--overlay", out["overlay"],
                "--mc", "3", "--panel", out["panel"], "--truth", os.path.join(data, "holdout_mask.png"))
        check(r.returncode == 0, "predict on a PNG with --mc and --panel: " + r.stderr.strip()[-100:])
        check(png_size(out["mask"]) == (32, 32, 1) and png_size(out["prob"]) == (32, 32, 1)
              and png_size(out["overlay"]) == (32, 32, 3), "mask, probabilities and overlay PNGs")
        for name in ("mean", "std", "entropy"):
            size = png_size(os.path.join(tmp, name + ".png"))
            check(size is not None and size[1] == 32 and size[0] > 32 and size[2] == 3,
                  f"{name}.png: a heat map with a colour bar, next to the mask")
        pw, ph, _ = png_size(out["panel"])
        check(ph >= 192 and pw > 5 * ph // 2, f"panel of 5 images, enlarged ({pw}x{ph})")
        # an image whose size is not a multiple of 32: resized in, resized back
        odd = os.path.join(tmp, "odd.png")
        write_png(odd, 50, 40, lambda x, y: (200, 40, 40) if 10 < x < 30 and 10 < y < 30 else (20, 20, 20))
        r = run("predict", "--weights", model, "--input", odd, "--output", os.path.join(tmp, "odd_mask.png"))
        check(r.returncode == 0 and png_size(os.path.join(tmp, "odd_mask.png")) == (50, 40, 1),
              "a 50x40 image gives a 50x40 mask")
        # output directories that do not exist yet are created
        nested = os.path.join(tmp, "new", "dirs", "mask.png")
        overlay = os.path.join(tmp, "other", "overlay.png")
        r = run("predict", "--weights", model, "--input", odd, "--output", nested, "--overlay", overlay)
        check(r.returncode == 0 and png_size(nested) == (50, 40, 1) and os.path.exists(overlay),
              "predict creates the directories of --output and --overlay")
        blocker = os.path.join(tmp, "a_file")
        with open(blocker, "w") as f:
            f.write("x")
        r = run("predict", "--weights", model, "--input", odd, "--output", os.path.join(blocker, "m.png"))
        check(r.returncode == 1 and "a_file" in r.stderr,
              "an output directory that cannot be made: runtime error naming it")
        bad = os.path.join(tmp, "bad.png")
        with open(bad, "wb") as f:
            f.write(b"not a png")
        r = run("predict", "--weights", model, "--input", bad, "--output", os.path.join(tmp, "x.png"))
        check(r.returncode == 1 and "bad.png" in r.stderr, "a corrupt image: runtime error naming the file")
        # a mask whose size does not match its image: clear error, nothing written
        bad_dir = os.path.join(tmp, "bad_data")
        os.makedirs(os.path.join(bad_dir, "images"))
        os.makedirs(os.path.join(bad_dir, "masks"))
        write_png(os.path.join(bad_dir, "images", "a.png"), 32, 32, lambda x, y: (x * 8, y * 8, 0))
        write_png(os.path.join(bad_dir, "masks", "a.png"), 16, 32, lambda x, y: (255, 255, 255))
        saved = os.path.join(tmp, "never.safetensors")
        r = run("train", "--data", bad_dir, "--size", "32x32x3", "--steps", "1", "--save", saved)
        check(r.returncode == 1 and "16x32" in r.stderr and not os.path.exists(saved),
              "a mask of another size than its image: exit 1, names both sizes, writes nothing")
        r = run("train", "--data", os.path.join(tmp, "nothing"), "--size", "32x32x3")
        check(r.returncode == 1, "a missing data folder: runtime error")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
