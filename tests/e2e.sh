#!/usr/bin/env bash
# tests/e2e.sh BUILD_DIR [PLAIN_BUILD_DIR] - every end-to-end suite of tests/e2e/ in turn
# (the real zcp-send and zcp-recv over loopback), then "e2e: N passed, N failed" summed
# over them. Each suite runs alone too: bash tests/e2e/NAME.sh BUILD_DIR [PLAIN_BUILD_DIR].
# E2E_SUITES="NAME..." runs only those suites; E2E_ONLY=REGEX only the matching tests.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The suites, in the order make check runs them (tests/e2e/suites).
suites=${E2E_SUITES:-$(sed -n 's/^\([a-z0-9_-]*\) [0-9]*$/\1/p' "$here/e2e/suites")}
log=$(mktemp); trap 'rm -f "$log"' EXIT
pass=0 fail=0
for s in $suites; do
	# a failing status with failures counted is theirs; without, the suite itself broke
	bash "$here/e2e/$s.sh" "$@" | tee "$log" || grep -qE "^$s: [0-9]+ passed, [1-9]" "$log" ||
		{ echo "$s: broken (no summary counting its failure)"; fail=$((fail + 1)); }
	line=$(grep -E "^$s: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1)
	[ -n "$line" ] || continue
	p=${line#*: }; p=${p%% *}; f=${line#*passed, }; f=${f%% *}
	pass=$((pass + p)); fail=$((fail + f))
done
echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
