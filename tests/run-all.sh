#!/bin/sh
# run-all.sh SANITIZER_BUILD_DIR BUILD_DIR [E2E_SUITE...] - everything `make check` runs, with
# one summary; with E2E_SUITE names (make check T=NAME), only those end-to-end suites.
# Unit and end-to-end tests use the sanitizer build; the strace self-test uses the plain
# build (LeakSanitizer cannot run under ptrace).
# Its last line is "check: N passed, N failed"; exit status 0 only if nothing failed.
set -u
B=${1:?usage: run-all.sh SANITIZER_BUILD_DIR BUILD_DIR}
PLAIN=${2:?usage: run-all.sh SANITIZER_BUILD_DIR BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# detect_stack_use_after_return: a pointer into a returned frame fails under gcc too, not only clang
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0 fail=0 broken=""
log=$(mktemp); trap 'rm -f "$log"' EXIT

# add_counts NAME: read "N passed, N failed" or Check's "Checks: N, Failures: F, Errors: E" from $log
add_counts() {
	line=$(grep -E 'Checks: [0-9]+|[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	case "$line" in
	*Checks:*)
		read -r checks failures errors <<EOF
$(echo "$line" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
EOF
		p=$((checks - failures - errors)); f=$((failures + errors)) ;;
	*passed*)
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | cut -d' ' -f1) ;;
	*) p=0; f=1 ;; # no summary at all: the runner itself broke
	esac
	pass=$((pass + p)); fail=$((fail + f))
}

run() { # run NAME CMD...: one suite, bounded by $limit or SUITE_TIMEOUT seconds (default 600)
	name=$1; shift
	echo "== $name"
	secs=${limit:-${SUITE_TIMEOUT:-600}}
	timeout "$secs" "$@" >"$log" 2>&1; rc=$?
	cat "$log"
	[ $rc -eq 124 ] && echo "$name: TIMED OUT after $secs s"
	add_counts
	if [ $rc -ne 0 ]; then
		broken="$broken $name"
		[ "$f" -eq 0 ] && fail=$((fail + 1)) # a crash after a clean summary still fails
	fi
}

# The end-to-end suites and their time limits (tests/e2e/suites); SUITE_TIMEOUT, when
# set, overrides them all. A suite file the list lacks would never run: that fails.
e2e_suites=$(sed -n 's/^\([a-z0-9_-]*\) \([0-9]*\)$/\1:\2/p' "$here/e2e/suites")
for f in "$here"/e2e/*.sh; do
	n=$(basename "$f" .sh)
	[ "$n" = lib ] || grep -q "^$n [0-9]*$" "$here/e2e/suites" ||
		{ echo "run-all.sh: tests/e2e/$n.sh is not listed in tests/e2e/suites"; exit 2; }
done
e2e() { # e2e NAME...: those suites; all of them without a name
	for s in $e2e_suites; do
		[ $# -eq 0 ] || case " $* " in *" ${s%:*} "*) ;; *) continue ;; esac
		limit=${SUITE_TIMEOUT:-${s#*:}} run "e2e-${s%:*}" bash "$here/e2e/${s%:*}.sh" "$B" "$PLAIN"
	done
}
units() { # the Check suites and the fuzz corpora's replays
	for t in "$B"/test_*; do
		case $t in *.*) continue ;; esac # build by-products (.d, .gcno, .gcda)
		[ -f "$t" ] && [ -x "$t" ] && run "$(basename "$t")" "$t"
	done
	for t in request response ack stream opts http httpc; do
		if [ -d "$here/../fuzz/regressions/$t" ]; then
			run "fuzz-replay-$t" "$B/../fuzz/replay_$t" "$here/../fuzz/corpus/$t" "$here/../fuzz/regressions/$t"
		else
			run "fuzz-replay-$t" "$B/../fuzz/replay_$t" "$here/../fuzz/corpus/$t"
		fi
	done
}
shift 2
if [ "${1:-}" = --units ]; then # make check-units: no end-to-end suite
	units
elif [ $# -gt 0 ]; then # make check T=NAME: only those end-to-end suites
	for s in "$@"; do
		if [ ! -f "$here/e2e/$s.sh" ] || [ "$s" = lib ]; then
			echo "run-all.sh: no end-to-end suite '$s' (tests/e2e/NAME.sh)"; exit 2
		fi
	done
	e2e "$@"
else
	units
	e2e
	run install sh "$here/install.sh" "$PLAIN"
	run trace-parse sh "$here/test-trace-parse.sh"
	run bench-stats python3 "$here/test_stats.py"
	run bench-http python3 "$here/test_bench_http.py" "$PLAIN"
	run bench-fetch python3 "$here/test_bench_fetch.py"
	run bench-runner python3 "$here/test_bench_runner.py"
	run bench-tls python3 "$here/test_bench_tls.py"
	run trace-verify-selftest bash "$here/../trace/verify.sh" "$PLAIN" --self-test
	run trace-verify-quick bash "$here/../trace/verify.sh" "$PLAIN" --quick
	run spec-coverage-selftest sh "$here/spec-coverage-selftest.sh"
	run spec-coverage sh -c "sh '$here/spec-coverage.sh' '$here/../SPEC.md' '$here' '$here/../trace' && echo '1 passed, 0 failed' || echo '0 passed, 1 failed'"
fi
[ -n "$broken" ] && echo "failing:$broken"
echo "check: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ -z "$broken" ]
