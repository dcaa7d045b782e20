#!/bin/sh
# spec-coverage.sh SPEC.md PATH... - every clause of SPEC.md must be cited by a test.
# A clause is defined by a line starting with **X-n**. Only citations that belong to
# a test count:
#   C files  : "SPEC X-n ..." in the comment right before START_TEST(...) or in a
#              comment inside the test's body, and a test named after a clause
#              (START_TEST(w5_...));
#   sh files : "SPEC X-n ..." on a line that registers or reports a test: check,
#              expect, fault, ok, notok, or a desc= that one of them prints.
# Anything else (a constant's comment, a section heading) does not count. Fails,
# listing them, on uncited clauses and on citations of clauses that do not exist.
set -eu
spec=${1:?usage: spec-coverage.sh SPEC.md PATH...}
shift
defined=$(sed -n 's/^\*\*\([A-Z]-[0-9][0-9]*\)\*\*.*/\1/p' "$spec" | sort -u)
[ -n "$defined" ] || { echo "spec-coverage: no clauses found in $spec" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
cited=$(find "$@" \( -name '*.c' -o -name '*.sh' \) -exec awk -f "$here/spec-cite.awk" {} + |
	grep . | sort -u)
uncited=$(printf '%s\n' "$defined" | grep -vxF "$cited" || true)
unknown=$(printf '%s\n' "$cited" | grep -vxF "$defined" | grep . || true)
status=0
if [ -n "$uncited" ]; then
	echo "spec-coverage: clauses no test cites: $(echo "$uncited" | tr '\n' ' ')"
	status=1
fi
if [ -n "$unknown" ]; then
	echo "spec-coverage: tests cite clauses $spec does not define: $(echo "$unknown" | tr '\n' ' ')"
	status=1
fi
[ $status -eq 0 ] && echo "spec-coverage: all $(printf '%s\n' "$defined" | wc -l) clauses of $spec are cited"
exit $status
