#!/usr/bin/env bash
# tests/e2e/signals.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: signals mid-transfer: nothing under the final name, nothing left.
# Runs alone (make check T=signals) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- signals: nothing under the final name, nothing left (SPEC R-2 R-1)
# named_temp DIR: DIR holds a named temporary file with data in it
named_temp() { [ -n "$(find "$1" -name '.zcp-*' -size +0)" ]; }
t_signal() { # SIG: a fetch of a stalled sender is killed once the temp file holds data
	local d="$T/sig$1"; mkdir -p "$d" &&
	start_fake fake-sender 10000000 3000000 hang &&
	{ "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out" & } && local rpid=$! &&
	wait_until 20 receiving "$rpid" "$d" &&
	kill -s "$1" "$rpid"; wait "$rpid"; local rc=$?; kill "$FPID" 2>/dev/null
	[ $rc -eq $((128 + $(kill -l "$1"))) ] && only_entries "$d"
}
for sig in INT TERM HUP KILL; do
	check "SIG$sig mid-transfer: the anonymous temp file vanishes with the process  # SPEC R-2" t_signal $sig
done
t_signal_named() { # SIG: the same with O_TMPFILE refused: a named temp file, removed by the handler
	local d="$T/nsig$1"; mkdir -p "$d" &&
	start_fake fake-sender 10000000 3000000 hang &&
	{ zstrace -f -o /dev/null -P "$d" -e inject=openat:error=EOPNOTSUPP:when=1 \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out" & } && local spid=$! &&
	wait_until 20 named_temp "$d" &&
	kill -s "$1" "$(tracee "$spid")"; wait "$spid"; local rc=$?; kill "$FPID" 2>/dev/null
	[ $rc -eq $((128 + $(kill -l "$1"))) ] && only_entries "$d"
}
for sig in INT QUIT USR1 USR2 ALRM; do
	check "SIG$sig with a named temp file (no O_TMPFILE): removed, nothing left  # SPEC R-2 R-1" t_signal_named $sig
done
t_named_fallback() {
	local d="$T/named"; mkdir -p "$d" && start_send --once "$T/data.bin" &&
	zstrace -f -o "$T/named.st" -P "$d" -P "$d/out" -e inject=openat:error=EOPNOTSUPP:when=1 \
		-e inject=renameat2:error=EINVAL "$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out" &&
	wait "$SPID" && cmp "$d/out" "$T/data.bin" && only_entries "$d" out &&
	grep -q 'renameat2(.*EINVAL (Invalid argument) (INJECTED)' "$T/named.st" &&
	grep -Eq "^[0-9]+ +link\(\"$d/\.zcp-[a-z0-9]+\", \"$d/out\"\) = 0" "$T/named.st"
}
check "no O_TMPFILE and no RENAME_NOREPLACE (NFS, FUSE): link + unlink, no leftover  # SPEC R-1 R-3" t_named_fallback

summary signals
