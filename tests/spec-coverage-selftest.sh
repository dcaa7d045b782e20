#!/bin/sh
# The coverage checker must fail on an uncited clause and on an unknown citation,
# and pass when every clause is cited. Prints "spec-coverage-selftest: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0
expect() { # expect STATUS DESC ARGS...
	want=$1 desc=$2; shift 2
	sh "$here/spec-coverage.sh" "$@" >"$t/out" 2>&1; got=$?
	if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); echo "ok - $desc"
	else fail=$((fail + 1)); echo "not ok - $desc (exit $got)"; sed 's/^/#   /' "$t/out"; fi
}
printf '**A-1** one.\n\n**A-2** two.\n\n**B-1** three.\n' >"$t/spec.md"
mkdir "$t/some" "$t/all" "$t/bogus"
# the word is passed as an argument so that this file cites nothing itself
printf '/* %s A-1 */\n%s(b1_thing)\n' SPEC START_TEST >"$t/some/test_x.c"
printf '/* %s A-1 A-2 */\n%s(b1_thing)\n' SPEC START_TEST >"$t/all/test_x.c"
printf '# %s A-1 A-2 B-1 C-9\n' SPEC >"$t/bogus/e2e.sh"
expect 1 "an uncited clause fails" "$t/spec.md" "$t/some"
grep -q 'A-2' "$t/out" || { fail=$((fail + 1)); echo "not ok - the uncited clause is named"; }
expect 0 "all clauses cited passes" "$t/spec.md" "$t/all"
expect 1 "a citation of an unknown clause fails" "$t/spec.md" "$t/bogus"
expect 1 "a spec without clauses fails" "$t/all/test_x.c" "$t/all"
# citations outside tests do not count: a constant's comment, a section heading,
# a C comment followed by something other than a test
mkdir "$t/notests"
printf '/* %s A-2 */\nstatic int table;\n/* %s A-1 */\n%s(b1_thing)\n' SPEC SPEC START_TEST >"$t/notests/test_x.c"
printf 'SIZE=24 # %s A-2\n# --- section (%s A-2)\ncheck "a test  # %s A-1" t_a\n' SPEC SPEC SPEC >"$t/notests/e2e.sh"
expect 1 "citations outside tests do not count" "$t/spec.md" "$t/notests"
grep -q 'A-2' "$t/out" || { fail=$((fail + 1)); echo "not ok - the clause cited only outside tests is named"; }
# and the forms that do count: inside a test body, a shell test's description
mkdir "$t/forms"
printf '%s(b1_thing)\n{\n\t/* %s A-2 */\n}\nEND_TEST\n' START_TEST SPEC >"$t/forms/test_x.c"
printf 'expect "x  # %s A-1" f\n' SPEC >"$t/forms/verify.sh"
expect 0 "a comment in a test body and an expect line count" "$t/spec.md" "$t/forms"
echo "spec-coverage-selftest: $pass passed, $fail failed"
[ $fail -eq 0 ]
