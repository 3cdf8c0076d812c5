"""Generate tests/fixtures/train_resnet18_64.safetensors (one training step's
loss, gradients and BatchNorm statistic updates) for tests/test_train_parity.c.

Usage:  python3 tests/gen/gen_train_parity.py
        (re-executes itself with /usr/bin/python3 if numpy/torch are missing;
         deterministic: re-running reproduces the same bytes; ~30 s on 2 cores)
Then:   make -s build/tests/test_train_parity && ./build/tests/test_train_parity

Model: Keras Unet('resnet18'), decoder 'upsampling', 64x64x3, classes=1,
sigmoid head, formula weights (formula_weights.py; float32 values used in
float64). Batch of 2:
    images = float32(255 * u(k)) over the name "images", shape (2, 64, 64, 3)
    masks  = 1 if u(k) >= 0.5 else 0 over the name "masks", shape (2, 64, 64, 1)

The network is run in float64 torch autograd in *training* mode, following
tf.keras 2.x:
  - BatchNormalization normalises with the batch mean and the biased batch
    variance over (N, H, W), eps 2e-5 (backbone) / 1e-3 (decoder), and then
    moving_mean     = 0.99 moving_mean     + 0.01 batch_mean
    moving_variance = 0.99 moving_variance + 0.01 batch_var * n / (n - 1)
  - the loss is binary cross-entropy on the logits z (the final_conv output,
    the input of the final sigmoid): mean over all elements of
    softplus(z) - t z (Keras' BCE on the sigmoid output away from the clip).
The other layers are the ops of keras_unet_torch.py (imported, not copied).

Stored (all F32):
    "images" (2,64,64,3), "masks" (2,64,64,1), "loss" (1,)
    for every trainable parameter P ("{layer}/{param}", i.e. all but the BN
    moving statistics), gradient g = dloss/dP in the Keras layout:
      numel(P) <= FULL_MAX:  "grad/P"      the full gradient, Keras shape
      otherwise:             "gradnorm/P"  (1,)  ||g||_2
                             "gradproj/P"  (8,)  <g, r_k>, k = 0..7, with the
                             Rademacher vector r_k[i] = -1 if u(i) < 0.5
                             else +1, u over the name "proj{k}/P" (e.g.
                             "proj3/conv0/kernel"), i the flat Keras index
    for every BatchNormalization layer L, after the update:
      "moving_mean/L", "moving_variance/L"
    "gradmag/L/beta", "gradmag/L/gamma" (1,) for every BatchNormalization
      layer L: the L2 norm over channels of sum |dloss/dy| (beta) and of
      sum |dloss/dy * x_hat| (gamma) over (N, H, W), y the layer's output.
      A BN gradient is a sum over all pixels whose terms largely cancel
      (||g|| is 1e-3..1e-2 of these magnitudes here), so float32 rounding,
      and a ReLU input within rounding of 0 taking the other side of the kink
      (one moved decoder_stage2b_bn/beta by 1.7e-2 relative with OpenBLAS
      single-threaded), shows in it magnified; test_train_parity.c bounds
      their error by a fraction of this magnitude as well.
Metadata: the configuration, FULL_MAX and the formulas above.

Checks before writing: a second, independently written torch network
(torch-style padding, F.batch_norm(training=True, momentum=0.01) with torch's
own unbiased running-variance update, F.binary_cross_entropy_with_logits)
must agree on loss, every gradient and every statistic to 1e-9 relative, and
a central finite difference of the loss along a random direction over all
trainable parameters must match the autograd directional derivative.
"""

import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402
import keras_unet_torch as K  # noqa: E402
from formula_weights import formula_input, formula_weights, uniform  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "train_resnet18_64.safetensors")

BACKBONE = "resnet18"
DECODER = "upsampling"
SIZE = 64
CLASSES = 1
BATCH = 2
MOMENTUM = 0.99          # Keras BatchNormalization default
FULL_MAX = 4096          # gradients with at most this many elements are stored in full
N_PROJ = 8
LOSS_LAYER = "final_conv"
MAX_BYTES = 1536 * 1024  # keep the fixture under ~1.5 MB
STATS = ("moving_mean", "moving_variance")


# ---------------------------------------------------------------- the wrapper
# keras_unet_torch's ops take Keras-layout weights through `as_t`, which goes
# via numpy (and so would cut the autograd graph and refuse tensors that
# require grad). Wrap it so that torch tensors pass through unchanged; numpy
# inputs behave exactly as before. This only affects this process.
_numpy_as_t = K.as_t


def _as_t(a):
    if torch.is_tensor(a):
        return a if a.dtype == torch.float64 else a.to(torch.float64)
    return _numpy_as_t(a)


K.as_t = _as_t


def batchnorm_train(x, gamma, beta, eps):
    """Keras BN in training mode on NCHW x; returns (y, batch_mean, biased_var)."""
    c = x.shape[1]
    mean = x.mean(dim=(0, 2, 3))
    var = ((x - mean.view(1, c, 1, 1)) ** 2).mean(dim=(0, 2, 3))
    y = (x - mean.view(1, c, 1, 1)) / torch.sqrt(var.view(1, c, 1, 1) + eps)
    if gamma is not None:
        y = y * gamma.view(1, c, 1, 1)
    if beta is not None:
        y = y + beta.view(1, c, 1, 1)
    return y, mean, var


def forward_train(layers, params, x_nhwc, stop=LOSS_LAYER, momentum=MOMENTUM, outs=None):
    """Training-mode forward of the layer list up to layer `stop` (included).

    `params` maps "{layer}/{param}" to float64 torch tensors (Keras layout;
    trainable ones may require grad). Returns (output of `stop` as NCHW torch
    tensor, {bn layer: (new moving_mean, new moving_variance)} as detached
    float64 tensors). Every layer's output is left in `outs` if given."""
    def w(layer, p):
        return params.get("%s/%s" % (layer.name, p))

    outs = {} if outs is None else outs
    new_stats = {}
    for L in layers:
        ins = [outs[n] for n in L.inbound]
        c = L.cfg
        if L.kind == "InputLayer":
            y = torch.as_tensor(np.asarray(x_nhwc, np.float64)).permute(0, 3, 1, 2).contiguous()
        elif L.kind == "BatchNormalization":
            x = ins[0]
            y, mean, var = batchnorm_train(x, w(L, "gamma") if c["scale"] else None,
                                           w(L, "beta") if c["center"] else None, c["epsilon"])
            n = x.shape[0] * x.shape[2] * x.shape[3]
            mm, mv = w(L, "moving_mean").detach(), w(L, "moving_variance").detach()
            new_stats[L.name] = (momentum * mm + (1 - momentum) * mean.detach(),
                                 momentum * mv + (1 - momentum) * var.detach() * n / (n - 1))
        elif L.kind == "Activation":
            y = K.activation(ins[0], c["activation"])
        elif L.kind == "ZeroPadding2D":
            y = K.zero_pad(ins[0], *c["padding"])
        elif L.kind == "Conv2D":
            y = K.conv2d(ins[0], w(L, "kernel"), w(L, "bias") if c["use_bias"] else None,
                         c["strides"], c["padding"])
        elif L.kind == "Conv2DTranspose":
            y = K.conv2d_transpose(ins[0], w(L, "kernel"),
                                   w(L, "bias") if c["use_bias"] else None,
                                   c["strides"], c["padding"])
        elif L.kind == "MaxPooling2D":
            y = K.max_pool(ins[0], c["pool"], c["strides"], c["padding"])
        elif L.kind == "UpSampling2D":
            y = K.upsample_nearest(ins[0], *c["size"])
        elif L.kind == "Concatenate":
            y = torch.cat(ins, dim=1)
        elif L.kind == "Add":
            y = ins[0]
            for t in ins[1:]:
                y = y + t
        else:
            raise ValueError("no training-mode rule for %s (%s)" % (L.kind, L.name))
        assert tuple(y.shape[1:]) == (L.shape[2], L.shape[0], L.shape[1]), (L.name, y.shape)
        outs[L.name] = y
        if L.name == stop:
            return y, new_stats
    raise ValueError("layer %s not found" % stop)


def bn_grad_magnitudes(layers, params, outs, loss):
    """{"L/beta": m, "L/gamma": m} (see the module doc) for every BN layer L."""
    bns = [L for L in layers if L.kind == "BatchNormalization"]
    d_out = torch.autograd.grad(loss, [outs[L.name] for L in bns], retain_graph=True)
    mags = {}
    for L, g in zip(bns, d_out):
        gamma, beta = params.get(L.name + "/gamma"), params.get(L.name + "/beta")
        if beta is not None:
            mags[L.name + "/beta"] = float(torch.linalg.norm(g.abs().sum(dim=(0, 2, 3))))
        if gamma is not None:
            y = outs[L.name].detach()
            shift = beta.detach().view(1, -1, 1, 1) if beta is not None else 0.0
            x_hat = (y - shift) / gamma.detach().view(1, -1, 1, 1)
            mags[L.name + "/gamma"] = float(torch.linalg.norm((g * x_hat).abs()
                                                              .sum(dim=(0, 2, 3))))
    return mags


def bce_logits(z, t):
    """mean(softplus(z) - t z), z and t NCHW."""
    return (F.softplus(z) - t * z).mean()


def rademacher(name, k, count):
    """r_k over the name "proj{k}/{name}": -1 where u < 0.5, else +1."""
    u = uniform("proj%d/%s" % (k, name), count)
    return np.where(u < 0.5, -1.0, 1.0)


# ---------------------------------------------------------------- cross-check

def direct_train(wts, x_nhwc, t_nchw):
    """Independent resnet18/upsampling training step (torch-style padding,
    F.batch_norm with running statistics). Returns (loss, {bn: (mean, var)})."""
    units = (2, 2, 2, 2)
    stats = {}

    def W(n):
        return wts[n]

    def conv(x, layer, stride=1, pad=0, bias=False):
        w = W(layer + "/kernel").permute(3, 2, 0, 1).contiguous()
        return F.conv2d(x, w, W(layer + "/bias") if bias else None, stride=stride, padding=pad)

    def bn(x, layer, eps, scale=True):
        rm = W(layer + "/moving_mean").detach().clone()
        rv = W(layer + "/moving_variance").detach().clone()
        y = F.batch_norm(x, rm, rv, W(layer + "/gamma") if scale else None, W(layer + "/beta"),
                         training=True, momentum=1 - MOMENTUM, eps=eps)
        stats[layer] = (rm, rv)
        return y

    x = torch.as_tensor(np.asarray(x_nhwc, np.float64)).permute(0, 3, 1, 2)
    x = bn(x, "bn_data", 2e-5, scale=False)
    relu0 = F.relu(bn(conv(x, "conv0", 2, 3), "bn0", 2e-5))
    x = F.max_pool2d(relu0, 3, 2, padding=1)
    taps = {"relu0": relu0}
    for s, n in enumerate(units, start=1):
        for u in range(1, n + 1):
            p = "stage%d_unit%d_" % (s, u)
            stride = 2 if (u == 1 and s > 1) else 1
            r1 = F.relu(bn(x, p + "bn1", 2e-5))
            taps[p + "relu1"] = r1
            y = F.relu(bn(conv(r1, p + "conv1", stride, 1), p + "bn2", 2e-5))
            y = conv(y, p + "conv2", 1, 1)
            x = y + (conv(r1, p + "sc", stride) if u == 1 else x)
    x = F.relu(bn(x, "bn1", 2e-5))
    skips = [taps["stage4_unit1_relu1"], taps["stage3_unit1_relu1"],
             taps["stage2_unit1_relu1"], taps["relu0"], None]
    for i in range(5):
        p = "decoder_stage%d" % i
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skips[i] is not None:
            x = torch.cat([x, skips[i]], 1)
        x = F.relu(bn(conv(x, p + "a_conv", 1, 1), p + "a_bn", 1e-3))
        x = F.relu(bn(conv(x, p + "b_conv", 1, 1), p + "b_bn", 1e-3))
    z = conv(x, "final_conv", 1, 1, bias=True)
    return F.binary_cross_entropy_with_logits(z, t_nchw), stats


def rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


# ---------------------------------------------------------------- generation

def main():
    torch.set_num_threads(2)
    t0 = time.time()
    layers = K.build_unet(BACKBONE, SIZE, SIZE, 3, CLASSES, DECODER)
    specs = K.param_specs(layers)
    weights = formula_weights(specs)  # float32 values, used in float64
    trainable = [n for n, _ in specs if n.rpartition("/")[2] not in STATS]
    bn_layers = [L.name for L in layers if L.kind == "BatchNormalization"]

    images = formula_input("images", (BATCH, SIZE, SIZE, 3))
    masks = (uniform("masks", BATCH * SIZE * SIZE * CLASSES) >= 0.5).astype(np.float32)
    masks = masks.reshape(BATCH, SIZE, SIZE, CLASSES)
    t_nchw = torch.as_tensor(masks.astype(np.float64)).permute(0, 3, 1, 2).contiguous()

    def make_params():
        p = {n: torch.tensor(weights[n], dtype=torch.float64) for n, _ in specs}
        for n in trainable:
            p[n].requires_grad_(True)
        return p

    # the reference: keras_unet_torch ops + training-mode BN
    params = make_params()
    outs = {}
    z, new_stats = forward_train(layers, params, images, outs=outs)
    loss = bce_logits(z, t_nchw)
    mags = bn_grad_magnitudes(layers, params, outs, loss)
    grads = torch.autograd.grad(loss, [params[n] for n in trainable])
    grads = {n: g.detach().numpy() for n, g in zip(trainable, grads)}
    loss = float(loss.detach())
    t_ref = time.time() - t0
    print("reference: loss %.10f  (%d trainable tensors, %d BN layers, %.1f s)"
          % (loss, len(trainable), len(bn_layers), t_ref))
    assert set(new_stats) == set(bn_layers)
    zs = z.detach().numpy()
    print("  logits: mean %.4g std %.4g max|z| %.4g" % (zs.mean(), zs.std(), np.abs(zs).max()))
    assert zs.std() > 1e-2, "logits nearly constant"

    # cross-check 1: an independent torch network
    t1 = time.time()
    params2 = make_params()
    loss2, stats2 = direct_train(params2, images, t_nchw)
    grads2 = torch.autograd.grad(loss2, [params2[n] for n in trainable])
    worst = abs(float(loss2) - loss) / loss
    worst_name = "loss"
    for n, g2 in zip(trainable, grads2):
        d = rel_diff(grads[n], g2.numpy())
        if d > worst:
            worst, worst_name = d, "grad/" + n
    for L in bn_layers:
        for a, b, what in zip(new_stats[L], stats2[L], STATS):
            d = rel_diff(a.numpy(), b.numpy())
            if d > worst:
                worst, worst_name = d, what + "/" + L
    print("cross-check vs direct torch network: worst rel diff %.2e (%s)  (%.1f s)"
          % (worst, worst_name, time.time() - t1))
    assert worst < 1e-9, "cross-check failed: %s %.3g" % (worst_name, worst)

    # cross-check 2: central finite difference along a random direction
    t1 = time.time()
    rng = np.random.default_rng(1234)
    direction = {n: rng.standard_normal(weights[n].shape) * (np.abs(weights[n]).mean() + 1e-3)
                 for n in trainable}
    dd_auto = sum(float(np.sum(grads[n] * direction[n])) for n in trainable)
    h = 1e-7  # the loss is kinky (ReLU, max-pool switches): 1e-5 is already off by ~2%
    with torch.no_grad():
        lv = []
        for sign in (1.0, -1.0):
            p = {n: torch.tensor(weights[n], dtype=torch.float64) for n, _ in specs}
            for n in trainable:
                p[n] += sign * h * torch.as_tensor(direction[n])
            lv.append(float(bce_logits(forward_train(layers, p, images)[0], t_nchw)))
    dd_fd = (lv[0] - lv[1]) / (2 * h)
    fd_rel = abs(dd_fd - dd_auto) / abs(dd_auto)
    print("finite difference: directional derivative autograd %.10g  fd %.10g  rel %.2e  (%.1f s)"
          % (dd_auto, dd_fd, fd_rel, time.time() - t1))
    assert fd_rel < 1e-5, "finite-difference check failed"

    # the fixture
    tensors = {"images": images, "masks": masks, "loss": np.array([loss])}
    n_full = n_proj = 0
    norms = []
    for n in trainable:
        g = grads[n]
        norm = float(np.linalg.norm(g))
        norms.append((norm, float(np.abs(g).max()), n))
        if g.size <= FULL_MAX:
            tensors["grad/" + n] = g
            n_full += 1
        else:
            flat = g.reshape(-1)
            tensors["gradnorm/" + n] = np.array([norm])
            tensors["gradproj/" + n] = np.array(
                [float(np.dot(flat, rademacher(n, k, flat.size))) for k in range(N_PROJ)])
            n_proj += 1
    for L in bn_layers:
        tensors["moving_mean/" + L] = new_stats[L][0].numpy()
        tensors["moving_variance/" + L] = new_stats[L][1].numpy()
    for n, v in sorted(mags.items()):
        tensors["gradmag/" + n] = np.array([v])
    ratio = sorted((np.linalg.norm(grads[n]) / v, n) for n, v in mags.items())
    print("BN gradients: ||g|| / magnitude from %.3g (%s) to %.3g (%s)"
          % (ratio[0][0], ratio[0][1], ratio[-1][0], ratio[-1][1]))

    norms.sort(reverse=True)
    print("largest gradient norms (||g||, max|g|):")
    for norm, mx, n in norms[:6]:
        print("  %-40s %12.6g %12.6g" % (n, norm, mx))
    print("smallest: %s %.6g" % (norms[-1][2], norms[-1][0]))

    meta = {
        "backbone": BACKBONE,
        "decoder_block_type": DECODER,
        "classes": str(CLASSES),
        "size": "%dx%dx3" % (SIZE, SIZE),
        "batch": str(BATCH),
        "loss_layer": LOSS_LAYER,
        "loss": "BCE on logits: mean(softplus(z) - t z)",
        "batchnorm": "training mode: batch mean, biased batch variance; moving stats "
                     "momentum 0.99 with unbiased batch variance",
        "weights": "formula (tests/gen/formula_weights.py)",
        "images": "float32(255*u(k)) over the name 'images'",
        "masks": "1 if u(k) >= 0.5 else 0 over the name 'masks'",
        "full_max": str(FULL_MAX),
        "gradmag": "BN beta/gamma: L2 over channels of sum |dloss/dy| (|dloss/dy x_hat|)",
        "n_proj": str(N_PROJ),
        "proj": "r_k[i] = -1 if u(i) < 0.5 else +1, u over the name 'proj{k}/{param}'",
        "generator": "tests/gen/gen_train_parity.py (float64 torch autograd)",
    }
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    st_io.write(FIXTURE, tensors, meta)
    back, _ = st_io.read(FIXTURE)
    assert all(np.array_equal(back[k], np.asarray(v, np.float32)) for k, v in tensors.items())
    size = os.path.getsize(FIXTURE)
    print("wrote %s: %d tensors (%d full gradients, %d projected, %d BN layers), %d bytes "
          "(%.2f MB), total %.1f s"
          % (os.path.relpath(FIXTURE, ROOT), len(tensors), n_full, n_proj, len(bn_layers), size,
             size / 1048576.0, time.time() - t0))
    assert size <= MAX_BYTES, "fixture too large: lower FULL_MAX"


if __name__ == "__main__":
    main()
