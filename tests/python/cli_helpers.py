"""What every test of the `unetseg` command-line tool shares: the binary,
running it, counting failed checks, and Debian's python3 when numpy is needed.

    from cli_helpers import CLI, ROOT, check, run
    ...
    sys.exit(check.summary())

UNETSEG_CLI names another binary to test (e.g. an older build, to see which
checks it fails).
"""
import os
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("UNETSEG_CLI", os.path.join(ROOT, "bin", "unetseg"))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))  # st_io, formula_weights


def need_numpy():
    """Re-run this script under /usr/bin/python3 if this python lacks numpy
    (a pyenv python earlier on PATH)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise


def run(*args, env=None, timeout=600):
    """bin/unetseg ARGS: the CompletedProcess, stdout and stderr as text."""
    full_env = dict(os.environ, **env) if env else None
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


def write_png(path, w, h, pixel):
    """An 8-bit PNG with pixel(x, y) -> a tuple of 1 (gray) or 3 (RGB) values
    (rows of filter 0, zlib's default level)."""
    channels = len(pixel(0, 0))
    raw = b"".join(b"\x00" + bytes(v for x in range(w) for v in pixel(x, y)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    colour = {1: 0, 3: 2}[channels]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Checks:
    """check(ok, what) prints ok/FAIL and counts failures; summary() prints
    the count and returns the exit status."""

    def __init__(self):
        self.failures = 0

    def __call__(self, ok, what):
        print(("ok:   " if ok else "FAIL: ") + what)
        self.failures += 0 if ok else 1
        return ok

    def summary(self):
        print(f"{self.failures} failure(s)")
        return 1 if self.failures else 0


check = Checks()
