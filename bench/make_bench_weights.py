"""Weights and inputs of `make bench`, written into build/bench/ (not committed).

    python3 bench/make_bench_weights.py [--dir build/bench] [--seed 1]
                                         [--inputs 1x256,4x256,1x512] [--force]

weights.safetensors: Unet('resnet34') (classes 1, sigmoid) initialised the
way Keras segmentation_models does (convolutions he_uniform, final_conv
glorot_uniform with a zero bias, BatchNorm gamma 1 / beta 0), from numpy's
PCG64 with SEED, so the drawn values are the same on every machine. Its
BatchNorm moving means and variances are then recalibrated the way a
trained network has them: the PyTorch twin (bench/torch_unet.py), in float64
and train mode with momentum=None (a cumulative average over batches), runs
CALIB_IMAGES synthetic 0..255 images like `unetseg demo-data` makes (a noisy
background with a soft gradient, 1-3 bright discs, boxes or triangles).
The tensors carry the Keras names and layouts unetseg loads
(`{layer}/{param}`, kernels HWIO); the name/shape list is checked against
tests/gen/keras_unet_torch.py.

input_b{B}_{S}.safetensors: `images` (B, S, S, 3) and `masks` (B, S, S, 1),
NHWC float32, images of the same kind (other draws), the input every engine
of the bench runs on.

Existing files are kept unless --force (or the weights are older than this
script or torch_unet.py). Deterministic: the same seed writes the same draws;
the recalibrated statistics are float64 sums rounded to float32.
"""
import argparse
import math
import os
import sys

try:
    import numpy as np
    import torch
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import keras_unet_torch  # noqa: E402  (the Keras layer list: names and shapes)
import st_io  # noqa: E402
import torch_unet  # noqa: E402

CALIB_IMAGES = 16   # 256x256 images for the BatchNorm statistics
CALIB_BATCH = 4
CALIB_SIZE = 256


def demo_image(rng, size):
    """One image (size, size, 3) in 0..255 and its mask (size, size, 1) in
    {0, 1}, drawn like the CLI's demo-data (examples/cli/folder_data.c)."""
    gx, gy = rng.random(2)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = (20 + 60 * (gx * xx + gy * yy) / size)[..., None] + 70 * rng.random((size, size, 3))
    mask = np.zeros((size, size), np.float64)
    for _ in range(1 + int(rng.random() * 3)):
        kind = int(rng.random() * 3)
        cx, cy = size * (0.2 + 0.6 * rng.random(2))
        r = size * (0.08 + 0.12 * rng.random())
        col = 120 + 135 * rng.random(3)
        dx, dy = xx - cx, yy - cy
        if kind == 0:
            inside = dx * dx + dy * dy < r * r
        elif kind == 1:
            inside = (np.abs(dx) < r) & (np.abs(dy) < 0.7 * r)
        else:
            inside = (dy < r) & (dy > -r) & (np.abs(dx) < (dy + r) * 0.6)
        img[inside] = col
        mask[inside] = 1.0
    return img.astype(np.float32), mask[..., None].astype(np.float32)


def demo_batch(rng, batch, size):
    pairs = [demo_image(rng, size) for _ in range(batch)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def keras_init(seed):
    """{name: float32 Keras-layout array} as Keras initialises Unet('resnet34')
    of segmentation_models (BatchNorm moving statistics 0 / 1)."""
    layers = keras_unet_torch.build_unet("resnet34", CALIB_SIZE, CALIB_SIZE)
    rng = np.random.default_rng([seed, 0])
    out = {}
    for name, shape in keras_unet_torch.param_specs(layers):
        layer, param = name.rsplit("/", 1)
        if param == "kernel":
            kh, kw, cin, cout = shape
            if layer == "final_conv":  # glorot_uniform
                limit = math.sqrt(6.0 / (kh * kw * cin + kh * kw * cout))
            else:                      # he_uniform (backbone and decoder Conv2dBn)
                limit = math.sqrt(6.0 / (kh * kw * cin))
            v = rng.uniform(-limit, limit, shape)
        elif param in ("gamma", "moving_variance"):
            v = np.ones(shape)
        else:  # beta, moving_mean, bias
            v = np.zeros(shape)
        out[name] = v.astype(np.float32)
    return out


def calibrate(tensors, seed):
    """Recalibrate every BatchNorm's moving statistics on synthetic images
    (float64 train-mode forwards, cumulative averages). Returns the model."""
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = torch_unet.Unet()
    torch_unet.load_keras_tensors(model, tensors)
    model = model.double().train()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative moving average
    rng = np.random.default_rng([seed, 1])
    with torch.no_grad():
        for _ in range(CALIB_IMAGES // CALIB_BATCH):
            images, _ = demo_batch(rng, CALIB_BATCH, CALIB_SIZE)
            model(torch.from_numpy(images).double().permute(0, 3, 1, 2))
    model.eval()
    return model


def write_weights(path, seed):
    tensors = keras_init(seed)
    model = calibrate(tensors, seed)
    out = torch_unet.keras_tensors(model)
    specs = keras_unet_torch.param_specs(keras_unet_torch.build_unet("resnet34", CALIB_SIZE, CALIB_SIZE))
    if sorted(out) != sorted(n for n, _ in specs):
        raise SystemExit("torch_unet.py's tensors differ from the Keras list: %s"
                         % sorted(set(out) ^ {n for n, _ in specs})[:5])
    for name, shape in specs:
        if tuple(out[name].shape) != tuple(shape):
            raise SystemExit("%s: shape %s, Keras %s" % (name, out[name].shape, shape))
    ordered = {name: out[name] for name, _ in specs}
    # Sanity: the recalibrated eval model on fresh images of the same kind.
    images, _ = demo_batch(np.random.default_rng([seed, 3]), 2, CALIB_SIZE)
    with torch.no_grad():
        y = model(torch.from_numpy(images).double().permute(0, 3, 1, 2))
    st_io.write(path, ordered, {
        "generator": "bench/make_bench_weights.py", "seed": str(seed),
        "init": "Keras segmentation_models: he_uniform convs, glorot_uniform final_conv",
        "batchnorm": "moving statistics recalibrated on %d synthetic %dx%d 0..255 images "
                     "(float64 train mode, cumulative average)" % (CALIB_IMAGES, CALIB_SIZE, CALIB_SIZE)})
    print("wrote %s (%d tensors; bn_data moving_mean %s; output on fresh images: "
          "mean %.3f, min %.3f, max %.3f)" % (
              path, len(ordered), np.round(ordered["bn_data/moving_mean"], 1),
              float(y.mean()), float(y.min()), float(y.max())))


def write_input(path, seed, batch, size):
    images, masks = demo_batch(np.random.default_rng([seed, 2, batch, size]), batch, size)
    st_io.write(path, {"images": images, "masks": masks},
                {"generator": "bench/make_bench_weights.py", "seed": str(seed)})
    print("wrote %s" % path)


def stale(path, deps):
    return not os.path.exists(path) or any(os.path.getmtime(d) > os.path.getmtime(path) for d in deps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inputs", default="1x256,4x256,1x512", help="BATCHxSIZE,...")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    deps = [os.path.abspath(__file__), os.path.join(HERE, "torch_unet.py")]
    weights = os.path.join(a.dir, "weights.safetensors")
    if a.force or stale(weights, deps):
        write_weights(weights, a.seed)
    for item in filter(None, a.inputs.split(",")):
        batch, size = map(int, item.split("x"))
        path = os.path.join(a.dir, "input_b%d_%d.safetensors" % (batch, size))
        if a.force or stale(path, deps[:1]):
            write_input(path, a.seed, batch, size)


if __name__ == "__main__":
    main()
