"""The PNG files `unetseg` writes, read back by a decoder of this file's own
(zlib and the five row filters of the PNG specification, every chunk's CRC
checked), not by the library that wrote them: the probabilities of `predict`
are the model's output quantised to 0..255 pixel for pixel, the mask is its
0.5 threshold, and the other pictures (demo data, overlay, heat maps) are
well-formed PNGs of the size and channels they should have."""
import os
import struct
import sys
import tempfile
import zlib

from cli_helpers import check, need_numpy, run, write_png

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(path):
    """(height, width, channels) uint8 array of an 8-bit, non-interlaced PNG;
    raises ValueError on anything else or on a bad CRC."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr, ended = 8, b"", None, False
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            ended = True
        pos += 12 + n
    if not ihdr or not ended:
        raise ValueError("no IHDR or IEND")
    w, h, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported IHDR {ihdr}")
    c = CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = w * c
    if len(raw) != h * (stride + 1):
        raise ValueError("image data of the wrong length")
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - c] if i >= c else 0
            b, cc = prev[i], prev[i - c] if i >= c else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, cc)][kind]
            row[i] = (row[i] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = row
        prev = row
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(h, w, c)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        r = run("demo-data", "--output", data, "--count", "3", "--size", "64", "--seed", "5")
        if not check(r.returncode == 0, "demo-data: " + r.stderr.strip()[-200:]):
            return check.summary()
        image = read_png(os.path.join(data, "images", "0001.png"))
        mask = read_png(os.path.join(data, "masks", "0001.png"))
        check(image.shape == (64, 64, 3) and mask.shape == (64, 64, 1)
              and set(np.unique(mask)) <= {0, 255} and len(np.unique(image)) > 50,
              "demo-data: RGB images and 0/255 masks that decode")

        model = os.path.join(tmp, "m.safetensors")
        r = run("init", "--output", model, "--backbone", "resnet18", "--size", "64x64x3", "--seed", "9")
        check(r.returncode == 0, "init a Unet('resnet18') 64x64")
        rng = np.random.default_rng(4)
        pixels = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
        pixels[16:40, 20:50] = (230, 60, 40)
        picture = os.path.join(tmp, "in.png")
        write_png(picture, 64, 64, lambda x, y: tuple(int(v) for v in pixels[y, x]))
        tensor = os.path.join(tmp, "in.safetensors")
        st_io.write(tensor, {"input": pixels.astype(np.float32)[None]})
        out = {k: os.path.join(tmp, k + ".png") for k in ("mask", "prob", "overlay")}
        r = run("predict", "--weights", model, "--input", picture, "--output", out["mask"],
                "--probabilities", out["prob"], "--overlay", out["overlay"])
        r2 = run("predict", "--weights", model, "--input", tensor, "--output", os.path.join(tmp, "y.safetensors"))
        check(r.returncode == 0 and r2.returncode == 0, "predict the same pixels as a PNG and as a tensor")
        y = st_io.read(os.path.join(tmp, "y.safetensors"))[0]["output"][0].astype(np.float32)
        # the CLI's float arithmetic: v = p * 255, then +0.5 and truncation
        want = np.floor(np.clip(y * np.float32(255.0), 0, 255) + np.float32(0.5)).astype(np.uint8)
        prob = read_png(out["prob"])
        check(prob.shape == (64, 64, 1) and np.array_equal(prob, want),
              f"probabilities.png is the output x 255 ({np.count_nonzero(prob != want)} pixels differ)")
        mask = read_png(out["mask"])
        check(np.array_equal(mask, np.where(y > 0.5, 255, 0).astype(np.uint8)),
              "the mask is 255 where the output is above 0.5, 0 elsewhere")
        overlay = read_png(out["overlay"])
        check(overlay.shape == (64, 64, 3)
              and np.array_equal(overlay[mask[..., 0] == 0], pixels[mask[..., 0] == 0]),
              "the overlay is the input where the mask is off")

        mc = os.path.join(tmp, "mc", "mask.png")
        r = run("predict", "--weights", model, "--input", picture, "--output", mc, "--mc", "2",
                "--insert", "decoder_stage0a_conv", "--dropout", "spatial", "--rate", "0.3")
        maps = [read_png(os.path.join(tmp, "mc", n + ".png")) for n in ("mean", "std", "entropy")]
        check(r.returncode == 0 and all(m.shape[0] == 64 and m.shape[1] > 64 and m.shape[2] == 3 for m in maps),
              "the MC heat maps decode: RGB, a colour bar to the right")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
