"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

    /usr/bin/python3 tests/fuzz/gen_seeds.py      (after `make`; needs bin/unetseg)

Seeds are small on purpose: a few valid inputs that reach deep into each parser
and a few classic invalid ones. The fuzzers mutate from here.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

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


if __name__ == "__main__":
    safetensors_seeds()
    for name, text in MATCHER.items():
        put("fuzz_matcher", name, text)
    graph_seeds()
    print("seeds written under", os.path.join(HERE, "corpus"))
