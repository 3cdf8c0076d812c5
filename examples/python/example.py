"""A tour of the Python binding (examples/python/unetseg.py).

Run from anywhere after `make`:  python3 examples/python/example.py
(set UNETSEG_LIBRARY to use another libunetseg.so). Takes a few seconds.

Builds Unet('resnet18') for 64x64 RGB, shows a matcher that selects nothing
(the error suggests real names), inserts Monte-Carlo ConditionalDropout after
the decoder's convolution blocks, trains three steps on a synthetic batch and
runs MC-dropout prediction.
"""
import os
import sys
import time

try:
    import numpy as np
except ImportError:  # a pyenv python without numpy: use Debian's python3
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unetseg  # noqa: E402


def synthetic_batch(n=2, size=64, seed=0):
    """Images with a bright disc on noise; the mask is the disc."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    images = rng.uniform(0, 60, (n, size, size, 3)).astype(np.float32)
    masks = np.zeros((n, size, size, 1), np.float32)
    for i in range(n):
        cy, cx, r = rng.integers(16, size - 16, 2).tolist() + [int(rng.integers(6, 14))]
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        images[i][disc] += 150.0
        masks[i, ..., 0] = disc
    return images, masks


def main():
    t0 = time.perf_counter()
    print("unetseg %s (ABI %d) from %s" % (unetseg.version(), unetseg.ABI_VERSION,
                                          unetseg.library_path))
    with unetseg.Model.unet(backbone="resnet18", input_shape=(64, 64, 3), seed=1) as model:
        total, trainable, frozen = model.param_totals()
        print("Unet('resnet18') 64x64x3: %d layers, %d parameters (%d trainable)"
              % (len(model), total, trainable))

        # A matcher that selects nothing: the error names real layers.
        try:
            model.match("block")
        except unetseg.NoMatchError as exc:
            print("match('block') -> %s (status %d)\n  %s" % (type(exc).__name__, exc.status,
                                                            exc.message))
            print("  suggestions:", ", ".join(exc.suggestions))

        # Dry run, then insertion: ConditionalDropout (active in MC mode) after
        # the ReLU that closes each decoder conv block.
        expr = "glob:decoder_stage*_relu"
        targets = model.match(expr)
        print("match(%r) -> %d layers: %s ... %s" % (expr, len(targets), targets[0], targets[-1]))
        n = model.insert_dropout(expr, kind="conditional", rate=0.2, mode="training",
                                 spatial=True, suffix="_mcdrop")
        info = model.layer_info(targets[0] + "_mcdrop")
        print("inserted %d ConditionalDropout layers, e.g. %s: kind=%s region=%s inbound=%s "
              "output=%s" % (n, info.name, info.kind, info.region, info.inbound,
                             info.output_shape))

        images, masks = synthetic_batch()
        with unetseg.Trainer(model, loss="bce_dice", optimizer="adam", lr=1e-3, seed=7) as trainer:
            for _ in range(3):
                loss = trainer.step(images, masks)
                steps, lr = trainer.progress
                print("step %d: loss %.4f (next lr %.1e)" % (steps, loss, lr))
            # Inference mode uses BatchNorm's moving statistics, which barely
            # move in 3 steps (momentum 0.99): expect poor numbers here.
            loss, iou, f = trainer.evaluate(images, masks)
            print("evaluate (inference mode, untrained BN statistics): loss %.4f  iou %.4f  "
                  "fscore %.4f" % (loss, iou, f))

        prob = model.forward(images)
        print("forward: %s %s, mean probability %.4f; the array views library memory: %s"
              % (prob.shape, prob.dtype, float(prob.mean()),
                 type(prob.base).__name__))

        mean, std, entropy = model.predict_mc(images, samples=8, seed=3)
        print("predict_mc(8 samples): mean %s, std %s, entropy %s"
              % (mean.shape, std.shape, entropy.shape))
        print("  mean prob %.4f, mean std %.5f, max std %.5f, mean entropy %.4f nats"
              % (float(mean.mean()), float(std.mean()), float(std.max()),
                 float(entropy.mean())))
    print("live handles after the with-blocks (tensors still viewed by arrays):",
          unetseg.live_handles())
    print("done in %.1f s" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
