"""pytest tests of Model.clone() and Model.param_bytes() in the ctypes binding
(unetseg_model_clone, unetseg_model_param_bytes): a clone gives the source's
bits, its weights are shared copy-on-write (held once, by param_bytes, until
one side changes them), and clones run concurrently on Python threads.
References: a second model built the same way, and the source's own earlier
outputs.

Run from the repository root after `make`:
    python3 tests/python/test_binding_clone.py        (what `make check` does)
"""
import os
import sys
import threading

try:
    import numpy as np
    import pytest
except ImportError:  # a pyenv python without numpy/pytest: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
import unetseg  # noqa: E402


def small_model(seed=0):
    """input 16x16x3 -> conv3x3(8) -> BN -> relu -> conv3x3(1) -> sigmoid, with
    deterministic weights (fresh layers start zero-filled)."""
    m = unetseg.Model()
    (m.add_input("data", 16, 16, 3)
      .add_conv2d("conv", "data", 8, kernel_size=3, padding="same")
      .add_batchnorm("bn", "conv")
      .add_activation("relu", "bn", "relu")
      .add_conv2d("head", "relu", 1, kernel_size=3, padding="same")
      .add_activation("sigmoid", "head", "sigmoid"))
    rng = np.random.default_rng(seed)
    for name in m.param_names:
        shape = m.get_param(name).shape
        if name.endswith("/kernel") or name.endswith("/beta"):
            m.set_param(name, rng.normal(0, 0.5, shape).astype(np.float32))
    return m


def batch(n=2, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 16, 16, 3)).astype(np.float32)


def weight_bytes(m):
    return 4 * m.param_totals()[0]


def test_clone_equals_source_and_shares_weights():
    with small_model() as src, small_model() as ref:
        x = batch()
        with src.clone() as c:
            assert c.layers == ref.layers
            assert np.array_equal(c.forward(x), ref.forward(x))
            assert np.array_equal(src.forward(x), ref.forward(x))
            b = src.param_bytes(c)
            assert b == (weight_bytes(ref), 2 * weight_bytes(ref), b.cache)
            assert b.unique == src.param_bytes().unique == src.param_bytes(c, c, src).unique
            assert src.param_bytes().total == weight_bytes(ref)


def test_copy_on_write_both_ways():
    with small_model() as src:
        x = batch()
        before = src.forward(x).copy()
        c = src.clone()
        kernel = c.get_param("conv/kernel")
        c.set_param("conv/kernel", kernel * 2)
        with small_model() as ref:
            ref.set_param("conv/kernel", kernel * 2)
            assert np.array_equal(c.forward(x), ref.forward(x))
        assert np.array_equal(src.forward(x), before)
        assert np.array_equal(src.get_param("conv/kernel"), kernel)
        assert src.param_bytes(c).unique == weight_bytes(src) + kernel.nbytes
        # and the other way: the source changes, the clone keeps its values
        c2 = src.clone()
        src.set_param("head/bias", np.full((1,), 0.25, np.float32))
        assert np.array_equal(c2.forward(x), before)
        assert c2.get_param("head/bias")[0] == 0.0
        c.close()
        c2.close()


def test_training_a_clone_leaves_the_source():
    with small_model() as src, small_model() as ref:
        x = batch(4)
        y = (x[..., :1] > 0.5).astype(np.float32)
        before = {n: src.get_param(n).copy() for n in src.param_names}
        with src.clone() as c:
            with unetseg.Trainer(c, optimizer="sgd", lr=0.1) as t:
                t.step(x, y)
            with unetseg.Trainer(ref, optimizer="sgd", lr=0.1) as t:
                t.step(x, y)
            for n in src.param_names:
                assert np.array_equal(src.get_param(n), before[n]), n
                assert np.array_equal(c.get_param(n), ref.get_param(n)), n


def test_clones_on_threads():
    with small_model() as src:
        x = batch(3)
        expected = src.forward(x).copy()
        clones = [src.clone() for _ in range(4)]
        results = [None] * 4

        def work(i):
            results[i] = [clones[i].forward(x).copy() for _ in range(3)]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            assert all(np.array_equal(y, expected) for y in r)
        assert src.param_bytes(*clones).unique == weight_bytes(src)
        # free the source first: the clones keep working
        src.close()
        assert np.array_equal(clones[0].forward(x), expected)
        for c in clones:
            c.close()


def test_bad_arguments_and_closed_handles():
    with small_model() as src:
        with pytest.raises(TypeError):
            src.param_bytes("not a model")
        c = src.clone()
        c.close()
        with pytest.raises(ValueError):
            c.clone()
        with pytest.raises(ValueError):
            src.param_bytes(c)
    before = unetseg.live_handles().get("model", 0)
    with small_model() as m:
        m.clone().close()
    assert unetseg.live_handles().get("model", 0) == before


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
