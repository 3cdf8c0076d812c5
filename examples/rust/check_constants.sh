#!/bin/sh
# Build step of the Rust example: every `const UNETSEG_*: <int type> = <value>;`
# in the source must be in unetseg_constants.txt (the list generated from
# unetseg.h and installed beside it) with the same value. A constant copied
# wrong, or one the library renumbered, stops the build here.
# Usage: check_constants.sh main.rs /path/to/unetseg_constants.txt
set -eu
src=$1
list=$2
[ -r "$list" ] || { echo "check_constants: cannot read $list" >&2; exit 1; }
awk -v list="$list" '
BEGIN {
    while ((getline line < list) > 0) {
        if (line ~ /^#/ || line == "") continue
        split(line, f, " ")
        want[f[1]] = f[2]
    }
}
match($0, /const UNETSEG_[A-Z0-9_]+: *[iu](32|64) *= *-?[0-9]+;/) {
    s = substr($0, RSTART, RLENGTH)
    sub(/^const /, "", s); sub(/;$/, "", s)
    name = s; sub(/:.*/, "", name)
    value = s; sub(/.*= */, "", value)
    checked++
    if (!(name in want)) { printf("%s:%d: %s is not a unetseg constant\n", FILENAME, FNR, name); bad++ }
    else if (want[name] != value) {
        printf("%s:%d: %s = %s, but unetseg.h says %s\n", FILENAME, FNR, name, value, want[name]); bad++
    }
}
END {
    if (bad) exit 1
    if (!checked) { print "check_constants: no constants found in " FILENAME; exit 1 }
    printf("check_constants: %d constants of %s agree with %s\n", checked, FILENAME, list)
}' "$src"
