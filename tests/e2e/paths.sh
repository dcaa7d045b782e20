#!/usr/bin/env bash
# tests/e2e/paths.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: every sender path x every receiver path, push, raw mode, what strace sees, IPv6.
# Runs alone (make check T=paths) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- every sender path x every receiver path (SPEC P-1 X-1 X-2 X-3 X-4 X-5 C-2)
t_paths() {
	start_send --once -p "$1" "$T/data.bin" &&
	timeout 60 "$B/zcp-recv" -c "127.0.0.1:$PORT" -p "$2" -o "$T/out.$1.$2" &&
	wait "$SPID" && cmp "$T/data.bin" "$T/out.$1.$2"
}
for sp in copy sendfile splice; do
	for rp in copy splice; do
		check "send $sp -> recv $rp, cmp equal  # SPEC P-1 X-1 X-2 X-3 X-4 X-5" t_paths $sp $rp
	done
done

# --- push: the receiver listens, the sender connects (SPEC P-1 C-2 C-7)
t_push() {
	start_recv -q -o "$T/pushed" &&
	timeout 60 "$B/zcp-send" -c "127.0.0.1:$RPORT" "$T/data.bin" && wait "$RPID" &&
	cmp "$T/data.bin" "$T/pushed"
}
check "push mode: send --connect, recv --listen; -q still prints port 0  # SPEC C-2 C-7" t_push

# --- raw mode against plain Python peers (SPEC P-9)
t_raw_send() {
	start_send --once --raw -p splice "$T/data.bin" &&
	peer raw-client "$PORT" "$T/raw1" >"$T/raw.out" && wait "$SPID" && cmp "$T/data.bin" "$T/raw1" &&
	grep -qx 'eof 5000000' "$T/raw.out"
}
check "send --raw to a plain Python client  # SPEC P-9" t_raw_send
t_raw_recv() {
	start_recv --raw -o "$T/raw2" &&
	peer raw-sender "$RPORT" "$T/data.bin" && wait "$RPID" && cmp "$T/data.bin" "$T/raw2"
}
check "recv --raw from a plain Python sender  # SPEC P-9" t_raw_recv
t_raw_reset() {
	start_recv --raw -o "$T/raw4" &&
	peer raw-reset-sender "$RPORT" 100000 && { wait "$RPID"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: splice 127.0.0.1:[0-9]*: Connection reset by peer" "$T/recv.err" &&
	[ ! -e "$T/raw4" ]
}
check "recv --raw: a reset is a failure (exit 4), nothing stored  # SPEC P-9" t_raw_reset
t_raw_max_size() {
	start_recv --raw --max-size 1M -o "$T/raw3" &&
	{ peer raw-sender "$RPORT" "$T/data.bin" 2>/dev/null; wait "$RPID"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:[0-9]*: more than --max-size 1048576 bytes arrived" "$T/recv.err" &&
	[ ! -e "$T/raw3" ]
}
check "recv --raw --max-size: a longer stream fails, exit 3, nothing stored  # SPEC R-12" t_raw_max_size

# --- syscall-level behaviour seen by strace (SPEC S-5 S-6 X-8 X-9)
t_fallback() {
	strace_send -o /dev/null -e inject=sendfile:error=EINVAL:when=1 -- --once -v &&
	zrecv -c "127.0.0.1:$port" -o "$T/fb.out" && wait "$spid" &&
	cmp "$T/fb.out" "$T/data.bin" &&
	grep -qx "zcp-send: sendfile $T/data.bin: Invalid argument; falling back to copy" "$T/send.err" &&
	grep -q ' path=copy result=ok syscalls=.*pread64:' "$T/send.err"
}
check "sendfile refused at the first call (EINVAL): falls back to copy  # SPEC S-5" t_fallback
t_no_late_fallback() {
	local rrc
	strace_send -o /dev/null -e inject=splice:error=EINVAL:when=3 -- --once -p splice || return 1
	zrecv -p copy -c "127.0.0.1:$port" -o "$T/late.out" 2>/dev/null; rrc=$?
	wait "$spid"; local rc=$?
	[ $rc -eq 3 ] && [ $rrc -eq 5 ] && grep -qx "zcp-send: splice $T/data.bin: Invalid argument" "$T/send.err" &&
	! grep -q 'falling back' "$T/send.err" && [ ! -e "$T/late.out" ]
}
check "splice refused mid-transfer: no fallback, clean failure  # SPEC S-5" t_no_late_fallback
t_msg_more() {
	strace_send -o "$T/st" -e trace=sendto -- --once &&
	zrecv -c "127.0.0.1:$port" --discard && wait "$spid" &&
	grep -q 'sendto(.*"ZCR1.*MSG_NOSIGNAL|MSG_MORE' "$T/st"
}
check "the response goes out with MSG_MORE before the payload  # SPEC S-6" t_msg_more
t_verbose() {
	start_send --once -v -p sendfile "$T/data.bin" &&
	zrecv -v -c "127.0.0.1:$PORT" --discard 2>"$T/err" && wait "$SPID" &&
	grep -Eq "^zcp-recv: received 5000000 bytes from 127.0.0.1:$PORT in [0-9.]+ s \([0-9.]+ MiB/s\), path splice; syscalls: .*splice=[0-9]+" "$T/err" &&
	grep -Eq "^zcp-send: time=[-0-9T:.]+Z peer=127.0.0.1:[0-9]+ name=data.bin offset=0 length=5000000 bytes=5000000 seconds=[0-9.]+ mib_s=[0-9.]+ path=sendfile result=ok syscalls=.*sendfile:[0-9]+" "$T/send.err"
}
check "-v reports bytes, time, path and syscall counts; the transfer line  # SPEC X-8 S-17" t_verbose
t_no_mmap() {
	strace_send -yy -o "$T/st2" -e trace=mmap,setsockopt -- --once &&
	zrecv -c "127.0.0.1:$port" -o "$T/nm.out" && wait "$spid" && cmp "$T/nm.out" "$T/data.bin" &&
	grep -q 'mmap(' "$T/st2" && ! grep -q "mmap(.*data.bin" "$T/st2" && ! grep -q SO_ZEROCOPY "$T/st2"
}
check "no mmap of the payload, no SO_ZEROCOPY  # SPEC X-9" t_no_mmap

# --- IPv6 where the machine has it (SPEC C-4)
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	t_v6() {
		: >"$T/send.err"
		timeout 60 "$B/zcp-send" --once -l '[::1]:0' "$T/data.bin" 2>"$T/send.err" &
		local spid=$!; local port; port=$(port_of "$T/send.err") &&
		grep -q '^listening on \[::1\]:' "$T/send.err" &&
		zrecv -c "[::1]:$port" -o "$T/v6" && wait "$spid" && cmp "$T/v6" "$T/data.bin"
	}
	check "IPv6 [::1]:PORT  # SPEC C-4" t_v6
else
	skip "IPv6 [::1]:PORT" "no ::1 on this machine"
fi

summary paths
