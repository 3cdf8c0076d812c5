#!/usr/bin/env python3
"""Generate tests/test_null_args.c: every public function called with NULL for
every pointer argument (issue 8, item 3).

Reads every `UNETSEG_API` declaration of include/unetseg.h (multi-line
prototypes included) and writes one CMocka test per function. For each
pointer parameter (`T *`, `T **`, `T *const *`, arrays `T x[4]`, and
function-pointer typedefs such as `unetseg_match_fn`) the test makes one call
in which THAT parameter is NULL and every other argument is valid, then one
call in which ALL pointer parameters are NULL (skipped when the function has
a single pointer parameter: that call would be the same). Before the NULL
calls, a baseline call with every argument valid must succeed, on a fixture
of its own: this shows that the "valid" values really are valid, so a NULL
call can only fail because of its NULL.

Valid values come from a fixture built for each test (see FIXTURE_C): a small
model `data`(8,8,3) -> `conv`(3x3, 1 filter) -> `sigmoid`, an empty model, a
second copy of the small model with a trainer on it, tensors (1,8,8,3) and
masks (1,8,8,1), a copy of `conv/kernel`, U-Net options (resnet18, 32x32x3),
the matcher parsed from "conv", insertion options (suffix "_d"), train options
and tile options (the defaults). Files for the load functions are written once per run in a fresh
temporary directory.

Expectations of a NULL call:
  - no crash (the test also runs under ASan/UBSan in `make check-asan`);
  - int32_t functions: a negative status with a non-empty unetseg_last_error()
    that is not a stale message (a sentinel error is provoked before every
    call), unless MAY_BE_NULL says the header documents that this pointer may
    be NULL: then the call must return UNETSEG_OK;
  - `**` outputs that were passed valid storage stay NULL on failure (the
    header: "outputs are set to NULL/0"); whatever a call returns is freed;
  - void *_free functions: NULL is fine (it must simply not crash);
  - pointer-returning functions: NULL (float *unetseg_tensor_data documents
    "NULL on a NULL tensor"); a `const char *` result may also be a string.

Failures inside one test are collected (all calls run, every handle is freed)
and the test fails at its end, naming each failing call.

A parameter this script has no valid value for stops the generation with an
error naming it: add a rule (pointer_arg(), HANDLE_OVERRIDES, STRING_RULES or
SCALAR_RULES) and, if the header documents that it may be NULL, a MAY_BE_NULL
entry.

Usage: python3 tests/gen/gen_null_tests.py [--output PATH]
(default output: tests/test_null_args.c). Standard library only; the output
depends only on the header, so re-running reproduces the same bytes.
tests/python/test_null_tests_in_sync.py checks that the committed file is
up to date.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(ROOT, "include", "unetseg.h")
DEFAULT_OUTPUT = os.path.join(ROOT, "tests", "test_null_args.c")
REGEN_CMD = "python3 tests/gen/gen_null_tests.py"

# --------------------------------------------------------------------------
# Pointers the documentation allows to be NULL. Derived by reading the
# comments in include/unetseg.h (and docs/API.md where the header is terse);
# nothing here is guessed from the implementation. A NULL call of one of
# these must return UNETSEG_OK (the other arguments are valid). Each entry:
#   function -> {parameter: (quote, when)}
# `when` is None (NULL is allowed whatever the other arguments are) or a dict
# {other parameter: C value} under which NULL is allowed: the generator then
# emits the NULL call twice, with the normal valid values (must fail) and
# with `when` applied (must succeed).
# --------------------------------------------------------------------------
MAY_BE_NULL = {
    "unetseg_model_param_totals": {
        "total": ("header: 'Any output may be NULL.'", None),
        "trainable": ("header: 'Any output may be NULL.'", None),
        "non_trainable": ("header: 'Any output may be NULL.'", None),
    },
    "unetseg_model_forward_with_activations": {
        "layer_names": ("header: 'NULL arrays allowed when n == 0'", {"n": "0"}),
        "activations": ("header: 'NULL arrays allowed when n == 0'", {"n": "0"}),
    },
    "unetseg_model_load_weights": {
        "report": ("header: '`report` (may be NULL) receives a borrowed text'", None),
    },
    "unetseg_model_predict_mc": {
        "mean": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
        "std": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
        "entropy": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
    },
    "unetseg_matcher_callback": {
        "user": ("header: '`user` is passed through unchanged'; docs/API.md: "
                 "'Errors: INVALID_ARG (NULL `fn`)' only", None),
    },
    "unetseg_matcher_callback_ex": {
        "user": ("header: 'The same' as unetseg_matcher_callback ('`user` is passed through "
                 "unchanged'); Errors: INVALID_ARG (NULL matcher or fn) only", None),
        "destroy": ("header: 'destroy may be NULL'", None),
    },
    "unetseg_model_match": {
        "indices": ("header: '`indices` (may be NULL when capacity is 0)'", {"capacity": "0"}),
    },
    "unetseg_model_predict_tiled_mc": {
        "mean": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
        "std": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
        "entropy": ("header: 'Any of mean/std/entropy may be NULL if not wanted.'", None),
    },
    "unetseg_model_insert_dropout": {
        "inserted": ("header: '*inserted (may be NULL) receives the number of new layers'", None),
    },
    "unetseg_train_options_set_class_weights": {
        "weights": ("header: 'NULL/0 removes them'; docs/API.md: 'NULL or n = 0 removes them'",
                    None),
    },
    "unetseg_trainer_set_gradient_hook": {
        "hook": ("header: 'Set (or with NULL remove) the gradient hook'", None),
        "user": ("header: '`user` is passed through'; Errors: INVALID_ARG (trainer NULL) only",
                 None),
    },
    "unetseg_trainer_set_batchnorm_sync_hook": {
        "hook": ("header: 'Set (or with NULL remove) the BatchNorm sync hook'", None),
        "user": ("header: '`user` is passed through'; Errors: INVALID_ARG (trainer NULL) only",
                 None),
    },
    "unetseg_trainer_step": {
        "loss": ("header: '*loss (may be NULL) receives the batch loss'", None),
    },
    "unetseg_trainer_evaluate": {
        "loss": ("header: 'any output may be NULL'", None),
        "iou": ("header: 'any output may be NULL'", None),
        "fscore": ("header: 'any output may be NULL'", None),
    },
    "unetseg_model_param_bytes": {
        "others": ("header: 'others may be NULL when n_others is 0'", {"n_others": "0"}),
        "unique_bytes": ("header: 'Any output may be NULL.'", None),
        "total_bytes": ("header: 'Any output may be NULL.'", None),
        "cache_bytes": ("header: 'Any output may be NULL.'", None),
    },
    "unetseg_model_layer_profile": {
        "runs": ("header: 'Any output may be NULL.'", None),
        "total_ms": ("header: 'Any output may be NULL.'", None),
        "idle_ms": ("header: 'Any output may be NULL.'", None),
    },
    "unetseg_trainer_progress": {
        "steps": ("docs/API.md: 'outputs may be NULL'", None),
        "learning_rate": ("docs/API.md: 'outputs may be NULL'", None),
    },
}

# Pointer-returning functions whose result on a NULL argument is documented.
RETURNS_NULL_ON_NULL = {
    "unetseg_tensor_data": "header: 'NULL on a NULL tensor'",
}


# ----------------------------------------------------------------- parsing
class Param:
    def __init__(self, ctype, name, array, fnptr):
        self.ctype = ctype  # e.g. "const unetseg_tensor *const *"
        self.name = name
        self.array = array  # "[4]" or ""
        self.fnptr = fnptr  # a function-pointer typedef

    @property
    def is_pointer(self):
        return "*" in self.ctype or bool(self.array) or self.fnptr

    @property
    def base(self):
        """The type without qualifiers and stars: "unetseg_tensor", "int64_t"."""
        t = re.sub(r"\bconst\b|\*", " ", self.ctype)
        return " ".join(t.split())

    @property
    def stars(self):
        return self.ctype.count("*") + (1 if self.array else 0)


class Function:
    def __init__(self, ret, name, params):
        self.ret = ret
        self.name = name
        self.params = params

    @property
    def pointer_params(self):
        return [p for p in self.params if p.is_pointer]


def strip_comments_and_directives(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)  # join continued directive lines
    return re.sub(r"^[ \t]*#[^\n]*", " ", text, flags=re.M)


def parse_header(path):
    with open(path, encoding="utf-8") as f:
        code = strip_comments_and_directives(f.read())
    fnptr_types = set(re.findall(r"typedef[^;(]*\(\s*\*\s*(\w+)\s*\)\s*\(", code))
    functions = []
    for m in re.finditer(r"\bUNETSEG_API\b([^;{]*?)\(([^()]*)\)\s*;", code):
        head = " ".join(m.group(1).split())
        hm = re.match(r"^(.*?)(\w+)$", head)
        if not hm:
            raise SystemExit("cannot parse declaration: %s" % head)
        ret = " ".join(hm.group(1).replace("*", " * ").split()).replace("* ", "*").strip()
        name = hm.group(2)
        params = []
        arglist = " ".join(m.group(2).split())
        if arglist not in ("void", ""):
            for raw in arglist.split(","):
                pm = re.match(r"^(.*?)(\w+)\s*(\[[^\]]*\])?$", raw.strip())
                if not pm:
                    raise SystemExit("%s: cannot parse parameter '%s'" % (name, raw))
                ctype = " ".join(pm.group(1).replace("*", " * ").split())
                ctype = ctype.replace("* ", "*").replace(" *", " *")
                params.append(Param(ctype, pm.group(2), pm.group(3) or "",
                                    ctype.strip() in fnptr_types))
        functions.append(Function(ret, name, params))
    return functions


# ------------------------------------------------------------ valid values
class Arg:
    """How to pass one valid argument: declarations before the call, the
    expression, and handles the call may create (var, free function)."""

    def __init__(self, expr, decls=(), outs=()):
        self.expr = expr
        self.decls = list(decls)
        self.outs = list(outs)


HANDLE_FIXTURE = {
    "unetseg_model": "fx->model",
    "unetseg_tensor": "fx->tensor",
    "unetseg_matcher": "fx->matcher",
    "unetseg_insert_options": "fx->insert_options",
    "unetseg_train_options": "fx->train_options",
    "unetseg_trainer": "fx->trainer",
    "unetseg_unet_options": "fx->unet_options",
    "unetseg_tile_options": "fx->tile_options",
}

# Handle inputs that are not the default fixture handle of their type.
HANDLE_OVERRIDES = {
    ("unetseg_model_add_input", "model"): "fx->empty_model",  # the input comes first
    ("unetseg_decoder_append", "model"): "fx_encoder(fx)",    # needs the backbone
    ("unetseg_trainer_step", "masks"): "fx->masks",
    ("unetseg_trainer_evaluate", "masks"): "fx->masks",
    ("unetseg_model_param_set", "value"): "fx->param_value",  # shape of conv/kernel
}

# `const char *` inputs: (function or None, parameter) -> C expression.
STRING_RULES = {
    (None, "path"): "save_path",  # writable; loads are listed below
    ("unetseg_tensor_load", "path"): "weights_path",
    ("unetseg_model_load_weights", "path"): "weights_path",
    ("unetseg_model_load", "path"): "weights_path",
    ("unetseg_trainer_load_checkpoint", "path"): "checkpoint_path",
    (None, "name"): "\"new_layer\"",  # the add_* functions
    ("unetseg_model_add_input", "name"): "\"data\"",
    ("unetseg_model_layer_index", "name"): "\"conv\"",
    ("unetseg_model_set_trainable", "name"): "\"conv\"",
    ("unetseg_model_param_get", "name"): "\"conv/kernel\"",
    ("unetseg_model_param_set", "name"): "\"conv/kernel\"",
    ("unetseg_tensor_load", "name"): "\"conv/kernel\"",
    (None, "inbound"): "\"conv\"",
    (None, "substring"): "\"conv\"",
    (None, "pattern"): "\"conv*\"",
    (None, "regex"): "\"^conv\"",
    (None, "expression"): "\"conv\"",
    (None, "backbone"): "\"resnet18\"",
    (None, "block_type"): "\"upsampling\"",
    (None, "suffix"): "\"_d\"",
}

# Scalars: (function or None, parameter) -> C expression.
SCALAR_RULES = {
    ("unetseg_tensor_create", "rank"): "4",
    ("unetseg_tensor_shape", "capacity"): "8",
    ("unetseg_model_match", "capacity"): "8",
    ("unetseg_tensor_copy_from", "count"): "NULL_ARGS_NUMEL",
    ("unetseg_tensor_copy_to", "count"): "NULL_ARGS_NUMEL",
    ("unetseg_tensors_save", "n"): "1",
    ("unetseg_model_param_bytes", "n_others"): "1",
    ("unetseg_model_set_kernel_cache_limit", "bytes"): "0",
    ("unetseg_model_add_concatenate", "n"): "2",
    ("unetseg_model_add_add", "n"): "2",
    ("unetseg_model_forward_with_activations", "n"): "1",
    ("unetseg_train_options_set_class_weights", "n"): "1",
    ("unetseg_unet_options_set_decoder_filters", "n"): "5",
    ("unetseg_model_add_input", "height"): "8",
    ("unetseg_model_add_input", "width"): "8",
    ("unetseg_model_add_input", "channels"): "3",
    ("unetseg_unet_options_set_input_shape", "height"): "32",
    ("unetseg_unet_options_set_input_shape", "width"): "32",
    ("unetseg_unet_options_set_input_shape", "channels"): "3",
    (None, "filters"): "4",
    (None, "kernel_h"): "3",
    (None, "kernel_w"): "3",
    (None, "stride_h"): "1",
    (None, "stride_w"): "1",
    ("unetseg_model_add_max_pooling2d", "stride_h"): "2",
    ("unetseg_model_add_max_pooling2d", "stride_w"): "2",
    (None, "padding"): "UNETSEG_PADDING_SAME",
    (None, "use_bias"): "1",
    ("unetseg_model_add_batchnorm", "epsilon"): "1e-3",
    ("unetseg_model_add_batchnorm", "momentum"): "0.99",
    (None, "center"): "1",
    (None, "scale"): "1",
    ("unetseg_model_add_activation", "activation"): "UNETSEG_ACT_RELU",
    ("unetseg_unet_options_set_activation", "activation"): "UNETSEG_ACT_SIGMOID",
    (None, "top"): "1",
    (None, "bottom"): "1",
    (None, "left"): "1",
    (None, "right"): "1",
    (None, "pool_h"): "2",
    (None, "pool_w"): "2",
    (None, "size_h"): "2",
    (None, "size_w"): "2",
    (None, "interpolation"): "UNETSEG_INTERP_NEAREST",
    (None, "rate"): "0.1",
    ("unetseg_model_add_conditional_dropout", "mode"): "UNETSEG_DROPOUT_ALWAYS",
    ("unetseg_insert_options_set_mode", "mode"): "UNETSEG_DROPOUT_ALWAYS",
    ("unetseg_model_load_weights", "mode"): "UNETSEG_LOAD_STRICT",
    (None, "spatial"): "0",
    (None, "index"): "1",  # layer 1 is `conv`
    ("unetseg_model_param_tensor_name", "index"): "0",
    (None, "which"): "0",
    ("unetseg_model_set_trainable", "trainable"): "1",
    (None, "threads"): "1",
    ("unetseg_set_max_threads", "threads"): "0",  # no bound: the process-wide default
    (None, "seed"): "42",
    (None, "enabled"): "1",
    (None, "samples"): "2",
    ("unetseg_layer_kind_name", "kind"): "UNETSEG_LAYER_CONV2D",
    ("unetseg_matcher_kind", "kind"): "UNETSEG_LAYER_CONV2D",
    ("unetseg_insert_options_set_kind", "kind"): "UNETSEG_LAYER_DROPOUT",
    (None, "region"): "UNETSEG_REGION_ENCODER",
    (None, "position"): "UNETSEG_INSERT_AFTER",
    (None, "allow"): "1",
    (None, "loss"): "UNETSEG_LOSS_BCE",
    (None, "optimizer"): "UNETSEG_OPTIMIZER_ADAM",
    (None, "learning_rate"): "1e-3",
    ("unetseg_train_options_set_sgd", "momentum"): "0.9",
    (None, "nesterov"): "0",
    (None, "weight_decay"): "0.0",
    (None, "beta1"): "0.9",
    (None, "beta2"): "0.999",
    ("unetseg_train_options_set_adam", "epsilon"): "1e-7",
    (None, "schedule"): "UNETSEG_SCHEDULE_STEP",
    (None, "step_size"): "10",
    (None, "gamma"): "0.5",
    (None, "total_steps"): "100",
    (None, "min_lr"): "0.0",
    (None, "reset"): "1",
    (None, "classes"): "1",
    (None, "use_batchnorm"): "1",
    (None, "freeze"): "0",
    (None, "status"): "UNETSEG_E_INVALID_ARG",
    (None, "tile_h"): "8",
    (None, "tile_w"): "8",
    (None, "overlap"): "2",
    (None, "margin"): "1",
    (None, "blend"): "UNETSEG_BLEND_GAUSSIAN",
    (None, "batch"): "2",
}


def lookup(table, fn, pname):
    if (fn, pname) in table:
        return table[(fn, pname)]
    return table.get((None, pname))


def no_rule(fn, p):
    raise SystemExit(
        "gen_null_tests.py: no valid value for parameter '%s%s%s%s' of %s; add a rule "
        "(pointer_arg(), HANDLE_OVERRIDES, STRING_RULES or SCALAR_RULES) and, if the "
        "header says it may be NULL, a MAY_BE_NULL entry"
        % (p.ctype, "" if p.ctype.endswith("*") else " ", p.name, p.array, fn.name))


def pointer_arg(fn, p):
    """A valid value for a pointer parameter."""
    v = "v_" + p.name
    base, ctype = p.base, p.ctype.replace(" ", "")
    # function pointers and user data
    if p.fnptr:
        if p.ctype.strip() == "unetseg_match_fn":
            return Arg("null_args_match_fn")
        if p.ctype.strip() == "unetseg_destroy_fn":
            return Arg("null_args_destroy_fn")
        if p.ctype.strip() == "unetseg_gradient_hook":
            return Arg("null_args_gradient_hook")
        if p.ctype.strip() == "unetseg_batchnorm_sync_hook":
            return Arg("null_args_batchnorm_sync_hook")
        no_rule(fn, p)
    if ctype == "void*" and p.name == "user":
        return Arg("&null_args_user")
    # handles
    if base in HANDLE_FIXTURE:
        if p.stars == 1:  # an input handle
            return Arg(HANDLE_OVERRIDES.get((fn.name, p.name), HANDLE_FIXTURE[base]))
        if ctype == base + "**" and p.name == "activations":
            return Arg(v, ["%s *%s[1] = {NULL};" % (base, v)], [(v + "[0]", base + "_free")])
        if ctype == base + "**":  # an out-handle
            return Arg("&" + v, ["%s *%s = NULL;" % (base, v)], [(v, base + "_free")])
        if ctype == "const%s*const*" % base and p.name == "tensors":
            return Arg(v, ["const %s *%s[1] = {fx->tensor};" % (base, v)])
        if ctype == "const%s*const*" % base and p.name == "others":
            return Arg(v, ["const %s *%s[1] = {fx->empty_model};" % (base, v)])
        no_rule(fn, p)
    # strings
    if ctype == "constchar*":
        s = lookup(STRING_RULES, fn.name, p.name)
        if s is None:
            no_rule(fn, p)
        return Arg(s)
    if ctype == "constchar*const*":
        values = {"names": '{"a"}', "inbound": '{"conv", "sigmoid"}',
                  "layer_names": '{"conv"}'}.get(p.name)
        if values is None:
            no_rule(fn, p)
        return Arg(v, ["const char *%s[] = %s;" % (v, values)])
    if ctype == "constchar**":  # borrowed string out
        return Arg("&" + v, ["const char *%s = NULL;" % v])
    # numeric arrays and outputs
    if ctype == "constint64_t*" and p.name == "shape":
        return Arg(v, ["const int64_t %s[4] = {1, 8, 8, 3};" % v])
    if ctype == "constint64_t*" and p.name == "filters":
        return Arg(v, ["const int64_t %s[5] = {16, 8, 8, 8, 4};" % v])
    if ctype == "constfloat*" and p.name == "src":
        return Arg(v, ["float %s[NULL_ARGS_NUMEL] = {0};" % v])
    if ctype == "float*" and p.name == "dst":
        return Arg(v, ["float %s[NULL_ARGS_NUMEL] = {0};" % v])
    if ctype == "constfloat*" and p.name == "weights":
        return Arg(v, ["const float %s[1] = {1.0f};" % v])
    if p.array and base in ("int64_t", "int32_t", "double", "float"):
        n = p.array.strip("[]")
        return Arg(v, ["%s %s[%s] = {0};" % (base, v, n)])
    if ctype == "int64_t*" and p.name == "shape":
        return Arg(v, ["int64_t %s[8] = {0};" % v])
    if ctype == "int32_t*" and p.name == "indices":
        return Arg(v, ["int32_t %s[8] = {0};" % v])
    if ctype in ("int32_t*", "int64_t*", "double*"):
        return Arg("&" + v, ["%s %s = 0;" % (base, v)])
    no_rule(fn, p)


def valid_arg(fn, p):
    if p.is_pointer:
        return pointer_arg(fn, p)
    s = lookup(SCALAR_RULES, fn.name, p.name)
    if s is None:
        no_rule(fn, p)
    return Arg(s)


# ---------------------------------------------------------------- emitting
FIXTURE_C = r"""
/* Elements of the fixture tensor (1, 8, 8, 3). */
#define NULL_ARGS_NUMEL 192

static char tmp_dir[512];
static char weights_path[600];    /* unetseg_model_save_weights of the small model */
static char checkpoint_path[600]; /* unetseg_trainer_save_checkpoint of its trainer */
static char save_path[600];       /* writable, for the save functions */
static int null_args_user;        /* `user` of unetseg_matcher_callback */

typedef struct fixture {
    unetseg_model *model;       /* data(8,8,3) -> conv(3x3, 1 filter) -> sigmoid */
    unetseg_model *empty_model; /* no layers (for add_input) */
    unetseg_model *train_model; /* the same layers, trained by `trainer` */
    unetseg_model *encoder;     /* built on first use: unetseg_encoder_create */
    unetseg_tensor *tensor;     /* (1, 8, 8, 3) */
    unetseg_tensor *masks;      /* (1, 8, 8, 1), values in [0, 1] */
    unetseg_tensor *param_value; /* a copy of conv/kernel */
    unetseg_unet_options *unet_options; /* resnet18, 32x32x3, small decoder */
    unetseg_matcher *matcher;   /* unetseg_matcher_parse("conv") */
    unetseg_insert_options *insert_options; /* suffix "_d" */
    unetseg_train_options *train_options;
    unetseg_trainer *trainer;   /* on train_model */
    unetseg_tile_options *tile_options; /* the defaults */
} fixture;

static int32_t null_args_match_fn(const char *name, int32_t kind, void *user) {
    (void)name;
    (void)kind;
    (void)user;
    return 1;
}

static void null_args_destroy_fn(void *user) { (void)user; }
static int32_t null_args_gradient_hook(float *g, int64_t n, void *user) {
    (void)g, (void)n, (void)user;
    return 0;
}
static int32_t null_args_batchnorm_sync_hook(double *s, int64_t n, void *user) {
    (void)s, (void)n, (void)user;
    return 0;
}

static int32_t build_small_model(unetseg_model **out) {
    unetseg_model *m = NULL;
    int32_t st = unetseg_model_create(&m);
    if (st == UNETSEG_OK) st = unetseg_model_add_input(m, "data", 8, 8, 3);
    if (st == UNETSEG_OK)
        st = unetseg_model_add_conv2d(m, "conv", "data", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1);
    if (st == UNETSEG_OK) st = unetseg_model_add_activation(m, "sigmoid", "conv", UNETSEG_ACT_SIGMOID);
    if (st == UNETSEG_OK) st = unetseg_model_set_threads(m, 1);
    if (st != UNETSEG_OK) {
        unetseg_model_free(m);
        m = NULL;
    }
    *out = m;
    return st;
}

static int32_t make_filled(int64_t c, float value, unetseg_tensor **out) {
    const int64_t shape[4] = {1, 8, 8, c};
    float data[NULL_ARGS_NUMEL];
    for (int i = 0; i < NULL_ARGS_NUMEL; i++) data[i] = value;
    int32_t st = unetseg_tensor_create(4, shape, out);
    if (st == UNETSEG_OK) st = unetseg_tensor_copy_from(*out, data, 64 * c);
    return st;
}

static void fixture_free(fixture *fx) {
    if (!fx) return;
    unetseg_trainer_free(fx->trainer); /* before the model it trains */
    unetseg_model_free(fx->train_model);
    unetseg_model_free(fx->model);
    unetseg_model_free(fx->empty_model);
    unetseg_model_free(fx->encoder);
    unetseg_tensor_free(fx->tensor);
    unetseg_tensor_free(fx->masks);
    unetseg_tensor_free(fx->param_value);
    unetseg_unet_options_free(fx->unet_options);
    unetseg_matcher_free(fx->matcher);
    unetseg_insert_options_free(fx->insert_options);
    unetseg_train_options_free(fx->train_options);
    unetseg_tile_options_free(fx->tile_options);
    free(fx);
}

static fixture *fixture_new(void) {
    static const int64_t decoder_filters[5] = {16, 8, 8, 8, 4};
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx) return NULL;
    int32_t st = build_small_model(&fx->model);
    if (st == UNETSEG_OK) st = build_small_model(&fx->train_model);
    if (st == UNETSEG_OK) st = unetseg_model_create(&fx->empty_model);
    if (st == UNETSEG_OK) st = make_filled(3, 0.5f, &fx->tensor);
    if (st == UNETSEG_OK) st = make_filled(1, 1.0f, &fx->masks);
    if (st == UNETSEG_OK) st = unetseg_model_param_get(fx->model, "conv/kernel", &fx->param_value);
    if (st == UNETSEG_OK) st = unetseg_unet_options_create(&fx->unet_options);
    if (st == UNETSEG_OK) st = unetseg_unet_options_set_backbone(fx->unet_options, "resnet18");
    if (st == UNETSEG_OK) st = unetseg_unet_options_set_input_shape(fx->unet_options, 32, 32, 3);
    if (st == UNETSEG_OK)
        st = unetseg_unet_options_set_decoder_filters(fx->unet_options, decoder_filters, 5);
    if (st == UNETSEG_OK) st = unetseg_matcher_parse("conv", &fx->matcher);
    if (st == UNETSEG_OK) st = unetseg_insert_options_create(&fx->insert_options);
    if (st == UNETSEG_OK) st = unetseg_insert_options_set_suffix(fx->insert_options, "_d");
    if (st == UNETSEG_OK) st = unetseg_train_options_create(&fx->train_options);
    if (st == UNETSEG_OK) st = unetseg_trainer_create(fx->train_model, fx->train_options, &fx->trainer);
    if (st == UNETSEG_OK) st = unetseg_tile_options_create(&fx->tile_options);
    if (st != UNETSEG_OK) {
        print_error("fixture: status %d: %s\n", st, unetseg_last_error());
        fixture_free(fx);
        return NULL;
    }
    return fx;
}

/* The backbone alone, for unetseg_decoder_append; built on first use. */
static unetseg_model *fx_encoder(fixture *fx) {
    if (!fx->encoder && unetseg_encoder_create(fx->unet_options, &fx->encoder) != UNETSEG_OK)
        print_error("fixture: unetseg_encoder_create: %s\n", unetseg_last_error());
    return fx->encoder;
}

static int fixture_setup(void **state) {
    *state = fixture_new();
    return *state ? 0 : -1;
}

static int fixture_teardown(void **state) {
    fixture_free(*state);
    return 0;
}

static void remove_tmp_dir(void) {
    DIR *d = opendir(tmp_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[1100];
            snprintf(p, sizeof p, "%s/%s", tmp_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmp_dir);
}

/* Provoke an error whose message holds a sentinel, so that a stale message
 * cannot pass for the message of the call under test. */
#define SENTINEL "null-args-sentinel"
static void prime_last_error(void) {
    unetseg_tensor *t = NULL;
    (void)unetseg_tensor_load("/nonexistent-" SENTINEL "/x.safetensors", "x", &t);
    unetseg_tensor_free(t);
}

static int group_setup(void **state) {
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/unetseg-null-args-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        print_error("mkdtemp %s failed\n", tmp_dir);
        return -1;
    }
    snprintf(weights_path, sizeof weights_path, "%s/weights.safetensors", tmp_dir);
    snprintf(checkpoint_path, sizeof checkpoint_path, "%s/checkpoint.safetensors", tmp_dir);
    snprintf(save_path, sizeof save_path, "%s/saved.safetensors", tmp_dir);
    prime_last_error();
    if (strstr(unetseg_last_error(), SENTINEL) == NULL) {
        print_error("the sentinel error does not mention " SENTINEL ": \"%s\"\n", unetseg_last_error());
        return -1;
    }
    fixture *fx = fixture_new();
    int32_t st = fx ? unetseg_model_save_weights(fx->model, weights_path) : UNETSEG_E_NOMEM;
    if (st == UNETSEG_OK) st = unetseg_trainer_save_checkpoint(fx->trainer, checkpoint_path);
    if (st != UNETSEG_OK) print_error("writing the fixture files: %s\n", unetseg_last_error());
    fixture_free(fx);
    return st == UNETSEG_OK ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    remove_tmp_dir();
    return 0;
}

/* Checks of one call; failures are counted (and printed) so that every call
 * of a test runs and frees its handles before the test fails. */
static void check_status(int *bad, const char *call, int32_t st, int must_succeed) {
    const char *msg = unetseg_last_error();
    if (must_succeed) {
        if (st != UNETSEG_OK) {
            print_error("%s: status %d (%s), expected UNETSEG_OK (documented as allowed); "
                        "last error: %s\n", call, st, unetseg_status_string(st), msg);
            (*bad)++;
        }
        return;
    }
    if (st >= 0) {
        print_error("%s: status %d, expected a negative status\n", call, st);
        (*bad)++;
    } else if (msg == NULL || msg[0] == '\0') {
        print_error("%s: status %d (%s) but unetseg_last_error() is empty\n", call, st,
                    unetseg_status_string(st));
        (*bad)++;
    } else if (strstr(msg, SENTINEL) != NULL) {
        print_error("%s: status %d (%s) but unetseg_last_error() is stale: %s\n", call, st,
                    unetseg_status_string(st), msg);
        (*bad)++;
    }
}

/* An output handle must stay NULL when the call failed. */
static void check_out(int *bad, const char *call, int32_t st, const void *out, const char *what) {
    if (st != UNETSEG_OK && out != NULL) {
        print_error("%s: failed with status %d but set %s\n", call, st, what);
        (*bad)++;
    }
}

/* A pointer-returning function given a NULL argument. */
static void check_null_result(int *bad, const char *call, const void *result) {
    if (result != NULL) {
        print_error("%s: returned a non-NULL pointer\n", call);
        (*bad)++;
    }
}
"""


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def call_label(fn, nulls, overrides):
    if nulls is None:
        what = "all valid"
    elif len(nulls) == len(fn.pointer_params) and len(nulls) > 1:
        what = "all pointers NULL"
    else:
        what = ", ".join("%s=NULL" % n for n in nulls)
    if overrides:
        what += ", " + ", ".join("%s=%s" % kv for kv in sorted(overrides.items()))
    return "%s(%s)" % (fn.name, what)


def emit_call(fn, nulls, overrides, must_succeed, fxvar="fx"):
    """One block: declarations, the call, its checks, cleanup. `nulls` is the
    list of parameter names passed as NULL (None for the baseline)."""
    baseline = nulls is None
    nulls = nulls or []
    decls, args, outs = [], [], []
    for p in fn.params:
        if p.name in nulls:
            args.append("NULL")
            continue
        if p.name in (overrides or {}):
            args.append(overrides[p.name])
            continue
        a = valid_arg(fn, p)
        decls += a.decls
        args.append(a.expr)
        outs += a.outs
    label = call_label(fn, None if baseline else nulls, overrides)
    if fxvar != "fx":
        decls = [re.sub(r"\bfx\b", fxvar, d) for d in decls]
        args = [re.sub(r"\bfx\b", fxvar, a) for a in args]
    call = "%s(%s)" % (fn.name, ", ".join(args))
    lines = ["{"]
    lines += ["    " + d for d in decls]
    if fn.ret == "void":
        lines.append("    %s;" % call)
    elif not fn.pointer_params:
        lines.append("    (void)%s;" % call)
    elif fn.ret == "int32_t":
        lines.append("    prime_last_error();")
        lines.append("    int32_t st = %s;" % call)
        lines.append("    check_status(&bad, %s, st, %d);" % (c_string(label), 1 if must_succeed else 0))
        for var, _ in outs:
            lines.append("    check_out(&bad, %s, st, %s, %s);" % (c_string(label), var, c_string(var[2:])))
        for var, free in outs:
            lines.append("    %s(%s);" % (free, var))
    elif fn.ret.endswith("*"):
        lines.append("    const void *r = %s;" % call)
        if must_succeed:
            lines.append("    if (r == NULL) {")
            lines.append("        print_error(\"%%s: returned NULL\\n\", %s);" % c_string(label))
            lines.append("        bad++;")
            lines.append("    }")
        elif fn.name in RETURNS_NULL_ON_NULL:
            lines.append("    check_null_result(&bad, %s, r);  /* %s */"
                         % (c_string(label), RETURNS_NULL_ON_NULL[fn.name]))
        elif fn.ret == "const char *":
            lines.append("    if (r != NULL) (void)strlen((const char *)r); /* NULL or a string */")
        else:
            lines.append("    (void)r;")
    else:
        raise SystemExit("%s: unsupported return type %s" % (fn.name, fn.ret))
    lines.append("}")
    return lines, label


def test_body(fn):
    """Lines of the test function of `fn` and the number of calls it makes."""
    lines, ncalls = [], 0
    ptrs = [p.name for p in fn.pointer_params]
    allowed = MAY_BE_NULL.get(fn.name, {})
    for name in allowed:
        if name not in ptrs:
            raise SystemExit("MAY_BE_NULL: %s has no pointer parameter %s" % (fn.name, name))

    def block(comment, blines):
        nonlocal ncalls
        ncalls += 1
        lines.append("    /* %s */" % comment)
        lines.extend("    " + b for b in blines)

    if not ptrs:
        blines, label = emit_call(fn, [], None, True)
        block("no pointer parameters: one call with valid arguments (no crash)", blines)
        return lines, ncalls
    if fn.ret != "void":
        base = ["fixture *bx = fixture_new();", "assert_non_null(bx);"]
        blines, label = emit_call(fn, None, None, True, fxvar="bx")
        blines = ["{"] + ["    " + b for b in base] + ["    " + b for b in blines] + \
                 ["    fixture_free(bx);", "}"]
        block("baseline: every argument valid (a fixture of its own)", blines)
    for name in ptrs:
        spec = allowed.get(name)
        if spec is None:
            blines, label = emit_call(fn, [name], None, False)
            if fn.ret == "void":
                expect = "must not crash (the header: NULL is fine)"
            elif fn.ret == "int32_t":
                expect = "must fail"
            elif fn.name in RETURNS_NULL_ON_NULL:
                expect = "must return NULL"
            else:
                expect = "must not crash"
            block("%s = NULL: %s" % (name, expect), blines)
        elif spec[1] is None:
            blines, label = emit_call(fn, [name], None, True)
            block("%s = NULL: allowed (%s)" % (name, spec[0]), blines)
        else:
            blines, label = emit_call(fn, [name], None, False)
            block("%s = NULL with %s: must fail" % (
                name, ", ".join("%s != %s" % kv for kv in sorted(spec[1].items()))), blines)
            blines, label = emit_call(fn, [name], spec[1], True)
            block("%s = NULL with %s: allowed (%s)" % (
                name, ", ".join("%s = %s" % kv for kv in sorted(spec[1].items())), spec[0]),
                blines)
    if len(ptrs) > 1:
        ok = all(n in allowed and allowed[n][1] is None for n in ptrs)
        blines, label = emit_call(fn, ptrs, None, ok)
        block("every pointer NULL: %s" % ("allowed" if ok else "must fail"), blines)
    return lines, ncalls


def generate(functions):
    names = [f.name for f in functions]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SystemExit("duplicate declarations: %s" % ", ".join(dup))
    tests, total_calls, total_ptrs = [], 0, 0
    for fn in functions:
        body, ncalls = test_body(fn)
        total_calls += ncalls
        total_ptrs += len(fn.pointer_params)
        tests.append((fn, body, ncalls))
    for name in MAY_BE_NULL:
        if name not in names:
            raise SystemExit("MAY_BE_NULL names %s, which the header does not declare" % name)

    out = []
    out.append("/* GENERATED FILE - do not edit. Written by tests/gen/gen_null_tests.py from")
    out.append(" * include/unetseg.h; regenerate after changing the header with")
    out.append(" *     %s" % REGEN_CMD)
    out.append(" * (tests/python/test_null_tests_in_sync.py fails `make check` when it is stale).")
    out.append(" *")
    out.append(" * Issue 8, item 3: every public function called with NULL for every pointer")
    out.append(" * argument, the others valid, and once with every pointer NULL; a baseline call")
    out.append(" * with valid arguments must succeed first. NULL must give a negative status and")
    out.append(" * a fresh unetseg_last_error() message, or UNETSEG_OK where the header documents")
    out.append(" * that the pointer may be NULL (MAY_BE_NULL in the generator).")
    out.append(" * %d functions, %d pointer parameters, %d calls. */"
               % (len(functions), total_ptrs, total_calls))
    out.append("#include <dirent.h>")
    out.append("#include <stdio.h>")
    out.append("#include <stdlib.h>")
    out.append("#include <string.h>")
    out.append("#include <unistd.h>")
    out.append("")
    out.append('#include "support/test_support.h"')
    out.extend(FIXTURE_C.rstrip("\n").split("\n"))
    for fn, body, ncalls in tests:
        out.append("")
        sig = "%s %s(%s)" % (fn.ret, fn.name, ", ".join(
            "%s%s%s%s" % (p.ctype, "" if p.ctype.endswith("*") else " ", p.name, p.array)
            for p in fn.params) or "void")
        out.append("/* %s */" % sig.replace("*/", "* /"))
        out.append("static void test_%s(void **state) {" % fn.name[len("unetseg_"):])
        out.append("    fixture *fx = *state;")
        out.append("    int bad = 0;")
        out.append("    (void)fx;")
        out.extend(body)
        out.append("    assert_int_equal(bad, 0);")
        out.append("}")
    out.append("")
    out.append("int main(void) {")
    out.append("    const struct CMUnitTest tests[] = {")
    for fn, _, _ in tests:
        out.append("        cmocka_unit_test_setup_teardown(test_%s, fixture_setup, fixture_teardown),"
                   % fn.name[len("unetseg_"):])
    out.append("    };")
    out.append("    return cmocka_run_group_tests(tests, group_setup, group_teardown);")
    out.append("}")
    return "\n".join(out) + "\n", total_calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", default=DEFAULT_OUTPUT, help="file to write")
    ap.add_argument("--header", default=HEADER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    functions = parse_header(args.header)
    if not functions:
        raise SystemExit("no UNETSEG_API declarations in %s" % args.header)
    text, ncalls = generate(functions)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("%s: %d functions, %d calls" % (os.path.relpath(args.output), len(functions), ncalls),
          file=sys.stderr)


if __name__ == "__main__":
    main()
