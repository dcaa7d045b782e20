#!/usr/bin/env bash
# tests/e2e/resume.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: resume (--resume, --restart).
# Runs alone (make check T=resume) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- resume (SPEC R-20 W-15 W-16)
# slow_resume OUT BYTES: a --resume fetch slowed by strace (each splice 20 ms late),
# SIGKILLed once its partial holds more than BYTES; the partial's size is printed
slow_resume() {
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=20000 \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$1" 2>/dev/null &
	local s=$! p
	wait_until 30 partial_above "$(dirname "$1")" "$2"; p=$(tracee "$s") && kill -9 "$p"; wait "$s"
	stat -c %s "$(dirname "$1")"/.zcp-partial-* 2>/dev/null | head -n 1
}
t_resume_after_kills() {
	mkdir -p "$T/rk" && head -c 100000000 /dev/urandom >"$T/rsrc.bin" && start_send -v "$T/rsrc.bin" || return 1
	local a b c
	a=$(slow_resume "$T/rk/out" 0) && b=$(slow_resume "$T/rk/out" "$a") && c=$(slow_resume "$T/rk/out" "$b") &&
	echo "partial after each kill: $a $b $c" && [ "$a" -gt 0 ] && [ "$b" -gt "$a" ] && [ "$c" -gt "$b" ] &&
	[ "$c" -lt 100000000 ] && ls "$T/rk/".zcp-partial-*.meta >/dev/null &&
	zrecv -v --resume --verify -c "127.0.0.1:$PORT" -o "$T/rk/out" 2>"$T/err" && cmp "$T/rsrc.bin" "$T/rk/out" &&
	grep -q "^zcp-recv: received $((100000000 - c)) bytes" "$T/err" && only_entries "$T/rk" out || return 1
	kill "$SPID"; wait "$SPID"
	grep -q "offset=$c length=$((100000000 - c)) bytes=$((100000000 - c)) .* result=ok" "$T/send.err"
}
check "--resume: SIGKILLed three times, each run goes on where the last stopped; then whole, verified  # SPEC R-20 W-16 R-19" t_resume_after_kills
# changed_between KIND: a partial of rsrc.bin, the source changed by KIND, then --resume
changed_between() {
	rm -rf "$T/rc" && mkdir -p "$T/rc" && head -c 30000000 /dev/urandom >"$T/rsrc.bin" &&
	start_send "$T/rsrc.bin" && [ "$(slow_resume "$T/rc/out" 0)" -gt 0 ] || return 1
	case $1 in
	mtime) touch -d '2001-01-01' "$T/rsrc.bin" ;; # same size, same bytes, new time
	truncated) truncate -s 1000 "$T/rsrc.bin" ;;
	replaced) head -c 30000000 /dev/urandom >"$T/rnew.bin" && mv "$T/rnew.bin" "$T/rsrc.bin" ;;
	esac
	{ zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rc/out" 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered CHANGED" "$T/err" &&
	grep -q 'the source changed since this partial copy began; removed' "$T/err" && only_entries "$T/rc" &&
	zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rc/out" && cmp "$T/rsrc.bin" "$T/rc/out" || return 1
	kill "$SPID"; wait "$SPID"; grep -q ' result=failed exit=6' "$T/send.err"
}
check "--resume: the source touched (same size), truncated or replaced: CHANGED, exit 6, the partial removed  # SPEC W-16 R-20" changed_between mtime
check "--resume: a truncated source is CHANGED, not BAD_RANGE  # SPEC W-16" changed_between truncated
check "--resume: a replaced source (new inode) is CHANGED  # SPEC W-15 W-16" changed_between replaced
# distrusted HOW: a partial whose record is damaged by HOW is not continued
distrusted() {
	rm -rf "$T/rd" && mkdir -p "$T/rd" && start_send "$T/data.bin" &&
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:when=3+:error=EIO \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$T/rd/out" 2>/dev/null
	local m; m=$(echo "$T/rd/".zcp-partial-*.meta)
	[ -f "$m" ] && [ -s "${m%.meta}" ] || return 1
	case $1 in
	missing) rm "$m" ;;
	corrupt) sed -i 's/^synced 0/synced 1/' "$m" ;; # the check no longer matches
	other) printf 'x' | dd of="${m%.meta}" bs=1 seek=0 conv=notrunc status=none ;; # bytes, not the record
	esac
	zrecv --resume ${2:+--verify} -c "127.0.0.1:$PORT" -o "$T/rd/out" 2>"$T/err"; local rc=$?
	kill "$SPID"; wait "$SPID"
	case $1 in
	other) [ $rc -eq 5 ] && grep -q 'does not match the sender.s' "$T/err" &&
	       grep -q 'it does not hash to the sender.s file; removed' "$T/err" && only_entries "$T/rd" ;;
	*) [ $rc -eq 0 ] && grep -q "not continued, it has no record\|not continued, its record is corrupt" "$T/err" &&
	   cmp "$T/data.bin" "$T/rd/out" && only_entries "$T/rd" out ;;
	esac
}
check "--resume: a partial without its record is not trusted: removed, fetched anew  # SPEC R-20" distrusted missing
check "--resume: a record that fails its check is not trusted  # SPEC R-20" distrusted corrupt
check "--resume --verify: a partial whose bytes changed between runs is caught: exit 5, removed  # SPEC R-20 R-19" distrusted other verify
t_resume_complete_partial() { # every byte stored, the commit never happened: the rest is 0 bytes
	rm -rf "$T/rf" && mkdir -p "$T/rf" && start_send "$T/data.bin" &&
	zstrace -f -o /dev/null -e trace=linkat,renameat2,link,rename -e inject=linkat:error=EIO \
		-e inject=renameat2:error=EIO "$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$T/rf/out" 2>/dev/null
	[ "$(stat -c %s "$T/rf/".zcp-partial-????????????????)" -eq 5000000 ] &&
	zrecv -v --resume -c "127.0.0.1:$PORT" -o "$T/rf/out" 2>"$T/err" && cmp "$T/data.bin" "$T/rf/out" &&
	grep -q '^zcp-recv: received 0 bytes' "$T/err" && only_entries "$T/rf" out
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--resume of a complete partial: 0 bytes asked for, then the commit  # SPEC R-20" t_resume_complete_partial
# parts_moved DIR BEFORE: DIR's partial record gives each of 4 parts some bytes, and is not BEFORE
parts_moved() {
	local m; m=$(cat "$1/".zcp-partial-*.meta 2>/dev/null) &&
	grep -q '^parts 4 [1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$' <<<"$m" && [ "$m" != "$2" ]
}
t_resume_streams() { # a --streams 4 fetch killed twice, then finished without --streams (the cut is kept);
	# the parts are slowed to ~10 MB/s each, so that each records its first 16 MiB steps
	rm -rf "$T/rs" && mkdir -p "$T/rs" && head -c 200000000 /dev/urandom >"$T/rsrc.bin" &&
	start_send -v "$T/rsrc.bin" || return 1
	local i s p m before=""
	for i in 1 2; do
		zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=100000 \
			"$B/zcp-recv" --resume --streams 4 -c "127.0.0.1:$PORT" -o "$T/rs/out" 2>/dev/null &
		s=$!
		# killed once the record says every part has bytes, and has moved since the last run
		wait_until 60 parts_moved "$T/rs" "$before"; p=$(tracee "$s") && kill -9 "$p"; wait "$s"
		before=$(cat "$T/rs/".zcp-partial-*.meta)
	done
	m=$(echo "$T/rs/".zcp-partial-*.meta)
	grep -q '^parts 4 [1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$' "$m" || { cat "$m"; return 1; }
	mkdir -p "$T/rs.keep" && cp -a "$T/rs/".zcp-partial-* "$T/rs.keep/" &&
	zrecv -v --resume -c "127.0.0.1:$PORT" -o "$T/rs/out" 2>"$T/err" && cmp "$T/rsrc.bin" "$T/rs/out" &&
	grep -q '; 4 streams$' "$T/err" &&
	only_entries "$T/rs" out || return 1
	# the last run asked each of the 4 parts for its rest: none from its start
	[ "$(grep -c ' result=ok' "$T/send.err")" -ge 4 ] &&
	! grep -Eq 'offset=(0|50000000|100000000|150000000) length=50000000 bytes=50000000 .*result=ok' "$T/send.err" &&
	# the same partial with --verify, which hashes from byte 0: started over, said so
	rm "$T/rs/out" && cp -a "$T/rs.keep/".zcp-partial-* "$T/rs/" &&
	zrecv --resume --verify -c "127.0.0.1:$PORT" -o "$T/rs/out" 2>"$T/err" && cmp "$T/rsrc.bin" "$T/rs/out" &&
	grep -q 'not continued, it is in parts and --verify is on; starting over' "$T/err" && only_entries "$T/rs" out
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
t_resume_fsync() { # the source is cut while a slowed --fsync fetch runs: the partial is flushed
	rm -rf "$T/rsy" && mkdir -p "$T/rsy" && head -c 30000000 /dev/urandom >"$T/rcut.bin" &&
	start_send --once "$T/rcut.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=30000 \
		"$B/zcp-recv" --resume --fsync -c "127.0.0.1:$PORT" -o "$T/rsy/out" 2>"$T/err" &
	local r=$! rc n
	wait_until 20 partial_above "$T/rsy" 0 && truncate -s 1000 "$T/rcut.bin"
	wait "$r"; rc=$?; wait "$SPID"
	n=$(stat -c %s "$T/rsy/".zcp-partial-????????????????) || return 1
	echo "exit $rc, $n bytes kept"; cat "$T/err"
	[ $rc -eq 5 ] && [ "$n" -gt 0 ] && grep -q 'kept .*zcp-partial-.*: run again with --resume' "$T/err" &&
	grep -qx "synced $n" "$T/rsy/".zcp-partial-*.meta
}
check "--resume --fsync: a run cut short keeps its bytes, flushed and recorded as on disk  # SPEC R-20" t_resume_fsync
t_ident_missing() { # a sender that does not send the identity it was asked for
	mkdir -p "$T/im" && start_fake fake-sender 100000 100000 || return 1
	{ zrecv --resume -c "127.0.0.1:$PORT" -o "$T/im/out" 2>"$T/err"; [ $? -eq 5 ]; } && wait "$FPID" &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: malformed identity: bad magic" "$T/err"
}
check "--resume from a sender that sends no identity frame: malformed identity, exit 5  # SPEC W-15 P-12" t_ident_missing
check "--resume --streams: SIGKILLed twice, each part goes on where it stopped, also in a run without --streams  # SPEC R-20 R-18" t_resume_streams
t_resume_usage() {
	{ zrecv --resume -o - 2>/dev/null; [ $? -eq 2 ]; } && { zrecv --resume --discard 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --resume --streams 2 --verify -o "$T/x" 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --resume --offset 5 -o "$T/x" 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --resume -l 127.0.0.1:0 -o "$T/x" 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --restart --raw -o "$T/x" 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --resume -o "$T/" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q -- '--resume needs -o FILE' "$T/err"
}
check "--resume or --restart with -o -, --discard, --streams --verify, --offset, --listen, --raw, -o DIR/: usage errors  # SPEC R-20 C-5" t_resume_usage

summary resume
