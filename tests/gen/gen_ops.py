"""Generate tests/fixtures/ops.safetensors: small per-layer-kind forward cases.

Each case is one Keras layer applied to a batch-2 NHWC input, computed in
float64 with the torch ops of keras_unet_torch.py and stored as F32:

    "{case}/input"      the input (N, H, W, C)
    "{case}/kernel"     Keras layout (Conv2D HWIO; Conv2DTranspose (kh,kw,filters,cin))
    "{case}/bias", "{case}/gamma", "{case}/beta", "{case}/moving_mean",
    "{case}/moving_variance"   when the layer has them
    "{case}/output"     the layer output

The metadata maps each case name to its configuration as a JSON string
(compact separators), e.g. {"kind":"conv2d","filters":5,"kernel":[3,3],...}.
Concatenate/Add cases take ONE input and build their 3 branches as channel
slices: "slices": [[start, length], ...] in concatenation/addition order
(the C test realises each slice with a 1x1 selector Conv2D "b0", "b1", "b2").

Every torch result is also checked against a naive numpy implementation
written from the TF definitions (conv by explicit TF 'same' padding, the
transposed conv as the exact adjoint of that conv, max pooling over -inf
padding) before anything is written.

tests/test_ops_fixtures.c mirrors the CASES list below; keep them in sync.
"""

import json
import os
import sys
import zlib

try:
    import numpy as np
    import torch
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402
import keras_unet_torch as K  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_PATH = os.path.join(ROOT, "tests", "fixtures", "ops.safetensors")


def conv(name, shape, filters, kernel, strides, padding, use_bias):
    return (name, shape, {"kind": "conv2d", "filters": filters, "kernel": list(kernel),
                          "strides": list(strides), "padding": padding, "use_bias": use_bias})


def convt(name, shape, filters, kernel, strides, padding, use_bias):
    return (name, shape, {"kind": "conv2d_transpose", "filters": filters,
                          "kernel": list(kernel), "strides": list(strides),
                          "padding": padding, "use_bias": use_bias})


def bn(name, shape, epsilon, center, scale):
    return (name, shape, {"kind": "batchnorm", "epsilon": epsilon, "momentum": 0.99,
                          "center": center, "scale": scale})


def act(name, shape, activation):
    return (name, shape, {"kind": "activation", "activation": activation})


def pool(name, shape, pool_size, strides, padding):
    return (name, shape, {"kind": "max_pooling2d", "pool_size": list(pool_size),
                          "strides": list(strides), "padding": padding})


# (name, input shape, config). Mirrored in tests/test_ops_fixtures.c.
CASES = [
    conv("conv_valid_s1_k3_odd", (2, 7, 7, 3), 4, (3, 3), (1, 1), "valid", True),
    conv("conv_valid_s2_k3_even", (2, 8, 8, 3), 5, (3, 3), (2, 2), "valid", False),
    conv("conv_valid_s2_k7_odd", (2, 13, 11, 3), 4, (7, 7), (2, 2), "valid", False),
    conv("conv_valid_s1_k1", (2, 5, 6, 4), 3, (1, 1), (1, 1), "valid", True),
    conv("conv_valid_s2_k1_even", (2, 8, 8, 4), 6, (1, 1), (2, 2), "valid", False),
    conv("conv_same_s1_k3_odd", (2, 7, 7, 3), 5, (3, 3), (1, 1), "same", True),
    conv("conv_same_s1_k3_even", (2, 6, 8, 3), 4, (3, 3), (1, 1), "same", False),
    conv("conv_same_s2_k3_odd", (2, 7, 9, 3), 5, (3, 3), (2, 2), "same", True),
    conv("conv_same_s2_k3_even", (2, 8, 6, 3), 5, (3, 3), (2, 2), "same", True),
    conv("conv_same_s2_k7_odd", (2, 9, 9, 3), 4, (7, 7), (2, 2), "same", False),
    conv("conv_same_s2_k7_even", (2, 10, 12, 3), 4, (7, 7), (2, 2), "same", True),
    conv("conv_same_s2_k1_odd", (2, 7, 7, 4), 3, (1, 1), (2, 2), "same", False),
    conv("conv_same_s1_k4_odd", (2, 7, 7, 2), 3, (4, 4), (1, 1), "same", True),
    conv("conv_same_k1x3_s2x1", (2, 6, 7, 3), 4, (1, 3), (2, 1), "same", True),
    convt("convt_same_s2_k4", (2, 4, 5, 6), 3, (4, 4), (2, 2), "same", False),
    convt("convt_same_s2_k4_bias", (2, 3, 3, 4), 2, (4, 4), (2, 2), "same", True),
    convt("convt_same_s1_k3", (2, 5, 5, 4), 3, (3, 3), (1, 1), "same", True),
    convt("convt_valid_s2_k3", (2, 4, 3, 4), 2, (3, 3), (2, 2), "valid", True),
    convt("convt_same_s2_k3", (2, 4, 4, 3), 2, (3, 3), (2, 2), "same", False),
    bn("bn_eps1e-3", (2, 4, 5, 6), 1e-3, True, True),
    bn("bn_center_false", (2, 4, 5, 6), 1e-3, False, True),
    bn("bn_scale_false", (2, 4, 5, 3), 2e-5, True, False),
    act("act_relu", (2, 4, 4, 5), "relu"),
    act("act_sigmoid", (2, 4, 4, 5), "sigmoid"),
    act("act_softmax", (2, 4, 4, 5), "softmax"),
    act("act_softmax_large", (2, 4, 4, 5), "softmax"),
    act("act_tanh", (2, 4, 4, 5), "tanh"),
    act("act_linear", (2, 4, 4, 5), "linear"),
    ("zeropad_asym", (2, 3, 4, 2), {"kind": "zero_padding2d", "padding": [[1, 2], [0, 3]]}),
    pool("maxpool_valid_k3_s2_odd", (2, 9, 9, 3), (3, 3), (2, 2), "valid"),
    pool("maxpool_valid_k3_s2_even", (2, 8, 10, 3), (3, 3), (2, 2), "valid"),
    pool("maxpool_same_k2_s2_odd", (2, 7, 7, 3), (2, 2), (2, 2), "same"),
    pool("maxpool_same_k2_s2_odd_rect", (2, 5, 6, 2), (2, 2), (2, 2), "same"),
    pool("maxpool_same_k3_s2_even", (2, 8, 8, 2), (3, 3), (2, 2), "same"),
    ("upsampling_nearest_2x2", (2, 3, 4, 3),
     {"kind": "upsampling2d", "size": [2, 2], "interpolation": "nearest"}),
    ("upsampling_nearest_3x2", (2, 2, 3, 2),
     {"kind": "upsampling2d", "size": [3, 2], "interpolation": "nearest"}),
    ("concat3", (2, 3, 4, 6), {"kind": "concatenate", "slices": [[2, 3], [0, 2], [5, 1]]}),
    ("add3", (2, 3, 4, 6), {"kind": "add", "slices": [[0, 2], [2, 2], [4, 2]]}),
]


# ------------------------------------------------------------ random data

def f32(a):
    return np.asarray(a, dtype=np.float32)


def make_input(name, shape, cfg, rng):
    x = rng.standard_normal(shape)
    if name == "act_softmax_large":
        x = rng.uniform(-100.0, 100.0, shape)
        x[0, 0, 0, :] = [80.0, -80.0, 79.0, 0.0, -80.0]   # exp(80) is near float32 max
        x[0, 0, 1, :] = [90.0, 89.0, -90.0, 88.0, 0.0]    # exp(90) overflows float32
        x[1, 3, 3, :] = [-90.0, -95.0, -100.0, -99.0, -91.0]  # all far below 0
    elif name in ("act_sigmoid", "act_tanh", "act_relu"):
        x = 3.0 * x
        x[0, 0, 0, :] = [80.0, -80.0, 20.0, -20.0, 0.0]
    elif cfg["kind"] == "max_pooling2d":
        x = x - 1.0  # mostly negative: -inf padding must never win
    elif name == "bn_scale_false":  # bn_data-like: raw 0..255 pixels
        x = rng.uniform(0.0, 255.0, shape)
    return f32(x)


def make_params(name, cfg, cin, rng):
    p = {}
    kind = cfg["kind"]
    if kind in ("conv2d", "conv2d_transpose"):
        kh, kw = cfg["kernel"]
        f = cfg["filters"]
        shape = (kh, kw, cin, f) if kind == "conv2d" else (kh, kw, f, cin)
        p["kernel"] = f32(rng.uniform(-1, 1, shape) * np.sqrt(3.0 / (kh * kw * cin)))
        if cfg["use_bias"]:
            p["bias"] = f32(rng.uniform(-0.5, 0.5, f))
    elif kind == "batchnorm":
        if cfg["scale"]:
            p["gamma"] = f32(rng.uniform(0.5, 1.5, cin))
        if cfg["center"]:
            p["beta"] = f32(rng.uniform(-0.5, 0.5, cin))
        if name == "bn_scale_false":
            p["moving_mean"] = f32(rng.uniform(100, 150, cin))
            p["moving_variance"] = f32(rng.uniform(3000, 5000, cin))
        else:
            p["moving_mean"] = f32(rng.uniform(-0.5, 0.5, cin))
            p["moving_variance"] = f32(rng.uniform(0.3, 2.0, cin))
    return p


# ------------------------------------------------------------ torch reference

def torch_forward(cfg, x, p):
    t = K.nhwc_to_nchw(x)
    kind = cfg["kind"]
    if kind == "conv2d":
        y = K.conv2d(t, p["kernel"], p.get("bias"), cfg["strides"], cfg["padding"])
    elif kind == "conv2d_transpose":
        y = K.conv2d_transpose(t, p["kernel"], p.get("bias"), cfg["strides"], cfg["padding"])
    elif kind == "batchnorm":
        y = K.batchnorm(t, p["moving_mean"], p["moving_variance"], p.get("gamma"),
                        p.get("beta"), cfg["epsilon"])
    elif kind == "activation":
        y = K.activation(t, cfg["activation"])
    elif kind == "zero_padding2d":
        (top, bottom), (left, right) = cfg["padding"]
        y = K.zero_pad(t, top, bottom, left, right)
    elif kind == "max_pooling2d":
        y = K.max_pool(t, cfg["pool_size"], cfg["strides"], cfg["padding"])
    elif kind == "upsampling2d":
        y = K.upsample_nearest(t, *cfg["size"])
    elif kind in ("concatenate", "add"):
        branches = [t[:, s:s + n] for s, n in cfg["slices"]]
        y = torch.cat(branches, dim=1) if kind == "concatenate" else sum(branches[1:], branches[0])
    else:
        raise ValueError(kind)
    return K.nchw_to_nhwc(y)


# ------------------------------------------------------------ naive numpy check

def naive_pads(size, k, s, padding):
    if padding == "valid":
        return 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def naive_conv2d(x, kernel, bias, strides, padding):
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    sh, sw = strides
    pt, pb = naive_pads(h, kh, sh, padding)
    pl, pr = naive_pads(w, kw, sw, padding)
    xp = np.zeros((n, h + pt + pb, w + pl + pr, c))
    xp[:, pt:pt + h, pl:pl + w] = x
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    y = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            y[:, i, j, :] = np.einsum("nabc,abcf->nf", patch, kernel)
    if bias is not None:
        y += bias
    return y


def naive_conv2d_transpose(x, kernel, bias, strides, padding):
    """TF definition: the adjoint of conv2d(., kernel as HWIO with I=filters,
    O=cin) over an input of the Keras output size. Built column by column."""
    n, h, w, c = x.shape
    kh, kw, f, _ = kernel.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = h * sh, w * sw
    else:
        oh, ow = h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0)
    y = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for q in range(f):
                e = np.zeros((1, oh, ow, f))
                e[0, i, j, q] = 1.0
                col = naive_conv2d(e, kernel, None, strides, padding)  # (1, h, w, c)
                assert col.shape[1:3] == (h, w)
                y[:, i, j, q] = np.einsum("nhwc,hwc->n", x, col[0])
    if bias is not None:
        y += bias
    return y


def naive_max_pool(x, pool_size, strides, padding):
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool_size, strides
    pt, pb = naive_pads(h, ph, sh, padding)
    pl, pr = naive_pads(w, pw, sw, padding)
    xp = np.full((n, h + pt + pb, w + pl + pr, c), -np.inf)
    xp[:, pt:pt + h, pl:pl + w] = x
    oh = (h + pt + pb - ph) // sh + 1
    ow = (w + pl + pr - pw) // sw + 1
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j] = xp[:, i * sh:i * sh + ph, j * sw:j * sw + pw].max(axis=(1, 2))
    return y


def naive_forward(cfg, x, p):
    x = x.astype(np.float64)
    p = {k: v.astype(np.float64) for k, v in p.items()}
    kind = cfg["kind"]
    if kind == "conv2d":
        return naive_conv2d(x, p["kernel"], p.get("bias"), cfg["strides"], cfg["padding"])
    if kind == "conv2d_transpose":
        return naive_conv2d_transpose(x, p["kernel"], p.get("bias"), cfg["strides"],
                                      cfg["padding"])
    if kind == "batchnorm":
        y = (x - p["moving_mean"]) / np.sqrt(p["moving_variance"] + cfg["epsilon"])
        return y * p.get("gamma", 1.0) + p.get("beta", 0.0)
    if kind == "activation":
        a = cfg["activation"]
        if a == "relu":
            return np.maximum(x, 0.0)
        if a == "sigmoid":
            return 1.0 / (1.0 + np.exp(-x))
        if a == "tanh":
            return np.tanh(x)
        if a == "linear":
            return x
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if kind == "zero_padding2d":
        (top, bottom), (left, right) = cfg["padding"]
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    if kind == "max_pooling2d":
        return naive_max_pool(x, cfg["pool_size"], cfg["strides"], cfg["padding"])
    if kind == "upsampling2d":
        return np.repeat(np.repeat(x, cfg["size"][0], axis=1), cfg["size"][1], axis=2)
    branches = [x[..., s:s + n] for s, n in cfg["slices"]]
    if kind == "concatenate":
        return np.concatenate(branches, axis=-1)
    return sum(branches)


# ------------------------------------------------------------ main

def main():
    torch.set_num_threads(1)
    names = [c[0] for c in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    tensors = {}
    meta = {"generator": "tests/gen/gen_ops.py (float64 torch reference, stored F32)"}
    print("%-30s %-16s %-16s %10s" % ("case", "input", "output", "max|ref|"))
    for name, shape, cfg in CASES:
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        x = make_input(name, shape, cfg, rng)
        p = make_params(name, cfg, shape[3], rng)
        y = torch_forward(cfg, x, p)
        ref = naive_forward(cfg, x, p)
        assert ref.shape == y.shape, (name, ref.shape, y.shape)
        err = float(np.max(np.abs(ref - y)))
        assert err <= 1e-10 * max(1.0, float(np.max(np.abs(y)))), (name, err)
        assert np.all(np.isfinite(y)), name
        tensors[name + "/input"] = x
        for k in ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"):
            if k in p:
                tensors["%s/%s" % (name, k)] = p[k]
        tensors[name + "/output"] = y
        meta[name] = json.dumps(dict(cfg, input_shape=list(shape)), separators=(",", ":"))
        print("%-30s %-16s %-16s %10.4g" % (name, "x".join(map(str, shape)),
                                            "x".join(map(str, y.shape)), np.max(np.abs(y))))
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    st_io.write(OUT_PATH, tensors, meta)
    back, back_meta = st_io.read(OUT_PATH)
    assert back_meta == meta and set(back) == set(tensors)
    print("%d cases, wrote %s (%d bytes)" % (len(CASES), os.path.relpath(OUT_PATH, ROOT),
                                           os.path.getsize(OUT_PATH)))


if __name__ == "__main__":
    main()
