#!/bin/sh
# run.sh AFL_BUILD_DIR SECONDS [TARGET...] - run each target under afl-fuzz for SECONDS,
# non-interactively, then print execs, execs/s, corpus size, coverage, crashes and hangs
# per target. Exits non-zero if any crash or hang was found, naming the reproducers.
# Findings stay in build/fuzz-out/TARGET/ (make fuzz-merge folds them into the corpus).
# FUZZ_EXECS=N also stops each target after N executions (for long local runs).
set -u
B=$(cd "${1:?usage: run.sh AFL_BUILD_DIR SECONDS [TARGET...]}" && pwd)
SECS=${2:?seconds}
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
TARGETS=${*:-request response ack stream opts http httpc}
OUT=$B/../fuzz-out
mkdir -p "$OUT"
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1 AFL_QUIET=1 AFL_SUPPRESS_COREDUMPS=1
found=0
printf '%-9s %12s %9s %7s %9s %8s %6s\n' target execs execs/s corpus coverage crashes hangs
for t in $TARGETS; do
	case $t in opts | http | httpc) dict=$t ;; *) dict=frames ;; esac
	rm -rf "${OUT:?}/$t"
	afl-fuzz -i "$HERE/corpus/$t" -o "$OUT/$t" -x "$HERE/dict/$dict.dict" -V "$SECS" \
		${FUZZ_EXECS:+-E "$FUZZ_EXECS"} \
		-m none -t 1000 -- "$B/afl_$t" >"$OUT/$t.log" 2>&1
	stats=$OUT/$t/default/fuzzer_stats
	if [ ! -f "$stats" ]; then
		echo "$t: afl-fuzz did not start; see $OUT/$t.log" >&2
		tail -n 5 "$OUT/$t.log" >&2
		found=1
		continue
	fi
	get() { sed -n "s/^$1 *: *//p" "$stats"; }
	crashes=$(find "$OUT/$t/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
	hangs=$(find "$OUT/$t/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
	printf '%-9s %12s %9s %7s %9s %8s %6s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" \
		"$(get corpus_count)" "$(get bitmap_cvg)" "$crashes" "$hangs"
	if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
		found=1
		for f in "$OUT/$t/default/crashes"/id:* "$OUT/$t/default/hangs"/id:*; do
			[ -f "$f" ] && echo "  reproducer: $f (replay: build/fuzz/replay_$t '$f')"
		done
	fi
done
if [ $found -ne 0 ]; then
	echo "fuzz: findings above; add each to fuzz/regressions/TARGET/ with a unit test, then fix" >&2
	exit 1
fi
echo "fuzz: no crashes, no hangs"
