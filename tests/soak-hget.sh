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
SOAK=soak-hget SOAK_ROUNDS=20 SOAK_SRC=www/src.bin
# shellcheck source=tests/soak-lib.sh
. "$(dirname "$0")/soak-lib.sh"
SIZE=$((32 << 20))

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
	continue_until_whole 10 120 3 "$URL"
done
soak_summary
