"""`make bench`: unetseg, PyTorch and ONNX Runtime on the same network, side by side.

All engines run Unet('resnet34') with the same weights (build/bench/
weights.safetensors: Keras initialisation, BatchNorm statistics recalibrated
on synthetic 0..255 images; bench/make_bench_weights.py) on the same input
(build/bench/input_b{B}_{S}.safetensors). Before a batch/size is timed, one
forward pass of every engine and variant is compared with unetseg's output;
a max abs difference above 1e-3 of max|output| fails the case (no timing).

Each measurement is one process (peak RSS is that case's), median of REPEAT
runs after a warm-up, for 1 and 2 threads. ROUNDS interleaved rounds of the
engines (unetseg, the PyTorch variants, ONNX Runtime, then again); the table
shows each engine's median over the rounds, and a second table each engine's
fastest pass over all its rounds (the host's spells only add time, and they
change within seconds: a median can land in one for one engine and not the
other). PyTorch: eager channels_last,
eager NCHW, and for forward torch.jit.trace + torch.jit.freeze (NCHW) and the
same + torch.jit.optimize_for_inference; "best" is the fastest of them. ONNX
Runtime (onnxruntime-node on the torch.onnx export) for forward only. On an
AVX-512 machine, forward b1 256x256 also runs unetseg with UNETSEG_ISA=avx2
(its AVX2 kernels), and on every machine with its Winograd kernel cache at
256 MiB and off besides the default 48 MiB (unetseg_model_set_kernel_cache_limit:
the memory-for-speed trade), compared with the same PyTorch and ORT runs.
The scaling goals (two threads against one at batch 4 and 512x512, 512x512
against 256x256) are measured apart, from unetseg processes run in pairs back
to back (scaling_rows), each pair after a reading of what the machine itself
gives two threads against one at that moment (bench/bench_machine.c: DRAM
read bandwidth and multiply-add rate), also taken at the start and the end.

Environment: BENCH_REPEAT (5), BENCH_ROUNDS (3), BENCH_PAIRS (7, the scaling
pairs), BENCH_CASES (comma list of case keys:
fwd-b1-256,fwd-b4-256,fwd-b1-512,mc-b1-256,train-b4-256 by default; any
MODE-bB-S works, e.g. fwd-b1-64), BENCH_THREADS (1,2),
BENCH_TORCH_VARIANTS (comma list, to restrict), BENCH_RESULTS (the file to
write; by default bench/RESULTS.md for the full default run, else
build/bench/RESULTS.partial.md). The run rewrites only its own machine's
section (CPU model, family/model, ISA) of that file.

BENCH_EMULATE_AVX2=1 (`make bench-avx2`): an AVX2-only CPU, emulated on an
AVX-512 one for the goals that need one: every engine capped to AVX2 + FMA
(unetseg by UNETSEG_ISA=avx2; PyTorch by DNNL_MAX_CPU_ISA=AVX2 for oneDNN
and ATEN_CPU_CAPABILITY=avx2 for ATen's own kernels); ONNX Runtime is not
run (MLAS picks its kernels from CPUID and has no switch to cap them). The
results get a section of their own ("..., emulated AVX2-only"). The core,
its caches and memory are the AVX-512 machine's, not those of any real
AVX2-only CPU.
"""
import ctypes
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
UNETSEG = os.path.join(BENCH, "bench_unetseg")
MACHINE = os.path.join(BENCH, "bench_machine")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TORCH = [PY, os.path.join(ROOT, "bench", "torch_unet.py")]
GEN = [PY, os.path.join(ROOT, "bench", "make_bench_weights.py")]
ORT = ["node", os.path.join(ROOT, "bench", "ort_unet.js")]
WEIGHTS = os.path.join(BENCH, "weights.safetensors")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# Scaling pairs: more than rounds, as they are cheap (unetseg alone) and the
# host's spells come and go within seconds.
PAIRS = int(os.environ.get("BENCH_PAIRS", "7"))
THREADS = [int(t) for t in os.environ.get("BENCH_THREADS", "1,2").split(",")]
DEFAULT_CASES = "fwd-b1-256,fwd-b4-256,fwd-b1-512,mc-b1-256,train-b4-256"
CASE_KEYS = os.environ.get("BENCH_CASES", DEFAULT_CASES).split(",")
FULL_RUN = (CASE_KEYS == DEFAULT_CASES.split(",") and THREADS == [1, 2]
            and "BENCH_TORCH_VARIANTS" not in os.environ)
TOLERANCE = 1e-3  # max |a - b| / max |unetseg output|
# PyTorch variants per mode (bench/torch_unet.py); channels_last always runs.
# frozen_cl (jit-frozen channels_last) is left out by default: on the AVX-512
# machine it was slower than frozen_opt at every size and thread count.
VARIANTS = {"fwd": ["channels_last", "nchw", "frozen", "frozen_opt"],
            "mc": ["channels_last", "nchw"], "train": ["channels_last", "nchw"]}
if os.environ.get("BENCH_TORCH_VARIANTS"):
    keep = os.environ["BENCH_TORCH_VARIANTS"].split(",")
    VARIANTS = {"fwd": [v for v in ("channels_last", "nchw", "frozen", "frozen_cl", "frozen_opt")
                        if v in keep or v == "channels_last"],
                "mc": [v for v in ("channels_last", "nchw") if v in keep or v == "channels_last"]}
    VARIANTS["train"] = VARIANTS["mc"]
EMULATE_AVX2 = os.environ.get("BENCH_EMULATE_AVX2") == "1"
TORCH_AVX2_ENV = {"DNNL_MAX_CPU_ISA": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
VARIANT_NAMES = {"channels_last": "eager channels_last", "nchw": "eager NCHW",
                 "frozen": "jit-frozen NCHW", "frozen_cl": "jit-frozen channels_last",
                 "frozen_opt": "jit-frozen + optimize_for_inference"}


def parse_case(key):
    m = re.fullmatch(r"(fwd|mc|train)-b(\d+)-(\d+)", key)
    if not m:
        sys.exit(f"bad case {key!r} in BENCH_CASES (MODE-bBATCH-SIZE, MODE fwd|mc|train)")
    mode, batch, size = m.group(1), int(m.group(2)), int(m.group(3))
    what = {"fwd": "forward", "mc": "MC T=10", "train": "train step"}[mode]
    label = f"{what} b{batch} {size}x{size}" + (" (per image)" if mode == "fwd" and batch > 1 else "")
    return {"key": key, "label": label, "mode": mode, "batch": batch, "size": size,
            "per": batch if mode == "fwd" else 1}


# ---------------------------------------------------------------- machine
def cpuinfo():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k and k not in info:
                    info[k] = v.strip()
    except OSError:
        pass
    flags = set(info.get("flags", "").split())
    return {"name": info.get("model name", platform.processor() or platform.machine()),
            "family": info.get("cpu family", "?"), "model": info.get("model", "?"),
            "isa": {f: f in flags for f in ("avx2", "fma", "avx512f")}}


def openblas_core():
    """openblas_get_corename() of the libopenblas.so.0 the engines load,
    under this environment (OPENBLAS_CORETYPE, if set, is left as it is)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        name = lib.openblas_get_corename().decode()
        try:
            lib.openblas_get_config.restype = ctypes.c_char_p
            name += f" ({lib.openblas_get_config().decode().strip()})"
        except AttributeError:
            pass
        return name
    except (OSError, AttributeError) as e:
        return f"unknown ({e})"


def engine_versions():
    v = {}
    r = subprocess.run(TORCH[:1] + ["-c", "import torch; print(torch.__version__, "
                                    "torch.backends.mkldnn.is_available())"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        ver, mkldnn = r.stdout.split()
        v["torch"] = f"PyTorch {ver}" + (" (oneDNN)" if mkldnn == "True" else "")
    try:
        with open(os.path.join(BENCH, "node_modules", "onnxruntime-node", "package.json")) as f:
            v["ort"] = "onnxruntime-node " + json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        pass
    if v.get("ort") and subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        del v["ort"]
    return v


def machine_key(cpu):
    isa = " ".join(f for f, on in cpu["isa"].items() if on) or "no avx2"
    if not cpu["isa"]["avx512f"]:
        isa += ", no avx512f"
    key = f"{cpu['name']} (family {cpu['family']}, model {cpu['model']}), {isa}"
    return key + ", emulated AVX2-only" if EMULATE_AVX2 else key


def engine_env(cmd):
    """What an engine's processes get in their environment: in an emulated
    AVX2-only run, the switches that cap its kernels to AVX2."""
    if not EMULATE_AVX2:
        return {}
    if cmd[0] == UNETSEG:
        return {"UNETSEG_ISA": "avx2"}
    return TORCH_AVX2_ENV if cmd[:2] == TORCH else {}


def engine_kernels(have_torch, have_ort):
    """The instruction set each engine's kernels use in this run's
    environment, as the engines report it."""
    r = subprocess.run([UNETSEG, "info"], capture_output=True, text=True,
                       env=dict(os.environ, **engine_env([UNETSEG])))
    m = re.search(r"^gemm kernels: (.*)$", r.stdout, re.M)
    out = [f"unetseg {m.group(1) if m else 'unknown'}"]
    if have_torch:
        r = subprocess.run(TORCH + ["isa"], capture_output=True, text=True,
                           env=dict(os.environ, DNNL_VERBOSE="1", ONEDNN_VERBOSE="1", **engine_env(TORCH)))
        dnnl = re.search(r"^onednn_verbose,info,cpu,isa:(.*)$", r.stdout, re.M)
        aten = re.search(r"aten_capability=(\w+)", r.stdout)
        out.append(f"PyTorch oneDNN {dnnl.group(1).strip() if dnnl else 'unknown'}, "
                   f"ATen {aten.group(1) if aten else 'unknown'}")
    if have_ort:
        out.append("ORT: MLAS, chosen from CPUID (it does not report it)")
    return out


def bench_env():
    return {k: v for k, v in sorted(os.environ.items())
            if k.startswith(("OPENBLAS_", "OMP_", "UNETSEG_"))}


# ---------------------------------------------------------------- runs
def run(cmd, threads, extra_env=None):
    """One measuring process; {key: float} of its `key=value` output, or None."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), **engine_env(cmd))
    env.update(extra_env or {})
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        print(f"  FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stderr.strip()[-2000:]}", flush=True)
        return None
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", r.stdout)}


def must(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{what} failed:\n{' '.join(cmd)}\n{r.stdout}{r.stderr}")
    if r.stdout.strip():
        print(r.stdout.strip(), flush=True)


def input_file(batch, size):
    return os.path.join(BENCH, f"input_b{batch}_{size}.safetensors")


def onnx_file(batch, size):
    return os.path.join(BENCH, f"unet_{batch}_{size}.onnx")


def prepare(cases, have_torch, have_ort):
    """Weights, inputs and ONNX files that are missing or stale."""
    if not have_torch:
        sys.exit("make bench needs PyTorch to write the shared weights: run `make bench-deps`")
    shapes = sorted({(c["batch"], c["size"]) for c in cases})
    must(GEN + ["--inputs", ",".join(f"{b}x{s}" for b, s in shapes)], "make_bench_weights.py")
    if have_ort:
        for b, s in shapes:
            path = onnx_file(b, s)
            if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(WEIGHTS):
                print(f"exporting {os.path.relpath(path, ROOT)}", flush=True)
                must(TORCH + ["export", str(b), str(s), f"weights={WEIGHTS}", f"out={path}"],
                     "torch.onnx.export")


def agreement(batch, size, engines):
    """Run one forward of each engine (name, cmd, env) and compare with the
    first one's output. Returns [(name, max_abs, rel)] and whether all pass."""
    outs, rows, ok = {}, [], True
    for name, cmd, env in engines:
        dump = os.path.join(BENCH, f"out_{batch}_{size}_{re.sub(r'[^a-z0-9]+', '_', name)}.f32")
        if os.path.exists(dump):
            os.remove(dump)
        if run(cmd + [f"dump={dump}"], 1, env) is None or not os.path.exists(dump):
            rows.append((name, float("nan"), float("nan")))
            ok = False
            continue
        outs[name] = np.fromfile(dump, dtype="<f4")
        os.remove(dump)
    ref_name = engines[0][0]
    ref = outs.get(ref_name)
    if ref is None or ref.size != batch * size * size:
        return [(ref_name, float("nan"), float("nan"))], False
    scale = float(np.abs(ref).max()) or 1.0
    for name, _, _ in engines[1:]:
        if name not in outs:
            continue
        if outs[name].size != ref.size:
            rows.append((name, float("nan"), float("nan")))
            ok = False
            continue
        d = float(np.abs(outs[name].astype(np.float64) - ref).max())
        rows.append((name, d, d / scale))
        ok = ok and d / scale <= TOLERANCE
    return rows, ok


def med(runs, key="median_ms"):
    vals = [r[key] for r in runs if r is not None]
    return statistics.median(vals) if vals else None


def fastest(runs):
    """The fastest pass of any of the runs (min_ms), or None."""
    vals = [r["min_ms"] for r in runs if r is not None and "min_ms" in r]
    return min(vals) if vals else None


def fmt(x, spec=".1f"):
    return "n/a" if x is None else format(x, spec)


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


FASTEST_HEADER = ("| case | threads | unetseg fastest ms | PyTorch fastest ms | variant | ratio "
                  "| ORT fastest ms | ratio to ORT |\n|---|---|---|---|---|---|---|---|")


def machine_probe():
    """bench_machine's reading now: {read_gbs_1, read_gbs_2, fma_gflops_1,
    fma_gflops_2}, or None where it is missing or failed."""
    if not os.path.exists(MACHINE):
        return None
    r = run([MACHINE], 1)
    return r if r and {"read_gbs_1", "read_gbs_2", "fma_gflops_1", "fma_gflops_2"} <= r.keys() else None


def machine_line(m):
    if m is None:
        return "n/a (build/bench/bench_machine missing or failed)"
    return (f"DRAM read {m['read_gbs_1']:.0f} / {m['read_gbs_2']:.0f} GB/s on 1 / 2 threads "
            f"({m['read_gbs_2'] / m['read_gbs_1']:.2f}x), multiply-add {m['fma_gflops_1']:.0f} / "
            f"{m['fma_gflops_2']:.0f} GFLOP/s ({m['fma_gflops_2'] / m['fma_gflops_1']:.2f}x)")


def machine_brief(m):
    """A pair's column: the read bandwidths themselves (a slow spell can
    take either side) and two threads' multiply-add rate over one's."""
    if m is None:
        return "n/a"
    return (f"read {m['read_gbs_1']:.0f} / {m['read_gbs_2']:.0f} GB/s, multiply-add "
            f"{m['fma_gflops_2'] / m['fma_gflops_1']:.2f}x")


def paired(first, second, pairs):
    """Issue 12's scaling goals as ratios of unetseg processes run back to
    back, `pairs` times, first then second and second then first in turn:
    the VM's slow and fast spells last seconds to minutes, and a ratio of the
    table's rows (timed minutes apart) mixes them. Returns the per-process medians
    [(first, second)], the median of the pairs' ratios first / second and
    the ratio of each side's fastest process (None if a run failed), and
    bench_machine's reading right before each pair. A slow spell only ever
    adds time, so the fastest processes are the least disturbed: a pair whose
    one-thread run fell in a spell inflates the median ratio, never this
    one."""
    runs, ratios, machine = [], [], []
    for i in range(pairs):
        machine.append(machine_brief(machine_probe()))
        if i % 2:
            b, a = run(*second), run(*first)
        else:
            a, b = run(*first), run(*second)
        if a is None or b is None:
            break
        runs.append((a["median_ms"], b["median_ms"]))
        ratios.append(a["median_ms"] / b["median_ms"])
    shown = [(round(x), round(y)) for x, y in runs]
    if len(runs) < pairs:
        return shown, None, None, machine
    fastest = min(x for x, _ in runs) / min(y for _, y in runs)
    return shown, statistics.median(ratios), fastest, machine


SCALING_HEADER = ("| measure | pairs (ms) | median ratio | ratio of the fastest | goal | the machine before each "
                  "pair: DRAM read on 1 / 2 threads, 2 threads' multiply-adds over 1's |\n"
                  "|---|---|---|---|---|---|")


def scaling_rows(cases, weights_arg, failed):
    """Two threads against one at the forward cases past batch 1, 256x256,
    and 512x512 against 256x256 (batch 1, one thread): the goals' lines,
    for the cases whose outputs agreed."""
    keys = {c["key"] for c in cases} - set(failed)
    many = max(THREADS)
    measures = []
    for key, label in (("fwd-b4-256", "forward b4 256x256"), ("fwd-b1-512", "forward b1 512x512")):
        if key in keys and many > 1:
            b, sz = (4, 256) if key == "fwd-b4-256" else (1, 512)
            args = lambda t: [UNETSEG, "fwd", str(b), str(sz), str(t), str(REPEAT), weights_arg,
                              f"input={input_file(b, sz)}"]
            measures.append((f"{many} threads / 1 thread, {label} (ms per batch)", (args(1), 1),
                             (args(many), many), ">= 1.8"))
    if {"fwd-b1-256", "fwd-b1-512"} <= keys:
        args = lambda sz: [UNETSEG, "fwd", "1", str(sz), "1", str(REPEAT), weights_arg,
                           f"input={input_file(1, sz)}"]
        measures.append(("512x512 / 256x256, batch 1, 1 thread", (args(512), 1), (args(256), 1), "3.8-4.2"))
    rows = []
    if measures:
        print(SCALING_HEADER, flush=True)
    for label, first, second, goal in measures:
        runs, r, fastest, machine = paired(first, second, PAIRS)
        row = f"| {label} | {runs} | {fmt(r, '.2f')} | {fmt(fastest, '.2f')} | {goal} | {'; '.join(machine)} |"
        print(row, flush=True)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- results file
def write_results(path, key, section):
    """Replace this machine's section (`## Machine: KEY` up to the next
    `## Machine: ` heading) of `path`, or append it."""
    base = path if os.path.exists(path) else RESULTS
    try:
        with open(base) as f:
            text = f.read()
    except OSError:
        text = ("# make bench results\n\nOne section per machine kind (CPU model and ISA); "
                "`make bench` rewrites only its own machine's section.\n")
    heading = f"## Machine: {key}\n"
    parts = [p.strip("\n") for p in re.split(r"(?m)^(?=## Machine: )", text)]
    if any((p + "\n").startswith(heading) for p in parts):
        parts = [section.strip("\n") if (p + "\n").startswith(heading) else p for p in parts]
    else:
        parts.insert(1, section.strip("\n"))  # the newest machine first
    text = "\n\n".join(p for p in parts if p) + "\n"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    start = time.time()
    cases = [parse_case(k) for k in CASE_KEYS]
    if not os.path.exists(UNETSEG):
        sys.exit(f"{UNETSEG} is missing: run `make build/bench/bench_unetseg` (or `make bench`)")
    versions = engine_versions()
    have_torch, have_ort = "torch" in versions, "ort" in versions and not EMULATE_AVX2
    if EMULATE_AVX2:
        print("emulated AVX2-only run: ONNX Runtime is not run (no switch caps MLAS's kernels)", flush=True)
    elif not have_ort:
        print("onnxruntime-node not found in build/bench/node_modules (`make bench-deps`): "
              "ONNX Runtime columns n/a", flush=True)
    prepare(cases, have_torch, have_ort)
    cpu = cpuinfo()
    key = machine_key(cpu)
    if EMULATE_AVX2 and not cpu["isa"]["avx512f"]:
        sys.exit("BENCH_EMULATE_AVX2 is for AVX-512 machines: on this one `make bench` runs AVX2 already")
    # unetseg's AVX2 kernels on an AVX-512 machine too
    avx2_row = cpu["isa"]["avx512f"] and not EMULATE_AVX2
    env_set = bench_env()
    core = openblas_core()
    head = [f"CPU: {cpu['name']}, family {cpu['family']} model {cpu['model']}, {os.cpu_count()} cores; "
            f"ISA: " + ", ".join(f"{f} {'yes' if on else 'no'}" for f, on in cpu["isa"].items()) + "; "
            f"{platform.platform()}.",
            f"OpenBLAS core: {core}.",
            "Environment: " + (", ".join(f"`{k}={v}`" for k, v in env_set.items()) or "no OPENBLAS_*, "
                               "OMP_* or UNETSEG_* variables") + " (OMP_NUM_THREADS is set to the "
            "thread count of each run).",
            "Engines: unetseg (this tree), " + ", ".join(v for k, v in versions.items()
                                                         if k != "ort" or have_ort) + ".",
            "Kernels in use: " + "; ".join(engine_kernels(have_torch, have_ort)) + "."]
    if EMULATE_AVX2:
        head.append("Emulated AVX2-only: unetseg with `UNETSEG_ISA=avx2`, PyTorch with "
                    + ", ".join(f"`{k}={v}`" for k, v in TORCH_AVX2_ENV.items())
                    + " (ONNX Runtime not run: MLAS has no such switch); the core, caches and memory "
                    "are this AVX-512 machine's.")
    machine_start = machine_probe()
    head.append(f"The machine at the start (bench/bench_machine.c): {machine_line(machine_start)}.")
    for line in head:
        print(line)

    header = ("| case | threads | unetseg ms | GFLOP/s | RSS MiB | PyTorch ms (channels_last) | RSS MiB "
              "| ratio | PyTorch best ms | best variant | ratio to best | ORT ms | RSS MiB | ratio to ORT |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows, agree_rows, round_lines, failed, checked = [], [], [], [], {}
    fast_rows = []
    weights_arg, print_header = f"weights={WEIGHTS}", True
    for case in cases:
        mode, batch, size, per = case["mode"], case["batch"], case["size"], case["per"]
        inp = f"input={input_file(batch, size)}"
        # unetseg variants timed beside the default at forward b1 256x256:
        # (label suffix, extra arguments, environment)
        variants = []
        if mode == "fwd" and batch == 1 and size == 256 and not EMULATE_AVX2:
            if avx2_row:
                variants.append(("UNETSEG_ISA=avx2", [], {"UNETSEG_ISA": "avx2"}))
            # all of the network's kernels kept (the default 48 MiB keeps
            # peak RSS under half of ORT's and PyTorch's: issue 12's memory
            # goal), and none at all
            variants.append(("kernel cache 256 MiB", ["kernel_cache=256"], None))
            variants.append(("kernel cache off", ["kernel_cache=0"], None))
        # -- agreement of the forward pass at this batch/size, once
        if (batch, size) not in checked:
            engines = [("unetseg", [UNETSEG, "fwd", str(batch), str(size), "1", "0", weights_arg, inp], None)]
            if avx2_row and batch == 1 and size == 256:
                engines.append(("unetseg UNETSEG_ISA=avx2", engines[0][1], {"UNETSEG_ISA": "avx2"}))
            for v in VARIANTS["fwd"]:
                engines.append((f"PyTorch {VARIANT_NAMES[v]}",
                                TORCH + ["fwd", str(batch), str(size), "1", "0", v, weights_arg, inp], None))
            if have_ort:
                engines.append(("ONNX Runtime", ORT + [onnx_file(batch, size), "1", "0", inp], None))
            res, ok = agreement(batch, size, engines)
            checked[(batch, size)] = ok
            for name, d, rel in res:
                line = f"| forward b{batch} {size}x{size} | {name} | {d:.2e} | {rel:.2e} |"
                agree_rows.append(line)
                print(f"agreement b{batch} {size}x{size} {name}: max abs diff {d:.2e}, "
                      f"relative to max|out| {rel:.2e}" + ("" if rel <= TOLERANCE else "  <-- FAILED"),
                      flush=True)
            if not ok:
                print(f"*** AGREEMENT FAILED for forward b{batch} {size}x{size} (tolerance "
                      f"{TOLERANCE:g} of max|output|): case {case['key']} is not timed ***", flush=True)
        if not checked[(batch, size)]:
            failed.append(case["key"])
            for threads in THREADS:
                rows.append(f"| {case['label']} | {threads} | agreement failed | | | | | | | | | | | |")
            continue
        if print_header:
            print(header, flush=True)
            print_header = False
        for threads in THREADS:
            args = [mode, str(batch), str(size), str(threads), str(REPEAT), weights_arg, inp]
            u, ua, t, o = [], [[] for _ in variants], {v: [] for v in VARIANTS[mode]}, []
            for _ in range(ROUNDS):
                u.append(run([UNETSEG] + args, threads))
                for runs, (_, extra, env) in zip(ua, variants):
                    runs.append(run([UNETSEG] + args + extra, threads, env))
                for v in VARIANTS[mode]:
                    t[v].append(run(TORCH + args[:5] + [v] + args[5:], threads))
                if have_ort and mode == "fwd":
                    o.append(run(ORT + [onnx_file(batch, size), str(threads), str(REPEAT), inp], threads))
            tcl = med(t["channels_last"])
            tcl = tcl / per if tcl is not None else None
            tcl_rss = med(t["channels_last"], "peak_rss_kb")
            best_v, best = None, None
            for v, runs in t.items():
                m = med(runs)
                if m is not None and (best is None or m / per < best):
                    best_v, best = v, m / per
            oms = med(o)
            oms = oms / per if oms is not None else None
            orss = med(o, "peak_rss_kb")
            for label, us in [(case["label"], u)] + [(case["label"] + ", " + name, runs)
                                                     for (name, _, _), runs in zip(variants, ua)]:
                ums = med(us)
                ums = ums / per if ums is not None else None
                gfl = med(us, "gflop")
                gfs = gfl / (med(us) / 1e3) if ums is not None and gfl else None
                urss = med(us, "peak_rss_kb")
                row = (f"| {label} | {threads} | {fmt(ums)} | {fmt(gfs)} | "
                       f"{fmt(urss and urss / 1024, '.0f')} | {fmt(tcl)} | {fmt(tcl_rss and tcl_rss / 1024, '.0f')} | "
                       f"{ratio(ums, tcl)} | {fmt(best)} | {VARIANT_NAMES.get(best_v, 'n/a')} | {ratio(ums, best)} | "
                       f"{fmt(oms) if mode == 'fwd' else 'n/a'} | {fmt(orss and orss / 1024, '.0f')} | "
                       f"{ratio(ums, oms)} |")
                print(row, flush=True)
                rows.append(row)
            # the fastest pass of each engine over all rounds: a spell of the
            # host only adds time, so these ratios move less than the medians'
            uf = fastest(u)
            tf = {v: fastest(runs) for v, runs in t.items()}
            tf_v = min((v for v in tf if tf[v] is not None), key=lambda v: tf[v], default=None)
            of = fastest(o)
            if uf is not None:
                fast_rows.append(
                    f"| {case['label']} | {threads} | {fmt(uf / per)} | "
                    f"{fmt(tf_v and tf[tf_v] / per)} | {VARIANT_NAMES.get(tf_v, 'n/a')} | "
                    f"{ratio(uf, tf_v and tf[tf_v])} | {fmt(of and of / per)} | {ratio(uf, of)} |")
            rounds = {"unetseg": u}
            rounds.update({f"unetseg {name}": runs for (name, _, _), runs in zip(variants, ua)})
            rounds.update({f"PyTorch {VARIANT_NAMES[v]}": runs for v, runs in t.items()})
            if o:
                rounds["ORT"] = o
            line = f"{case['label']}, {threads} thread{'s' if threads > 1 else ''}: " + "; ".join(
                f"{k} {[None if r is None else round(r['median_ms']) for r in vs]}" for k, vs in rounds.items())
            print("    rounds (ms per process): " + line, flush=True)
            round_lines.append("- " + line)
        print(f"    ({time.time() - start:.0f} s so far)", flush=True)
    scaling = scaling_rows(cases, weights_arg, failed)
    head.append(f"At the end: {machine_line(machine_probe())}.")
    print(head[-1], flush=True)
    minutes = (time.time() - start) / 60
    print(f"total {minutes:.1f} min")

    section = (
        f"## Machine: {key}\n\n"
        + (("`make bench-avx2`" if EMULATE_AVX2 else "`make bench`") if FULL_RUN
           else "A partial run of bench/run_bench.py")
        + f", {datetime.date.today()}, {minutes:.0f} min. " + " ".join(head) + "\n\n"
        f"Weights: build/bench/weights.safetensors from bench/make_bench_weights.py (Keras "
        "initialisation, BatchNorm moving statistics recalibrated on synthetic 0..255 images), loaded by "
        "every engine; input: the same synthetic 0..255 images. Median of "
        f"{REPEAT} runs after a warm-up in one process per case; {ROUNDS} interleaved round(s) of the "
        "engines, the median round of each shown. ratio = unetseg / other (below 1: unetseg is faster). PyTorch "
        "best = the fastest of " + ", ".join(VARIANT_NAMES[v] for v in VARIANTS["fwd"]) + " for forward "
        "(" + ", ".join(VARIANT_NAMES[v] for v in VARIANTS["mc"]) + " for MC and training; TorchScript "
        "gets three warm-up runs). "
        + ("ORT: not run (n/a)." if EMULATE_AVX2 else
           "ORT = ONNX Runtime CPU on the torch.onnx export (opset 13, NCHW), "
           "intra-op threads = threads, 1 inter-op thread, graph optimisation all; forward only.")
        + ("" if FULL_RUN else f" Partial run: BENCH_CASES={','.join(CASE_KEYS)} "
           f"BENCH_THREADS={','.join(map(str, THREADS))} BENCH_REPEAT={REPEAT} BENCH_ROUNDS={ROUNDS} BENCH_PAIRS={PAIRS}.")
        + "\n\n"
        + header + "\n" + "\n".join(rows) + "\n\n"
        + ("The fastest pass of each engine over all its rounds' runs (ms per image; PyTorch: its "
           "fastest variant). The host's spells only add time and change within seconds, so a median "
           "can land in one for one engine and not the other; these ratios move less:\n\n"
           + FASTEST_HEADER + "\n" + "\n".join(fast_rows) + "\n\n" if fast_rows else "")
        + ("Scaling, from unetseg processes run in pairs back to back (the two in turn, "
           f"{PAIRS} times; each process's median of {REPEAT} runs after a warm-up). Ratios of the rows "
           "above mix runs minutes apart, and this VM's slow and fast spells last seconds to minutes. The ratio of "
           "the fastest divides each side's fastest process: a spell only adds time, so a pair whose "
           "one-thread run fell in one inflates the median ratio but not that one. Before each "
           "pair, bench_machine reads what the machine gives two threads against one at that moment "
           "(no engine scales past it):\n\n"
           + SCALING_HEADER + "\n" + "\n".join(scaling) + "\n\n" if scaling else "")
        + "Agreement before timing (one forward pass; unetseg's output is the reference; the case fails "
        f"above {TOLERANCE:g} of max|output|):\n\n"
        "| input | engine | max abs diff | / max abs output |\n|---|---|---|---|\n"
        + "\n".join(agree_rows) + "\n\n"
        "Rounds (each process's median, ms, in the order run):\n\n" + "\n".join(round_lines) + "\n")
    path = os.environ.get("BENCH_RESULTS") or (RESULTS if FULL_RUN else os.path.join(BENCH, "RESULTS.partial.md"))
    write_results(path, key, section)
    print(f"wrote the section '{key}' of {os.path.relpath(path, ROOT)}")
    if failed:
        sys.exit(f"agreement failed for: {', '.join(failed)}")


if __name__ == "__main__":
    main()
