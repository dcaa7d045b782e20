#!/usr/bin/env bash
# Soak test of --resume (SPEC R-20 R-21 R-18): ROUNDS rounds of a 256 MiB fetch, each
# interrupted at a random moment (SIGKILL, SIGINT, or its connections cut), then
# continued, alternately with and without --streams, until complete; every completed
# file is compared with the source. A run that exits 0 with wrong bytes is a failure.
# Usage: tests/soak-resume.sh BUILD_DIR [ROUNDS]   (ROUNDS defaults to 50;
# SOAK_SEED=N repeats a run: the seed is printed first). Every wait is on an event,
# bounded. Prints "soak: N rounds, N byte-exact, N wrong"; exits 1 on any wrong.
SOAK=soak SOAK_ROUNDS=50 SOAK_SRC=src.bin
# shellcheck source=tests/soak-lib.sh
. "$(dirname "$0")/soak-lib.sh"
SIZE=$((256 << 20))

# whole_size: the partial is sized to the whole file (a run in parts has begun)
whole_size() { [ "$(stat -c %s "$(partial)" 2>/dev/null || echo 0)" -eq $SIZE ]; }

start_send() {
	: >"$T/send.err"
	"$B/zcp-send" -l "127.0.0.1:${PORT:-0}" --workers 2 "$T/src.bin" 2>"$T/send.err" &
	SPID=$!
	wait_until 20 grep -q '^listening on ' "$T/send.err" || { echo "soak: zcp-send did not start"; exit 2; }
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/send.err" | head -n 1)
}
# cut: every connection to the sender is cut (ss -K), or else the sender restarts
cut() {
	if ! ss -K dst 127.0.0.1 dport = "$PORT" >/dev/null 2>&1 || ! wait_until 10 gone "$1"; then
		kill -9 "$SPID"; wait "$SPID" 2>/dev/null
		wait_until 20 gone "$1" || kill -9 "$1"
		start_send
	fi
}

# interrupted HOW ARGS...: zcp-recv ARGS in the background, interrupted by HOW once
# the partial holds a random share of the file; sets RC
interrupted() {
	local how=$1 at=$((RANDOM % 90 + 1)) p
	shift
	"$B/zcp-recv" -q --resume -c "127.0.0.1:$PORT" -o "$T/out/out" "$@" 2>>"$T/recv.err" &
	p=$!
	wait_until 120 stored_over $((SIZE * at / 100)) || wait_until 1 gone "$p"
	case $how in
	kill) kill -9 "$p" 2>/dev/null ;;
	int) kill -INT "$p" 2>/dev/null ;;
	cut) gone "$p" || cut "$p" ;;
	esac
	wait_until 120 gone "$p" || kill -9 "$p"
	wait "$p" 2>/dev/null; RC=$?
	echo "round $round: $how at ${at}% ($*): exit $RC"
}

head -c $SIZE /dev/urandom >"$T/src.bin"
start_send
for round in $(seq 1 "$ROUNDS"); do
	rounds=$round
	rm -rf "$T/out" && mkdir -p "$T/out"
	hows=(kill int cut)
	how=${hows[$((round % 3))]}
	# odd rounds begin in one stream and go on in parts: the first run in parts is
	# killed once the partial is sized to the whole file, before a part's count moves
	if [ $((round % 2)) -eq 1 ]; then
		interrupted "$how"
		judge "$RC" "one stream" && continue
		"$B/zcp-recv" -q --resume --streams 4 -c "127.0.0.1:$PORT" -o "$T/out/out" 2>>"$T/recv.err" &
		p=$!
		wait_until 120 whole_size || wait_until 1 gone "$p"
		kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; RC=$?
		judge "$RC" "in parts after one stream" && continue
	else
		interrupted "$how" --streams 4
		judge "$RC" "in parts" && continue
	fi
	continue_until_whole 20 300 4 "127.0.0.1:$PORT"
done
soak_summary
