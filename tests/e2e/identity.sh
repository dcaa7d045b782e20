#!/usr/bin/env bash
# tests/e2e/identity.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: the file's identity (W-15): a source rewritten, replaced or changed between the probe and the parts is never mixed into one file.
# Runs alone (make check T=identity) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

t_streams_two_files() { # the probe and part 0 from one version of "f", part 1 from another
	mkdir -p "$T/tf" && start_fake two-file-sender 2097152 3 || return 1
	local rc
	zrecv --streams 2 -c "127.0.0.1:$PORT" -o "$T/tf/out" 2>"$T/err"; rc=$?
	echo "exit $rc"; cat "$T/err"; wait "$FPID"; cat "$T/fake.out"
	[ $rc -ne 0 ] && only_entries "$T/tf" &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: sender served another file than the one asked for" "$T/err" &&
	grep -qx 'probe flags 3' "$T/fake.out" && [ "$(grep -c '^part at [0-9]* flags 6:' "$T/fake.out")" -eq 2 ]
}
check "--streams: parts carry the probe's identity; a part of another file fails all, nothing stored  # SPEC R-18 W-16" t_streams_two_files
t_resume_rewritten_in_place() { # its first 4 KiB rewritten, its mtime put back (as cp -p or touch -d would)
	rm -rf "$T/ri" && mkdir -p "$T/ri" && head -c 30000000 /dev/urandom >"$T/risrc.bin" &&
	start_send "$T/risrc.bin" && [ "$(slow_resume "$T/ri/out" 4096)" -gt 4096 ] || return 1
	local mtime; mtime=$(stat -c %y "$T/risrc.bin")
	head -c 4096 /dev/zero | dd of="$T/risrc.bin" conv=notrunc status=none && touch -d "$mtime" "$T/risrc.bin" &&
	[ "$(stat -c %y "$T/risrc.bin")" = "$mtime" ] || return 1
	local rc; zrecv --resume -c "127.0.0.1:$PORT" -o "$T/ri/out" 2>"$T/err"; rc=$?
	echo "exit $rc"; cat "$T/err"
	[ $rc -eq 6 ] && grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered CHANGED" "$T/err" && only_entries "$T/ri" &&
	zrecv --resume -c "127.0.0.1:$PORT" -o "$T/ri/out" && cmp "$T/risrc.bin" "$T/ri/out" || return 1
	kill "$SPID"; wait "$SPID"
}
check "--resume: the source rewritten in place, its mtime put back: CHANGED (the change time), exit 6  # SPEC W-15 R-20" t_resume_rewritten_in_place
t_streams_source_replaced() { # a real zcp-send; the receiver stopped at its first part's socket(), after the probe
	rm -rf "$T/sr" && mkdir -p "$T/sr" && head -c 4000000 /dev/urandom >"$T/srsrc.bin" &&
	head -c 4000000 /dev/urandom >"$T/srnew.bin" && start_send --count 3 "$T/srsrc.bin" || return 1
	rm -f "$T/stop.trace"
	zstrace -f -o "$T/stop.trace" -e trace=socket -e inject=socket:signal=SIGSTOP:when=2 \
		"$B/zcp-recv" --streams 2 -c "127.0.0.1:$PORT" -o "$T/sr/out" 2>"$T/err" &
	local s=$! p rc
	wait_until 20 grep -q ' result=probe' "$T/send.err" && wait_until 20 sigstopped "$T/stop.trace" && p=$(tracee "$s") &&
	mv "$T/srnew.bin" "$T/srsrc.bin" && kill -CONT "$p" || return 1
	wait "$s"; rc=$?
	echo "exit $rc"; cat "$T/err"; wait "$SPID"; cat "$T/send.err"
	[ $rc -eq 6 ] && grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered CHANGED" "$T/err" && only_entries "$T/sr" &&
	grep -q ' result=failed exit=6' "$T/send.err"
}
check "--streams: the source replaced between the probe and the parts: CHANGED, exit 6, nothing stored  # SPEC R-18 W-16" t_streams_source_replaced
# no_machine_id CMD...: CMD in a mount namespace where /etc/machine-id is empty
no_machine_id() { unshare -m sh -c 'mount --bind /dev/null /etc/machine-id && exec "$@"' sh "$@"; }
if no_machine_id true 2>/dev/null; then
	t_workers_one_key() { # without a machine id the key is random: made once, before the workers fork
		: >"$T/send.err"
		no_machine_id timeout -k 5 60 "$B/zcp-send" --workers 2 -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
		SPID=$!; PORT=$(port_of "$T/send.err") || return 1
		peer idents "$PORT" 20 >"$T/idents.out"; cat "$T/idents.out"
		kill -TERM "$(tracee "$SPID")"; wait "$SPID"
		grep -qx 'distinct identities: 1' "$T/idents.out"
	}
	check "--workers 2 without a machine id: one key, one identity of the file in every worker  # SPEC W-15 S-16" t_workers_one_key
else
	skip "--workers 2 without a machine id" "no mount namespace here"
fi

summary identity
