"""`unetseg predict --input DIR --output OUT`: every image of a folder, masks
named after the images, equal to one-image predictions; a bad file is
reported and skipped (exit 1 and the list at the end, nothing written for
it); --mc per image; refused combinations. The folder is a pipeline (the
next image decoded on a thread while the model runs): every output, with
--mc and --tile too, is byte for byte that of predicting the file alone, a
corrupt file in the middle is reported while the image before it is still
being predicted, and the files after it are written."""
import os
import shutil
import sys
import tempfile

from cli_helpers import check, run


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pipeline(tmp, model):
    """A folder of 32x32, 64x64 and 128x128 images with a corrupt file after
    the large one, predicted plain and with --mc --tile, against each file
    predicted alone."""
    folder = os.path.join(tmp, "pipe")
    os.mkdir(folder)
    for size, seed, picks in [(32, 7, {"0000.png": "a.png", "0001.png": "d.png"}),
                              (64, 8, {"0000.png": "c.png"}), (128, 9, {"0000.png": "b.png"})]:
        demo = os.path.join(tmp, f"demo{size}")
        r = run("demo-data", "--output", demo, "--count", "2", "--size", str(size), "--seed", str(seed))
        check(r.returncode == 0, f"demo-data {size}")
        for src, dst in picks.items():
            shutil.copy(os.path.join(demo, "images", src), os.path.join(folder, dst))
    with open(os.path.join(folder, "b2.png"), "wb") as f:  # after b.png, before c.png
        f.write(b"\x89PNG\r\n\x1a\n" + b"truncated" * 3)
    good = ["a", "b", "c", "d"]
    runs = {"plain": [], "mc tiled": ["--mc", "3", "--tile", "32", "--overlap", "8"]}
    for what, extra in runs.items():
        out = os.path.join(tmp, "pipe_out_" + what.replace(" ", "_"))
        r = run("predict", "--weights", model, "--input", folder, "--output", out, *extra)
        check(r.returncode == 1 and "1 of 5 image(s) failed:\n  b2.png" in r.stderr
              and "wrote 4 mask(s)" in r.stderr,
              f"{what}: the corrupt file in the middle is reported and listed: " + r.stderr.strip()[-200:])
        want = sorted([n + ".png" for n in good] + ([n + "_mc" for n in good] if extra else []))
        check(sorted(os.listdir(out)) == want, f"{what}: the files after it written, nothing for it: "
              f"{sorted(os.listdir(out))}")
        if extra:
            # the thread met b2.png while b.png (36 tiles x 3 samples) was predicted
            bad, done = r.stderr.find("b2.png: cannot read PNG"), r.stderr.find("b_mc/entropy.png")
            check(0 <= bad < done, f"{what}: b2.png decoded ahead, during b.png's prediction "
                  f"(message at {bad}, b.png's last output at {done})")
        for n in good:
            alone = os.path.join(tmp, f"alone_{what.replace(' ', '_')}_{n}")
            os.mkdir(alone)
            r = run("predict", "--weights", model, "--input", os.path.join(folder, n + ".png"),
                    "--output", os.path.join(alone, "mask.png"), *extra)
            same = r.returncode == 0 and read(os.path.join(alone, "mask.png")) == read(os.path.join(out, n + ".png"))
            for m in ["mean.png", "std.png", "entropy.png"] if extra else []:
                same = same and read(os.path.join(alone, m)) == read(os.path.join(out, n + "_mc", m))
            check(same, f"{what}: {n}.png in the folder run == {n}.png predicted alone, byte for byte")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data, model = os.path.join(tmp, "data"), os.path.join(tmp, "m.safetensors")
        r = run("demo-data", "--output", data, "--count", "3", "--size", "32", "--seed", "5")
        check(r.returncode == 0, "demo-data")
        r = run("init", "--backbone", "resnet18", "--size", "32x32x3", "--output", model)
        check(r.returncode == 0, "init a model: " + r.stderr.strip()[-200:])
        images = os.path.join(data, "images")
        names = sorted(os.listdir(images))
        with open(os.path.join(images, "broken.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"not a png at all" * 4)
        with open(os.path.join(images, "notes.txt"), "w") as f:
            f.write("not an image\n")
        out = os.path.join(tmp, "out", "masks")

        r = run("predict", "--weights", model, "--input", images, "--output", out)
        check(r.returncode == 1, f"a broken file makes the exit status 1 (got {r.returncode})")
        check("1 of 4 image(s) failed" in r.stderr and "  broken.png" in r.stderr,
              "the failures are listed at the end: " + r.stderr.strip()[-300:])
        check("wrote 3 mask(s)" in r.stderr and "1 entries" in r.stderr,
              "the summary counts masks and ignored files")
        written = sorted(os.listdir(out))
        want = sorted(os.path.splitext(n)[0] + ".png" for n in names)
        check(written == want, f"one mask per good image, named after it, nothing else: {written}")

        # each mask is what predicting that image alone writes
        for n in names[:2]:
            single = os.path.join(tmp, "single_" + n)
            r = run("predict", "--weights", model, "--input", os.path.join(images, n), "--output", single)
            with open(single, "rb") as a, open(os.path.join(out, os.path.splitext(n)[0] + ".png"), "rb") as b:
                check(r.returncode == 0 and a.read() == b.read(), f"{n}: folder mask == single-image mask")

        os.remove(os.path.join(images, "broken.png"))
        mc_out = os.path.join(tmp, "mc")
        r = run("predict", "--weights", model, "--input", images, "--output", mc_out, "--mc", "2")
        check(r.returncode == 0, "--mc over a folder: " + r.stderr.strip()[-200:])
        stem = os.path.splitext(names[0])[0]
        check(sorted(os.listdir(os.path.join(mc_out, stem + "_mc"))) == ["entropy.png", "mean.png", "std.png"],
              "--mc writes the heat maps of each image into OUT/NAME_mc/")

        # NAME.jpeg and NAME.png would both write OUT/NAME.png: the later one is refused
        with open(os.path.join(images, stem + ".jpeg"), "wb") as g:
            g.write(b"garbage")
        r = run("predict", "--weights", model, "--input", images, "--output", os.path.join(tmp, "o2"))
        check(r.returncode == 1 and "same name before its extension" in r.stderr
              and f"  {stem}.png" in r.stderr, "a second file of the same stem is refused, not overwritten")
        os.remove(os.path.join(images, stem + ".jpeg"))

        # a mask that cannot be written (its path is a folder) fails on the
        # writing thread: counted and listed like a file that cannot be read;
        # the last image's, still being written when the loop ends
        blocked = os.path.join(tmp, "blocked")
        os.makedirs(os.path.join(blocked, os.path.splitext(names[-1])[0] + ".png"))
        r = run("predict", "--weights", model, "--input", images, "--output", blocked)
        check(r.returncode == 1 and "1 of 3 image(s) failed" in r.stderr and f"  {names[-1]}" in r.stderr
              and "wrote 2 mask(s)" in r.stderr
              and os.path.exists(os.path.join(blocked, os.path.splitext(names[0])[0] + ".png")),
              "a mask that cannot be written: exit 1, listed, the others written: " + r.stderr.strip()[-200:])

        pipeline(tmp, model)

        r = run("predict", "--weights", model, "--input", images, "--output", images)
        check(r.returncode == 2 and "would replace the images" in r.stderr,
              "--output the input folder is refused (exit 2)")
        r = run("predict", "--weights", model, "--input", images, "--output", out,
                "--overlay", os.path.join(tmp, "o.png"))
        check(r.returncode == 2 and "folder --input" in r.stderr, "--overlay with a folder: exit 2")
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        r = run("predict", "--weights", model, "--input", empty, "--output", out)
        check(r.returncode == 1 and "no image" in r.stderr, "an empty folder: exit 1 with the reason")
    sys.exit(check.summary())


if __name__ == "__main__":
    main()
