#!/usr/bin/env bash
# tests/e2e/errors.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: errors named; the file changing under the sender; hostile or failing peers.
# Runs alone (make check T=errors) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- errors name the call and the object (SPEC E-1 E-2 E-4 S-1 S-9)
t_refused() {
	start_send --once "$T/data.bin" && kill "$SPID" && wait "$SPID" 2>/dev/null
	zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ] &&
	grep -qx "zcp-recv: connect 127.0.0.1:$PORT: Connection refused" "$T/err"
}
check "connection refused: exit 4, one line naming connect and the address  # SPEC E-1 E-2" t_refused
t_nofile() {
	zsend "$T/nope.bin" 2>"$T/err"; [ $? -eq 3 ] &&
	grep -qx "zcp-send: open $T/nope.bin: No such file or directory" "$T/err" &&
	{ zsend "$T" 2>"$T/err"; [ $? -eq 3 ]; } && grep -q 'not a regular file' "$T/err"
}
check "missing or non-regular FILE: exit 3 before listening  # SPEC S-1 E-2" t_nofile
t_fifo_source() {
	mkfifo "$T/src.fifo" &&
	{ timeout 5 "$B/zcp-send" "$T/src.fifo" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-send: open $T/src.fifo: not a regular file" "$T/err" &&
	cp "$T/data.bin" "$T/swap.bin" && start_send "$T/swap.bin" &&
	mv "$T/swap.bin" "$T/swap.keep" && mkfifo "$T/swap.bin" &&
	{ timeout 10 "$B/zcp-recv" -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered NOT_FOUND' "$T/err" &&
	rm "$T/swap.bin" && mv "$T/swap.keep" "$T/swap.bin" &&
	timeout 10 "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/swap.out" && cmp "$T/swap.out" "$T/data.bin"
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "a FIFO as FILE: exit 3 at once; swapped in later: NOT_FOUND, serving goes on  # SPEC S-1" t_fifo_source
t_proc_source() {
	{ zsend /proc/self/status 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-send: read /proc/self/status: reports size 0 but has content (a /proc or sysfs file?); not served' "$T/err" &&
	ln -s "$T/data.bin" "$T/flip" && start_send "$T/flip" && ln -sfn /proc/self/status "$T/flip" &&
	{ zrecv -c "127.0.0.1:$PORT" -o "$T/proc.out" 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered SERVER_ERROR' "$T/err" && [ ! -e "$T/proc.out" ]
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "a size-0 file with content (/proc) is refused, never sent empty  # SPEC S-9" t_proc_source
t_escaped_names() {
	local rc
	start_send --once "$T/data.bin" || return 1
	zrecv -c "127.0.0.1:$PORT" --name $'x\ny\e[31mz' --discard 2>"$T/err"; rc=$?
	wait "$SPID"; [ $? -eq 5 ] && [ $rc -eq 6 ] &&
	grep -qx "zcp-send: 127.0.0.1:[0-9]*: asked for unknown name 'x\\\\x0ay\\\\x1b\[31mz'" "$T/send.err" &&
	grep -q 'name="x\\\\x0ay\\\\x1b\[31mz" .* result=failed exit=5$' "$T/send.err" &&
	[ "$(wc -l <"$T/send.err")" -eq 3 ] && ! grep -q $'\e' "$T/send.err"
}
check "a name from a peer is printed escaped: one line, no escape sequence  # SPEC E-4" t_escaped_names

# --- the sender's file changes under it (SPEC S-2 S-3 P-9)
head -c 67108864 /dev/zero >"$T/big.bin"
t_truncated() {
	mkdir -p "$T/flags1" && start_send --once "$T/big.bin" &&
	{ peer client "$PORT" "$T/trunc.out" 1048576 "$T/flags1" >"$T/client.out" & } &&
	local cpid=$! && wait_until 20 test -f "$T/flags1/paused" &&
	truncate -s 2M "$T/big.bin" && touch "$T/flags1/go" && wait "$cpid"
	wait "$SPID"; local rc=$?
	[ $rc -eq 3 ] && grep -q "^zcp-send: sendfile $T/big.bin: file truncated at offset [0-9]* (expected 67108864 bytes)$" "$T/send.err" &&
	grep -q '^received [0-9]* of 67108864$' "$T/client.out" && ! grep -q 'received 67108864' "$T/client.out"
}
check "file truncated mid-transfer: sender exit 3, receiver gets a short stream  # SPEC S-2" t_truncated
t_raw_truncated() {
	head -c 67108864 /dev/zero >"$T/big.raw" && mkdir -p "$T/flags3" && start_send --once --raw "$T/big.raw" &&
	{ peer raw-client "$PORT" "$T/rawtrunc.out" 1048576 "$T/flags3" >"$T/client.out" & } &&
	local cpid=$! && wait_until 20 test -f "$T/flags3/paused" &&
	truncate -s 2M "$T/big.raw" && touch "$T/flags3/go" && wait "$cpid"
	wait "$SPID"; local rc=$?
	[ $rc -eq 3 ] && grep -q '^reset [0-9]*$' "$T/client.out"
}
check "raw sender failing mid-transfer resets, so a raw client sees an error  # SPEC P-9" t_raw_truncated
head -c 4194304 /dev/urandom >"$T/grow.bin"
t_grown() {
	mkdir -p "$T/flags2" && cp "$T/grow.bin" "$T/grow.orig" && start_send --once "$T/grow.bin" &&
	{ peer client "$PORT" "$T/grow.out" 65536 "$T/flags2" >"$T/client.out" & } && local cpid=$! &&
	wait_until 20 test -f "$T/flags2/paused" &&
	head -c 1000000 /dev/urandom >>"$T/grow.bin" && touch "$T/flags2/go" && wait "$cpid" && wait "$SPID" &&
	grep -qx 'received 4194304 of 4194304' "$T/client.out" && cmp "$T/grow.orig" "$T/grow.out"
}
check "file grown mid-transfer: exactly the declared length, ack OK  # SPEC S-3" t_grown

# --- hostile or failing peers (SPEC R-7 P-8 P-10 S-8 S-7 E-3)
t_short() {
	start_fake fake-sender 100000 40000 &&
	{ zrecv -c "127.0.0.1:$PORT" -o "$T/short.out" 2>"$T/err"; [ $? -eq 5 ]; } &&
	grep -qx "zcp-recv: splice 127.0.0.1:$PORT: connection closed after 40000 of 100000 bytes" "$T/err" &&
	wait "$FPID" && grep -qx 'ack status 1' "$T/fake.out" && no_entry "$T" '*short.out*'
}
check "short stream: exit 5, ack SHORT, no file  # SPEC R-7 P-6 R-2" t_short
t_much() {
	start_fake fake-sender 1000 1001 &&
	{ zrecv -p copy -c "127.0.0.1:$PORT" -o "$T/much.out" 2>"$T/err"; [ $? -eq 5 ]; } &&
	grep -q 'peer sent more than declared' "$T/err" && wait "$FPID" &&
	grep -qx 'ack status 3' "$T/fake.out" && no_entry "$T" '*much.out*'
}
check "excess bytes: exit 5, ack PROTOCOL, no file  # SPEC P-8" t_much
t_timeout() {
	start_fake silent-sender &&
	{ timeout 10 "$B/zcp-recv" --timeout 1 -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: recvfrom 127.0.0.1:$PORT: Connection timed out" "$T/err"
	local r=$?; kill "$FPID" 2>/dev/null; return "$r"
}
check "silent sender: --timeout 1 ends the wait, exit 4  # SPEC P-10 E-3" t_timeout
t_steady_sender() { # one byte every half timeout, 10 times over: never idle for a whole timeout
	start_fake steady-sender 6 0.5 &&
	zrecv --timeout 1 -c "127.0.0.1:$PORT" -o "$T/steady.out" && wait "$FPID" &&
	grep -qx 'ack status 0' "$T/fake.out" && printf '\0\1\2\3\4\5' | cmp - "$T/steady.out"
}
check "a slow but steady sender (a byte every timeout/2) is not cut: the file arrives  # SPEC P-10" t_steady_sender
t_steady_receiver() { # the pushing sender waits in poll(): the same rule
	start_fake steady-receiver 0.5 &&
	timeout 30 "$B/zcp-send" --timeout 1 -c "127.0.0.1:$PORT" "$T/data.bin" && wait "$FPID" &&
	grep -qx 'received 5000000 of 5000000' "$T/fake.out"
}
check "a slow but steady receiver of a push (request and ack a part every timeout/2) is not cut  # SPEC P-10" t_steady_receiver
t_connect_timeout() {
	start_fake full-backlog &&
	{ timeout 10 "$B/zcp-recv" --timeout 1 -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: connect 127.0.0.1:$PORT: Connection timed out" "$T/err"
	local r=$?; kill "$FPID" 2>/dev/null; return "$r"
}
check "a connect that is never accepted: --timeout 1 bounds it, exit 4  # SPEC P-10" t_connect_timeout
t_peer_gone() {
	start_send --once -p "$1" "$T/big.bin.2" && peer close-early "$PORT"
	wait "$SPID"; local rc=$?
	[ $rc -eq 4 ] && grep -Eq "^zcp-send: $2 127.0.0.1:[0-9]*: (Broken pipe|Connection reset by peer)$" "$T/send.err"
}
head -c 33554432 /dev/zero >"$T/big.bin.2"
check "receiver vanishes (sendfile): exit 4 naming the peer, no SIGPIPE death  # SPEC S-8 E-2" t_peer_gone sendfile sendfile
check "receiver vanishes (copy): exit 4, names sendto  # SPEC S-8" t_peer_gone copy sendto
t_serve_on() {
	start_send -p splice "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/s1" && peer garbage "$PORT" >"$T/g.out" &&
	zrecv -c "127.0.0.1:$PORT" -p copy -o "$T/s2" && kill "$SPID" &&
	cmp "$T/s1" "$T/data.bin" && cmp "$T/s2" "$T/data.bin" && grep -qx 'status 1' "$T/g.out" &&
	grep -q 'malformed request: bad magic' "$T/send.err"
}
check "serving goes on after a malformed request (BAD_REQUEST)  # SPEC S-7 P-4 E-3" t_serve_on
t_failure_not_lost() { # a receiver failure reaches the sender, run after run
	local i
	for i in $(seq 10); do
		if ! { start_send --once "$T/big.bin.2" &&
		       { zrecv -c "127.0.0.1:$PORT" --max-size 1M --discard 2>/dev/null; [ $? -eq 3 ]; } &&
		       { wait "$SPID"; [ $? -eq 6 ]; } &&
		       grep -qx "zcp-send: 127.0.0.1:[0-9]*: receiver reported LOCAL_ERROR after 0 of 33554432 bytes" "$T/send.err"; }; then
			echo "run $i: $(cat "$T/send.err")"
			return 1
		fi
	done
}
check "a receiver's refusal reaches the sender as LOCAL_ERROR (exit 6) in 10 of 10 runs  # SPEC R-14 S-11 R-12" t_failure_not_lost
t_efbig() {
	start_send --once "$T/data.bin" &&
	{ (ulimit -f 100; exec timeout 60 "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/efbig.out" 2>"$T/err"); [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: splice $T/efbig.out: File too large" "$T/err" &&
	{ wait "$SPID"; [ $? -eq 6 ]; } && grep -q 'receiver reported LOCAL_ERROR' "$T/send.err" &&
	no_entry "$T" '*efbig*'
}
check "ulimit -f: EFBIG, not SIGXFSZ: exit 3, ack LOCAL_ERROR, nothing left  # SPEC R-9 R-2" t_efbig

t_stall_ends_at_timeout() { # ARGS...: a sender stalls mid-payload; zcp-recv --timeout 2 ARGS gives up 2 s later
	start_fake fake-sender 10000000 3000000 hang && local rc end at
	zrecv -q -c "127.0.0.1:$PORT" -o "$T/stalled" --timeout 2 "$@" 2>"$T/stall.err"; rc=$? end=$(date +%s.%N)
	kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null
	at=$(sed -n 's/^stalled at //p' "$T/fake.out") && cat "$T/stall.err" &&
	echo "exit $rc, $(bc <<<"$end - $at") s after the stall" &&
	[ "$rc" -eq 4 ] && grep -q ': Connection timed out$' "$T/stall.err" &&
	awk -v a="$end" -v b="$at" 'BEGIN { exit !(a - b >= 1.9 && a - b < 3.8) }' # not 2 x 2 s
}
check "a sender that stalls: zcp-recv --timeout 2 ends 2 s after, not twice that (no drain)  # SPEC P-10 R-14" t_stall_ends_at_timeout
check "a sender that stalls: zcp-recv --timeout 2 --path copy ends 2 s after, not twice that  # SPEC P-10 R-14" t_stall_ends_at_timeout --path copy
check "a sender that stalls: zcp-recv --timeout 2 --verify ends 2 s after, not twice that  # SPEC P-10 R-14" t_stall_ends_at_timeout --verify
# help_entry PROG OPT: OPT's entry in PROG --help, its continuation lines joined
help_entry() {
	"$B/$1" --help | awk -v o="$2" '$0 ~ "^ *(-., )?" o " " { on = 1; printf "%s", $0; next }
		on && /^                    +[^ -]/ { printf " %s", $0; next } { on = 0 }'
}
t_help_matches_man() { # each exit status of a man page is on --help's Exit: line; --header-timeout names the same frames
	local prog codes code r=0 exitline
	for prog in zcp-send zcp-recv; do
		exitline=$("$B/$prog" --help | sed -n '/^Exit:/,$p' | tr '\n' ' ')
		# the .It N of EXIT STATUS, but an entry for the other program only
		codes=$(sed -n '/^\.Sh EXIT STATUS/,/^\.El/p' "$HERE/../man/$prog.1" |
			awk '/^\.It [0-9]+$/ { c = $2; next } c != "" { if ($0 !~ /only\)/) print c; c = "" }')
		[ -n "$codes" ] || { echo "$prog.1: no exit statuses read"; r=1; }
		for code in $codes; do
			grep -qE "[ :]$code [a-z]" <<<"$exitline" || { echo "$prog --help lacks exit $code: $exitline"; r=1; }
		done
		if sed -n '/^\.It.*header-timeout/,/^\.It/p;/^\.Fl \\-header-timeout$/,/^\.It/p' "$HERE/../man/$prog.1" | grep -q trailer; then
			help_entry "$prog" --header-timeout | grep -q trailer ||
				{ echo "$prog --help: --header-timeout omits the trailer: $(help_entry "$prog" --header-timeout)"; r=1; }
		fi
	done
	return $r
}
check "each program's --help: every exit status of its man page, --header-timeout's frames as the man says  # SPEC C-6 E-1 P-13" t_help_matches_man
t_nofile_too_low() { # ulimit -n 5: not one connection fits; the limit is said to be too low, no --max-clients 1, no --help
	local rc
	timeout 60 prlimit --nofile=5:5 "$B/zcp-send" -l 127.0.0.1:0 "$T/data.bin" 2>"$T/low.err"; rc=$?
	cat "$T/low.err"
	[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/low.err")" -eq 1 ] &&
	grep -qx 'zcp-send: the limit of 5 descriptors (ulimit -n) is too low: one connection needs about 8' "$T/low.err"
}
check "ulimit -n 5: zcp-send says the descriptor limit is too low (exit 1), blames no option  # SPEC C-11 E-1" t_nofile_too_low
t_streams_over_nofile() { # --streams N past RLIMIT_NOFILE: a usage error with the arithmetic, before any connection
	local rc
	timeout 60 prlimit --nofile=16:16 "$B/zcp-recv" --streams 8 -c 127.0.0.1:9 -o "$T/streams-nofile" 2>"$T/sn.err"; rc=$?
	cat "$T/sn.err"
	[ "$rc" -eq 2 ] && grep -qx 'zcp-recv: --streams 8 needs about 38 descriptors; the limit is 16 (ulimit -n)' "$T/sn.err" &&
	grep -qx "Try 'zcp-recv --help'." "$T/sn.err" && [ ! -e "$T/streams-nofile" ]
}
check "zcp-recv --streams 8 with ulimit -n 16: usage error with the arithmetic, exit 2  # SPEC C-11 R-18" t_streams_over_nofile

summary errors
