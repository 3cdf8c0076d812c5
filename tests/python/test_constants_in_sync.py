#!/usr/bin/env python3
"""Check include/unetseg_constants.txt (the machine-readable list of public
constants that bindings check themselves against, installed beside the
header):
  1. it is what tests/gen/gen_constants.py makes of include/unetseg.h now;
  2. a C compiler agrees with every value (a _Static_assert per line), when
     one is on PATH;
  3. every `#define UNETSEG_*` with a value is listed (none dropped).
Standard library only. Run: python3 tests/python/test_constants_in_sync.py
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(ROOT, "tests", "gen", "gen_constants.py")
COMMITTED = os.path.join(ROOT, "include", "unetseg_constants.txt")
HEADER = os.path.join(ROOT, "include", "unetseg.h")
REGEN = "python3 tests/gen/gen_constants.py"


def main():
    failures = []
    fresh = subprocess.run([sys.executable, GENERATOR, "--output", "-"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
    if fresh.returncode != 0:
        print("FAIL: %s failed:\n%s" % (REGEN, fresh.stdout))
        return 1
    try:
        with open(COMMITTED, encoding="utf-8") as f:
            have = f.read()
    except OSError as exc:
        print("FAIL: cannot read include/unetseg_constants.txt (%s); run %s" % (exc, REGEN))
        return 1
    if have != fresh.stdout:
        failures.append("include/unetseg_constants.txt is stale: run %s" % REGEN)
    pairs = [l.split() for l in have.splitlines() if l and not l.startswith("#")]
    names = {p[0] for p in pairs}
    with open(HEADER, encoding="utf-8") as f:
        header = f.read()
    for m in re.finditer(r"^\s*#\s*define\s+(UNETSEG_\w+)\b(?!\()[ \t]*(\S[^\n]*)?$", header, re.M):
        if m.group(1) not in names and m.group(1) != "UNETSEG_API" and m.group(2):
            failures.append("%s is not in include/unetseg_constants.txt" % m.group(1))
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "check.c")
            with open(src, "w", encoding="utf-8") as f:
                f.write('#include "unetseg.h"\n')
                for name, value in pairs:
                    f.write('_Static_assert(%s == %s, "%s");\n' % (name, value, name))
            r = subprocess.run([cc, "-std=c11", "-fsyntax-only", "-I", os.path.join(ROOT, "include"),
                                src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
            if r.returncode != 0:
                failures.append("the C compiler disagrees:\n" + r.stdout)
    for f in failures:
        print("FAIL: " + f)
    print("test_constants_in_sync: %d constants, %s" % (len(pairs), "ok" if not failures else
                                                          "%d failure(s)" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
