#!/usr/bin/env bash
# Soak test of --resume over HTTP (SPEC G-10 G-11 R-20): ROUNDS rounds of a 32 MiB fetch
# from nginx (each connection held to 16 MiB/s), each run killed (SIGKILL or SIGINT)
# at a random moment, alternately in one stream and with --streams, then continued
# until complete; every fourth round the file is replaced on the server (a new mtime,
# so a new ETag) between the cut and the next run, which must start over. Every
# completed file is compared with what the server holds: an exit 0 with wrong bytes is
# a failure, and so is a round that never completes.
# Usage: tests/soak-hget.sh BUILD_DIR [ROUNDS]   (ROUNDS defaults to 20; SOAK_SEED=N
# repeats a run). Every wait is on an event, bounded. Exits 1 on any wrong or stuck round.
set -u -o pipefail
B=$(cd "${1:?usage: soak-hget.sh BUILD_DIR [ROUNDS]}" && pwd)
ROUNDS=${2:-20}
SEED=${SOAK_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
echo "soak-hget: seed $SEED (SOAK_SEED=$SEED repeats it), $ROUNDS rounds"
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-soak-hget.XXXXXX")
SIZE=$((32 << 20))
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

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
# stored_over N: the partial holds more than N bytes (allocated: --streams sizes it first)
stored_over() {
	local f=("$T/out/".zcp-partial-????????????????)
	[ "$(($(stat -c %b "${f[0]}" 2>/dev/null || echo 0) * 512))" -gt "$1" ]
}
# replace: new bytes on the server, under a new mtime (nginx's ETag is mtime and size)
replace() {
	head -c $SIZE /dev/urandom >"$T/www/new" && touch -d "@$((1000000000 + round))" "$T/www/new" &&
		mv "$T/www/new" "$T/www/src.bin"
}

mkdir -p "$T/www" "$T/nginx"
round=0; replace
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/nginx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1;
pid $T/nginx/pid; error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off; client_body_temp_path $T/nginx; proxy_temp_path $T/nginx;
	fastcgi_temp_path $T/nginx; uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
	server { listen 127.0.0.1:$PORT; root $T/www; limit_rate 16m; }
}
EOF
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/stderr" &
wait_until 10 curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$PORT/src.bin" || { echo "soak-hget: no nginx"; exit 2; }
URL="http://127.0.0.1:$PORT/src.bin"

rounds=0 exact=0 wrong=0 stuck=0
# judge RC WHAT: a run that exited 0 has the server's file, byte for byte
judge() {
	[ "$1" -eq 0 ] || return 1
	if cmp -s "$T/www/src.bin" "$T/out/out"; then exact=$((exact + 1)); else
		wrong=$((wrong + 1)); echo "soak-hget: round $round: exit 0 with wrong bytes ($2)"; fi
	return 0
}
for round in $(seq 1 "$ROUNDS"); do
	rounds=$round
	rm -rf "$T/out" && mkdir -p "$T/out"
	if [ $((round % 2)) -eq 0 ]; then args=(--streams 3); else args=(); fi
	at=$((RANDOM % 90 + 1))
	"$B/zcp-recv" -q --resume -c "$URL" -o "$T/out/out" "${args[@]}" 2>>"$T/recv.err" &
	p=$!
	wait_until 60 stored_over $((SIZE * at / 100)) || wait_until 1 gone "$p"
	if [ $((RANDOM % 2)) -eq 0 ]; then how="kill"; kill -9 "$p" 2>/dev/null; else how="int"; kill -INT "$p" 2>/dev/null; fi
	wait_until 60 gone "$p" || kill -9 "$p"
	wait "$p" 2>/dev/null; RC=$?
	echo "round $round: $how at ${at}% (${args[*]:-one stream}): exit $RC"
	judge "$RC" "interrupted" && continue
	[ $((round % 4)) -eq 0 ] && replace
	for try in $(seq 1 10); do # continued until complete, with and without --streams
		if [ $((try % 2)) -eq 1 ]; then args=(--streams 3); else args=(); fi
		timeout 120 "$B/zcp-recv" -q --resume -c "$URL" -o "$T/out/out" "${args[@]}" 2>>"$T/recv.err"
		RC=$?
		judge "$RC" "continued ${args[*]:-in one stream}" && break
	done
	if [ "$RC" -ne 0 ]; then
		stuck=$((stuck + 1))
		echo "soak-hget: round $round: never completed (last exit $RC); its last errors:"
		tail -n 5 "$T/recv.err" | sed 's/^/soak-hget:   /'
	fi
done
echo "soak-hget: $rounds rounds, $exact byte-exact, $wrong wrong, $stuck never completed"
[ $wrong -eq 0 ] && [ $stuck -eq 0 ]
