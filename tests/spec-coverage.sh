#!/bin/sh
# spec-coverage.sh SPEC.md PATH... - every clause of SPEC.md must be cited by a test.
# A clause is defined by a line starting with **X-n**. It is cited by a line under
# PATH that says "SPEC" followed by ids (SPEC W-5 W-6), or by a Check test named
# after it (START_TEST(w5_...)). Fails, listing them, on uncited clauses and on
# citations of clauses that do not exist.
set -eu
spec=${1:?usage: spec-coverage.sh SPEC.md PATH...}
shift
defined=$(sed -n 's/^\*\*\([A-Z]-[0-9][0-9]*\)\*\*.*/\1/p' "$spec" | sort -u)
[ -n "$defined" ] || { echo "spec-coverage: no clauses found in $spec" >&2; exit 1; }
cited=$( { grep -rhoE 'SPEC( [A-Z]-[0-9]+)+' "$@" | grep -oE '[A-Z]-[0-9]+';
	   grep -rhoE 'START_TEST\([a-z][0-9]+_' "$@" | sed -E 's/START_TEST\(([a-z])([0-9]+)_/\1-\2/' |
	   tr a-z A-Z; } | sort -u)
uncited=$(printf '%s\n' "$defined" | grep -vxF "$cited" || true)
unknown=$(printf '%s\n' "$cited" | grep -vxF "$defined" | grep . || true)
status=0
if [ -n "$uncited" ]; then
	echo "spec-coverage: clauses no test cites:" $uncited
	status=1
fi
if [ -n "$unknown" ]; then
	echo "spec-coverage: tests cite clauses $spec does not define:" $unknown
	status=1
fi
[ $status -eq 0 ] && echo "spec-coverage: all $(printf '%s\n' "$defined" | wc -l) clauses of $spec are cited"
exit $status
