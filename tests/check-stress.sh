#!/bin/sh
# check-stress.sh N TARGET MAKE [MAKE-ARGS...] - `MAKE MAKE-ARGS TARGET` (check or coverage)
# N times while stress-ng keeps every CPU busy: the tests must measure zcp, not the machine.
# Prints each run's summary line, then "check-stress: K of N passed"; 0 only if K = N.
set -u
n=${1:?usage: check-stress.sh N TARGET MAKE [MAKE-ARGS...]}
target=${2:?usage: check-stress.sh N TARGET MAKE [MAKE-ARGS...]}
shift 2
case $n in '' | *[!0-9]* | 0) echo "check-stress: N must be a positive number, not '$n'" >&2; exit 2 ;; esac
case $target in check | coverage) ;; *) echo "check-stress: TARGET is check or coverage, not '$target'" >&2; exit 2 ;; esac
log=$(mktemp); stress=""
trap '[ -z "$stress" ] || kill "$stress" 2>/dev/null; rm -f "$log"' EXIT
# Build before the load, so the load falls on the tests (coverage builds its own tree each run).
[ "$target" = coverage ] || "$@" check-build >/dev/null || { echo "check-stress: the build failed" >&2; exit 1; }
# every CPU busy, bounded: a run that never ends still does not leave stress-ng behind
stress-ng --cpu 0 --timeout $((n * 3600)) --quiet &
stress=$!
k=0 i=0
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	"$@" "$target" >"$log" 2>&1; rc=$?
	# the summary: make check's "check: ..." line, coverage's "coverage: lines ..." line
	line=$(grep -E '^(check: [0-9]+ passed|coverage: lines )' "$log" | tail -n 1)
	echo "run $i of $n: ${line:-no summary} (exit $rc)"
	if [ $rc -eq 0 ]; then k=$((k + 1))
	elif [ -n "$line" ]; then # each failing test with its diagnostics (the lines under it)
		awk '/^not ok|^failing:|TIMED OUT/ { p = 1; print; next } p && /^#/ { print; next } { p = 0 }' "$log" | head -n 60
	else tail -n 20 "$log"; fi # it broke before its summary: say how
done
echo "check-stress: $k of $n passed"
[ "$k" -eq "$n" ]
