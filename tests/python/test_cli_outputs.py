"""Issue 16, the files `unetseg` reads and writes: the output rules (devices,
FIFOs, symlinks, read-only files and other users' files), the one atomic
writer (write errors are exit 1 and leave nothing behind), stale temporary
files of a killed write, inputs that would block (FIFOs), decompression
bombs and --max-pixels, and a message on every non-zero exit."""
import os
import resource
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib

from cli_helpers import CLI, ROOT, check, run

CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_images")


def write_png(path, w, h, gray=0):
    """A gray 8-bit PNG of w x h pixels, all `gray`."""
    raw = (b"\x00" + bytes([gray]) * w) * h
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def run_limited(args, fsize=None, address_space=None, timeout=120):
    """bin/unetseg ARGS with RLIMIT_FSIZE (SIGXFSZ ignored, as a full disk
    gives EFBIG/ENOSPC) or RLIMIT_AS."""
    def limits():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, preexec_fn=limits,
                          env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))


def temps_of(path):
    d, base = os.path.split(path)
    return [n for n in os.listdir(d or ".") if n.startswith(base + ".tmp.")]


def outputs(tmp, model, image):
    """The output rules, on PNG outputs (the CLI's writer) and on safetensors
    outputs (the library's, behind the CLI's checks)."""
    def timed(*args):
        try:
            return run(*args, timeout=60)
        except subprocess.TimeoutExpired:  # an old build opens a FIFO for writing and waits
            return subprocess.CompletedProcess(args, -1, "", "timed out")

    def predict_png(out):
        return timed("predict", "--weights", model, "--input", image, "--output", out)

    def init(out):
        return timed("init", "--backbone", "resnet18", "--size", "64x64x3", "--output", out)

    for what, write in (("PNG", predict_png), ("safetensors", init)):
        # a character device: a copy of /dev/null in the temporary directory
        # (never /dev/null itself: a build that renames over it, run as root,
        # would replace the system's)
        device = os.path.join(tmp, f"null_{what}")
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            device = None
        if device:
            r = write(device)
            check(r.returncode == 1 and "character device" in r.stderr and stat.S_ISCHR(os.stat(device).st_mode),
                  f"{what} --output naming a character device (a /dev/null): refused (exit 1), left as it was")
        fifo = os.path.join(tmp, f"out_fifo_{what}")
        os.mkfifo(fifo)
        r = write(fifo)
        check(r.returncode == 1 and "FIFO" in r.stderr and stat.S_ISFIFO(os.stat(fifo).st_mode),
              f"{what}: a FIFO as output is refused and stays a FIFO")
        # a symbolic link is written through: the link stays, its target changes
        target, link = os.path.join(tmp, f"target_{what}"), os.path.join(tmp, f"link_{what}")
        with open(target, "wb") as f:
            f.write(b"old")
        os.symlink(target, link)
        r = write(link)
        with open(target, "rb") as f:
            new = f.read()
        check(r.returncode == 0 and os.path.islink(link) and new != b"old" and len(new) > 8 and not temps_of(target),
              f"{what}: a symlink as output is written through (the link stays a link)")
        dangling = os.path.join(tmp, f"dangling_{what}")
        os.symlink(os.path.join(tmp, "nowhere", "x"), dangling)
        r = write(dangling)
        check(r.returncode == 1 and "link" in r.stderr and os.path.islink(dangling),
              f"{what}: a dangling symlink as output is refused")
        # a read-only file is refused, even for root (whom access() lets write)
        ro = os.path.join(tmp, f"readonly_{what}")
        with open(ro, "wb") as f:
            f.write(b"keep")
        os.chmod(ro, 0o444)
        r = write(ro)
        with open(ro, "rb") as f:
            kept = f.read()
        check(r.returncode == 1 and "read-only" in r.stderr and kept == b"keep",
              f"{what}: a read-only existing output is refused and kept")
        if os.geteuid() == 0:
            other = os.path.join(tmp, f"other_{what}")
            with open(other, "wb") as f:
                f.write(b"theirs")
            os.chown(other, 65534, 65534)
            r = write(other)
            with open(other, "rb") as f:
                kept = f.read()
            check(r.returncode == 1 and "another user" in r.stderr and kept == b"theirs"
                  and os.stat(other).st_uid == 65534, f"{what}: another user's file is refused and kept")
        # a replaced file keeps its permission bits
        private = os.path.join(tmp, f"private_{what}")
        with open(private, "wb") as f:
            f.write(b"old")
        os.chmod(private, 0o600)
        r = write(private)
        check(r.returncode == 0 and stat.S_IMODE(os.stat(private).st_mode) == 0o600,
              f"{what}: a replaced file keeps its mode (0600)")


def write_errors(tmp, model, image):
    """A full disk (RLIMIT_FSIZE: EFBIG) is exit 1 with the reason, and leaves
    neither a partial file nor a temporary one."""
    out = os.path.join(tmp, "full", "mask.png")
    os.makedirs(os.path.dirname(out))
    r = run_limited(["predict", "--weights", model, "--input", image, "--output", out], fsize=20)
    check(r.returncode == 1 and "cannot write" in r.stderr and "mask.png" in r.stderr
          and os.listdir(os.path.dirname(out)) == [],
          "predict: a PNG that cannot be written: exit 1 with the reason, no file left: " + r.stderr.strip()[-90:])
    demo = os.path.join(tmp, "full_demo")
    r = run_limited(["demo-data", "--output", demo, "--count", "2", "--size", "32"], fsize=20)
    left = [n for d, _, names in os.walk(demo) for n in names]
    check(r.returncode == 1 and "cannot write" in r.stderr and "wrote" not in r.stderr and left == [],
          "demo-data on a full disk: exit 1, no 'wrote', no empty PNG: " + r.stderr.strip()[-90:])
    st_out = os.path.join(tmp, "full_init", "w.safetensors")
    os.makedirs(os.path.dirname(st_out))
    r = run_limited(["init", "--backbone", "resnet18", "--size", "64x64x3", "--output", st_out], fsize=4096)
    check(r.returncode == 1 and os.listdir(os.path.dirname(st_out)) == [],
          "init on a full disk: exit 1, nothing left")


def stale_temps(tmp):
    """Temporary files of a killed write: stale ones of the same target go on
    the next write; fresh ones (a live writer), other targets' and other names
    stay."""
    out = os.path.join(tmp, "ck.safetensors")
    stale, fresh = out + ".tmp.00000000deadbeef", out + ".tmp.0123456789abcdef"
    other, odd = os.path.join(tmp, "other.safetensors.tmp.00000000deadbeef"), out + ".tmp.notmine"
    hour_ago = time.time() - 3600
    for p in (stale, fresh, other, odd):
        with open(p, "wb") as f:
            f.write(b"x" * 100)
        if p != fresh:
            os.utime(p, (hour_ago, hour_ago))
    r = run("init", "--backbone", "resnet18", "--size", "64x64x3", "--output", out)
    check(r.returncode == 0 and not os.path.exists(stale) and os.path.exists(fresh) and os.path.exists(other)
          and os.path.exists(odd) and "removed" in r.stderr,
          "a stale temporary file of the same target is removed; fresh, other targets' and odd names stay")
    png = os.path.join(tmp, "stale_demo")
    os.makedirs(os.path.join(png, "images"))
    stale_png = os.path.join(png, "images", "0000.png.tmp.00000000feedf00d")
    with open(stale_png, "wb") as f:
        f.write(b"x")
    os.utime(stale_png, (hour_ago, hour_ago))
    r = run("demo-data", "--output", png, "--count", "1", "--size", "32")
    check(r.returncode == 0 and not os.path.exists(stale_png), "the PNG writer removes stale temporary files too")


def fifos(tmp, model, image):
    """A FIFO as an input is refused at once, for every input path."""
    fifo = os.path.join(tmp, "in_fifo")
    os.mkfifo(fifo)
    fifo_png = os.path.join(tmp, "in_fifo.png")
    os.mkfifo(fifo_png)
    out = os.path.join(tmp, "fifo_out.png")
    cases = {
        "predict --weights": ["predict", "--weights", fifo, "--input", image, "--output", out],
        "predict --input (image)": ["predict", "--weights", model, "--input", fifo_png, "--output", out],
        "predict --input (safetensors)": ["predict", "--weights", model, "--input", fifo,
                                          "--output", os.path.join(tmp, "y.safetensors")],
        "predict --truth": ["predict", "--weights", model, "--input", image, "--output", out, "--mc", "1",
                            "--panel", os.path.join(tmp, "panel.png"), "--truth", fifo_png],
        "train --data": ["train", "--data", fifo, "--steps", "1"],
        "train --weights": ["train", "--data", os.path.join(tmp, "demo"), "--size", "32x32x3", "--steps", "1",
                            "--weights", fifo],
        "train --resume": ["train", "--data", os.path.join(tmp, "demo"), "--size", "32x32x3", "--steps", "1",
                           "--backbone", "resnet18", "--resume", fifo],
    }
    for what, args in cases.items():
        try:
            r = run(*args, timeout=20)
            check(r.returncode == 1 and "FIFO" in r.stderr, f"a FIFO as {what}: refused at once, exit 1")
        except subprocess.TimeoutExpired:
            check(False, f"a FIFO as {what}: refused at once (it blocked)")


def bombs(tmp, model):
    """Files that claim far more pixels than they hold; --max-pixels."""
    out = os.path.join(tmp, "bomb_mask.png")
    bmp = os.path.join(tmp, "bomb.bmp")
    header = struct.pack("<2sIHHI", b"BM", 66, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 16000, -16000, 1, 24,
                                                                        0, 0, 2835, 2835, 0, 0)
    with open(bmp, "wb") as f:
        f.write(header + b"\x00" * 12)
    start = time.time()
    r = run_limited(["predict", "--weights", model, "--input", bmp, "--output", out], address_space=2 << 30)
    check(r.returncode == 1 and "too short" in r.stderr and time.time() - start < 20,
          "a 66-byte BMP claiming 16000 x -16000: refused as too short: " + r.stderr.strip()[-80:])
    with open(os.path.join(CORPUS, "jpeg_rgb420"), "rb") as f:
        jpeg = bytearray(f.read()[6:])
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 16000, 16000)
    jpg = os.path.join(tmp, "bomb.jpg")
    with open(jpg, "wb") as f:
        f.write(jpeg)
    r = run_limited(["predict", "--weights", model, "--input", jpg, "--output", out], address_space=2 << 30)
    check(r.returncode == 1 and "too short" in r.stderr,
          "a small JPEG whose SOF claims 16000x16000: refused as too short: " + r.stderr.strip()[-80:])
    big = os.path.join(tmp, "big.png")
    write_png(big, 4200, 4200)  # 17.6 M pixels, 20 kB
    r = run("predict", "--weights", model, "--input", big, "--output", out)
    check(r.returncode == 1 and "--max-pixels" in r.stderr and "4200x4200" in r.stderr,
          "an image above the default 2^24 pixels is refused, naming --max-pixels")
    small = os.path.join(tmp, "small.png")
    write_png(small, 100, 100)
    r = run("predict", "--weights", model, "--input", small, "--output", out, "--max-pixels", "5000")
    check(r.returncode == 1 and "5000" in r.stderr, "--max-pixels 5000 refuses a 100x100 image")
    r = run("predict", "--weights", model, "--input", small, "--output", out, "--max-pixels", "10000")
    check(r.returncode == 0, "--max-pixels 10000 takes a 100x100 image")
    r = run("predict", "--weights", model, "--input", small, "--output", out, "--max-pixels", str(1 << 29))
    check(r.returncode == 2 and "--max-pixels" in r.stderr, "--max-pixels above 2^28: usage error")


def messages(tmp, model, image):
    """Every non-zero exit says why: predict and train under address-space
    limits that make some allocation fail somewhere."""
    out = os.path.join(tmp, "as_mask.png")
    silent = []
    for limit_mb in (200, 260, 320, 400, 500, 650, 800):
        for args in (["predict", "--weights", model, "--input", image, "--output", out, "--threads", "1"],
                     ["train", "--data", os.path.join(tmp, "demo"), "--size", "64x64x3", "--steps", "1",
                      "--backbone", "resnet18", "--threads", "1", "--batch", "2"]):
            r = run_limited(args, address_space=limit_mb << 20)
            if r.returncode != 0 and not r.stderr.strip():
                silent.append(f"{args[0]} at {limit_mb} MB: exit {r.returncode}")
            if r.returncode not in (0, 1):
                silent.append(f"{args[0]} at {limit_mb} MB: exit {r.returncode} ({r.stderr.strip()[-60:]})")
    # a 4000x3990 image: decoded, then resized to 4000x4000; at about 400 MB
    # the resize's allocation failed and an older build exited 1 in silence
    big = os.path.join(tmp, "big_resize.png")
    write_png(big, 4000, 3990, 90)
    for limit_mb in (300, 350, 400, 450, 500):
        r = run_limited(["predict", "--weights", model, "--input", big, "--output", out, "--threads", "1"],
                        address_space=limit_mb << 20)
        if r.returncode != 0 and not r.stderr.strip():
            silent.append(f"predict of 4000x3990 at {limit_mb} MB: exit {r.returncode}")
    check(not silent, "every failure under memory limits is exit 1 with a message: " + "; ".join(silent))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m.safetensors")
        r = run("init", "--backbone", "resnet18", "--size", "64x64x3", "--output", model)
        check(r.returncode == 0, "init a model")
        image = os.path.join(tmp, "in.png")
        write_png(image, 64, 64, 90)
        r = run("demo-data", "--output", os.path.join(tmp, "demo"), "--count", "4", "--size", "64")
        check(r.returncode == 0, "demo-data")
        outputs(tmp, model, image)
        write_errors(tmp, model, image)
        stale_temps(tmp)
        fifos(tmp, model, image)
        bombs(tmp, model)
        messages(tmp, model, image)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
