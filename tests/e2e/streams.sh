#!/usr/bin/env bash
# tests/e2e/streams.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: one transfer over parallel connections (--streams).
# Runs alone (make check T=streams) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- one transfer over parallel connections (SPEC R-18 W-14)
t_streams() {
	mkdir -p "$T/sdir" && start_send -v "$T/data.bin" || return 1
	local n
	for n in 2 4 8; do
		zrecv --streams "$n" -c "127.0.0.1:$PORT" -o "$T/st.$n" && cmp "$T/data.bin" "$T/st.$n" || return 1
	done
	zrecv -p copy --streams 3 --offset 1000 --length 3500000 -c "127.0.0.1:$PORT" -o "$T/st.range" &&
	[ "$(stat -c %s "$T/st.range")" -eq 3500000 ] && cmp -i 1000:0 -n 3500000 "$T/data.bin" "$T/st.range" &&
	zrecv --streams 4 -c "127.0.0.1:$PORT" -o "$T/sdir/" && cmp "$T/data.bin" "$T/sdir/data.bin" &&
	only_entries "$T/sdir" data.bin &&
	zrecv -v --streams 4 -c "127.0.0.1:$PORT" --discard 2>"$T/err" &&
	grep -Eq '^zcp-recv: received 5000000 bytes .*splice=[0-9]+.*; 4 streams$' "$T/err" &&
	zrecv -v -p copy --streams 2 -c "127.0.0.1:$PORT" -o "$T/st.copy" 2>"$T/err" &&
	cmp "$T/data.bin" "$T/st.copy" && grep -Eq 'pwrite64=[0-9]+; 2 streams$' "$T/err" || return 1
	kill "$SPID"; wait "$SPID"
	# 5 MB cut into min(N, 4) parts of at least 1 MiB; each fetch probed once
	# (2 + 4 + 4 + 3 + 4 + 4 + 2 parts; 3 500 000 bytes make 3 parts)
	[ "$(grep -c ' result=probe' "$T/send.err")" -eq 7 ] &&
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 23 ] &&
	grep -q 'offset=1000 length=3500000 bytes=0 .* result=probe' "$T/send.err" &&
	grep -q 'offset=1167667 length=1166667 bytes=1166667 ' "$T/send.err"
}
check "--streams 2/4/8, copy with a range, into DIR/, discard: byte-exact; probes and parts in the log  # SPEC R-18 W-14 S-17" t_streams
t_streams_small() {
	head -c 100 "$T/data.bin" >"$T/ssmall.bin" && : >"$T/sempty.bin" &&
	start_send --count 2 "$T/ssmall.bin" &&
	zrecv --streams 8 -c "127.0.0.1:$PORT" -o "$T/ssmall.out" && wait "$SPID" &&
	cmp "$T/ssmall.bin" "$T/ssmall.out" && [ "$(grep -c ' result=' "$T/send.err")" -eq 2 ] &&
	start_send --count 1 "$T/sempty.bin" &&
	zrecv --streams 8 -c "127.0.0.1:$PORT" -o "$T/sempty.out" && wait "$SPID" &&
	[ -f "$T/sempty.out" ] && [ ! -s "$T/sempty.out" ] && grep -q ' result=probe' "$T/send.err"
}
check "--streams: a 100-byte file is one part, an empty one none (the probe only)  # SPEC R-18" t_streams_small
t_streams_part_fails() { # part 1 of 4 is cut; the slow others (16 s each) must not be waited for
	mkdir -p "$T/pf" && start_fake parts-sender 8388608 2097152 5 || return 1
	local t0=$SECONDS rc
	zrecv --streams 4 -c "127.0.0.1:$PORT" -o "$T/pf/out" 2>"$T/err"; rc=$?
	echo "exit $rc after $((SECONDS - t0)) s"; cat "$T/err"
	[ $rc -eq 5 ] && [ $((SECONDS - t0)) -lt 8 ] && wait "$FPID" && cat "$T/fake.out" &&
	grep -qx "zcp-recv: splice 127.0.0.1:$PORT: connection closed after 1048576 of 2097152 bytes" "$T/err" &&
	grep -qx 'cut part at 2097152' "$T/fake.out" &&
	[ "$(grep -c 'dropped by the receiver' "$T/fake.out")" -eq 3 ] && only_entries "$T/pf"
}
check "--streams: one part failing fails all at once: exit 5, the others cut, nothing stored  # SPEC R-18 R-2" t_streams_part_fails
t_streams_usage() {
	mkfifo "$T/sfifo"
	{ zrecv --streams 2 -o - 2>"$T/err"; [ $? -eq 2 ]; } && grep -q '^zcp-recv: -o - takes one stream' "$T/err" &&
	{ zrecv --streams 2 -l 127.0.0.1:0 -o "$T/x" 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -q '^zcp-recv: --streams needs --connect' "$T/err" &&
	{ zrecv --streams 2 --raw --discard 2>"$T/err"; [ $? -eq 2 ]; } && grep -q 'conflicts with --streams' "$T/err" &&
	{ zrecv --streams 2 -o "$T/sfifo" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q 'at their offsets' "$T/err" &&
	{ zrecv --streams 65 --discard 2>"$T/err"; [ $? -eq 2 ]; } && grep -q "^zcp-recv: --streams '65'" "$T/err" &&
	{ zrecv --streams 0 --discard 2>/dev/null; [ $? -eq 2 ]; } &&
	{ "$B/zcp-send" --streams 2 -c 127.0.0.1:1 "$T/data.bin" 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -q '^zcp-send: --streams is zcp-recv.s: a push is one connection' "$T/err"
}
check "--streams with -o -, --listen, --raw, a FIFO, 0 or 65; zcp-send --streams: usage errors  # SPEC R-18 C-5" t_streams_usage

summary streams
