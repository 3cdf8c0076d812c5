"""Minimal safetensors writer/reader (numpy only), used by the fixture generators.

File layout:
    8 bytes   little-endian uint64 N = length of the JSON header
    N bytes   JSON header, padded with spaces to a multiple of 8:
              {"__metadata__": {str: str}, "<name>": {"dtype": "F32",
               "shape": [...], "data_offsets": [begin, end]}, ...}
              (offsets are relative to the start of the data area)
    data      the raw little-endian tensor bytes, in header order

Only F32 is written; F32 and F64 can be read back.
"""

import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}


def write(path, tensors, metadata=None):
    """Write `tensors` (an ordered mapping name -> array) as F32 safetensors.

    `metadata` is an optional mapping str -> str stored as "__metadata__".
    """
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata must map str to str (%r)" % (k,))
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        if name == "__metadata__":
            raise ValueError("reserved tensor name")
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        raw = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read(path):
    """Read a safetensors file. Returns (tensors, metadata): an ordered dict
    name -> numpy array (float32 or float64) in data order, and a dict."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: too short" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("%s: header length %d exceeds the file" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    tensors = {}
    for name, info in entries:
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError("%s: unsupported dtype %s" % (name, info["dtype"]))
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dt.itemsize or end > len(body):
            raise ValueError("%s: bad data_offsets" % name)
        tensors[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(shape).copy()
    return tensors, metadata


if __name__ == "__main__":
    import os
    import tempfile

    t = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.float32([1.5])}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.safetensors")
        write(p, t, {"k": "v"})
        back, meta = read(p)
        assert list(back) == ["b", "a"] and meta == {"k": "v"}
        assert all(np.array_equal(back[k], t[k]) for k in t)
        with open(p, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        assert n % 8 == 0
    print("st_io self-test ok")
