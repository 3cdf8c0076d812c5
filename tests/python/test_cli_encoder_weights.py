"""Fine-tuning from a pretrained encoder (issue 15 item 5), end to end: an
h5 in the layout of classification_models' resnet34_imagenet_1000_no_top.h5
(save_weights: layer groups at the root, `conv0/kernel:0`; and the
model.save layout under `model_weights`) made with h5py, converted with
keras_to_safetensors.py --encoder-only, loaded by `init --encoder-weights`
(encoder == the h5 values, decoder == the plain initialisation) and by
`train --encoder-weights --encoder-freeze --unfreeze-after 1`: the frozen
weights do not move in epoch 1 and do after; resuming from a checkpoint
before or after the unfreezing equals the uninterrupted run."""
import os
import subprocess
import sys
import tempfile

from cli_helpers import ROOT, check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

try:
    import h5py  # noqa: E402
except ImportError as exc:
    print("skip: test_cli_encoder_weights needs h5py (%s): apt-get install python3-h5py" % exc)
    sys.exit(0)

import st_io  # noqa: E402

CONVERTER = os.path.join(ROOT, "examples", "python", "keras_to_safetensors.py")
MODEL = ["--backbone", "resnet34", "--size", "32x32x3"]
DECODER = ("decoder_", "center_block", "final_conv")


def encoder_layers(init_path):
    """[(layer, [(param, array)])] of the encoder, in the model's order,
    with values unlike any initialisation."""
    tensors, _ = st_io.read(init_path)
    rng = np.random.default_rng(11)
    layers = {}
    for name, value in tensors.items():
        layer, param = name.split("/")
        if layer.startswith(DECODER):
            continue
        v = rng.normal(0, 0.05, value.shape).astype(np.float32)
        if param in ("gamma", "moving_variance"):
            v = np.abs(v) + 0.5
        layers.setdefault(layer, []).append((param, v))
    return list(layers.items())


def put_names(group, attr, names):
    group.attrs[attr] = np.array([n.encode() for n in names]) if names else np.asarray([])


def write_h5(path, layers, full_model):
    """classification_models' file: weightless layers too (data, paddings,
    activations, pooling0), each weight at <layer>/<layer>/<param>:0."""
    weightless = [("data", []), ("zero_padding2d_1", []), ("relu0", []), ("pooling0", []), ("relu1", [])]
    order = weightless[:2] + layers[:3] + weightless[2:4] + layers[3:] + weightless[4:]
    with h5py.File(path, "w") as f:
        root = f.create_group("model_weights") if full_model else f
        put_names(root, "layer_names", [name for name, _ in order])
        root.attrs["keras_version"] = b"2.2.4"
        root.attrs["backend"] = b"tensorflow"
        for name, params in order:
            g = root.create_group(name)
            wnames = ["%s/%s%s" % (name, p, "" if full_model else ":0") for p, _ in params]
            put_names(g, "weight_names", wnames)
            for wn, (_, v) in zip(wnames, params):
                g.create_dataset(wn, data=v)


def convert(h5, out):
    r = subprocess.run([sys.executable, CONVERTER, h5, out, "--encoder-only"], capture_output=True,
                       text=True)
    check(r.returncode == 0, "keras_to_safetensors.py --encoder-only %s: %s"
          % (os.path.basename(h5), (r.stdout + r.stderr).strip()))


def dataset(path, n=6, size=32):
    rng = np.random.default_rng(2)
    images = rng.uniform(0, 60, (n, size, size, 3)).astype(np.float32)
    masks = np.zeros((n, size, size, 1), np.float32)
    for i in range(n):
        y, x = rng.integers(2, size - 14, 2)
        images[i, y:y + 12, x:x + 12] += 150
        masks[i, y:y + 12, x:x + 12] = 1
    st_io.write(path, {"images": images, "masks": masks})


def equal(a, b, names):
    return all(np.array_equal(a[k], b[k]) for k in names)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)  # noqa: E731
        r = run("init", *MODEL, "--output", p("init.st"))
        check(r.returncode == 0, "init")
        layers = encoder_layers(p("init.st"))
        h5 = {"%s/%s" % (layer, param): v for layer, params in layers for param, v in params}
        write_h5(p("no_top.h5"), layers, full_model=False)
        write_h5(p("model.h5"), layers, full_model=True)
        convert(p("no_top.h5"), p("enc.st"))
        convert(p("model.h5"), p("enc2.st"))
        enc, _ = st_io.read(p("enc.st"))
        enc2, _ = st_io.read(p("enc2.st"))
        check(sorted(enc) == sorted(h5) and equal(enc, h5, h5) and sorted(enc2) == sorted(enc)
              and equal(enc, enc2, enc), "both h5 layouts convert to the encoder's %d tensors" % len(h5))

        # init: the encoder from the file, the decoder as initialised
        r = run("init", *MODEL, "--encoder-weights", p("enc.st"), "--output", p("pre.st"))
        check(r.returncode == 0 and "loaded %d of" % len(h5) in r.stderr, "init --encoder-weights: "
              + r.stderr.strip())
        pre, _ = st_io.read(p("pre.st"))
        plain, _ = st_io.read(p("init.st"))
        decoder = [k for k in plain if k.startswith(DECODER)]
        check(equal(pre, h5, h5), "the encoder weights are the h5 values")
        check(len(decoder) > 0 and equal(pre, plain, decoder), "the decoder weights are untouched")

        # train: frozen for epoch 1, unfrozen from epoch 2
        dataset(p("d.st"))
        base = ["--data", p("d.st"), *MODEL, "--batch", "3", "--val-split", "0.34", "--seed", "3",
                "--threads", "1", "--encoder-freeze", "--unfreeze-after", "1"]
        fresh = base + ["--encoder-weights", p("enc.st")]
        r = run("train", *fresh, "--epochs", "2", "--save", p("straight.st"))
        check(r.returncode == 0 and "epoch 2: encoder unfrozen (--unfreeze-after 1)" in r.stderr,
              "train --unfreeze-after 1 says when it unfreezes: " + r.stderr.strip()[-300:])
        r = run("train", *fresh, "--epochs", "1", "--checkpoint", p("e1.st"))
        check(r.returncode == 0 and "unfrozen" not in r.stderr, "one frozen epoch")
        e1, _ = st_io.read(p("e1.st"))
        frozen = [k for k in h5 if k.endswith("/kernel")]  # every non-BatchNorm encoder layer
        bn = [k for k in h5 if "/gamma" in k]
        check(len(frozen) == 37 and equal(e1, h5, frozen), "the frozen encoder weights did not move "
              "in the frozen epoch (%d tensors)" % len(frozen))
        check(not equal(e1, h5, bn), "its BatchNorm layers trained (segmentation_models' encoder_freeze)")
        check(not equal(e1, plain, decoder), "the decoder trained")
        r = run("train", *base, "--epochs", "1", "--weights", p("e1.st"), "--resume", p("e1.st"),
                "--save", p("resumed.st"))
        check(r.returncode == 0 and "encoder unfrozen" in r.stderr, "resumed at epoch 2: unfrozen: "
              + r.stderr.strip()[-300:])
        resumed, _ = st_io.read(p("resumed.st"))
        straight, _ = st_io.read(p("straight.st"))
        check(not any(np.array_equal(resumed[k], h5[k]) for k in frozen), "every frozen weight moved after "
              "the unfreezing")
        check(sorted(resumed) == sorted(straight) and equal(resumed, straight, straight),
              "1 frozen epoch + --resume == 2 epochs straight")
        # a checkpoint after the unfreezing (step 3, inside epoch 2)
        run("train", *fresh, "--steps", "3", "--checkpoint", p("s3.st"))
        r = run("train", *base, "--steps", "1", "--weights", p("s3.st"), "--resume", p("s3.st"),
                "--save", p("s4.st"))
        s4, _ = st_io.read(p("s4.st"))
        check(r.returncode == 0 and "unfrozen" not in r.stderr and equal(s4, straight, straight),
              "3 steps (unfrozen at step 3) + --resume + 1 == 4 steps straight")
        # without the unfreezing the encoder stays put
        r = run("train", *base[:-2], "--encoder-weights", p("enc.st"), "--epochs", "2", "--save",
                p("kept.st"))
        kept, _ = st_io.read(p("kept.st"))
        check(r.returncode == 0 and equal(kept, h5, frozen), "--encoder-freeze alone: frozen for good")
        refusals(p, base)
    return check.summary()


def refusals(p, base):
    r = run("train", "--data", p("d.st"), "--steps", "1", "--unfreeze-after", "1")
    check(r.returncode == 2 and "needs --encoder-freeze" in r.stderr, "--unfreeze-after alone: usage error")
    r = run("train", *base, "--unfreeze-after", "0", "--steps", "1")
    check(r.returncode == 2, "--unfreeze-after 0: usage error")
    r = run("train", *base, "--encoder-weights", p("enc.st"), "--weights", p("init.st"), "--steps", "1")
    check(r.returncode == 2 and "use one" in r.stderr, "--encoder-weights with --weights: usage error")
    r = run("init", "--backbone", "resnet18", "--size", "32x32x3", "--encoder-weights", p("enc.st"),
            "--output", p("r18.st"))
    check(r.returncode == 1 and not os.path.exists(p("r18.st")),
          "ResNet34 encoder weights into a ResNet18: refused (unused tensors), nothing written: "
          + r.stderr.strip()[-200:])
    st_io.write(p("other.st"), {"nothing/kernel": np.zeros((1,), np.float32)})
    r = run("init", *MODEL, "--encoder-weights", p("other.st"), "--output", p("o.st"))
    check(r.returncode == 1 and "loaded 0" in r.stderr, "a file that sets nothing is refused")


if __name__ == "__main__":
    sys.exit(main())
