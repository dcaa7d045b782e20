# tests/soak-lib.sh - what the soak tests (tests/soak-*.sh) share: sourced first, once
# SOAK (the name their lines and temporary directory begin with), SOAK_ROUNDS (ROUNDS'
# default) and SOAK_SRC (the file every completed copy must equal, below $T) are set.
# Takes BUILD_DIR [ROUNDS] from the script's arguments; sets B, ROUNDS, SEED (SOAK_SEED=N
# repeats a run: the seed is printed first), T (a temporary directory, removed at exit)
# and the counts rounds, exact, wrong, stuck that soak_summary reports; a script's
# loop sets round (the one judged) and rounds (how many began).
# shellcheck shell=bash
set -u -o pipefail
B=$(cd "${1:?usage: $(basename "$0") BUILD_DIR [ROUNDS]}" && pwd)
ROUNDS=${2:-$SOAK_ROUNDS}
SEED=${SOAK_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "$SOAK: seed $SEED (SOAK_SEED=$SEED repeats it), $ROUNDS rounds"
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-$SOAK.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
round=0 rounds=0 exact=0 wrong=0 stuck=0

# wait_until SECONDS CMD...: CMD every 10 ms until it succeeds; 1 after SECONDS
wait_until() {
	local limit=$(($1 * 100)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -gt $limit ] && return 1
		sleep 0.01
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# partial: the path of the --resume partial in $T/out (the first, should there be more)
partial() { local f=("$T/out/".zcp-partial-????????????????); echo "${f[0]}"; }
# stored_over N: the partial holds more than N bytes (allocated: --streams sizes it first)
stored_over() { [ "$(($(stat -c %b "$(partial)" 2>/dev/null || echo 0) * 512))" -gt "$1" ]; }

# judge RC WHAT: a run that exited 0 ($round's, WHAT says how) has SOAK_SRC, byte for byte
judge() {
	[ "$1" -eq 0 ] || return 1
	if cmp -s "$T/$SOAK_SRC" "$T/out/out"; then exact=$((exact + 1)); else
		wrong=$((wrong + 1)); echo "$SOAK: round $round: exit 0 with wrong bytes ($2)"; fi
	return 0
}
# continue_until_whole TRIES SECS STREAMS ADDR: zcp-recv --resume from ADDR into $T/out/out
# again, with --streams STREAMS every other try (the first), each try bounded by SECS,
# until one completes (judged) or TRIES ran out: then the round counts as stuck. Sets RC.
continue_until_whole() {
	local tries=$1 secs=$2 streams=$3 addr=$4 try args
	for try in $(seq 1 "$tries"); do
		if [ $((try % 2)) -eq 1 ]; then args=(--streams "$streams"); else args=(); fi
		timeout "$secs" "$B/zcp-recv" -q --resume -c "$addr" -o "$T/out/out" "${args[@]}" 2>>"$T/recv.err"
		RC=$?
		judge "$RC" "continued ${args[*]:-in one stream}" && return 0
	done
	stuck=$((stuck + 1))
	echo "$SOAK: round $round: never completed (last exit $RC); its last errors:"
	tail -n 5 "$T/recv.err" | sed "s/^/$SOAK:   /"
}
# soak_summary: the counts said; fails on any wrong or stuck round
soak_summary() {
	echo "$SOAK: $rounds rounds, $exact byte-exact, $wrong wrong, $stuck never completed"
	[ $wrong -eq 0 ] && [ $stuck -eq 0 ]
}
