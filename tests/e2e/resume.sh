#!/usr/bin/env bash
# tests/e2e/resume.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: resume (--resume, --restart).
# Runs alone (make check T=resume) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- resume (SPEC R-20 W-15 W-16)
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
	*) [ $rc -eq 0 ] && grep -q "not continued, it has no record\|not continued, its record was not written here" "$T/err" &&
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
	# kept as links: a copy would be another file than its record names (R-20)
	mkdir -p "$T/rs.keep" && cp -al "$T/rs/".zcp-partial-* "$T/rs.keep/" &&
	zrecv -v --resume -c "127.0.0.1:$PORT" -o "$T/rs/out" 2>"$T/err" && cmp "$T/rsrc.bin" "$T/rs/out" &&
	grep -q '; 4 streams$' "$T/err" &&
	only_entries "$T/rs" out || return 1
	# the last run asked each of the 4 parts for its rest: none from its start
	[ "$(grep -c ' result=ok' "$T/send.err")" -ge 4 ] &&
	! grep -Eq 'offset=(0|50000000|100000000|150000000) length=50000000 bytes=50000000 .*result=ok' "$T/send.err" &&
	# the same partial with --verify, which hashes from byte 0: started over, said so
	rm "$T/rs/out" && ln "$T/rs.keep/".zcp-partial-* "$T/rs/" &&
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

# rz_cut DIR: a --resume fetch of data.bin into DIR/out whose third payload call fails
# (EIO): a one-stream partial with some bytes and its record stay
rz_cut() {
	rm -rf "$1" && mkdir -p "$1" &&
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:when=3+:error=EIO \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$1/out" 2>/dev/null
	[ -s "$(rz_partial "$1")" ] && grep -qx 'parts 0' "$(rz_partial "$1").meta"
}
t_rz_streams_grown() { # the partial grows to the file's size only once the record says parts
	start_send "$T/data.bin" && rz_cut "$T/rz1" || return 1
	# continued with --streams: the partial is sized to the whole file, then every
	# payload call fails before a part's count moves
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:error=EIO \
		"$B/zcp-recv" --resume --streams 4 -c "127.0.0.1:$PORT" -o "$T/rz1/out" 2>/dev/null
	grep '^parts' "$(rz_partial "$T/rz1").meta"; stat -c 'partial %s' "$(rz_partial "$T/rz1")"
	grep -q '^parts 1 [1-9]' "$(rz_partial "$T/rz1").meta" &&
	zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rz1/out" 2>"$T/err" && cmp "$T/data.bin" "$T/rz1/out"
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--resume --streams of a one-stream partial: the record says parts before the partial grows  # SPEC R-20 R-18" t_rz_streams_grown
# rz_grows DIR N: the partial in DIR is longer than N bytes
rz_grows() { [ "$(stat -c %s "$(rz_partial "$1")" 2>/dev/null || echo 0)" -gt "$2" ]; }
t_rz_busy() { # one resumer per output: a second one (--resume, --streams, --restart) refuses, touching nothing
	rm -rf "$T/rz2" && mkdir -p "$T/rz2" && head -c 30000000 /dev/urandom >"$T/rz2.bin" &&
	start_send "$T/rz2.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=20000 \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$T/rz2/out" 2>/dev/null &
	local s=$! p n ok=0
	wait_until 20 rz_grows "$T/rz2" 0 && n=$(stat -c %s "$(rz_partial "$T/rz2")") &&
	{ zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rz2/out" 2>"$T/err"; [ $? -eq 7 ]; } &&
	grep -qx "zcp-recv: flock $T/rz2/out: another zcp-recv is resuming this output" "$T/err" &&
	{ zrecv --resume --streams 2 -c "127.0.0.1:$PORT" -o "$T/rz2/out" 2>/dev/null; [ $? -eq 7 ]; } &&
	{ zrecv --restart -c "127.0.0.1:$PORT" -o "$T/rz2/out" 2>/dev/null; [ $? -eq 7 ]; } &&
	rz_grows "$T/rz2" $((n - 1)) && [ ! -e "$T/rz2/out" ] && ok=1
	p=$(tracee "$s") && kill -9 "$p"; wait "$s"
	[ $ok -eq 1 ] && zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rz2/out" && cmp "$T/rz2.bin" "$T/rz2/out" &&
	only_entries "$T/rz2" out
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--resume: a second zcp-recv for the same output (also --streams, --restart) is busy, exit 7, nothing touched  # SPEC R-21 E-1" t_rz_busy
t_rz_not_regular() { # KIND at the partial's name: exit 3, said, nothing claimed kept
	start_send "$T/data.bin" && rz_cut "$T/rz4" || return 1
	local f; f=$(rz_partial "$T/rz4"); rm -f "$f" "$f.meta"
	case $1 in dir) mkdir "$f" ;; fifo) mkfifo "$f" ;; esac
	zrecv --resume -c "127.0.0.1:$PORT" -o "$T/rz4/out" 2>"$T/err"; local rc=$?; echo "exit $rc"; cat "$T/err"
	[ $rc -eq 3 ] &&
	grep -qx "zcp-recv: open $f: not a regular file" "$T/err" && ! grep -q kept "$T/err" &&
	[ ! -e "$T/rz4/out" ] && [ -e "$f" ]
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--resume: a directory at the partial's name: exit 3, no partial claimed kept  # SPEC R-20" t_rz_not_regular dir
check "--resume: a FIFO at the partial's name: exit 3, no partial claimed kept  # SPEC R-20" t_rz_not_regular fifo
t_rz_no_room() { # a file larger than the output's free space (an 8 MiB tmpfs): refused after the probe
	head -c 20000000 /dev/urandom >"$T/rz7.bin" && start_send "$T/rz7.bin" || return 1
	local r=0 args
	for args in "--streams 2" "--resume --streams 2" "--resume"; do
		# shellcheck disable=SC2086
		zrecv $args -c "127.0.0.1:$PORT" -o "$T/rz7/out" 2>"$T/err"; local rc=$?; echo "$args: exit $rc"; cat "$T/err"
		[ $rc -eq 3 ] && grep -q "^zcp-recv: statvfs $T/rz7: the file is 20000000 bytes, [0-9]* are free: No space left on device$" "$T/err" &&
		! grep -q kept "$T/err" && only_entries "$T/rz7" || r=1
	done
	kill "$SPID"; wait "$SPID"; return $r
}
if mkdir -p "$T/rz7" && mount -t tmpfs -o size=8m tmpfs "$T/rz7" 2>/dev/null; then
	check "--streams, --resume: a file larger than the free space is refused at once, exit 3, nothing left  # SPEC R-22" t_rz_no_room
	umount "$T/rz7"
else
	skip "--streams, --resume: a file larger than the free space" "cannot mount a tmpfs here"
fi
t_rz_max_size() { # a probe offering more than --max-size: refused, nothing allocated or recorded
	rm -rf "$T/rz8" && mkdir -p "$T/rz8" && start_send "$T/data.bin" || return 1
	{ zrecv --resume --streams 2 --max-size 1M -c "127.0.0.1:$PORT" -o "$T/rz8/out" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: the sender offers 5000000 bytes, more than --max-size 1048576" "$T/err" &&
	! grep -q kept "$T/err" && only_entries "$T/rz8"
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--resume --streams --max-size: a larger probe is refused, exit 3, nothing left  # SPEC R-22 R-12" t_rz_max_size
t_rz_cut_closed() { # part 0 ends (joined, closed), then part 1 fails: no shutdown of a closed descriptor
	mkdir -p "$T/rz6" && start_fake parts-sender 4194304 2097152 3 1 || return 1
	zstrace -f -o "$T/rz6.st" -e trace=close,shutdown "$B/zcp-recv" --streams 2 -c "127.0.0.1:$PORT" \
		-o "$T/rz6/out" 2>"$T/err"; local rc=$?
	wait "$FPID"; echo "exit $rc"; cat "$T/err" "$T/fake.out"; grep shutdown "$T/rz6.st"
	[ $rc -eq 5 ] && grep -q '^part at 0 sent$' "$T/fake.out" && grep -q '^cut part at 2097152$' "$T/fake.out" &&
	! grep -q 'shutdown(.*EBADF' "$T/rz6.st" && only_entries "$T/rz6"
}
check "--streams: a failing part never shuts down a part's descriptor that was closed  # SPEC R-18" t_rz_cut_closed
t_rz_fsync_signal() { # SIG ARGS: a slowed --resume --fsync run ended by SIG once it stored bytes
	local sig=$1 s p n y; shift
	rm -rf "$T/rz5" && mkdir -p "$T/rz5" && head -c 30000000 /dev/urandom >"$T/rz5.bin" &&
	start_send "$T/rz5.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=20000 \
		"$B/zcp-recv" --resume --fsync "$@" -c "127.0.0.1:$PORT" -o "$T/rz5/out" 2>"$T/err" &
	s=$!
	# in parts: once the record counts a part's bytes (its steps are 1 MiB)
	wait_until 30 stored_in "$T/rz5" "$@" && p=$(tracee "$s") && kill -"$sig" "$p"; wait "$s"
	kill "$SPID"; wait "$SPID"
	local m; m="$(rz_partial "$T/rz5").meta"
	n=$(stat -c %s "$(rz_partial "$T/rz5")") && cat "$m" && y=$(sed -n 's/^synced //p' "$m") &&
	# bytes stored are recorded as on disk (in parts: every part's count), so a reboot keeps them
	[ "$y" -gt 0 ] && [ "$y" -le "$n" ] && { [ $# -eq 0 ] || grep -q '^parts 3 [0-9 ]*[1-9]' "$m"; } &&
	# and every byte a count claims is there: the source's (the partial is sized to the whole file)
	recorded_bytes_stored "$T/rz5.bin" "$(rz_partial "$T/rz5")" &&
	only_entries "$T/rz5" "$(basename "$(rz_partial "$T/rz5")")" "$(basename "$(rz_partial "$T/rz5")").meta"
}
# recorded_bytes_stored SRC PARTIAL: the bytes PARTIAL's record counts (each part's from its start,
# R-18's cut; one stream: the first "synced") are SRC's bytes
recorded_bytes_stored() {
	local size i off c counts
	size=$(stat -c %s "$1") && read -ra counts <<<"$(sed -n 's/^parts //p' "$2.meta")" || return 1
	local k=${counts[0]}
	if [ "$k" -eq 0 ]; then
		c=$(sed -n 's/^synced //p' "$2.meta") && echo "first $c bytes" && cmp -n "$c" "$1" "$2"; return
	fi
	local base=$((size / k)) extra=$((size % k))
	for ((i = 0; i < k; i++)); do
		off=$((base * i + (i < extra ? i : extra))) c=${counts[i + 1]}
		echo "part $i: $c bytes from $off"
		cmp -n "$c" -i "$off:$off" "$1" "$2" || return 1
	done
}
# stored_in DIR [--streams N]: the partial in DIR holds bytes (in parts: its record counts some)
stored_in() {
	if [ $# -gt 1 ]; then grep -q '^parts [0-9]* [0-9 ]*[1-9]' "$(rz_partial "$1").meta" 2>/dev/null
	else [ "$(stat -c %b "$(rz_partial "$1")" 2>/dev/null || echo 0)" -gt 0 ]; fi
}
check "--resume --fsync ended by SIGTERM: the partial flushed, its bytes recorded as on disk  # SPEC R-20" t_rz_fsync_signal TERM
check "--resume --fsync ended by SIGINT: the partial flushed, its bytes recorded as on disk  # SPEC R-20" t_rz_fsync_signal INT
check "--resume --fsync --streams ended by SIGTERM: every part's bytes recorded as on disk  # SPEC R-20 R-18" t_rz_fsync_signal TERM --streams 3

# probe_ident PORT: the identity (size, tag in hex) any peer learns of the served file (W-14 IDENT)
probe_ident() {
	python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack(">4sBBHQQ", b"ZCQ1", 1, 0x03, 0, 0, 0))
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
nl = struct.unpack(">4sBBHQQQ", buf[:32])[3]
idf = buf[32 + nl:32 + nl + 40]
print(struct.unpack(">Q", idf[8:16])[0], idf[16:32].hex())
PY
}
# forge_partial DIR OUT IDENT N: into DIR, OUT's partial of N 'E' bytes and a record vouching for
# them with the identity IDENT, a foreign boot id and a check anyone can compute (what a hostile
# peer can make)
forge_partial() {
	local h; h=$(printf %s "$2" | xxhsum -H1 - | cut -d' ' -f1) || return 1
	head -c "$4" /dev/zero | tr '\0' E >"$1/.zcp-partial-$h"
	printf 'zcp-partial 2\nfinal %s\nname -\nident %s\nboot 00000000-0000-0000-0000-000000000000\nsynced %s\nparts 0\n' \
		"$(printf %s "$2" | od -An -tx1 | tr -d ' \n')" "$3" "$4" >"$1/rec"
	printf 'check %s\n' "$(xxhsum -H1 "$1/rec" | cut -d' ' -f1)" >>"$1/rec"
	mv "$1/rec" "$1/.zcp-partial-$h.meta"
}
t_fx_forged() { # VIA: a hostile sender (fetch into -o D/) or pusher (into --listen -o D/) plants them
	rm -rf "$T/fx" && mkdir -p "$T/fx/D" "$T/fx/evil" && start_send "$T/data.bin" || return 1
	local real=$PORT rspid=$SPID id f rc=0; id=$(probe_ident "$real") && echo "probed: $id" &&
	forge_partial "$T/fx/evil" f "$id" 2000000 || return 1
	if [ "$1" = push ]; then
		start_recv -q -o "$T/fx/D/" --count 2 || return 1
		for f in "$T/fx/evil/".zcp-*; do zsend -q -c "127.0.0.1:$RPORT" "$f"; done
		wait "$RPID"; cat "$T/recv.err"
	else
		for f in "$T/fx/evil/".zcp-*; do
			start_send --once "$f" && zrecv -q -c "127.0.0.1:$PORT" -o "$T/fx/D/" 2>>"$T/fx/err"; wait "$SPID"
		done
		cat "$T/fx/err"; cp "$T/fx/err" "$T/recv.err"
	fi
	grep -c "names starting with .zcp- are zcp-recv's own; not stored" "$T/recv.err" | grep -qx 2 &&
	zrecv -c "127.0.0.1:$real" -o "$T/fx/D/f" --resume; rc=$?
	kill "$rspid"; wait "$rspid"
	[ "$rc" -eq 0 ] && cmp "$T/fx/D/f" "$T/data.bin" && only_entries "$T/fx/D" f
}
check "a hostile sender's .zcp-partial names into -o D/ are refused; a later --resume is right  # SPEC R-4 R-20" t_fx_forged fetch
check "a hostile pusher's .zcp-partial names into --listen -o D/ are refused; a later --resume is right  # SPEC R-4 R-20" t_fx_forged push
t_fx_foreign_record() { # a partial and a record this machine did not write: distrusted, said, right bytes
	rm -rf "$T/fx" && mkdir -p "$T/fx/D" && start_send "$T/data.bin" || return 1
	forge_partial "$T/fx/D" f "$(probe_ident "$PORT")" 2000000 &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/fx/D/f" --resume 2>"$T/err"; local rc=$?
	kill "$SPID"; wait "$SPID"; cat "$T/err"
	[ "$rc" -eq 0 ] && cmp "$T/fx/D/f" "$T/data.bin" && grep -q 'its record was not written here' "$T/err"
}
check "--resume distrusts a planted partial whose record this machine did not write  # SPEC R-20" t_fx_foreign_record
t_fx_resume_max_size() { # a whole partial left (its commit failed), continued with a smaller --max-size
	rm -rf "$T/fm" && mkdir -p "$T/fm" && start_send "$T/data.bin" &&
	zstrace -f -o /dev/null -e trace=linkat,renameat2,link,rename -e inject=linkat:error=EIO \
		-e inject=renameat2:error=EIO "$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$T/fm/out" 2>/dev/null
	local p; p=$(rz_partial "$T/fm"); [ "$(stat -c %s "$p")" -eq 5000000 ] || return 1
	zrecv --resume --max-size 4M -c "127.0.0.1:$PORT" -o "$T/fm/out" 2>"$T/err"; local rc=$?
	kill "$SPID"; wait "$SPID"; cat "$T/err"
	[ $rc -eq 3 ] && grep -q 'the sender offers 5000000 bytes, more than --max-size 4194304' "$T/err" &&
	[ ! -e "$T/fm/out" ] && [ "$(stat -c %s "$p")" -eq 5000000 ] && [ -f "$p.meta" ]
}
check "--resume --max-size: a continued partial counts its kept bytes: refused, exit 3, the partial stays  # SPEC R-12 R-22" t_fx_resume_max_size
check "--resume --fsync ended by SIGHUP (a dropped session): the partial flushed, its bytes recorded as on disk  # SPEC R-20" t_rz_fsync_signal HUP
check "--resume --fsync ended by SIGPWR: the partial flushed, its bytes recorded as on disk  # SPEC R-20" t_rz_fsync_signal PWR
# in_syscall PID NR: a thread of PID is in system call NR (x86-64's numbers); out_of_syscall: none is
in_syscall() { cat /proc/"$1"/task/*/syscall 2>/dev/null | grep -q "^$2 "; }
out_of_syscall() { ! in_syscall "$@"; }
t_fx_second_signal() { # a second SIGTERM while the orderly end waits for a slow sync ends it at once
	[ "$(uname -m)" = x86_64 ] || { echo "system call numbers are x86-64's"; return 0; }
	rm -rf "$T/f2" && mkdir -p "$T/f2" && head -c 30000000 /dev/urandom >"$T/f2.bin" &&
	start_send --once "$T/f2.bin" || return 1
	# the transfer fails (its sender killed), main syncs the partial: its fdatasync held 25 s, with the lock
	zstrace -f -o /dev/null -e trace=splice,fdatasync -e inject=splice:delay_exit=20000 \
		-e inject=fdatasync:delay_enter=25000000 \
		"$B/zcp-recv" --resume --fsync -c "127.0.0.1:$PORT" -o "$T/f2/out" 2>"$T/err" &
	local s=$! p r
	wait_until 30 stored_in "$T/f2" && p=$(tracee "$s") && kill -KILL "$(tracee "$SPID")" &&
	wait_until 10 in_syscall "$p" 75 && kill -TERM "$p" && # the orderly end waits for main's sync (futex)
	wait_until 10 in_syscall "$p" 202 && kill -TERM "$p" &&
	# the second ends the waiting thread at once, the process with it (main, held by strace, when let go)
	wait_until 10 out_of_syscall "$p" 202; r=$?
	wait "$s"; local rc=$?; wait "$SPID"; cat "$T/err"; echo "exit $rc"
	[ $r -eq 0 ] && [ $rc -eq 143 ]
}
check "--resume --fsync: a second SIGTERM while the orderly end waits ends the run at once  # SPEC R-20 S-15" t_fx_second_signal
t_fx_orderly_stops_first() { # the orderly end stops the transfer before its sync (held 1 s): nothing after it
	rm -rf "$T/f3" && mkdir -p "$T/f3" && head -c 30000000 /dev/urandom >"$T/f3.bin" &&
	start_send "$T/f3.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice,fdatasync -e inject=splice:delay_exit=200000 \
		-e inject=fdatasync:delay_enter=1000000 \
		"$B/zcp-recv" --resume --fsync -c "127.0.0.1:$PORT" -o "$T/f3/out" 2>"$T/err" &
	local s=$! p
	wait_until 30 stored_in "$T/f3" && p=$(tracee "$s") && kill -TERM "$p"; wait "$s"; local rc=$?
	kill "$SPID"; wait "$SPID"
	local n=0 y=0; n=$(stat -c %s "$(rz_partial "$T/f3")") && y=$(sed -n 's/^synced //p' "$(rz_partial "$T/f3").meta")
	echo "exit $rc, partial $n bytes, synced $y"; ls -A "$T/f3"
	[ "$rc" -eq 143 ] && [ "$y" -gt 0 ] && [ "$n" -eq "$y" ]
}
check "--resume --fsync ended by SIGTERM: the transfer stops before the sync, no byte after the synced ones  # SPEC R-20" t_fx_orderly_stops_first

t_cov2_unsynced_said() { # SYSCALL WHEN: --fsync -q, the run fails (EIO), then the WHEN-th SYSCALL of
	# its partial's flush (fdatasync: the partial; fsync 1: the record, 2: its directory): both said
	start_send "$T/data.bin" && rm -rf "$T/rz9" && mkdir -p "$T/rz9" || return 1
	zstrace -f -o /dev/null -e trace=splice,"$1" -e inject=splice:when=3+:error=EIO \
		-e inject="$1":error=EIO:when="$2" \
		"$B/zcp-recv" -q --resume --fsync -c "127.0.0.1:$PORT" -o "$T/rz9/out" 2>"$T/err"
	local rc=$? p; p=$(rz_partial "$T/rz9"); kill "$SPID"; wait "$SPID"
	cat "$T/err"; echo "exit $rc"
	# the directory's flush comes after the rename: the record says the synced bytes
	local what=$p synced=0; [ "$1" = fsync ] && what=$p.meta
	[ "$1$2" = fsync2 ] && synced=$(stat -c %s "$p")
	[ "$rc" -eq 4 ] && [ "$(wc -l <"$T/err")" -eq 2 ] &&
	[ "$(sed -n 2p "$T/err")" = "zcp-recv: fsync $what: Input/output error" ] &&
	[ -s "$p" ] && grep -qx "synced $synced" "$p.meta" && no_entry "$T/rz9" '*.tmp'
}
check "--resume --fsync -q: a partial that cannot be flushed after a failure is said, its record says nothing synced  # SPEC R-20 E-1" t_cov2_unsynced_said fdatasync 1
check "--resume --fsync -q: a record that cannot be flushed after a failure is said, the old one stays  # SPEC R-20 E-1" t_cov2_unsynced_said fsync 1
check "--resume --fsync -q: a record whose directory cannot be flushed after a failure is said, the record in place  # SPEC R-20 E-1" t_cov2_unsynced_said fsync 2
t_cov2_no_orderly_thread() { # --fsync's signal thread cannot start: the run goes on, whole
	rm -rf "$T/rz10" && mkdir -p "$T/rz10" && start_send "$T/data.bin" || return 1
	zstrace -f -o /dev/null -e inject=clone3,clone:error=EAGAIN:when=1 \
		"$B/zcp-recv" -q --resume --fsync -c "127.0.0.1:$PORT" -o "$T/rz10/out" 2>"$T/err"
	local rc=$?; kill "$SPID"; wait "$SPID"; cat "$T/err"; echo "exit $rc"
	[ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && cmp "$T/rz10/out" "$T/data.bin" && only_entries "$T/rz10" out
}
check "--resume --fsync whose signal thread cannot start: the transfer runs whole, nothing said  # SPEC R-20" t_cov2_no_orderly_thread

summary resume
