#!/usr/bin/env python3
"""Convert Keras HDF5 weights (segmentation_models Unet / classification_models
ResNet) to a safetensors file that unetseg can load.

Usage:
    python3 keras_to_safetensors.py IN.h5 OUT.safetensors [--encoder-only]

Accepted inputs (all store one HDF5 group per layer, listed in the
`layer_names` attribute, with a `weight_names` attribute per layer group):
  * `model.save_weights('x.h5')` of standalone Keras 2.x and of tf.keras 2.x;
    datasets live at `<layer>/<weight_name>`, e.g. `conv0/conv0/kernel:0`;
  * a full-model HDF5 file (`model.save('x.h5')`, also Keras 3's legacy HDF5
    format), where the same tree sits under the `model_weights` group and the
    weight names may lack the `:0` suffix.

Not accepted: Keras 3 `.weights.h5` files. They name layer groups after the
layer *class* (`layers/conv2d_5/vars/0`), not after the layer, so the Keras
layer names cannot be recovered from the file alone. In Keras 3, re-save with
`model.save('model.h5')` (legacy HDF5), which keeps the layer names.

Output tensor names are `{layer}/{param}`: the layer is the name of the layer
group, the param is the last component of the weight name without `:0`
(`conv0/kernel`, `bn0/moving_variance`, `final_conv/bias`, ...). Arrays keep
the Keras layout (conv kernels HWIO, transposed-conv kernels (kh, kw, cout,
cin)). float16 and float64 are converted to float32; data is little-endian.

--encoder-only keeps only the backbone layers: drops every layer whose name
starts with `decoder_` or `center_block`, and `final_conv`.

Dependencies: Python 3 standard library, numpy, h5py.
Exit status: 0 on success, 1 on any error (message on stderr), 2 on bad usage.
"""

import argparse
import json
import os
import struct
import sys

try:
    import numpy as np
    import h5py
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.stderr.write(
        "keras_to_safetensors: error: this script needs numpy and h5py (%s).\n"
        "  Debian/Ubuntu: apt install python3-numpy python3-h5py "
        "(and run it with that python, e.g. /usr/bin/python3)\n" % exc)
    sys.exit(1)

CONVERTER_ID = "unetseg keras_to_safetensors 1"
METADATA = {"source": "keras-h5", "converter": CONVERTER_ID}

# Layers that are not part of the backbone (segmentation_models naming).
DECODER_PREFIXES = ("decoder_", "center_block")
HEAD_LAYERS = ("final_conv",)

FLOAT_KINDS = ("float16", "float32", "float64")


class ConvertError(Exception):
    """A user-facing error: printed without a traceback, exit status 1."""


def _to_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value).decode("utf-8")
    return str(value)


def _read_name_list(group, attr, where):
    """Read a list-of-names attribute, handling Keras' chunked storage
    (`name0`, `name1`, ... when the list exceeds the HDF5 header limit).
    Returns None when the attribute does not exist at all."""
    attrs = group.attrs
    if attr in attrs:
        raw = attrs[attr]
    elif (attr + "0") in attrs:
        parts = []
        i = 0
        while ("%s%d" % (attr, i)) in attrs:
            parts.extend(list(np.atleast_1d(attrs["%s%d" % (attr, i)])))
            i += 1
        raw = parts
    else:
        return None
    arr = np.atleast_1d(np.asarray(raw))
    # An empty list is stored by Keras as an empty float64 array.
    if arr.size == 0:
        return []
    if arr.dtype.kind not in ("S", "U", "O"):
        raise ConvertError("%s: attribute '%s' is not a list of names"
                           % (where, attr))
    return [_to_str(v) for v in arr.reshape(-1)]


def _find_weights_root(f, path):
    """Return the HDF5 group that carries `layer_names`."""
    if _read_name_list(f, "layer_names", path) is not None:
        return f
    mw = f.get("model_weights")
    if isinstance(mw, h5py.Group) and \
            _read_name_list(mw, "layer_names", path) is not None:
        return mw
    if isinstance(f.get("layers"), h5py.Group) or \
            isinstance(f.get("_layer_checkpoint_dependencies"), h5py.Group):
        raise ConvertError(
            "%s: this looks like a Keras 3 '.weights.h5' file. It stores "
            "layers under their class name (layers/conv2d_N/vars/0), not "
            "under their layer name, so it cannot be converted by name. "
            "Re-save it with Keras 3 as legacy HDF5: model.save('model.h5')"
            % path)
    raise ConvertError(
        "%s: not a Keras weights file (no 'layer_names' attribute at the "
        "root or in a 'model_weights' group)" % path)


def _param_name(weight_name):
    last = weight_name.rstrip("/").split("/")[-1]
    head, sep, tail = last.rpartition(":")
    if sep and tail.isdigit():
        last = head
    return last


def is_encoder_layer(layer):
    return not (layer.startswith(DECODER_PREFIXES) or layer in HEAD_LAYERS)


def read_keras_weights(path, encoder_only=False):
    """Return ([(name, float32 LE array)], n_skipped_tensors) in file order."""
    if not os.path.exists(path):
        raise ConvertError("%s: no such file" % path)
    if os.path.isdir(path):
        raise ConvertError("%s: is a directory" % path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ConvertError("%s: cannot open as HDF5 (%s); a Keras weights "
                           "file (.h5) is expected" % (path, exc))
    tensors = []
    seen = {}
    skipped = 0
    with f:
        root = _find_weights_root(f, path)
        layer_names = _read_name_list(root, "layer_names", path)
        for layer in layer_names:
            g = root.get(layer)
            if not isinstance(g, h5py.Group):
                raise ConvertError("%s: layer '%s' is listed in layer_names "
                                   "but has no group" % (path, layer))
            weight_names = _read_name_list(g, "weight_names",
                                           "%s: layer '%s'" % (path, layer))
            if weight_names is None:
                raise ConvertError("%s: layer group '%s' has no "
                                   "'weight_names' attribute" % (path, layer))
            for wname in weight_names:
                ds = g.get(wname)
                if not isinstance(ds, h5py.Dataset):
                    raise ConvertError("%s: layer '%s': weight '%s' is listed "
                                       "but not stored" % (path, layer, wname))
                param = _param_name(wname)
                if not param:
                    raise ConvertError("%s: layer '%s': cannot derive a "
                                       "parameter name from '%s'"
                                       % (path, layer, wname))
                name = "%s/%s" % (layer, param)
                if name in seen:
                    raise ConvertError(
                        "%s: duplicate tensor name '%s' (from weights '%s' "
                        "and '%s' of layer '%s')"
                        % (path, name, seen[name], wname, layer))
                seen[name] = wname
                if encoder_only and not is_encoder_layer(layer):
                    skipped += 1
                    continue
                if ds.dtype.kind != "f" or ds.dtype.itemsize not in (2, 4, 8):
                    raise ConvertError(
                        "%s: tensor '%s' has dtype %s; only float16, float32 "
                        "and float64 are supported" % (path, name, ds.dtype))
                arr = np.asarray(ds[()]).astype("<f4")
                tensors.append((name, np.ascontiguousarray(arr)))
    return tensors, skipped


def build_header(tensors):
    header = {"__metadata__": dict(METADATA)}
    offset = 0
    for name, arr in tensors:
        nbytes = arr.size * 4
        header[name] = {"dtype": "F32", "shape": [int(d) for d in arr.shape],
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((-len(raw)) % 8)
    return raw


def write_safetensors(out_path, tensors):
    header = build_header(tensors)
    tmp = out_path + ".tmp%d" % os.getpid()
    try:
        with open(tmp, "wb") as out:
            out.write(struct.pack("<Q", len(header)))
            out.write(header)
            for _, arr in tensors:
                out.write(arr.tobytes(order="C"))
        os.replace(tmp, out_path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ConvertError("%s: cannot write (%s)" % (out_path, exc))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="keras_to_safetensors.py",
        description="Convert Keras HDF5 weights to safetensors "
                    "(tensor names '{layer}/{param}', Keras layout, F32).")
    ap.add_argument("input", metavar="IN.h5")
    ap.add_argument("output", metavar="OUT.safetensors")
    ap.add_argument("--encoder-only", action="store_true",
                    help="keep only backbone layers (drop decoder_*, "
                         "center_block*, final_conv)")
    args = ap.parse_args(argv)
    try:
        tensors, skipped = read_keras_weights(args.input, args.encoder_only)
        if not tensors:
            raise ConvertError("%s: no weight tensors to write%s"
                               % (args.input, " (after --encoder-only)"
                                  if args.encoder_only else ""))
        if os.path.abspath(args.output) == os.path.abspath(args.input):
            raise ConvertError("output would overwrite the input file")
        write_safetensors(args.output, tensors)
    except ConvertError as exc:
        sys.stderr.write("keras_to_safetensors: error: %s\n" % exc)
        return 1
    n_params = sum(int(arr.size) for _, arr in tensors)
    extra = ""
    if args.encoder_only:
        extra = " (--encoder-only: %d decoder/head tensors dropped)" % skipped
    print("%s: %d tensors, %d parameters%s"
          % (args.output, len(tensors), n_params, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
