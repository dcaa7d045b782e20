#!/usr/bin/env bash
# verify.sh BUILD_DIR [--self-test | --quick] - the strace proof behind zcp's claims
# (SPEC X-1..X-9).
#
# Runs real transfers over loopback for every sender path x receiver path, each side
# under `strace -f -yy`, summarises each log by fd with strace-parse.awk and asserts
# where the payload went. Then forces faults with `strace --inject`. Writes the proof
# table to trace/results.md. With --self-test it only checks that the assertions can
# fail: the copy path must not pass the zero-copy checks. With --quick (what make check
# runs) it checks every path pair on a 4 MiB payload and stops there: no faults, no table.
# Prints "ok"/"not ok" lines and "trace-verify: N passed, N failed".
set -u
B=$(cd "${1:?usage: verify.sh BUILD_DIR [--self-test | --quick]}" && pwd)
MODE=${2:-full}
HERE=$(cd "$(dirname "$0")" && pwd)
# ktls_kernel, tls_said: what a TLS transfer may say here (SPEC T-6), as the e2e suites ask it
# shellcheck source=tests/tls-mode.sh
. "$HERE/../tests/tls-mode.sh"
command -v strace >/dev/null || { echo "trace-verify: strace is missing; install it with: sudo apt-get install -y strace" >&2; exit 1; }
SIZE=${TRACE_SIZE:-64M}
[ "$MODE" = --quick ] && SIZE=${TRACE_SIZE:-4M}
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-trace.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
PAYLOAD="$T/payload.bin"
NAME_LEN=11                       # strlen("payload.bin")
RESP_BYTES=$((32 + NAME_LEN))     # SPEC W-3
REQ_BYTES=24                      # SPEC W-2
ACK_BYTES=16                      # SPEC W-4
TRAILER_BYTES=24                  # SPEC W-17
RECV_EXTRA=()                     # more zcp-recv options for the next transfer
SEND_EXTRA=()                     # more zcp-send options for the next transfer
CHUNK=8192
pass=0 fail=0

head -c "$(numfmt --from=iec "$SIZE")" /dev/urandom >"$PAYLOAD"
LEN=$(stat -c %s "$PAYLOAD")

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }

# tsum TABLE calls|bytes CALL SRC DST [either]: the sum of calls or bytes over the
# rows of a parsed log whose call, source and destination match the regexes CALL,
# SRC and DST (whole words; .* for any); with "either", source or destination
tsum() {
	awk -v f="$2" -v c="^($3)\$" -v s="^($4)\$" -v d="^($5)\$" -v either="${6:-}" '
		$1 ~ c && (either ? ($2 ~ s || $3 ~ d) : ($2 ~ s && $3 ~ d)) { t += f == "calls" ? $4 : $5 }
		END { print t + 0 }' "$1"
}

# wait_port FILE: the port of the "listening on" line in FILE
wait_port() {
	i=0
	while ! grep -q '^listening on ' "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 1000 ] && return 1; sleep 0.01
	done
	sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"
}

# transfer TAG SENDPATH RECVPATH [STRACE-ARGS-SEND -- STRACE-ARGS-RECV]: one traced
# transfer; logs in $T/TAG.{send,recv}.{log,err}, tables in $T/TAG.{send,recv}.tab.
# Returns non-zero unless both exit 0 and the output equals the payload.
transfer() {
	tag=$1 sp=$2 rp=$3; shift 3
	local sx=() rx=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sx+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	rx=("$@")
	traced_send "$tag" "$sp" "${sx[@]}" || return 1
	timeout 300 strace -f -yy "${rx[@]}" -o "$T/$tag.recv.log" "$B/zcp-recv" -v -p "$rp" "${RECV_EXTRA[@]}" \
		-c "127.0.0.1:$port" -o "$T/out.bin" 2>"$T/$tag.recv.err"
	rrc=$?
	wait "$spid"; src=$?
	awk -v PAYLOAD="^$PAYLOAD\$" -f "$HERE/strace-parse.awk" "$T/$tag.send.log" >"$T/$tag.send.tab"
	# the output is written as an anonymous O_TMPFILE (SPEC R-1) before it gets its name
	awk -v PAYLOAD="^$T/(out[.]bin|#[0-9]+)\$" -f "$HERE/strace-parse.awk" \
		"$T/$tag.recv.log" >"$T/$tag.recv.tab"
	[ $rrc -eq 0 ] && [ $src -eq 0 ] && cmp -s "$PAYLOAD" "$T/out.bin"
}

# traced_send TAG SENDPATH [STRACE-ARGS]: zcp-send -v --once of the payload under strace in
# the background, its log in $T/TAG.send.{log,err}; sets spid and port
traced_send() {
	local tag=$1 sp=$2; shift 2
	rm -f "$T/out.bin"
	: >"$T/$tag.send.err"
	timeout 300 strace -f -yy "$@" -o "$T/$tag.send.log" "$B/zcp-send" -v --once -p "$sp" \
		"${SEND_EXTRA[@]}" -l 127.0.0.1:0 "$PAYLOAD" 2>"$T/$tag.send.err" &
	spid=$!
	port=$(wait_port "$T/$tag.send.err") || { kill "$spid"; return 1; }
}

# http_transfer TAG SENDPATH: curl GETs the payload from a traced zcp-send (SPEC H-9);
# the response head curl saw in $T/TAG.head, the table in $T/TAG.send.tab. Returns
# non-zero unless both exit 0 and the output equals the payload. One request a
# connection (Connection: close), so that every call of the connection is the
# transfer's: a kept-alive one's calls after its last answer belong to none (H-8).
http_transfer() {
	local tag=$1
	traced_send "$tag" "$2" || return 1
	timeout 300 curl -sS -H 'Connection: close' -o "$T/out.bin" -D "$T/$tag.head" "http://127.0.0.1:$port/payload.bin" 2>"$T/$tag.recv.err"
	rrc=$?
	wait "$spid"; src=$?
	awk -v PAYLOAD="^$PAYLOAD\$" -f "$HERE/strace-parse.awk" "$T/$tag.send.log" >"$T/$tag.send.tab"
	[ $rrc -eq 0 ] && [ $src -eq 0 ] && cmp -s "$PAYLOAD" "$T/out.bin"
}

# start_nginx: nginx (sendfile on, one process) serving $T on a free port, its configuration
# generated in $T/nginx, as a background job of this script (the EXIT trap ends it); sets NPORT.
# Returns non-zero when it does not answer within 10 s.
start_nginx() {
	NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<-EOF
	daemon off; master_process off; worker_processes 1;
	pid $T/nginx/pid; error_log $T/nginx/error.log;
	events { worker_connections 16; }
	http {
		access_log off; sendfile on; tcp_nopush on;
		client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
		uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
		server { listen 127.0.0.1:$NPORT; root $T; }
	}
	EOF
	nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/stderr" &
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$NPORT/payload.bin"; do
		i=$((i + 1)); [ $i -gt 1000 ] && return 1; sleep 0.01
	done
	# the response head nginx sends for the payload (its Date has a fixed length)
	curl -sf -D "$T/nginx.head" -o /dev/null "http://127.0.0.1:$NPORT/payload.bin"
}

# fetch_transfer TAG RECVPATH: zcp-recv -v -p RECVPATH fetches the payload from nginx
# (SPEC G-3) under strace; the table in $T/TAG.recv.tab. Returns non-zero unless it exits
# 0 and the output equals the payload.
fetch_transfer() {
	local tag=$1
	rm -f "$T/out.bin"
	timeout 300 strace -f -yy -o "$T/$tag.recv.log" "$B/zcp-recv" -v -p "$2" \
		-c "http://127.0.0.1:$NPORT/payload.bin" -o "$T/out.bin" 2>"$T/$tag.recv.err"
	rrc=$?
	awk -v PAYLOAD="^$T/(out[.]bin|#[0-9]+)\$" -f "$HERE/strace-parse.awk" "$T/$tag.recv.log" >"$T/$tag.recv.tab"
	[ $rrc -eq 0 ] && cmp -s "$PAYLOAD" "$T/out.bin"
}

# Each check_* prints nothing and returns 0, or prints a one-line reason and returns 1.
check_sender_zero_copy() { # TABLE [HEADER-BYTES]: SPEC X-2 X-3 X-9
	tab=$1 head=${2:-$RESP_BYTES}
	uin=$(tsum "$tab" bytes '.*' payload user)
	uout=$(tsum "$tab" bytes '.*' user socket)
	kern=$(tsum "$tab" bytes 'sendfile|splice' '.*' socket)
	maps=$(tsum "$tab" calls '.*' payload map)
	[ "$uin" -eq 0 ] || { echo "$uin payload bytes read into user space"; return 1; }
	[ "$uout" -le "$head" ] || { echo "$uout bytes written to the socket from user space (headers are $head)"; return 1; }
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes moved in-kernel, expected $LEN"; return 1; }
	[ "$maps" -eq 0 ] || { echo "payload mmapped $maps times"; return 1; }
}
check_sender_copy() { # TABLE: SPEC X-1
	tab=$1
	uin=$(tsum "$tab" bytes '.*' payload user)
	reads=$(tsum "$tab" calls '.*' payload user)
	uout=$(tsum "$tab" bytes '.*' user socket)
	[ "$uin" -eq "$LEN" ] || { echo "$uin payload bytes read, expected $LEN"; return 1; }
	[ "$uout" -eq $((LEN + RESP_BYTES)) ] || { echo "$uout socket bytes written, expected $((LEN + RESP_BYTES))"; return 1; }
	[ "$reads" -ge $((LEN / CHUNK)) ] || { echo "$reads read calls, expected at least $((LEN / CHUNK))"; return 1; }
}
check_receiver_splice() { # TABLE: SPEC X-5
	tab=$1
	uin=$(tsum "$tab" bytes '.*' socket user)
	kern=$(tsum "$tab" bytes splice socket '.*')
	uout=$(tsum "$tab" bytes '.*' user payload)
	[ "$uin" -le "$RESP_BYTES" ] || { echo "$uin bytes read from the socket into user space (headers are $RESP_BYTES)"; return 1; }
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes spliced from the socket, expected $LEN"; return 1; }
	[ "$uout" -eq 0 ] || { echo "$uout bytes written to the output from user space"; return 1; }
}
check_receiver_copy() { # TABLE: SPEC X-4
	tab=$1
	uin=$(tsum "$tab" bytes '.*' socket user)
	uout=$(tsum "$tab" bytes '.*' user payload)
	[ "$uin" -eq $((LEN + RESP_BYTES)) ] || { echo "$uin socket bytes read, expected $((LEN + RESP_BYTES))"; return 1; }
	[ "$uout" -eq "$LEN" ] || { echo "$uout bytes written to the output, expected $LEN"; return 1; }
}
# SPEC G-3: a fetch on the splice path reads the response head into user space, with the
# body bytes that came in the same read (at most the head buffer, 64 KiB, less the head),
# writes those once, and splices the rest socket -> pipe -> output
check_fetch_splice() { # TABLE HEAD-BYTES
	tab=$1 head=$2
	uin=$(tsum "$tab" bytes '.*' socket user)
	uout=$(tsum "$tab" bytes '.*' user payload)
	kin=$(tsum "$tab" bytes splice socket pipe)
	kout=$(tsum "$tab" bytes splice pipe payload)
	[ $((uin - uout)) -eq "$head" ] || { echo "$uin bytes read from the socket, $uout written to the output: $((uin - uout)) not the $head-byte response head"; return 1; }
	[ "$uout" -le $((65536 - head)) ] || { echo "$uout body bytes through user space, more than came with the head"; return 1; }
	[ "$kin" -eq $((LEN - uout)) ] || { echo "$kin bytes spliced from the socket into the pipe, expected $((LEN - uout))"; return 1; }
	[ "$kout" -eq $((LEN - uout)) ] || { echo "$kout bytes spliced from the pipe into the output, expected $((LEN - uout))"; return 1; }
}

# SPEC R-19 W-17: --verify adds one read of the payload on each side, by pread, and
# the trailer; the data path is as without it
check_verify_sender() { # TABLE
	tab=$1
	uin=$(tsum "$tab" bytes pread64 payload user)
	other=$(( $(tsum "$tab" bytes '.*' payload user) - uin ))
	uout=$(tsum "$tab" bytes '.*' user socket)
	kern=$(tsum "$tab" bytes 'sendfile|splice' '.*' socket)
	[ "$uin" -eq "$LEN" ] || { echo "$uin payload bytes read back by pread for the hash, expected $LEN"; return 1; }
	[ "$other" -eq 0 ] || { echo "$other payload bytes read otherwise"; return 1; }
	[ "$uout" -le $((RESP_BYTES + TRAILER_BYTES)) ] || { echo "$uout bytes sent from user space (response + trailer are $((RESP_BYTES + TRAILER_BYTES)))"; return 1; }
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes moved in-kernel, expected $LEN"; return 1; }
}
check_verify_receiver() { # TABLE
	tab=$1
	uin=$(tsum "$tab" bytes '.*' socket user)
	kern=$(tsum "$tab" bytes splice socket '.*')
	back=$(tsum "$tab" bytes pread64 payload user)
	uout=$(tsum "$tab" bytes '.*' user payload)
	[ "$uin" -le $((RESP_BYTES + TRAILER_BYTES)) ] || { echo "$uin bytes read from the socket into user space (response + trailer are $((RESP_BYTES + TRAILER_BYTES)))"; return 1; }
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes spliced from the socket, expected $LEN"; return 1; }
	[ "$back" -eq "$LEN" ] || { echo "$back bytes of the output read back by pread, expected $LEN"; return 1; }
	[ "$uout" -eq 0 ] || { echo "$uout bytes written to the output from user space"; return 1; }
}
# check_self_counts TABLE ERRFILE: zcp's own -v counts equal strace's (SPEC X-8)
check_self_counts() {
	# zcp-recv -v: "...; syscalls: a=1 b=2"; zcp-send's transfer line: "... syscalls=a:1,b:2"
	counts=$( { sed -n 's/.*; syscalls: //p' "$2"; sed -n 's/.* syscalls=//p' "$2" | tr ',:' ' ='; } |
		tail -n 1)
	[ -n "$counts" ] || { echo "no -v report in $2"; return 1; }
	for kv in $counts; do
		name=${kv%=*} own=${kv#*=}
		case $name in SSL_*) continue ;; esac # OpenSSL's calls, not system calls (SPEC T-6)
		# zcp reads and writes sockets with recv and send: a read or write on a socket is
		# OpenSSL's (TLS), not zcp's own
		fds='payload|socket|pipe|null'
		case $name in read|write) fds='payload|pipe|null' ;; esac
		seen=$(tsum "$1" calls "$name" "$fds" "$fds" either)
		[ "$seen" -eq "$own" ] || { echo "zcp counted $name=$own, strace saw $seen"; return 1; }
	done
}

# SPEC T-6: TLS in user space, said honestly: every payload byte is read into the
# sender and its ciphertext (more bytes: records and tags) written out by it; the
# receiver reads the ciphertext and writes the payload; nothing moves in-kernel
check_tls_user_sender() { # TABLE
	tab=$1
	uin=$(tsum "$tab" bytes pread64 payload user)
	uout=$(tsum "$tab" bytes '.*' user socket)
	kern=$(tsum "$tab" bytes 'sendfile|splice' '.*' socket)
	[ "$uin" -eq "$LEN" ] || { echo "$uin payload bytes read by pread, expected $LEN"; return 1; }
	[ "$uout" -gt "$LEN" ] || { echo "$uout bytes written to the socket, expected the payload's $LEN and TLS records"; return 1; }
	[ "$kern" -eq 0 ] || { echo "$kern bytes moved in-kernel under user-space TLS"; return 1; }
}
check_ktls_sender() { # TABLE: the kernel encrypts what sendfile moves
	kern=$(tsum "$1" bytes sendfile payload socket)
	uin=$(tsum "$1" bytes '.*' payload user)
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes moved by sendfile, expected $LEN"; return 1; }
	[ "$uin" -eq 0 ] || { echo "$uin payload bytes read into user space"; return 1; }
}
check_ktls_receiver() { # TABLE ERR: the kernel decrypts what splice moves (SPEC T-6); through
	# user space only the frames and the records that are not data (the end's alert)
	grep -q 'path splice, tls ktls' "$2" || { echo "the receiver does not say 'path splice, tls ktls'"; return 1; }
	uin=$(tsum "$1" bytes '.*' socket user)
	kern=$(tsum "$1" bytes splice socket '.*')
	uout=$(tsum "$1" bytes '.*' user payload)
	[ "$kern" -eq "$LEN" ] || { echo "$kern bytes spliced from the socket, expected $LEN"; return 1; }
	[ "$uin" -le $((RESP_BYTES + 512)) ] || { echo "$uin bytes read from the socket into user space"; return 1; }
	[ "$uout" -eq 0 ] || { echo "$uout bytes written to the output from user space"; return 1; }
}
check_tls_user_receiver() { # TABLE
	tab=$1
	uin=$(tsum "$tab" bytes '.*' socket user)
	uout=$(tsum "$tab" bytes '.*' user payload)
	kern=$(tsum "$tab" bytes splice socket '.*')
	[ "$uin" -gt "$LEN" ] || { echo "$uin bytes read from the socket, expected the payload's $LEN and TLS records"; return 1; }
	[ "$uout" -eq "$LEN" ] || { echo "$uout bytes written to the output, expected $LEN"; return 1; }
	[ "$kern" -eq 0 ] || { echo "$kern bytes spliced from the socket under user-space TLS"; return 1; }
}

# expect DESC CMD...: record the outcome of a check function
expect() {
	desc=$1; shift
	if why=$("$@"); then ok "$desc"; else notok "$desc: $why"; fi
}

if [ "$MODE" = --self-test ]; then
	# The verifier must be able to fail: run copy paths through the zero-copy checks.
	if transfer self copy copy; then ok "copy transfer for the self-test"; else notok "copy transfer for the self-test"; fi
	if why=$(check_sender_zero_copy "$T/self.send.tab"); then
		notok "copy sender passed the zero-copy sender checks (the verifier cannot fail)"
	else ok "copy sender fails the zero-copy checks: $why"; fi
	if why=$(check_receiver_splice "$T/self.recv.tab"); then
		notok "copy receiver passed the splice receiver checks (the verifier cannot fail)"
	else ok "copy receiver fails the splice receiver checks: $why"; fi
	if why=$(check_ktls_receiver "$T/self.recv.tab" "$T/self.recv.err"); then
		notok "a copy receiver passed the kTLS receiver checks (the verifier cannot fail)"
	else ok "a copy receiver fails the kTLS receiver checks: $why"; fi
	# and a wrong self-count must be caught
	sed -E 's/( syscalls=[a-z0-9]+:)([0-9])/\19\2/' "$T/self.send.err" >"$T/self.bad.err"
	if check_self_counts "$T/self.send.tab" "$T/self.bad.err" >/dev/null; then
		notok "a wrong -v count went unnoticed"
	else ok "a wrong -v count is caught"; fi
	# and an HTTP answer (H-9) by the copy path must fail the HTTP row's check
	if http_transfer self-http copy; then ok "HTTP copy transfer for the self-test"; else notok "HTTP copy transfer for the self-test"; fi
	if why=$(check_sender_zero_copy "$T/self-http.send.tab" "$(stat -c %s "$T/self-http.head" 2>/dev/null || echo 0)"); then
		notok "an HTTP copy sender passed the zero-copy sender checks (the verifier cannot fail)"
	else ok "an HTTP copy sender fails the zero-copy checks: $why"; fi
	# and a fetch from nginx (G-3) by the copy path must fail the fetch row's check
	if ! command -v nginx >/dev/null; then echo "# SKIPPED: the fetch self-test (needs nginx); not counted"
	elif start_nginx && fetch_transfer self-fetch copy; then
		ok "fetch from nginx by the copy path for the self-test"
		if why=$(check_fetch_splice "$T/self-fetch.recv.tab" "$(stat -c %s "$T/nginx.head")"); then
			notok "a copy fetch passed the splice fetch checks (the verifier cannot fail)"
		else ok "a copy fetch fails the splice fetch checks: $why"; fi
	else notok "fetch from nginx by the copy path for the self-test: $(head -n 2 "$T/self-fetch.recv.err" "$T/nginx/stderr" 2>/dev/null | tr '\n' ' ')"; fi
	echo "trace-verify-selftest: $pass passed, $fail failed"
	[ $fail -eq 0 ]; exit
fi

echo "# payload: $LEN bytes; strace $(strace -V | head -n 1 | awk '{print $NF}'); kernel $(uname -r)"
for sp in copy sendfile splice; do
	for rp in copy splice; do
		tag=$sp-$rp
		if transfer "$tag" "$sp" "$rp"; then ok "$tag: both exit 0, output equals input (cmp)"
		else notok "$tag: transfer failed: $(cat "$T/$tag.send.err" "$T/$tag.recv.err" | grep -v listening | head -n 2 | tr '\n' ' ')"; continue; fi
		if [ "$sp" = copy ]; then expect "$tag: copy sender reads and sends every byte  # SPEC X-1" check_sender_copy "$T/$tag.send.tab"
		else expect "$tag: $sp sender moves no payload through user space  # SPEC X-2 X-3 X-9" check_sender_zero_copy "$T/$tag.send.tab"; fi
		if [ "$rp" = copy ]; then expect "$tag: copy receiver receives and writes every byte  # SPEC X-4" check_receiver_copy "$T/$tag.recv.tab"
		else expect "$tag: splice receiver moves no payload through user space  # SPEC X-5" check_receiver_splice "$T/$tag.recv.tab"; fi
		expect "$tag: zcp-send -v counts match strace  # SPEC X-8" check_self_counts "$T/$tag.send.tab" "$T/$tag.send.err"
		expect "$tag: zcp-recv -v counts match strace  # SPEC X-8" check_self_counts "$T/$tag.recv.tab" "$T/$tag.recv.err"
	done
done

RECV_EXTRA=(--verify)
if transfer verify sendfile splice; then ok "--verify (sendfile, splice): both exit 0, output equals input"
	expect "--verify: the sender reads the payload back once, by pread; the rest as without it  # SPEC W-17" check_verify_sender "$T/verify.send.tab"
	expect "--verify: the receiver reads its output back once, by pread; the rest as without it  # SPEC R-19" check_verify_receiver "$T/verify.recv.tab"
	expect "--verify: zcp-recv -v counts match strace  # SPEC X-8" check_self_counts "$T/verify.recv.tab" "$T/verify.recv.err"
else notok "--verify transfer failed: $(cat "$T/verify.send.err" "$T/verify.recv.err" | grep -v listening | head -n 2 | tr '\n' ' ')"; fi
RECV_EXTRA=()
# SPEC C-10: with --progress the data path is unchanged (nothing through user space) and
# the line costs writes to stderr only, at most 10 a second (plus the summary and blanking)
check_progress_writes() { # LOG SECONDS
	draws=$(grep -c '^[0-9]* *write(2<' "$1")
	[ "$draws" -ge 1 ] || { echo "no write to stderr"; return 1; }
	[ "$draws" -le $((10 * $2 + 3)) ] || { echo "$draws writes to stderr in $2 s"; return 1; }
}
RECV_EXTRA=(--progress)
t0=$SECONDS
if transfer progress sendfile splice; then ok "--progress (sendfile, splice): both exit 0, output equals input"
	expect "--progress: the splice receiver still moves no payload through user space  # SPEC C-10 X-5" check_receiver_splice "$T/progress.recv.tab"
	expect "--progress: the line is written to stderr at most 10 times a second  # SPEC C-10" check_progress_writes "$T/progress.recv.log" $((SECONDS - t0 + 1))
else notok "--progress transfer failed"; fi
RECV_EXTRA=()

# --- TLS (SPEC T-6): where the payload goes when OpenSSL encrypts in user space, and,
# where the kernel has kTLS, that sendfile goes on under it
printf 'zcp:%s\n' "$(openssl rand -hex 32)" >"$T/psk" && chmod 600 "$T/psk"
SEND_EXTRA=(--psk-file "$T/psk") RECV_EXTRA=(--psk-file "$T/psk")
if ktls_kernel; then
	if transfer ktls sendfile splice && grep -q 'path=sendfile tls=ktls' "$T/ktls.send.err"; then
		ok "kTLS (sendfile, splice): both exit 0, output equals input, tls=ktls"
		expect "kTLS: sendfile moves every payload byte in-kernel, none read into user space  # SPEC T-6" \
			check_ktls_sender "$T/ktls.send.tab"
		if ossl_ktls_rx; then
			expect "kTLS receive: splice moves every payload byte from the socket, the kernel decrypting  # SPEC T-6" \
				check_ktls_receiver "$T/ktls.recv.tab" "$T/ktls.recv.err"
			expect "kTLS receive: zcp-recv -v counts match strace  # SPEC X-8 T-6" check_self_counts "$T/ktls.recv.tab" "$T/ktls.recv.err"
		else echo "# SKIPPED: kTLS receive row (OpenSSL $(ossl_version) gives the kernel TLS 1.3 send keys only; receive keys from 3.2 on); not counted"; fi
	else notok "kTLS transfer failed or was not kTLS: $(grep -v listening "$T/ktls.send.err" | head -n 2 | tr '\n' ' ')"; fi
else
	echo "# SKIPPED: kTLS rows, send and receive (the kernel has no kTLS: /proc/sys/net/ipv4/tcp_available_ulp lists '$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null)', no tls module in /lib/modules/$(uname -r)); not counted"
fi
# each side as it says it ran (tls_said: without kTLS exactly tls=user and the copy path)
if transfer tls sendfile splice && grep -Eq "$(tls_said send sendfile) result=ok" "$T/tls.send.err" &&
	grep -Eq "$(tls_said recv splice summary)" "$T/tls.recv.err"; then
	ok "TLS (sendfile asked, splice asked): both exit 0, output equals input, each side's path and tls= what the machine allows (no kTLS: tls=user path=copy)"
	if grep -q 'path=copy tls=user' "$T/tls.send.err"; then
		expect "TLS user: the sender reads every payload byte and writes its ciphertext, nothing in-kernel  # SPEC T-6" check_tls_user_sender "$T/tls.send.tab"
	else expect "TLS, the kernel took the sender's keys: sendfile moves every payload byte in-kernel  # SPEC T-6" check_ktls_sender "$T/tls.send.tab"; fi
	if grep -q 'path copy, tls' "$T/tls.recv.err"; then
		expect "TLS user: the receiver reads the ciphertext and writes every payload byte, nothing spliced  # SPEC T-6" check_tls_user_receiver "$T/tls.recv.tab"
	else expect "TLS, the kernel took the receiver's keys: splice moves every payload byte from the socket  # SPEC T-6" check_ktls_receiver "$T/tls.recv.tab" "$T/tls.recv.err"; fi
	expect "TLS user: zcp-send -v system call counts match strace  # SPEC X-8 T-6" check_self_counts "$T/tls.send.tab" "$T/tls.send.err"
	expect "TLS user: zcp-recv -v system call counts match strace  # SPEC X-8 T-6" check_self_counts "$T/tls.recv.tab" "$T/tls.recv.err"
else notok "TLS transfer failed, or a side said a path and tls= this machine does not give: $(cat "$T/tls.send.err" "$T/tls.recv.err" | grep -v listening | head -n 2 | tr '\n' ' ')"; fi
SEND_EXTRA=() RECV_EXTRA=()

# --- HTTP (SPEC H-9): curl fetches the payload; the body goes by sendfile as for ZCP/1,
# only the response head (the bytes curl saw before the body) from user space
if http_transfer http sendfile; then
	ok "HTTP (sendfile, curl): both exit 0, curl's output equals input"
	expect "HTTP: the sendfile sender moves no payload through user space, only the response head  # SPEC H-9 X-2 X-9" \
		check_sender_zero_copy "$T/http.send.tab" "$(stat -c %s "$T/http.head")"
	expect "HTTP: zcp-send -v counts match strace  # SPEC X-8 H-9" check_self_counts "$T/http.send.tab" "$T/http.send.err"
else notok "HTTP transfer failed: $(cat "$T/http.send.err" "$T/http.recv.err" | grep -v listening | head -n 2 | tr '\n' ' ')"; fi

# --- fetching over HTTP (SPEC G-3): zcp-recv fetches the payload from nginx on the default
# splice path; through user space only the response head and the body bytes read with it
if ! command -v nginx >/dev/null; then
	echo "# SKIPPED: the fetch row (needs nginx: sudo apt-get install -y nginx); not counted"
elif start_nginx && fetch_transfer fetch splice; then
	ok "fetch from nginx (splice): zcp-recv exits 0, output equals input"
	expect "fetch: the body is spliced socket -> pipe -> file; through user space only the response head and the body bytes read with it (< 64 KiB)  # SPEC G-3 X-5" \
		check_fetch_splice "$T/fetch.recv.tab" "$(stat -c %s "$T/nginx.head")"
	expect "fetch: zcp-recv -v counts match strace  # SPEC X-8 G-3" check_self_counts "$T/fetch.recv.tab" "$T/fetch.recv.err"
else notok "fetch from nginx failed: $(head -n 2 "$T/fetch.recv.err" "$T/nginx/stderr" 2>/dev/null | tr '\n' ' ')"; fi

if [ "$MODE" = --quick ]; then
	echo "trace-verify-quick: $pass passed, $fail failed"
	[ $fail -eq 0 ]; exit
fi

# --- faults forced with strace --inject: byte-exact or a documented failure, never a hang
fault() { # DESC SENDPATH RECVPATH SEND-INJECT -- RECV-INJECT
	desc=$1; shift
	if transfer fault "$@"; then ok "$desc: arrives byte-exact"
	else notok "$desc: $(cat "$T/fault.send.err" "$T/fault.recv.err" | grep -v listening | head -n 2 | tr '\n' ' ')"; fi
}
fault "EINTR in sendfile (every 2nd call)  # SPEC X-6" sendfile splice -e inject=sendfile:error=EINTR:when=2+2 --
fault "EAGAIN in sendfile (every 3rd call)  # SPEC X-6" sendfile splice -e inject=sendfile:error=EAGAIN:when=3+3 --
fault "EINTR and EAGAIN in sender splice  # SPEC X-6" splice splice -e inject=splice:error=EINTR:when=2+3 -e inject=splice:error=EAGAIN:when=3+5 --
fault "EINTR and EAGAIN in send  # SPEC X-6" copy splice -e inject=sendto:error=EINTR:when=2+7 -e inject=sendto:error=EAGAIN:when=5+11 --
# the receiver's socket is blocking, bounded by SO_RCVTIMEO (P-10): an EAGAIN there is
# the expired wait, not a retry (X-6; tests/e2e/errors.sh's stalled senders), so only EINTR
fault "EINTR in recv  # SPEC X-6" sendfile copy -- -e inject=recvfrom:error=EINTR:when=3+5
fault "EINTR and EAGAIN in write  # SPEC X-6" sendfile copy -- -e inject=write:error=EINTR:when=2+3 -e inject=write:error=EAGAIN:when=4+7
fault "EINTR in receiver splice  # SPEC X-6" sendfile splice -- -e inject=splice:error=EINTR:when=2+4
for err in ENOSYS EINVAL; do
	for sp in sendfile splice; do
		desc="$err on the first $sp: falls back to copy  # SPEC S-5"
		if transfer fault $sp splice -e inject=$sp:error=$err:when=1 --; then
			if grep -q "^zcp-send: $sp $PAYLOAD: .*; falling back to copy$" "$T/fault.send.err" &&
			   [ "$(tsum "$T/fault.send.tab" bytes '.*' payload user)" -eq "$LEN" ]; then
				ok "$desc (notice printed, trace shows the payload read into user space)"
			else notok "$desc: no notice or no read() of the payload"; fi
		else notok "$desc: transfer failed"; fi
	done
done

# --- the proof table
# tls_how ERR: "TLS MODE (PATH)", as a side's log line or summary in ERR said it ran (T-6)
tls_how() { sed -En 's/.*path[= ]([a-z]+),? tls[= ]([a-z]+).*/TLS \2 (\1)/p' "$1" | tail -n 1; }
row() { # SIDE PATH TABLE: one row of results.md (fields separated by ;)
	tab=$3
	moving='read|pread64|recvfrom|write|sendto|sendfile|splice'
	total=$(tsum "$tab" calls '.*' '.*' '.*')
	if [ "$1" = sender ]; then src=payload dst=socket; else src=socket dst=payload; fi
	user=$(( $(tsum "$tab" bytes '.*' "$src" user) + $(tsum "$tab" bytes '.*' user "$dst") ))
	data=$(tsum "$tab" calls "$moving" "$src" "$dst" either)
	kernel=$(tsum "$tab" bytes 'sendfile|splice' socket socket either)
	byname=$(awk '($2 ~ /payload|socket|pipe/ || $3 ~ /payload|socket|pipe/) &&
		$1 ~ /^(read|pread64|recvfrom|write|sendto|sendfile|splice|poll)$/ { n[$1] += $4 }
		END { for (k in n) printf "%s=%d ", k, n[k] }' "$tab" |
		tr ' ' '\n' | sort | tr '\n' ' ')
	echo "$1;$2;$total;$data;$user;$kernel;$byname"
}
{
	row sender copy "$T/copy-splice.send.tab"
	row sender sendfile "$T/sendfile-splice.send.tab"
	row sender splice "$T/splice-splice.send.tab"
	row receiver copy "$T/sendfile-copy.recv.tab"
	row receiver splice "$T/sendfile-splice.recv.tab"
	row sender "sendfile, --verify" "$T/verify.send.tab"
	row receiver "splice, --verify" "$T/verify.recv.tab"
	row sender "$(tls_how "$T/tls.send.err")" "$T/tls.send.tab"
	row receiver "$(tls_how "$T/tls.recv.err")" "$T/tls.recv.tab"
	row sender "sendfile, HTTP (curl)" "$T/http.send.tab"
	[ -f "$T/fetch.recv.tab" ] && row receiver "splice, HTTP fetch from nginx" "$T/fetch.recv.tab"
} >"$T/rows"
{
	echo "# trace-verify results"
	echo
	echo "Generated by \`make trace-verify\` ($(date -u +%Y-%m-%d), kernel $(uname -r), payload $LEN bytes)."
	echo "Each row is one traced transfer: a sender path measured against the splice receiver,"
	echo "a receiver path measured against the sendfile sender. Counts come from \`strace -f -yy\`,"
	echo "attributed by file descriptor (the loader's reads of libraries are not payload)."
	echo
	echo "| side | path | total syscalls | data-moving syscalls | payload bytes through user space | bytes moved in-kernel | data syscalls vs copy | user bytes vs copy | calls on the data path |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
	awk -F';' '{ side[NR] = $1; path[NR] = $2; tot[NR] = $3; data[NR] = $4; user[NR] = $5; kern[NR] = $6; names[NR] = $7
	       if ($2 == "copy") { copyd[$1] = $4; copyu[$1] = $5 } }
	     END { for (i = 1; i <= NR; i++)
		printf "| %s | %s | %d | %d | %d | %d | %.4f | %.4f | %s|\n", side[i], path[i], tot[i], data[i], user[i],
		       kern[i], data[i] / copyd[side[i]], user[i] / copyu[side[i]], names[i] }' "$T/rows"
	echo
	echo "Data-moving syscalls are reads, writes, sendfile and splice on the payload file, the socket"
	echo "and the splice pipe (polls are listed in the last column but not counted). User bytes count"
	echo "both crossings: into the program and back out of it. Headers are $REQ_BYTES + $RESP_BYTES + $ACK_BYTES bytes per transfer."
	echo "The --verify rows add exactly one pread of the payload on each side (the hash, SPEC W-17, R-19)"
	echo "and the $TRAILER_BYTES-byte trailer; sendfile and splice still move every payload byte."
	echo "The TLS rows (--psk-file, no kTLS in this kernel) move the payload through user space on"
	echo "both sides (SPEC T-6): the sender preads it and writes ciphertext, the receiver reads"
	echo "ciphertext and writes it; a kTLS row runs only where the kernel has the TLS ULP."
	echo "The HTTP row (SPEC H-9) is zcp-send answering curl's GET: sendfile moves the body, user space"
	echo "only the request and the response head."
	echo "The HTTP fetch row (SPEC G-3) is zcp-recv fetching the payload from nginx (sendfile on): splice"
	echo "moves the body socket -> pipe -> file; user space sees the request, the response head and the"
	echo "body bytes that came in the head's read (at most 64 KiB less the head), written once."
	echo
	echo "Faults forced with \`strace --inject\` (every run byte-exact, checked with cmp): EINTR and EAGAIN"
	echo "in sendfile, the sender's splice, sendto and write, EINTR in the receiver's recvfrom and splice"
	echo "(its socket is blocking, bounded by SO_RCVTIMEO: an EAGAIN there is the timeout, X-6), at"
	echo "several call numbers; ENOSYS"
	echo "and EINVAL in the first sendfile and the first splice (fallback to copy, with the notice)."
	echo "Short counts are not injected: strace's inject skips a call instead of shortening it, so it"
	echo "would claim bytes that never moved. Short counts are forced in tests/test_xfer.c (a call cap"
	echo "on real sockets and pipes) and occur naturally in the traced runs above."
} >"$HERE/results.md"
echo "# wrote trace/results.md"
sed -n '/^| side/,/^$/p' "$HERE/results.md"
echo "trace-verify: $pass passed, $fail failed"
[ $fail -eq 0 ]
