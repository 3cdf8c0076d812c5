"""`unetseg train` under mpirun (issue 13 item 4, docs/SCALING.md): 2 ranks x
batch 2 with --sync-bn train as 1 process x batch 4 (weights, BatchNorm moving
statistics, loss); without --sync-bn they do not (the comparison is not
vacuous); rank 0 alone reports and writes; --resume continues a 2-rank run
exactly; a rank that fails or is killed ends the job with an error instead
of leaving the others waiting; with --no-shuffle and --cache uint8 each
rank decodes and holds only the samples it reads (the same weights as
streaming). Skipped, with the reason, when Open MPI's
mpirun is missing or bin/unetseg was built without MPI (make MPI=0).
Unet('resnet18') at 64x64 on 8 samples, one thread per rank."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from cli_helpers import CLI, check, need_numpy

need_numpy()
import numpy as np  # noqa: E402

import st_io  # noqa: E402

N, SIZE = 8, 64
BASE = ["--backbone", "resnet18", "--no-shuffle", "--seed", "3", "--threads", "1", "--optimizer", "sgd",
        "--lr", "0.01", "--val-bn", "moving"]
# run as root in CI containers; shared memory without ptrace (single-copy off)
MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"]
TIMEOUT = 120


def skip_reason():
    if shutil.which("mpirun") is None:
        return "mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev, then make MPI=1)"
    libs = subprocess.run(["ldd", CLI], capture_output=True, text=True).stdout
    if "libmpi" not in libs:
        return f"{CLI} was built without MPI (make MPI=1 with libopenmpi-dev installed)"
    return None


def dataset(path):
    rng = np.random.default_rng(7)
    images = rng.uniform(0, 1, (N, SIZE, SIZE, 3)).astype(np.float32)
    masks = np.zeros((N, SIZE, SIZE, 1), np.float32)
    for i in range(N):
        y, x = rng.integers(2, SIZE - 24, 2)
        images[i, y:y + 20, x:x + 20] += 1.5
        masks[i, y:y + 20, x:x + 20] = 1
    st_io.write(path, {"images": images, "masks": masks})


def single(*args):
    return subprocess.run([CLI, "train", *args], capture_output=True, text=True, timeout=TIMEOUT)


def ranks(*args, command=None):
    """mpirun -np 2 bin/unetseg train ARGS (or COMMAND), bounded in time."""
    cmd = MPIRUN + (command or [CLI, "train", *args])
    return subprocess.run(["timeout", "-k", "5", str(TIMEOUT), *cmd], capture_output=True, text=True,
                          env=MPI_ENV, timeout=TIMEOUT + 30)


def differences(a, b):
    ta, _ = st_io.read(a)
    tb, _ = st_io.read(b)
    assert ta.keys() == tb.keys()
    diff = max(float(np.abs(ta[k] - tb[k]).max()) for k in ta)
    stats = max(float(np.abs(ta[k] - tb[k]).max()) for k in ta if "/moving_" in k)
    scale = max(float(np.abs(ta[k]).max()) for k in ta)
    return diff, stats, scale


def loss_column(path):
    with open(path) as f:
        rows = f.read().splitlines()
    return float(rows[1].split(",")[2])


def check_sync_bn(tmp, data):
    one, two, loose = (os.path.join(tmp, n) for n in ("one.st", "two.st", "loose.st"))
    r1 = single("--data", data, *BASE, "--steps", "3", "--batch", "4", "--save", one,
                "--csv", one + ".csv")
    r2 = ranks("--data", data, *BASE, "--steps", "3", "--batch", "2", "--sync-bn", "--save", two,
               "--csv", two + ".csv")
    r3 = ranks("--data", data, *BASE, "--steps", "3", "--batch", "2", "--save", loose)
    if not check(r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0,
                 f"1 x batch 4 and 2 ranks x batch 2 train ({r1.returncode}, {r2.returncode}, "
                 f"{r3.returncode}: {(r2.stderr + r3.stderr).strip()[-300:]})"):
        return
    diff, stats, scale = differences(one, two)
    check(scale > 0.5 and diff <= 5e-4 * scale,
          f"--sync-bn: 2 x 2 == 1 x 4 after 3 steps, weights and moving statistics (max diff {diff:.2g}, "
          f"statistics {stats:.2g}, largest value {scale:.3g})")
    l1, l2 = loss_column(one + ".csv"), loss_column(two + ".csv")
    check(abs(l1 - l2) <= 1e-5 * abs(l1), f"--sync-bn: the same epoch loss ({l1:.9f}, {l2:.9f})")
    ldiff, lstats, _ = differences(one, loose)
    check(lstats > 20 * max(stats, 1e-6) and ldiff > 20 * max(diff, 1e-6),
          f"without --sync-bn the ranks' statistics differ from 1 x 4 ({ldiff:.2g}, statistics {lstats:.2g})")
    check(r2.stderr.count("epoch 1 ") == 1 and "2 MPI ranks" in r2.stderr,
          "rank 0 alone reports (one epoch line for two ranks)")


def csv_row(path):
    with open(path) as f:
        head, row = f.read().splitlines()[:2]
    return dict(zip(head.split(","), map(float, row.split(","))))


def check_validation(tmp, data):
    """The validation batches are shared out over the ranks and summed: with
    (almost) unchanged weights, 2 ranks report 1 process's validation loss
    (4 held-out samples: one batch of 4 alone, a batch of 2 on each rank;
    the IoU is a per-batch ratio, so it depends on the batch size)."""
    one, two = os.path.join(tmp, "v1.csv"), os.path.join(tmp, "v2.csv")
    common = ["--data", data, *BASE, "--lr", "1e-9", "--steps", "1", "--val-split", "0.5", "--sync-bn"]
    r1 = single(*common, "--batch", "4", "--csv", one)
    r2 = ranks(*common, "--batch", "2", "--csv", two)
    if not check(r1.returncode == 0 and r2.returncode == 0,
                 f"validation runs ({r1.returncode}, {r2.returncode}: {r2.stderr.strip()[-300:]})"):
        return
    a, b = csv_row(one), csv_row(two)
    check(all(abs(a[k] - b[k]) <= 1e-5 * abs(a[k]) for k in ("loss", "val_loss")),
          f"2 ranks validate as 1 process (loss {a['loss']:.9f} / {b['loss']:.9f}, "
          f"val_loss {a['val_loss']:.9f} / {b['val_loss']:.9f})")


def check_resume(tmp, data):
    straight, ckpt, resumed = (os.path.join(tmp, n) for n in ("straight.st", "ckpt.st", "resumed.st"))
    common = ["--data", data, *BASE, "--batch", "2", "--sync-bn"]
    ra = ranks(*common, "--steps", "3", "--save", straight)
    rb = ranks(*common, "--steps", "2", "--checkpoint", ckpt)
    rc = ranks(*common, "--steps", "1", "--resume", ckpt, "--save", resumed)
    if not check(ra.returncode == 0 and rb.returncode == 0 and rc.returncode == 0,
                 f"2 ranks: 3 steps, or 2 then --resume 1 ({ra.returncode}, {rb.returncode}, "
                 f"{rc.returncode}: {rc.stderr.strip()[-300:]})"):
        return
    diff, _, _ = differences(straight, resumed)
    check(diff == 0.0, f"--resume across 2 ranks continues exactly (max diff {diff:.2g})")


def check_dead_rank(tmp, data):
    """Rank 1 fails (a data file only it reads is missing), or is killed by
    SIGKILL mid-run; rank 0 alone would train for 1000 steps."""
    args = ["--data", data, *BASE, "--batch", "2", "--steps", "1000"]
    missing = os.path.join(tmp, "missing.st")
    script = ('if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$0" train --data "$1" --steps 1000; '
              'else shift; exec "$0" train "$@"; fi')
    start = time.monotonic()
    r = ranks(command=["sh", "-c", script, CLI, missing, *args])
    took = time.monotonic() - start
    check(r.returncode not in (0, 124, 137) and took < TIMEOUT and "rank 1 of 2 failed" in r.stderr,
          f"a rank that fails aborts the job with an error ({r.returncode} after {took:.0f} s: "
          f"{r.stderr.strip()[-200:]})")
    killer = ('if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then (sleep 4; kill -9 $$) & fi; exec "$0" train "$@"')
    start = time.monotonic()
    r = ranks(command=["sh", "-c", killer, CLI, *args])
    took = time.monotonic() - start
    # mpirun passes the killed rank's status on (137); a hang would be cut at TIMEOUT
    check(r.returncode != 0 and took < TIMEOUT - 10,
          f"a rank killed mid-run ends the job with an error, no hang ({r.returncode} after {took:.0f} s)")


def check_rank_cache(tmp):
    """--no-shuffle --cache uint8 under 2 ranks: 12 images, --val-split 0.25
    (9 training, 3 held out), global batch 4. Training batches [0,4) and
    [4,8), rank 0 taking [0,2) and [4,6), rank 1 [2,4) and [6,8); sample 8
    (a last batch of 1 < 2 ranks) is never trained; validation batches of 2
    dealt out: [9,11) to rank 0, [11,12) to rank 1. So rank 0 holds 6 images
    and nobody reads 0008.png: corrupt, it stops a run only when every rank
    decodes everything (with shuffling)."""
    data, out = os.path.join(tmp, "folder"), os.path.join(tmp, "cache_")
    r = subprocess.run([CLI, "demo-data", "--output", data, "--count", "12", "--size", "32", "--seed", "4"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 0, "demo-data 12 images")
    common = ["--data", data, *BASE, "--batch", "2", "--val-split", "0.25", "--epochs", "2"]
    runs = {name: ranks(*common, "--cache", cache, "--save", out + name + ".st")
            for name, cache in (("uint8", "uint8"), ("none", "none"))}
    if not check(all(r.returncode == 0 for r in runs.values()),
                 f"2 ranks, --no-shuffle, --cache uint8 and none: {runs['uint8'].stderr.strip()[-300:]}"):
        return
    check("data: rank 0 holds the 6 of 12 images it reads" in runs["uint8"].stderr,
          "--cache uint8: rank 0 decodes and holds its 6 images of 12: " + runs["uint8"].stderr.strip()[:300])
    check(read(out + "uint8.st") == read(out + "none.st"),
          "the rank-only cache trains the weights streaming does, byte for byte")
    # --val-bn recalibrate also reads the 9 training samples (0008.png too) on every rank
    r = ranks(*common, "--val-bn", "recalibrate", "--cache", "uint8", "--save", out + "recal.st")
    check(r.returncode == 0 and "data: rank 0 holds the 11 of 12 images it reads" in r.stderr,
          f"--val-bn recalibrate: rank 0 holds the recalibration samples too, 11 of 12 "
          f"({r.returncode}: {r.stderr.strip()[-300:]})")
    with open(os.path.join(data, "images", "0008.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"never read" * 3)
    r = ranks(*common, "--cache", "uint8", "--save", out + "corrupt.st")
    check(r.returncode == 0 and read(out + "corrupt.st") == read(out + "uint8.st"),
          f"no rank decodes 0008.png, which neither reads: the run and its weights unchanged "
          f"({r.returncode}: {r.stderr.strip()[-200:]})")
    shuffled = [a for a in common if a != "--no-shuffle"]
    r = ranks(*shuffled, "--cache", "uint8", "--save", out + "shuffled.st")
    check(r.returncode != 0 and "0008.png" in r.stderr and not os.path.exists(out + "shuffled.st"),
          f"with shuffling every rank decodes every image: 0008.png stops the run ({r.returncode})")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    reason = skip_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "d.st")
        dataset(data)
        check_sync_bn(tmp, data)
        check_validation(tmp, data)
        check_resume(tmp, data)
        check_dead_rank(tmp, data)
        check_rank_cache(tmp)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
