"""Generate tests/fixtures/losses.safetensors: segmentation_models losses and
metrics on small batches, values and gradients from torch float64 autograd.

The losses are written here directly from segmentation_models 1.0.1
(segmentation_models/losses.py and segmentation_models/base/functional.py),
operation by operation on the head's probabilities, the way Keras evaluates
them; torch autograd then gives dL/dz through the head:

    binary_crossentropy   mean(K.binary_crossentropy(gt, pr)); for a sigmoid
                          head tf.keras uses the Sigmoid op's logits
                          (sigmoid_cross_entropy_with_logits); for a softmax
                          head pr = clip(softmax, eps, 1-eps) and
                          -(gt log pr + (1-gt) log(1-pr)) (Keras 2.2/2.3)
    categorical_crossentropy  pr /= sum_c pr; pr = clip(pr); -mean(gt log(pr) w)
    dice                  1 - f_score(beta=1, smooth=1e-5, per_image=False, w)
    jaccard               1 - iou_score(smooth=1e-5, per_image=False, w)
    binary_focal          pr = clip(pr); mean(-gt a (1-pr)^g log pr
                                          - (1-gt)(1-a) pr^g log(1-pr)), a .25, g 2
    categorical_focal     pr = clip(pr); mean(-gt a (1-pr)^g log pr)
    sums                  bce + dice(w), bce + jaccard(w), cce(w) + dice(w),
                          cce(w) + jaccard(w)

with eps = 1e-7 (Keras epsilon) and torch.clamp standing for
K.clip (gradient zero outside the closed range, like tf.clip_by_value).

Keys (all F32):
    "{case}/z"              logits, shape (2, 5, 4, C), values in [-6, 6] and
                            a few +-30
    "{case}/t"              targets (0/1; one-hot for softmax heads)
    "{case}/class_weights"  (C,) when the case is weighted
    "{case}/loss"           (1,) the loss value
    "{case}/grad"           dL/dz, same shape as z
    "metrics_{head}/z", "/t", "/iou", "/fscore"   IOUScore/FScore (threshold
                            0.5, smooth 1e-5, per class over batch + pixels,
                            mean over classes)

The metadata maps each case name to a compact JSON description, e.g.
{"loss":"bce_dice","loss_id":6,"head":"sigmoid","channels":1,"weighted":false}.
tests/test_losses.c mirrors the case list; keep them in sync.

Before writing, every value is cross-checked: the autograd gradient against
central finite differences of the float64 loss, and the sigmoid BCE against
the clipped-probability formula away from the clip.
"""

import json
import os
import sys

try:
    import numpy as np
    import torch
except ImportError:  # e.g. a pyenv python without torch: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_PATH = os.path.join(ROOT, "tests", "fixtures", "losses.safetensors")

EPS = 1e-7
SMOOTH = 1e-5
ALPHA = 0.25
GAMMA = 2.0

LOSS_IDS = {"bce": 0, "cce": 1, "dice": 2, "jaccard": 3, "binary_focal": 4,
            "categorical_focal": 5, "bce_dice": 6, "bce_jaccard": 7, "cce_dice": 8,
            "cce_jaccard": 9}
WEIGHTED = ("cce", "dice", "jaccard", "bce_dice", "bce_jaccard", "cce_dice", "cce_jaccard")
HEADS = (("sigmoid", 1), ("softmax", 3), ("sigmoid", 3))
WEIGHTS = {1: [1.7], 3: [0.5, 2.0, 1.25]}
SHAPE = (2, 5, 4)

# ------------------------------------------------------------ sm formulas


def clip(x):
    return torch.clamp(x, EPS, 1.0 - EPS)


def head_probs(z, head):
    return torch.sigmoid(z) if head == "sigmoid" else torch.softmax(z, dim=-1)


def binary_crossentropy(gt, z, head):
    if head == "sigmoid":
        # tf.keras: output of a Sigmoid op -> sigmoid_cross_entropy_with_logits
        return torch.nn.functional.binary_cross_entropy_with_logits(z, gt, reduction="mean")
    pr = clip(head_probs(z, head))
    return torch.mean(-(gt * torch.log(pr) + (1 - gt) * torch.log(1 - pr)))


def categorical_crossentropy(gt, pr, w):
    pr = pr / torch.sum(pr, dim=-1, keepdim=True)
    pr = clip(pr)
    return -torch.mean(gt * torch.log(pr) * w)


def reduce_axes():
    return (0, 1, 2)  # per_image=False, channels_last


def f_score(gt, pr, w, beta=1.0):
    tp = torch.sum(gt * pr, dim=reduce_axes())
    fp = torch.sum(pr, dim=reduce_axes()) - tp
    fn = torch.sum(gt, dim=reduce_axes()) - tp
    score = ((1 + beta ** 2) * tp + SMOOTH) / ((1 + beta ** 2) * tp + beta ** 2 * fn + fp + SMOOTH)
    return torch.mean(score * w)


def iou_score(gt, pr, w):
    intersection = torch.sum(gt * pr, dim=reduce_axes())
    union = torch.sum(gt + pr, dim=reduce_axes()) - intersection
    score = (intersection + SMOOTH) / (union + SMOOTH)
    return torch.mean(score * w)


def binary_focal(gt, pr):
    pr = clip(pr)
    loss_1 = -gt * (ALPHA * torch.pow(1 - pr, GAMMA) * torch.log(pr))
    loss_0 = -(1 - gt) * ((1 - ALPHA) * torch.pow(pr, GAMMA) * torch.log(1 - pr))
    return torch.mean(loss_0 + loss_1)


def categorical_focal(gt, pr):
    pr = clip(pr)
    return torch.mean(-gt * (ALPHA * torch.pow(1 - pr, GAMMA) * torch.log(pr)))


def sm_loss(name, gt, z, head, w):
    """The loss `name` of logits z; w is the class-weight tensor (ones if none)."""
    pr = head_probs(z, head)
    terms = {
        "bce": lambda: binary_crossentropy(gt, z, head),
        "cce": lambda: categorical_crossentropy(gt, pr, w),
        "dice": lambda: 1 - f_score(gt, pr, w),
        "jaccard": lambda: 1 - iou_score(gt, pr, w),
        "binary_focal": lambda: binary_focal(gt, pr),
        "categorical_focal": lambda: categorical_focal(gt, pr),
    }
    if name in terms:
        return terms[name]()
    first, second = name.split("_")
    return terms[first]() + terms[second]()


def metrics(gt, z, head):
    pr = (head_probs(z, head) > 0.5).double()
    ones = torch.ones(gt.shape[-1], dtype=torch.float64)
    return iou_score(gt, pr, ones).item(), f_score(gt, pr, ones).item()

# ------------------------------------------------------------------ data


def make_inputs(rng, head, c):
    z = rng.uniform(-6.0, 6.0, size=SHAPE + (c,))
    flat = z.reshape(-1)
    # a few saturated logits, both signs, at fixed spots
    for idx, v in ((3, 30.0), (11, -30.0), (17, 30.0), (26, -30.0), (flat.size - 2, 30.0)):
        flat[idx % flat.size] = v
    z = z.astype(np.float32)
    if head == "softmax":
        labels = rng.integers(0, c, size=SHAPE)
        t = np.eye(c, dtype=np.float32)[labels]
    else:
        t = (rng.uniform(size=SHAPE + (c,)) < 0.45).astype(np.float32)
    return z, t


def case_name(loss, head, c, weighted):
    return "%s_%s%d%s" % (loss, head, c, "_w" if weighted else "")


def finite_difference_check(name, loss, gt, z64, head, w, grad):
    h = 1e-5
    flat = z64.reshape(-1)
    worst = 0.0
    for i in range(flat.numel()):
        zp = flat.clone()
        zm = flat.clone()
        zp[i] += h
        zm[i] -= h
        lp = sm_loss(loss, gt, zp.reshape(z64.shape), head, w).item()
        lm = sm_loss(loss, gt, zm.reshape(z64.shape), head, w).item()
        fd = (lp - lm) / (2 * h)
        worst = max(worst, abs(fd - grad.reshape(-1)[i].item()))
    scale = max(1e-3, grad.abs().max().item())
    if worst > 1e-6 * scale + 1e-9:
        raise SystemExit("%s: finite differences disagree with autograd by %.3g" % (name, worst))


def bce_cross_check(gt, z64):
    """Sigmoid BCE from logits equals the clipped-probability form away from the clip."""
    mask = z64.abs() < 15
    p = clip(torch.sigmoid(z64))
    clipped = -(gt * torch.log(p) + (1 - gt) * torch.log(1 - p))
    logits = torch.nn.functional.binary_cross_entropy_with_logits(z64, gt, reduction="none")
    err = (clipped - logits)[mask].abs().max().item()
    if err > 1e-9:
        raise SystemExit("sigmoid BCE cross-check failed: %.3g" % err)


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(20240611)
    tensors = {}
    meta = {"generator": "tests/gen/gen_losses.py (torch %s, float64)" % torch.__version__}
    inputs = {}
    for head, c in HEADS:
        inputs[(head, c)] = make_inputs(rng, head, c)
    for loss in LOSS_IDS:
        for head, c in HEADS:
            for weighted in ((False, True) if loss in WEIGHTED else (False,)):
                name = case_name(loss, head, c, weighted)
                z32, t32 = inputs[(head, c)]
                z = torch.tensor(z32.astype(np.float64), requires_grad=True)
                gt = torch.tensor(t32.astype(np.float64))
                # the weights the C side sees: float32 values, used in float64
                w = torch.tensor(np.float32(WEIGHTS[c] if weighted else [1.0] * c)
                                 .astype(np.float64))
                value = sm_loss(loss, gt, z, head, w)
                (grad,) = torch.autograd.grad(value, z)
                if not (torch.isfinite(value) and torch.isfinite(grad).all()):
                    raise SystemExit("%s: non-finite reference" % name)
                finite_difference_check(name, loss, gt, z.detach(), head, w, grad)
                tensors[name + "/z"] = z32
                tensors[name + "/t"] = t32
                if weighted:
                    tensors[name + "/class_weights"] = np.float32(WEIGHTS[c])
                tensors[name + "/loss"] = np.float64([value.item()])
                tensors[name + "/grad"] = grad.numpy()
                meta[name] = json.dumps({"loss": loss, "loss_id": LOSS_IDS[loss], "head": head,
                                         "channels": c, "weighted": weighted,
                                         "class_weights": WEIGHTS[c] if weighted else None},
                                        separators=(",", ":"))
                print("%-28s loss %.9g  max|grad| %.4g" % (name, value.item(),
                                                           grad.abs().max().item()))
    bce_cross_check(torch.tensor(inputs[("sigmoid", 3)][1].astype(np.float64)),
                    torch.tensor(inputs[("sigmoid", 3)][0].astype(np.float64)))
    for head, c in HEADS:
        name = "metrics_%s%d" % (head, c)
        z32, t32 = inputs[(head, c)]
        iou, fs = metrics(torch.tensor(t32.astype(np.float64)),
                          torch.tensor(z32.astype(np.float64)), head)
        tensors[name + "/z"] = z32
        tensors[name + "/t"] = t32
        tensors[name + "/iou"] = np.float64([iou])
        tensors[name + "/fscore"] = np.float64([fs])
        meta[name] = json.dumps({"metrics": True, "head": head, "channels": c},
                                separators=(",", ":"))
        print("%-28s iou %.9g  fscore %.9g" % (name, iou, fs))
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    st_io.write(OUT_PATH, tensors, meta)
    print("wrote %s (%d tensors, %d cases)" % (OUT_PATH, len(tensors), len(meta) - 1))


if __name__ == "__main__":
    main()
