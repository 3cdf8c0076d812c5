"""Deterministic "formula" parameter values, so that no weight file is committed.

The C twin is tests/support/formula.{h,c}; both must give bit-identical float32
values. Definition:

    splitmix64(x): x += 0x9E3779B97F4A7C15 (mod 2^64); z = x
                   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
                   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                   return z ^ (z >> 31)
    h    = FNV-1a 64 of the full parameter name "{layer}/{param}"
           (offset 0xcbf29ce484222325, prime 0x100000001b3)
    u(k) = (splitmix64(h + k) >> 40) / 2^24     (k = flat row-major index in
                                                 the Keras layout; u in [0,1))
    value, computed in double then rounded to float32:
      kernel           (2u-1) * sqrt(3.0 / (shape[0]*shape[1]*shape[2]))
      bias             0.1*(2u-1)
      gamma            0.5 + u
      beta             0.2*(2u-1)
      moving_mean      0.2*(2u-1)      (layer "bn_data": 100 + 50u)
      moving_variance  0.5 + u         (layer "bn_data": 3000 + 2000u)

Test inputs use the same u() over a plain name, e.g. "input": float32(255*u(k)).

Run this file to print the self-check values that formula.h repeats.
"""

import math
import os
import sys

try:
    import numpy as np
except ImportError:  # e.g. a pyenv python without numpy: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(text):
    h = FNV_OFFSET
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * FNV_PRIME) & MASK64
    return h


def splitmix64(x):
    """Vectorised splitmix64 over a numpy uint64 array (wraps mod 2^64)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(name, count, start=0):
    """u(k) for k = start .. start+count-1 of the hash of `name`, as float64."""
    k = np.arange(start, start + count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = np.uint64(fnv1a64(name)) + k
    return (splitmix64(x) >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def formula_values(full_name, shape):
    """float32 array (Keras layout `shape`) of the parameter "{layer}/{param}"."""
    layer, _, param = full_name.rpartition("/")
    shape = tuple(int(d) for d in shape)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    u = uniform(full_name, count)
    if param == "kernel":
        if len(shape) < 3:
            raise ValueError("kernel %s must have rank >= 3" % full_name)
        v = (2.0 * u - 1.0) * math.sqrt(3.0 / (shape[0] * shape[1] * shape[2]))
    elif param == "bias":
        v = 0.1 * (2.0 * u - 1.0)
    elif param == "gamma":
        v = 0.5 + u
    elif param == "beta":
        v = 0.2 * (2.0 * u - 1.0)
    elif param == "moving_mean":
        v = 100.0 + 50.0 * u if layer == "bn_data" else 0.2 * (2.0 * u - 1.0)
    elif param == "moving_variance":
        v = 3000.0 + 2000.0 * u if layer == "bn_data" else 0.5 + u
    else:
        raise ValueError("no formula for parameter %s" % full_name)
    return v.astype(np.float32).reshape(shape)


def formula_weights(param_specs):
    """{name: float32 array} for an iterable of (full_name, shape)."""
    return {name: formula_values(name, shape) for name, shape in param_specs}


def formula_input(name, shape, scale=255.0):
    """Test input: float32(scale * u(k)) over the hash of `name`."""
    count = int(np.prod(shape, dtype=np.int64))
    return (scale * uniform(name, count)).astype(np.float32).reshape(shape)


# (parameter name, Keras shape, flat index k); formula.h repeats these with
# their values (FORMULA_SELF_CHECK) so a C test can assert bit equality.
SELF_CHECK = [
    ("conv0/kernel", (7, 7, 3, 64), 0),
    ("conv0/kernel", (7, 7, 3, 64), 9407),
    ("stage1_unit1_conv1/kernel", (3, 3, 64, 64), 12345),
    ("decoder_stage0a_transpose/kernel", (4, 4, 256, 512), 100),
    ("final_conv/bias", (1,), 0),
    ("bn0/gamma", (64,), 5),
    ("bn0/beta", (64,), 63),
    ("bn_data/beta", (3,), 1),
    ("bn_data/moving_mean", (3,), 2),
    ("bn_data/moving_variance", (3,), 0),
    ("decoder_stage4b_bn/moving_mean", (16,), 3),
    ("decoder_stage4b_bn/moving_variance", (16,), 15),
]


def self_check_values():
    out = []
    for name, shape, k in SELF_CHECK:
        out.append((name, shape, k, float(formula_values(name, shape).reshape(-1)[k])))
    return out


def c_hex(value):
    """C99 hex-float literal text of a double, without trailing zero digits."""
    text = float(value).hex()
    mant, _, exp = text.partition("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return mant + "p" + exp


# Inputs checked by FORMULA_SELF_CHECK_INPUT in formula.h: (name, k).
SELF_CHECK_INPUT = [("input", 0), ("input", 1), ("input", 12287)]


if __name__ == "__main__":
    print("fnv1a64('conv0/kernel') = 0x%016x" % fnv1a64("conv0/kernel"))
    print("splitmix64(0) = 0x%016x" % int(splitmix64(np.uint64(0))))
    print("\nself-check values (name, shape, k, float32 value):")
    for name, shape, k, v in self_check_values():
        print("  %-36s %-18s k=%-6d %.9g" % (name, shape, k, v))
    print("\nC lines for formula.h (FORMULA_SELF_CHECK):")
    for name, shape, k, v in self_check_values():
        dims = list(shape) + [1] * (4 - len(shape))
        print('    X("%s", %d, %d, %d, %d, %d, %d, %sf) /* %.9g */ \\'
              % (name, len(shape), dims[0], dims[1], dims[2], dims[3], k, c_hex(v), v))
    print("\nC lines for formula.h (FORMULA_SELF_CHECK_INPUT: name, k, u, float32(255u)):")
    for name, k in SELF_CHECK_INPUT:
        u = float(uniform(name, 1, start=k)[0])
        x = float(np.float32(255.0 * u))
        print('    X("%s", %d, %s, %sf) /* u=%.17g, 255u=%.9g */ \\'
              % (name, k, c_hex(u), c_hex(x), u, x))
