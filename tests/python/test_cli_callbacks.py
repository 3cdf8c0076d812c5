"""`unetseg train`'s validation modes, callbacks, schedules and logs (issue 15):
--val-bn, --monitor, --early-stopping/--min-delta, --save-best,
--reduce-lr-on-plateau, --schedule, --csv, --plot, and resuming them from a
checkpoint. Unet('resnet18') at 64x64 on 8 samples: a few seconds a run."""
import csv
import io
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

from cli_helpers import CLI, check, need_numpy, run

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402

N, SIZE = 8, 64
# --no-shuffle --val-split 0.25: samples 0..5 train (3 steps of 2 per epoch), 6 and 7 validate
BASE = ["--backbone", "resnet18", "--batch", "2", "--val-split", "0.25", "--no-shuffle", "--seed", "3",
        "--threads", "1"]
PER_EPOCH = 3


def dataset(path, classes=1):
    """Bright squares (class 1) and, with 3 classes, dark-red discs (class 2)
    on a noisy background."""
    rng = np.random.default_rng(7)
    images = rng.uniform(0, 60, (N, SIZE, SIZE, 3)).astype(np.float32)
    label = np.zeros((N, SIZE, SIZE), np.int64)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    for i in range(N):
        y, x = rng.integers(2, SIZE - 24, 2)
        images[i, y:y + 20, x:x + 20] += 150
        label[i, y:y + 20, x:x + 20] = 1
        if classes > 2:
            cy, cx = rng.integers(10, SIZE - 10, 2)
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 < 64
            images[i][disc] = [120, 10, 10]
            label[i][disc] = 2
    masks = (label[..., None] == 1).astype(np.float32) if classes == 1 else \
        np.eye(classes, dtype=np.float32)[label]
    st_io.write(path, {"images": images, "masks": masks})
    return images, masks


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def same_weights(a, b):
    ta, _ = st_io.read(a)
    tb, _ = st_io.read(b)
    return ta.keys() == tb.keys() and all(np.array_equal(ta[k], tb[k]) for k in ta)


def iou_of(prob, masks):
    """sm IOUScore(threshold=0.5), per_image=False, mean over classes."""
    pr = (prob > 0.5).astype(np.float64)
    t = masks.astype(np.float64)
    axes = tuple(range(t.ndim - 1))
    tp = (pr * t).sum(axes)
    return float(np.mean((tp + 1e-5) / (t.sum(axes) + pr.sum(axes) - tp + 1e-5)))


def epoch_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("epoch ") and "IoU" in l]


def check_validation_modes(tmp, data, images, masks):
    """The last epoch's val IoU is what `unetseg predict` gets on the held-out
    images with the saved model, in every --val-bn mode; --val-bn changes
    nothing in the trained weights."""
    held = os.path.join(tmp, "held.st")
    st_io.write(held, {"input": images[6:8]})
    saved = {}
    for mode in ("moving", "recalibrate", "batch"):
        w, log, out = (os.path.join(tmp, f"{mode}.{e}") for e in ("st", "csv", "out.st"))
        r = run("train", "--data", data, *BASE, "--epochs", "2", "--save", w, "--csv", log,
                *(["--val-bn", mode] if mode else []))
        lines = epoch_lines(r.stderr)
        word = {"moving": "moving", "recalibrate": "recalibrated", "batch": "batch"}[mode]
        check(r.returncode == 0 and len(lines) == 2 and all(f"[bn {word}]" in l for l in lines),
              f"--val-bn {mode}: the epoch lines say [bn {word}]")
        last = rows(log)[-1]
        m = re.search(r"IoU ([\d.]+)", lines[-1]) if lines else None
        check(m is not None and abs(float(m.group(1)) - float(last["val_iou"])) < 6e-5,
              f"--val-bn {mode}: the CSV's val_iou is the epoch line's")
        p = run("predict", "--weights", w, "--input", held, "--output", out)
        prob, _ = st_io.read(out) if p.returncode == 0 else ({"output": None}, None)
        got = iou_of(prob["output"], masks[6:8]) if p.returncode == 0 else -1
        if mode != "batch":  # batch statistics are not the saved model's
            check(abs(got - float(last["val_iou"])) < 1e-9,
                  f"--val-bn {mode}: last val IoU {float(last['val_iou']):.6f} == predict's "
                  f"{got:.6f} on the held-out images")
        saved[mode] = st_io.read(w)[0]
    trained = [k for k in saved["moving"] if not k.endswith(("moving_mean", "moving_variance"))]
    check(all(np.array_equal(saved["moving"][k], saved[m][k]) for m in ("recalibrate", "batch") for k in trained),
          "--val-bn never changes the trained weights")
    check(all(np.array_equal(saved["moving"][k], saved["batch"][k]) for k in saved["moving"]),
          "--val-bn batch leaves the moving statistics as --val-bn moving does")
    check(any(not np.array_equal(saved["moving"][k], saved["recalibrate"][k]) for k in saved["moving"]),
          "--val-bn recalibrate keeps the recalibrated statistics (the saved model is the validated one)")


def check_default_mode(tmp, data):
    """--val-bn's default follows the global step the run ends at: a
    checkpoint moved to step 2998 or 2999 and resumed for one step ends
    before step 3000 (recalibrate) or at it (moving)."""
    ckpt = os.path.join(tmp, "one.ckpt")
    r = run("train", "--data", data, *BASE, "--steps", "1", "--checkpoint", ckpt)
    tensors, meta = st_io.read(ckpt)
    check(r.returncode == 0 and meta.get("unetseg.optimizer.step") == "1", "a checkpoint at step 1")
    os.remove(ckpt + ".state")  # the state of step 1 would not match the moved step
    for step, word in ((2998, "recalibrate"), (2999, "moving")):
        moved = os.path.join(tmp, f"moved{step}.ckpt")
        st_io.write(moved, tensors, dict(meta, **{"unetseg.optimizer.step": str(step)}))
        r = run("train", "--data", data, *BASE, "--steps", "1", "--resume", moved, "--weights", moved)
        check(r.returncode == 0 and f"--val-bn {word} (the default for runs" in r.stderr
              and "the history and callbacks start afresh" in r.stderr,
              f"resumed at step {step} for 1 step: --val-bn {word} by default")
    with open(ckpt + ".state", "w") as f:
        f.write("unetseg-train-state 1\nstep 7\n")
    r = run("train", "--data", data, *BASE, "--steps", "1", "--resume", ckpt, "--weights", ckpt)
    check(r.returncode == 1 and ".state" in r.stderr and "epoch " not in r.stderr,
          "a state file that does not belong to the checkpoint is refused before training")


def keras_early_stopping(values, patience, delta, mode):
    """tf.keras 2 EarlyStopping: the epoch (1-based) it stops after, or None,
    and the best epoch."""
    best, best_epoch, wait = (math.inf if mode == "min" else -math.inf), None, 0
    for epoch, v in enumerate(values):
        wait += 1
        better = v + delta < best if mode == "min" else v - delta > best
        if better:
            best, best_epoch, wait = v, epoch + 1, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch
    return None, best_epoch


def check_callbacks(tmp, data):
    common = ["--data", data, *BASE, "--lr", "0.03"]
    # a run without callbacks: the values the callbacks will see
    ref = os.path.join(tmp, "ref.csv")
    r = run("train", *common, "--epochs", "6", "--csv", ref)
    ious = [float(x["val_iou"]) for x in rows(ref)]
    losses = [float(x["val_loss"]) for x in rows(ref)]
    check(r.returncode == 0 and len(ious) == 6, "6 epochs logged")
    check("--val-bn recalibrate (the default for runs that end before step 3000)" in r.stderr
          and "[bn recalibrated]" in r.stderr, "the default --val-bn is said, with why")
    after = {}  # epochs -> the saved weights of a run of that many epochs

    def weights_after(epochs):
        if epochs not in after:
            after[epochs] = os.path.join(tmp, f"after{epochs}.st")
            run("train", *common, "--epochs", str(epochs), "--save", after[epochs])
        return after[epochs]

    # early stopping with a min_delta no epoch can beat: stops after 1 + patience epochs
    w, best = os.path.join(tmp, "es.st"), os.path.join(tmp, "es_best.st")
    log = os.path.join(tmp, "es.csv")
    r = run("train", *common, "--epochs", "8", "--early-stopping", "2", "--min-delta", "1e9",
            "--csv", log, "--save", w)
    check(r.returncode == 0 and len(rows(log)) == 3 and "epoch 3: early stopping" in r.stderr,
          f"--early-stopping 2 --min-delta 1e9 stops after epoch 3 ({len(rows(log))} rows)")
    check("restored the weights of epoch 1" in r.stderr and same_weights(w, weights_after(1)),
          "the restored weights are epoch 1's (== a 1-epoch run's saved model)")

    # on the real curve: where Keras' rule stops, the best epoch's weights, and
    # --save-best's file (strict improvement, no min_delta)
    stopped = 0
    for patience, delta, monitor in ((1, 0.01, "val_iou"), (2, 0.008, "val_loss")):
        values, mode = (ious, "max") if monitor == "val_iou" else (losses, "min")
        stop, best_epoch = keras_early_stopping(values, patience, delta, mode)
        stopped += stop is not None
        r = run("train", *common, "--epochs", "6", "--early-stopping", str(patience), "--min-delta", str(delta),
                "--monitor", monitor, "--csv", log, "--save", w, "--save-best", best)
        n_rows = len(rows(log))
        check(r.returncode == 0 and n_rows == (stop or 6) and [x["val_iou"] for x in rows(log)] ==
              [x["val_iou"] for x in rows(ref)][:n_rows],
              f"--early-stopping {patience} --min-delta {delta} --monitor {monitor}: {n_rows} epochs, "
              f"Keras' rule on the logged values says {stop or 6}")
        if stop:
            check(same_weights(w, weights_after(best_epoch)),
                  f"  and the weights are those of its best epoch {best_epoch}")
        seen = values[:n_rows]
        epoch = seen.index(max(seen) if mode == "max" else min(seen)) + 1
        saves = re.findall(r"epoch (\d+): %s improved" % monitor, r.stderr)
        check(same_weights(best, weights_after(epoch)) and saves and int(saves[-1]) == epoch,
              f"  --save-best wrote the weights of epoch {epoch} (saved at epochs {saves})")
    check(stopped == 2, f"both runs on the real curve stop early ({stopped})")

    # schedules and ReduceLROnPlateau: the CSV's lr column by hand
    lr = 0.002
    r = run("train", *common, "--epochs", "4", "--lr", str(lr), "--schedule", "step:2:0.5", "--csv", log)
    want = [lr * 0.5 ** ((PER_EPOCH * e) // 2) for e in range(4)]
    got = [float(x["lr"]) for x in rows(log)]
    check(r.returncode == 0 and all(abs(g - w_) <= 1e-15 * w_ for g, w_ in zip(got, want)) and len(got) == 4,
          f"--schedule step:2:0.5: lr per epoch {got} == {want}")
    r = run("train", *common, "--epochs", "4", "--lr", str(lr), "--schedule", "cosine:7:0.0001", "--csv", log)
    want = [1e-4 + (lr - 1e-4) * 0.5 * (1 + math.cos(math.pi * min(PER_EPOCH * e, 7) / 7)) for e in range(4)]
    got = [float(x["lr"]) for x in rows(log)]
    check(r.returncode == 0 and all(abs(g - w_) <= 1e-12 * w_ for g, w_ in zip(got, want)) and len(got) == 4,
          f"--schedule cosine:7:0.0001: lr per epoch == {['%.6g' % x for x in want]}")
    r = run("train", *common, "--epochs", "4", "--lr", str(lr), "--schedule", "step:4:0.5",
            "--reduce-lr-on-plateau", "0.5:1", "--min-delta", "1e9", "--csv", log)
    # epoch 1 improves on inf; epochs 2 and 3 do not: the base rate halves after each
    base = [lr, lr, lr / 2, lr / 4]
    want = [b * 0.5 ** ((PER_EPOCH * e) // 4) for e, b in enumerate(base)]
    got = [float(x["lr"]) for x in rows(log)]
    check(r.returncode == 0 and all(abs(g - w_) <= 1e-15 * w_ for g, w_ in zip(got, want)) and len(got) == 4
          and r.stderr.count("ReduceLROnPlateau") == 3,
          f"--reduce-lr-on-plateau 0.5:1 on --schedule step:4:0.5: lr {got} == {want}")


def check_resume(tmp, data):
    """A run cut by a checkpoint (at an epoch's end, and inside an epoch) and
    resumed logs the same rows (seconds aside), stops at the same epoch and
    ends with the same weights as a straight run."""
    # --min-delta 0.5: no epoch after the first counts as an improvement, so
    # the run stops at epoch 3 whatever the curve (a smaller delta made the
    # stop depend on the last bits of every convolution path)
    cbs = ["--monitor", "val_iou", "--early-stopping", "2", "--min-delta", "0.5",
           "--reduce-lr-on-plateau", "0.5:1", "--schedule", "step:5:0.7", "--lr", "0.03"]
    common = ["--data", data, *BASE, *cbs]
    straight, sbest, sw = (os.path.join(tmp, n) for n in ("s.csv", "s_best.st", "s.st"))
    r = run("train", *common, "--epochs", "7", "--csv", straight, "--save-best", sbest, "--save", sw)
    n_straight = len(rows(straight))
    check(r.returncode == 0 and "early stopping: restored" in r.stderr and "ReduceLROnPlateau" in r.stderr
          and n_straight == 3, f"straight run with every callback: stops after {n_straight} epochs, lowered the rate")
    strip = lambda rs: [{k: v for k, v in x.items() if k != "seconds"} for x in rs]  # noqa: E731
    for cut in (2 * PER_EPOCH, 2 * PER_EPOCH + 1):
        ckpt, log, best, w = (os.path.join(tmp, f"{cut}.{e}") for e in ("ckpt", "csv", "best.st", "w.st"))
        a = run("train", *common, "--steps", str(cut), "--checkpoint", ckpt, "--csv", log, "--save-best", best)
        b = run("train", *common, "--steps", str(7 * PER_EPOCH - cut), "--resume", ckpt, "--weights", ckpt,
                "--csv", log, "--save-best", best, "--save", w)
        check(a.returncode == 0 and b.returncode == 0 and os.path.exists(ckpt + ".state")
              and strip(rows(log)) == strip(rows(straight)),
              f"checkpoint at step {cut} + resume: the same {len(rows(log))} CSV rows as the straight run")
        check(same_weights(w, sw) and same_weights(best, sbest),
              f"  and the same final (restored) and best weights")


def check_classes_and_plot(tmp):
    data = os.path.join(tmp, "d3.st")
    dataset(data, classes=3)
    log, plot = os.path.join(tmp, "c3.csv"), os.path.join(tmp, "sub", "curves.png")
    r = run("train", "--data", data, *BASE, "--epochs", "2", "--csv", log, "--plot", plot,
            "--activation", "softmax", "--loss", "cce_dice")
    with open(log) as f:
        header = f.readline().strip()
    check(header == "epoch,lr,loss,val_loss,val_iou,val_f1,val_iou_0,val_iou_1,val_iou_2,seconds",
          f"3 classes: the CSV header has the per-class IoUs ({header})")
    last = rows(log)[-1] if r.returncode == 0 else {}
    mean = sum(float(last.get(f"val_iou_{k}", "nan")) for k in range(3)) / 3
    check(abs(mean - float(last.get("val_iou", "nan"))) < 1e-6,
          f"the per-class IoUs average to val_iou ({mean:.6f})")
    try:
        with open(plot, "rb") as f:
            head = f.read(24)
        size = struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None
    except OSError:
        size = None
    check(size == (720, 260), f"--plot writes a 720x260 PNG (in a new directory): {size}")


def check_written_as_it_goes(tmp, data):
    """--csv and --plot are rewritten after every epoch: a reader polling
    them while training runs sees the rows arrive one by one."""
    log, plot = os.path.join(tmp, "live.csv"), os.path.join(tmp, "live.png")
    p = subprocess.Popen([CLI, "train", "--data", data, *BASE, "--epochs", "4", "--csv", log, "--plot", plot],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = set()
    while p.poll() is None:
        try:
            with open(log) as f:
                seen.add(len(f.read().splitlines()) - 1)
        except OSError:
            pass
        time.sleep(0.01)
    with open(log) as f:
        seen.add(len(f.read().splitlines()) - 1)
    check(p.returncode == 0 and max(seen) == 4 and seen & {1, 2, 3} and os.path.exists(plot),
          f"the CSV grows while training runs (row counts seen: {sorted(seen)})")


def check_bad_values(tmp, data):
    bad = [("--val-bn", "sometimes"), ("--monitor", "val_acc"), ("--early-stopping", "-1"),
           ("--early-stopping", "two"), ("--min-delta", "-0.1"), ("--min-delta", "nan"),
           ("--reduce-lr-on-plateau", "1.5:2"), ("--reduce-lr-on-plateau", "0.5"),
           ("--reduce-lr-on-plateau", "0.5:x"), ("--reduce-lr-on-plateau", "0:2"),
           ("--schedule", "step:0:0.5"), ("--schedule", "step:2:1.5"), ("--schedule", "cosine:10:-1"),
           ("--schedule", "linear:1:1"), ("--schedule", "step:2"), ("--schedule", "cosine:1e3:0")]
    for opt, value in bad:
        extra = ["--early-stopping", "1"] if opt == "--min-delta" else []
        r = run("train", "--data", data, *extra, opt, value)
        check(r.returncode == 2 and opt in r.stderr and "epoch " not in r.stderr,
              f"{opt} {value}: exit 2 naming the option ({r.returncode}: {r.stderr.strip()[:70]})")
    r = run("train", "--data", data, "--min-delta", "0.1")
    check(r.returncode == 2 and "--min-delta" in r.stderr, "--min-delta alone is a usage error")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "d.st")
        images, masks = dataset(data)
        check_bad_values(tmp, data)
        check_validation_modes(tmp, data, images, masks)
        check_default_mode(tmp, data)
        check_callbacks(tmp, data)
        check_resume(tmp, data)
        check_classes_and_plot(tmp)
        check_written_as_it_goes(tmp, data)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
