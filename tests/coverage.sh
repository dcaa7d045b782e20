#!/bin/sh
# coverage.sh BUILD_DIR MIN_LINES MIN_BRANCHES - the line and branch coverage of src/
# after `make check` ran on a --coverage build in BUILD_DIR: a table per file, then
# "coverage: lines NN.N% branches NN.N%". Exits 1 when either is below its minimum.
set -eu
B=${1:?usage: coverage.sh BUILD_DIR MIN_LINES MIN_BRANCHES}
min_lines=${2:?} min_branches=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
json=$(mktemp); trap 'rm -f "$json"' EXIT
# every .gcda under B (the sanitizer-less "san" build of the tests and programs, and
# the plain build the strace checks use) counts, merged per source file
gcovr --root "$top" --filter "$top/src/" --exclude-unreachable-branches \
	--json-summary "$json" "$B" >/dev/null
python3 - "$json" "$min_lines" "$min_branches" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
def pct(covered, total):
    return 100.0 * covered / total if total else 100.0
def row(name, d):
    print("%-16s %6d/%-6d %6.1f%% %7d/%-7d %6.1f%%" % (
        name, d["line_covered"], d["line_total"], pct(d["line_covered"], d["line_total"]),
        d["branch_covered"], d["branch_total"], pct(d["branch_covered"], d["branch_total"])))
print("%-16s %13s %7s %15s %7s" % ("file", "lines", "%", "branches", "%"))
for f in sorted(data["files"], key=lambda f: f["filename"]):
    row(f["filename"].split("/")[-1], f)
row("total", data)
lines = pct(data["line_covered"], data["line_total"])
branches = pct(data["branch_covered"], data["branch_total"])
print("coverage: lines %.1f%% branches %.1f%%" % (lines, branches))
low = lines < float(sys.argv[2]) or branches < float(sys.argv[3])
if low:
    print("coverage: below the goal (lines %s%%, branches %s%%)" % (sys.argv[2], sys.argv[3]))
sys.exit(1 if low else 0)
PY
