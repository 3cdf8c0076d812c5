"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

    /usr/bin/python3 tests/fuzz/gen_seeds.py      (after `make`; needs bin/unetseg,
                                                   and python3-pil for the JPEG seeds)

Seeds are small on purpose: a few valid inputs that reach deep into each parser
and a few classic invalid ones. The fuzzers mutate from here.
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import st_io  # noqa: E402


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def st_raw(header, body=b""):
    """A safetensors image from a header (dict or raw text) and data bytes."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def header_of(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def safetensors_seeds():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "a.safetensors")
        st_io.write(p, {"conv/kernel": [[[[0.5, -1.0]]]], "conv/bias": [1.0, 2.0]},
                    {"format": "pt", "unetseg.graph": "unetseg-graph 1\n"})
        with open(p, "rb") as f:
            put("fuzz_safetensors", "valid_f32_meta", f.read())
    f16 = {"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
           "b": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [4, 6]},
           "d": {"dtype": "F64", "shape": [], "data_offsets": [8, 16]},
           "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [16, 16]}}
    body = struct.pack("<2e", 1.5, float("inf")) + b"\x80\x3f" + b"\0\0" + struct.pack("<d", 1e300)
    put("fuzz_safetensors", "valid_dtypes", st_raw(f16, body))
    put("fuzz_safetensors", "valid_empty", st_raw(b"{}      "))
    x = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    put("fuzz_safetensors", "bad_truncated", st_raw(x, b"\0" * 4))
    put("fuzz_safetensors", "bad_overlap",
        st_raw({"x": x["x"], "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    put("fuzz_safetensors", "bad_header_length", struct.pack("<Q", 1 << 40) + b"{}")
    put("fuzz_safetensors", "bad_json", st_raw(b'{"x": {"dtype": "F32", "shape": [1,], '))
    put("fuzz_safetensors", "bad_dup_name", st_raw(b'{"x":{"dtype":"F32","shape":[1],'
                                                    b'"data_offsets":[0,4]},"x":{"dtype":"F32",'
                                                    b'"shape":[1],"data_offsets":[4,8]}}', b"\0" * 8))
    put("fuzz_safetensors", "bad_shape_overflow",
        st_raw({"x": {"dtype": "F64", "shape": [1 << 31, 1 << 31, 1 << 31], "data_offsets": [0, 8]}},
               b"\0" * 8))


MATCHER = {
    "name_word": "conv",
    "and_not_region": "conv & stage & !conv3 & region=encoder",
    "or_parens": "(decoder_stage0 | decoder_stage1) & !kind=batchnormalization",
    "glob": "glob:stage[1-4]_unit?_relu*",
    "regex": "re:'^decoder_stage[0-9]+[ab]_(conv|bn)$' | re:stage4",
    "quoted": "'stage1 unit1' | glob:'*_relu' | region=head | region=decoder",
    "kinds": "kind=conv2d | kind=conv2dtranspose | kind=add | kind=upsampling2d",
    "bad_unclosed": "(conv & !",
    "bad_kind": "kind=lstm",
    "bad_regex": "re:'(a|'",
    "bad_quote": "'unterminated",
}

GRAPH_SMALL = """unetseg-graph 1
description a small graph with every layer kind
input_multiple 2
layer inputlayer data region=1 trainable=1 inserted=0 height=-1 width=-1 channels=3
layer conv2d conv region=1 trainable=0 inserted=0 in=data filters=4 kernel_h=3 kernel_w=3 stride_h=1 stride_w=1 padding=1 use_bias=1
layer batchnormalization bn region=1 trainable=1 inserted=0 in=conv epsilon=0.001 momentum=0.99 center=1 scale=1
layer activation act region=2 trainable=1 inserted=0 in=bn activation=1
layer add sum region=2 trainable=1 inserted=0 in=bn,act
layer maxpooling2d pool region=2 trainable=1 inserted=0 in=sum kernel_h=2 kernel_w=2 stride_h=2 stride_w=2
layer upsampling2d up region=2 trainable=1 inserted=0 in=pool size_h=2 size_w=2 interpolation=1
layer zeropadding2d pad region=2 trainable=1 inserted=0 in=sum pad_top=1 pad_left=1
layer maxpooling2d crop region=2 trainable=1 inserted=0 in=pad kernel_h=2 kernel_w=2 stride_h=1 stride_w=1
layer concatenate cat region=2 trainable=1 inserted=0 in=crop,up
layer dropout drop region=2 trainable=1 inserted=1 in=cat rate=0.25
layer spatialdropout2d sdrop region=2 trainable=1 inserted=1 in=drop rate=0.5
layer conditionaldropout cdrop region=2 trainable=1 inserted=1 in=sdrop rate=0.1 mode=1 spatial=1
layer conv2dtranspose deconv region=3 trainable=1 inserted=0 in=cdrop filters=2 kernel_h=4 kernel_w=4 stride_h=2 stride_w=2
layer activation sigmoid region=3 trainable=1 inserted=0 in=deconv activation=2
"""

GRAPH_BAD = {
    "bad_magic": "unetseg-graph 2\nlayer inputlayer data height=-1 width=-1 channels=3\n",
    "bad_kind": "unetseg-graph 1\nlayer inputlayer data height=-1 width=-1 channels=3\nlayer lstm x in=data\n",
    "bad_inbound": "unetseg-graph 1\nlayer inputlayer data height=-1 width=-1 channels=3\n"
                   "layer activation a in=nope activation=1\n",
    "bad_value": "unetseg-graph 1\nlayer inputlayer data width=-1 channels=3 height=1e9\n",
    "bad_no_layers": "unetseg-graph 1\ninput_multiple 32\n",
}


def graph_seeds():
    put("fuzz_graph_text", "valid_all_kinds", GRAPH_SMALL)
    for k, v in GRAPH_BAD.items():
        put("fuzz_graph_text", k, v)
    with tempfile.TemporaryDirectory() as d:  # the real thing, from a saved model
        p = os.path.join(d, "w.safetensors")
        subprocess.run([os.path.join(ROOT, "bin", "unetseg"), "init", "--output", p,
                        "--backbone", "resnet18", "--size", "64x64x3", "--decoder", "transpose"],
                       check=True, stdout=subprocess.DEVNULL)
        put("fuzz_graph_text", "valid_unet_resnet18",
            header_of(p)["__metadata__"]["unetseg.graph"])


# ------------------------------------------------------------- fuzz_images
# PNG, BMP and PNM are written byte by byte (every field under control); JPEG
# needs an encoder (Debian's python3-pil). Each seed is the 6-byte settings
# header of tests/fuzz/fuzz_images.c followed by the file(s).

def images_header(channels=3, classes=1, h=16, w=16, split=0):
    return bytes([channels, classes - 1, h, w]) + struct.pack("<H", split)


def gradient(w, h, c, scale=255):
    return [[[(x * 37 + y * 11 + k * 80) * scale // 255 % (scale + 1) for k in range(c)]
             for x in range(w)] for y in range(h)]


def png(w, h, color_type, rows, depth=8, palette=None, trns=None, interlace=0, filters=(0,)):
    """rows: h lists of w pixel tuples (or indices); depth 8 or 16 (or 1..4 packed).
    Row y has filter type filters[y % len(filters)]: with other types than 0
    (None) the decoded pixels differ from `rows`, fine where values do not matter."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    def scanlines(pixels, ww):
        out = b""
        for y, row in enumerate(pixels):
            if depth < 8:  # packed indices/grays, high bits first
                bits = "".join(format(v, "0%db" % depth) for v in row).ljust(-(-ww * depth // 8) * 8, "0")
                out += bytes([filters[y % len(filters)]]) + int(bits, 2).to_bytes(len(bits) // 8, "big")
            else:
                flat = [v for px in row for v in (px if isinstance(px, (list, tuple)) else [px])]
                out += bytes([filters[y % len(filters)]]) + b"".join(v.to_bytes(depth // 8, "big") for v in flat)
        return out

    if interlace:  # Adam7: the 7 passes, each a sub-image of its own
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b""
        for x0, y0, dx, dy in passes:
            sub = [row[x0::dx] for row in rows[y0::dy]]
            if sub and sub[0]:
                raw += scanlines(sub, len(sub[0]))
    else:
        raw = scanlines(rows, w)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace))
    if palette:
        out += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bmp(w, h, bpp, pixels, palette=None, top_down=False, masks=None):
    """Uncompressed (BI_RGB) or BI_BITFIELDS with `masks` (32 bpp)."""
    stride = (w * bpp + 31) // 32 * 4
    rows = []
    for row in pixels:
        if bpp < 8:
            bits = "".join(format(v, "0%db" % bpp) for v in row)
            data = int(bits.ljust(-(-len(bits) // 8) * 8, "0"), 2).to_bytes(-(-len(bits) // 8), "big")
        elif bpp == 8:
            data = bytes(row)
        else:  # BGR(A) order
            data = b"".join(bytes(px[:3][::-1] + px[3:]) for px in row)
        rows.append(data.ljust(stride, b"\0"))
    body = b"".join(rows if top_down else rows[::-1])
    pal = b"".join(bytes([b, g, r, 0]) for r, g, b in (palette or []))
    info = 40 if not masks else 108
    dib = struct.pack("<IiiHHIIiiII", info, w, -h if top_down else h, 1, bpp, 3 if masks else 0,
                      len(body), 2835, 2835, len(palette or []), 0)
    if masks:
        dib += struct.pack("<IIII", *masks) + b"sRGB" + b"\0" * 48
    offset = 14 + len(dib) + len(pal)
    return b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset) + dib + pal + body


def pnm(magic, w, h, values):
    return b"%s\n# fuzz seed\n%d %d\n255\n" % (magic, w, h) + bytes(values)


def jpeg(mode, w, h, **save):
    from PIL import Image  # Debian: python3-pil
    img = Image.new(mode, (w, h))
    img.putdata([tuple(px) if len(px) > 1 else px[0] for row in gradient(w, h, len(mode)) for px in row])
    out = io.BytesIO()
    img.save(out, "JPEG", **save)
    return out.getvalue()


def image_seeds():
    t = "fuzz_images"
    g8 = gradient(8, 8, 1)
    rgb8 = gradient(8, 8, 3)
    gray_png = png(8, 8, 0, g8, filters=range(5))  # every defilter
    rgb_png = png(8, 8, 2, rgb8, filters=range(5))
    put(t, "png_gray8", images_header(1) + gray_png)
    put(t, "png_gray16", images_header(3, h=8, w=24) + png(4, 4, 0, gradient(4, 4, 1, 65535), depth=16))
    put(t, "png_rgb8", images_header(3, h=0, w=0) + png(40, 33, 2, gradient(40, 33, 3), filters=range(5)))
    put(t, "png_rgba8", images_header(4) + png(6, 5, 6, gradient(6, 5, 4)))
    put(t, "png_rgb16", images_header(3) + png(3, 3, 2, gradient(3, 3, 3, 65535), depth=16))
    put(t, "png_gray_alpha", images_header(2, h=4, w=4) + png(5, 4, 4, gradient(5, 4, 2)))
    put(t, "png_palette_trns", images_header(3) + png(8, 4, 3, [[(x + y) % 4 for x in range(8)] for y in range(4)],
                                                      palette=[(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)],
                                                      trns=b"\0\x80"))
    put(t, "png_gray2bit", images_header(1) + png(7, 3, 0, [[(x + y) % 4 for x in range(7)] for y in range(3)], depth=2))
    put(t, "png_interlaced", images_header(3) + png(9, 9, 2, gradient(9, 9, 3), interlace=1, filters=range(5)))
    # masks: class indices 0..3 for 4 classes (the image is its own mask);
    # an RGB image with its own binary mask; a mask of the wrong size.
    classes = png(8, 8, 0, [[(x // 2 + y // 4) % 4 for x in range(8)] for y in range(8)])
    put(t, "mask_class_indices", images_header(1, classes=4) + classes)
    put(t, "mask_index_too_big", images_header(1, classes=3) + classes)
    put(t, "mask_separate", images_header(3, split=len(rgb_png)) + rgb_png + gray_png)
    put(t, "mask_size_mismatch", images_header(3, split=len(rgb_png)) + rgb_png + png(4, 8, 0, gradient(4, 8, 1)))
    put(t, "jpeg_gray", images_header(1) + jpeg("L", 16, 16, quality=50))
    put(t, "jpeg_rgb420", images_header(3) + jpeg("RGB", 16, 16, quality=50, subsampling=2))
    put(t, "jpeg_rgb444_progressive", images_header(3) + jpeg("RGB", 8, 8, quality=50, subsampling=0,
                                                                progressive=True))
    put(t, "jpeg_cmyk", images_header(3) + jpeg("CMYK", 8, 8, quality=50))
    put(t, "bmp_24", images_header(3) + bmp(5, 3, 24, gradient(5, 3, 3)))
    put(t, "bmp_8_palette", images_header(1) + bmp(6, 2, 8, [[x for x in range(6)]] * 2,
                                                   palette=[(v * 40, 255 - v * 40, v) for v in range(6)]))
    put(t, "bmp_1bit_top_down", images_header(1) + bmp(9, 3, 1, [[(x + y) % 2 for x in range(9)] for y in range(3)],
                                                       palette=[(0, 0, 0), (255, 255, 255)], top_down=True))
    put(t, "bmp_32_bitfields", images_header(4) + bmp(4, 4, 32, gradient(4, 4, 4),
                                                      masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)))
    # refused: stb reads PNM, but the CLI takes PNG, JPEG and BMP only
    put(t, "bad_pnm", images_header(3) + pnm(b"P6", 4, 3, [v for row in gradient(4, 3, 3) for px in row for v in px]))
    put(t, "bad_png_truncated", images_header(3) + rgb_png[:60])
    put(t, "bad_channels_5", images_header(5) + gray_png)


def st_tensors(tensors, dtype="F32"):
    """A safetensors image of {name: (shape, [floats])} (F32 or F16 zeros)."""
    header, body = {}, b""
    for name, (shape, values) in tensors.items():
        raw = struct.pack("<%df" % len(values), *values) if dtype == "F32" else b"\0\0" * len(values)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    return st_raw(header, body)


def train_data_seeds():
    """fuzz_train_data: 2 settings bytes ([0] classes, [1] flip + batch), then
    a --data file: consistent and inconsistent images/masks (issue 16)."""
    t = "fuzz_train_data"
    def n(shape):
        k = 1
        for d in shape:
            k *= d
        return k
    def data(ishape, mshape, dtype="F32"):
        return st_tensors({"images": (ishape, [float(i % 251) for i in range(n(ishape))]),
                           "masks": (mshape, [float(i % 2) for i in range(n(mshape))])}, dtype)
    put(t, "ok_binary", b"\x00\x03" + data((4, 4, 4, 3), (4, 4, 4, 1)))
    put(t, "ok_classes3_flip", b"\x02\x05" + data((3, 2, 4, 1), (3, 2, 4, 3)))
    put(t, "ok_f16", b"\x00\x01" + data((2, 4, 2, 3), (2, 4, 2, 1), "F16"))
    put(t, "bad_counts", b"\x00\x0f" + data((8, 4, 4, 3), (1, 4, 4, 1)))
    put(t, "bad_sizes", b"\x00\x01" + data((2, 4, 4, 3), (2, 4, 2, 1)))
    put(t, "bad_rank2", b"\x00\x01" + data((4, 3), (4, 1)))
    put(t, "bad_classes", b"\x01\x01" + data((2, 4, 4, 3), (2, 4, 4, 1)))
    put(t, "bad_no_masks", b"\x00\x01" + st_tensors({"images": ((1, 2, 2, 1), [1.0] * 4)}))
    put(t, "bad_zero_dim", b"\x00\x01" + st_tensors({"images": ((0, 2, 2, 1), []), "masks": ((0, 2, 2, 1), [])}))


def options_seeds():
    """fuzz_cli_options: [0] the command (summary, match, init, predict,
    train, demo-data), then NUL-separated arguments."""
    t = "fuzz_cli_options"
    def args(command, *words):
        return bytes([command]) + b"\0".join(w.encode() for w in words)
    put(t, "summary", args(0, "--backbone", "resnet18", "--size", "64x64x3", "--decoder-filters=8,8,8,8,8",
                           "--no-decoder-bn", "--encoder-freeze", "--seed", "3"))
    put(t, "match", args(1, "--backbone=resnet34", "--classes", "2", "--activation", "softmax",
                         "glob:decoder_stage*b_relu & !conv"))
    put(t, "init", args(2, "--output", "x.safetensors", "--size=32x32", "--decoder", "transpose"))
    put(t, "predict", args(3, "--weights", "w", "--input", "x.safetensors", "--output", "y", "--dump",
                           "relu0,final_conv", "--insert", "kind=conv2d", "--dropout", "spatial", "--rate",
                           "0.2", "--mode", "always", "--before", "--suffix", "_d", "--mc", "3", "--mc-seed",
                           "18446744073709551615", "--threads", "0", "--max-pixels", "1000"))
    put(t, "predict_profile", args(3, "--weights", "w", "--input", "x.safetensors", "--output", "y",
                                   "--repeat", "3", "--profile", "--threads", "2"))
    put(t, "train", args(4, "--data", "d", "--epochs", "2", "--batch", "9223372036854775807", "--lr", "1e-3",
                         "--momentum", "0.9", "--val-split", "0.25", "--optimizer", "sgd", "--loss",
                         "bce_dice", "--flip", "--checkpoint", "c", "--checkpoint-every", "3", "--", "-x"))
    put(t, "train_callbacks", args(4, "--data", "d", "--val-bn", "batch", "--monitor", "val_iou",
                                   "--early-stopping", "3", "--min-delta", "0.001", "--save-best", "b",
                                   "--reduce-lr-on-plateau", "0.5:2", "--schedule", "cosine:100:1e-5",
                                   "--csv", "log.csv", "--plot", "c.png"))
    put(t, "train_schedule", args(4, "--data", "d", "--schedule=step:10:0.5", "--val-bn=recalibrate",
                                  "--reduce-lr-on-plateau", "0.9:0", "--schedule", "step::", "--monitor", "x"))
    put(t, "demo_data", args(5, "--output", "o", "--count", "4", "--size", "96", "--seed", "1"))
    put(t, "bad_numbers", args(4, "--data", "d", "--threads", "2x", "--lr", "nan", "--size", "64x64x3junk"))
    put(t, "help", args(3, "-h"))
    put(t, "prefix", args(0, "--back", "resnet18", "--size"))


if __name__ == "__main__":
    train_data_seeds()
    options_seeds()
    safetensors_seeds()
    for name, text in MATCHER.items():
        put("fuzz_matcher", name, text)
    graph_seeds()
    image_seeds()
    print("seeds written under", os.path.join(HERE, "corpus"))
