#!/usr/bin/env python3
"""Check that tests/test_null_args.c is what tests/gen/gen_null_tests.py makes
of the current include/unetseg.h.

Regenerates into a temporary file and compares it byte for byte with the
committed file, so that adding (or changing) a public function without
regenerating the NULL-argument test fails `make check`. Standard library
only; paths are relative to this file, not to the working directory.
Run: python3 tests/python/test_null_tests_in_sync.py  (exit 1 on failure).
"""
import difflib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = os.path.join(ROOT, "tests", "gen", "gen_null_tests.py")
COMMITTED = os.path.join(ROOT, "tests", "test_null_args.c")
REGEN = "python3 tests/gen/gen_null_tests.py"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "test_null_args.c")
        proc = subprocess.run([sys.executable, GENERATOR, "--output", fresh],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if proc.returncode != 0:
            print("FAIL: %s failed (exit %d):\n%s" % (os.path.relpath(GENERATOR, ROOT),
                                                     proc.returncode, proc.stdout))
            return 1
        with open(fresh, encoding="utf-8") as f:
            want = f.read()
    try:
        with open(COMMITTED, encoding="utf-8") as f:
            have = f.read()
    except OSError as exc:
        print("FAIL: cannot read tests/test_null_args.c (%s); generate it with:\n    %s"
              % (exc, REGEN))
        return 1
    if have != want:
        diff = list(difflib.unified_diff(have.splitlines(), want.splitlines(),
                                         "tests/test_null_args.c (committed)",
                                         "tests/test_null_args.c (regenerated)", lineterm=""))
        shown = diff[:60]
        print("\n".join(shown))
        if len(diff) > len(shown):
            print("... (%d more diff lines)" % (len(diff) - len(shown)))
        print("FAIL: tests/test_null_args.c is out of date with include/unetseg.h; "
              "regenerate it from the repository root with:\n    %s" % REGEN)
        return 1
    print("ok: tests/test_null_args.c matches include/unetseg.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
