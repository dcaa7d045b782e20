#!/usr/bin/env bash
# tests/e2e/verify.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: end-to-end verification (--verify).
# Runs alone (make check T=verify) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- end-to-end verification (SPEC R-19 W-17)
t_verify() {
	mkdir -p "$T/vdir" && start_send -v "$T/data.bin" || return 1
	zrecv -v --verify -c "127.0.0.1:$PORT" -o "$T/v.out" 2>"$T/err" && cmp "$T/data.bin" "$T/v.out" &&
	grep -Eq 'pread64=[0-9]+ .*splice=' "$T/err" &&
	zrecv --verify -p copy --streams 3 -c "127.0.0.1:$PORT" -o "$T/vdir/" && cmp "$T/data.bin" "$T/vdir/data.bin" &&
	zrecv --verify --offset 4000000 -c "127.0.0.1:$PORT" -o "$T/v.tail" &&
	cmp -i 4000000:0 "$T/data.bin" "$T/v.tail" || return 1
	kill "$SPID"; wait "$SPID"
	[ "$(grep -c ' result=ok syscalls=.*pread64:' "$T/send.err")" -eq 5 ]
}
check "--verify: whole, 3 streams by copy, a range: byte-exact, each side reads its bytes back  # SPEC R-19 W-17" t_verify
t_verify_mismatch() {
	mkdir -p "$T/vm" && start_fake wrong-hash-sender 100000 || return 1
	{ zrecv --verify -c "127.0.0.1:$PORT" -o "$T/vm/out" 2>"$T/err"; [ $? -eq 5 ]; } && wait "$FPID" &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: the XXH3-128 of the 100000 bytes stored does not match the sender's" "$T/err" &&
	grep -qx 'flags 8 ack status 3' "$T/fake.out" && only_entries "$T/vm"
}
check "--verify: a trailer that does not match what arrived: exit 5, ack PROTOCOL, nothing stored  # SPEC R-19 R-2" t_verify_mismatch
t_trailer_broken() { # a trailer with a bad magic, or none before the end of stream
	mkdir -p "$T/tb" && start_fake wrong-hash-sender 100000 magic || return 1
	{ zrecv --verify -c "127.0.0.1:$PORT" -o "$T/tb/out" 2>"$T/err"; [ $? -eq 5 ]; } && wait "$FPID" &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: malformed trailer: bad magic" "$T/err" &&
	grep -qx 'flags 8 ack status 3' "$T/fake.out" && only_entries "$T/tb" &&
	start_fake wrong-hash-sender 100000 none || return 1
	{ zrecv --verify -c "127.0.0.1:$PORT" -o "$T/tb/out" 2>"$T/err"; [ $? -eq 5 ]; } && wait "$FPID" &&
	grep -qx "zcp-recv: recvfrom 127.0.0.1:$PORT: connection closed before the trailer" "$T/err" &&
	grep -qx 'flags 8 ack status 1' "$T/fake.out" && only_entries "$T/tb"
}
check "--verify: a malformed trailer (PROTOCOL) or none (SHORT): exit 5, nothing stored  # SPEC R-19 W-17 P-12" t_trailer_broken
t_ident_broken() { # IF_IDENT followed by a bad identity frame, or by nothing
	start_send "$T/data.bin" && peer ident-client "$PORT" magic >"$T/ib.out" && peer ident-client "$PORT" close >>"$T/ib.out" &&
	zrecv -c "127.0.0.1:$PORT" --discard || return 1
	kill "$SPID"; wait "$SPID"
	grep -qx 'status 1' "$T/ib.out" && grep -q '^closed by the sender' "$T/ib.out" &&
	grep -q 'malformed identity: bad magic' "$T/send.err" && grep -q 'connection closed before the identity' "$T/send.err" &&
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 1 ]
}
check "a request's identity frame malformed (BAD_REQUEST) or missing: that one ends, serving goes on  # SPEC W-16 P-11" t_ident_broken
t_verify_hash_read_fails() { # the sender's read for the hash fails (EIO, injected after the
	# loader's reads): the sender says so, exit 3; the receiver hears no trailer, keeps nothing
	head -c 67108864 /dev/urandom >"$T/vh.bin" && mkdir -p "$T/vhd" || return 1
	: >"$T/send.err"
	zstrace -f -o /dev/null -e trace=pread64 -e inject=pread64:error=EIO:when=150 \
		"$B/zcp-send" -l 127.0.0.1:0 --once "$T/vh.bin" 2>"$T/send.err" &
	local s=$! port rc; port=$(port_of "$T/send.err") || return 1
	zrecv --verify -c "127.0.0.1:$port" -o "$T/vhd/out" 2>"$T/err"; rc=$?
	wait "$s"; local src=$?
	[ $rc -eq 5 ] && [ $src -eq 3 ] && grep -q "^zcp-send: pread $T/vh.bin: Input/output error" "$T/send.err" &&
	only_entries "$T/vhd"
}
check "--verify: the sender cannot read its file for the hash: exit 3, the receiver keeps nothing  # SPEC W-17 R-2" t_verify_hash_read_fails
t_verify_source_changed() { # the file's first bytes change after they went out: the sender hashes the new ones
	head -c 67108864 /dev/urandom >"$T/vsrc.bin" && mkdir -p "$T/vc" &&
	start_send --once "$T/vsrc.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=30000 \
		"$B/zcp-recv" --verify -c "127.0.0.1:$PORT" -o "$T/vc/out" 2>"$T/err" &
	local r=$!
	# the first bytes have gone out: the receiver holds some
	wait_until 20 receiving "$(wait_until 20 tracee "$r")" "$T/vc" &&
		printf 'changed' | dd of="$T/vsrc.bin" conv=notrunc status=none
	wait "$r"; local rc=$?
	wait "$SPID"; local src=$?
	[ $rc -eq 5 ] && [ $src -eq 6 ] && grep -q 'does not match the sender.s' "$T/err" && only_entries "$T/vc"
}
check "--verify: the source rewritten while served: the hashes differ, exit 5, nothing stored  # SPEC R-19" t_verify_source_changed
t_verify_usage() {
	mkfifo "$T/vfifo"
	{ zrecv --verify --discard 2>"$T/err"; [ $? -eq 2 ]; } && grep -q '^zcp-recv: --verify reads back' "$T/err" &&
	{ zrecv --verify -o - 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --verify --raw -o "$T/x" 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --verify -o "$T/vfifo" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q 'reads back what it stored' "$T/err"
}
check "--verify with --discard, -o -, --raw or a FIFO: usage errors  # SPEC R-19 C-5" t_verify_usage

summary verify
