"""End-to-end tests of the `unetseg` command-line tool (summary, init, predict).

Run from the repository root: python3 tests/python/test_cli.py (needs numpy
only). `predict` is checked against the committed PyTorch parity fixture: the
weights are the formula of tests/gen/formula_weights.py written into a plain
safetensors file without unetseg metadata, like weights converted from Keras.
"""
import os
import sys
import tempfile

from cli_helpers import ROOT, check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402
from formula_weights import formula_values  # noqa: E402

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "parity_resnet18_upsampling_64.safetensors")
MODEL = ["--backbone", "resnet18", "--size", "64x64x3"]


def main():
    golden = os.path.join(ROOT, "tests", "fixtures", "unet_resnet18_64x64_classes1.summary.txt")
    r = run("summary", *MODEL)
    check(r.returncode == 0 and r.stdout == open(golden).read(), "summary matches the golden table")
    r = run("summary", "--backbone", "resnet50")
    check(r.returncode == 2 and "resnet50" in r.stderr, "unknown backbone is a usage error (2)")
    r = run("frobnicate")
    check(r.returncode == 2, "unknown command exits 2")
    check(run("--version").stdout.startswith("unetseg "), "--version")
    r = run("--version", "--verbose")
    check(r.returncode == 0 and "cpu features: " in r.stdout and "gemm kernels: " in r.stdout
          and "openblas: " in r.stdout, "--version --verbose prints the runtime info")
    r = run("--version", "--verbose", env={"UNETSEG_ISA": "blas"})
    check("gemm kernels: blas (OpenBLAS; UNETSEG_ISA=blas)" in r.stdout,
          "UNETSEG_ISA=blas selects (and names) the OpenBLAS variant")

    with tempfile.TemporaryDirectory() as tmp:
        init = os.path.join(tmp, "init.safetensors")
        r = run("init", *MODEL, "--output", init)
        check(r.returncode == 0 and os.path.exists(init), "init writes a weights file")
        tensors, meta = st_io.read(init)
        check("unetseg.graph" in meta, "init's file carries the model description")

        # The same names and shapes, formula values, no metadata (Keras-like).
        plain = os.path.join(tmp, "plain.safetensors")
        st_io.write(plain, {k: formula_values(k, v.shape) for k, v in tensors.items()})
        out = os.path.join(tmp, "out.safetensors")
        r = run("predict", *MODEL, "--weights", plain, "--input", FIXTURE, "--output", out,
                "--dump", "conv0,relu1,final_conv")
        check(r.returncode == 0, "predict with converted weights: " + r.stderr.strip())
        got, _ = st_io.read(out)
        ref, _ = st_io.read(FIXTURE)
        for key, ref_key in (("output", "output"), ("act/conv0", "act/conv0"),
                             ("act/relu1", "act/relu1"), ("act/final_conv", "act/final_conv")):
            g, w = got[key].astype(np.float64), ref[ref_key].astype(np.float64)
            err = np.abs(g - w).max() / np.abs(w).max()
            check(g.shape == w.shape and err <= 1e-4, f"{key} matches PyTorch (rel {err:.2e})")

        # Metadata path: no model options needed.
        r = run("predict", "--weights", init, "--input", FIXTURE, "--output", out)
        got, _ = st_io.read(out)
        check(r.returncode == 0 and got["output"].shape == (1, 64, 64, 1),
              "predict rebuilds the model from the weights file")

        # --kernel-cache changes the memory and the time, never the output:
        # three passes (kernels are kept from the second) under no budget,
        # a small one and the default give the same bits.
        outs = []
        for extra in ([], ["--kernel-cache", "0"], ["--kernel-cache", "1"]):
            path = os.path.join(tmp, f"cache{len(outs)}.safetensors")
            r = run("predict", "--weights", plain, *MODEL, "--input", FIXTURE, "--output", path,
                    "--repeat", "3", *extra)
            check(r.returncode == 0 and "forward_ms_median=" in r.stderr,
                  f"predict --repeat 3 {' '.join(extra)}: " + r.stderr.strip()[-200:])
            outs.append(st_io.read(path)[0]["output"])
        check(all(o.tobytes() == outs[0].tobytes() for o in outs),
              "--kernel-cache 0 / 1 / default: the same output bits")

        # --profile: the per-layer table of the 3 timed passes on stderr
        # (not the warm-up, not the pass that writes the output); same bits.
        path = os.path.join(tmp, "profiled.safetensors")
        r = run("predict", "--weights", plain, *MODEL, "--input", FIXTURE, "--output", path,
                "--repeat", "3", "--profile")
        check(r.returncode == 0 and "Profile of 3 inference passes" in r.stderr
              and "conv0" in r.stderr and "idle %" in r.stderr,
              "predict --repeat 3 --profile prints the table: " + r.stderr.strip()[-300:])
        check(st_io.read(path)[0]["output"].tobytes() == outs[0].tobytes(),
              "--profile: the same output bits")
        r = run("predict", "--weights", plain, *MODEL, "--input", FIXTURE, "--output", path,
                "--profile")
        check(r.returncode == 0 and "Profile of 1 inference pass:" in r.stderr,
              "predict --profile without --repeat: the table of the run's pass")

        bad = os.path.join(tmp, "bad_input.safetensors")
        st_io.write(bad, {"input": np.zeros((1, 48, 64, 3), np.float32)})
        r = run("predict", "--weights", init, "--input", bad, "--output", out)
        check(r.returncode == 1 and "divisible by 32" in r.stderr, "48x64 input: runtime error (1)")
        r = run("predict", "--weights", os.path.join(tmp, "nope"), "--input", FIXTURE,
                "--output", out)
        check(r.returncode == 1 and "nope" in r.stderr, "missing weights file names the file")
        r = run("predict", "--weights", init)
        check(r.returncode == 2, "missing --input/--output is a usage error")

    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
