#!/bin/sh
# End-to-end tests: the real zcp-send and zcp-recv over loopback.
# Usage: tests/e2e.sh BUILD_DIR   (prints TAP-like lines, then "e2e: N passed, N failed")
set -u
B=$(cd "${1:?usage: e2e.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PEER="python3 $HERE/peer.py"
# LeakSanitizer cannot run under ptrace; the other sanitizers still do.
STRACE="env ASAN_OPTIONS=detect_leaks=0 timeout 60 strace"
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-e2e.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
pass=0 fail=0 n=0

ok()  { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; sed 's/^/#   /' "$T/log" 2>/dev/null | tail -n 8; }
# check DESC CMD...: the test passes when CMD succeeds
check() { desc=$1; shift; if "$@" >"$T/log" 2>&1; then ok "$desc"; else bad "$desc"; fi; }

# start_send ARGS...: zcp-send listening on a free port in the background: sets PORT, SPID
start_send() {
	: >"$T/send.err"
	timeout 60 "$B/zcp-send" -l 127.0.0.1:0 "$@" 2>"$T/send.err" &
	SPID=$!
	PORT=$(wait_listening "$T/send.err")
}
# wait_listening FILE: print the port from FILE's "listening on" line, once it is there
wait_listening() {
	i=0
	while ! grep -q '^listening on ' "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 500 ] && return 1; sleep 0.01
	done
	sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1" | head -n 1
}
# start_fake KIND ARGS...: a scripted peer from peer.py listening; sets PORT, FPID
start_fake() {
	rm -f "$T/port"
	timeout 60 $PEER "$@" "$T/port.wait" >"$T/fake.out" 2>&1 &
	FPID=$!
	i=0; while [ ! -f "$T/port.wait" ]; do i=$((i + 1)); [ $i -gt 500 ] && break; sleep 0.01; done
	PORT=$(cat "$T/port.wait"); rm -f "$T/port.wait"
}

head -c 5000000 /dev/urandom >"$T/data.bin"

# --- every sender path x every receiver path (SPEC P-1 X-1 X-2 X-3 X-4 X-5 C-2)
for sp in copy sendfile splice; do
	for rp in copy splice; do
		t_paths() {
			start_send --once -p "$1" "$T/data.bin" &&
			timeout 60 "$B/zcp-recv" -c "127.0.0.1:$PORT" -p "$2" -o "$T/out.$1.$2" &&
			wait $SPID && cmp "$T/data.bin" "$T/out.$1.$2"
		}
		check "send $sp -> recv $rp, cmp equal  # SPEC P-1 X-1 X-2 X-3 X-4 X-5" t_paths $sp $rp
	done
done

# --- push: the receiver listens, the sender connects (SPEC P-1 C-2 C-7)
t_push() {
	: >"$T/recv.err"
	timeout 60 "$B/zcp-recv" -q -l 127.0.0.1:0 -o "$T/pushed" 2>"$T/recv.err" &
	rpid=$!
	port=$(wait_listening "$T/recv.err") &&
	timeout 60 "$B/zcp-send" -c "127.0.0.1:$port" "$T/data.bin" && wait $rpid &&
	cmp "$T/data.bin" "$T/pushed"
}
check "push mode: send --connect, recv --listen; -q still prints port 0  # SPEC C-2 C-7" t_push

# --- raw mode against plain Python peers (SPEC P-9)
t_raw_send() {
	start_send --once --raw -p splice "$T/data.bin" &&
	$PEER raw-client "$PORT" "$T/raw1" && wait $SPID && cmp "$T/data.bin" "$T/raw1"
}
check "send --raw to a plain Python client  # SPEC P-9" t_raw_send
t_raw_recv() {
	: >"$T/recv.err"
	timeout 60 "$B/zcp-recv" --raw -l 127.0.0.1:0 -o "$T/raw2" 2>"$T/recv.err" &
	rpid=$!
	port=$(wait_listening "$T/recv.err") &&
	$PEER raw-sender "$port" "$T/data.bin" && wait $rpid && cmp "$T/data.bin" "$T/raw2"
}
check "recv --raw from a plain Python sender  # SPEC P-9" t_raw_recv

# --- outputs (SPEC R-3 R-4 R-5)
t_dir() {
	mkdir -p "$T/dir" && start_send --once "$T/data.bin" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/dir" && wait $SPID && cmp "$T/data.bin" "$T/dir/data.bin" &&
	[ "$(ls -A "$T/dir")" = data.bin ]
}
check "-o DIRECTORY stores under the sender's name  # SPEC R-4" t_dir
t_dir_raw() { "$B/zcp-recv" --raw -o "$T/dir"; [ $? -eq 2 ]; }
check "-o DIRECTORY with --raw is a usage error  # SPEC R-4" t_dir_raw
t_stdout_pipe() {
	start_send --once "$T/data.bin" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -o - | cmp - "$T/data.bin" && wait $SPID
}
check "-o - into a pipe  # SPEC R-5" t_stdout_pipe
t_stdout_append() {
	: >"$T/appended" && start_send --once "$T/data.bin" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -o - >>"$T/appended" 2>"$T/recv.err" && wait $SPID &&
	grep -q 'using copy' "$T/recv.err" && cmp "$T/appended" "$T/data.bin"
}
check "-o - onto an O_APPEND file falls back to copy, says so  # SPEC R-5" t_stdout_append
t_exists() {
	echo keep >"$T/exists" && start_send --once "$T/data.bin" &&
	{ "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/exists" 2>"$T/recv.err"; [ $? -eq 3 ]; } &&
	grep -q "^zcp-recv: open $T/exists: file exists (use --force to replace it)$" "$T/recv.err" &&
	[ "$(cat "$T/exists")" = keep ] &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/exists" --force --fsync && wait $SPID &&
	cmp "$T/exists" "$T/data.bin"
}
check "existing output: exit 3 without --force, replaced with it  # SPEC R-3 E-1 E-2" t_exists

t_empty() {
	: >"$T/empty.bin" && start_send --once -p splice "$T/empty.bin" &&
	"$B/zcp-recv" -c "localhost:$PORT" -o "$T/empty.out" && wait $SPID &&
	[ -f "$T/empty.out" ] && [ ! -s "$T/empty.out" ]
}
check "a 0-byte file arrives as a 0-byte file; a host name resolves  # SPEC P-2 C-4" t_empty

# --- ranges (SPEC R-8)
t_range() {
	start_send --once "$T/data.bin" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" --offset 1M --length 100K -o "$T/range" && wait $SPID &&
	tail -c +1048577 "$T/data.bin" | head -c 102400 | cmp - "$T/range"
}
check "--offset 1M --length 100K gets exactly that range  # SPEC R-8" t_range

# --- command line (SPEC C-5 C-6)
t_usage() {
	"$B/zcp-send" --chunk 0 x 2>"$T/err"; [ $? -eq 2 ] &&
	[ "$(sed -n 2p "$T/err")" = "Try 'zcp-send --help'." ] &&
	{ "$B/zcp-recv" 2>/dev/null; [ $? -eq 2 ]; } &&
	"$B/zcp-send" --help | grep -q '^Usage: zcp-send' &&
	"$B/zcp-recv" --version | grep -q '^zcp-recv ZCP/1 '
}
check "usage errors exit 2 with a hint; --help and --version exit 0  # SPEC C-5 C-6" t_usage

# --- errors name the call and the object (SPEC E-1 E-2 S-1)
t_refused() {
	start_send --once "$T/data.bin" && kill $SPID && wait $SPID 2>/dev/null
	"$B/zcp-recv" -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ] &&
	grep -qx "zcp-recv: connect 127.0.0.1:$PORT: Connection refused" "$T/err"
}
check "connection refused: exit 4, one line naming connect and the address  # SPEC E-1 E-2" t_refused
t_nofile() {
	"$B/zcp-send" "$T/nope.bin" 2>"$T/err"; [ $? -eq 3 ] &&
	grep -qx "zcp-send: open $T/nope.bin: No such file or directory" "$T/err" &&
	{ "$B/zcp-send" "$T" 2>"$T/err"; [ $? -eq 3 ]; } && grep -q 'not a regular file' "$T/err"
}
check "missing or non-regular FILE: exit 3 before listening  # SPEC S-1 E-2" t_nofile

# --- the sender's file changes under it (SPEC S-2 S-3)
head -c 67108864 /dev/zero >"$T/big.bin"
t_truncated() {
	mkdir -p "$T/flags1" && start_send --once "$T/big.bin" &&
	{ $PEER client "$PORT" "$T/trunc.out" 1048576 "$T/flags1" >"$T/client.out" & } &&
	cpid=$! &&
	while [ ! -f "$T/flags1/paused" ]; do sleep 0.01; done &&
	truncate -s 2M "$T/big.bin" && touch "$T/flags1/go" && wait $cpid
	wait $SPID; rc=$?
	[ $rc -eq 3 ] && grep -q "^zcp-send: sendfile $T/big.bin: file truncated at offset [0-9]* (expected 67108864 bytes)$" "$T/send.err" &&
	! grep -q 'received 67108864' "$T/client.out"
}
check "file truncated mid-transfer: sender exit 3, receiver gets a short stream  # SPEC S-2" t_truncated
head -c 4194304 /dev/urandom >"$T/grow.bin"
t_grown() {
	mkdir -p "$T/flags2" && cp "$T/grow.bin" "$T/grow.orig" && start_send --once "$T/grow.bin" &&
	{ $PEER client "$PORT" "$T/grow.out" 65536 "$T/flags2" >"$T/client.out" & } && cpid=$! &&
	while [ ! -f "$T/flags2/paused" ]; do sleep 0.01; done &&
	head -c 1000000 /dev/urandom >>"$T/grow.bin" && touch "$T/flags2/go" && wait $cpid && wait $SPID &&
	grep -qx 'received 4194304 of 4194304' "$T/client.out" && cmp "$T/grow.orig" "$T/grow.out"
}
check "file grown mid-transfer: exactly the declared length, ack OK  # SPEC S-3" t_grown

# --- hostile or failing peers (SPEC R-7 P-8 P-10 R-2 S-8 S-7 E-3)
t_short() {
	start_fake fake-sender 100000 40000 &&
	{ "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/short.out" 2>"$T/err"; [ $? -eq 5 ]; } &&
	grep -qx "zcp-recv: splice 127.0.0.1:$PORT: connection closed after 40000 of 100000 bytes" "$T/err" &&
	wait $FPID && grep -qx 'ack status 1' "$T/fake.out" && [ -z "$(ls "$T" | grep short.out)" ]
}
check "short stream: exit 5, ack SHORT, no file  # SPEC R-7 P-6 R-2" t_short
t_much() {
	start_fake fake-sender 1000 1001 &&
	{ "$B/zcp-recv" -p copy -c "127.0.0.1:$PORT" -o "$T/much.out" 2>"$T/err"; [ $? -eq 5 ]; } &&
	grep -q 'peer sent more than declared' "$T/err" && wait $FPID &&
	grep -qx 'ack status 3' "$T/fake.out" && [ -z "$(ls "$T" | grep much.out)" ]
}
check "excess bytes: exit 5, ack PROTOCOL, no file  # SPEC P-8" t_much
t_timeout() {
	start_fake silent-sender &&
	{ timeout 10 "$B/zcp-recv" --timeout 1 -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: recvfrom 127.0.0.1:$PORT: Connection timed out" "$T/err"
	r=$?; kill $FPID 2>/dev/null; return $r
}
check "silent sender: --timeout 1 ends the wait, exit 4  # SPEC P-10 E-3" t_timeout
t_connect_timeout() {
	start_fake full-backlog &&
	{ timeout 10 "$B/zcp-recv" --timeout 1 -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: connect 127.0.0.1:$PORT: Connection timed out" "$T/err"
	r=$?; kill $FPID 2>/dev/null; return $r
}
check "a connect that is never accepted: --timeout 1 bounds it, exit 4  # SPEC P-10" t_connect_timeout
t_sigterm() {
	start_fake fake-sender 10000000 3000000 hang &&
	{ "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/sig.out" & } && rpid=$! &&
	i=0; while ! ls "$T" | grep -q 'sig.out.zcp-part'; do i=$((i + 1)); [ $i -gt 500 ] && break; sleep 0.01; done
	kill -TERM $rpid; wait $rpid; rc=$?; kill $FPID 2>/dev/null
	[ $rc -eq 143 ] && [ -z "$(ls "$T" | grep sig.out)" ]
}
check "SIGTERM mid-transfer removes the temporary file  # SPEC R-2" t_sigterm
t_peer_gone() {
	start_send --once -p "$1" "$T/big.bin.2" && $PEER close-early "$PORT"
	wait $SPID; rc=$?
	[ $rc -eq 4 ] && grep -Eq "^zcp-send: $2 (127.0.0.1:[0-9]*|$T/big.bin.2): (Broken pipe|Connection reset by peer)$" "$T/send.err"
}
head -c 33554432 /dev/zero >"$T/big.bin.2"
check "receiver vanishes (sendfile): exit 4, no SIGPIPE death  # SPEC S-8 E-2" t_peer_gone sendfile sendfile
check "receiver vanishes (copy): exit 4, names sendto  # SPEC S-8" t_peer_gone copy sendto
t_serve_on() {
	start_send -p splice "$T/data.bin" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/s1" && $PEER garbage "$PORT" >"$T/g.out" &&
	"$B/zcp-recv" -c "127.0.0.1:$PORT" -p copy -o "$T/s2" && kill $SPID &&
	cmp "$T/s1" "$T/data.bin" && cmp "$T/s2" "$T/data.bin" && grep -qx 'status 1' "$T/g.out" &&
	grep -q 'malformed request: bad magic' "$T/send.err"
}
check "serving goes on after a malformed request (BAD_REQUEST)  # SPEC S-7 P-4 E-3" t_serve_on

# --- syscall-level behaviour seen by strace (SPEC S-5 S-6 X-8)
# strace_send STRACE-ARGS... -- SEND-ARGS...: zcp-send --once of data.bin under strace,
# in the background; sets spid and port
strace_send() {
	sargs=""
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done; shift
	: >"$T/send.err"
	$STRACE -f $sargs "$B/zcp-send" --once -l 127.0.0.1:0 "$@" "$T/data.bin" 2>"$T/send.err" &
	spid=$!; port=$(wait_listening "$T/send.err")
}
t_fallback() {
	start_send --once "$T/data.bin" && kill $SPID; wait $SPID 2>/dev/null
	strace_send -o /dev/null -e inject=sendfile:error=EINVAL:when=1 -- -v &&
	"$B/zcp-recv" -c "127.0.0.1:$port" -o "$T/fb.out" && wait $spid &&
	cmp "$T/fb.out" "$T/data.bin" &&
	grep -qx "zcp-send: sendfile $T/data.bin: Invalid argument; falling back to copy" "$T/send.err" &&
	grep -q 'path copy; syscalls:.* pread64=' "$T/send.err"
}
check "sendfile refused at the first call (EINVAL): falls back to copy  # SPEC S-5" t_fallback
t_no_late_fallback() {
	strace_send -o /dev/null -e inject=splice:error=EINVAL:when=3 -- -p splice &&
	{ "$B/zcp-recv" -p copy -c "127.0.0.1:$port" -o "$T/late.out" 2>/dev/null; [ $? -eq 5 ]; }
	wait $spid; rc=$?
	[ $rc -eq 3 ] && grep -qx "zcp-send: splice $T/data.bin: Invalid argument" "$T/send.err" &&
	! grep -q 'falling back' "$T/send.err" && [ ! -e "$T/late.out" ]
}
check "splice refused mid-transfer: no fallback, clean failure  # SPEC S-5" t_no_late_fallback
t_msg_more() {
	strace_send -o "$T/st" -e trace=sendto -- &&
	"$B/zcp-recv" -c "127.0.0.1:$port" --discard && wait $spid &&
	grep -q 'sendto(.*"ZCR1.*MSG_NOSIGNAL|MSG_MORE' "$T/st"
}
check "the response goes out with MSG_MORE before the payload  # SPEC S-6" t_msg_more
t_verbose() {
	start_send --once -v -p sendfile "$T/data.bin" &&
	"$B/zcp-recv" -v -c "127.0.0.1:$PORT" --discard 2>"$T/err" && wait $SPID &&
	grep -Eq "^zcp-recv: received 5000000 bytes from 127.0.0.1:$PORT in [0-9.]+ s \([0-9.]+ MiB/s\), path splice; syscalls: .*splice=[0-9]+" "$T/err" &&
	grep -Eq "^zcp-send: sent 5000000 bytes to 127.0.0.1:[0-9]+ .* path sendfile; syscalls: .*sendfile=[0-9]+" "$T/send.err"
}
check "-v reports bytes, time, path and syscall counts  # SPEC X-8" t_verbose

t_no_mmap() {
	strace_send -yy -o "$T/st2" -e trace=mmap,setsockopt -- &&
	"$B/zcp-recv" -c "127.0.0.1:$port" -o "$T/nm.out" && wait $spid && cmp "$T/nm.out" "$T/data.bin" &&
	grep -q 'mmap(' "$T/st2" && ! grep -q "mmap(.*data.bin" "$T/st2" && ! grep -q SO_ZEROCOPY "$T/st2"
}
check "no mmap of the payload, no SO_ZEROCOPY  # SPEC X-9" t_no_mmap

# --- IPv6 where the machine has it (SPEC C-4)
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	t_v6() {
		: >"$T/send.err"
		timeout 60 "$B/zcp-send" --once -l '[::1]:0' "$T/data.bin" 2>"$T/send.err" &
		spid=$!; port=$(wait_listening "$T/send.err") &&
		grep -q '^listening on \[::1\]:' "$T/send.err" &&
		"$B/zcp-recv" -c "[::1]:$port" -o "$T/v6" && wait $spid && cmp "$T/v6" "$T/data.bin"
	}
	check "IPv6 [::1]:PORT  # SPEC C-4" t_v6
else
	echo "# skipped IPv6: no ::1 on this machine"
fi

echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
