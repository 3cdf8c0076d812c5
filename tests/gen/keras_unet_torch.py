"""Float64 PyTorch reference of the *Keras* segmentation_models Unet('resnet18/34').

This is not smp or torchvision: it follows /work/shared/spec/keras_unet_resnet34.md
layer by layer (pre-activation MXNet-style ResNet with `bn_data`, explicit
symmetric ZeroPadding2D + 'valid' convs, four `stageS_unit1_sc` shortcuts,
`bn1`/`relu1` tail, Unet decoder 'upsampling' or 'transpose', `final_conv`).

The network is first described as a Keras-style layer list (`build_unet`):
names (including the tf.keras auto names `zero_padding2d_N` / `add_N`), kinds,
inbound layers, configs, Keras parameter shapes and output shapes, in
`model.layers` order. `forward` then interprets that list with torch float64
ops on NCHW tensors, taking Keras-layout weights `{layer}/{param}` and an NHWC
input, and returns the NHWC output plus NHWC activations of requested layers.

Running this file checks the layer list against the golden summary tables
(names, kinds, output shapes, parameter counts, inbound, totals).
"""

import math
import os
import re
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

UNITS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}
SKIPS = ("stage4_unit1_relu1", "stage3_unit1_relu1", "stage2_unit1_relu1", "relu0")
DECODER_FILTERS = (256, 128, 64, 32, 16)
BACKBONE_BN_EPS = 2e-5
DECODER_BN_EPS = 1e-3  # Keras default


# --------------------------------------------------------------------------
# Torch float64 ops on NCHW tensors, Keras semantics. Kernels are in Keras
# layout (numpy or torch); shared with gen_ops.py.
# --------------------------------------------------------------------------

def as_t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def nhwc_to_nchw(x):
    return as_t(x).permute(0, 3, 1, 2).contiguous()


def nchw_to_nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().numpy()


def tf_same_pads(size, k, s):
    """TF 'same': (before, after) with the extra pixel at the bottom/right."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel_hwio, bias=None, strides=(1, 1), padding="valid"):
    w = as_t(kernel_hwio).permute(3, 2, 0, 1)  # HWIO -> OIHW
    kh, kw = w.shape[2], w.shape[3]
    if padding == "same":
        top, bottom = tf_same_pads(x.shape[2], kh, strides[0])
        left, right = tf_same_pads(x.shape[3], kw, strides[1])
        x = F.pad(x, (left, right, top, bottom))
    elif padding != "valid":
        raise ValueError(padding)
    b = None if bias is None else as_t(bias)
    return F.conv2d(x, w, b, stride=tuple(strides))


def conv_transpose_out_size(size, k, s, padding):
    """Keras deconv_output_length (no output_padding, dilation 1)."""
    if padding == "same":
        return size * s
    return size * s + max(k - s, 0)


def conv2d_transpose(x, kernel_hwoi, bias=None, strides=(1, 1), padding="valid"):
    """Keras Conv2DTranspose: kernel (kh, kw, filters, cin). The result is the
    full scatter ((in-1)*s + k), cropped like TF: 'same' drops the TF 'same'
    pad_before at the start and keeps in*s values."""
    w = as_t(kernel_hwoi).permute(3, 2, 0, 1)  # (kh,kw,cout,cin) -> (cin,cout,kh,kw)
    kh, kw = w.shape[2], w.shape[3]
    full = F.conv_transpose2d(x, w, None, stride=tuple(strides))
    crops = []
    for axis, k, s in ((2, kh, strides[0]), (3, kw, strides[1])):
        size = x.shape[axis]
        out = conv_transpose_out_size(size, k, s, padding)
        begin = tf_same_pads(out, k, s)[0] if padding == "same" else 0
        crops.append((begin, out))
    have_h, have_w = full.shape[2], full.shape[3]
    need_h = crops[0][0] + crops[0][1]
    need_w = crops[1][0] + crops[1][1]
    if need_h > have_h or need_w > have_w:  # valid with k < s: zero rows/cols at the end
        full = F.pad(full, (0, max(need_w - have_w, 0), 0, max(need_h - have_h, 0)))
    y = full[:, :, crops[0][0]:need_h, crops[1][0]:need_w]
    if bias is not None:
        y = y + as_t(bias).view(1, -1, 1, 1)
    return y.contiguous()


def batchnorm(x, moving_mean, moving_variance, gamma=None, beta=None, eps=1e-3):
    c = x.shape[1]
    mean = as_t(moving_mean).view(1, c, 1, 1)
    inv = 1.0 / torch.sqrt(as_t(moving_variance).view(1, c, 1, 1) + eps)
    y = (x - mean) * inv
    if gamma is not None:
        y = y * as_t(gamma).view(1, c, 1, 1)
    if beta is not None:
        y = y + as_t(beta).view(1, c, 1, 1)
    return y


def activation(x, kind):
    if kind == "relu":
        return torch.relu(x)
    if kind == "sigmoid":
        return torch.sigmoid(x)
    if kind == "tanh":
        return torch.tanh(x)
    if kind == "softmax":
        return torch.softmax(x, dim=1)  # channel axis
    if kind == "linear":
        return x
    raise ValueError(kind)


def zero_pad(x, top, bottom, left, right):
    return F.pad(x, (left, right, top, bottom))


def max_pool(x, pool, strides, padding="valid"):
    if padding == "same":  # TF pads with -inf: padding never wins the max
        top, bottom = tf_same_pads(x.shape[2], pool[0], strides[0])
        left, right = tf_same_pads(x.shape[3], pool[1], strides[1])
        x = F.pad(x, (left, right, top, bottom), value=-math.inf)
    return F.max_pool2d(x, tuple(pool), tuple(strides))


def upsample_nearest(x, sh, sw):
    return x.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)


# --------------------------------------------------------------------------
# The Keras layer list
# --------------------------------------------------------------------------

class Layer:
    def __init__(self, name, kind, inbound, cfg, params, shape):
        self.name = name          # Keras layer name
        self.kind = kind          # Keras class name
        self.inbound = inbound    # list of layer names
        self.cfg = cfg            # dict of kind-specific settings
        self.params = params      # list of (param, Keras shape)
        self.shape = shape        # output (H, W, C)

    def param_count(self):
        return sum(int(np.prod(s)) for _, s in self.params)


class GraphBuilder:
    """Appends layers in `model.layers` order, inferring output shapes and
    naming unnamed ZeroPadding2D/Add layers the tf.keras way (zero_padding2d,
    zero_padding2d_1, ...)."""

    def __init__(self):
        self.layers = []
        self.by_name = {}
        self.counters = {}

    def _auto(self, base):
        n = self.counters.get(base, 0)
        self.counters[base] = n + 1
        return base if n == 0 else "%s_%d" % (base, n)

    def _add(self, name, kind, inbound, cfg, params, shape):
        assert name not in self.by_name, name
        layer = Layer(name, kind, list(inbound), cfg, params, shape)
        self.layers.append(layer)
        self.by_name[name] = layer
        return name

    def shape(self, name):
        return self.by_name[name].shape

    def input(self, name, h, w, c):
        return self._add(name, "InputLayer", [], {}, [], (h, w, c))

    def batchnorm(self, name, x, eps, center=True, scale=True):
        c = self.shape(x)[2]
        params = ([("gamma", (c,))] if scale else []) + ([("beta", (c,))] if center else [])
        params += [("moving_mean", (c,)), ("moving_variance", (c,))]
        cfg = {"epsilon": eps, "center": center, "scale": scale}
        return self._add(name, "BatchNormalization", [x], cfg, params, self.shape(x))

    def activation(self, name, x, kind):
        return self._add(name, "Activation", [x], {"activation": kind}, [], self.shape(x))

    def zero_pad(self, x, pad):
        h, w, c = self.shape(x)
        return self._add(self._auto("zero_padding2d"), "ZeroPadding2D", [x],
                         {"padding": (pad, pad, pad, pad)}, [], (h + 2 * pad, w + 2 * pad, c))

    def conv(self, name, x, filters, k, s=1, padding="valid", use_bias=False):
        h, w, c = self.shape(x)
        if padding == "same":
            oh, ow = -(-h // s), -(-w // s)
        else:
            oh, ow = (h - k) // s + 1, (w - k) // s + 1
        params = [("kernel", (k, k, c, filters))] + ([("bias", (filters,))] if use_bias else [])
        cfg = {"filters": filters, "kernel": (k, k), "strides": (s, s), "padding": padding,
               "use_bias": use_bias}
        return self._add(name, "Conv2D", [x], cfg, params, (oh, ow, filters))

    def conv_transpose(self, name, x, filters, k, s, padding="same", use_bias=False):
        h, w, c = self.shape(x)
        oh = conv_transpose_out_size(h, k, s, padding)
        ow = conv_transpose_out_size(w, k, s, padding)
        params = [("kernel", (k, k, filters, c))] + ([("bias", (filters,))] if use_bias else [])
        cfg = {"filters": filters, "kernel": (k, k), "strides": (s, s), "padding": padding,
               "use_bias": use_bias}
        return self._add(name, "Conv2DTranspose", [x], cfg, params, (oh, ow, filters))

    def max_pool(self, name, x, pool, s):
        h, w, c = self.shape(x)
        cfg = {"pool": (pool, pool), "strides": (s, s), "padding": "valid"}
        return self._add(name, "MaxPooling2D", [x], cfg, [],
                         ((h - pool) // s + 1, (w - pool) // s + 1, c))

    def upsample(self, name, x, size):
        h, w, c = self.shape(x)
        return self._add(name, "UpSampling2D", [x], {"size": (size, size)}, [],
                         (h * size, w * size, c))

    def concat(self, name, xs):
        h, w, _ = self.shape(xs[0])
        for x in xs:
            assert self.shape(x)[:2] == (h, w), (name, x)
        c = sum(self.shape(x)[2] for x in xs)
        return self._add(name, "Concatenate", xs, {}, [], (h, w, c))

    def add(self, xs):
        shape = self.shape(xs[0])
        for x in xs:
            assert self.shape(x) == shape, xs
        return self._add(self._auto("add"), "Add", xs, {}, [], shape)


def _unit(g, x, stage, unit, filters):
    """One basic pre-activation unit; returns the Add's name."""
    p = "stage%d_unit%d_" % (stage, unit)
    stride = 2 if (unit == 1 and stage > 1) else 1
    bn1 = g.batchnorm(p + "bn1", x, BACKBONE_BN_EPS)
    relu1 = g.activation(p + "relu1", bn1, "relu")
    y = g.conv(p + "conv1", g.zero_pad(relu1, 1), filters, 3, stride)
    y = g.activation(p + "relu2", g.batchnorm(p + "bn2", y, BACKBONE_BN_EPS), "relu")
    y = g.conv(p + "conv2", g.zero_pad(y, 1), filters, 3, 1)
    if unit == 1:  # kinds A and B: 1x1 conv shortcut on relu1
        shortcut = g.conv(p + "sc", relu1, filters, 1, stride)
    else:          # kind C: identity from the unit input
        shortcut = x
    return g.add([y, shortcut])


def build_unet(backbone="resnet34", height=256, width=256, channels=3, classes=1,
               decoder_block_type="upsampling", decoder_filters=DECODER_FILTERS,
               decoder_use_batchnorm=True, activation="sigmoid"):
    """The Keras Unet layer list (model.layers order) as [Layer]."""
    if decoder_block_type not in ("upsampling", "transpose"):
        raise ValueError(decoder_block_type)
    g = GraphBuilder()
    # backbone
    x = g.input("data", height, width, channels)
    x = g.batchnorm("bn_data", x, BACKBONE_BN_EPS, scale=False)
    x = g.conv("conv0", g.zero_pad(x, 3), 64, 7, 2)
    x = g.activation("relu0", g.batchnorm("bn0", x, BACKBONE_BN_EPS), "relu")
    x = g.max_pool("pooling0", g.zero_pad(x, 1), 3, 2)
    for s, n_units in enumerate(UNITS[backbone], start=1):
        for u in range(1, n_units + 1):
            x = _unit(g, x, s, u, 64 * 2 ** (s - 1))
    x = g.activation("relu1", g.batchnorm("bn1", x, BACKBONE_BN_EPS), "relu")

    # decoder
    def conv_block(name, x, filters):
        x = g.conv(name + "_conv", x, filters, 3, 1, "same", use_bias=not decoder_use_batchnorm)
        if decoder_use_batchnorm:
            x = g.batchnorm(name + "_bn", x, DECODER_BN_EPS)
        return g.activation(name + "_relu", x, "relu")

    for i, filters in enumerate(decoder_filters):
        skip = SKIPS[i] if i < len(SKIPS) else None
        p = "decoder_stage%d" % i
        if decoder_block_type == "upsampling":
            x = g.upsample(p + "_upsampling", x, 2)
            if skip:
                x = g.concat(p + "_concat", [x, skip])
            x = conv_block(p + "a", x, filters)
            x = conv_block(p + "b", x, filters)
        else:
            x = g.conv_transpose(p + "a_transpose", x, filters, 4, 2, "same",
                                 use_bias=not decoder_use_batchnorm)
            if decoder_use_batchnorm:
                x = g.batchnorm(p + "a_bn", x, DECODER_BN_EPS)
            x = g.activation(p + "a_relu", x, "relu")
            if skip:
                x = g.concat(p + "_concat", [x, skip])
            x = conv_block(p + "b", x, filters)
    x = g.conv("final_conv", x, classes, 3, 1, "same", use_bias=True)
    g.activation(activation, x, activation)
    return g.layers


def param_specs(layers):
    """[(\"{layer}/{param}\", Keras shape)] in model order."""
    return [("%s/%s" % (L.name, p), shape) for L in layers for p, shape in L.params]


def param_totals(layers):
    """(total, trainable, non_trainable) with Keras rules (BN moving stats
    are non-trainable)."""
    total = non_trainable = 0
    for L in layers:
        for p, shape in L.params:
            n = int(np.prod(shape))
            total += n
            if p in ("moving_mean", "moving_variance"):
                non_trainable += n
    return total, total - non_trainable, non_trainable


# --------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------

def forward(layers, weights, x_nhwc, record=()):
    """Run the layer list. `weights` maps "{layer}/{param}" to Keras-layout
    arrays (used in float64); `x_nhwc` is (N, H, W, C). Returns (output NHWC
    numpy float64, {name: NHWC activation} for the names in `record`, or for
    every layer if record == "all")."""
    def w(layer, p):
        return weights.get("%s/%s" % (layer.name, p))

    outs = {}
    acts = {}
    for L in layers:
        ins = [outs[n] for n in L.inbound]
        c = L.cfg
        if L.kind == "InputLayer":
            y = nhwc_to_nchw(x_nhwc)
        elif L.kind == "BatchNormalization":
            y = batchnorm(ins[0], w(L, "moving_mean"), w(L, "moving_variance"),
                          w(L, "gamma") if c["scale"] else None,
                          w(L, "beta") if c["center"] else None, c["epsilon"])
        elif L.kind == "Activation":
            y = activation(ins[0], c["activation"])
        elif L.kind == "ZeroPadding2D":
            y = zero_pad(ins[0], *c["padding"])
        elif L.kind == "Conv2D":
            y = conv2d(ins[0], w(L, "kernel"), w(L, "bias") if c["use_bias"] else None,
                       c["strides"], c["padding"])
        elif L.kind == "Conv2DTranspose":
            y = conv2d_transpose(ins[0], w(L, "kernel"), w(L, "bias") if c["use_bias"] else None,
                                 c["strides"], c["padding"])
        elif L.kind == "MaxPooling2D":
            y = max_pool(ins[0], c["pool"], c["strides"], c["padding"])
        elif L.kind == "UpSampling2D":
            y = upsample_nearest(ins[0], *c["size"])
        elif L.kind == "Concatenate":
            y = torch.cat(ins, dim=1)
        elif L.kind == "Add":
            y = ins[0]
            for t in ins[1:]:
                y = y + t
        else:
            raise ValueError(L.kind)
        assert tuple(y.shape[1:]) == (L.shape[2], L.shape[0], L.shape[1]), (L.name, y.shape)
        outs[L.name] = y
        if record == "all" or L.name in record:
            acts[L.name] = nchw_to_nhwc(y)
    return nchw_to_nhwc(outs[layers[-1].name]), acts


# --------------------------------------------------------------------------
# Check against the golden summary tables
# --------------------------------------------------------------------------

SPEC_DIR = os.environ.get("UNETSEG_SPEC_DIR", "/work/shared/spec")
_ROW = re.compile(r"^(\d+)\s+(\S+)\s+(\S+)\s+\(None, (\d+), (\d+), (\d+)\)\s+(\d+)\s*(.*)$")


def parse_summary(path):
    """({config}, [(name, kind, (h,w,c), params, [inbound])], {totals})."""
    import json
    rows, totals = [], {}
    with open(path) as f:
        first = f.readline()
        config = json.loads(first[first.index("{"):])
        for line in f:
            m = _ROW.match(line.rstrip("\n"))
            if m:
                inbound = [s.strip() for s in m.group(8).split(",") if s.strip()]
                rows.append((m.group(2), m.group(3),
                             (int(m.group(4)), int(m.group(5)), int(m.group(6))),
                             int(m.group(7)), inbound))
                continue
            m = re.match(r"^(Total|Trainable|Non-trainable) params: ([\d,]+)", line)
            if m:
                totals[m.group(1)] = int(m.group(2).replace(",", ""))
    return config, rows, totals


def check_summary(path):
    config, rows, totals = parse_summary(path)
    size = re.search(r"_(\d+)x(\d+)_", os.path.basename(path))
    layers = build_unet(config["backbone"], int(size.group(1)), int(size.group(2)), 3,
                        config["classes"], config["decoder_block_type"],
                        tuple(config["decoder_filters"]), config["decoder_use_batchnorm"],
                        config["activation"])
    mine = [(L.name, L.kind, tuple(L.shape), L.param_count(), L.inbound) for L in layers]
    problems = []
    if len(mine) != len(rows):
        problems.append("layer count %d != %d" % (len(mine), len(rows)))
    for i, (a, b) in enumerate(zip(mine, rows)):
        if a != b:
            problems.append("row %d: mine %r, table %r" % (i, a, b))
            if len(problems) > 5:
                break
    total, trainable, non_trainable = param_totals(layers)
    got = {"Total": total, "Trainable": trainable, "Non-trainable": non_trainable}
    for key, want in totals.items():
        if got[key] != want:
            problems.append("%s params %d != table %d" % (key, got[key], want))
    n_backbone = next(i for i, L in enumerate(layers) if L.name == "relu1") + 1
    if config.get("n_backbone_layers") not in (None, n_backbone):
        problems.append("backbone layers %d != %d" % (n_backbone, config["n_backbone_layers"]))
    return layers, got, totals, problems


def main():
    paths = sorted(p for p in os.listdir(SPEC_DIR) if p.endswith(".summary.txt"))
    if not paths:
        print("no golden tables in %s" % SPEC_DIR)
        return 1
    failed = 0
    for p in paths:
        layers, got, totals, problems = check_summary(os.path.join(SPEC_DIR, p))
        status = "OK" if not problems else "MISMATCH"
        print("%-52s %3d layers  total %s (table %s)  trainable %s  non-trainable %s  %s"
              % (p, len(layers), format(got["Total"], ","), format(totals.get("Total", -1), ","),
                 format(got["Trainable"], ","), format(got["Non-trainable"], ","), status))
        for line in problems:
            print("   ", line)
        failed += bool(problems)
    # the brief's fixed number for resnet18 upsampling classes=1
    t = param_totals(build_unet("resnet18", 64, 64))[0]
    print("resnet18 upsampling classes=1 total params: %s (expected 14,340,570) %s"
          % (format(t, ","), "OK" if t == 14340570 else "MISMATCH"))
    failed += t != 14340570
    t = param_totals(build_unet("resnet18", 64, 64, decoder_block_type="transpose"))
    print("resnet18 transpose classes=1 totals: %s / %s / %s (no golden table)"
          % tuple(format(v, ",") for v in t))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
