"""unetseg's output against a float64 PyTorch reference on the bench's weights.

    python3 bench/accuracy_f64.py [SIZE]

Runs after `make bench` has written build/bench/weights.safetensors and the
input (bench/make_bench_weights.py): the torch model of bench/torch_unet.py is
loaded with the same weights and run in float64; unetseg runs the same input
with Winograd (the default) and with UNETSEG_NO_WINOGRAD=1, and under each GEMM
kernel variant this CPU has (UNETSEG_ISA). Prints max |unetseg - float64| /
max |float64| for each; issue 12 asks for <= 1e-4 with Winograd on.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import torch_unet  # noqa: E402

BENCH = os.path.join(ROOT, "build", "bench")


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    weights = os.path.join(BENCH, "weights.safetensors")
    inp = os.path.join(BENCH, "input_b1_%d.safetensors" % size)
    model = torch_unet.build("fwd", weights).double().eval()
    x = torch_unet.read_safetensors(inp, {"images"})["images"]
    with torch.no_grad():
        ref = model(torch.from_numpy(x).double().permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    scale = float(np.max(np.abs(ref)))
    runs = [("float32 PyTorch (eager NCHW)", None, {})]
    for isa in ("avx512", "avx2", "blas"):
        runs.append(("unetseg %s, Winograd" % isa, isa, {}))
        runs.append(("unetseg %s, im2col only" % isa, isa, {"UNETSEG_NO_WINOGRAD": "1"}))
    print("size %dx%d, max|float64 output| %.4g" % (size, size, scale))
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "out.f32")
        for label, isa, extra in runs:
            if isa is None:
                with torch.no_grad():
                    got = torch_unet.build("fwd", weights).eval()(
                        torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
            else:
                env = dict(os.environ, UNETSEG_ISA=isa, **extra)
                cmd = [os.path.join(BENCH, "bench_unetseg"), "fwd", "1", str(size), "1", "1",
                       "weights=" + weights, "input=" + inp, "dump=" + dump]
                subprocess.run(cmd, check=True, env=env, capture_output=True)
                got = np.fromfile(dump, dtype="<f4").reshape(ref.shape)
            err = float(np.max(np.abs(got.astype(np.float64) - ref)))
            print("  %-32s max|err| %.3g  relative %.2e" % (label, err, err / scale))


if __name__ == "__main__":
    main()
