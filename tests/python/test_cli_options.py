"""Option parsing of the `unetseg` tool (issue 14 item 5, issue 16): one
command table behind --help and dispatch, getopt_long syntax, and the one
strict number parser behind every numeric option of every command.

Run from anywhere: python3 tests/python/test_cli_options.py (standard library
only; exit 1 on failure). UNETSEG_CLI=/path/to/old/unetseg shows which checks
an older build fails.
"""
import os
import re
import sys
import tempfile

from cli_helpers import ROOT, check, run

COMMANDS = ["summary", "match", "init", "predict", "train", "demo-data"]
SMALL = ["--backbone", "resnet18", "--size", "64x64x3"]

# (command, options before the bad one, option, bad values): every value must
# be refused with exit 2 and a message naming the option, before anything runs.
BAD_NUMBERS = [
    ("predict", ["--weights", "none.safetensors", "--input", "none.safetensors", "--output", "o"],
     "--mc", ["3x", "", " 3", "99999999999999999999", "-3", "0", "1001", "nan", "1e2", "0x10"]),
    ("predict", ["--weights", "none.safetensors", "--input", "none.safetensors", "--output", "o"],
     "--repeat", ["2x", "", "0", "-1", "100001", "inf"]),
    ("predict", ["--weights", "none.safetensors", "--input", "none.safetensors", "--output", "o"],
     "--threads", ["nan", "2x", "", "-1", "257", "4294967297", "1e2", "+-1"]),
    ("predict", ["--weights", "none.safetensors", "--input", "none.safetensors", "--output", "o"],
     "--mc-seed", ["abc", "", "-1", "5x", "+5", "18446744073709551616", " 1"]),
    ("predict", ["--weights", "none.safetensors", "--input", "none.safetensors", "--output", "o"],
     "--kernel-cache", ["-1", "2x", "", "1048577", "nan", "1e3", "99999999999999999999"]),
    ("demo-data", ["--output", "{tmp}/demo"], "--size",
     ["12x", "", "99999999999999999999", "-3", "-64", "48", "0", "0x40", "64.0", "8192"]),
    ("demo-data", ["--output", "{tmp}/demo"], "--count", ["8x", "", "0", "-1", "100001", "1e3"]),
    ("demo-data", ["--output", "{tmp}/demo"], "--seed", ["abc", "-1", "", "1.5", "18446744073709551616"]),
    ("init", ["--output", "{tmp}/init.safetensors"], "--size", ["64x64x3junk", "64x", "64", "x64", "64xx64"]),
    ("init", ["--output", "{tmp}/init.safetensors"], "--classes", ["1.5", "", "0", "-1", "2x"]),
    ("init", ["--output", "{tmp}/init.safetensors"], "--seed", ["nan", "-1", ""]),
    ("init", ["--output", "{tmp}/init.safetensors"], "--decoder-filters", ["1,,2", "1,2x", "", "0,1", ","]),
    ("summary", ["--insert", "relu1"], "--rate", ["0.5x", "nan", "1", "-0.1", "inf", "", "0x1p-2", "1e999"]),
    ("match", ["relu1"], "--size", ["x", "64x64x"]),
    ("train", ["--data", "none.safetensors"], "--lr", ["0x1p-3", "1e-3 ", "infinity", "-1e-3"]),
    ("train", ["--data", "none.safetensors"], "--momentum", ["1", "0.9.1", "nan"]),
]


def check_numbers(tmp):
    """Junk, empty, overflowing, negative, out-of-range and non-finite values."""
    for command, before, opt, values in BAD_NUMBERS:
        before = [a.format(tmp=tmp) for a in before]
        for value in values:
            r = run(command, *before, opt, value)
            what = f"{command} {opt} {value!r}"
            check(r.returncode == 2 and opt in r.stderr,
                  f"{what}: exit 2 naming the option (got {r.returncode}: {r.stderr.strip()[:120]!r})")
            check(f"unetseg {command} --help" in r.stderr, f"{what}: the usage hint names the command")
    check(not os.path.exists(os.path.join(tmp, "demo")) and not os.path.exists(os.path.join(tmp, "init.safetensors")),
          "nothing was written by a refused command line")
    # one rule for one value: --threads -1 is a usage error in both commands
    for command, before in (("predict", ["--weights", "w", "--input", "x", "--output", "y"]),
                            ("train", ["--data", "none.safetensors"])):
        r = run(command, *before, "--threads", "-1")
        check(r.returncode == 2, f"{command} --threads -1: exit 2 (got {r.returncode})")
    # the edges of the ranges are accepted
    r = run("demo-data", "--output", os.path.join(tmp, "edge"), "--count", "1", "--size", "32",
            "--seed", "18446744073709551615")
    check(r.returncode == 0 and len(os.listdir(os.path.join(tmp, "edge", "images"))) == 1,
          f"demo-data --count 1 --size 32 --seed 2^64-1 runs (exit {r.returncode})")
    r = run("summary", "--size", "64x64", "--insert", "relu1", "--rate", "0", "--insert", "relu0",
            "--rate", "0.999")
    check(r.returncode == 0, f"--rate 0 and 0.999 are accepted (exit {r.returncode})")


def check_table():
    """`unetseg --help` lists every command of the table; each has --help."""
    r = run("--help")
    listed = re.findall(r"^  (\S+)\s+\S", r.stdout, re.M)
    check(r.returncode == 0 and listed == COMMANDS, f"--help lists the commands in order: {listed}")
    check(run("-h").stdout == r.stdout, "-h is --help")
    r = run()
    check(r.returncode == 2 and "summary" in r.stderr, "no command: the command list on stderr, exit 2")
    r = run("frobnicate")
    check(r.returncode == 2 and "frobnicate" in r.stderr and "demo-data" in r.stderr,
          "an unknown command is named, and the list follows (exit 2)")
    for command in COMMANDS:
        for flag in ("--help", "-h"):
            r = run(command, flag)
            check(r.returncode == 0 and r.stdout.startswith(f"usage: unetseg {command}") and r.stderr == "",
                  f"unetseg {command} {flag}: its usage on stdout, exit 0")
        # --help wins wherever it is, unless a bad option comes first
        r = run(command, "--seed", "1", "--help")
        check(r.returncode == 0 and r.stdout.startswith(f"usage: unetseg {command}"),
              f"unetseg {command} --seed 1 --help: the usage")
        check_usage_names_options(command, run(command, "--help").stdout)


def check_usage_names_options(command, usage):
    """Every --option a command's usage names is one the command knows."""
    unknown = []
    for opt in sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)", usage))):
        r = run(command, opt)
        if "unknown option" in r.stderr:
            unknown.append(opt)
    check(not unknown, f"{command}: the options of its usage are all known: unknown {unknown}")


def check_syntax(tmp):
    """getopt_long syntax: --opt=value, --, unknown options, missing values."""
    golden = open(os.path.join(ROOT, "tests", "fixtures", "unet_resnet18_64x64_classes1.summary.txt")).read()
    r = run("summary", "--backbone=resnet18", "--size=64x64x3")
    check(r.returncode == 0 and r.stdout == golden, "--backbone=resnet18 --size=64x64x3 is the golden table")
    demo = os.path.join(tmp, "eq")
    r = run("demo-data", f"--output={demo}", "--count=3", "--size=32", "--seed=2")
    check(r.returncode == 0 and len(os.listdir(os.path.join(demo, "images"))) == 3,
          f"demo-data --output=D --count=3 --size=32 writes 3 images (exit {r.returncode})")
    r = run("summary", *SMALL, "--insert=glob:relu1", "--dropout=spatial", "--rate=0.2")
    check(r.returncode == 0 and "relu1_dropout" in r.stdout and "SpatialDropout2D" in r.stdout,
          "--insert=EXPR --dropout=spatial --rate=0.2")
    cases = [
        (["predict", "--frobnicate"], "unknown option '--frobnicate'"),
        (["predict", "--frobnicate=3"], "unknown option '--frobnicate'"),
        (["summary", "--back", "resnet18"], "unknown option '--back'"),  # no prefixes
        (["summary", "-x"], "unknown option '-x'"),
        (["summary", "--size"], "--size needs a value"),
        (["train", "--data", "d", "--flip=1"], "--flip takes no value"),
        (["summary", "stray"], "unexpected argument 'stray'"),
        (["match", "relu1", "relu0"], "unexpected argument 'relu0'"),
        (["summary", "--rate", "0.2"], "--rate must follow an --insert"),
        (["predict", "--weights", "w", "--input", "x", "--output", "y",
          "--dump", ",".join(f"l{i}" for i in range(65))], "--dump: more than 64 layers"),
        (["predict", "--weights", "w", "--input", "x.png", "--repeat", "3"], "safetensors input"),
        (["predict", "--weights", "w"], "--input"),
        (["demo-data", "--count", "3"], "--output"),
    ]
    for args, message in cases:
        r = run(*args)
        check(r.returncode == 2 and message in r.stderr and f"unetseg {args[0]} --help" in r.stderr,
              f"{' '.join(args)[:60]}: exit 2, {message!r} (got {r.returncode}: {r.stderr.strip()[:120]!r})")
    # a positional argument anywhere, also where POSIXLY_CORRECT would stop
    # getopt at the first one; -- before one that starts with '-'
    for env in (None, {"POSIXLY_CORRECT": "1"}):
        r = run("match", "glob:relu1", *SMALL, env=env)
        check(r.returncode == 0 and r.stdout == "relu1\n", f"match EXPR then options (env {env})")
    r = run("match", *SMALL, "--", "glob:relu1")
    check(r.returncode == 0 and r.stdout == "relu1\n", "match OPTIONS -- EXPR")
    r = run("--version", "--verbose")
    check(r.returncode == 0 and "gemm kernels: " in r.stdout, "--version --verbose")
    r = run("--version", "-v")
    check(r.returncode == 0 and "gemm kernels: " in r.stdout, "--version -v")


def check_train_outputs(tmp):
    """train makes the directories of --save and --checkpoint before training."""
    data = os.path.join(tmp, "small")
    run("demo-data", "--output", data, "--count", "2", "--size", "32")
    save = os.path.join(tmp, "new", "dir", "w.safetensors")
    ckpt = os.path.join(tmp, "other", "c.safetensors")
    r = run("train", "--data", data, "--backbone", "resnet18", "--size", "32x32", "--steps", "1",
            "--batch", "2", "--threads", "1", "--save", save, "--checkpoint", ckpt)
    check(r.returncode == 0 and os.path.exists(save) and os.path.exists(ckpt),
          f"train --save and --checkpoint into new directories (exit {r.returncode}: {r.stderr.strip()[-120:]!r})")
    blocked = os.path.join(tmp, "a_file")
    open(blocked, "w").close()
    r = run("train", "--data", data, "--backbone", "resnet18", "--size", "32x32", "--steps", "1",
            "--threads", "1", "--save", os.path.join(blocked, "w.safetensors"))
    check(r.returncode == 1 and "a_file" in r.stderr and "epoch " not in r.stderr,
          f"an impossible --save directory fails before the first step (exit {r.returncode})")


def check_docs():
    """The command list of docs/GETTING_STARTED.md and the usage of
    docs/TRAINING.md section 11 are what the tool prints."""
    text = open(os.path.join(ROOT, "docs", "GETTING_STARTED.md")).read()
    m = re.search(r"^commands:\n(.*?)^```", text, re.M | re.S)
    help_lines = run("--help").stdout.split("commands:\n")[1].split("options:")[0]
    check(m is not None and m.group(1) == help_lines,
          "docs/GETTING_STARTED.md lists the commands as `unetseg --help` does")
    text = open(os.path.join(ROOT, "docs", "TRAINING.md")).read()
    m = re.search(r"^```\n(usage: unetseg train .*?)^```", text, re.M | re.S)
    check(m is not None and run("train", "--help").stdout.startswith(m.group(1)),
          "docs/TRAINING.md shows the start of `unetseg train --help`")


def main():
    if not os.access(run.__globals__["CLI"], os.X_OK):
        print("FAIL: bin/unetseg is missing; run `make all` first")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        check_numbers(tmp)
        check_table()
        check_syntax(tmp)
        check_train_outputs(tmp)
    check_docs()
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
