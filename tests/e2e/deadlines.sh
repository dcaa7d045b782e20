#!/usr/bin/env bash
# tests/e2e/deadlines.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: a total deadline on every phase that waits for a peer (P-13), what hashing may cost (W-17), descriptors (C-11).
# Runs alone (make check T=deadlines) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# logged_after EPOCH LINE LOW HIGH: LINE (a transfer line) was logged LOW to HIGH s after EPOCH
logged_after() {
	local at; at=$(date -d "$(field time "$2")" +%s.%N) || return 1
	echo "logged $(bc <<<"$at - $1") s after $1"
	awk -v a="$at" -v b="$1" -v lo="$3" -v hi="$4" 'BEGIN { exit !(a - b >= lo && a - b < hi) }'
}
t_request_trickled() { # KIND: the request (or its identity frame) a byte every 1.5 s, inside --timeout 2
	start_send --once --timeout 2 --header-timeout 3 "$T/data.bin" &&
	peer trickle-request "$PORT" 1.5 20 "$1" >"$T/trickle.out"; wait "$SPID"; local rc=$?
	cat "$T/trickle.out" "$T/send.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-request: closed after' "$T/trickle.out" &&
	grep -q "timed out waiting for the request" "$T/send.err" &&
	# both clocks read to the millisecond, each rounded: the low bound allows 0.1 s
	logged_after "$(sed -n 's/^trickle-request: connected at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/send.err")" 2.9 5.5
}
check "a request trickled a byte per 1.5 s (--timeout 2) is cut at --header-timeout 3, exit 4  # SPEC P-13 S-13" t_request_trickled request
check "an IF_IDENT request's identity frame trickled (--timeout 2) is cut at --header-timeout 3  # SPEC P-13 W-16" t_request_trickled ident
t_ack_trickled() { # a byte of the ack every 1.5 s, inside --timeout 2: dropped 2 s after the payload
	start_send --once --timeout 2 "$T/data.bin" &&
	peer trickle-ack "$PORT" 1.5 20 >"$T/trickle.out"; wait "$SPID"; local rc=$?
	cat "$T/trickle.out" "$T/send.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-ack: closed after' "$T/trickle.out" &&
	grep -q 'timed out waiting for the ack' "$T/send.err" &&
	# the half-close reaches the peer a moment after the sender's clock starts: 0.1 s
	logged_after "$(sed -n 's/^trickle-ack: payload ended at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/send.err")" 1.9 4.5
}
check "an ack trickled a byte per 1.5 s (--timeout 2) is cut 2 s after the half-close, exit 4  # SPEC P-13" t_ack_trickled
t_push_header_trickled() { # a pusher's response a byte every 1.5 s, inside --timeout 2
	mkdir -p "$T/trickled" &&
	start_recv -o "$T/trickled/" --once --timeout 2 --header-timeout 3 &&
	peer trickle-push "$RPORT" 1.5 20 >"$T/trickle.out"; wait "$RPID"; local rc=$?
	cat "$T/trickle.out" "$T/recv.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-push: closed after' "$T/trickle.out" && only_entries "$T/trickled" &&
	logged_after "$(sed -n 's/^trickle-push: connected at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/recv.err")" 2.9 5.5
}
check "zcp-recv --listen DIR/: a response header trickled (--timeout 2) is cut at --header-timeout 3, exit 4  # SPEC P-13 R-16" t_push_header_trickled
t_open_emfile() { # the file's open meets EMFILE at a request: SERVER_ERROR, a system failure (exit 1)
	: >"$T/send.err"
	zstrace -f -o /dev/null -P "$T/data.bin" -e inject=openat:error=EMFILE:when=2 \
		"$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
	local spid=$!; local port
	port=$(port_of "$T/send.err") &&
	{ zrecv -c "127.0.0.1:$port" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered SERVER_ERROR' "$T/err" && { wait "$spid"; [ $? -eq 1 ]; } &&
	grep -q 'result=failed exit=1$' "$T/send.err" && grep -q 'Too many open files' "$T/send.err"
}
check "open of the served file fails EMFILE: SERVER_ERROR, not NOT_FOUND; logged exit=1  # SPEC C-11 W-9" t_open_emfile
# nofile_of PID: the soft and hard "Max open files" of a process
nofile_of() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }
t_nofile_raised() { # both programs start with the soft limit raised to the hard one
	: >"$T/send.err"; mkdir -p "$T/nofile"
	timeout 60 prlimit --nofile=64:4096 "$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
	local spid=$!; local port; port=$(port_of "$T/send.err") || return 1
	local lim; lim=$(nofile_of "$(pgrep -P "$spid" -x zcp-send || echo "$spid")"); echo "zcp-send: $lim"
	zrecv -c "127.0.0.1:$port" --discard && wait "$spid" && [ "$lim" = "4096 4096" ] || return 1
	: >"$T/recv.err"
	timeout 60 prlimit --nofile=64:4096 "$B/zcp-recv" --once -l 127.0.0.1:0 -o "$T/nofile/" 2>"$T/recv.err" &
	local rpid=$!; port=$(port_of "$T/recv.err") || return 1
	lim=$(nofile_of "$(pgrep -P "$rpid" -x zcp-recv || echo "$rpid")"); echo "zcp-recv: $lim"
	zsend -c "127.0.0.1:$port" "$T/data.bin" && wait "$rpid" && [ "$lim" = "4096 4096" ]
}
check "the soft RLIMIT_NOFILE is raised to the hard one at start (prlimit 64:4096)  # SPEC C-11" t_nofile_raised
t_max_clients_over_limit() { # more connections than the hard limit allows: refused at start, exit 2
	mkdir -p "$T/nofile"
	{ timeout 60 prlimit --nofile=64:64 "$B/zcp-send" --max-clients 100 -l 127.0.0.1:0 "$T/data.bin" \
		2>"$T/err"; [ $? -eq 2 ]; } && cat "$T/err" &&
	grep -qx 'zcp-send: --max-clients 100 needs about 206 descriptors; the limit is 64 (ulimit -n)' "$T/err" &&
	{ timeout 60 prlimit --nofile=64:64 "$B/zcp-recv" --max-clients 100 -l 127.0.0.1:0 -o "$T/nofile/" \
		2>"$T/err"; [ $? -eq 2 ]; } && cat "$T/err" &&
	grep -qx 'zcp-recv: --max-clients 100 needs about 406 descriptors; the limit is 64 (ulimit -n)' "$T/err" &&
	# the default (1024) is lowered to what fits, said once, and serves
	: >"$T/send.err" && { timeout 60 prlimit --nofile=64:64 "$B/zcp-send" --once -l 127.0.0.1:0 \
		"$T/data.bin" 2>"$T/send.err" & } && local spid=$! && local port && port=$(port_of "$T/send.err") &&
	zrecv -c "127.0.0.1:$port" --discard && wait "$spid" && cat "$T/send.err" &&
	grep -qx 'zcp-send: note: --max-clients 29, not 1024: the limit is 64 descriptors (ulimit -n)' "$T/send.err"
}
check "--max-clients past RLIMIT_NOFILE: usage error with the arithmetic; the default lowered to fit  # SPEC C-11 S-14 R-16" t_max_clients_over_limit
t_push_trailer_trickled() { # with --verify, the pusher's trailer a byte every 1.5 s, inside --timeout 2
	mkdir -p "$T/trickled" &&
	start_recv -o "$T/trickled/" --once --verify --timeout 2 --header-timeout 3 &&
	peer trickle-push "$RPORT" 1.5 10 trailer >"$T/trickle.out"; wait "$RPID"; local rc=$?
	cat "$T/trickle.out" "$T/recv.err"
	# the receiver acks SHORT and lingers (R-14): its log line is the word on when it gave up
	[ "$rc" -eq 4 ] && grep -q 'recvfrom .*: Connection timed out' "$T/recv.err" && only_entries "$T/trickled" &&
	logged_after "$(sed -n 's/^trickle-push: payload sent at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/recv.err")" 2.9 5.5
}
check "zcp-recv --listen DIR/ --verify: a trailer trickled (--timeout 2) is cut --header-timeout 3 after the payload, exit 4  # SPEC P-13 R-16 R-19" t_push_trailer_trickled
# hashed_file: $T/hashed.bin, a big file whose whole hash takes many turns of --max-chunk
# (settled: changed over a second ago, so that its hash is remembered, SPEC W-17)
settled() { [ $(($(date +%s) - $(stat -c %Z "$1"))) -ge 2 ]; }
hashed_file() { { [ -f "$T/hashed.bin" ] || head -c 64M /dev/zero >"$T/hashed.bin"; } && wait_until 5 settled "$T/hashed.bin"; }
t_hash_once() { # two verified resumes of the last 10 bytes: the file is read for the hash once
	hashed_file && start_send -v --count 3 --max-chunk 4M "$T/hashed.bin" &&
	peer verify-resume "$PORT" 2 >"$T/vr.out" && wait "$SPID" && cat "$T/vr.out" "$T/send.err" &&
	[ "$(grep -c '^verify-resume: hash ' "$T/vr.out")" -eq 2 ] &&
	[ "$(sed -n 's/^verify-resume: hash //p' "$T/vr.out" | sort -u | wc -l)" -eq 1 ] &&
	[ "$(grep -c 'offset=67108854 length=10 .*result=ok' "$T/send.err")" -eq 2 ] &&
	grep 'offset=67108854 length=10 .*result=ok' "$T/send.err" | head -n 1 | grep -q 'pread64:[1-9]' &&
	! grep 'offset=67108854 length=10 .*result=ok' "$T/send.err" | tail -n 1 | grep -q pread
}
check "a second identical verified resume costs no reading: the whole-file hash is read once  # SPEC W-17 P-11" t_hash_once
t_hash_peer_gone() { # a receiver gone mid-hash: the sender stops reading (strace: the preads stop)
	local spid port n
	hashed_file && : >"$T/send.err" || return 1
	# each pread slowed (20 ms: the whole hash would take 5 s), so the receiver is surely gone
	# mid-hash however slowly it runs (a fast hash on a busy machine once ended first)
	zstrace -f -e trace=pread64 -e inject=pread64:delay_enter=20000 -o "$T/hash.trace" \
		"$B/zcp-send" --count 2 -l 127.0.0.1:0 --max-chunk 4K \
		"$T/hashed.bin" 2>"$T/send.err" &
	spid=$!; port=$(port_of "$T/send.err") &&
	peer verify-resume "$port" 1 gone && { wait "$spid"; [ $? -eq 4 ]; } && cat "$T/send.err" &&
	# gone while hashed, or already while its payload was acknowledged: either way the reading stops
	grep -Eq 'receiver went away while the file was hashed|recvfrom 127.0.0.1:[0-9]+: Connection reset by peer' "$T/send.err" &&
	n=$(grep -c 'pread64(' "$T/hash.trace") && echo "$n preads of 256" && [ "$n" -lt 256 ]
}
check "a receiver gone mid-hash: the sender stops reading the file, exit 4  # SPEC W-17 P-11" t_hash_peer_gone

summary deadlines
