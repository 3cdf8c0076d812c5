#!/usr/bin/env python3
"""Check that docs/API.md agrees with include/unetseg.h.

Checks:
  1. every function declared with UNETSEG_API has a `### name` heading in
     docs/API.md, and every `### unetseg_*` heading names a declared function
     (no stale entries, no duplicates);
  2. the first ```c block under each heading holds that function's signature
     as the header declares it (whitespace-insensitive, UNETSEG_API dropped);
  3. every UNETSEG_E_* status code appears in docs/API.md in a table row that
     also gives its numeric value;
  4. every other public UNETSEG_* macro is mentioned in docs/API.md;
  5. the "Errors:" lines agree: every status code the header comment of a
     function names after "Errors:" is named after "Errors:" in its section
     here, and every code named here (except INVALID_ARG and NOMEM, which
     the header's comments often leave implicit) is named in the header,
     unless the section refers to another function's errors ("as for ...").

Standard library only. Paths are relative to this file, not to the working
directory. Run: python3 tests/python/test_docs_sync.py  (exit 1 on failure).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(ROOT, "include", "unetseg.h")
API_MD = os.path.join(ROOT, "docs", "API.md")

# Macros that are plumbing, not API to document.
UNDOCUMENTED_MACROS = {"UNETSEG_H", "UNETSEG_API"}

failures = []


def fail(msg):
    failures.append(msg)


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        print("FAIL: cannot read %s: %s" % (os.path.relpath(path, ROOT), exc))
        sys.exit(1)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def normalize(decl):
    """Whitespace-insensitive form of a C declaration."""
    decl = re.sub(r"\bUNETSEG_API\b", " ", decl)
    decl = re.sub(r"\s+", " ", decl).strip()
    decl = re.sub(r"\s*([(),\[\];])\s*", r"\1", decl)
    decl = re.sub(r"\s*\*\s*", "*", decl)
    return decl.rstrip(";")


def header_functions(src):
    """{name: normalized declaration} of every UNETSEG_API function, in order."""
    code = strip_comments(src)
    # Drop preprocessor lines (including the two `#define UNETSEG_API` lines),
    # joining backslash continuations first.
    code = re.sub(r"\\\n", " ", code)
    code = "\n".join(l for l in code.split("\n") if not l.lstrip().startswith("#"))
    funcs = {}
    for m in re.finditer(r"\bUNETSEG_API\b([^;]*);", code):
        decl = m.group(0)
        before_paren = m.group(1).split("(", 1)[0]
        names = re.findall(r"\b(unetseg_\w+)\s*$", before_paren.strip())
        if not names:
            fail("header: cannot find the function name in: %s" % normalize(decl))
            continue
        name = names[0]
        if name in funcs:
            fail("header: %s is declared twice" % name)
        funcs[name] = normalize(decl)
    return funcs


def header_macros(src):
    """{name: value text} of every #define UNETSEG_* in the header."""
    macros = {}
    for m in re.finditer(r"^\s*#\s*define\s+(UNETSEG_\w+)\b[ \t]*([^\n]*)", src, re.M):
        value = re.sub(r"/\*.*?\*/|//.*", "", m.group(2)).strip()
        macros[m.group(1)] = value
    return macros


def header_error_codes(src, codes):
    """{function: set of status names} from the "Errors:" part of the block
    comment right above each UNETSEG_API declaration that has one."""
    out = {}
    pattern = r"(/\*(?:(?!\*/).)*\*/)\s*UNETSEG_API[^;(]*?\b(unetseg_\w+)\s*\("
    for m in re.finditer(pattern, src, re.S):
        comment = m.group(1)
        if "Errors:" in comment:
            out[m.group(2)] = codes_named(comment.split("Errors:", 1)[1], codes)
    return out


def codes_named(text, codes):
    return {c for c in codes if re.search(r"\b%s\b" % c, text)}


def doc_sections(md):
    """{name: section text} for every `### unetseg_*` heading; also reports
    duplicate headings."""
    sections = {}
    heads = list(re.finditer(r"^###[ \t]+(\S+)[ \t]*$", md, re.M))
    for i, h in enumerate(heads):
        name = h.group(1)
        if not name.startswith("unetseg_"):
            continue
        end = heads[i + 1].start() if i + 1 < len(heads) else len(md)
        # A level-2 heading also ends the section.
        nxt = re.search(r"^##[ \t]", md[h.end():end], re.M)
        if nxt:
            end = h.end() + nxt.start()
        if name in sections:
            fail("docs/API.md: `### %s` appears more than once" % name)
            continue
        sections[name] = md[h.end():end]
    return sections


def main():
    src = read(HEADER)
    md = read(API_MD)

    funcs = header_functions(src)
    if not funcs:
        fail("header: no UNETSEG_API functions found (parser broken?)")
    sections = doc_sections(md)

    # 1. headings <-> declared functions
    missing = [f for f in funcs if f not in sections]
    stale = [s for s in sections if s not in funcs]
    for f in missing:
        fail("docs/API.md: no `### %s` heading (declared in include/unetseg.h)" % f)
    for s in stale:
        fail("docs/API.md: documents `%s`, which include/unetseg.h does not declare" % s)
    print("checked %d UNETSEG_API functions against %d `### unetseg_*` headings"
          % (len(funcs), len(sections)))

    # 2. signatures
    n_sig = 0
    for name, decl in funcs.items():
        body = sections.get(name)
        if body is None:
            continue
        block = re.search(r"```c[ \t]*\n(.*?)```", body, re.S)
        if not block:
            fail("docs/API.md: `### %s` has no ```c signature block" % name)
            continue
        documented = [normalize(d) for d in block.group(1).split(";") if name in d]
        if decl not in documented:
            fail("docs/API.md: signature of %s differs from the header\n"
                 "        header: %s\n        docs:   %s"
                 % (name, decl, documented[0] if documented else "(none)"))
        else:
            n_sig += 1
    print("checked %d signatures" % n_sig)

    # 3. status codes, with their values
    macros = header_macros(src)
    codes = {k: v for k, v in macros.items() if k.startswith("UNETSEG_E_")}
    if not codes:
        fail("header: no UNETSEG_E_* status codes found (parser broken?)")
    rows = [l for l in md.splitlines() if l.lstrip().startswith("|")]
    for code, value in codes.items():
        number = value.strip("() ")
        if not re.search(r"\b%s\b" % re.escape(code), md):
            fail("docs/API.md: status code %s (%s) is not documented" % (code, number))
            continue
        in_row = [r for r in rows if re.search(r"`%s`" % re.escape(code), r)]
        if not any(re.search(r"\|\s*%s\s*\|" % re.escape(number), r) for r in in_row):
            fail("docs/API.md: no table row gives %s its value %s" % (code, number))
    print("checked %d UNETSEG_E_* status codes" % len(codes))

    # 4. the other public macros
    others = [m for m in macros if not m.startswith("UNETSEG_E_")
              and m not in UNDOCUMENTED_MACROS]
    for m in others:
        if not re.search(r"\b%s\b" % re.escape(m), md):
            fail("docs/API.md: macro %s is not mentioned" % m)
    print("checked %d other UNETSEG_* macros" % len(others))

    # 5. Errors lines
    names = [c[len("UNETSEG_E_"):] for c in codes]
    n_err = 0
    for name, in_header in header_error_codes(src, names).items():
        body = sections.get(name)
        if body is None:
            continue
        if "Errors:" not in body:
            fail("docs/API.md: `### %s` has no Errors line (the header lists %s)"
                 % (name, ", ".join(sorted(in_header))))
            continue
        text = body.split("Errors:", 1)[1]
        in_doc = codes_named(text, names)
        for c in sorted(in_header - in_doc):
            fail("docs/API.md: the Errors of %s lack %s (the header names it)" % (name, c))
        refers = re.search(r"\bas (for )?`?unetseg_|common errors", text)
        for c in sorted(in_doc - in_header - {"INVALID_ARG", "NOMEM"}):
            if not refers:
                fail("include/unetseg.h: the Errors of %s lack %s (docs/API.md names it)"
                     % (name, c))
        n_err += 1
    print("checked the Errors lines of %d functions" % n_err)

    if failures:
        for f in failures:
            print("FAIL: " + f)
        print("test_docs_sync: %d failure(s)" % len(failures))
        return 1
    print("test_docs_sync: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
