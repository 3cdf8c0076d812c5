"""The same network in PyTorch, for side-by-side timing (bench/run_bench.py).

Keras' Unet('resnet34') as a float32 nn.Module: pre-activation ResNet34 with
bn_data, the four 1x1 `sc` shortcuts and bn1/relu1, the upsampling decoder
(256, 128, 64, 32, 16) and final_conv + sigmoid. Symmetric ZeroPadding2D +
'valid' conv is written as the conv's own padding (the same arithmetic, the
way a PyTorch user would write it). `keras_tensors` / `load_keras_tensors`
map the modules to the Keras "{layer}/{param}" tensors (HWIO kernels) that
unetseg loads, so both engines run the weights of one file.

    python3 torch_unet.py fwd|mc|train BATCH SIZE THREADS REPEAT [VARIANT] [key=value ...]
prints `median_ms=X peak_rss_kb=Y min_ms=M` (the median and the fastest of
REPEAT runs). fwd/mc run in eval() + inference_mode; mc adds Dropout2d(0.2)
after the decoder convs, kept in train mode (the smp recipe), for 10 samples;
train is one Adam step with BCE. VARIANT:
`channels_last` (the default: eager, channels_last), `nchw` (eager NCHW),
`frozen` (fwd only: torch.jit.trace + torch.jit.freeze of the eval model,
NCHW; freezing folds BatchNorm into the convs), `frozen_cl` (the same in
channels_last) or `frozen_opt` (frozen, then torch.jit.optimize_for_inference,
which runs the convolutions on oneDNN's blocked layout with prepacked
weights: the fastest PyTorch forward we found). Keys: weights=FILE (safetensors, Keras names; without it the
PyTorch default initialisation), input=FILE (safetensors with `images`
(N, H, W, 3) and `masks` (N, H, W, 1), NHWC; without it uniform 0..255
noise), dump=FILE (fwd: run the variant once and write its output as raw
float32 in NHWC order instead of timing).

    python3 torch_unet.py export BATCH SIZE weights=FILE out=FILE.onnx
writes the eval model (NCHW input "images", output "mask") as ONNX, opset 13.

    python3 torch_unet.py isa
prints `aten_capability=X` and runs one small conv (with DNNL_VERBOSE=1 in
the environment oneDNN then prints the ISA it uses).
"""
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Unit(nn.Module):
    def __init__(self, cin, cout, stride, shortcut):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=2e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=2e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.sc = nn.Conv2d(cin, cout, 1, stride, bias=False) if shortcut else None

    def forward(self, x):
        r = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(r))))
        return y + (self.sc(r) if self.sc is not None else x)


class Block(nn.Module):
    def __init__(self, cin, cout, dropout):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=1e-3)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.d1 = nn.Dropout2d(0.2) if dropout else nn.Identity()
        self.d2 = nn.Dropout2d(0.2) if dropout else nn.Identity()

    def forward(self, x, skip):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], 1)
        x = F.relu(self.b1(self.d1(self.c1(x))))
        return F.relu(self.b2(self.d2(self.c2(x))))


class Unet(nn.Module):
    def __init__(self, dropout=False):
        super().__init__()
        self.bn_data = nn.BatchNorm2d(3, eps=2e-5)
        self.conv0 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn0 = nn.BatchNorm2d(64, eps=2e-5)
        units, cin, stages = (3, 4, 6, 3), 64, []
        for s, n in enumerate(units):
            cout = 64 * 2 ** s
            stages.append(nn.ModuleList(
                [Unit(cin if u == 0 else cout, cout, 2 if (s > 0 and u == 0) else 1, u == 0)
                 for u in range(n)]))
            cin = cout
        self.stages = nn.ModuleList(stages)
        self.bn1 = nn.BatchNorm2d(512, eps=2e-5)
        skips, filters, blocks, cin = (256, 128, 64, 64, 0), (256, 128, 64, 32, 16), [], 512
        for f, sk in zip(filters, skips):
            blocks.append(Block(cin + sk, f, dropout))
            cin = f
        self.blocks = nn.ModuleList(blocks)
        self.final_conv = nn.Conv2d(16, 1, 3, 1, 1)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv0(self.bn_data(x))))
        skips = [x]
        x = F.max_pool2d(x, 3, 2, 1)
        for s, units in enumerate(self.stages):
            for u, unit in enumerate(units):
                if u == 0 and s > 0:
                    skips.append(F.relu(unit.bn1(x)))  # stage{s+1}_unit1_relu1
                x = unit(x)
        x = F.relu(self.bn1(x))
        skips = skips[::-1] + [None]
        for block, skip in zip(self.blocks, skips):
            x = block(x, skip)
        return torch.sigmoid(self.final_conv(x))




# ------------------------------------------------------------ Keras names
def keras_modules(model):
    """[(Keras layer name, module)] of every layer with parameters, in the
    Keras model order (bn_data has scale=False: no gamma in Keras)."""
    out = [("bn_data", model.bn_data), ("conv0", model.conv0), ("bn0", model.bn0)]
    for s, units in enumerate(model.stages):
        for u, unit in enumerate(units):
            p = "stage%d_unit%d_" % (s + 1, u + 1)
            out += [(p + "bn1", unit.bn1), (p + "conv1", unit.conv1), (p + "bn2", unit.bn2),
                    (p + "conv2", unit.conv2)]
            if unit.sc is not None:
                out.append((p + "sc", unit.sc))
    out.append(("bn1", model.bn1))
    for i, b in enumerate(model.blocks):
        p = "decoder_stage%d" % i
        out += [(p + "a_conv", b.c1), (p + "a_bn", b.b1), (p + "b_conv", b.c2), (p + "b_bn", b.b2)]
    out.append(("final_conv", model.final_conv))
    return out


def keras_tensors(model):
    """{"{layer}/{param}": float32 numpy array in Keras layout}: Conv2D
    kernels HWIO (torch OIHW), BatchNorm gamma/beta/moving_mean/variance."""
    import numpy as np
    out = {}
    for name, m in keras_modules(model):
        if isinstance(m, nn.Conv2d):
            out[name + "/kernel"] = m.weight.detach().permute(2, 3, 1, 0).float().numpy()
            if m.bias is not None:
                out[name + "/bias"] = m.bias.detach().float().numpy()
        else:
            if name != "bn_data":
                out[name + "/gamma"] = m.weight.detach().float().numpy()
            out[name + "/beta"] = m.bias.detach().float().numpy()
            out[name + "/moving_mean"] = m.running_mean.float().numpy()
            out[name + "/moving_variance"] = m.running_var.float().numpy()
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def load_keras_tensors(model, tensors):
    """The inverse of keras_tensors: copy every tensor into the model (all
    must be there, with the right shapes; bn_data's gamma is set to 1)."""
    used = set()

    def take(key, like):
        t = torch.from_numpy(tensors[key])
        used.add(key)
        if t.shape != like.shape:
            raise ValueError("%s: shape %s, the model wants %s" % (key, tuple(t.shape), tuple(like.shape)))
        return t

    with torch.no_grad():
        for name, m in keras_modules(model):
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(take(name + "/kernel", m.weight.permute(2, 3, 1, 0)).permute(3, 2, 0, 1))
                if m.bias is not None:
                    m.bias.copy_(take(name + "/bias", m.bias))
            else:
                if name == "bn_data":
                    m.weight.fill_(1.0)
                else:
                    m.weight.copy_(take(name + "/gamma", m.weight))
                m.bias.copy_(take(name + "/beta", m.bias))
                m.running_mean.copy_(take(name + "/moving_mean", m.running_mean))
                m.running_var.copy_(take(name + "/moving_variance", m.running_var))
    extra = sorted(set(tensors) - used)
    if extra:
        raise ValueError("tensors the model does not have: %s" % ", ".join(extra[:5]))


def read_safetensors(path, names=None):
    """{name: float32 numpy array} of an F32 safetensors file, reading only
    the tensors asked for (all without `names`), one at a time."""
    import json
    import struct

    import numpy as np
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        out = {}
        for name, info in header.items():
            if names is not None and name not in names:
                continue
            if info["dtype"] != "F32":
                raise ValueError("%s: %s is %s, not F32" % (path, name, info["dtype"]))
            begin, end = info["data_offsets"]
            f.seek(8 + n + begin)
            out[name] = np.fromfile(f, dtype="<f4", count=(end - begin) // 4).reshape(info["shape"])
    return out


def build(mode, weights):
    model = Unet(dropout=mode == "mc")
    if weights:
        load_keras_tensors(model, read_safetensors(weights))
    model.bn_data.weight.requires_grad_(False)  # Keras: scale=False
    return model


def export_onnx(batch, size, weights, out):
    import warnings
    warnings.filterwarnings("ignore")  # the exporter's notes on shape inference
    model = build("fwd", weights).eval()
    x = torch.zeros(batch, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(model, x, out, opset_version=13, input_names=["images"],
                          output_names=["mask"], do_constant_folding=True)


def main():
    args = [a for a in sys.argv[1:] if "=" not in a]
    keys = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    if args and args[0] == "isa":
        # What this process's kernels use: ATen's vectorised kernels (capped
        # by ATEN_CPU_CAPABILITY) and oneDNN's (capped by DNNL_MAX_CPU_ISA;
        # run with DNNL_VERBOSE=1, oneDNN prints its ISA with the first conv).
        show = re.search(r"CPU capability usage: (\w+)", torch.__config__.show())
        print("aten_capability=" + (show.group(1) if show else "unknown"), flush=True)
        with torch.no_grad():  # a size that PyTorch gives to oneDNN
            x = torch.ones(1, 64, 32, 32).to(memory_format=torch.channels_last)
            nn.Conv2d(64, 64, 3).to(memory_format=torch.channels_last)(x)
        return
    if args and args[0] == "export":
        export_onnx(int(args[1]), int(args[2]), keys.get("weights"), keys["out"])
        return
    mode, batch, size, threads, repeat = args[0], *map(int, args[1:5])
    variant = args[5] if len(args) > 5 else "channels_last"
    if variant not in ("channels_last", "nchw", "frozen", "frozen_cl", "frozen_opt"):
        sys.exit("unknown variant " + variant)
    if variant in ("frozen", "frozen_cl", "frozen_opt") and mode != "fwd":
        sys.exit("frozen variants are for fwd only")
    torch.set_num_threads(threads)
    fmt = torch.channels_last if variant in ("channels_last", "frozen_cl") else torch.contiguous_format
    model = build(mode, keys.get("weights")).to(memory_format=fmt)
    if "input" in keys:
        t = read_safetensors(keys["input"], {"images", "masks"})
        x = torch.from_numpy(t["images"]).permute(0, 3, 1, 2)
        y = torch.from_numpy(t["masks"]).permute(0, 3, 1, 2)
        if tuple(x.shape) != (batch, 3, size, size):
            sys.exit("input %s has images of shape %s" % (keys["input"], tuple(t["images"].shape)))
    else:
        x = torch.rand(batch, 3, size, size).mul(255)
        y = (torch.rand(batch, 1, size, size) > 0.5).float()
    x = x.contiguous(memory_format=fmt)
    y = y.contiguous(memory_format=fmt)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3, eps=1e-7)
    frozen = None
    if variant in ("frozen", "frozen_cl", "frozen_opt"):
        model.eval()
        with torch.no_grad():
            frozen = torch.jit.freeze(torch.jit.trace(model, x))
            if variant == "frozen_opt":
                frozen = torch.jit.optimize_for_inference(frozen)

    def run():
        if mode == "train":
            model.train()
            opt.zero_grad()
            loss = F.binary_cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return None
        model.eval()
        with torch.inference_mode():
            if mode == "mc":
                for m in model.modules():
                    if isinstance(m, nn.Dropout2d):
                        m.train()
                samples = torch.stack([model(x) for _ in range(10)])
                return samples.mean(0), samples.std(0)
            return (frozen or model)(x)

    if "dump" in keys:
        if mode != "fwd":
            sys.exit("dump= is for fwd only")
        out = run()
        out.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(keys["dump"])
        return
    # TorchScript's profiling executor optimises a graph over its first runs:
    # three untimed runs for the frozen variants, one for eager.
    warmup = 3 if frozen is not None else 1
    times = []
    for r in range(repeat + warmup):
        t0 = time.perf_counter()
        run()
        if r >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"median_ms={times[len(times) // 2]:.2f} peak_rss_kb={rss} min_ms={times[0]:.2f}")


if __name__ == "__main__":
    main()
