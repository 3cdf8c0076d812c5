#!/usr/bin/env python3
"""Layers point one way: core <- ops <- graph <- (models, io, train) <- api.

Reads every .c and .h file under a source tree (default: src/ of this
repository), finds where each function is defined (and each function-like
macro), and fails, naming file:line, when a file
  - calls or takes the address of a function defined in a higher layer,
  - declares (in a header) a function that a higher layer defines,
  - #includes a header of a higher layer, or
  - defines a public unetseg_* function outside src/api/ that is not one of
    the handles PUBLIC_HOMES lets live beside their structs.
A layer is the first directory under the tree; LAYERS gives their order.
models, io and train share a rank: they may use one another. The rules are
docs/DESIGN.md section 2.

It is a token scan, not a C parser: comments, strings and other preprocessor
lines are dropped; a definition is `name ( ... ) {` outside any braces; a
reference is any other use of a defined function's name (not after `.` or
`->`, not inside a struct, union or enum body). Static functions and a .c
file's macros resolve within their own file first.

  layers_check.py [TREE]        check TREE (default src/); exit 1 on a violation
  layers_check.py --self-test   check tests/tools/layers_fixture/src and
                                compare the report with its expected.txt

Standard library only.
"""
import os
import re
import sys

LAYERS = {"core": 0, "ops": 1, "graph": 2, "models": 3, "io": 3, "train": 3, "api": 4}

ORDER = "core <- ops <- graph <- (models, io, train) <- api"
# Public functions are defined in api/, except those of the handles that one
# lower layer owns outright: name prefix -> that layer.
PUBLIC_HOMES = {"unetseg_tensor_": "core", "unetseg_matcher_": "graph",
                "unetseg_unet_options_": "models", "unetseg_train_options_": "train",
                "unetseg_trainer_": "train"}

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(HERE, "layers_fixture")

TOKEN = re.compile(r"[A-Za-z_]\w*|->|\S")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "_Alignof", "_Static_assert",
            "_Generic", "defined", "__attribute__", "do", "else", "case"}


def strip_code(text):
    """Comments, string and character literals blanked; newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan(path):
    """(includes, definitions, declarations, references) of one file: lists
    of (path, line), (name, line, is_static), (name, line) and (name, line,
    verb)."""
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    includes, code_lines, macro_defs = [], [], []
    raw_lines = raw.split("\n")
    lines = strip_code(raw).split("\n")
    k = 0
    while k < len(lines):
        line, first = lines[k], k
        # a directive runs on over backslash-newlines
        while line.rstrip().endswith("\\") and k + 1 < len(lines):
            k += 1
            line = line.rstrip()[:-1] + " " + lines[k]
        m = re.match(r"\s*#\s*(\w+)(.*)", line)
        if not m:
            code_lines.append((first + 1, line))
        elif m.group(1) == "include":  # the path is a string: read it from the raw line
            inc = re.match(r'\s*#\s*include\s*"([^"]+)"', raw_lines[first])
            if inc:
                includes.append((inc.group(1), first + 1))
        elif m.group(1) == "define":
            d = re.match(r"\s*(\w+)(\()?(.*)", m.group(2))
            if d and d.group(2):  # a .c file's macros are its own, as static functions
                macro_defs.append((d.group(1), first + 1, path.endswith(".c")))
            if d:  # the body's uses count as references from this line
                code_lines.append((first + 1, d.group(3)))
        k += 1
    toks = [(t, ln) for ln, line in code_lines for t in TOKEN.findall(line)]
    defs, decls, refs = list(macro_defs), [], []
    depth, stmt_start, after_eq = 0, 0, False
    members = []  # per open brace: does it hold struct/union/enum members?
    i = 0
    while i < len(toks):
        t, ln = toks[i]
        if t == "{":
            depth += 1
            back = [x[0] for x in toks[max(0, i - 2):i]]
            members.append(any(x in ("struct", "union", "enum") for x in back))
        elif t == "}":
            depth -= 1
            members.pop()
            if depth == 0:
                stmt_start, after_eq = i + 1, False
        elif depth == 0 and t == ";":
            stmt_start, after_eq = i + 1, False
        elif depth == 0 and t == "=":
            after_eq = True
        elif re.match(r"[A-Za-z_]", t) and t not in KEYWORDS:
            prev = toks[i - 1][0] if i else ""
            nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
            if prev in (".", "->") or any(members):
                pass  # a member, not a function
            elif depth == 0 and not after_eq and nxt == "(":
                # a declarator: find the matching ')' and what follows it
                j, par = i + 1, 0
                while j < len(toks):
                    par += toks[j][0] == "("
                    par -= toks[j][0] == ")"
                    if par == 0:
                        break
                    j += 1
                follow = toks[j + 1][0] if j + 1 < len(toks) else ""
                static = any(x[0] == "static" for x in toks[stmt_start:i])
                if follow == "{":
                    defs.append((t, ln, static))
                elif follow in (";", ",", "__attribute__"):
                    decls.append((t, ln))
                i = j  # the parameter list names no functions
            elif depth > 0 or after_eq:
                refs.append((t, ln, "calls" if nxt == "(" else "uses"))
        i += 1
    return includes, defs, decls, refs


def layer_of(tree, path):
    top = os.path.relpath(path, tree).split(os.sep)[0]
    return top if top in LAYERS else None


def check(tree):
    """Violations in tree, as sorted 'path:line: message' strings."""
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(tree) for f in fs
                   if f.endswith((".c", ".h")))
    rel = lambda p: os.path.relpath(p, os.path.dirname(tree))
    problems = []
    scanned = {}
    for p in files:
        if layer_of(tree, p) is None:
            problems.append("%s:1: not in a known layer (%s)" % (rel(p), ", ".join(LAYERS)))
            continue
        scanned[p] = scan(p)
    # where each name is defined: static ones per file, the others globally
    local, public = {}, {}
    for p, (_, defs, _, _) in scanned.items():
        for name, ln, static in defs:
            if static and p.endswith(".c"):
                local.setdefault(p, {})[name] = (p, ln)
            else:
                public.setdefault(name, []).append((p, ln))

    def rank(p):
        return LAYERS[layer_of(tree, p)]

    for p, (includes, defs, decls, refs) in scanned.items():
        me = layer_of(tree, p)
        for inc, ln in includes:
            for cand in (os.path.join(os.path.dirname(p), inc), os.path.join(tree, inc)):
                cand = os.path.normpath(cand)
                if cand in scanned:
                    if rank(cand) > rank(p):
                        problems.append("%s:%d: includes %s from the %s layer, above %s"
                                        % (rel(p), ln, rel(cand), layer_of(tree, cand), me))
                    break
        uses = list(refs)
        if p.endswith(".h"):
            uses += [(n, ln, "declares") for n, ln in decls]
        for name, ln, verb in uses:
            if name in local.get(p, {}):
                continue
            for where, dln in public.get(name, []):
                if rank(where) > rank(p):
                    problems.append("%s:%d: %s %s, defined in the %s layer (%s:%d), above %s"
                                    % (rel(p), ln, verb, name, layer_of(tree, where), rel(where),
                                       dln, me))
        for name, ln, static in defs:
            if name.startswith("unetseg_") and not static and me != "api" and not any(
                    name.startswith(pre) and home == me for pre, home in PUBLIC_HOMES.items()):
                problems.append("%s:%d: defines the public %s outside api/ (and outside "
                                "PUBLIC_HOMES)" % (rel(p), ln, name))
    return sorted(set(problems), key=lambda s: (s.split(":")[0], int(s.split(":")[1]), s))


def self_test():
    """The checker must find exactly the planted violations of the fixture."""
    got = check(os.path.join(FIXTURE, "src"))
    with open(os.path.join(FIXTURE, "expected.txt"), encoding="utf-8") as f:
        want = [l for l in f.read().split("\n") if l]
    if got != want:
        print("layers-check self-test FAILED")
        print("expected:\n  " + "\n  ".join(want))
        print("got:\n  " + "\n  ".join(got))
        return 1
    print("layers-check self-test: the fixture's %d planted violations found" % len(want))
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    tree = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(ROOT, "src"))
    problems = check(tree)
    for line in problems:
        print(line)
    if problems:
        print("layers-check: %d violation(s) of the layer rules (order: %s; docs/DESIGN.md "
              "section 2)" % (len(problems), ORDER))
        return 1
    print("layers-check: every call and include in %s points down or sideways"
          % os.path.relpath(tree, os.getcwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
