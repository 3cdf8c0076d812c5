"""pytest tests of the ctypes binding examples/python/unetseg.py.

Run from the repository root after `make`:
    python3 -m pytest -q tests/python/test_binding.py      (Debian: python3-pytest)
    python3 tests/python/test_binding.py                   (what `make check` does)
Needs numpy and pytest; a python without them re-executes under /usr/bin/python3.
The whole file takes a few seconds on two cores.
"""
import gc
import os
import re
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import pytest
except ImportError:  # a pyenv python without numpy/pytest: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDING_DIR = os.path.join(ROOT, "examples", "python")
sys.path.insert(0, BINDING_DIR)
sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import st_io  # noqa: E402
import unetseg  # noqa: E402
from formula_weights import formula_values  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
PARITY = os.path.join(FIXTURES, "parity_resnet18_upsampling_64.safetensors")
SUMMARY34 = os.path.join(FIXTURES, "unet_resnet34_256x256_classes1.summary.txt")


# ------------------------------------------------------------------ helpers

def tiny_model(seed=0, channels=2):
    """input 8x8xC -> conv3x3(4) -> BN -> relu -> conv1x1(1) -> sigmoid, with
    small deterministic weights (fresh layers start zero-filled)."""
    m = unetseg.Model()
    (m.add_input("data", 8, 8, channels)
      .add_conv2d("conv", "data", 4, kernel_size=3, padding="same")
      .add_batchnorm("bn", "conv")
      .add_activation("relu", "bn", "relu")
      .add_conv2d("head", "relu", 1, kernel_size=1)
      .add_activation("sigmoid", "head", "sigmoid"))
    rng = np.random.default_rng(seed)
    for name in m.param_names:
        if name.endswith("/kernel"):
            shape = m.get_param(name).shape
            m.set_param(name, rng.normal(0, 0.5, shape).astype(np.float32))
    return m


def tiny_batch(n=4, channels=2, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 8, 8, channels)).astype(np.float32)
    y = (x[..., :1] > 0.5).astype(np.float32)
    return x, y


def tensor_address(arr):
    ptr = unetseg._lib.unetseg_tensor_data(arr.base.handle)
    return unetseg.ctypes.cast(ptr, unetseg.ctypes.c_void_p).value


@pytest.fixture(scope="module")
def resnet18_formula():
    """Unet('resnet18') 64x64 with the formula weights of tests/gen/formula_weights.py."""
    m = unetseg.Model.unet(backbone="resnet18", input_shape=(64, 64, 3))
    for name in m.param_names:
        m.set_param(name, formula_values(name, m.get_param(name).shape))
    yield m
    m.close()


# ------------------------------------------------------------- import, ABI

def test_import_and_abi():
    assert unetseg.ABI_VERSION == 1
    assert unetseg._lib.unetseg_abi_version() == 1
    major, minor, patch = (int(v) for v in unetseg.version().split("."))
    assert unetseg.__version__ == "%d.%d.%d" % (major, minor, patch)
    assert unetseg._lib.unetseg_version_number() == major * 10000 + minor * 100 + patch
    assert os.path.exists(unetseg.library_path) or unetseg.library_path.startswith("lib")
    assert unetseg.LAYER_KINDS["conv2d"] == 1 and unetseg.LAYER_KINDS["conditionaldropout"] == 12


def test_runtime_info():
    info = unetseg.runtime_info()
    assert info.startswith("unetseg " + unetseg.__version__)
    assert "gemm kernels: " in info and "cpu features: " in info


def test_unloadable_library_is_import_error():
    env = dict(os.environ, UNETSEG_LIBRARY=os.path.join(ROOT, "no", "such", "libunetseg.so"))
    code = ("import sys; sys.path.insert(0, %r)\n"
            "try:\n    import unetseg\nexcept ImportError as e:\n    print('ImportError', e)\n"
            % BINDING_DIR)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError") and "no/such/libunetseg.so" in r.stdout


def test_other_abi_is_import_error(tmp_path):
    cc = next((c for c in ("cc", "gcc") if any(
        os.access(os.path.join(d, c), os.X_OK) for d in os.environ.get("PATH", "").split(":"))),
        None)
    if cc is None:
        pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text("int unetseg_abi_version(void) { return 2; }\n")
    lib = tmp_path / "libfake.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True, timeout=60)
    code = ("import sys; sys.path.insert(0, %r)\n"
            "try:\n    import unetseg\nexcept ImportError as e:\n    print('ImportError', e)\n"
            % BINDING_DIR)
    r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, UNETSEG_LIBRARY=str(lib)),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError") and "ABI 2" in r.stdout, r.stdout


# Header type text -> the ctypes type the binding must declare.
_STRUCTS = {"unetseg_tensor": "_Tensor", "unetseg_model": "_Model", "unetseg_matcher": "_Matcher",
            "unetseg_insert_options": "_InsertOptions", "unetseg_train_options": "_TrainOptions",
            "unetseg_trainer": "_Trainer", "unetseg_unet_options": "_UnetOptions",
            "unetseg_tile_options": "_TileOptions"}
_SCALARS = {"int32_t": unetseg.ctypes.c_int32, "int64_t": unetseg.ctypes.c_int64,
            "uint64_t": unetseg.ctypes.c_uint64, "double": unetseg.ctypes.c_double,
            "float": unetseg.ctypes.c_float, "char": unetseg.ctypes.c_char}


def _ctype_of(decl):
    """The ctypes type of a C parameter or return type from unetseg.h."""
    ct = unetseg.ctypes
    decl = re.sub(r"\bconst\b", "", decl).strip()
    m = re.match(r"^(\w+)\s*([*\s]*?)\s*(\w*)\s*(\[\d*\])?$", decl)
    assert m, "cannot parse %r" % decl
    base, stars, array = m.group(1), m.group(2).count("*"), m.group(4)
    if array:
        stars += 1
    if base == "void":
        return None if stars == 0 else (ct.c_void_p if stars == 1 else ct.POINTER(ct.c_void_p))
    if base == "unetseg_match_fn":
        t = unetseg._MATCH_FN
    elif base == "unetseg_destroy_fn":
        t = unetseg._DESTROY_FN
    elif base == "unetseg_gradient_hook":
        t = unetseg._GRADIENT_HOOK
    elif base == "unetseg_batchnorm_sync_hook":
        t = unetseg._BATCHNORM_SYNC_HOOK
    elif base in _STRUCTS:
        t = getattr(unetseg, _STRUCTS[base])
    elif base == "char" and stars >= 1:
        t, stars = ct.c_char_p, stars - 1
    else:
        t = _SCALARS[base]
    for _ in range(stars):
        t = ct.POINTER(t)
    return t


def test_every_header_function_is_declared_with_its_c_types():
    with open(os.path.join(ROOT, "include", "unetseg.h"), encoding="utf-8") as f:
        header = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    protos = re.findall(r"^UNETSEG_API[ \t]+([^;(\n]*?)\b(unetseg_\w+)\s*\(([^;]*?)\)\s*;",
                        header, flags=re.M)
    assert len(protos) > 90
    declared = unetseg._SIGNATURES
    assert sorted(n for _, n, _ in protos) == sorted(declared), \
        "binding and header differ: %s" % sorted(set(declared) ^ {n for _, n, _ in protos})
    for ret, name, params in protos:
        params = " ".join(params.split())
        args = [] if params == "void" else [p.strip() for p in params.split(",")]
        want = [_ctype_of(ret)] + [_ctype_of(a) for a in args]
        assert list(declared[name]) == want, name
        fn = getattr(unetseg._lib, name)
        assert fn.restype == want[0] and list(fn.argtypes or []) == want[1:], name


# ------------------------------------------------------------------ errors

def test_missing_file_is_io_error_with_path():
    missing = os.path.join(tempfile.gettempdir(), "unetseg-no-such-dir", "weights.safetensors")
    with pytest.raises(unetseg.UnetsegIOError) as info:
        unetseg.Model.load(missing)
    e = info.value
    assert isinstance(e, unetseg.UnetsegError) and isinstance(e, OSError)
    assert e.status == -7 and e.status_name == "i/o error"
    assert missing in e.message and missing in str(e)


def test_bad_expression_is_expression_error_with_column():
    with pytest.raises(unetseg.ExpressionError) as info:
        unetseg.Matcher("conv & (stage")
    e = info.value
    assert e.status == -10 and e.status_name == "syntax error"
    assert "column" in e.message and isinstance(e.column, int) and e.column >= 1
    with pytest.raises(unetseg.ExpressionError):
        unetseg.Matcher().regex("(")


def test_no_match_carries_suggestion(resnet18_formula):
    m = resnet18_formula
    with pytest.raises(unetseg.NoMatchError) as info:
        m.match("block")
    e = info.value
    assert e.status == -9 and "block" in e.message
    assert e.suggestions and all(name in m for name in e.suggestions)


def test_other_statuses(resnet18_formula):
    m = resnet18_formula
    with pytest.raises(unetseg.NotFoundError) as info:
        m.get_param("nope/kernel")
    assert "nope/kernel" in info.value.message and isinstance(info.value, LookupError)
    with pytest.raises(unetseg.ShapeError):           # H not a multiple of 32
        m.forward(np.zeros((1, 48, 64, 3), np.float32))
    with pytest.raises(unetseg.ShapeError):
        m.set_param("conv0/kernel", np.zeros((3, 3, 3, 64), np.float32))
    with pytest.raises(unetseg.InvalidArgumentError):
        unetseg.UnetOptions(backbone="resnet50")
    with pytest.raises(unetseg.GraphError):
        unetseg.Model().add_input("data", 8, 8, 1).add_activation("a", "missing")
    with pytest.raises(unetseg.NameExistsError):
        unetseg.Model().add_input("data", 8, 8, 1).add_activation("data", "data")


# -------------------------------------------------------- summary, parity

def test_summary_resnet34_matches_golden():
    with unetseg.Model.unet(backbone="resnet34", input_shape=(256, 256, 3), classes=1) as m:
        assert len(m) == 199
        with open(SUMMARY34, encoding="utf-8") as f:
            assert m.summary() == f.read()
        assert m.param_totals() == (24456154, 24438804, 17350)


def test_forward_matches_pytorch_fixture(resnet18_formula):
    ref, _ = st_io.read(PARITY)
    names = [k[4:] for k in ref if k.startswith("act/")]
    assert len(names) >= 10
    out, acts = resnet18_formula.forward(ref["input"], activations=names)
    pairs = [("output", out, ref["output"])] + [(n, acts[n], ref["act/" + n]) for n in names]
    for name, got, want in pairs:
        assert got.shape == want.shape, name
        err = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
        assert err <= 1e-4, "%s: relative error %.2e" % (name, err)


def test_layer_info(resnet18_formula):
    info = resnet18_formula.layer_info("decoder_stage0_concat")
    assert info.kind == "concatenate" and info.region == "decoder"
    assert info.inbound == ["decoder_stage0_upsampling", "stage4_unit1_relu1"]
    assert info.output_shape == (None, 4, 4, 768) and info.param_count == 0
    conv0 = resnet18_formula.layer_info("conv0")
    assert (conv0.kind, conv0.region, conv0.param_count, conv0.trainable) == \
        ("conv2d", "encoder", 7 * 7 * 3 * 64, True)
    assert resnet18_formula.layers[0] == "data" and resnet18_formula.layers[-1] == "sigmoid"
    assert resnet18_formula.layer_info(-0).name == "data"


# ---------------------------------------------------- zero-copy outputs

def test_outputs_are_views_on_library_memory(resnet18_formula):
    x = np.zeros((1, 64, 64, 3), np.float32)
    y = resnet18_formula.forward(x)
    assert isinstance(y.base, unetseg.TensorBuffer)
    assert not y.flags.owndata and y.flags.c_contiguous and y.dtype == np.float32
    assert y.ctypes.data == tensor_address(y) == y.base.address
    assert y.shape == y.base.shape == (1, 64, 64, 1)
    # Writes through the view are seen by the library (copy_to reads the tensor).
    y[0, 0, 0, 0] = 42.0
    back = np.empty(y.size, np.float32)
    assert unetseg._lib.unetseg_tensor_copy_to(y.base.handle,
                                               back.ctypes.data_as(unetseg._PF), y.size) == 0
    assert back[0] == 42.0
    # Views of the view keep the tensor alive; the last reference frees it.
    before = unetseg.live_handles().get("tensor", 0)
    view = y[0, :8]
    assert np.shares_memory(view, y)
    del y
    gc.collect()
    assert unetseg.live_handles().get("tensor", 0) == before
    assert view[0, 0, 0] == 42.0
    del view
    gc.collect()
    assert unetseg.live_handles().get("tensor", 0) == before - 1


def test_library_arrays_pass_back_without_copy(monkeypatch):
    with tiny_model() as m:
        kernel = m.get_param("conv/kernel")
        copies = []
        real = unetseg.TensorBuffer.from_array.__func__
        monkeypatch.setattr(unetseg.TensorBuffer, "from_array",
                            classmethod(lambda cls, a: copies.append(1) or real(cls, a)))
        m.set_param("conv/kernel", kernel)            # a library array: no copy
        assert copies == []
        m.set_param("conv/kernel", kernel * 1.0)      # a numpy array: copied once
        assert copies == [1]
        m.set_param("conv/kernel", np.asfortranarray(kernel))  # other layout: converted
        assert copies == [1, 1]
        assert np.array_equal(m.get_param("conv/kernel"), kernel)


# ------------------------------------------------------- dropout, matchers

def test_insert_dropout_counts():
    with unetseg.Model.unet() as m:                  # Unet('resnet34'), (None, None, 3)
        expr = "conv1 & stage & region=encoder"
        targets = m.match(expr)
        assert len(targets) == 16
        n_layers = len(m)
        assert m.insert_dropout(expr, kind="conditional", rate=0.3, mode="always") == 16
        assert len(m) == n_layers + 16
        info = m.layer_info(targets[0] + "_dropout")
        assert info.kind == "conditionaldropout" and info.inbound == [targets[0]]
        with pytest.raises(unetseg.NameExistsError):  # same place twice
            m.insert_dropout(expr)
        assert len(m) == n_layers + 16               # all-or-nothing
        assert m.insert_dropout("no_such_layer", allow_no_match=True) == 0
        assert m.insert_dropout("glob:decoder_stage*b_relu", kind="spatial", before=True,
                                suffix="_pre") == 5
        assert m.layer_info("decoder_stage0b_relu").inbound == ["decoder_stage0b_relu_pre"]


def test_matcher_builder_and_callback(resnet18_formula):
    m = resnet18_formula
    seen = []

    def pick(name, kind):
        seen.append(kind)
        return name.endswith("conv1")

    with unetseg.Matcher().require("stage").region("encoder").kind("conv2d").callback(pick) as mt:
        got = m.match(mt)
    assert got == m.match("stage & region=encoder & kind=conv2d & re:conv1$")
    assert len(got) == 8 and set(seen) == {"conv2d"}

    def boom(name, kind):
        raise KeyError(name)

    n = len(m)
    with unetseg.Matcher().callback(boom) as mt:
        with pytest.raises(KeyError):
            m.match(mt)
        with pytest.raises(KeyError):
            m.insert_dropout(mt)
    assert len(m) == n


def test_predict_mc_and_mc_switch():
    with unetseg.Model.unet(backbone="resnet18", input_shape=(32, 32, 3), seed=2) as m:
        m.set_threads(1)
        m.insert_dropout("glob:decoder_stage*b_relu", kind="conditional", rate=0.5)
        x = np.random.default_rng(0).uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
        mean, std, ent = m.predict_mc(x, samples=4, seed=5)
        assert mean.shape == std.shape == ent.shape == (1, 32, 32, 1)
        assert float(std.max()) > 0.0
        mean2, _, _ = m.predict_mc(x, samples=4, seed=5)
        assert np.array_equal(mean, mean2)
        det = m.forward(x)
        assert np.array_equal(det, m.forward(x))      # MC switch off: deterministic
        m.set_mc_dropout(True)
        m.set_seed(1)
        a = m.forward(x)
        assert not np.array_equal(a, m.forward(x))    # new masks each call
        m.set_seed(1)
        assert np.array_equal(a, m.forward(x))        # seed resets the step counter
        m.set_mc_dropout(False)


def test_profile():
    with unetseg.Model.unet(backbone="resnet18", input_shape=(32, 32, 3), seed=2) as m:
        m.set_threads(2)
        x = np.random.default_rng(0).uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
        assert m.layer_profile("conv0") == (0, 0.0, 0.0)      # off by default
        m.set_profiling(True)
        m.forward(x)
        m.forward(x)
        runs, total_ms, idle_ms = m.layer_profile("conv0")
        assert runs == 2 and total_ms > 0.0 and 0.0 <= idle_ms <= 2 * total_ms
        assert m.layer_profile("bn0")[0] == 0                   # folded into conv0
        assert m.layer_profile(m.layer_index("conv0")) == (runs, total_ms, idle_ms)
        table = m.profile()
        assert table.startswith("Profile of 2 inference passes") and "conv0" in table
        m.set_profiling(False)
        assert m.layer_profile("conv0")[0] == 0
        with pytest.raises(unetseg.UnetsegError):
            m.layer_profile(len(m))


def test_predict_tiled():
    with unetseg.Model.unet(backbone="resnet18", input_shape=(None, None, 3), seed=2) as m:
        m.set_threads(1)
        x = np.random.default_rng(1).uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
        # one tile the size of the image: forward() itself
        y = m.predict_tiled(x, tile=64, overlap=16, blend="uniform")
        assert y.shape == (1, 64, 64, 1)
        assert float(np.abs(y - m.forward(x)).max()) < 1e-5
        # any size, several tiles, (h, w) tiles, batches
        odd = np.random.default_rng(2).uniform(0, 255, (2, 45, 77, 3)).astype(np.float32)
        y = m.predict_tiled(odd, tile=(32, 64), overlap=8, margin=2, batch=3)
        assert y.shape == (2, 45, 77, 1)
        one = m.predict_tiled(odd[:, :1, :1], tile=32, overlap=8)
        assert one.shape == (2, 1, 1, 1)
        # Monte-Carlo: without dropout the mean is the plain result
        mean, std, ent = m.predict_tiled(odd, tile=32, overlap=8, samples=2, seed=3)
        assert mean.shape == std.shape == ent.shape == (2, 45, 77, 1)
        plain = m.predict_tiled(odd, tile=32, overlap=8)
        assert float(np.abs(mean - plain).max()) < 1e-5
        with pytest.raises(unetseg.ShapeError, match="multiples of 32"):
            m.predict_tiled(odd, tile=48, overlap=8)
        with pytest.raises(unetseg.InvalidArgumentError, match="smaller than the tile"):
            m.predict_tiled(odd, tile=32, overlap=32)
        with pytest.raises(ValueError, match="unknown blend"):
            m.predict_tiled(odd, blend="box")
        assert "tile_options" not in unetseg.live_handles()


# ------------------------------------------------------------- training

def test_trainer_reduces_loss():
    x, y = tiny_batch()
    with tiny_model() as m, unetseg.Trainer(m, loss="bce", optimizer="adam", lr=0.05,
                                            seed=3) as tr:
        losses = [tr.step(x, y) for _ in range(40)]
        assert tr.progress[0] == 40 and tr.steps == 40
        assert losses[-1] < 0.6 * losses[0], losses
        loss, iou, fscore = tr.evaluate(x, y)
        assert np.isfinite(loss) and 0.0 <= iou <= 1.0 and 0.0 <= fscore <= 1.0
        with pytest.raises(unetseg.ShapeError):
            tr.step(x, y[:2])


def test_batchnorm_sync_hook_sees_the_sums():
    x, y = tiny_batch()
    with tiny_model() as a, tiny_model() as b, \
            unetseg.Trainer(a, loss="bce", optimizer="sgd", lr=0.5) as ta, \
            unetseg.Trainer(b, loss="bce", optimizer="sgd", lr=0.5) as tb:
        seen = []

        def identity(s):  # one rank: the sums are the totals
            seen.append((s.dtype, s.shape))

        tb.set_batchnorm_sync_hook(identity)
        assert ta.step(x, y) == tb.step(x, y)
        for n in a.param_names:
            assert np.array_equal(a.get_param(n), b.get_param(n)), n
        assert seen and all(d == np.float64 for d, _ in seen)
        assert len(seen) % 3 == 0                            # three calls per BatchNorm

        def broken(s):
            raise KeyError("transport down")

        tb.set_batchnorm_sync_hook(broken)
        with pytest.raises(KeyError):
            tb.step(x, y)
        assert tb.steps == 1
        tb.set_batchnorm_sync_hook(None)
        tb.step(x, y)
        assert tb.steps == 2
        with pytest.raises(TypeError):
            tb.set_batchnorm_sync_hook(3)


def test_gradient_hook_controls_the_update():
    x, y = tiny_batch()
    with tiny_model() as m, unetseg.Trainer(m, loss="bce", optimizer="sgd", lr=0.5) as tr:
        # BatchNorm's moving statistics follow the batch, not the gradients
        before = {n: m.get_param(n) for n in m.param_names if "/moving_" not in n}
        seen = []

        def zero(g):
            seen.append((g.dtype, g.shape, float(np.abs(g).sum())))
            g[:] = 0.0

        tr.set_gradient_hook(zero)
        tr.step(x, y)
        assert seen == [(np.float32, (tr.gradient_count,), pytest.approx(seen[0][2]))]
        assert seen[0][2] > 0.0                              # it saw real gradients
        for n, v in before.items():
            assert np.array_equal(m.get_param(n), v), n     # and zeros were applied

        def broken(g):
            raise KeyError("transport down")

        tr.set_gradient_hook(broken)
        with pytest.raises(KeyError):
            tr.step(x, y)
        assert tr.steps == 1
        tr.set_gradient_hook(None)
        tr.step(x, y)
        assert any(not np.array_equal(m.get_param(n), v) for n, v in before.items())
        with pytest.raises(TypeError):
            tr.set_gradient_hook(3)


def test_trainer_options_and_checkpoint_resume():
    x, y = tiny_batch()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "ckpt.safetensors")
        with tiny_model() as m, unetseg.Trainer(
                m, loss="bce_dice", optimizer="sgd", lr=0.1, momentum=0.9, nesterov=True,
                weight_decay=1e-4, schedule=("step", 2, 0.5)) as tr:
            tr.step(x, y)
            tr.save_checkpoint(ckpt)
            after = [tr.step(x, y) for _ in range(3)]
            assert tr.progress == (4, pytest.approx(0.025))
            tr.load_checkpoint(ckpt)
            assert tr.progress == (1, pytest.approx(0.1))
            assert [tr.step(x, y) for _ in range(3)] == after   # exact resume
        with tiny_model(channels=1) as m:
            with pytest.raises(unetseg.InvalidArgumentError):
                unetseg.Trainer(m, lr=-1.0)
            with pytest.raises(ValueError):
                unetseg.Trainer(m, loss="hinge")
            with unetseg.Trainer(m, loss="cce", class_weights=[2.0],
                                 schedule={"type": "cosine", "total_steps": 4}) as tr:
                assert tr.learning_rate == pytest.approx(1e-3)
                tr.learning_rate = 2e-3           # the base rate of the cosine (step 0)
                assert tr.learning_rate == pytest.approx(2e-3)
                with pytest.raises(unetseg.InvalidArgumentError):
                    tr.learning_rate = 0.0
                assert tr.learning_rate == pytest.approx(2e-3)


def test_trainer_and_model_lifetimes():
    m = tiny_model()
    tr = unetseg.Trainer(m)
    with pytest.raises(unetseg.StateError):           # no edits while a trainer is open
        m.add_dropout("drop", "sigmoid")
    with pytest.raises(unetseg.StateError):
        m.insert_dropout("relu")
    m.close()                                         # closes the trainer first
    assert tr.closed and m.closed
    with pytest.raises(ValueError):
        tr.step(*tiny_batch())
    # A forgotten trainer does not keep the model from being edited.
    with tiny_model() as m2:
        unetseg.Trainer(m2)
        gc.collect()
        m2.add_dropout("drop", "sigmoid")


# ----------------------------------------------------------- save / load

def test_save_load_round_trip_bit_identical():
    x, _ = tiny_batch()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tiny.safetensors")
        with tiny_model(seed=4) as m:
            m.set_param("bn/moving_mean", np.float32([0.1, -0.2, 0.3, 0.0]))
            m.set_trainable("head", False)
            m.save_weights(path)
            params = {n: m.get_param(n).copy() for n in m.param_names}
            out = m.forward(x).copy()
            summary = m.summary()
        with unetseg.Model.load(path) as back:
            assert back.summary() == summary and back.layer_info("head").trainable is False
            for n, v in params.items():
                got = back.get_param(n)
                assert got.shape == v.shape and got.tobytes() == v.tobytes(), n
            assert back.forward(x).tobytes() == out.tobytes()
        with tiny_model(seed=9) as other:
            report = other.load_weights(path)
            assert report.startswith("loaded %d of %d" % (len(params), len(params)))
            assert other.get_param("conv/kernel").tobytes() == params["conv/kernel"].tobytes()
        tensors, meta = st_io.read(path)
        assert "unetseg.graph" in meta and set(tensors) == set(params)
        # Partial load of an encoder-only file; strict load of it fails.
        part = os.path.join(tmp, "part.safetensors")
        unetseg.save_tensors(part, {"conv/kernel": params["conv/kernel"]})
        assert np.array_equal(unetseg.load_tensor(part, "conv/kernel"), params["conv/kernel"])
        with tiny_model(seed=9) as other:
            with pytest.raises(unetseg.NotFoundError):
                other.load_weights(part)
            assert "not in file" in other.load_weights(part, strict=False)


# ---------------------------------------------------- handles and layers

def test_close_is_idempotent_and_use_after_close_raises():
    objs = [tiny_model(), unetseg.Matcher("conv"), unetseg.UnetOptions(classes=2)]
    objs.append(unetseg.Trainer(objs[0]))
    for obj in reversed(objs):
        obj.close()
        obj.close()
        assert obj.closed
    m, mt, opts, tr = objs
    for call in (m.summary, lambda: len(m), lambda: m.layers, lambda: m.match("conv"),
                 lambda: m.forward(np.zeros((1, 8, 8, 2), np.float32)),
                 lambda: mt.require("x"), lambda: tr.progress,
                 lambda: unetseg.Model.unet(opts), lambda: unetseg.Trainer(m)):
        with pytest.raises(ValueError, match="closed"):
            call()
    with pytest.raises(ValueError):
        with m:
            pass


def test_context_managers_free_handles():
    gc.collect()
    base = unetseg.live_handles()
    with tiny_model() as m, unetseg.Matcher("conv") as mt, unetseg.Trainer(m) as tr:
        live = unetseg.live_handles()
        for kind in ("model", "matcher", "trainer"):
            assert live.get(kind, 0) == base.get(kind, 0) + 1, kind
        assert m.match(mt) == ["conv"]
    assert m.closed and mt.closed and tr.closed
    gc.collect()
    assert unetseg.live_handles() == base
    # The garbage collector closes forgotten handles too.
    tiny_model()
    unetseg.Matcher("conv")
    gc.collect()
    assert unetseg.live_handles() == base


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_no_leak_across_1000_create_free_cycles():
    """1,000 cycles of model + matcher + trainer + forward: no handle left and
    no memory growth beyond noise."""
    x = np.ones((1, 8, 8, 2), np.float32)  # tiny_model has 2 input channels
    gc.collect()
    base = unetseg.live_handles()
    for i in range(1000):
        if i == 100:
            gc.collect()
            rss = _rss_kb()  # after warm-up (allocator pools settle)
        with tiny_model() as m, unetseg.Matcher("conv") as mt, unetseg.Trainer(m) as tr:
            m.forward(x)
            assert m.match(mt) == ["conv"]
            del tr
    gc.collect()
    assert unetseg.live_handles() == base
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):   # ASan holds freed memory back
        assert _rss_kb() - rss < 8 * 1024, "more than 8 MiB growth over 900 cycles"


def test_every_layer_kind():
    m = unetseg.Model()
    (m.add_input("in", None, None, 3)
      .add_zero_padding2d("pad", "in", ((1, 1), (2, 2)))
      .add_conv2d("c1", "pad", 8, kernel_size=(3, 5), strides=1, padding="valid", use_bias=False)
      .add_batchnorm("bn", "c1", center=False)
      .add_activation("relu", "bn", "relu")
      .add_max_pooling2d("pool", "relu", 2, padding="same")
      .add_upsampling2d("up", "pool", 2, interpolation="bilinear")
      .add_conv2d_transpose("tr", "up", 8, kernel_size=2, strides=1, padding="same")
      .add_add("sum", ["tr", "relu"])
      .add_concatenate("cat", ["sum", "relu"])
      .add_dropout("d1", "cat", 0.1)
      .add_spatial_dropout2d("d2", "d1", 0.2)
      .add_conditional_dropout("d3", "d2", 0.3, mode="never", spatial=True))
    kinds = [m.layer_info(n).kind for n in m.layers]
    assert kinds == ["inputlayer", "zeropadding2d", "conv2d", "batchnormalization",
                     "activation", "maxpooling2d", "upsampling2d", "conv2dtranspose", "add",
                     "concatenate", "dropout", "spatialdropout2d", "conditionaldropout"]
    assert m.layer_info("c1").param_count == 3 * 5 * 3 * 8
    assert m.layer_info("bn").param_count == 3 * 8          # gamma, moving mean/variance
    assert m.layer_info("cat").output_shape == (None, None, None, 16)
    assert m.layer_info("in").region == "none"
    y = m.forward(np.ones((2, 6, 4, 3), np.float32))
    assert y.shape == (2, 6, 4, 16)
    m.close()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
