#!/usr/bin/env bash
# tests/e2e/http-hostile.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: zcp-send's HTTP origin
# (SPEC H) against clients that misbehave, scripted on raw sockets (tests/httpc.py): a
# slowloris, a header bomb, request smuggling, 10,000 pipelined requests, ranges at 2^63,
# a client over --max-clients. No crash (the sanitizer build ends with status 0), no hang,
# no fd growth; real clients are tests/e2e/http.sh.
# Runs alone (make check T=http-hostile) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
hc() { timeout 60 curl -sS --max-time 50 "$@"; }
httpc() { timeout 90 "$PY" "$HERE/httpc.py" "$@"; }
# serve ARGS...: zcp-send of ARGS in the background (start_send); U is its URL, ZPID zcp-send's pid
serve() { start_send "$@" && U="http://127.0.0.1:$PORT/data.bin" && ZPID=$(tracee "$SPID"); }
# stop: the server ends at a stop (S-15) with status 0: it did not crash or leak
stop() { kill "$ZPID" && wait "$SPID"; }
# fds: how many descriptors zcp-send holds
fds() { find "/proc/$ZPID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
fds_are() { [ "$(fds)" -eq "$1" ]; }
# whole: curl still gets data.bin whole and byte-exact
whole() { hc -o "$T/whole.out" "$U" && cmp "$T/data.bin" "$T/whole.out"; }
# answer FILE CODE: the raw response FILE is exactly one response, status CODE, with
# Content-Length: 0 and Connection: close (H-6)
answer() {
	[ "$(grep -ac '^HTTP/1\.[01] ' "$1")" -eq 1 ] && head -n 1 "$1" | grep -q "^HTTP/1\.1 $2 " &&
	grep -aqi $'^Content-Length: 0\r$' "$1" && grep -aqi $'^Connection: close\r$' "$1" && return 0
	echo "want one $2 response with Content-Length: 0 and Connection: close, got:"; head -c 600 "$1" | cat -v; echo; return 1
}

# --- deadlines (SPEC H-8 H-6)
t_slowloris() {
	serve --header-timeout 3 "$T/data.bin" || return 1
	httpc dribble "$PORT" 0.3 30 >"$T/drip.out" & local d=$!
	wait_until 10 grep -q '^dribble: connected' "$T/drip.out" && whole && wait "$d" &&
	cat "$T/drip.out" && grep -q '^HTTP/1.1 408 ' "$T/drip.out" &&
	awk '/^dribble: closed after/ { n = $4 + 0; f = (n >= 2 && n < 13) } END { exit !f }' "$T/drip.out" && stop
}
check "slowloris: a head dribbled a byte every 0.3 s is cut at --header-timeout with 408 while curl downloads byte-exact  # SPEC H-8 H-6" t_slowloris

# --- heads the parser must refuse (SPEC H-6 H-3)
t_header_bomb() {
	serve "$T/data.bin" || return 1
	{ printf 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nX-Bomb: '; head -c 65536 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } |
		httpc ask "$PORT" 20 >"$T/bomb.out" && answer "$T/bomb.out" 431 && whole && stop
}
check "a 64 KiB header: 431, closed; the server goes on  # SPEC H-6" t_header_bomb
# refused CODE REQUEST: REQUEST (printf format) then a valid GET in the same send: only one
# answer, CODE, and the connection closed (the GET behind it is never read as a request)
refused() {
	serve "$T/data.bin" || return 1
	# shellcheck disable=SC2059 # the request is the format
	printf "$2"'GET /data.bin HTTP/1.1\r\nHost: zcp\r\n\r\n' | httpc ask "$PORT" 20 >"$T/ref.out" &&
	answer "$T/ref.out" "$1" && stop
}
refused_escapes() {
	refused 400 'GET /data%%zz.bin HTTP/1.1\r\nHost: zcp\r\n\r\n' && refused 400 'GET /data.bin%%00 HTTP/1.1\r\nHost: zcp\r\n\r\n'
}
check "smuggling: Content-Length: 5 on a GET: 400, closed, the bytes behind it never a request  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nContent-Length: 5\r\n\r\nhello'
check "smuggling: two Content-Length: 400, closed  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n'
check "smuggling: Transfer-Encoding: chunked: 400, closed  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
check "smuggling: an obs-fold line: 400, closed  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nX-A: b\r\n c\r\n\r\n'
check "smuggling: a bare CR: 400, closed  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nX-A: b\rc\r\n\r\n'
check "smuggling: whitespace before ':': 400, closed  # SPEC H-6" \
	refused 400 'GET /data.bin HTTP/1.1\r\nHost : zcp\r\n\r\n'
check "HTTP/1.1 without Host: 400, closed  # SPEC H-3" \
	refused 400 'GET /data.bin HTTP/1.1\r\nX-A: b\r\n\r\n'
check "another version: 505, closed  # SPEC H-3" \
	refused 505 'GET /data.bin HTTP/2.0\r\nHost: zcp\r\n\r\n'
check "a target over 4096 bytes: 414, closed  # SPEC H-6" \
	refused 414 "GET /$(head -c 5000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: zcp\r\n\r\n"
check "a bad percent escape and %00 in the target: 400, closed  # SPEC H-2 H-6" refused_escapes

# --- many requests (SPEC H-7)
# logged_206 N: the log has N lines of answered ranges (H-9)
logged_206() { [ "$(grep -c ' proto=http method=GET status=206' "$T/send.err")" -eq "$1" ]; }
t_close_lingers() { # the client sends more after a Connection: close response it has not read yet
	head -c 400000 /dev/urandom >"$T/linger.bin" && serve "$T/linger.bin" || return 1
	rm -f "$T/go"
	httpc linger "$PORT" /linger.bin "$T/go" 30 >"$T/linger.out" & local l=$!
	# the response is all in the sockets' buffers and the server has sent its end
	wait_until 20 grep -q '^linger: asked' "$T/linger.out" &&
	wait_until 20 eval "ss -Htn state fin-wait-1 state fin-wait-2 '( sport = :$PORT )' | grep -q ." &&
	touch "$T/go" && wait "$l" && cat "$T/linger.out" && grep -qx 'linger: body 400000' "$T/linger.out" &&
	wait_until 20 grep -q 'name=linger.bin .* status=200 result=ok' "$T/send.err" && stop
}
check "a Connection: close answer is not reset away by what the client sends after it: the server lingers, reading, until the client closes  # SPEC H-6" t_close_lingers
t_pipeline() {
	serve "$T/data.bin" || return 1
	local before; before=$(fds)
	httpc pipeline "$PORT" 10 1000 "$T/data.bin" && wait_until 10 fds_are "$before" &&
	wait_until 10 logged_206 10000 && whole && stop
}
check "10,000 pipelined GET / (10 connections x the 1000 a connection may ask, each in one send): all answered in order, each 1000th says Connection: close; no fd growth  # SPEC H-7" t_pipeline
t_pipeline_over() {
	serve "$T/data.bin" || return 1
	local before; before=$(fds)
	httpc pipeline "$PORT" 1 1000 "$T/data.bin" 10000 && wait_until 10 fds_are "$before" &&
	wait_until 10 logged_206 1000 && whole && stop
}
check "10,000 pipelined GET / in one send on one connection: the first 1000 answered in order, the 1000th says Connection: close, then the close (no reset eats an answer); no fd growth  # SPEC H-7" t_pipeline_over

# --- numbers at the edge (SPEC H-4)
t_big_ranges() {
	serve "$T/data.bin" || return 1
	local code
	code=$(hc -o "$T/big.out" -w '%{http_code}' -H 'Range: bytes=9223372036854775807-' "$U") && [ "$code" = 416 ] &&
	code=$(hc -o "$T/big.out" -w '%{http_code}' -H 'Range: bytes=0-18446744073709551616' "$U") && [ "$code" = 200 ] &&
	cmp "$T/data.bin" "$T/big.out" &&
	code=$(hc -o "$T/big.out" -w '%{http_code}' -H 'Range: bytes=-9223372036854775807' "$U") && [ "$code" = 206 ] &&
	cmp "$T/data.bin" "$T/big.out" &&
	code=$(hc -o "$T/big.out" -w '%{http_code}' -H 'Range: bytes=-9223372036854775808' "$U") && [ "$code" = 200 ] &&
	cmp "$T/data.bin" "$T/big.out" && whole && stop
}
check "Range at 2^63-1 (416; a suffix that long: 206 whole) and past it (2^63, 2^64: ignored, 200 whole): no overflow, no crash  # SPEC H-4" t_big_ranges

# --- over --max-clients (SPEC H-10)
# queued: a connection to PORT not yet accepted holds bytes (the request is there first)
queued() { ss -Htn state established "( sport = :$PORT )" | awk '$1 > 0 { f = 1 } END { exit !f }'; }
t_busy() {
	# the held connection is dropped at its header deadline, 5 s on: then the slot is free
	serve --max-clients 1 --header-timeout 5 "$T/data.bin" || return 1
	local before; before=$(fds)
	peer hold "$PORT" 30 >"$T/hold.out" & local h=$!
	wait_until 10 fds_are $((before + 1)) || return 1
	# zcp-send stopped while the request arrives: at its accept the first bytes are there
	kill -STOP "$ZPID"
	printf 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\n\r\n' | httpc ask "$PORT" 20 >"$T/busy.out" 2>"$T/busy.err" & local c=$!
	wait_until 10 queued; local q=$?
	kill -CONT "$ZPID"
	[ $q -eq 0 ] && wait "$c" && answer "$T/busy.out" 503 && grep -aqi $'^Retry-After: 1\r$' "$T/busy.out" &&
	# the request it never reads is dropped before the close, which then cannot reset the answer away
	{ ! grep -q reset "$T/busy.err" || { echo "the 503 ended with a reset"; false; }; } &&
	wait "$h" && wait_until 10 fds_are "$before" && whole && stop
}
check "over --max-clients: an HTTP client gets 503 with Retry-After: 1, Content-Length: 0, Connection: close, and a clean close (no reset)  # SPEC H-10" t_busy
# curl as it is: its request comes a moment after its connection, which zcp-send takes at once
t_busy_curl() {
	serve --max-clients 1 --header-timeout 5 "$T/data.bin" || return 1
	local before code; before=$(fds)
	peer hold "$PORT" 30 >"$T/hold.out" & local h=$!
	wait_until 10 fds_are $((before + 1)) || return 1
	code=$(hc -o /dev/null -w '%{http_code}' "$U" 2>"$T/busy.err")
	[ "$code" = 503 ] || { echo "curl over --max-clients: status $code, $(cat "$T/busy.err")"; return 1; }
	wait "$h" && wait_until 10 fds_are "$before" && whole && stop
}
check "over --max-clients: curl, whose request comes just after its connection, gets 503 (not ZCP/1's BUSY frame)  # SPEC H-10" t_busy_curl

# --- validators against a file replaced under the same name (SPEC H-5)
# a file replaced by another of the same size and mtime (as rsync -t, cp -p or tar x leave it):
# a resume that sends If-Range with the old Last-Modified must get the new file whole, never
# the new file's tail behind the old file's head
t_if_range_same_mtime() {
	local d="$T/ir" lm code
	mkdir -p "$d" && head -c 1000 /dev/zero | tr '\0' A >"$d/v.bin" && touch -d @1700000000 "$d/v.bin" &&
	serve --root "$d" || return 1
	local u="http://127.0.0.1:$PORT/v.bin"
	hc -o "$T/ir.1" -D "$T/ir.head" -H 'Range: bytes=0-499' "$u" &&
	lm=$(tr -d '\r' <"$T/ir.head" | sed -n 's/^Last-Modified: //Ip') && [ -n "$lm" ] &&
	head -c 1000 /dev/zero | tr '\0' B >"$d/v.new" && touch -d @1700000000 "$d/v.new" && mv "$d/v.new" "$d/v.bin" &&
	code=$(hc -o "$T/ir.2" -w '%{http_code}' -H 'Range: bytes=500-' -H "If-Range: $lm" "$u") &&
	{ [ "$code" = 200 ] && cmp "$d/v.bin" "$T/ir.2" || { echo "If-Range: $lm on the replaced file: $code, $(head -c 20 "$T/ir.2")"; false; }; } && stop
}
check "If-Range with the Last-Modified of a file since replaced by one of the same mtime: 200 whole, never a range of the new file  # SPEC H-5" t_if_range_same_mtime

# --- --count with kept-alive connections (SPEC S-7 H-8 H-9)
# --count 2: one response in flight (its client reads nothing before the gate), and on a
# second connection three requests in one send. H-8: the listener stops once two transfers
# ended; the response in flight then still finishes (a third line), but nothing new begins:
# the third request is never answered, and zcp-send ends with status 0
t_count_keepalive() {
	truncate -s 64M "$T/big.bin" && serve --count 2 "$T/big.bin" || return 1
	local before; before=$(fds)
	printf 'GET / HTTP/1.1\r\nHost: zcp\r\n\r\n' | httpc ask "$PORT" 60 "$T/gate" >/dev/null & local c=$!
	wait_until 20 fds_are $((before + 2)) && # its socket and the file: the response is going out
	printf 'GET / HTTP/1.1\r\nHost: zcp\r\nRange: bytes=0-0\r\n\r\nGET / HTTP/1.1\r\nHost: zcp\r\nRange: bytes=1-1\r\n\r\nGET / HTTP/1.1\r\nHost: zcp\r\nRange: bytes=2-2\r\n\r\n' |
		httpc ask "$PORT" 30 >"$T/three.out"; local a=$?
	touch "$T/gate" && wait "$c" && [ $a -eq 0 ] && wait "$SPID" || return 1
	if [ "$(grep -c ' proto=http ' "$T/send.err")" -gt 3 ] || [ "$(grep -ao 'HTTP/1\.1 [0-9][0-9][0-9] ' "$T/three.out" | wc -l)" -gt 2 ]; then
		echo "--count 2 served:"; grep ' proto=http ' "$T/send.err"; return 1
	fi
}
check "--count 2 with a response in flight and three pipelined requests on another connection: the response in flight finishes, the third request is never answered, status 0  # SPEC S-7 H-8 H-9" t_count_keepalive

# --- a stop (SPEC S-15 H-8)
# a connection taken before the stop whose first request comes after it: nothing more is
# answered on it than one response that says Connection: close (H-8: a stop closes kept-alive
# connections between requests; this one must not become one that goes on through the drain)
t_stop_then_request() {
	serve --drain 30 --header-timeout 5 "$T/data.bin" || return 1
	printf 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nRange: bytes=0-0\r\n\r\nGET /data.bin HTTP/1.1\r\nHost: zcp\r\nRange: bytes=1-1\r\n\r\n' |
		httpc later "$PORT" 30 "$T/stop.gate" >"$T/stop.out" & local c=$!
	wait_until 10 grep -q '^later: connected' "$T/stop.out" && kill "$ZPID" &&
	wait_until 10 grep -q 'draining' "$T/send.err" && touch "$T/stop.gate" && wait "$c" && wait "$SPID" || return 1
	local n; n=$(grep -ao 'HTTP/1\.1 [0-9][0-9][0-9] ' "$T/stop.out" | wc -l) # a body need not end its line
	[ "$n" -eq 0 ] || { [ "$n" -eq 1 ] && grep -aqi $'^Connection: close\r$' "$T/stop.out"; } ||
		{ echo "after the stop, $n answered:"; grep -ao 'HTTP/1\.1 [0-9]* \|Connection: [a-z-]*' "$T/stop.out"; false; }
}
check "a connection taken before a stop sends its requests after it: not served on as a kept-alive one through the drain  # SPEC S-15 H-8" t_stop_then_request

# a connection that has sent nothing when the stop comes (a browser's preconnect, a health
# check) has asked for nothing: it is closed at once, and the stop ends with status 0, not at
# the end of the drain with 143
t_stop_silent() {
	serve --drain 3 --header-timeout 20 "$T/data.bin" || return 1
	local before; before=$(fds)
	peer hold "$PORT" 30 >"$T/hold.out" & local h=$!
	wait_until 10 fds_are $((before + 1)) && kill "$ZPID" || return 1
	wait "$SPID"; local rc=$?
	kill "$h" 2>/dev/null; wait "$h" 2>/dev/null
	[ $rc -eq 0 ] || { echo "zcp-send: status $rc"; grep -v ' result=ok' "$T/send.err"; false; }
}
check "a stop with a connection that has sent nothing: closed at once, status 0 (not the drain cut, 143)  # SPEC S-15 H-8" t_stop_silent

summary http-hostile
