#!/usr/bin/env python3
"""Test for examples/python/keras_to_safetensors.py (plain script, no pytest).

Writes small Keras weight files with h5py in three layouts (standalone
Keras 2.2 `save_weights`, tf.keras 2.x `save_weights`, full-model
`model.save()` with a `model_weights` group and chunked `layer_names`), runs
the converter as a subprocess and checks the output with its own safetensors
reader. Also checks the error exits. Exit status 0 = all checks passed.

Run from the repository root: python3 tests/python/test_keras_to_safetensors.py
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import h5py
except ImportError as exc:
    # The python3 first on PATH may be a separate install (e.g. pyenv)
    # without Debian's python3-h5py; retry once with the system interpreter.
    syspy = "/usr/bin/python3"
    if (os.environ.get("UNETSEG_TEST_REEXEC") != "1" and os.path.exists(syspy)
            and os.path.realpath(sys.executable) != os.path.realpath(syspy)):
        os.environ["UNETSEG_TEST_REEXEC"] = "1"
        sys.stderr.write("note: %s lacks numpy/h5py (%s); re-running with %s\n"
                         % (sys.executable, exc, syspy))
        sys.stderr.flush()
        os.execv(syspy, [syspy, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write("FAIL: numpy and h5py are required (%s); install "
                     "python3-numpy python3-h5py\n" % exc)
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.normpath(os.path.join(
    HERE, "..", "..", "examples", "python", "keras_to_safetensors.py"))

N_CHECKS = 0
FAILURES = []


def check(cond, what):
    global N_CHECKS
    N_CHECKS += 1
    if not cond:
        FAILURES.append(what)
        print("  FAIL: " + what)
    return cond


# ---------------------------------------------------------------- fixtures

def pattern(shape, dtype, seed):
    """Deterministic, non-trivial values (not exactly representable in
    float32 when dtype is float64, so the conversion is exercised)."""
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n, dtype=np.float64)
    v = np.sin(i * 0.731 + seed) * (1.0 + seed / 7.0) + i / (n + 3.0)
    return v.reshape(shape).astype(dtype)


def model_layers(tf_names):
    """[(layer, [(param, array)])] in layer_names order. Weightless layers
    are included (they have an empty weight_names list)."""
    zp = "zero_padding2d" if tf_names else "zero_padding2d_1"
    return [
        ("data", []),
        ("bn_data", [("beta", pattern((3,), "<f4", 1)),
                     ("moving_mean", pattern((3,), "<f4", 2)),
                     ("moving_variance", np.abs(pattern((3,), "<f4", 3)))]),
        (zp, []),
        ("conv0", [("kernel", pattern((7, 7, 3, 64), "<f4", 4))]),
        ("bn0", [("gamma", pattern((64,), "<f2", 5)),     # float16 source
                 ("beta", pattern((64,), ">f4", 6)),      # big-endian source
                 ("moving_mean", pattern((64,), "<f4", 7)),
                 ("moving_variance", np.abs(pattern((64,), "<f8", 8)))]),
        ("relu0", []),
        ("decoder_stage0_upsampling", []),
        ("decoder_stage0a_conv", [("kernel", pattern((3, 3, 64, 8), "<f4", 9))]),
        ("decoder_stage0a_bn", [("gamma", pattern((8,), "<f4", 10)),
                                ("beta", pattern((8,), "<f4", 11)),
                                ("moving_mean", pattern((8,), "<f4", 12)),
                                ("moving_variance",
                                 np.abs(pattern((8,), "<f4", 13)))]),
        ("decoder_stage0a_relu", []),
        ("final_conv", [("kernel", pattern((3, 3, 8, 2), "<f8", 14)),  # f64
                        ("bias", pattern((2,), "<f8", 15))]),
        ("sigmoid", []),
    ]


def put_names(group, attr, names, chunks=1):
    arr = np.array([n.encode("utf-8") for n in names])
    if not names:
        group.attrs[attr] = np.asarray([])  # Keras stores [] as float64 []
    elif chunks == 1:
        group.attrs[attr] = arr
    else:
        for i, part in enumerate(np.array_split(arr, chunks)):
            group.attrs["%s%d" % (attr, i)] = part


def write_keras_group(root, layers, suffix=":0", chunks=1, ver=b"2.2.4"):
    put_names(root, "layer_names", [name for name, _ in layers], chunks)
    root.attrs["backend"] = b"tensorflow"
    root.attrs["keras_version"] = ver
    # Keras writes the groups in model.layers order (tf.keras 2.x) or sorted
    # by name (Keras 3 legacy); creation order must not matter to a reader.
    for name, params in sorted(layers, key=lambda x: x[0], reverse=True):
        g = root.create_group(name)
        wnames = ["%s/%s%s" % (name, p, suffix) for p, _ in params]
        put_names(g, "weight_names", wnames)
        for wn, (_, arr) in zip(wnames, params):
            g.create_dataset(wn, data=arr)  # nested: <layer>/<layer>/<p>:0


def make_standalone_keras2(path):
    """keras 2.2.4 model.save_weights(): layer_names at the root."""
    layers = model_layers(tf_names=False)
    with h5py.File(path, "w") as f:
        write_keras_group(f, layers, ver=b"2.2.4")
    return layers


def make_tf_keras(path):
    """tf.keras 2.x model.save_weights(): same tree, tf.keras auto names."""
    layers = model_layers(tf_names=True)
    with h5py.File(path, "w") as f:
        write_keras_group(f, layers, ver=b"2.9.0")
    return layers


def make_full_model(path):
    """model.save('x.h5') (Keras 3 legacy style names without ':0'):
    weights under 'model_weights', layer_names chunked, optimizer state."""
    layers = model_layers(tf_names=True)
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps({"class_name": "Functional"})
        f.attrs["keras_version"] = b"3.3.3"
        mw = f.create_group("model_weights")
        write_keras_group(mw, layers, suffix="", chunks=3, ver=b"3.3.3")
        top = mw.create_group("top_level_model_weights")
        put_names(top, "weight_names", [])
        opt = f.create_group("optimizer_weights")
        put_names(opt, "weight_names", ["adam/iteration"])
        opt.create_dataset("adam/iteration", data=np.int64(7))
    return layers


def expected_tensors(layers, encoder_only):
    out = {}
    for layer, params in layers:
        if encoder_only and (layer.startswith("decoder_")
                             or layer == "final_conv"):
            continue
        for p, arr in params:
            out["%s/%s" % (layer, p)] = arr.astype("<f4")
    return out


# ------------------------------------------------ independent reader

def read_safetensors(path):
    """Parse a safetensors file; returns (header_len, header, {name: arr}).
    Structural violations are recorded as failed checks."""
    with open(path, "rb") as fh:
        blob = fh.read()
    check(len(blob) >= 8, "file has an 8-byte length prefix")
    (hlen,) = struct.unpack("<Q", blob[:8])
    check(8 + hlen <= len(blob), "header length %d fits in the file" % hlen)
    check(hlen % 8 == 0, "header length %d is a multiple of 8" % hlen)
    hraw = blob[8:8 + hlen]
    check(hraw[:1] == b"{", "header starts with '{'")
    stripped = hraw.rstrip(b" ")
    check(stripped.endswith(b"}"), "header padding is spaces after '}'")
    check(len(hraw) - len(stripped) < 8, "at most 7 padding spaces")
    header = json.loads(hraw.decode("utf-8"))
    data = blob[8 + hlen:]
    tensors = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        check(set(info) == {"dtype", "shape", "data_offsets"},
              "%s: header entry has exactly dtype/shape/data_offsets" % name)
        check(info["dtype"] == "F32", "%s: dtype F32" % name)
        b, e = info["data_offsets"]
        n = 1
        for d in info["shape"]:
            n *= d
        check(e - b == 4 * n, "%s: byte span matches shape" % name)
        check(0 <= b <= e <= len(data), "%s: offsets inside data" % name)
        spans.append((b, e))
        tensors[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(
            info["shape"])
    spans.sort()
    pos = 0
    contiguous = True
    for b, e in spans:
        contiguous &= (b == pos)
        pos = e
    check(contiguous and pos == len(data),
          "tensor data is contiguous, non-overlapping and fills the file")
    return hlen, header, tensors


def run(*args):
    return subprocess.run([sys.executable, CONVERTER] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


def check_conversion(label, src, out, layers, encoder_only):
    args = [src, out] + (["--encoder-only"] if encoder_only else [])
    r = run(*args)
    mode = "encoder-only" if encoder_only else "full"
    print("[%s, %s] exit %d; stdout: %s" % (label, mode, r.returncode,
                                            r.stdout.strip()))
    if not check(r.returncode == 0, "%s %s: exit 0 (stderr: %s)"
                 % (label, mode, r.stderr.strip())):
        return
    exp = expected_tensors(layers, encoder_only)
    n_params = sum(a.size for a in exp.values())
    check("%d tensors, %d parameters" % (len(exp), n_params) in r.stdout,
          "%s %s: summary says %d tensors, %d parameters"
          % (label, mode, len(exp), n_params))
    hlen, header, got = read_safetensors(out)
    check(header.get("__metadata__") ==
          {"source": "keras-h5",
           "converter": "unetseg keras_to_safetensors 1"},
          "%s %s: __metadata__" % (label, mode))
    check(sorted(got) == sorted(exp), "%s %s: tensor names %s"
          % (label, mode, sorted(got)))
    for name, arr in exp.items():
        if name not in got:
            continue
        g = got[name]
        check(tuple(g.shape) == arr.shape, "%s %s: %s shape %s == %s"
              % (label, mode, name, g.shape, arr.shape))
        check(g.tobytes() == arr.tobytes(),
              "%s %s: %s values bit-exact (float32 of source)"
              % (label, mode, name))
    if encoder_only:
        check(not any(n.startswith(("decoder_", "final_conv")) for n in got),
              "%s: --encoder-only drops decoder/head tensors" % label)
    else:
        check("final_conv/bias" in got and "decoder_stage0a_conv/kernel" in got,
              "%s: full conversion keeps decoder/head tensors" % label)
    print("  ok: %d tensors, header %d bytes" % (len(got), hlen))


def check_error(label, args, needle, out=None):
    r = run(*args)
    msg = r.stderr.strip()
    print("[%s] exit %d; stderr: %s" % (label, r.returncode, msg))
    check(r.returncode == 1, "%s: exit status 1" % label)
    check(needle.lower() in msg.lower(), "%s: message mentions '%s'"
          % (label, needle))
    check("Traceback" not in msg, "%s: no traceback" % label)
    if out is not None:
        check(not os.path.exists(out), "%s: no output file written" % label)


def main():
    print("converter: %s" % CONVERTER)
    print("python: %s (h5py %s, numpy %s)"
          % (sys.executable, h5py.__version__, np.__version__))
    if not check(os.path.exists(CONVERTER), "converter script exists"):
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda n: os.path.join(tmp, n)
        cases = [("standalone keras 2.2", p("k2.h5"), make_standalone_keras2),
                 ("tf.keras 2.x", p("tfk.h5"), make_tf_keras),
                 ("full model save", p("full.h5"), make_full_model)]
        for label, src, maker in cases:
            layers = maker(src)
            base = os.path.splitext(src)[0]
            check_conversion(label, src, base + ".safetensors", layers, False)
            check_conversion(label, src, base + ".enc.safetensors", layers,
                             True)

        # Errors.
        check_error("missing file", [p("nope.h5"), p("o1.safetensors")],
                    "no such file", p("o1.safetensors"))
        with h5py.File(p("plain.h5"), "w") as f:
            f.create_dataset("x", data=np.zeros(3, "<f4"))
            f.create_group("conv0").attrs["foo"] = 1
        check_error("non-Keras h5", [p("plain.h5"), p("o2.safetensors")],
                    "not a Keras weights file", p("o2.safetensors"))
        with open(p("text.h5"), "w") as fh:
            fh.write("this is not HDF5\n")
        check_error("not HDF5 at all", [p("text.h5"), p("o3.safetensors")],
                    "HDF5", p("o3.safetensors"))
        with h5py.File(p("dup.h5"), "w") as f:
            write_keras_group(f, [("conv0", [])])
            g = f["conv0"]
            wn = ["a/kernel:0", "b/kernel:0"]
            put_names(g, "weight_names", wn)
            for w in wn:
                g.create_dataset(w, data=np.ones((1, 1, 1, 1), "<f4"))
        check_error("duplicate tensor name", [p("dup.h5"), p("o4.safetensors")],
                    "duplicate tensor name 'conv0/kernel'", p("o4.safetensors"))
        with h5py.File(p("k3.weights.h5"), "w") as f:
            f.create_group("layers/conv2d/vars").create_dataset(
                "0", data=np.ones((3, 3, 3, 4), "<f4"))
        check_error("Keras 3 .weights.h5", [p("k3.weights.h5"),
                                            p("o5.safetensors")],
                    "Keras 3", p("o5.safetensors"))
        r = run()
        check(r.returncode == 2, "no arguments: usage error (exit 2)")

    print("%d checks, %d failures" % (N_CHECKS, len(FAILURES)))
    if FAILURES:
        for f in FAILURES:
            print("FAILED: " + f)
        return 1
    print("PASS test_keras_to_safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
