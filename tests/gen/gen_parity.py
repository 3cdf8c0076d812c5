"""Generate tests/fixtures/parity_resnet18_{upsampling,transpose}_64.safetensors
and parity_resnet34_upsampling_256.safetensors.

Keras Unet('resnet18'), 64x64x3 input (and Unet('resnet34') at 256x256x3,
where most 3x3 convs take unetseg's Winograd path: the network-level check
of its accuracy; only final_conv is stored of its activations, to keep the
file small), classes=1, batch 1, computed in float64
by keras_unet_torch.py with formula weights (formula_weights.py, float32 values
used in float64) and the formula input float32(255 u(k)) over the name "input".

Stored (F32): "input" (1,64,64,3), "output" (after sigmoid) and "act/{layer}"
(NHWC) for the layers in ACTIVATIONS. Metadata: the model config.

As a guard against interpreter bugs the network is also run through a
second, directly written torch implementation (symmetric conv padding,
MaxPool2d with padding) and both must agree to 1e-9.
"""

import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402
from formula_weights import formula_input, formula_weights  # noqa: E402
from keras_unet_torch import build_unet, forward, param_specs, param_totals  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

CLASSES = 1

COMMON_ACTS = [
    "bn_data", "conv0", "pooling0", "stage1_unit1_relu1",
    "add",  # the Add of stage1_unit1
    "stage2_unit1_sc", "stage3_unit1_relu1", "stage4_unit1_relu1", "relu1",
    "decoder_stage0_concat",
]
ACTIVATIONS = {
    "upsampling": COMMON_ACTS + ["decoder_stage0b_relu", "decoder_stage1a_relu",
                                 "decoder_stage3b_relu", "decoder_stage4b_relu", "final_conv"],
    "transpose": COMMON_ACTS + ["decoder_stage0a_transpose", "decoder_stage1a_transpose",
                                "decoder_stage1a_relu", "decoder_stage3b_relu",
                                "decoder_stage4b_relu", "final_conv"],
}


# ---------------------------------------------------------------- cross-check

def direct_unet(wts, x_nhwc, backbone, decoder_block_type):
    """A second, straightforward implementation (torch-style padding)."""
    def W(n):
        return torch.as_tensor(wts[n], dtype=torch.float64)

    def conv(x, layer, stride=1, pad=0, bias=False):
        w = W(layer + "/kernel").permute(3, 2, 0, 1)
        return F.conv2d(x, w, W(layer + "/bias") if bias else None, stride=stride, padding=pad)

    def bn(x, layer, eps, scale=True):
        g = W(layer + "/gamma") if scale else None
        return F.batch_norm(x, W(layer + "/moving_mean"), W(layer + "/moving_variance"),
                            g, W(layer + "/beta"), training=False, eps=eps)

    x = torch.as_tensor(x_nhwc, dtype=torch.float64).permute(0, 3, 1, 2)
    x = bn(x, "bn_data", 2e-5, scale=False)
    relu0 = F.relu(bn(conv(x, "conv0", 2, 3), "bn0", 2e-5))
    x = F.max_pool2d(relu0, 3, 2, padding=1)
    taps = {"relu0": relu0}
    units = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}[backbone]
    for s, n in enumerate(units, start=1):
        for u in range(1, n + 1):
            p = "stage%d_unit%d_" % (s, u)
            stride = 2 if (u == 1 and s > 1) else 1
            r1 = F.relu(bn(x, p + "bn1", 2e-5))
            taps[p + "relu1"] = r1
            y = F.relu(bn(conv(r1, p + "conv1", stride, 1), p + "bn2", 2e-5))
            y = conv(y, p + "conv2", 1, 1)
            x = y + (conv(r1, p + "sc", stride) if u == 1 else x)
    x = F.relu(bn(x, "bn1", 2e-5))
    skips = [taps["stage4_unit1_relu1"], taps["stage3_unit1_relu1"],
             taps["stage2_unit1_relu1"], taps["relu0"], None]
    for i in range(5):
        p = "decoder_stage%d" % i
        if decoder_block_type == "upsampling":
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            if skips[i] is not None:
                x = torch.cat([x, skips[i]], 1)
            x = F.relu(bn(conv(x, p + "a_conv", 1, 1), p + "a_bn", 1e-3))
        else:
            w = W(p + "a_transpose/kernel").permute(3, 2, 0, 1)
            x = F.relu(bn(F.conv_transpose2d(x, w, stride=2, padding=1), p + "a_bn", 1e-3))
            if skips[i] is not None:
                x = torch.cat([x, skips[i]], 1)
        x = F.relu(bn(conv(x, p + "b_conv", 1, 1), p + "b_bn", 1e-3))
    x = torch.sigmoid(conv(x, "final_conv", 1, 1, bias=True))
    return x.permute(0, 2, 3, 1).numpy()


# ---------------------------------------------------------------- generation

def generate(decoder_block_type, BACKBONE="resnet18", SIZE=64, names=None):
    layers = build_unet(BACKBONE, SIZE, SIZE, 3, CLASSES, decoder_block_type)
    specs = param_specs(layers)
    weights = formula_weights(specs)          # float32, used in float64
    x = formula_input("input", (1, SIZE, SIZE, 3))
    names = names or ACTIVATIONS[decoder_block_type]
    out, acts = forward(layers, weights, x, record=set(names))

    direct = direct_unet(weights, x, BACKBONE, decoder_block_type)
    diff = float(np.max(np.abs(direct - out)))
    assert diff < 1e-9, "cross-check failed: %g" % diff

    tensors = {"input": x, "output": out}
    print("%s: %d params, cross-check max diff %.2e" % (decoder_block_type,
          param_totals(layers)[0], diff))
    print("  %-28s %-18s %12s %12s" % ("tensor", "shape", "max|ref|", "std"))
    for key, arr in [("input", x)] + [("act/" + n, acts[n]) for n in names] + [("output", out)]:
        tensors[key] = arr
        print("  %-28s %-18s %12.6g %12.6g" % (key, arr.shape, np.max(np.abs(arr)), np.std(arr)))
    fc = acts["final_conv"]
    assert np.std(fc) > 1e-3 * max(1.0, np.max(np.abs(fc))), "final_conv is nearly constant"

    meta = {
        "backbone": BACKBONE,
        "decoder_block_type": decoder_block_type,
        "classes": str(CLASSES),
        "size": "%dx%dx3" % (SIZE, SIZE),
        "batch": "1",
        "activation": "sigmoid",
        "decoder_use_batchnorm": "true",
        "weights": "formula (tests/gen/formula_weights.py)",
        "input": "float32(255*u(k)) over the name 'input'",
        "activations": ",".join(names),
        "generator": "tests/gen/gen_parity.py (float64 torch reference)",
    }
    path = os.path.join(FIXTURES, "parity_%s_%s_%d.safetensors"
                        % (BACKBONE, decoder_block_type, SIZE))
    st_io.write(path, tensors, meta)
    back, _ = st_io.read(path)
    assert all(np.array_equal(back[k], np.asarray(v, np.float32)) for k, v in tensors.items())
    print("  wrote %s (%d bytes)\n" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


def main():
    torch.set_num_threads(1)
    os.makedirs(FIXTURES, exist_ok=True)
    for kind in ("upsampling", "transpose"):
        generate(kind)
    generate("upsampling", "resnet34", 256, ["final_conv"])


if __name__ == "__main__":
    main()
