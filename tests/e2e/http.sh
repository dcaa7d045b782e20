#!/usr/bin/env bash
# tests/e2e/http.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: zcp-send as an HTTP/1.1 origin
# (SPEC H) for real clients nobody here wrote: curl, wget, aria2c, Python's urllib and a
# libtorrent web seed download (tests/webseed.py), each byte-exact, over HTTP and HTTPS,
# beside ZCP/1 on the same listener. Hostile clients are tests/e2e/http-hostile.sh.
# Runs alone (make check T=http) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

SIZE=$(stat -c %s "$T/data.bin")
# Debian's python3: the one with its modules (libtorrent), whatever PATH says
PY=/usr/bin/python3
# hc ARGS...: curl, bounded, quiet but for its errors
hc() { timeout 60 curl -sS --max-time 50 "$@"; }
# httpc ARGS...: a scripted raw HTTP client (tests/httpc.py), bounded
httpc() { timeout 60 "$PY" "$HERE/httpc.py" "$@"; }
# serve ARGS...: zcp-send of ARGS in the background (start_send); U is its base URL
serve() { start_send "$@" && U="http://127.0.0.1:$PORT"; }
# stop: the server of serve ends (a stop, S-15) with status 0 (sanitizers' reports included)
stop() { local p; p=$(tracee "$SPID") && kill "$p" && wait "$SPID"; }
# header NAME FILE: the value of header NAME in the response head FILE (curl -D), CR dropped
header() { tr -d '\r' <"$2" | sed -n "s/^$1: *//Ip" | tail -n 1; }
# status FILE: the status code of the last response head in FILE
status() { tr -d '\r' <"$1" | sed -n 's/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' | tail -n 1; }
# same_bytes FILE OFFSET LENGTH: FILE is exactly LENGTH bytes of data.bin from OFFSET
same_bytes() { [ "$(stat -c %s "$1")" -eq "$3" ] && cmp -s -i "$2:0" -n "$3" "$T/data.bin" "$1"; }
# get CODE URL CURL-ARGS...: curl fetches URL into $T/body (head in $T/head) and is answered CODE
get() {
	local want=$1 url=$2 code; shift 2
	rm -f "$T/body" "$T/head"
	code=$(hc -o "$T/body" -D "$T/head" -w '%{http_code}' "$@" "$url") || return 1
	[ "$code" = "$want" ] || { echo "curl: status $code, want $want"; cat "$T/head"; return 1; }
	[ -e "$T/body" ] || : >"$T/body"
}
# logged REGEX [REGEX]: the server's log has a transfer line matching REGEX (and the second)
logged() { grep -E "$1" "$T/send.err" | grep -Eq "${2:-}"; }
# http CODE: the log fields of an answered GET (H-9), as an extended regex
http() { echo " proto=http method=GET status=$1( |\$)"; }

# A root to serve (SPEC S-12 through H-2): files, a directory, a FIFO, a link out, an empty file
R="$T/root"
mkdir -p "$R/sub" && cp "$T/data.bin" "$R/data.bin" && head -c 70000 /dev/urandom >"$R/sub/small.bin"
mkfifo "$R/fifo"; : >"$R/empty.bin"; ln -s /etc/passwd "$R/passwd-link"

# --- whole files (SPEC H-2 H-5 H-9 H-12)
t_whole_single() {
	serve "$T/data.bin" && get 200 "$U/data.bin" && same_bytes "$T/body" 0 "$SIZE" &&
	[ "$(header content-length "$T/head")" = "$SIZE" ] && [ "$(header accept-ranges "$T/head")" = bytes ] &&
	header etag "$T/head" | grep -Eq '^"[0-9a-f]{32}"$' && [ -n "$(header last-modified "$T/head")" ] &&
	[ -n "$(header date "$T/head")" ] && header server "$T/head" | grep -q '^zcp/' &&
	[ "$(header content-type "$T/head")" = application/octet-stream ] &&
	get 200 "$U/" && same_bytes "$T/body" 0 "$SIZE" &&
	get 404 "$U/other.bin" && stop
}
check "curl: a single-file sender answers / and /NAME whole (200, byte-exact) with Content-Length, Accept-Ranges, ETag, Last-Modified, Date, Server, Content-Type; another name 404  # SPEC H-2 H-5 H-9 H-12" t_whole_single
t_whole_root() {
	serve --root "$R" && get 200 "$U/data.bin" && same_bytes "$T/body" 0 "$SIZE" &&
	get 200 "$U/sub/small.bin" && cmp -s "$T/body" "$R/sub/small.bin" &&
	get 200 "$U/sub/sm%61ll.bin?x=1" && cmp -s "$T/body" "$R/sub/small.bin" &&
	get 404 "$U/" && stop
}
check "curl --root: names under the root, percent-decoded, the query ignored, byte-exact; / is 404  # SPEC H-2" t_whole_root

# --- ranges (SPEC H-4)
# ranged RANGE CODE OFFSET LENGTH: Range: RANGE is answered CODE with LENGTH bytes from OFFSET
ranged() {
	serve "$T/data.bin" && get "$2" "$U/data.bin" -H "Range: $1" && same_bytes "$T/body" "$3" "$4" &&
	if [ "$2" = 206 ]; then
		[ "$(header content-range "$T/head")" = "bytes $3-$(($3 + $4 - 1))/$SIZE" ]
	fi && [ "$(header content-length "$T/head")" = "$4" ] && stop
}
check "Range bytes=a-b: 206, Content-Range, byte-exact  # SPEC H-4" ranged bytes=1000-1999 206 1000 1000
check "Range bytes=a-: 206 to the end, byte-exact  # SPEC H-4" ranged bytes=4000000- 206 4000000 $((SIZE - 4000000))
check "Range bytes=-n: 206, the last n bytes, byte-exact  # SPEC H-4" ranged bytes=-12345 206 $((SIZE - 12345)) 12345
check "Range bytes=a-b with b past the end: cut to SIZE-1, 206, byte-exact  # SPEC H-4" ranged bytes=4999000-99999999 206 4999000 1000
check "Range with several ranges: 200 and the whole file  # SPEC H-4" ranged bytes=0-9,20-29 200 0 "$SIZE"
check "Range with another unit: ignored, 200 whole  # SPEC H-4" ranged items=0-9 200 0 "$SIZE"
check "Range with bad syntax: ignored, 200 whole  # SPEC H-4" ranged bytes=9-x 200 0 "$SIZE"
t_unsatisfiable() {
	serve --root "$R" || return 1
	local r
	for r in "$SIZE-" "$((SIZE + 5))-$((SIZE + 9))" "-0"; do
		if ! { get 416 "$U/data.bin" -H "Range: bytes=$r" && [ ! -s "$T/body" ] &&
			[ "$(header content-range "$T/head")" = "bytes */$SIZE" ]; }; then echo "range $r"; return 1; fi
	done
	get 416 "$U/empty.bin" -H "Range: bytes=0-" && [ "$(header content-range "$T/head")" = "bytes */0" ] && stop
}
check "Range unsatisfiable (a >= SIZE, -0, any range of an empty file): 416 with Content-Range bytes */SIZE, no body  # SPEC H-4" t_unsatisfiable

# --- HEAD, validators, conditional requests (SPEC H-3 H-5)
t_head() {
	serve "$T/data.bin" && get 200 "$U/data.bin" -I && [ "$(header content-length "$T/head")" = "$SIZE" ] &&
	header etag "$T/head" | grep -Eq '^"[0-9a-f]{32}"$' &&
	printf 'HEAD /data.bin HTTP/1.1\r\nHost: zcp\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n' |
		httpc ask "$PORT" 20 >"$T/raw" && head -n 1 "$T/raw" | grep -q '^HTTP/1.1 200 ' &&
	grep -q "^Content-Length: $SIZE"$'\r'"\$" "$T/raw" &&
	[ "$(tail -c 4 "$T/raw" | od -An -tx1 | tr -d ' ')" = 0d0a0d0a ] && stop
}
check "HEAD: 200, the GET's headers (Content-Length SIZE, ETag), no body, Range ignored  # SPEC H-3 H-4 H-5" t_head
t_if_range() {
	serve "$T/data.bin" && get 200 "$U/data.bin" -I || return 1
	local etag lm; etag=$(header etag "$T/head"); lm=$(header last-modified "$T/head")
	get 206 "$U/data.bin" -H "Range: bytes=100-199" -H "If-Range: $etag" && same_bytes "$T/body" 100 100 &&
	get 200 "$U/data.bin" -H "Range: bytes=100-199" -H "If-Range: $lm" && same_bytes "$T/body" 0 "$SIZE" &&
	get 200 "$U/data.bin" -H "Range: bytes=100-199" -H 'If-Range: "00000000000000000000000000000000"' &&
	same_bytes "$T/body" 0 "$SIZE" &&
	get 200 "$U/data.bin" -H "Range: bytes=100-199" -H 'If-Range: Thu, 01 Jan 1998 00:00:00 GMT' &&
	same_bytes "$T/body" 0 "$SIZE" && stop
}
check "If-Range with the ETag: 206; with a date (even the Last-Modified: not a strong validator) or a stale tag: 200 whole, byte-exact  # SPEC H-5" t_if_range
t_not_modified() {
	serve "$T/data.bin" && get 200 "$U/data.bin" -I || return 1
	local etag lm; etag=$(header etag "$T/head"); lm=$(header last-modified "$T/head")
	get 304 "$U/data.bin" -H "If-None-Match: $etag" && [ ! -s "$T/body" ] &&
	[ "$(header etag "$T/head")" = "$etag" ] && [ "$(header last-modified "$T/head")" = "$lm" ] &&
	get 304 "$U/data.bin" -H "If-None-Match: \"x\", W/$etag" && [ ! -s "$T/body" ] &&
	get 304 "$U/data.bin" -H 'If-None-Match: *' && [ ! -s "$T/body" ] &&
	get 304 "$U/data.bin" -I -H "If-None-Match: $etag" &&
	get 304 "$U/data.bin" -H "If-Modified-Since: $lm" && [ ! -s "$T/body" ] &&
	get 200 "$U/data.bin" -H 'If-None-Match: "other"' && same_bytes "$T/body" 0 "$SIZE" &&
	get 200 "$U/data.bin" -H 'If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT' && same_bytes "$T/body" 0 "$SIZE" && stop
}
check "If-None-Match (strong, weak, *) and If-Modified-Since: 304 with ETag and Last-Modified, no body; others 200 whole  # SPEC H-5" t_not_modified

# --- connections (SPEC H-7)
t_keepalive() {
	serve --root "$R" || return 1
	hc -w '%{http_code} %{num_connects}\n' -o "$T/k1" "$U/data.bin" -o "$T/k2" "$U/sub/small.bin" >"$T/conns" &&
	[ "$(cat "$T/conns")" = "$(printf '200 1\n200 0')" ] && cmp -s "$T/k1" "$T/data.bin" && cmp -s "$T/k2" "$R/sub/small.bin" &&
	[ "$(grep -E ' proto=http( |$)' "$T/send.err" | sed 's/.* peer=\([^ ]*\) .*/\1/' | sort -u | wc -l)" -eq 1 ] && stop
}
check "curl URL1 URL2: both byte-exact on one kept-alive connection (the second made no connect; one peer in the log)  # SPEC H-7" t_keepalive
t_conn_close() {
	serve "$T/data.bin" && get 200 "$U/data.bin" -H 'Connection: close' && same_bytes "$T/body" 0 "$SIZE" &&
	[ "$(header connection "$T/head")" = close ] &&
	printf 'GET /data.bin HTTP/1.1\r\nHost: zcp\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n' |
		httpc ask "$PORT" 20 >"$T/raw" && head -n 1 "$T/raw" | grep -q '^HTTP/1.1 206 ' && stop
}
check "Connection: close: the answer says so and the server closes after it  # SPEC H-7" t_conn_close
t_http10() {
	serve "$T/data.bin" && get 200 "$U/data.bin" -0 && same_bytes "$T/body" 0 "$SIZE" &&
	printf 'GET /data.bin HTTP/1.0\r\nRange: bytes=10-19\r\n\r\n' | httpc ask "$PORT" 20 >"$T/raw" &&
	head -n 1 "$T/raw" | grep -q '^HTTP/1.[01] 206 ' && [ "$(tail -c 10 "$T/raw" | od -An -tx1)" = "$(tail -c +11 "$T/data.bin" | head -c 10 | od -An -tx1)" ] &&
	logged "$(http 206)" && stop
}
check "HTTP/1.0 (curl -0): 200 byte-exact; a 1.0 request without keep-alive is closed after its answer  # SPEC H-3 H-7" t_http10

# --- refusals (SPEC H-2 H-3)
t_not_found() {
	serve --root "$R" || return 1
	local p
	for p in missing.bin ../etc/passwd %2e%2e/etc/passwd sub/%2e%2e/%2e%2e/etc/passwd sub sub/ fifo passwd-link; do
		if ! { get 404 "$U/$p" --path-as-is && [ ! -s "$T/body" ]; }; then echo "/$p"; return 1; fi
	done
	stop
}
check "404: a missing name, an escape (/../ and %2e%2e, --path-as-is), a directory, a FIFO, a link out of the root  # SPEC H-2 H-6" t_not_found
t_method() {
	serve "$T/data.bin" && get 405 "$U/data.bin" -X POST && [ "$(header allow "$T/head")" = "GET, HEAD" ] &&
	[ "$(header content-length "$T/head")" = 0 ] && [ "$(header connection "$T/head")" = close ] &&
	get 405 "$U/data.bin" -X DELETE && [ "$(header allow "$T/head")" = "GET, HEAD" ] && stop
}
check "POST, DELETE: 405 with Allow: GET, HEAD, Content-Length: 0, Connection: close  # SPEC H-3 H-6" t_method
t_log_line() {
	serve "$T/data.bin" && get 206 "$U/data.bin" -H 'Range: bytes=100-1099' &&
	wait_until 10 logged "$(http 206)" ' bytes=1000 ' &&
	get 404 "$U/nothing" && wait_until 10 logged "$(http 404)" && stop
}
check "the transfer line says proto=http method=GET status=206 and the bytes sent; a 404 is logged too  # SPEC H-9 S-17" t_log_line

# --- other clients (SPEC H-4 H-9)
t_wget_resume() {
	serve "$T/data.bin" && head -c 1234567 "$T/data.bin" >"$T/wget.out" &&
	timeout 60 wget -q -c -T 30 -O "$T/wget.out" "$U/data.bin" && cmp "$T/data.bin" "$T/wget.out" &&
	logged "$(http 206)" && stop
}
check "wget -c resumes a cut download with a range (206), byte-exact  # SPEC H-4" t_wget_resume
t_aria2() {
	head -c $((17 * 1048576)) /dev/urandom >"$R/big.bin" && serve --root "$R" &&
	timeout 60 aria2c -q -x4 -s4 -k1M --file-allocation=none --allow-overwrite=true --auto-file-renaming=false \
		--max-tries=1 --timeout=30 -d "$T" -o aria.out "$U/big.bin" && cmp "$R/big.bin" "$T/aria.out" &&
	[ "$(grep -E ' proto=http( |$)' "$T/send.err" | sed 's/.* peer=\([^ ]*\) .*/\1/' | sort -u | wc -l)" -ge 2 ] && stop
}
check "aria2c -x4 -s4 -k1M: a 17 MiB file split over several connections, byte-exact  # SPEC H-4 H-7" t_aria2
t_urllib() {
	serve "$T/data.bin" &&
	timeout 60 "$PY" -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=30).read())' "$U/data.bin" >"$T/py.out" &&
	cmp "$T/data.bin" "$T/py.out" && stop
}
check "Python urllib: byte-exact  # SPEC H-9" t_urllib
t_webseed() {
	head -c $((3 * 1048576 + 12345)) /dev/urandom >"$R/seeded.bin" && serve --root "$R" && mkdir -p "$T/bt" &&
	timeout 90 "$PY" "$HERE/webseed.py" "$R/seeded.bin" "$U/" "$T/bt" 60 &&
	cmp "$R/seeded.bin" "$T/bt/seeded.bin" && logged "$(http '20[06]')" ' name="?seeded[.]bin' && stop
}
check "BitTorrent web seed (BEP 19): libtorrent with no other peer downloads from zcp-send alone, every piece's SHA-1 checked, byte-exact  # SPEC H-4 H-7" t_webseed

# --- HTTPS (SPEC H-11)
K="$T/keys"; mkdir -p "$K"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj /CN=zcp-http-ca -keyout "$K/ca.key" -out "$K/ca.pem" 2>/dev/null &&
openssl req "${ec[@]}" -subj /CN=127.0.0.1 -keyout "$K/srv.key" -out "$K/srv.csr" 2>/dev/null &&
printf 'subjectAltName=IP:127.0.0.1\n' >"$K/ext" &&
openssl x509 -req -in "$K/srv.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial -days 2 \
	-extfile "$K/ext" -out "$K/srv.pem" 2>/dev/null
chmod 600 "$K"/*.key
CERT=(--cert "$K/srv.pem" --key "$K/srv.key")
t_https() {
	serve "${CERT[@]}" "$T/data.bin" &&
	get 200 "https://127.0.0.1:$PORT/data.bin" --cacert "$K/ca.pem" && same_bytes "$T/body" 0 "$SIZE" &&
	get 206 "https://127.0.0.1:$PORT/data.bin" --cacert "$K/ca.pem" -H 'Range: bytes=-100' &&
	same_bytes "$T/body" $((SIZE - 100)) 100 && logged " $(tls_said send sendfile) proto=http( |\$)" && stop
}
check "HTTPS: curl --cacert, whole and a range, byte-exact; the log says the path and tls= the machine gives (no kTLS: path=copy tls=user)  # SPEC H-11 T-6" t_https
t_plain_to_tls() {
	serve "${CERT[@]}" "$T/data.bin" && get 400 "$U/data.bin" && [ ! -s "$T/body" ] &&
	wait_until 10 logged 'result=auth-failed' &&
	get 200 "https://127.0.0.1:$PORT/data.bin" --cacert "$K/ca.pem" && same_bytes "$T/body" 0 "$SIZE" && stop
}
check "plain HTTP to the TLS listener: 400, result=auth-failed, and HTTPS still served  # SPEC H-11" t_plain_to_tls

# --- one listener, two protocols (SPEC H-1)
t_no_http() {
	serve --no-http "$T/data.bin" || return 1
	hc -o "$T/body" "$U/data.bin" && { echo "curl got an answer"; return 1; }
	zrecv -q -c "127.0.0.1:$PORT" -o "$T/nohttp.out" && cmp "$T/data.bin" "$T/nohttp.out" &&
	! logged ' proto=http( |$)' && stop
}
check "--no-http: curl gets no HTTP answer (fails), ZCP/1 still served byte-exact  # SPEC H-1" t_no_http
# has_bytes FILE: FILE exists and is not empty
has_bytes() { [ -s "$1" ]; }
t_both_protocols() {
	serve "$T/data.bin" || return 1
	# curl paces itself (its own behaviour) so that the ZCP/1 transfer runs while it is going
	hc --limit-rate 2M -o "$T/both.http" "$U/data.bin" & local c=$!
	wait_until 20 has_bytes "$T/both.http" &&
	zrecv -q -c "127.0.0.1:$PORT" -o "$T/both.zcp" && wait "$c" &&
	cmp "$T/data.bin" "$T/both.http" && cmp "$T/data.bin" "$T/both.zcp" &&
	logged "$(http 200)" && stop
}
check "curl and zcp-recv (ZCP/1) against the same listener at the same time: both byte-exact  # SPEC H-1" t_both_protocols

summary http
