#!/usr/bin/env bash
# tests/e2e/hget.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: zcp-recv fetching over HTTP
# (SPEC G) from servers nobody here wrote (nginx, Python's http.server) and from a
# scripted hostile one (tests/httpd.py).
# Runs alone (make check T=hget) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

W="$T/www"; mkdir -p "$W"
mkdir -p "$W/slow"; cp "$T/data.bin" "$W/data.bin"; cp "$T/data.bin" "$W/slow/data.bin"

# free_port: a TCP port nothing listens on now (nginx cannot be told port 0)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_nginx: nginx serving $W on 127.0.0.1, in the foreground of a background job; sets NPORT
start_nginx() {
	NPORT=$(free_port); SPORT=$(free_port); LPORT=$(free_port)
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<-EOF
	daemon off; master_process off; worker_processes 1;
	pid $T/nginx/pid; error_log $T/nginx/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
		uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
		server {
			listen 127.0.0.1:$NPORT; root $W;
			location = /moved { return 302 /hop2; }
			location /slow/ { limit_rate 1m; }
			location /dated/ { etag off; }
			location = /hop2 { return 307 http://127.0.0.1:$PYPORT/data.bin; }
		}
		server {
			listen 127.0.0.1:$SPORT ssl; root $W;
			ssl_certificate $K/srv.pem; ssl_certificate_key $K/srv.key; ssl_protocols TLSv1.3;
			location = /down { return 302 http://127.0.0.1:$NPORT/data.bin; }
			location = /up { return 302 /data.bin; }
			location = /away { return 302 https://localhost:$LPORT/data.bin; }
		}
		server {
			listen 127.0.0.1:$LPORT ssl; root $W;
			ssl_certificate $K/loc.pem; ssl_certificate_key $K/loc.key; ssl_protocols TLSv1.3;
		}
	}
	EOF
	timeout -k 5 300 nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/stderr" &
	NPID=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$NPORT/data.bin"
}
# keys: a CA, a server certificate it signed for 127.0.0.1 (made here, as tls.sh does)
K="$T/keys"; mkdir -p "$K"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj /CN=hget-ca -keyout "$K/ca.key" -out "$K/ca.pem" 2>/dev/null
openssl req "${ec[@]}" -subj /CN=127.0.0.1 -keyout "$K/srv.key" -out "$K/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$K/ext"
openssl x509 -req -in "$K/srv.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial -days 2 \
	-extfile "$K/ext" -out "$K/srv.pem" 2>/dev/null
openssl req "${ec[@]}" -subj /CN=localhost -keyout "$K/loc.key" -out "$K/loc.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$K/loc-ext"
openssl x509 -req -in "$K/loc.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial -days 2 \
	-extfile "$K/loc-ext" -out "$K/loc.pem" 2>/dev/null
pin=$(printf 'sha256//%s' "$(openssl x509 -in "$K/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)")

# start_httpd MODE [CERT KEY]: tests/httpd.py breaking the rules as MODE says, serving data.bin
# (over TLS with CERT and KEY), or $HTTPD_FILE when set; sets PORT, FPID
start_httpd() {
	rm -f "$T/port.wait"
	timeout 60 python3 "$HERE/httpd.py" "$1" "${HTTPD_FILE:-$T/data.bin}" "$T/port.wait" "${@:2}" >"$T/fake.out" 2>&1 &
	FPID=$!
	wait_until 10 test -f "$T/port.wait" || return 1
	PORT=$(cat "$T/port.wait"); rm -f "$T/port.wait"
}

# pyhttp: Python's http.server on $W, which ignores Range; sets PYPORT, PYPID
start_pyhttp() {
	PYPORT=$(free_port)
	timeout 300 python3 -m http.server --bind 127.0.0.1 --directory "$W" "$PYPORT" >/dev/null 2>&1 &
	PYPID=$!
	wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$PYPORT/data.bin"
}
start_pyhttp
start_nginx

# --- (1) one stream, plain HTTP, the whole file
t_whole() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv -v -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/got.bin" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/got.bin" && grep -q 'received 5000000 bytes .*splice' "$T/err" &&
		only_entries "$T/o" got.bin
}
check "-c http://HOST:PORT/data.bin -o FILE from nginx: byte-exact, spliced  # SPEC G-1 G-3" t_whole

t_dir() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	cp "$T/data.bin" "$W/a%20b.bin"
	zrecv -c "http://127.0.0.1:$NPORT/a%2520b.bin?x=1" -o "$T/o/" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/a%20b.bin" && only_entries "$T/o" 'a%20b.bin' &&
		zrecv -p copy -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/data.bin"
}
check "-o DIR/: the URL's last segment, decoded, names the file; -p copy  # SPEC G-2 G-3" t_dir
t_dir_exists() {
	rm -rf "$T/o"; mkdir -p "$T/o"; echo old >"$T/o/data.bin"
	{ zrecv -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/" 2>"$T/err"; [ $? -eq 3 ]; } &&
		[ "$(cat "$T/o/data.bin")" = old ] &&
		zrecv --force --progress -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/data.bin" && grep -q '100%' "$T/err" && only_entries "$T/o" data.bin
}
check "-o DIR/ with the URL's file there: exit 3 unless --force, which replaces it; --progress  # SPEC G-2 R-4 C-10" t_dir_exists

t_404() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	{ zrecv -c "http://127.0.0.1:$NPORT/none.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 6 ]; } &&
		grep -q '^zcp-recv: 127.0.0.1:[0-9]*: the server answered 404' "$T/err" && only_entries "$T/o"
}
check "a 404: exit 6, one line naming the status, nothing stored  # SPEC G-4 E-1" t_404

t_usage() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	{ zrecv -c "http://127.0.0.1:$NPORT/" -o "$T/o/" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q 'names no file' "$T/err" &&
	{ zrecv -c "ftp://127.0.0.1:$NPORT/x" -o "$T/o/x" 2>"$T/err"; [ $? -eq 2 ]; } &&
	{ zrecv -c "http://u@127.0.0.1:$NPORT/x" -o "$T/o/x" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q "URL 'http://u@" "$T/err" &&
	{ zrecv --raw -c "http://127.0.0.1:$NPORT/x" -o "$T/o/x" 2>"$T/err"; [ $? -eq 2 ]; } &&
	{ zrecv --verify -c "http://127.0.0.1:$NPORT/x" -o "$T/o/x" 2>"$T/err"; [ $? -eq 2 ]; } &&
	{ zrecv --name x -c "http://127.0.0.1:$NPORT/x" -o "$T/o/x" 2>"$T/err"; [ $? -eq 2 ]; } &&
	{ zrecv --sha256 "$(printf '%064d' 0)" -c "http://127.0.0.1:$NPORT/x" -o - 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -q 'reads back what it stored' "$T/err" && only_entries "$T/o"
}
check "a URL refused, without a name for -o DIR/, or with --raw, --verify or --name; --sha256 into -o -: usage errors  # SPEC G-1 G-2 G-12 F-1" t_usage

# --- (2) the response checked before a byte is stored; hostile servers
# hostile MODE CODE REGEX [ARGS...]: zcp-recv against httpd.py MODE exits CODE, says REGEX
# on its one error line, and leaves nothing in the output directory
hostile() {
	local mode=$1 code=$2 re=$3; shift 3
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd "$mode" || return 1
	zrecv "$@" -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	[ $r -eq "$code" ] && [ "$(grep -c . "$T/err")" -eq 1 ] && grep -Eq "$re" "$T/err" && only_entries "$T/o"
}
check "a 206 to a request for the whole file: exit 5  # SPEC G-4" hostile crange 5 'answered 206'
check "Content-Length larger than the body (end of stream early): exit 5  # SPEC G-5" \
	hostile long 5 'closed after 5000000 of 5001000 bytes'
check "more bytes than Content-Length: exit 5  # SPEC G-5" hostile more 5 'more than (its )?Content-Length'
check "no Content-Length, no chunked framing: exit 5  # SPEC G-4" hostile nolength 5 'Content-Length'
check "a Content-Encoding other than identity: exit 5  # SPEC G-4" hostile encoded 5 'Content-Encoding'
check "a body slower than --timeout: exit 4  # SPEC G-5 P-10" hostile dribble 4 'timed out' --timeout 1
check "a head dribbled a field line at a time, faster than --timeout: exit 4, the head whole within --timeout  # SPEC G-5 P-13" \
	hostile headdrip 4 'timed out waiting for the response head' --timeout 1
check "a 1 MiB response head: exit 5  # SPEC G-4" hostile bighead 5 'head'
check "--max-size below Content-Length: exit 3 before a byte is stored  # SPEC G-4 R-12" \
	hostile long 3 'max-size' --max-size 1000
t_chunked() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd chunked || return 1
	zrecv -v -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/o/x" && grep -q 'chunked' "$T/err"
}
check "a chunked body: decoded on the copy path, said with -v  # SPEC G-6" t_chunked
t_stall_http() {
	start_httpd "$1" || return 1
	stall_out --timeout 2 -c "http://127.0.0.1:$PORT/data.bin" -o -; local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	[ $r -eq 0 ] && stalled "$2" '<stdout>'
}
check "a chunked body into a pipe nobody reads: exit 3 after --timeout 2, <stdout> named  # SPEC P-10 E-3 G-6" \
	t_stall_http chunked pwritev2
check "a Content-Length body into a pipe nobody reads: exit 3 after --timeout 2  # SPEC P-10 E-3 G-5" \
	t_stall_http close 'splice|pwritev2'
t_nowait_refused_http() { # MODE: RWF_NOWAIT refused for a pipe from the 2nd pwritev2 on (an empty
	# one, the old probe, always succeeds): the blocking write
	start_httpd "$1" || return 1
	zstrace -f -o /dev/null -e trace=pwritev2 -e inject=pwritev2:error=EOPNOTSUPP:when=2+ \
		"$B/zcp-recv" -v -p copy -c "http://127.0.0.1:$PORT/data.bin" -o - 2>"$T/err" | cat >"$T/out"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	[ $r -eq 0 ] && cmp "$T/out" "$T/data.bin" && grep -Eq 'syscalls: (.* )?write=[1-9]' "$T/err"
}
check "a chunked body into a pipe, the kernel refusing RWF_NOWAIT: the blocking write, every byte  # SPEC P-10 G-6" \
	t_nowait_refused_http chunked
check "a Content-Length body into a pipe, the kernel refusing RWF_NOWAIT: the blocking write, every byte  # SPEC P-10 G-5" \
	t_nowait_refused_http close
t_slow_http() { # MODE [RECV-ARGS...]
	head -c 655360 "$T/data.bin" >"$T/small.bin" && HTTPD_FILE=$T/small.bin start_httpd "$1" || return 1
	zrecv --timeout 2 "${@:2}" -c "http://127.0.0.1:$PORT/data.bin" -o - | slow_reader "$T/slow.out"; local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	[ $r -eq 0 ] && cmp "$T/small.bin" "$T/slow.out"
}
check "a chunked body into a slow reader (64 KiB every 0.5 s, 5 s in all) is not cut by --timeout 2  # SPEC P-10 G-6" \
	t_slow_http chunked
t_byte_a_second_http() {
	head -c 200000 "$T/data.bin" >"$T/small.bin" && HTTPD_FILE=$T/small.bin start_httpd chunked || return 1
	zrecv --timeout 2 -c "http://127.0.0.1:$PORT/data.bin" -o - 2>"$T/err" | byte_reader "$T/slow.out"
	local r=${PIPESTATUS[0]}
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	[ "$r" -eq 0 ] && cmp "$T/small.bin" "$T/slow.out"
}
check "a chunked body into a reader of one byte a second (6 s) is not cut by --timeout 2  # SPEC P-10 G-6" \
	t_byte_a_second_http
check "a Content-Length body into a slow reader, --path splice: not cut by --timeout 2  # SPEC P-10 G-5" \
	t_slow_http close -p splice
check "a Content-Length body into a slow reader, --path copy: not cut by --timeout 2  # SPEC P-10 G-5" \
	t_slow_http close -p copy
check "a chunked body with a size that is not hex: exit 5  # SPEC G-6" hostile badchunk 5 'chunk'

# --- (3) ranges: --offset and --length become Range, and the answer must be exactly it
t_range() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv --offset 1000 --length 70000 -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/r" 2>"$T/err" &&
		cmp "$T/o/r" <(tail -c +1001 "$T/data.bin" | head -c 70000) &&
		zrecv --offset 4000000 -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/s" 2>"$T/err" &&
		cmp "$T/o/s" <(tail -c +4000001 "$T/data.bin") &&
		{ zrecv --offset 6000000 -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/t" 2>"$T/err"; [ $? -eq 6 ]; } &&
		grep -q 'answered 416' "$T/err" && only_entries "$T/o" r s
}
check "--offset/--length: Range asked, nginx's 206 byte-exact; past the end: 416, exit 6  # SPEC G-7 G-4" t_range
check "a 206 whose Content-Range is not the range asked: exit 5  # SPEC G-7" \
	hostile crange 5 'answered bytes 1-4999999/5000000 for bytes 100-' --offset 100
t_pyhttp() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv -c "http://127.0.0.1:$PYPORT/data.bin" -o "$T/o/" 2>"$T/err" && cmp "$T/data.bin" "$T/o/data.bin" &&
		{ zrecv --offset 10 -c "http://127.0.0.1:$PYPORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		grep -q 'does not serve ranges' "$T/err" && only_entries "$T/o" data.bin
}
check "python3 -m http.server (HTTP/1.0, no ranges): whole file byte-exact; a range: exit 5  # SPEC G-7 G-5" t_pyhttp

t_zcp_send() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_send --count 2 "$T/data.bin" &&
		zrecv -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/" 2>"$T/err" && cmp "$T/data.bin" "$T/o/data.bin" &&
		zrecv --offset 7 --length 300000 -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/r" 2>"$T/err" &&
		cmp "$T/o/r" <(tail -c +8 "$T/data.bin" | head -c 300000) && wait "$SPID"
}
check "zcp-send's HTTP origin: the whole file and a range, byte-exact  # SPEC G-1 G-7 H-1" t_zcp_send

# --- (4) redirects
t_redirects() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv -v -c "http://127.0.0.1:$NPORT/moved" -o "$T/o/" 2>"$T/err" && cmp "$T/data.bin" "$T/o/moved" &&
		grep -q "^zcp-recv: 127.0.0.1:$NPORT redirects to http://127.0.0.1:$NPORT/hop2\$" "$T/err" &&
		grep -q "^zcp-recv: 127.0.0.1:$NPORT redirects to http://127.0.0.1:$PYPORT/data.bin\$" "$T/err" &&
		grep -q "received 5000000 bytes from 127.0.0.1:$PYPORT" "$T/err" && only_entries "$T/o" moved
}
check "redirects followed, each on its own connection, another host's too, each said with -v; -o DIR/ names the file after the URL given  # SPEC G-8 G-2" t_redirects
check "a redirect loop: the 6th redirect is exit 5  # SPEC G-8" hostile loop 5 'more than 5 redirects'
check "a redirect to file://: exit 5  # SPEC G-8 F-1" hostile file 5 "redirects to 'file:///etc/passwd'"

# --- (5) https
t_https() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv --ca "$K/ca.pem" -c "https://127.0.0.1:$SPORT/data.bin" -o "$T/o/a" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/a" && grep -Eq "$(tls_said recv splice summary)" "$T/err" &&
		zrecv --pin "$pin" --offset 5 --length 100000 -c "https://127.0.0.1:$SPORT/up" -o "$T/o/b" 2>"$T/err" &&
		cmp "$T/o/b" <(tail -c +6 "$T/data.bin" | head -c 100000) &&
		SSL_CERT_FILE="$K/ca.pem" zrecv -c "https://127.0.0.1:$SPORT/data.bin" -o "$T/o/c" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/c" &&
		zrecv --ca "$K/ca.pem" -c "https://127.0.0.1:$SPORT/away" -o "$T/o/d" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/d" && only_entries "$T/o" a b c d
}
check "https://: --ca, --pin (a range, a redirect), the system CA store (SSL_CERT_FILE), a redirect to another host checked against its own name: byte-exact  # SPEC G-9 T-3" t_https
t_https_refused() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	{ SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent zrecv -c "https://127.0.0.1:$SPORT/data.bin" -o "$T/o/a" 2>"$T/err"; [ $? -eq 8 ]; } &&
		{ zrecv --ca "$K/ca.pem" -c "https://127.0.0.1:$SPORT/down" -o "$T/o/b" 2>"$T/err"; [ $? -eq 5 ]; } &&
		grep -q 'redirects from https' "$T/err" && only_entries "$T/o"
}
t_https_no_notify() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd close "$K/srv.pem" "$K/srv.key" || return 1
	zrecv --ca "$K/ca.pem" -c "https://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x
}
check "https://: Connection: close, the whole Content-Length, then a TCP end without close_notify: stored (RFC 9112 9.8)  # SPEC G-5 T-5" t_https_no_notify
check "https://: a server no CA vouches for is exit 8; a redirect to http:// exit 5  # SPEC G-9 G-8" t_https_refused

# --- (6) --streams: a probe (Range: bytes=0-0), then the parts, each a range of its own
t_streams() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv --streams 4 -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/data.bin" && grep -q '4 streams' "$T/err" &&
		zrecv --streams 3 --offset 100 --length 3500000 -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/r" 2>"$T/err" &&
		cmp "$T/o/r" <(tail -c +101 "$T/data.bin" | head -c 3500000) &&
		zrecv --streams 2 --ca "$K/ca.pem" -c "https://127.0.0.1:$SPORT/data.bin" -o "$T/o/s" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/s" && grep -q '2 streams' "$T/err" && only_entries "$T/o" data.bin r s
}
check "--streams N from nginx (http and https, whole and a range): byte-exact  # SPEC G-10 R-18" t_streams
t_streams_noranges() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv -v --streams 4 -c "http://127.0.0.1:$PYPORT/data.bin" -o "$T/o/x" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/x" && ! grep -q 'streams' "$T/err" && only_entries "$T/o" x
}
check "--streams N from a server without ranges (http.server): one stream, byte-exact  # SPEC G-10" t_streams_noranges
# fetched MODE ARGS...: zcp-recv ARGS from httpd.py MODE stores data.bin byte-exact
fetched() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd "$1" || return 1
	zrecv "${@:2}" -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" && cmp "$T/data.bin" "$T/o/x"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--streams N: each part names the probe's ETag in If-Range  # SPEC G-10" fetched ifrange --streams 3
check "--streams N from a server with no validator (no strong ETag, no Last-Modified): one stream, never parts of other versions  # SPEC G-10" \
	fetched noval --streams 3
t_streams_if_match() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	local mode
	for mode in "--streams 3" "--streams 3 --resume"; do
		start_httpd ifmatch || return 1
		# shellcheck disable=SC2086 # the options, split
		zrecv $mode -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
		local r=$?
		kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
		cat "$T/err"
		[ $r -eq 6 ] && grep -q '^zcp-recv: 127.0.0.1:[0-9]*: the file changed on the server (412 to If-Match)$' "$T/err" &&
			only_entries "$T/o" || return 1
	done
	grep -q 'removed' "$T/err"
}
check "--streams N: each part sends If-Match with the probe's ETag; a 412 (the file changed) is exit 6, nothing kept (--resume: the partial removed)  # SPEC G-10 F-4" \
	t_streams_if_match
# replaced_between LOC FIELD: --streams 2 of nginx's /LOC/data.bin, stopped (strace) at its first
# part's socket(), after the probe; the file then gets a later mtime (a new ETag and
# Last-Modified): nginx answers the parts' FIELD 412, exit 6, nothing stored
replaced_between() {
	rm -rf "$T/o"; mkdir -p "$T/o" "$W/$1"; cp "$T/data.bin" "$W/$1/data.bin"
	rm -f "$T/stop.trace"
	zstrace -f -o "$T/stop.trace" -e trace=socket -e inject=socket:signal=SIGSTOP:when=2 \
		"$B/zcp-recv" --streams 2 -c "http://127.0.0.1:$NPORT/$1/data.bin" -o "$T/o/x" 2>"$T/err" &
	local s=$! p rc
	if ! { wait_until 20 sigstopped "$T/stop.trace" && p=$(tracee "$s") &&
	       touch -d '+1 hour' "$W/$1/data.bin" && kill -CONT "$p"; }; then
		kill "$s"; return 1
	fi
	wait "$s"; rc=$?
	echo "exit $rc"; cat "$T/err"
	[ $rc -eq 6 ] && grep -q "the file changed on the server (412 to $2)\$" "$T/err" && only_entries "$T/o"
}
check "--streams N from nginx, the file touched between the probe and the parts: its strong ETag in If-Match, 412, exit 6  # SPEC G-10" \
	replaced_between tag If-Match
check "--streams N from nginx without ETags, the file touched between the probe and the parts: its Last-Modified in If-Unmodified-Since, 412, exit 6  # SPEC G-10" \
	replaced_between dated If-Unmodified-Since
# streams_redirected [TO]: --streams 3 -v of httpd.py's /data.bin, redirected to /final.bin
# (of server TO, nginx): the probe alone follows it; the parts ask the final URL of the
# server that answered the probe
streams_redirected() {
	rm -rf "$T/o"; mkdir -p "$T/o"; cp "$T/data.bin" "$W/final.bin"
	HOP_TO=${1:-} start_httpd hop || return 1
	zrecv -v --streams 3 -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/" 2>"$T/err"
	local r=$? to=${1:-http://127.0.0.1:$PORT} here=4 # the probe and 3 parts here, or none
	[ -n "${1:-}" ] && here=0
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/fake.out" "$T/err"
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/o/data.bin" && only_entries "$T/o" data.bin &&
		grep -q "from ${to#http://} .*; 3 streams" "$T/err" && [ "$(grep -c '^GET /data.bin ' "$T/fake.out")" -eq 1 ] &&
		[ "$(grep -c '^GET /final.bin ' "$T/fake.out")" -eq "$here" ] &&
		[ "$(grep -c "redirects to $to/final.bin\$" "$T/err")" -eq 1 ]
}
check "--streams N redirected: the parts ask the probe's final URL, the redirects followed (and said with -v) once; -o DIR/ names the file after the URL given  # SPEC G-10 G-8 G-2" \
	streams_redirected
check "--streams N redirected to another server (nginx): the parts go to the server that answered the probe  # SPEC G-10 G-8" \
	streams_redirected "http://127.0.0.1:$NPORT"
check "--streams N: a part the final URL redirects again is not followed (no other server mid-transfer): exit 6, nothing stored  # SPEC G-10 G-8" \
	hostile hopaway 6 'answered 302' --streams 3

# --- (7) --resume: the partial kept, continued with a range, only if the file is the same
t_resume() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd half || return 1
	{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		grep -q 'kept' "$T/err" && partial_above "$T/o" 2000000 &&
		zrecv --resume -v -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" &&
		grep -q 'received 2500000 bytes' "$T/err" && cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume: a body cut in half is kept, the next run asks for the rest and gets it byte-exact  # SPEC G-11 R-20" t_resume
# resume_refused MODE WHY: a first run from httpd.py MODE cut in half keeps its partial; the
# next one is refused (exit 6, saying WHY) and the partial removed
resume_refused() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd "$1" || return 1
	{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		partial_above "$T/o" 2000000 &&
		{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 6 ]; } &&
		grep -q "$2" "$T/err" && grep -q 'removed' "$T/err" && only_entries "$T/o"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume: a 200 to the range of the rest is CHANGED: exit 6, the partial removed, never appended  # SPEC G-11 R-20" \
	resume_refused half200 'a 200 to the range of the rest'
check "--resume from a server whose validator is gone (no strong ETag, no Last-Modified now): exit 6, the partial removed, never appended  # SPEC G-11 R-20" \
	resume_refused valgone 'no validator'
t_resume_noval() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd novalhalf || return 1
	{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		cat "$T/err" && grep -q 'gives no validator.*; removed' "$T/err" && ! grep -q 'kept' "$T/err" &&
		only_entries "$T/o" &&
		zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" && cmp "$T/data.bin" "$T/o/x" &&
		only_entries "$T/o" x
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume from a server with no validator: the fetch goes on, but a partial no run could resume is not kept (said once); the next run fetches it whole  # SPEC G-11 R-20" \
	t_resume_noval
t_resume_noval_empty() { # its body cut before the first byte: no partial, so none "removed"
	rm -rf "$T/o"; mkdir -p "$T/o"; head -c 1 "$T/data.bin" >"$T/one.bin"
	HTTPD_FILE=$T/one.bin start_httpd novalhalf || return 1
	{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		cat "$T/err" && [ "$(grep -c . "$T/err")" -eq 1 ] && ! grep -Eq 'removed|kept' "$T/err" &&
		only_entries "$T/o"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume from a server with no validator, cut before the first byte: no partial, none said removed  # SPEC G-11 R-20" \
	t_resume_noval_empty
t_resume_changed() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	# a partial from nginx's slow location, then the file changes (its ETag with it)
	zrecv --resume -c "http://127.0.0.1:$NPORT/slow/data.bin" -o "$T/o/x" 2>/dev/null &
	local s=$!
	wait_until 30 partial_above "$T/o" 1000000; kill -9 "$(tracee "$s")"; wait "$s"
	partial_above "$T/o" 1000000 && touch -d '2001-01-01' "$W/slow/data.bin" &&
		{ zrecv --resume -c "http://127.0.0.1:$NPORT/slow/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 6 ]; } &&
		grep -q 'changed' "$T/err" && only_entries "$T/o"
}
check "--resume: the file changed on the server (its ETag): exit 6, the partial removed  # SPEC G-11 R-20" t_resume_changed

t_resume_whole() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd over || return 1
	# every byte stored, then a failure before the commit: the partial holds the whole file
	{ zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } &&
		partial_above "$T/o" 4999999 &&
		zrecv --resume -v -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume: a partial that holds the whole file asks for its last byte again (not a 416 for ever)  # SPEC G-11 R-20" t_resume_whole

# --- (8) --sha256 and Repr-Digest: the stored bytes read back and hashed before the commit
partial_holds_bytes() { [ "$(stat -c %s "$(rz_partial "$1")" 2>/dev/null || echo 0)" -gt 0 ]; }
t_resume_stop_after_redirect() { # a --resume --fsync fetch redirected, then stopped: the stop reaches the hop's socket
	rm -rf "$T/rd" && mkdir -p "$T/rd" && start_httpd hopdribble || return 1
	"$B/zcp-recv" --resume --fsync -c "http://127.0.0.1:$PORT/data.bin" -o "$T/rd/out" 2>"$T/err" & local s=$!
	wait_until 20 partial_holds_bytes "$T/rd" || { kill "$s"; return 1; }
	local t0=$EPOCHREALTIME rc took
	kill -TERM "$(tracee "$s")"; wait "$s"; rc=$?; took=$(bc <<<"$EPOCHREALTIME - $t0")
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	echo "exit $rc after $took s"; cat "$T/err"
	# the transfer was stopped (its socket shut down), not waited for: recv waits 10 s for one
	# that does not stop, and the body's dribble (a byte every 3 s) would not end it sooner
	[ $rc -eq 143 ] && awk -v t="$took" 'BEGIN { exit !(t < 9) }' && [ -f "$(rz_partial "$T/rd").meta" ]
}
check "--resume --fsync redirected, then SIGTERM: the stop shuts the hop's socket down (not the first one's), the partial kept  # SPEC G-8 R-20" t_resume_stop_after_redirect
t_resume_noval_killed() { # no record while a partial no run could resume is written: a kill leaves nothing trusted
	rm -rf "$T/o" && mkdir -p "$T/o" && start_httpd dribble || return 1
	zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" & local s=$!
	wait_until 20 partial_holds_bytes "$T/o" && no_entry "$T/o" '.zcp-partial-*.meta'
	local r=$?
	kill -9 "$(tracee "$s")"; wait "$s"
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	[ $r -eq 0 ] && start_httpd close || return 1
	zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" && cat "$T/err" &&
		grep -q 'not continued' "$T/err" && cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x
	r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	return $r
}
check "--resume from a server with no validator, killed mid-body: no record was written, the next run starts over  # SPEC G-11 R-20" \
	t_resume_noval_killed
t_resume_noval_signal() { # SIGINT, SIGTERM (with --fsync: its own path): removed as after a failure
	local sig fs r
	for sig in INT TERM; do
		for fs in "" --fsync; do
			rm -rf "$T/o" && mkdir -p "$T/o" && start_httpd dribble || return 1
			# shellcheck disable=SC2086 # --fsync or nothing
			zrecv --resume $fs -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err" & local s=$!
			wait_until 20 partial_holds_bytes "$T/o"
			r=$?
			kill -"$sig" "$(tracee "$s")"; wait "$s"
			kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
			echo "SIG$sig $fs:"; cat "$T/err"; ls -a "$T/o"
			[ $r -eq 0 ] && only_entries "$T/o" || return 1
		done
	done
}
check "--resume from a server with no validator, SIGINT or SIGTERM mid-body (with and without --fsync): the partial no run could resume is removed, nothing left  # SPEC G-11 R-20" \
	t_resume_noval_signal
t_sha256() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	local sum; sum=$(sha256sum "$T/data.bin" | cut -c1-64)
	zrecv --sha256 "$sum" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/x" 2>"$T/err" && cmp "$T/data.bin" "$T/o/x" &&
		{ zrecv --sha256 "${sum%?}0" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/y" 2>"$T/err"; [ $? -eq 5 ]; } &&
		grep -q 'SHA-256 of the 5000000 bytes stored is not --sha256' "$T/err" &&
		{ zrecv --sha256 abc -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/y" 2>"$T/err"; [ $? -eq 2 ]; } &&
		{ zrecv --sha256 "$sum" -c "http://127.0.0.1:$NPORT/data.bin" --discard 2>"$T/err"; [ $? -eq 2 ]; } &&
		only_entries "$T/o" x
}
check "--sha256 HEX: the stored file's SHA-256 checked before the commit; a mismatch exit 5, nothing stored; bad HEX or --discard: exit 2  # SPEC G-12" t_sha256
t_sha256_resume() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	{ zrecv --resume --sha256 "$(printf '%064d' 0)" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/x" 2>"$T/err"
	  [ $? -eq 5 ]; } && grep -q 'is not --sha256' "$T/err" && grep -q 'removed' "$T/err" && only_entries "$T/o"
}
check "--resume with a --sha256 the stored file does not have: exit 5, the partial removed (R-19's mismatch)  # SPEC G-12 R-20" t_sha256_resume
check "a Repr-Digest that matches: stored  # SPEC G-12" fetched digest
check "a Repr-Digest that does not match what arrived: exit 5, nothing stored  # SPEC G-12" \
	hostile baddigest 5 "not the server's Repr-Digest"

# the read-back's preads are in -v's syscalls: one a 256 KiB block (fhash), 20 for data.bin
preads_counted() { [ "$(grep -Eo 'pread(64)?=[0-9]*' "$T/err" | cut -d= -f2)" -ge 20 ]; }
t_sha256_streams() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	local sum; sum=$(sha256sum "$T/data.bin" | cut -c1-64)
	zrecv -v --streams 4 --sha256 "$sum" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/x" 2>"$T/err" &&
		cmp "$T/data.bin" "$T/o/x" && grep -q '4 streams' "$T/err" && preads_counted &&
		{ zrecv --streams 4 --sha256 "${sum%?}0" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/y" 2>"$T/err"
		  [ $? -eq 5 ]; } && grep -q 'SHA-256 of the 5000000 bytes stored is not --sha256' "$T/err" &&
		{ zrecv --resume --streams 4 --sha256 "${sum%?}0" -c "http://127.0.0.1:$NPORT/data.bin" -o "$T/o/y" \
			2>"$T/err"; [ $? -eq 5 ]; } && grep -q 'removed' "$T/err" && only_entries "$T/o" x
}
check "--streams 4 --sha256 HEX from nginx: the assembled file read back before the group commits; right: byte-exact; wrong: exit 5, nothing kept (a --resume partial removed)  # SPEC G-12 R-18 R-20" t_sha256_streams
t_readback_counted() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	zrecv -v --sha256 "$(sha256sum "$T/data.bin" | cut -c1-64)" -c "http://127.0.0.1:$NPORT/data.bin" \
		-o "$T/o/x" 2>"$T/err" && cmp "$T/data.bin" "$T/o/x" && preads_counted
}
check "-v: the read-back of --sha256 is counted in the syscalls (pread), a bounded step at a time  # SPEC G-12 X-8" t_readback_counted
check "--streams N, the file replaced after the probe under the same ETag, a part's Repr-Digest not the probe's: exit 6, nothing kept  # SPEC G-10 G-12" \
	hostile reprswap 6 "Repr-Digest" --streams 4
# ATTACK s22: the probe's Repr-Digest has a sha-512 member only; each part's is another: G-10
# says a part's that is not the probe's is CHANGED (it is compared, not computed)
check "--streams N, the file replaced after the probe under the same ETag, a part's Repr-Digest (sha-512 only) not the probe's: exit 6, nothing kept  # SPEC G-10 F-9" \
	hostile repr512swap 6 "Repr-Digest" --streams 4
check "--streams N, the parts' Repr-Digest (sha-512 only) too long to keep: not shown the probe's, exit 6, nothing kept  # SPEC G-10 F-9" \
	hostile repr512long 6 "Repr-Digest" --streams 4
# ATTACK s22: without --resume there is no partial and a part's range is not "the rest": the
# line must not speak of either
t_streams_part_words() {
	hostile "$1" 6 'the file changed on the server' --streams 4 && ! grep -Eq 'partial|the rest' "$T/err"
}
check "--streams N without --resume, a part of another ETag: exit 6, the line speaks of no partial  # SPEC G-10 E-2" \
	t_streams_part_words partetag
check "--streams N without --resume, a part answered 200: exit 6, the line speaks of no partial nor of 'the rest'  # SPEC G-10 E-2" \
	t_streams_part_words part200
t_streams_weak_lm() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd weaklm || return 1
	zrecv --streams 4 -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/o/x"
}
check "--streams N, a weak ETag and a Last-Modified: the parts send If-Unmodified-Since, no If-Range (RFC 9110 13.1.5: no date beside an entity tag): byte-exact  # SPEC G-10" \
	t_streams_weak_lm
t_streams_repr_stale() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd reprstale || return 1
	zrecv --resume --streams 4 -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	[ $r -eq 5 ] && grep -q "SHA-256 of the 5000000 bytes stored is not the server's Repr-Digest" "$T/err" &&
		grep -q "it does not hash to the server's file; removed" "$T/err" && only_entries "$T/o"
}
check "--streams N --resume, the bytes replaced after the probe under the same ETag, the parts without Repr-Digest: the assembled file is not the probe's Repr-Digest: exit 5, the partial removed  # SPEC G-12 R-18 R-20" t_streams_repr_stale
# resume_repr MODE: a first run from httpd.py MODE cut in half keeps its partial; prints the
# second run's exit code and error lines
resume_repr() {
	rm -rf "$T/o"; mkdir -p "$T/o"
	start_httpd "$1" || return 1
	if ! { zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"; [ $? -eq 5 ]; } ||
		! partial_above "$T/o" 2000000; then
		kill "$FPID"; wait "$FPID"; return 1
	fi
	zrecv --resume -c "http://127.0.0.1:$PORT/data.bin" -o "$T/o/x" 2>"$T/err"
	local r=$?
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	cat "$T/err"
	return $r
}
t_resume_repr_changed() {
	{ resume_repr reprhalf; [ $? -eq 5 ]; } &&
		grep -q "SHA-256 of the 5000000 bytes stored is not the server's Repr-Digest" "$T/err" &&
		grep -q "it does not hash to the server's file; removed" "$T/err" && only_entries "$T/o"
}
check "--resume, the rest of other bytes under the same ETag: the 206's Repr-Digest checked over the whole file: exit 5, the partial removed  # SPEC G-11 G-12 R-20" t_resume_repr_changed
t_resume_repr_ok() {
	resume_repr reprhalfok && cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x &&
		resume_repr cdhalf && cmp "$T/data.bin" "$T/o/x" && only_entries "$T/o" x
}
check "--resume: the 206's Repr-Digest is the whole file's; its Content-Digest only the part's, never checked against the whole (with or without a Repr-Digest): stored  # SPEC G-12" t_resume_repr_ok

kill "$NPID" "$PYPID" 2>/dev/null
summary hget
