"""End-to-end tests of dropout in the `unetseg` command-line tool: `match`
(dry runs of the predicate language), `summary --insert` and `predict
--insert ... [--mc T --mc-seed S]` (docs/dropout.md).

Run from anywhere: python3 tests/python/test_cli_dropout.py (needs numpy
only; exits 1 on failure). The predict checks use a resnet18 64x64 model
written by `unetseg init`.
"""
import math
import os
import re
import sys
import tempfile

from cli_helpers import CLI, check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402

MODEL = ["--backbone", "resnet18", "--size", "64x64x3"]
LN2 = math.log(2.0)


def summary_rows(text):
    """(index, name, type) of every layer row of a `unetseg summary` table."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^(\d+)\s+(\S+)\s+(\S+)\s+\(", line)
        if m:
            rows.append((int(m.group(1)), m.group(2), m.group(3)))
    return rows


def check_match():
    # Layer order of the default model (resnet34, 256x256x3), as summary prints it.
    r = run("summary")
    order = {name: i for i, name, _ in summary_rows(r.stdout)}
    check(r.returncode == 0 and len(order) == 199, "summary of Unet('resnet34') has 199 layers")

    r = run("match", "conv & stage & region=encoder")
    names = r.stdout.split()
    check(r.returncode == 0, "match 'conv & stage & region=encoder' exits 0")
    check(len(names) == 32, f"... prints 32 names (got {len(names)})")
    check(r.stdout == "".join(n + "\n" for n in names), "... one name per line")
    check(all(n.startswith("stage") and "conv" in n for n in names),
          "... every name starts with 'stage' and contains 'conv'")
    check(len(set(names)) == len(names) and all(n in order for n in names),
          "... distinct names of real layers")
    idx = [order.get(n, -1) for n in names]
    check(idx == sorted(idx), "... in layer order")
    check("32 of 199 layers match" in r.stderr, "... '32 of 199 layers match' on stderr: "
          + r.stderr.strip())

    # The predicates of the popular Keras recipe, as the dry run sees them.
    r = run("match", "conv & stage")
    check(r.returncode == 0 and len(r.stdout.split()) == 42
          and any(n.startswith("decoder_stage") for n in r.stdout.split()),
          "'conv & stage' also reaches the decoder (42 layers)")
    r = run("match", "relu1")
    check(r.returncode == 0 and len(r.stdout.split()) == 17, "'relu1' matches 17 layers")
    r = run("match", "glob:relu1")
    check(r.returncode == 0 and r.stdout == "relu1\n" and "1 of 199 layers match" in r.stderr,
          "'glob:relu1' matches the encoder output only")

    r = run("match", "block")
    check(r.returncode == 3, f"match 'block' exits 3 (got {r.returncode})")
    check("no layer name contains 'block'" in r.stderr,
          "... stderr says no layer name contains 'block': "
          + (r.stderr.strip().splitlines() or [""])[-1][:80])
    check(r.stdout == "" and "0 of 199 layers match" in r.stderr, "... prints no name, 0 of 199")

    r = run("match", "conv &")
    check(r.returncode == 2, f"match 'conv &' is a usage error (2) (got {r.returncode})")
    check("column" in r.stderr, "... the message gives the column: " + r.stderr.strip())
    check("column 7" in r.stderr, "... column 7, just past the '&'")


def check_summary():
    r = run("summary", "--insert", "glob:relu1", "--dropout", "spatial", "--rate", "0.2")
    check(r.returncode == 0, "summary --insert glob:relu1 --dropout spatial exits 0: "
          + r.stderr.strip())
    rows = summary_rows(r.stdout)
    row = [x for x in rows if x[1] == "relu1_dropout"]
    check(len(row) == 1 and row[0][2] == "SpatialDropout2D",
          "... lists a 'relu1_dropout ... SpatialDropout2D' row")
    check(re.search(r"^\d+\s+relu1_dropout\s+SpatialDropout2D\s", r.stdout, re.M) is not None,
          "... the row reads 'relu1_dropout  SpatialDropout2D'")
    after = [x for x in rows if x[1] == "decoder_stage0_upsampling"]
    check(len(row) == 1 and len(after) == 1 and after[0][0] == row[0][0] + 1,
          "... right after relu1, before the decoder")
    check(len(rows) == 200, f"... 200 layer rows (got {len(rows)})")
    check(re.search(r"^Layers \(incl\. InputLayer 'data'\): 200\b", r.stdout, re.M) is not None,
          "... and the footer counts 200 layers")
    check("inserted 1 layer(s) at 'glob:relu1'" in r.stderr, "... and says it inserted 1 layer")

    r = run("summary", "--insert", "block")
    check(r.returncode == 3, f"summary --insert block exits 3 (got {r.returncode})")
    check("no layer name contains 'block'" in r.stderr, "... and explains why")
    check(r.stdout == "", "... and prints no table")


def check_predict(tmp):
    weights = os.path.join(tmp, "w.safetensors")
    r = run("init", *MODEL, "--output", weights)
    check(r.returncode == 0 and os.path.exists(weights), "init writes a resnet18 64x64 model")
    x = os.path.join(tmp, "x.safetensors")
    rng = np.random.default_rng(20240611)
    st_io.write(x, {"input": rng.uniform(0.0, 255.0, (1, 64, 64, 3)).astype(np.float32)})

    mc_args = ["--insert", "glob:stage*_unit*_conv2", "--dropout", "conditional",
               "--rate", "0.4", "--mode", "always", "--mc", "4"]

    def predict_mc(name, seed=None):
        out = os.path.join(tmp, name)
        extra = [] if seed is None else ["--mc-seed", str(seed)]
        r = run("predict", "--weights", weights, "--input", x, "--output", out, *mc_args, *extra)
        tensors = st_io.read(out)[0] if r.returncode == 0 else {}
        return r, tensors

    r, t = predict_mc("mc_a.safetensors", 7)
    check(r.returncode == 0, "predict --insert ... --mc 4 exits 0: " + r.stderr.strip())
    check("inserted 8 layer(s) at 'glob:stage*_unit*_conv2'" in r.stderr,
          "... inserts 8 ConditionalDropout layers in resnet18")
    check(sorted(t) == ["entropy", "mean", "std"], f"... writes mean, std, entropy ({sorted(t)})")
    if sorted(t) != ["entropy", "mean", "std"]:
        return
    mean, std, ent = t["mean"], t["std"], t["entropy"]
    check(mean.shape == (1, 64, 64, 1) and std.shape == (1, 64, 64, 1),
          f"... mean and std are (1, 64, 64, 1) ({mean.shape}, {std.shape})")
    check(ent.shape == (1, 64, 64, 1), f"... entropy is (1, 64, 64, 1) ({ent.shape})")
    check(all(np.isfinite(a).all() for a in (mean, std, ent)), "... all values are finite")
    check(float(mean.min()) >= 0.0 and float(mean.max()) <= 1.0,
          f"... mean in [0, 1] ([{mean.min():.3g}, {mean.max():.3g}])")
    check(float(std.min()) >= 0.0, f"... std >= 0 (min {std.min():.3g})")
    check(float(std.max()) > 0.0, "... and not all zero: the dropout is active")
    check(float(ent.min()) >= 0.0 and float(ent.max()) <= LN2 + 1e-6,
          f"... entropy in [0, ln 2] ([{ent.min():.3g}, {ent.max():.7f}])")
    # For one channel the entropy is the binary entropy of the mean.
    q = np.clip(mean.astype(np.float64), 1e-7, 1 - 1e-7)
    h = -q * np.log(q) - (1 - q) * np.log(1 - q)
    check(np.abs(h - ent).max() <= 1e-5, "... entropy is the binary entropy of the mean")
    # Population std: at most 0.5 for values in [0, 1] (Popoviciu).
    check(float(std.max()) <= 0.5 + 1e-6, f"... std <= 0.5 (max {std.max():.4f})")

    r2, t2 = predict_mc("mc_b.safetensors", 7)
    check(r2.returncode == 0 and "mean" in t2 and t2["mean"].tobytes() == mean.tobytes(),
          "the same command twice gives identical bytes for mean (--mc-seed 7)")
    check("std" in t2 and t2["std"].tobytes() == std.tobytes(), "... and for std")

    r3, t3 = predict_mc("mc_c.safetensors", 8)
    check(r3.returncode == 0 and "std" in t3 and t3["std"].shape == std.shape
          and not np.array_equal(t3["std"], std),
          "a different --mc-seed gives a different std map")

    # Inference without --mc: a TRAINING-mode ConditionalDropout is the identity.
    plain = os.path.join(tmp, "plain.safetensors")
    r = run("predict", "--weights", weights, "--input", x, "--output", plain)
    check(r.returncode == 0, "predict without insertion exits 0: " + r.stderr.strip())
    base = st_io.read(plain)[0].get("output") if r.returncode == 0 else None
    check(base is not None and base.shape == (1, 64, 64, 1), "... writes output (1, 64, 64, 1)")

    def predict_inserted(name, mode):
        out = os.path.join(tmp, name)
        r = run("predict", "--weights", weights, "--input", x, "--output", out,
                "--insert", "glob:stage*_unit*_conv2", "--dropout", "conditional",
                "--rate", "0.4", "--mode", mode)
        return r, (st_io.read(out)[0].get("output") if r.returncode == 0 else None)

    r, y = predict_inserted("training.safetensors", "training")
    check(r.returncode == 0 and "inserted 8 layer(s)" in r.stderr,
          "predict --insert ... --mode training exits 0: " + r.stderr.strip())
    check(y is not None and base is not None and y.tobytes() == base.tobytes(),
          "... gives exactly the output without insertion")
    # Control: mode always is active at inference, so the output changes.
    r, y = predict_inserted("always.safetensors", "always")
    check(r.returncode == 0 and y is not None and base is not None
          and y.shape == base.shape and not np.array_equal(y, base),
          "... while --mode always (no --mc) changes it")


def check_usage_errors():
    """Insertion options: usage errors exit 2, --before and --suffix work."""
    for args, what in ((["--insert", "conv &"], "a syntax error in --insert"),
                       (["--insert", "relu0", "--rate", "1"], "--rate 1"),
                       (["--insert", "relu0", "--dropout", "dropout", "--mode", "always"],
                        "--mode with --dropout dropout")):
        r = run("summary", *args)
        check(r.returncode == 2, f"{what} is a usage error (2) (got {r.returncode})")
    r = run("summary", "--size", "64x64x3", "--insert", "glob:final_conv", "--before",
            "--dropout", "spatial", "--suffix", "_pre")
    rows = [line.split() for line in r.stdout.splitlines()]
    by_name = {row[1]: row for row in rows if len(row) > 2 and row[0].isdigit()}
    check(r.returncode == 0 and "final_conv_pre" in by_name
          and by_name["final_conv_pre"][-1] == "decoder_stage4b_relu"
          and by_name["final_conv"][-1] == "final_conv_pre",
          "--before --suffix _pre puts final_conv_pre between decoder_stage4b_relu and final_conv")
    r = run("summary", "--insert", "kind=add", "--before")
    check(r.returncode == 1 and "2 inputs" in r.stderr, "--before on Add layers is refused (1)")


def main():
    if not os.access(CLI, os.X_OK):
        print(f"FAIL: {CLI} is missing; run `make all` first")
        return 1
    check_match()
    check_summary()
    check_usage_errors()
    with tempfile.TemporaryDirectory() as tmp:
        check_predict(tmp)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
