"""The same network in PyTorch, for side-by-side timing (bench/run_bench.py).

Keras' Unet('resnet34') as a float32 nn.Module: pre-activation ResNet34 with
bn_data, the four 1x1 `sc` shortcuts and bn1/relu1, the upsampling decoder
(256, 128, 64, 32, 16) and final_conv + sigmoid. Symmetric ZeroPadding2D +
'valid' conv is written as the conv's own padding (the same arithmetic, the
way a PyTorch user would write it). Weights are not loaded: timing only.

    python3 torch_unet.py fwd|mc|train BATCH SIZE THREADS REPEAT [VARIANT]
prints `median_ms=X peak_rss_kb=Y`. fwd/mc run in eval() + inference_mode;
mc adds Dropout2d(0.2) after the decoder convs, kept in train mode (the smp
recipe), for 10 samples; train is one Adam step with BCE. VARIANT:
`channels_last` (the default: eager, channels_last, as the issue specifies)
or `nchw` (eager NCHW; for fwd also torch.jit.trace + freeze, which folds
BatchNorm into the convs: the fastest PyTorch we found on this machine).
"""
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


def main():
    mode, batch, size, threads, repeat = sys.argv[1], *map(int, sys.argv[2:6])
    variant = sys.argv[6] if len(sys.argv) > 6 else "channels_last"
    torch.set_num_threads(threads)
    fmt = torch.channels_last if variant == "channels_last" else torch.contiguous_format
    model = Unet(dropout=mode == "mc").to(memory_format=fmt)
    x = torch.rand(batch, 3, size, size).mul(255).to(memory_format=fmt)
    y = (torch.rand(batch, 1, size, size) > 0.5).float().to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    frozen = None
    if variant == "nchw" and mode == "fwd":
        model.eval()
        with torch.no_grad():
            frozen = torch.jit.freeze(torch.jit.trace(model, x))

    def run():
        if mode == "train":
            model.train()
            opt.zero_grad()
            loss = F.binary_cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return
        model.eval()
        with torch.inference_mode():
            if mode == "mc":
                for m in model.modules():
                    if isinstance(m, nn.Dropout2d):
                        m.train()
                for _ in range(10):
                    model(x)
            else:
                (frozen or model)(x)

    times = []
    for r in range(repeat + 1):
        t0 = time.perf_counter()
        run()
        if r:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"median_ms={times[len(times) // 2]:.2f} peak_rss_kb={rss}")


if __name__ == "__main__":
    main()
