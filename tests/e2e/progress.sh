#!/usr/bin/env bash
# tests/e2e/progress.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: --progress and the summary line.
# Runs alone (make check T=progress) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- progress and summary (SPEC C-10)
t_progress() {
	start_send "$T/data.bin" || return 1
	zrecv --progress -c "127.0.0.1:$PORT" -o "$T/pg.out" 2>"$T/err" && cmp "$T/data.bin" "$T/pg.out" &&
	grep -q $'\rzcp-recv: 4.8 MiB / 4.8 MiB  100%  ' "$T/err" &&
	grep -Eq $'\r'"zcp-recv: received 5000000 bytes from 127.0.0.1:$PORT in [0-9.]+ s \([0-9.]+ MiB/s\), path splice$" "$T/err" &&
	zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err" && ! grep -q $'\r' "$T/err" &&
	grep -Eqx "zcp-recv: received 5000000 bytes from 127.0.0.1:$PORT in [0-9.]+ s \([0-9.]+ MiB/s\), path splice" "$T/err" &&
	zrecv -q --progress -c "127.0.0.1:$PORT" --discard 2>"$T/err" && [ ! -s "$T/err" ] || return 1
	kill "$SPID"; wait "$SPID"
	start_recv -o "$T/pg.push" &&
	timeout 30 "$B/zcp-send" --progress -c "127.0.0.1:$RPORT" "$T/data.bin" 2>"$T/err" && wait "$RPID" &&
	grep -q $'\rzcp-send: 4.8 MiB / 4.8 MiB  100%' "$T/err" && grep -q ' result=ok' "$T/err"
}
check "--progress draws the line (forced), not on a pipe by default; the summary unless -q  # SPEC C-10" t_progress
t_progress_rate() { # 4 slow parts report every 100 ms; the line is drawn at most 10 times a second
	head -c 40000000 /dev/urandom >"$T/pgr.bin" && start_send --workers 2 "$T/pgr.bin" || return 1
	local t0=$SECONDS
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=10000 \
		"$B/zcp-recv" --progress --streams 4 -c "127.0.0.1:$PORT" --discard 2>"$T/err"; local rc=$?
	local secs=$((SECONDS - t0 + 1)) draws
	draws=$(grep -o $'\rzcp-recv: [^\r]*%' "$T/err" | wc -l)
	kill "$SPID"; wait "$SPID"
	echo "$draws draws in at most $secs s"
	[ $rc -eq 0 ] && [ "$draws" -ge 3 ] && [ "$draws" -le $((10 * secs + 2)) ] && grep -q '; 4 streams$' "$T/err"
}
check "--progress with --streams: the parts' sum, redrawn at most 10 times a second  # SPEC C-10 R-18" t_progress_rate

summary progress
