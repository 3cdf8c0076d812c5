"""unetseg.py - a single-module ctypes binding of libunetseg (numpy arrays in and out).

    import unetseg
    with unetseg.Model.unet(backbone="resnet18", input_shape=(64, 64, 3)) as model:
        model.insert_dropout("glob:decoder_stage*b_relu", kind="conditional", rate=0.2)
        mean, std, entropy = model.predict_mc(images, samples=10, seed=1)

The shared library is found, in this order, at $UNETSEG_LIBRARY, at
../../lib/libunetseg.so relative to this file (the build tree), through
ctypes.util.find_library("unetseg"), and finally as "libunetseg.so.1" on the
dynamic loader's search path. Importing fails with ImportError when the library
cannot be loaded or its ABI number (unetseg_abi_version()) is not ABI_VERSION.

Errors. Every failing call raises a subclass of UnetsegError carrying the status
code (.status), its static name (.status_name, unetseg_status_string) and the
library's message (.message, unetseg_last_error). The subclasses also derive
from the matching built-in exception (ShapeError is a ValueError, NotFoundError
a LookupError, UnetsegIOError an OSError, ...). Using a handle after close()
raises ValueError.

Arguments are checked before they reach C, as Python's own functions check
theirs (ctypes alone would cut a string at its first NUL and wrap an integer
modulo 2**32 or 2**64 without a word):
- names, expressions, suffixes and option strings must be str: None, bytes or
  anything else is a TypeError (None only where it is the documented default,
  e.g. Matcher(None) == Matcher()); a str holding a NUL character is a
  ValueError (C would see only the text before it), as for open();
- paths are str, bytes or os.PathLike, as for open(); one with a NUL byte is a
  ValueError and nothing is read or written;
- integer arguments (counts, sizes, seeds, indices, enum numbers) must be
  integers (int, numpy integer or bool, as for range(); a float is a
  TypeError) that fit the C parameter type (int32_t, int64_t or uint64_t):
  OverflowError otherwise, naming the argument. Values inside the C range but
  outside what the library accepts (samples=0, threads=257) are the library's
  InvalidArgumentError, a ValueError;
- floating-point arguments are real numbers; a str is a TypeError.

Handles. Model, Matcher, Trainer and UnetOptions own one C handle each. close()
frees it (calling it again does nothing), `with` closes on exit, and the garbage
collector closes forgotten objects. A Trainer keeps its Model alive; closing the
Model closes its trainers first, and editing a Model while it has an open
Trainer raises StateError (the C API forbids it).

Threads and callbacks. The C API allows one call at a time on a handle. To run
one model on several threads at once, give each thread a Model.clone(): clones
share the weights copy-on-write (Model.param_bytes() shows them held once). The
binding serialises the calls on one handle: a call on a Model (or one of its Trainers, which share
its lock), Matcher or UnetOptions that another thread is using waits for that
call to end, and close() from another thread waits too, so a handle is never
freed under a running call. A matcher callback runs inside Model.match() or
Model.insert_dropout(); while it runs, that Model, its Trainers and the Matcher
are busy: using or closing any of them from the callback raises RuntimeError
(as io's files do for re-entrant calls), which match() re-raises. The callback
may use other models.

Arrays and copies. The C API copies every input by design (tensors hold their
own memory), so an input array is copied once into a new tensor - unless it is
itself an array returned by this module, whose tensor is then passed directly.
Outputs are never copied: each returned array is a view on the memory of the
C tensor that holds the result (np.shares_memory with nothing else). The
array's .base is a TensorBuffer owning that tensor. Like the memory of any
numpy array, the tensor lives as long as something can reach it: every view,
slice, reshape or memoryview of the array keeps the TensorBuffer alive, and the
tensor is freed when the last of them is gone (`del` them to free it early;
CPython frees at once). A TensorBuffer has no free() or close(): an explicit
free could not know whether views remain (numpy's __array_interface__ does not
count them, unlike mmap's exports), so none is offered, and no Python call
frees a tensor that an array can still reach. Arrays are float32, C-contiguous,
NHWC for images. Names with a leading underscore (and ctypes use of .handle)
are outside these guarantees.
"""

import collections
import contextlib
import ctypes
import ctypes.util
import functools
import operator
import os
import re
import threading
import weakref

import numpy as np

__all__ = [
    "ABI_VERSION", "version", "library_path",
    "UnetsegError", "InvalidArgumentError", "OutOfMemoryError", "ShapeError",
    "NotFoundError", "NameExistsError", "StateError", "UnetsegIOError", "FormatError",
    "NoMatchError", "ExpressionError", "GraphError", "UnsupportedError",
    "TensorBuffer", "LayerInfo", "UnetOptions", "Model", "Matcher", "Trainer",
    "load_tensor", "save_tensors", "live_handles", "LAYER_KINDS", "REGIONS",
]

ABI_VERSION = 1
MAX_RANK = 8

# ------------------------------------------------------------------ loading


def _candidates():
    env = os.environ.get("UNETSEG_LIBRARY")
    if env:
        # An explicit choice is the only candidate: silently falling back to
        # another library would hide a misconfiguration.
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    out = [os.path.normpath(os.path.join(here, "..", "..", "lib", "libunetseg.so"))]
    found = ctypes.util.find_library("unetseg")
    if found:
        out.append(found)
    out.append("libunetseg.so.1")
    return out


def _load_library():
    errors = []
    for cand in _candidates():
        if os.sep in cand and not os.path.exists(cand):
            errors.append("%s: no such file" % cand)
            continue
        try:
            return ctypes.CDLL(cand), cand
        except OSError as exc:
            errors.append("%s: %s" % (cand, exc))
    raise ImportError("unetseg: cannot load the shared library (set UNETSEG_LIBRARY): "
                      + "; ".join(errors))


_lib, library_path = _load_library()

# ------------------------------------------------------------- declarations


class _Tensor(ctypes.Structure):
    pass


class _Model(ctypes.Structure):
    pass


class _Matcher(ctypes.Structure):
    pass


class _InsertOptions(ctypes.Structure):
    pass


class _TrainOptions(ctypes.Structure):
    pass


class _Trainer(ctypes.Structure):
    pass


class _UnetOptions(ctypes.Structure):
    pass


class _TileOptions(ctypes.Structure):
    pass


_i32, _i64, _u64 = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint64
_dbl, _str = ctypes.c_double, ctypes.c_char_p
_P = ctypes.POINTER
_PT, _PM, _PMt = _P(_Tensor), _P(_Model), _P(_Matcher)
_PIO, _PTO, _PTr, _PUO = _P(_InsertOptions), _P(_TrainOptions), _P(_Trainer), _P(_UnetOptions)
_PTl = _P(_TileOptions)
_PF = _P(ctypes.c_float)
_MATCH_FN = ctypes.CFUNCTYPE(_i32, _str, _i32, ctypes.c_void_p)
_DESTROY_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_GRADIENT_HOOK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(ctypes.c_float), ctypes.c_int64,
                                  ctypes.c_void_p)
_BATCHNORM_SYNC_HOOK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(ctypes.c_double),
                                        ctypes.c_int64, ctypes.c_void_p)

_SIGNATURES = {
    # versions, status
    "unetseg_version_string": (_str,),
    "unetseg_version_number": (_i32,),
    "unetseg_abi_version": (_i32,),
    "unetseg_runtime_info": (_str,),
    "unetseg_status_string": (_str, _i32),
    "unetseg_last_error": (_str,),
    # tensors
    "unetseg_tensor_create": (_i32, _i32, _P(_i64), _P(_PT)),
    "unetseg_tensor_free": (None, _PT),
    "unetseg_tensor_rank": (_i32, _PT, _P(_i32)),
    "unetseg_tensor_shape": (_i32, _PT, _P(_i64), _i32),
    "unetseg_tensor_numel": (_i32, _PT, _P(_i64)),
    "unetseg_tensor_data": (_PF, _PT),
    "unetseg_tensor_data_const": (_PF, _PT),
    "unetseg_tensor_copy_from": (_i32, _PT, _PF, _i64),
    "unetseg_tensor_copy_to": (_i32, _PT, _PF, _i64),
    "unetseg_tensor_load": (_i32, _str, _str, _P(_PT)),
    "unetseg_tensors_save": (_i32, _str, _P(_str), _P(_PT), _i32),
    "unetseg_layer_kind_name": (_str, _i32),
    # model building
    "unetseg_model_create": (_i32, _P(_PM)),
    "unetseg_model_free": (None, _PM),
    "unetseg_model_last_error": (_str, _PM),
    "unetseg_model_add_input": (_i32, _PM, _str, _i64, _i64, _i64),
    "unetseg_model_add_conv2d": (_i32, _PM, _str, _str, _i64, _i64, _i64, _i64, _i64, _i32, _i32),
    "unetseg_model_add_conv2d_transpose": (_i32, _PM, _str, _str, _i64, _i64, _i64, _i64, _i64,
                                           _i32, _i32),
    "unetseg_model_add_batchnorm": (_i32, _PM, _str, _str, _dbl, _dbl, _i32, _i32),
    "unetseg_model_add_activation": (_i32, _PM, _str, _str, _i32),
    "unetseg_model_add_zero_padding2d": (_i32, _PM, _str, _str, _i64, _i64, _i64, _i64),
    "unetseg_model_add_max_pooling2d": (_i32, _PM, _str, _str, _i64, _i64, _i64, _i64, _i32),
    "unetseg_model_add_upsampling2d": (_i32, _PM, _str, _str, _i64, _i64, _i32),
    "unetseg_model_add_concatenate": (_i32, _PM, _str, _P(_str), _i32),
    "unetseg_model_add_add": (_i32, _PM, _str, _P(_str), _i32),
    "unetseg_model_add_dropout": (_i32, _PM, _str, _str, _dbl),
    "unetseg_model_add_spatial_dropout2d": (_i32, _PM, _str, _str, _dbl),
    "unetseg_model_add_conditional_dropout": (_i32, _PM, _str, _str, _dbl, _i32, _i32),
    # layer queries
    "unetseg_model_layer_count": (_i32, _PM, _P(_i32)),
    "unetseg_model_layer_index": (_i32, _PM, _str, _P(_i32)),
    "unetseg_model_layer_name": (_i32, _PM, _i32, _P(_str)),
    "unetseg_model_layer_kind": (_i32, _PM, _i32, _P(_i32)),
    "unetseg_model_layer_region": (_i32, _PM, _i32, _P(_i32)),
    "unetseg_model_layer_inbound_count": (_i32, _PM, _i32, _P(_i32)),
    "unetseg_model_layer_inbound": (_i32, _PM, _i32, _i32, _P(_str)),
    "unetseg_model_layer_output_shape": (_i32, _PM, _i32, _P(_i64)),
    "unetseg_model_layer_param_count": (_i32, _PM, _i32, _P(_i64)),
    "unetseg_model_layer_trainable": (_i32, _PM, _i32, _P(_i32)),
    "unetseg_model_set_trainable": (_i32, _PM, _str, _i32),
    "unetseg_model_param_totals": (_i32, _PM, _P(_i64), _P(_i64), _P(_i64)),
    # parameters
    "unetseg_model_param_tensor_count": (_i32, _PM, _P(_i32)),
    "unetseg_model_param_tensor_name": (_i32, _PM, _i32, _P(_str)),
    "unetseg_model_param_get": (_i32, _PM, _str, _P(_PT)),
    "unetseg_model_param_set": (_i32, _PM, _str, _PT),
    # clones
    "unetseg_model_clone": (_i32, _PM, _P(_PM)),
    "unetseg_model_param_bytes": (_i32, _PM, _P(_PM), _i32, _P(_i64), _P(_i64), _P(_i64)),
    # running
    "unetseg_model_summary": (_i32, _PM, _P(_str)),
    "unetseg_model_forward": (_i32, _PM, _PT, _P(_PT)),
    "unetseg_model_forward_with_activations": (_i32, _PM, _PT, _P(_str), _i32, _P(_PT), _P(_PT)),
    # weights
    "unetseg_model_save_weights": (_i32, _PM, _str),
    "unetseg_model_load_weights": (_i32, _PM, _str, _i32, _P(_str)),
    "unetseg_model_load": (_i32, _str, _P(_PM)),
    # threads, dropout, MC
    "unetseg_model_set_threads": (_i32, _PM, _i32),
    "unetseg_model_set_kernel_cache_limit": (_i32, _PM, _i64),
    # profiling
    "unetseg_model_set_profiling": (_i32, _PM, _i32),
    "unetseg_model_layer_profile": (_i32, _PM, _i32, _P(_i64), _P(_dbl), _P(_dbl)),
    "unetseg_model_profile": (_i32, _PM, _P(_str)),
    "unetseg_set_max_threads": (_i32, _i32),
    "unetseg_shutdown_workers": (None,),
    "unetseg_model_set_seed": (_i32, _PM, _u64),
    "unetseg_model_set_mc_dropout": (_i32, _PM, _i32),
    "unetseg_model_predict_mc": (_i32, _PM, _PT, _i32, _u64, _P(_PT), _P(_PT), _P(_PT)),
    # tiled sliding-window prediction
    "unetseg_tile_options_create": (_i32, _P(_PTl)),
    "unetseg_tile_options_free": (None, _PTl),
    "unetseg_tile_options_set_tile": (_i32, _PTl, _i64, _i64),
    "unetseg_tile_options_set_overlap": (_i32, _PTl, _i64),
    "unetseg_tile_options_set_margin": (_i32, _PTl, _i64),
    "unetseg_tile_options_set_blend": (_i32, _PTl, _i32),
    "unetseg_tile_options_set_batch": (_i32, _PTl, _i32),
    "unetseg_model_predict_tiled": (_i32, _PM, _PT, _PTl, _P(_PT)),
    "unetseg_model_predict_tiled_mc": (_i32, _PM, _PT, _PTl, _i32, _u64, _P(_PT), _P(_PT),
                                       _P(_PT)),
    # matchers
    "unetseg_matcher_create": (_i32, _P(_PMt)),
    "unetseg_matcher_free": (None, _PMt),
    "unetseg_matcher_require": (_i32, _PMt, _str),
    "unetseg_matcher_exclude": (_i32, _PMt, _str),
    "unetseg_matcher_glob": (_i32, _PMt, _str),
    "unetseg_matcher_regex": (_i32, _PMt, _str),
    "unetseg_matcher_kind": (_i32, _PMt, _i32),
    "unetseg_matcher_region": (_i32, _PMt, _i32),
    "unetseg_matcher_callback": (_i32, _PMt, _MATCH_FN, ctypes.c_void_p),
    "unetseg_matcher_callback_ex": (_i32, _PMt, _MATCH_FN, ctypes.c_void_p, _DESTROY_FN),
    "unetseg_matcher_parse": (_i32, _str, _P(_PMt)),
    "unetseg_model_match": (_i32, _PM, _PMt, _P(_i32), _i32, _P(_i32)),
    # insertion
    "unetseg_insert_options_create": (_i32, _P(_PIO)),
    "unetseg_insert_options_free": (None, _PIO),
    "unetseg_insert_options_set_kind": (_i32, _PIO, _i32),
    "unetseg_insert_options_set_rate": (_i32, _PIO, _dbl),
    "unetseg_insert_options_set_mode": (_i32, _PIO, _i32, _i32),
    "unetseg_insert_options_set_position": (_i32, _PIO, _i32),
    "unetseg_insert_options_set_suffix": (_i32, _PIO, _str),
    "unetseg_insert_options_set_allow_no_match": (_i32, _PIO, _i32),
    "unetseg_model_insert_dropout": (_i32, _PM, _PMt, _PIO, _P(_i32)),
    # training
    "unetseg_train_options_create": (_i32, _P(_PTO)),
    "unetseg_train_options_free": (None, _PTO),
    "unetseg_train_options_set_loss": (_i32, _PTO, _i32),
    "unetseg_train_options_set_class_weights": (_i32, _PTO, _PF, _i32),
    "unetseg_train_options_set_optimizer": (_i32, _PTO, _i32, _dbl),
    "unetseg_train_options_set_sgd": (_i32, _PTO, _dbl, _i32, _dbl),
    "unetseg_train_options_set_adam": (_i32, _PTO, _dbl, _dbl, _dbl),
    "unetseg_train_options_set_schedule": (_i32, _PTO, _i32, _i64, _dbl, _i64, _dbl),
    "unetseg_train_options_set_seed": (_i32, _PTO, _u64),
    "unetseg_trainer_create": (_i32, _PM, _PTO, _P(_PTr)),
    "unetseg_trainer_free": (None, _PTr),
    "unetseg_trainer_last_error": (_str, _PTr),
    "unetseg_trainer_step": (_i32, _PTr, _PT, _PT, _P(_dbl)),
    "unetseg_trainer_evaluate": (_i32, _PTr, _PT, _PT, _P(_dbl), _P(_dbl), _P(_dbl)),
    "unetseg_trainer_progress": (_i32, _PTr, _P(_i64), _P(_dbl)),
    "unetseg_trainer_set_learning_rate": (_i32, _PTr, _dbl),
    "unetseg_trainer_sync_trainable": (_i32, _PTr),
    "unetseg_trainer_recalibrate_bn": (_i32, _PTr, _PT, _i32),
    "unetseg_trainer_set_gradient_hook": (_i32, _PTr, _GRADIENT_HOOK, ctypes.c_void_p),
    "unetseg_trainer_set_batchnorm_sync_hook": (_i32, _PTr, _BATCHNORM_SYNC_HOOK, ctypes.c_void_p),
    "unetseg_trainer_gradient_count": (_i32, _PTr, _P(_i64)),
    "unetseg_trainer_save_checkpoint": (_i32, _PTr, _str),
    "unetseg_trainer_load_checkpoint": (_i32, _PTr, _str),
    # builders
    "unetseg_unet_options_create": (_i32, _P(_PUO)),
    "unetseg_backbone_name": (_str, _i32),
    "unetseg_unet_options_free": (None, _PUO),
    "unetseg_unet_options_set_backbone": (_i32, _PUO, _str),
    "unetseg_unet_options_set_input_shape": (_i32, _PUO, _i64, _i64, _i64),
    "unetseg_unet_options_set_classes": (_i32, _PUO, _i64),
    "unetseg_unet_options_set_activation": (_i32, _PUO, _i32),
    "unetseg_unet_options_set_decoder_block_type": (_i32, _PUO, _str),
    "unetseg_unet_options_set_decoder_filters": (_i32, _PUO, _P(_i64), _i32),
    "unetseg_unet_options_set_decoder_use_batchnorm": (_i32, _PUO, _i32),
    "unetseg_unet_options_set_encoder_freeze": (_i32, _PUO, _i32),
    "unetseg_unet_options_set_seed": (_i32, _PUO, _u64),
    "unetseg_encoder_create": (_i32, _PUO, _P(_PM)),
    "unetseg_decoder_append": (_i32, _PM, _PUO),
    "unetseg_unet_create": (_i32, _PUO, _P(_PM)),
}


def _declare():
    missing = []
    for name, (restype, *argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(_lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise ImportError("unetseg: %s lacks %s" % (library_path, ", ".join(missing)))


def _check_abi():
    # First, before any other symbol is looked up: a library of another ABI
    # must be reported as such, not as missing functions.
    try:
        fn = _lib.unetseg_abi_version
    except AttributeError:
        raise ImportError("unetseg: %s is not libunetseg (no unetseg_abi_version)"
                          % library_path) from None
    fn.restype, fn.argtypes = _i32, []
    abi = fn()
    if abi != ABI_VERSION:
        raise ImportError("unetseg: %s has ABI %d, this binding needs ABI %d"
                          % (library_path, abi, ABI_VERSION))


_check_abi()
_declare()


def version():
    """"MAJOR.MINOR.PATCH" of the loaded library."""
    return _lib.unetseg_version_string().decode()


def runtime_info():
    """What the process runs with: CPU, vector features, GEMM kernel variant,
    threads, OpenBLAS (unetseg_runtime_info())."""
    return _lib.unetseg_runtime_info().decode()


__version__ = version()

# ---------------------------------------------------------------- constants

LAYER_KINDS = {}          # "conv2d" -> 1, ...
_KIND_NAMES = {}          # 1 -> "conv2d", ...
for _k in range(64):
    _n = _lib.unetseg_layer_kind_name(_k)
    if _n is not None:
        LAYER_KINDS[_n.decode()] = _k
        _KIND_NAMES[_k] = _n.decode()
del _k, _n

REGIONS = {"none": 0, "encoder": 1, "decoder": 2, "head": 3}
_REGION_NAMES = {v: k for k, v in REGIONS.items()}
_PADDINGS = {"valid": 0, "same": 1}
_ACTIVATIONS = {"linear": 0, "relu": 1, "sigmoid": 2, "softmax": 3, "tanh": 4}
_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
_DROPOUT_MODES = {"training": 0, "always": 1, "never": 2}
_DROPOUT_KINDS = {"dropout": 10, "spatial": 11, "spatial_dropout2d": 11, "spatialdropout2d": 11,
                  "conditional": 12, "conditional_dropout": 12, "conditionaldropout": 12}
_LOSSES = {"bce": 0, "binary_crossentropy": 0, "cce": 1, "categorical_crossentropy": 1,
           "dice": 2, "jaccard": 3, "binary_focal": 4, "categorical_focal": 5,
           "bce_dice": 6, "bce_jaccard": 7, "cce_dice": 8, "cce_jaccard": 9}
_OPTIMIZERS = {"sgd": 0, "adam": 1}
_SCHEDULES = {"constant": 0, "step": 1, "cosine": 2}
_BLENDS = {"uniform": 0, "gaussian": 1}


def _enum(table, value, what):
    """The C number of `value`: a name in `table` (any case) or the number itself."""
    if isinstance(value, str):
        try:
            return table[value.lower()]
        except KeyError:
            raise ValueError("unknown %s %r (one of %s)"
                             % (what, value, ", ".join(sorted(table)))) from None
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError("%s must be a name (str) or its number (int), not %s"
                        % (what, type(value).__name__))
    return _int(value, what, _i32)


# ------------------------------------------------------------------- errors


class UnetsegError(Exception):
    """A failed unetseg call: .status (negative code), .status_name, .message."""

    status = None

    def __init__(self, status, message=""):
        self.status = int(status)
        self.status_name = _status_name(self.status)
        self.message = message
        super().__init__("%s: %s" % (self.status_name, message) if message else self.status_name)

    def __reduce__(self):
        return (type(self), (self.status, self.message))


class InvalidArgumentError(UnetsegError, ValueError):
    """UNETSEG_E_INVALID_ARG: a NULL pointer or a value out of range."""


class OutOfMemoryError(UnetsegError, MemoryError):
    """UNETSEG_E_NOMEM."""


class ShapeError(UnetsegError, ValueError):
    """UNETSEG_E_SHAPE: tensor shapes do not fit."""


class NotFoundError(UnetsegError, LookupError):
    """UNETSEG_E_NOT_FOUND: no layer, parameter or tensor of that name."""


class NameExistsError(UnetsegError, ValueError):
    """UNETSEG_E_NAME_EXISTS."""


class StateError(UnetsegError, RuntimeError):
    """UNETSEG_E_STATE: the handle is in the wrong state."""


class UnetsegIOError(UnetsegError, OSError):
    """UNETSEG_E_IO: a file could not be opened, read, written or renamed."""


class FormatError(UnetsegError, ValueError):
    """UNETSEG_E_FORMAT: a file is malformed, truncated or inconsistent."""


class NoMatchError(UnetsegError, LookupError):
    """UNETSEG_E_NO_MATCH: a matcher selected no layer; the message suggests names."""

    @property
    def suggestions(self):
        """The real layer names the library suggests (from its message)."""
        m = re.search(r"names look like (.*)$", self.message)
        return [n.strip() for n in m.group(1).split(",") if n.strip()] if m else []


class ExpressionError(UnetsegError, ValueError):
    """UNETSEG_E_SYNTAX: a matcher expression or regex does not parse.

    .column is the 1-based column the library reports (None if it gives none)."""

    @property
    def column(self):
        m = re.search(r"column (\d+)", self.message)
        return int(m.group(1)) if m else None


class GraphError(UnetsegError, ValueError):
    """UNETSEG_E_GRAPH: unknown inbound layer, misplaced input, missing skip layer."""


class UnsupportedError(UnetsegError, NotImplementedError):
    """UNETSEG_E_UNSUPPORTED."""


_ERRORS = {-1: InvalidArgumentError, -2: OutOfMemoryError, -3: ShapeError, -4: NotFoundError,
           -5: NameExistsError, -6: StateError, -7: UnetsegIOError, -8: FormatError,
           -9: NoMatchError, -10: ExpressionError, -11: GraphError, -12: UnsupportedError}


def _status_name(status):
    try:
        return _lib.unetseg_status_string(int(status)).decode()
    except Exception:  # noqa: BLE001 - interpreter shutdown
        return "status %d" % status


def _check(status):
    """Raise the UnetsegError of a non-zero status, with the thread's last error."""
    if status != 0:
        msg = _lib.unetseg_last_error()
        text = msg.decode("utf-8", "replace") if msg else ""
        raise _ERRORS.get(status, UnetsegError)(status, text)
    return status


# ------------------------------------------------------------------ helpers


# Checked before anything reaches ctypes: it would cut a string at its first
# NUL and wrap an integer modulo 2**bits without a word.

_C_RANGES = {_i32: ("int32_t", -2 ** 31, 2 ** 31 - 1),
             _i64: ("int64_t", -2 ** 63, 2 ** 63 - 1),
             _u64: ("uint64_t", 0, 2 ** 64 - 1)}


def _text(value, what="name"):
    """A str argument as UTF-8 for C: TypeError unless str, ValueError with a NUL."""
    if not isinstance(value, str):
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if "\0" in value:
        raise ValueError("embedded null character in %s" % what)
    return value.encode("utf-8")


def _texts(values, what, item):
    """An iterable of str (not a single str) as a char* array and its length."""
    if isinstance(values, (str, bytes)):
        raise TypeError("%s must be an iterable of str, not %s" % (what, type(values).__name__))
    items = [_text(v, item) for v in values]
    n = _int(len(items), "number of " + what, _i32)
    return (_str * max(n, 1))(*items), n


def _path(path, what="path"):
    """A path as open() takes it (str, bytes, os.PathLike); ValueError with a NUL byte."""
    raw = os.fsencode(path)   # TypeError: expected str, bytes or os.PathLike object
    if b"\0" in raw:
        raise ValueError("embedded null byte in %s" % what)
    return raw


def _int(value, what, ctype=_i64):
    """An integer argument that fits the C type: TypeError unless an integer (a float
    is refused, as by range()); OverflowError, naming it, outside the C range."""
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an integer, not %s" % (what, type(value).__name__)) from None
    cname, lo, hi = _C_RANGES[ctype]
    if not lo <= v <= hi:
        raise OverflowError("%s=%d does not fit in %s (%d..%d)" % (what, v, cname, lo, hi))
    return v


def _float(value, what):
    """A real-number argument (a str is a TypeError, not parsed)."""
    if not isinstance(value, (str, bytes, bytearray)):
        try:
            return float(value)
        except TypeError:
            pass
    raise TypeError("%s must be a real number, not %s" % (what, type(value).__name__))


def _pair(value, what):
    """(a, b) int64 pair from an int or a pair of ints."""
    if hasattr(value, "__index__"):
        v = _int(value, what)
        return v, v
    value = tuple(_int(v, what) for v in value)
    if len(value) != 2:
        raise ValueError("%s must be an int or a pair" % what)
    return value


# Live C handles per kind; lets tests (and the curious) check that nothing leaks.
_LIVE = collections.Counter()


def live_handles():
    """{kind: number of C handles this module currently owns} (non-zero kinds)."""
    return {k: v for k, v in _LIVE.items() if v}


class _Guard:
    """The lock of one C handle, shared by a Model and its Trainers.

    The C API allows one call at a time on a handle: a call from another thread
    waits here. `busy` names the call that is running Python callbacks (a
    matcher's) on this thread; entering the guard again from such a callback
    raises RuntimeError instead of re-entering the C call, or freeing the handle
    under it. A close (`closing()`) goes before calls that come later: the lock
    is not fair, and a thread calling in a loop took it back each time it let
    it go, so a close from another thread waited for the loop to end (a minute,
    in a test under AddressSanitizer)."""

    __slots__ = ("lock", "kind", "busy", "owner", "depth", "closers", "closers_changed")

    def __init__(self, kind):
        self.lock = threading.RLock()
        self.kind = kind
        self.busy = None
        self.owner = None  # the thread inside the guard, if any
        self.depth = 0
        self.closers = 0  # threads waiting in closing()
        self.closers_changed = threading.Condition()  # guards `closers`

    def _enter(self, closing):
        me = threading.get_ident()
        if closing:
            with self.closers_changed:
                self.closers += 1
        else:
            # a call waits while a close does (a thread already inside, such
            # as a matcher's callback, is not made to wait for itself)
            with self.closers_changed:
                self.closers_changed.wait_for(lambda: not self.closers or self.owner == me)
        try:
            self.lock.acquire()
        finally:
            if closing:
                with self.closers_changed:
                    self.closers -= 1
                    if not self.closers:
                        self.closers_changed.notify_all()
        if self.busy is not None:
            self.lock.release()
            raise RuntimeError(
                "the %s is busy in %s: a matcher callback cannot use or close the Model being"
                " matched, its Trainers or the Matcher" % (self.kind, self.busy))
        self.owner = me
        self.depth += 1
        return self

    def __enter__(self):
        return self._enter(False)

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0:
            self.owner = None
        self.lock.release()
        return False

    @contextlib.contextmanager
    def closing(self):
        """The guard, entered by a close: ahead of the calls waiting for it."""
        self._enter(True)
        try:
            yield self
        finally:
            self.__exit__()


@contextlib.contextmanager
def _running_callbacks(what, *guards):
    """Mark `guards` (entered by this thread) busy while a C call may call back."""
    for g in guards:
        g.busy = what
    try:
        yield
    finally:
        for g in guards:
            g.busy = None


def _locked(method):
    """Run `method` inside its handle's guard (one call at a time, see _Guard)."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._guard:
            return method(self, *args, **kwargs)
    return locked


class _Handle:
    """Owns one C handle; subclasses set _free_name and _kind."""

    _free_name = None
    _kind = None
    _ptr = None

    def _adopt(self, ptr, guard=None):
        if not ptr:
            raise RuntimeError("unetseg returned a NULL handle")
        self._guard = guard if guard is not None else _Guard(type(self).__name__)
        self._ptr = ptr
        self._free = getattr(_lib, self._free_name)
        _LIVE[self._kind] += 1

    @property
    def closed(self):
        return self._ptr is None

    @property
    def _h(self):
        if self._ptr is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._ptr

    def close(self):
        """Free the C handle; further calls do nothing. Waits for a call that
        another thread is making on it; RuntimeError from a matcher callback
        that runs inside a call on it."""
        if self._ptr is None:
            return
        with self._guard.closing():
            self._release()

    def _release(self):
        # Inside the guard.
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            self._free(ptr)
            _LIVE[self._kind] -= 1

    def __enter__(self):
        self._h  # noqa: B018 - raises on a closed handle
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


# ------------------------------------------------------------------ tensors

# The weak references whose callbacks free the tensors of live TensorBuffers.
_TENSOR_OWNERS = {}


def _own_tensor(buf, tensor):
    """Free the tensor at address `tensor` once `buf` is gone, and never before.

    The freeing callback is reachable from Python (weakref.getweakrefs), so it
    checks that the buffer is really gone: called by hand, it does nothing."""
    def release(_ref):
        try:
            if ref() is not None or _TENSOR_OWNERS.pop(id(ref), None) is None:
                return
            _lib.unetseg_tensor_free(ctypes.cast(tensor, _PT))
            _LIVE["tensor"] -= 1
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
    ref = weakref.ref(buf, release)
    _TENSOR_OWNERS[id(ref)] = ref
    _LIVE["tensor"] += 1


class TensorBuffer:
    """Owner of one unetseg tensor, exposed to numpy through __array_interface__.

    Arrays returned by this module are views whose .base is a TensorBuffer: the
    tensor's memory is used in place, every view of it keeps the buffer alive,
    and the tensor is freed when the buffer is gone - never earlier: there is
    no free() (see the module's "Arrays and copies").
    """

    __slots__ = ("_tensor", "_shape", "_address", "__weakref__")

    def __init__(self, ptr):
        """Take ownership of the unetseg_tensor pointer `ptr` (ctypes)."""
        if getattr(self, "_tensor", None) is not None:
            raise RuntimeError("TensorBuffer is already initialised")
        if not ptr:
            raise RuntimeError("unetseg returned a NULL tensor")
        tensor = ctypes.cast(ptr, ctypes.c_void_p).value
        _own_tensor(self, tensor)
        self._tensor = tensor
        rank = _i32()
        _check(_lib.unetseg_tensor_rank(ptr, ctypes.byref(rank)))
        dims = (_i64 * MAX_RANK)()
        _check(_lib.unetseg_tensor_shape(ptr, dims, MAX_RANK))
        self._shape = tuple(int(dims[i]) for i in range(rank.value))
        self._address = ctypes.cast(_lib.unetseg_tensor_data(ptr), ctypes.c_void_p).value

    @classmethod
    def from_array(cls, array):
        """A new tensor holding a copy of `array` (converted to C-contiguous float32)."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        if a.ndim < 1 or a.ndim > MAX_RANK:
            raise ValueError("arrays of rank 1..%d only (got %d)" % (MAX_RANK, a.ndim))
        shape = (_i64 * a.ndim)(*a.shape)
        ptr = _PT()
        _check(_lib.unetseg_tensor_create(a.ndim, shape, ctypes.byref(ptr)))
        buf = cls(ptr)
        _check(_lib.unetseg_tensor_copy_from(ptr, a.ctypes.data_as(_PF), a.size))
        return buf

    @property
    def shape(self):
        """The tensor's shape."""
        return self._shape

    @property
    def address(self):
        """The address of the tensor's first float."""
        return self._address

    @property
    def handle(self):
        """The unetseg_tensor pointer, for ctypes calls (valid while this buffer lives)."""
        return ctypes.cast(self._tensor, _PT)

    @property
    def __array_interface__(self):
        return {"version": 3, "shape": self._shape, "typestr": "<f4",
                "data": (self._address, False), "strides": None}

    def array(self):
        """The numpy view on the tensor (no copy); keeps this buffer alive."""
        return np.asarray(self)


def _input(array):
    """(tensor pointer, keep-alive) for an input array.

    An array that is exactly the view of one of our tensors is passed without
    a copy; anything else is copied once into a new tensor (the C API copies
    inputs, so it cannot borrow numpy memory)."""
    if isinstance(array, np.ndarray):
        base = array.base
        if (isinstance(base, TensorBuffer)
                and array.dtype == np.float32 and array.flags.c_contiguous
                and array.shape == base.shape and array.ctypes.data == base.address):
            return base.handle, base
    buf = TensorBuffer.from_array(array)
    return buf.handle, buf


def _output(ptr):
    """numpy view of a tensor the library returned (owned from now on)."""
    return np.asarray(TensorBuffer(ptr)) if ptr else None


def load_tensor(path, name):
    """The tensor `name` of a safetensors file, as a float32 array."""
    p, n = _path(path), _text(name)
    out = _PT()
    _check(_lib.unetseg_tensor_load(p, n, ctypes.byref(out)))
    return _output(out)


def save_tensors(path, tensors):
    """Write {name: array} to a safetensors file (F32), atomically."""
    p = _path(path)
    items = list(tensors.items())
    names, n = _texts([k for k, _ in items], "tensor names", "tensor name")
    keep = [_input(a) for _, a in items]
    ptrs = (_PT * max(n, 1))(*[ptr for ptr, _ in keep])
    _check(_lib.unetseg_tensors_save(p, names, ptrs, n))


# ------------------------------------------------------------ Unet options


class UnetOptions(_Handle):
    """Options of Unet(): backbone, input_shape, classes, activation,
    decoder_block_type, decoder_filters, decoder_use_batchnorm, encoder_freeze,
    seed (Keras segmentation_models defaults). None leaves an option at its default."""

    _free_name, _kind = "unetseg_unet_options_free", "unet_options"

    def __init__(self, backbone=None, input_shape=None, classes=None, activation=None,
                 decoder_block_type=None, decoder_filters=None, decoder_use_batchnorm=None,
                 encoder_freeze=None, seed=None):
        out = _PUO()
        _check(_lib.unetseg_unet_options_create(ctypes.byref(out)))
        self._adopt(out)
        try:
            h = self._h
            if backbone is not None:
                _check(_lib.unetseg_unet_options_set_backbone(h, _text(backbone, "backbone")))
            if input_shape is not None:
                dims = [-1 if d is None else _int(d, "input_shape") for d in input_shape]
                if len(dims) != 3:
                    raise ValueError("input_shape must be (height, width, channels)")
                _check(_lib.unetseg_unet_options_set_input_shape(h, *dims))
            if classes is not None:
                _check(_lib.unetseg_unet_options_set_classes(h, _int(classes, "classes")))
            if activation is not None:
                _check(_lib.unetseg_unet_options_set_activation(
                    h, _enum(_ACTIVATIONS, activation, "activation")))
            if decoder_block_type is not None:
                _check(_lib.unetseg_unet_options_set_decoder_block_type(
                    h, _text(decoder_block_type, "decoder_block_type")))
            if decoder_filters is not None:
                f = [_int(v, "decoder_filters") for v in decoder_filters]
                _check(_lib.unetseg_unet_options_set_decoder_filters(
                    h, (_i64 * max(len(f), 1))(*f), _int(len(f), "len(decoder_filters)", _i32)))
            if decoder_use_batchnorm is not None:
                _check(_lib.unetseg_unet_options_set_decoder_use_batchnorm(
                    h, int(bool(decoder_use_batchnorm))))
            if encoder_freeze is not None:
                _check(_lib.unetseg_unet_options_set_encoder_freeze(h, int(bool(encoder_freeze))))
            if seed is not None:
                _check(_lib.unetseg_unet_options_set_seed(h, _int(seed, "seed", _u64)))
        except BaseException:
            self.close()
            raise


def _unet_options(options, kwargs):
    """(UnetOptions, made here?) from a UnetOptions or its keyword arguments."""
    if options is None:
        return UnetOptions(**kwargs), True
    if kwargs:
        raise TypeError("pass a UnetOptions or keyword arguments, not both")
    if not isinstance(options, UnetOptions):
        raise TypeError("options must be a unetseg.UnetOptions, not %s" % type(options).__name__)
    return options, False


# -------------------------------------------------------------------- model

LayerInfo = collections.namedtuple(
    "LayerInfo", "name index kind region inbound output_shape param_count trainable")
LayerInfo.__doc__ = """One layer: kind ("conv2d", ...), region ("encoder", "decoder", "head",
"none"), inbound names, output_shape (None, H, W, C) with None for unknown
dims, scalar parameter count, trainable flag."""


ParamBytes = collections.namedtuple("ParamBytes", "unique total cache")


class Model(_Handle):
    """A unetseg model. Model() is empty (add layers with add_*);
    Model.unet(**options) builds Unet(); Model.load(path) rebuilds a saved model.

    One call at a time: calls from several threads are serialised (see the
    module's "Threads and callbacks")."""

    _free_name, _kind = "unetseg_model_free", "model"

    def __init__(self, _ptr=None):
        self._trainers = weakref.WeakSet()   # open Trainers (they hold the model)
        if _ptr is None:
            _ptr = _PM()
            _check(_lib.unetseg_model_create(ctypes.byref(_ptr)))
        self._adopt(_ptr)

    # ---- construction
    @classmethod
    def unet(cls, options=None, **kwargs):
        """Unet(): a UnetOptions or its keyword arguments (backbone="resnet34", ...)."""
        return cls._build(_lib.unetseg_unet_create, options, kwargs)

    @classmethod
    def encoder(cls, options=None, **kwargs):
        """The ResNet backbone alone (layers data .. relu1)."""
        return cls._build(_lib.unetseg_encoder_create, options, kwargs)

    @classmethod
    def _build(cls, fn, options, kwargs):
        opts, made = _unet_options(options, kwargs)
        try:
            out = _PM()
            with opts._guard:
                _check(fn(opts._h, ctypes.byref(out)))
            return cls(out)
        finally:
            if made:
                opts.close()

    @_locked
    def append_decoder(self, options=None, **kwargs):
        """Append the U-Net decoder and head to a backbone (unetseg_decoder_append)."""
        h = self._mutable()
        opts, made = _unet_options(options, kwargs)
        try:
            with opts._guard:
                _check(_lib.unetseg_decoder_append(h, opts._h))
        finally:
            if made:
                opts.close()
        return self

    @classmethod
    def load(cls, path):
        """A model rebuilt from a file written by save_weights()."""
        p = _path(path)
        out = _PM()
        _check(_lib.unetseg_model_load(p, ctypes.byref(out)))
        return cls(out)

    def close(self):
        """Free the model (and first close every Trainer built on it)."""
        if self._ptr is None:
            return
        with self._guard.closing():
            for t in list(self._trainers):
                t.close()
            self._release()

    def _mutable(self):
        h = self._h
        if any(not t.closed for t in self._trainers):
            raise StateError(-6, "the model has an open Trainer; close it before editing the model")
        return h

    # ---- adding layers (each returns self, so calls chain)
    @_locked
    def add_input(self, name, height=None, width=None, channels=3):
        """An input layer; height/width None for any size."""
        h = self._mutable()
        _check(_lib.unetseg_model_add_input(
            h, _text(name), -1 if height is None else _int(height, "height"),
            -1 if width is None else _int(width, "width"), _int(channels, "channels")))
        return self

    @_locked
    def add_conv2d(self, name, inbound, filters, kernel_size=3, strides=1, padding="valid",
                   use_bias=True):
        h = self._mutable()
        kh, kw = _pair(kernel_size, "kernel_size")
        sh, sw = _pair(strides, "strides")
        _check(_lib.unetseg_model_add_conv2d(
            h, _text(name), _text(inbound, "inbound"), _int(filters, "filters"), kh, kw, sh, sw,
            _enum(_PADDINGS, padding, "padding"), int(bool(use_bias))))
        return self

    @_locked
    def add_conv2d_transpose(self, name, inbound, filters, kernel_size=3, strides=1,
                             padding="valid", use_bias=True):
        h = self._mutable()
        kh, kw = _pair(kernel_size, "kernel_size")
        sh, sw = _pair(strides, "strides")
        _check(_lib.unetseg_model_add_conv2d_transpose(
            h, _text(name), _text(inbound, "inbound"), _int(filters, "filters"), kh, kw, sh, sw,
            _enum(_PADDINGS, padding, "padding"), int(bool(use_bias))))
        return self

    @_locked
    def add_batchnorm(self, name, inbound, epsilon=1e-3, momentum=0.99, center=True, scale=True):
        h = self._mutable()
        _check(_lib.unetseg_model_add_batchnorm(
            h, _text(name), _text(inbound, "inbound"), _float(epsilon, "epsilon"),
            _float(momentum, "momentum"), int(bool(center)), int(bool(scale))))
        return self

    @_locked
    def add_activation(self, name, inbound, activation="relu"):
        h = self._mutable()
        _check(_lib.unetseg_model_add_activation(h, _text(name), _text(inbound, "inbound"),
                                                 _enum(_ACTIVATIONS, activation, "activation")))
        return self

    @_locked
    def add_zero_padding2d(self, name, inbound, padding=1):
        """padding: int, (vertical, horizontal), ((top, bottom), (left, right))
        or (top, bottom, left, right)."""
        h = self._mutable()
        if hasattr(padding, "__index__"):
            t = b = l = r = _int(padding, "padding")
        elif len(padding) == 4:
            t, b, l, r = (_int(v, "padding") for v in padding)
        elif len(padding) == 2 and all(hasattr(p, "__index__") for p in padding):
            t = b = _int(padding[0], "padding")
            l = r = _int(padding[1], "padding")
        elif len(padding) == 2:
            (t, b), (l, r) = [_pair(p, "padding") for p in padding]
        else:
            raise ValueError("bad padding %r" % (padding,))
        _check(_lib.unetseg_model_add_zero_padding2d(h, _text(name), _text(inbound, "inbound"),
                                                     t, b, l, r))
        return self

    @_locked
    def add_max_pooling2d(self, name, inbound, pool_size=2, strides=None, padding="valid"):
        h = self._mutable()
        ph, pw = _pair(pool_size, "pool_size")
        sh, sw = (ph, pw) if strides is None else _pair(strides, "strides")
        _check(_lib.unetseg_model_add_max_pooling2d(h, _text(name), _text(inbound, "inbound"),
                                                    ph, pw, sh, sw,
                                                    _enum(_PADDINGS, padding, "padding")))
        return self

    @_locked
    def add_upsampling2d(self, name, inbound, size=2, interpolation="nearest"):
        h = self._mutable()
        sh, sw = _pair(size, "size")
        _check(_lib.unetseg_model_add_upsampling2d(
            h, _text(name), _text(inbound, "inbound"), sh, sw,
            _enum(_INTERPOLATIONS, interpolation, "interpolation")))
        return self

    @_locked
    def add_concatenate(self, name, inbounds):
        h = self._mutable()
        arr, n = _texts(inbounds, "inbounds", "inbound")
        _check(_lib.unetseg_model_add_concatenate(h, _text(name), arr, n))
        return self

    @_locked
    def add_add(self, name, inbounds):
        h = self._mutable()
        arr, n = _texts(inbounds, "inbounds", "inbound")
        _check(_lib.unetseg_model_add_add(h, _text(name), arr, n))
        return self

    @_locked
    def add_dropout(self, name, inbound, rate=0.5):
        h = self._mutable()
        _check(_lib.unetseg_model_add_dropout(h, _text(name), _text(inbound, "inbound"),
                                              _float(rate, "rate")))
        return self

    @_locked
    def add_spatial_dropout2d(self, name, inbound, rate=0.5):
        h = self._mutable()
        _check(_lib.unetseg_model_add_spatial_dropout2d(h, _text(name), _text(inbound, "inbound"),
                                                        _float(rate, "rate")))
        return self

    @_locked
    def add_conditional_dropout(self, name, inbound, rate=0.5, mode="training", spatial=False):
        h = self._mutable()
        _check(_lib.unetseg_model_add_conditional_dropout(
            h, _text(name), _text(inbound, "inbound"), _float(rate, "rate"),
            _enum(_DROPOUT_MODES, mode, "mode"), int(bool(spatial))))
        return self

    # ---- queries
    @_locked
    def __len__(self):
        n = _i32()
        _check(_lib.unetseg_model_layer_count(self._h, ctypes.byref(n)))
        return n.value

    def _name(self, index):
        s = _str()
        _check(_lib.unetseg_model_layer_name(self._h, index, ctypes.byref(s)))
        return s.value.decode()

    @property
    @_locked
    def layers(self):
        """Layer names in Keras model.layers order."""
        return [self._name(i) for i in range(len(self))]

    @_locked
    def __contains__(self, name):
        """Whether a layer is called `name` (a str; False if it holds a NUL)."""
        if isinstance(name, str) and "\0" in name:
            return False
        idx = _i32()
        return _lib.unetseg_model_layer_index(self._h, _text(name), ctypes.byref(idx)) == 0

    @_locked
    def layer_index(self, name):
        idx = _i32()
        _check(_lib.unetseg_model_layer_index(self._h, _text(name), ctypes.byref(idx)))
        return idx.value

    @_locked
    def layer_info(self, name):
        """LayerInfo of the layer `name` (or of index `name` if it is an int)."""
        h = self._h
        if isinstance(name, str):
            i = self.layer_index(name)
        elif hasattr(name, "__index__"):
            i = _int(name, "index", _i32)
        else:
            raise TypeError("layer must be a name (str) or an index (int), not %s"
                            % type(name).__name__)
        v32, v64 = _i32(), _i64()
        _check(_lib.unetseg_model_layer_kind(h, i, ctypes.byref(v32)))
        kind = _KIND_NAMES.get(v32.value, str(v32.value))
        _check(_lib.unetseg_model_layer_region(h, i, ctypes.byref(v32)))
        region = _REGION_NAMES.get(v32.value, str(v32.value))
        _check(_lib.unetseg_model_layer_inbound_count(h, i, ctypes.byref(v32)))
        inbound = []
        for w in range(v32.value):
            s = _str()
            _check(_lib.unetseg_model_layer_inbound(h, i, w, ctypes.byref(s)))
            inbound.append(s.value.decode())
        shape = (_i64 * 4)()
        _check(_lib.unetseg_model_layer_output_shape(h, i, shape))
        out_shape = tuple(None if d < 0 else int(d) for d in shape)
        _check(_lib.unetseg_model_layer_param_count(h, i, ctypes.byref(v64)))
        _check(_lib.unetseg_model_layer_trainable(h, i, ctypes.byref(v32)))
        return LayerInfo(self._name(i), i, kind, region, inbound, out_shape, v64.value,
                         bool(v32.value))

    @_locked
    def set_trainable(self, name, trainable=True):
        _check(_lib.unetseg_model_set_trainable(self._h, _text(name), int(bool(trainable))))

    @_locked
    def param_totals(self):
        """(total, trainable, non_trainable) scalar parameter counts (Keras rules)."""
        t, tr, nt = _i64(), _i64(), _i64()
        _check(_lib.unetseg_model_param_totals(self._h, ctypes.byref(t), ctypes.byref(tr),
                                               ctypes.byref(nt)))
        return t.value, tr.value, nt.value

    @_locked
    def clone(self):
        """A new Model equal to this one (layers, settings, weights), for another
        thread: the two share the weights copy-on-write until either changes a
        parameter (set_param, load_weights, training), which gives that one its
        own copy (unetseg_model_clone). The clone has no Trainers."""
        out = _PM()
        _check(_lib.unetseg_model_clone(self._h, ctypes.byref(out)))
        return Model(out)

    def param_bytes(self, *others):
        """ParamBytes(unique, total, cache): the parameter memory of this model
        together with the Models `others` (e.g. its clones), in bytes. unique
        counts each shared copy of the weights once, total as if every model
        held its own, cache the Winograd-transformed kernels kept for
        inference (each once). unetseg_model_param_bytes."""
        for o in others:
            if not isinstance(o, Model):
                raise TypeError("param_bytes: expected Model arguments, got %s"
                                % type(o).__name__)
        # every listed model is read: hold each one's lock, in one global order
        guards = dict((id(m._guard), m._guard) for m in (self,) + others)
        with contextlib.ExitStack() as stack:
            for key in sorted(guards):
                stack.enter_context(guards[key])
            arr = (_PM * len(others))(*[o._h for o in others]) if others else None
            u, t, c = _i64(), _i64(), _i64()
            _check(_lib.unetseg_model_param_bytes(self._h, arr, len(others), ctypes.byref(u),
                                                  ctypes.byref(t), ctypes.byref(c)))
        return ParamBytes(u.value, t.value, c.value)

    @property
    @_locked
    def param_names(self):
        """Every parameter tensor name "{layer}/{param}", in model order."""
        h = self._h
        n = _i32()
        _check(_lib.unetseg_model_param_tensor_count(h, ctypes.byref(n)))
        names = []
        for i in range(n.value):
            s = _str()
            _check(_lib.unetseg_model_param_tensor_name(h, i, ctypes.byref(s)))
            names.append(s.value.decode())  # borrowed: copy before the next call
        return names

    @_locked
    def get_param(self, name):
        """A copy of parameter "{layer}/{param}" (Keras layout) as a float32 array."""
        out = _PT()
        _check(_lib.unetseg_model_param_get(self._h, _text(name), ctypes.byref(out)))
        return _output(out)

    @_locked
    def set_param(self, name, value):
        """Overwrite parameter "{layer}/{param}" with `value` (same shape)."""
        h, n = self._h, _text(name)
        ptr, keep = _input(value)
        _check(_lib.unetseg_model_param_set(h, n, ptr))
        del keep

    @_locked
    def summary(self):
        """The Keras-style model.summary() table."""
        s = _str()
        _check(_lib.unetseg_model_summary(self._h, ctypes.byref(s)))
        return s.value.decode()

    # ---- running
    @_locked
    def forward(self, x, activations=None):
        """Inference-mode forward pass of x (N, H, W, C).

        Returns the output array, or (output, {name: activation}) when
        `activations` (an iterable of layer names) is given."""
        h = self._h
        if activations is None:
            ptr, keep = _input(x)
            out = _PT()
            _check(_lib.unetseg_model_forward(h, ptr, ctypes.byref(out)))
            return _output(out)
        arr, n = _texts(activations, "activations", "activation")
        names = [b.decode("utf-8") for b in arr[:n]]
        ptr, keep = _input(x)
        acts = (_PT * max(n, 1))()
        out = _PT()
        _check(_lib.unetseg_model_forward_with_activations(h, ptr, arr, n, acts, ctypes.byref(out)))
        del keep
        return _output(out), {name: _output(acts[i]) for i, name in enumerate(names)}

    __call__ = forward

    @_locked
    def predict_mc(self, x, samples=20, seed=0):
        """Monte-Carlo dropout: (mean, std, entropy) over `samples` passes (1..1000)."""
        h = self._h
        samples, seed = _int(samples, "samples", _i32), _int(seed, "seed", _u64)
        ptr, keep = _input(x)
        mean, std, ent = _PT(), _PT(), _PT()
        _check(_lib.unetseg_model_predict_mc(h, ptr, samples, seed, ctypes.byref(mean),
                                             ctypes.byref(std), ctypes.byref(ent)))
        del keep
        return _output(mean), _output(std), _output(ent)

    @_locked
    def predict_tiled(self, x, tile=512, overlap=128, margin=0, blend="gaussian", batch=1,
                      samples=None, seed=0):
        """Sliding-window prediction of images of any size (N, H, W, C).

        tile: an int or (height, width); overlap and margin in pixels;
        blend "gaussian" or "uniform"; batch: tiles per pass. With `samples`
        (1..1000), Monte-Carlo dropout tile by tile: (mean, std, entropy)
        of the whole image; otherwise the prediction (N, H, W, classes)."""
        h = self._h
        th, tw = _pair(tile, "tile")
        with _TileOptions_(th, tw, overlap, margin, blend, batch) as opts:
            ptr, keep = _input(x)
            if samples is None:
                out = _PT()
                _check(_lib.unetseg_model_predict_tiled(h, ptr, opts._h, ctypes.byref(out)))
                del keep
                return _output(out)
            samples, seed = _int(samples, "samples", _i32), _int(seed, "seed", _u64)
            mean, std, ent = _PT(), _PT(), _PT()
            _check(_lib.unetseg_model_predict_tiled_mc(h, ptr, opts._h, samples, seed,
                                                       ctypes.byref(mean), ctypes.byref(std),
                                                       ctypes.byref(ent)))
            del keep
            return _output(mean), _output(std), _output(ent)

    # ---- matching and dropout insertion
    def _matched_indices(self, matcher):
        # Inside the model's guard; the matcher's callbacks may run.
        h = self._h
        count = _i32()
        with matcher._guard, _running_callbacks("match()", self._guard, matcher._guard):
            mh = matcher._h
            st = _lib.unetseg_model_match(h, mh, None, 0, ctypes.byref(count))
            matcher._raise_callback_error()
            _check(st)
            idx = (_i32 * max(count.value, 1))()
            st = _lib.unetseg_model_match(h, mh, idx, count.value, ctypes.byref(count))
            matcher._raise_callback_error()
            _check(st)
        return list(idx[:count.value])

    @_locked
    def match(self, expr):
        """Names of the layers `expr` (a text expression or a Matcher) selects.

        NoMatchError (with the library's suggestions in the message) if none."""
        with _as_matcher(expr) as m:
            return [self._name(i) for i in self._matched_indices(m.matcher)]

    @_locked
    def insert_dropout(self, expr, kind="dropout", rate=0.5, mode="training", spatial=False,
                       before=False, suffix=None, allow_no_match=False):
        """Insert a dropout layer at every layer `expr` selects; returns the count.

        kind: "dropout", "spatial" (SpatialDropout2D) or "conditional"
        (ConditionalDropout with `mode` "training"|"always"|"never" and the
        `spatial` flag). before=True feeds the target instead of following it.
        New layers are named <target><suffix> (default "_dropout")."""
        h = self._mutable()
        with _as_matcher(expr) as m, _InsertOptions_(kind, rate, mode, spatial, before, suffix,
                                                     allow_no_match) as opts:
            mt = m.matcher
            if mt._callbacks:
                # A Python callback that raises must not leave a half-edited
                # model: dry-run first, so its exception surfaces before editing.
                try:
                    self._matched_indices(mt)
                except NoMatchError:
                    if not allow_no_match:
                        raise
            n = _i32()
            with mt._guard, _running_callbacks("insert_dropout()", self._guard, mt._guard):
                st = _lib.unetseg_model_insert_dropout(h, mt._h, opts._h, ctypes.byref(n))
                mt._raise_callback_error()
                _check(st)
            return n.value

    # ---- weights
    @_locked
    def save_weights(self, path):
        """Save every parameter and the layer list (safetensors; atomic)."""
        _check(_lib.unetseg_model_save_weights(self._h, _path(path)))

    @_locked
    def load_weights(self, path, strict=True):
        """Load parameters by name (all-or-nothing); returns the library's report."""
        rep = _str()
        _check(_lib.unetseg_model_load_weights(self._h, _path(path), 0 if strict else 1,
                                               ctypes.byref(rep)))
        return rep.value.decode() if rep.value else ""

    # ---- settings
    @_locked
    def set_seed(self, seed):
        """Seed of the dropout masks (0 .. 2**64-1); resets the step counter."""
        _check(_lib.unetseg_model_set_seed(self._h, _int(seed, "seed", _u64)))

    @_locked
    def set_mc_dropout(self, enabled=True):
        _check(_lib.unetseg_model_set_mc_dropout(self._h, int(bool(enabled))))

    @_locked
    def set_threads(self, threads):
        """1..256, or 0 for all cores (the default)."""
        _check(_lib.unetseg_model_set_threads(self._h, _int(threads, "threads", _i32)))

    @_locked
    def set_kernel_cache_limit(self, nbytes):
        """Bytes of Winograd-transformed kernels kept between passes (>= 0;
        default 48 MiB): memory for speed."""
        _check(_lib.unetseg_model_set_kernel_cache_limit(self._h, _int(nbytes, "nbytes", _i64)))

    # ---- profiling
    @_locked
    def set_profiling(self, enabled):
        """Per-layer timing of inference passes on (True) or off (False);
        either clears what was gathered."""
        _check(_lib.unetseg_model_set_profiling(self._h, 1 if enabled else 0))

    @_locked
    def layer_profile(self, layer):
        """(runs, total_ms, idle_ms) profiled for `layer` (a name or an index)."""
        i = self.layer_index(layer) if isinstance(layer, str) else _int(layer, "index", _i32)
        runs, total, idle = _i64(), _dbl(), _dbl()
        _check(_lib.unetseg_model_layer_profile(self._h, i, ctypes.byref(runs), ctypes.byref(total),
                                                ctypes.byref(idle)))
        return runs.value, total.value, idle.value

    @_locked
    def profile(self):
        """The profile as a table, slowest layer first."""
        s = _str()
        _check(_lib.unetseg_model_profile(self._h, ctypes.byref(s)))
        return s.value.decode()

    def __repr__(self):
        if self.closed:
            return "<unetseg.Model closed>"
        if self._guard.busy is not None:
            return "<unetseg.Model busy in %s>" % self._guard.busy
        return "<unetseg.Model %d layers>" % len(self)


# ------------------------------------------------------------------ matcher


class Matcher(_Handle):
    """Selects layers. Matcher("conv & region=encoder") parses the text form;
    Matcher() matches everything and the builder methods (require, exclude,
    glob, regex, kind, region, callback) add AND-ed conditions and return self."""

    _free_name, _kind = "unetseg_matcher_free", "matcher"

    def __init__(self, expression=None, _ptr=None):
        self._callbacks = []   # ctypes callback objects: must live as long as the matcher
        self._cb_error = None
        if _ptr is None:
            _ptr = _PMt()
            if expression is None:
                _check(_lib.unetseg_matcher_create(ctypes.byref(_ptr)))
            else:
                _check(_lib.unetseg_matcher_parse(_text(expression, "expression"),
                                                  ctypes.byref(_ptr)))
        self._adopt(_ptr)

    @classmethod
    def parse(cls, expression):
        """A matcher from the one-line text form (ExpressionError with the column)."""
        _text(expression, "expression")        # None is not "match everything" here
        return cls(expression)

    @_locked
    def require(self, substring):
        _check(_lib.unetseg_matcher_require(self._h, _text(substring, "substring")))
        return self

    @_locked
    def exclude(self, substring):
        _check(_lib.unetseg_matcher_exclude(self._h, _text(substring, "substring")))
        return self

    @_locked
    def glob(self, pattern):
        _check(_lib.unetseg_matcher_glob(self._h, _text(pattern, "pattern")))
        return self

    @_locked
    def regex(self, regex):
        _check(_lib.unetseg_matcher_regex(self._h, _text(regex, "regex")))
        return self

    @_locked
    def kind(self, *kinds):
        """Layer kind(s) ("conv2d", ... or UNETSEG_LAYER_* ints); any of them."""
        for k in kinds:
            _check(_lib.unetseg_matcher_kind(self._h, _enum(LAYER_KINDS, k, "layer kind")))
        return self

    @_locked
    def region(self, *regions):
        """Region(s) "encoder", "decoder", "head"; any of them."""
        for r in regions:
            _check(_lib.unetseg_matcher_region(self._h, _enum(REGIONS, r, "region")))
        return self

    @_locked
    def callback(self, fn):
        """Condition fn(name: str, kind: str) -> bool. An exception raised by fn
        is re-raised by the match()/insert_dropout() call that ran it. While fn
        runs, the model being matched, its trainers and this matcher are busy:
        using or closing them from fn raises RuntimeError."""
        if not callable(fn):
            raise TypeError("callback must be callable, not %s" % type(fn).__name__)
        h = self._h
        me = weakref.ref(self)   # no cycle matcher -> callback -> matcher

        def trampoline(name, kind, _user):
            owner = me()
            if owner is None or owner._cb_error is not None:
                return 0
            try:
                return 1 if fn(name.decode(), _KIND_NAMES.get(kind, str(kind))) else 0
            except BaseException as exc:  # noqa: BLE001 - re-raised after the C call
                owner._cb_error = exc
                return 0

        cfn = _MATCH_FN(trampoline)
        _check(_lib.unetseg_matcher_callback(h, cfn, None))
        self._callbacks.append(cfn)
        return self

    def _raise_callback_error(self):
        exc, self._cb_error = self._cb_error, None
        if exc is not None:
            raise exc


class _as_matcher:
    """Context: a Matcher for `expr` (str or Matcher); closes it only if made here."""

    def __init__(self, expr):
        if isinstance(expr, Matcher):
            self.matcher, self.own = expr, False
        elif isinstance(expr, str):
            self.matcher, self.own = Matcher(expr), True
        else:
            raise TypeError("expr must be a str expression or a Matcher, not %s"
                            % type(expr).__name__)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.own:
            self.matcher.close()
        return False


class _InsertOptions_(_Handle):
    _free_name, _kind = "unetseg_insert_options_free", "insert_options"

    def __init__(self, kind, rate, mode, spatial, before, suffix, allow_no_match):
        args = (_enum(_DROPOUT_KINDS, kind, "dropout kind"), _float(rate, "rate"),
                _enum(_DROPOUT_MODES, mode, "mode"),
                None if suffix is None else _text(suffix, "suffix"))
        out = _PIO()
        _check(_lib.unetseg_insert_options_create(ctypes.byref(out)))
        self._adopt(out)
        try:
            h = self._h
            _check(_lib.unetseg_insert_options_set_kind(h, args[0]))
            _check(_lib.unetseg_insert_options_set_rate(h, args[1]))
            _check(_lib.unetseg_insert_options_set_mode(h, args[2], int(bool(spatial))))
            _check(_lib.unetseg_insert_options_set_position(h, 1 if before else 0))
            if args[3] is not None:
                _check(_lib.unetseg_insert_options_set_suffix(h, args[3]))
            _check(_lib.unetseg_insert_options_set_allow_no_match(h, int(bool(allow_no_match))))
        except BaseException:
            self.close()
            raise


class _TileOptions_(_Handle):
    _free_name, _kind = "unetseg_tile_options_free", "tile_options"

    def __init__(self, tile_h, tile_w, overlap, margin, blend, batch):
        args = (_int(tile_h, "tile"), _int(tile_w, "tile"), _int(overlap, "overlap"),
                _int(margin, "margin"), _enum(_BLENDS, blend, "blend"), _int(batch, "batch", _i32))
        out = _PTl()
        _check(_lib.unetseg_tile_options_create(ctypes.byref(out)))
        self._adopt(out)
        try:
            h = self._h
            _check(_lib.unetseg_tile_options_set_tile(h, args[0], args[1]))
            _check(_lib.unetseg_tile_options_set_overlap(h, args[2]))
            _check(_lib.unetseg_tile_options_set_margin(h, args[3]))
            _check(_lib.unetseg_tile_options_set_blend(h, args[4]))
            _check(_lib.unetseg_tile_options_set_batch(h, args[5]))
        except BaseException:
            self.close()
            raise


# ------------------------------------------------------------------ trainer


class _TrainOptions_(_Handle):
    _free_name, _kind = "unetseg_train_options_free", "train_options"

    def __init__(self):
        out = _PTO()
        _check(_lib.unetseg_train_options_create(ctypes.byref(out)))
        self._adopt(out)


def _schedule_args(schedule):
    """(type, step_size, gamma, total_steps, min_lr) from None, a dict
    {"type": "step", "step_size": .., "gamma": ..} / {"type": "cosine",
    "total_steps": .., "min_lr": ..}, or a tuple ("step", step_size, gamma) /
    ("cosine", total_steps, min_lr)."""
    if schedule is None:
        return 0, 1, 1.0, 1, 0.0
    if isinstance(schedule, str):
        schedule = {"type": schedule}
    if isinstance(schedule, dict):
        s = dict(schedule)
        kind = _enum(_SCHEDULES, s.pop("type", "constant"), "schedule")
        step_size = _int(s.pop("step_size", 1), "step_size")
        gamma = _float(s.pop("gamma", 1.0), "gamma")
        total = _int(s.pop("total_steps", 1), "total_steps")
        min_lr = _float(s.pop("min_lr", 0.0), "min_lr")
        if s:
            raise ValueError("unknown schedule keys: %s" % ", ".join(sorted(s)))
        return kind, step_size, gamma, total, min_lr
    kind = _enum(_SCHEDULES, schedule[0], "schedule")
    rest = list(schedule[1:])
    if kind == 1:
        return kind, _int(rest[0], "step_size"), _float(rest[1], "gamma"), 1, 0.0
    if kind == 2:
        return (kind, 1, 1.0, _int(rest[0], "total_steps"),
                _float(rest[1], "min_lr") if len(rest) > 1 else 0.0)
    return 0, 1, 1.0, 1, 0.0


class Trainer(_Handle):
    """Trains `model` in place (losses, SGD/Adam, schedules; docs/TRAINING.md).

    loss: "bce", "cce", "dice", "jaccard", "binary_focal", "categorical_focal",
    "bce_dice", "bce_jaccard", "cce_dice", "cce_jaccard". optimizer: "adam" or
    "sgd". schedule: None, ("step", step_size, gamma) or ("cosine",
    total_steps, min_lr) (or the same as a dict with a "type" key). The Trainer
    keeps the model alive; the model cannot be edited while the Trainer is open.
    The Trainer shares the model's lock: one call at a time on either."""

    _free_name, _kind = "unetseg_trainer_free", "trainer"

    def __init__(self, model, loss="bce", optimizer="adam", lr=1e-3, momentum=0.0,
                 nesterov=False, weight_decay=0.0, seed=0, class_weights=None, schedule=None,
                 beta1=0.9, beta2=0.999, epsilon=1e-7):
        if not isinstance(model, Model):
            raise TypeError("model must be a unetseg.Model")
        loss, optimizer = _enum(_LOSSES, loss, "loss"), _enum(_OPTIMIZERS, optimizer, "optimizer")
        lr, momentum, weight_decay = (_float(lr, "lr"), _float(momentum, "momentum"),
                                      _float(weight_decay, "weight_decay"))
        adam = _float(beta1, "beta1"), _float(beta2, "beta2"), _float(epsilon, "epsilon")
        schedule, seed = _schedule_args(schedule), _int(seed, "seed", _u64)
        if class_weights is not None:
            class_weights = np.ascontiguousarray(class_weights, dtype=np.float32).reshape(-1)
            _int(class_weights.size, "len(class_weights)", _i32)
        with model._guard, _TrainOptions_() as o:
            mh, h = model._h, o._h
            _check(_lib.unetseg_train_options_set_loss(h, loss))
            _check(_lib.unetseg_train_options_set_optimizer(h, optimizer, lr))
            _check(_lib.unetseg_train_options_set_sgd(h, momentum, int(bool(nesterov)),
                                                      weight_decay))
            _check(_lib.unetseg_train_options_set_adam(h, *adam))
            _check(_lib.unetseg_train_options_set_schedule(h, *schedule))
            _check(_lib.unetseg_train_options_set_seed(h, seed))
            if class_weights is not None:
                _check(_lib.unetseg_train_options_set_class_weights(
                    h, class_weights.ctypes.data_as(_PF), class_weights.size))
            out = _PTr()
            _check(_lib.unetseg_trainer_create(mh, h, ctypes.byref(out)))
            self._adopt(out, model._guard)
            self.model = model
            model._trainers.add(self)

    def close(self):
        if self._ptr is None:
            return
        with self._guard.closing():
            self._release()
            self.model._trainers.discard(self)

    @_locked
    def step(self, images, masks):
        """One training step on (N, H, W, C) images and (N, H, W, classes) masks;
        returns the batch loss before the update."""
        h = self._h
        pi, ki = _input(images)
        pm, km = _input(masks)
        loss = _dbl()
        status = _lib.unetseg_trainer_step(h, pi, pm, ctypes.byref(loss))
        del ki, km
        exc, self._hook_error = getattr(self, "_hook_error", None), None
        if exc is not None:
            raise exc  # the gradient hook's own exception, not the IO status it caused
        _check(status)
        return loss.value

    def _install_hook(self, fn, setter, hook_type, attr):
        """Set (fn) or remove (None) a C hook that hands fn a numpy view of
        its buffer; an exception in fn fails the step and is re-raised by
        step(). The ctypes function is kept in `attr` (the C side holds a
        pointer to it)."""
        if fn is not None and not callable(fn):
            raise TypeError("hook must be callable or None, not %s" % type(fn).__name__)
        if fn is None:
            _check(setter(self._h, hook_type(), None))
            setattr(self, attr, None)
            return
        me = weakref.ref(self)

        def trampoline(data, count, _user):
            owner = me()
            try:
                fn(np.ctypeslib.as_array(data, shape=(count,)))
                return 0
            except BaseException as exc:  # noqa: BLE001 - re-raised by step()
                if owner is not None:
                    owner._hook_error = exc
                return 1

        cfn = hook_type(trampoline)
        _check(setter(self._h, cfn, None))
        setattr(self, attr, cfn)

    @_locked
    def set_gradient_hook(self, fn):
        """Data-parallel training: fn(gradients) is called once per step, after
        the backward pass and before the update, with a float32 numpy view of
        this trainer's gradients (docs/API.md, unetseg_gradient_hook); it
        replaces them in place, normally by their mean over the ranks (e.g.
        mpi4py: comm.Allreduce(MPI.IN_PLACE, g); g /= comm.size). An exception
        in fn skips the step and is re-raised by step(). None removes it."""
        self._install_hook(fn, _lib.unetseg_trainer_set_gradient_hook, _GRADIENT_HOOK, "_hook")

    @_locked
    def set_batchnorm_sync_hook(self, fn):
        """Synchronised BatchNorm: fn(sums) is called three times per step by
        each BatchNorm layer using batch statistics, with a float64 numpy view
        of its per-channel sums (docs/API.md,
        unetseg_trainer_set_batchnorm_sync_hook); it replaces them in place by
        their sum over the ranks (mpi4py: comm.Allreduce(MPI.IN_PLACE, s)).
        An exception in fn fails the step and is re-raised by step(). None
        removes it."""
        self._install_hook(fn, _lib.unetseg_trainer_set_batchnorm_sync_hook,
                           _BATCHNORM_SYNC_HOOK, "_bn_hook")

    @property
    @_locked
    def gradient_count(self):
        """Floats the gradient hook receives (the trained parameters' elements)."""
        n = _i64()
        _check(_lib.unetseg_trainer_gradient_count(self._h, ctypes.byref(n)))
        return n.value

    @_locked
    def evaluate(self, images, masks):
        """Inference-mode (loss, iou, fscore) on a batch; changes nothing."""
        h = self._h
        pi, ki = _input(images)
        pm, km = _input(masks)
        loss, iou, f = _dbl(), _dbl(), _dbl()
        _check(_lib.unetseg_trainer_evaluate(h, pi, pm, ctypes.byref(loss), ctypes.byref(iou),
                                             ctypes.byref(f)))
        del ki, km
        return loss.value, iou.value, f.value

    @_locked
    def recalibrate_bn(self, images, reset=True):
        """Add a batch to the BatchNorm recalibration average (reset=True starts a new one)."""
        h = self._h
        pi, ki = _input(images)
        _check(_lib.unetseg_trainer_recalibrate_bn(h, pi, 1 if reset else 0))
        del ki

    @property
    @_locked
    def progress(self):
        """(steps taken, learning rate of the next step)."""
        steps, lr = _i64(), _dbl()
        _check(_lib.unetseg_trainer_progress(self._h, ctypes.byref(steps), ctypes.byref(lr)))
        return steps.value, lr.value

    @property
    def steps(self):
        return self.progress[0]

    @property
    def learning_rate(self):
        """The learning rate of the next step; setting it sets the base rate
        the schedule starts from (Keras' optimizer.learning_rate = lr)."""
        return self.progress[1]

    @learning_rate.setter
    @_locked
    def learning_rate(self, value):
        _check(_lib.unetseg_trainer_set_learning_rate(self._h, float(value)))

    @_locked
    def save_checkpoint(self, path):
        """Weights, layer list and optimizer state to a safetensors checkpoint."""
        _check(_lib.unetseg_trainer_save_checkpoint(self._h, _path(path)))

    @_locked
    def load_checkpoint(self, path):
        """Resume exactly from a checkpoint of the same model and optimizer."""
        _check(_lib.unetseg_trainer_load_checkpoint(self._h, _path(path)))
