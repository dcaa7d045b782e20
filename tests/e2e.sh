#!/usr/bin/env bash
# End-to-end tests: the real zcp-send and zcp-recv over loopback.
# Usage: tests/e2e.sh BUILD_DIR [PLAIN_BUILD_DIR]   (prints TAP-like lines, then "e2e: N passed,
# N failed"). The plain build (no sanitizers) is the crowd of clients in the load tests
# and the server whose memory is measured; it defaults to BUILD_DIR.
# E2E_ONLY=REGEX runs only the tests whose description matches.
# Every wait is bounded (wait_until); pipelines fail when any stage fails (pipefail).
set -u -o pipefail
B=$(cd "${1:?usage: e2e.sh BUILD_DIR [PLAIN_BUILD_DIR]}" && pwd)
P=$(cd "${2:-$B}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
# peer ARGS...: a scripted peer (tests/peer.py), bounded
peer() { timeout 60 python3 "$HERE/peer.py" "$@"; }
# zstrace ARGS...: strace, bounded; LeakSanitizer cannot run under ptrace, the
# other sanitizers still do
zstrace() { ASAN_OPTIONS=detect_leaks=0 timeout 60 strace "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-e2e.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${E2E_KEEP:-}" ] || rm -rf "$T"' EXIT
pass=0 fail=0 n=0

ok()  { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; sed 's/^/#   /' "$T/log" 2>/dev/null | tail -n 8; }
# check DESC CMD...: the test passes when CMD succeeds (E2E_ONLY=REGEX runs only matching ones)
check() {
	desc=$1; shift
	[ -n "${E2E_ONLY:-}" ] && ! [[ $desc =~ $E2E_ONLY ]] && return 0
	local t0=$EPOCHREALTIME
	if "$@" >"$T/log" 2>&1; then ok "$desc"; else bad "$desc"; fi
	[ -n "${E2E_TIMES:-}" ] && echo "#   $(echo "$EPOCHREALTIME - $t0" | bc) s"
	return 0
}
# skip DESC WHY: a test that cannot run here, said so
skip() { echo "# skipped: $1 ($2)"; }

# wait_until SECONDS CMD...: run CMD every 10 ms until it succeeds; 1 after SECONDS
wait_until() {
	local limit=$(($1 * 100)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -gt $limit ] && { echo "wait_until: gave up on: $*" >&2; return 1; }
		sleep 0.01
	done
}
# zsend / zrecv ARGS...: the programs, bounded (a hang is exit 124, a failure)
zsend() { timeout 60 "$B/zcp-send" "$@"; }
zrecv() { timeout 60 "$B/zcp-recv" "$@"; }
listening() { grep -q '^listening on ' "$1" 2>/dev/null; }
# port_of FILE: the port of FILE's "listening on" line, once it is there
port_of() { wait_until 10 listening "$1" && sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1" | head -n 1; }
# start_send ARGS...: zcp-send listening on a free port in the background: sets PORT, SPID
start_send() {
	: >"$T/send.err"
	# --foreground: a kill of $SPID reaches zcp-send once; without it timeout also
	# signals its whole process group, and a second SIGTERM means "end at once" (S-15)
	timeout --foreground -k 5 60 "$B/zcp-send" -l 127.0.0.1:0 "$@" 2>"$T/send.err" &
	SPID=$!
	PORT=$(port_of "$T/send.err")
}
# start_recv ARGS...: zcp-recv --listen on a free port in the background: sets RPORT, RPID
start_recv() {
	: >"$T/recv.err"
	timeout --foreground -k 5 60 "$B/zcp-recv" -l 127.0.0.1:0 "$@" 2>"$T/recv.err" &
	RPID=$!
	RPORT=$(port_of "$T/recv.err")
}
# start_fake KIND ARGS...: a scripted peer from peer.py listening; sets PORT, FPID
start_fake() {
	rm -f "$T/port.wait"
	peer "$@" "$T/port.wait" >"$T/fake.out" 2>&1 &
	FPID=$!
	wait_until 10 test -f "$T/port.wait" || return 1
	PORT=$(cat "$T/port.wait"); rm -f "$T/port.wait"
}
# only_entries DIR NAME...: DIR holds exactly these names (hidden ones included)
only_entries() {
	local dir=$1; shift
	local want=""
	[ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort)
	[ "$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)" = "$want" ]
}
# no_entry DIR PATTERN: nothing in DIR has a name matching the glob PATTERN
no_entry() { [ -z "$(find "$1" -mindepth 1 -maxdepth 1 -name "$2")" ]; }

head -c 5000000 /dev/urandom >"$T/data.bin"

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

# --- outputs (SPEC R-3 R-4 R-5)
t_dir() {
	mkdir -p "$T/dir" && start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/dir" && wait "$SPID" && cmp "$T/data.bin" "$T/dir/data.bin" &&
	only_entries "$T/dir" data.bin
}
check "-o DIRECTORY stores under the sender's name  # SPEC R-4" t_dir
t_dir_raw() { zrecv --raw -o "$T/dir"; [ $? -eq 2 ]; }
check "-o DIRECTORY with --raw is a usage error  # SPEC R-4" t_dir_raw
t_dir_force_needs_name() {
	start_send "$T/data.bin" && echo keep >"$T/dir/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" -o "$T/dir/" --force 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -q 'in a directory --force replaces only a file named with --name' "$T/err" &&
	[ "$(cat "$T/dir/data.bin")" = keep ] &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/dir/" --force --name data.bin &&
	cmp "$T/dir/data.bin" "$T/data.bin" && only_entries "$T/dir" data.bin
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "-o DIR/ --force replaces only a file named with --name  # SPEC R-4 R-13" t_dir_force_needs_name
t_stdout_pipe() {
	start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o - | cmp - "$T/data.bin" && wait "$SPID"
}
check "-o - into a pipe  # SPEC R-5" t_stdout_pipe
t_stdout_append() {
	: >"$T/appended" && start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o - >>"$T/appended" 2>"$T/recv.err" && wait "$SPID" &&
	grep -q 'using copy' "$T/recv.err" && cmp "$T/appended" "$T/data.bin"
}
check "-o - onto an O_APPEND file falls back to copy, says so  # SPEC R-5" t_stdout_append
t_stdout_full() {
	local rc
	start_send --once "$T/data.bin" || return 1
	zrecv -c "127.0.0.1:$PORT" -o - >/dev/full 2>"$T/err"; rc=$?
	wait "$SPID"; [ $? -eq 6 ] && [ $rc -eq 3 ] &&
	grep -qx 'zcp-recv: write <stdout>: No space left on device' "$T/err"
}
check "-o - onto /dev/full: exit 3, the sender hears LOCAL_ERROR (exit 6)  # SPEC R-9 C-9" t_stdout_full
t_exists() {
	echo keep >"$T/exists" && start_send --once "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" -o "$T/exists" 2>"$T/recv.err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: open $T/exists: file exists (use --force to replace it)" "$T/recv.err" &&
	[ "$(cat "$T/exists")" = keep ] &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/exists" --force --fsync && wait "$SPID" &&
	cmp "$T/exists" "$T/data.bin"
}
check "existing output: exit 3 without --force, replaced with it  # SPEC R-3 E-1 E-2" t_exists
t_chardev_force() { # on a node of our own: a regression must not replace the real /dev/null
	mknod -m 666 "$T/null" c 1 3 && start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/null" --force && wait "$SPID" && [ -c "$T/null" ]
}
if [ "$(id -u)" = 0 ]; then
	check "-o CHARDEV --force (a /dev/null node) writes into it, never replaces it  # SPEC R-5" t_chardev_force
else
	skip "-o CHARDEV --force" "mknod needs root"
fi
t_fifo_output() {
	mkfifo "$T/fifo.out" && { cat "$T/fifo.out" >"$T/from.fifo" & } && local cpid=$! &&
	start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/fifo.out" && wait "$SPID" && wait "$cpid" &&
	cmp "$T/from.fifo" "$T/data.bin" && [ -p "$T/fifo.out" ]
}
check "-o FIFO writes into the FIFO, which stays a FIFO  # SPEC R-5" t_fifo_output
t_socket_output() {
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock.out" &&
	{ zrecv -c "127.0.0.1:1" -o "$T/sock.out" --force 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: open $T/sock.out: not a regular file, directory, FIFO or character device" "$T/err" &&
	[ -S "$T/sock.out" ]
}
check "-o SOCKET --force is refused before connecting  # SPEC R-5" t_socket_output
t_long_name() {
	local name
	name=$(printf 'n%.0s' $(seq 240)).bin &&
	head -c 1000 /dev/urandom >"$T/$name" && mkdir -p "$T/ldir" && start_send --once "$T/$name" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/ldir/" && wait "$SPID" && cmp "$T/$name" "$T/ldir/$name" &&
	only_entries "$T/ldir" "$name"
}
check "a 244-byte file name is stored (no temporary suffix to overflow)  # SPEC R-1 W-8" t_long_name

t_empty() {
	: >"$T/empty.bin" && start_send --once -p splice "$T/empty.bin" &&
	zrecv -c "localhost:$PORT" -o "$T/empty.out" && wait "$SPID" &&
	[ -f "$T/empty.out" ] && [ ! -s "$T/empty.out" ]
}
check "a 0-byte file arrives as a 0-byte file; a host name resolves  # SPEC P-2 C-4" t_empty

# --- ranges (SPEC R-8)
t_range() {
	start_send --once "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" --offset 1M --length 100K -o "$T/range" && wait "$SPID" &&
	[ "$(stat -c %s "$T/range")" -eq 102400 ] && cmp -i 1048576:0 -n 102400 "$T/data.bin" "$T/range"
}
check "--offset 1M --length 100K gets exactly that range  # SPEC R-8" t_range
t_range_parse() {
	zrecv -c 127.0.0.1:1 --offset 9223372036854775807 --length 1 --discard 2>"$T/err"
	[ $? -eq 2 ] && grep -qx 'zcp-recv: --offset + --length exceeds 2^63-1' "$T/err"
}
check "a range W-10 refuses is a usage error before connecting  # SPEC C-5 W-10" t_range_parse

# --- command line (SPEC C-5 C-6 C-8 C-9)
t_usage() {
	local help
	{ zsend --chunk 0 x 2>"$T/err"; [ $? -eq 2 ]; } &&
	[ "$(sed -n 2p "$T/err")" = "Try 'zcp-send --help'." ] &&
	{ zrecv 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --discard --raw=1 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -qx "zcp-recv: option '--raw' doesn't allow an argument" "$T/err" &&
	help=$(zsend --help) && [ "${help%%$'\n'*}" = 'Usage: zcp-send [OPTIONS] FILE' ] &&
	[ "$(zrecv --version)" = "zcp-recv ZCP/1 $(sed -n 's/.*ZCP_RELEASE "\(.*\)"/\1/p' "$HERE/../src/report.h")" ]
}
check "usage errors exit 2 with a hint; --help and --version exit 0  # SPEC C-5 C-6 C-8" t_usage
t_help_write_errors() {
	{ zsend --help >/dev/full 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-send: write <stdout>: No space left on device' "$T/err" &&
	{ zrecv --version >&- 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-recv: write <stdout>: Bad file descriptor' "$T/err"
}
t_help_lists_every_option() { # the options SPEC C-1 gives each program, each in its --help
	local c1 prog opt r=0 n=0 part
	c1=$(sed -n '/^\*\*C-1\*\*/,/^\*\*C-2\*\*/p' "$HERE/../SPEC.md" | tr '\n' ' ')
	for prog in zcp-send zcp-recv; do
		# "Options of both: ... zcp-send only: ... zcp-recv only: ..."
		part="${c1#*Options of both:}"; part="${part%%zcp-send only:*}"
		if [ $prog = zcp-send ]; then part+="${c1#*zcp-send only:}"; part="${part%%zcp-recv only:*}"
		else part+="${c1#*zcp-recv only:}"; fi
		while read -r opt; do
			n=$((n + 1))
			"$B/$prog" --help | grep -q -- "$opt\b" || { echo "$prog --help lacks $opt"; r=1; }
		done < <(grep -o -- '--[a-z][a-z-]*' <<<"$part" | sort -u)
	done
	echo "$n options checked"; [ $n -gt 30 ] && return $r
}
check "each program's --help lists every option SPEC C-1 gives it  # SPEC C-1" t_help_lists_every_option
check "--help into /dev/full and --version with stdout closed fail, exit 3  # SPEC C-6 C-9" t_help_write_errors
t_stdout_closed() {
	start_send --once "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" -o - >&- 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-recv: write <stdout>: Bad file descriptor' "$T/err" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/closedfds.out" <&- >&- && wait "$SPID" &&
	cmp "$T/closedfds.out" "$T/data.bin"
}
check "closed stdout: -o - refused before connecting; closed 0 and 1 harm nothing  # SPEC C-9" t_stdout_closed
t_send_closed_fds() {
	: >"$T/send.err"
	timeout 60 "$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" <&- >&- 2>"$T/send.err" &
	SPID=$!; PORT=$(port_of "$T/send.err") &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/closedfds2.out" && wait "$SPID" &&
	cmp "$T/closedfds2.out" "$T/data.bin"
}
check "zcp-send with stdin and stdout closed serves normally  # SPEC C-9" t_send_closed_fds

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
check "a slow but steady receiver of a push (the request a part every timeout/2, the ack whole) is not cut  # SPEC P-10" t_steady_receiver
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

# --- signals: nothing under the final name, nothing left (SPEC R-2 R-1)
# receiving PID DIR: PID has an anonymous (O_TMPFILE) output in DIR with data in it
receiving() {
	local f
	for f in "/proc/$1/fd/"*; do
		case $(readlink "$f") in "$2/#"*) [ "$(stat -L -c %s "$f")" -gt 0 ] && return 0 ;; esac
	done
	return 1
}
# tracee PID: the zcp program somewhere below PID (zstrace's timeout, strace, ...)
tracee() {
	local queue=("$1") p c
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}; queue=("${queue[@]:1}")
		case $(cat "/proc/$p/comm" 2>/dev/null) in zcp-*) echo "$p"; return 0 ;; esac
		for c in $(pgrep -P "$p"); do queue+=("$c"); done
	done
	return 1
}
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

# --- lost acks and accept failures, forced with strace --inject (SPEC R-15 S-10)
t_ack_lost() {
	start_send --once "$T/data.bin" &&
	zstrace -f -o /dev/null -e inject=sendto:error=EPIPE:when=2 \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/acklost.out" 2>"$T/err" &&
	grep -qx "zcp-recv: warning: sendto 127.0.0.1:$PORT: Broken pipe; every byte is committed, but the sender may report a failure" "$T/err" &&
	cmp "$T/acklost.out" "$T/data.bin" &&
	{ wait "$SPID"; [ $? -eq 5 ]; } && grep -q 'connection closed before the ack' "$T/send.err"
}
check "the ack cannot be sent after the commit: exit 0 with a warning  # SPEC R-15 P-7" t_ack_lost
# strace_send STRACE-ARGS... -- SEND-ARGS...: zcp-send of data.bin under strace in the
# background (SEND-ARGS decide --once); sets spid and port
strace_send() {
	local sargs=()
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done; shift
	: >"$T/send.err"
	zstrace -f "${sargs[@]}" "$B/zcp-send" -l 127.0.0.1:0 "$@" "$T/data.bin" 2>"$T/send.err" &
	spid=$!; port=$(port_of "$T/send.err")
}
t_file_eagain() { # SPEC X-6: an EAGAIN where the sender reads its file (splice, pread) must not
	local p     # leave the loop waiting for a receiver that has nothing to say (from the
	            # 20th call: the loader reads libc with pread64 first)
	for p in splice copy; do
		local sys=splice; [ $p = copy ] && sys=pread64
		strace_send -o /dev/null -e inject=$sys:error=EAGAIN:when=20+3 -- --once -p $p --timeout 5 &&
		zrecv --timeout 5 -c "127.0.0.1:$port" -o "$T/eagain.$p" && wait "$spid" &&
		cmp "$T/eagain.$p" "$T/data.bin" || return 1
	done
}
check "EAGAIN on the sender's file reads (splice, pread) is retried, not waited on: byte-exact  # SPEC X-6" t_file_eagain
t_accept_pressure() {
	strace_send -o /dev/null -e inject=accept4:error=EMFILE:when=1..3 -- --once &&
	zrecv -c "127.0.0.1:$port" -o "$T/emfile.out" && wait "$spid" &&
	cmp "$T/emfile.out" "$T/data.bin" &&
	[ "$(grep -c 'accept: Too many open files; pausing new connections' "$T/send.err")" -eq 1 ]
}
check "accept EMFILE three times: said once, paused, then served  # SPEC S-10" t_accept_pressure
t_accept_pressure_pushes() { # the same for a receiver taking pushes into a directory
	mkdir -p "$T/ape" && : >"$T/recv.err"
	zstrace -f -o /dev/null -e inject=accept4:error=EMFILE:when=1..3 \
		"$B/zcp-recv" -l 127.0.0.1:0 -o "$T/ape/" --once 2>"$T/recv.err" &
	local r=$! port; port=$(port_of "$T/recv.err") || return 1
	timeout 30 "$P/zcp-send" -q -c "127.0.0.1:$port" "$T/data.bin" && wait "$r" &&
	cmp "$T/ape/data.bin" "$T/data.bin" &&
	[ "$(grep -c 'accept: Too many open files; pausing new connections' "$T/recv.err")" -eq 1 ]
}
check "zcp-recv --listen DIR/: accept EMFILE three times: said once, paused, then the push taken  # SPEC S-10 R-16" t_accept_pressure_pushes
t_root_missing() {
	{ zsend --root "$T/no-such-dir" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-send: open $T/no-such-dir: No such file or directory" "$T/err"
}
check "--root naming no directory: exit 3 before listening, naming open and the path  # SPEC S-12 E-2" t_root_missing
t_accept_transient() {
	strace_send -o /dev/null -e inject=accept4:error=ENETDOWN:when=1 -- --once &&
	zrecv -c "127.0.0.1:$port" -o "$T/netdown.out" && wait "$spid" &&
	cmp "$T/netdown.out" "$T/data.bin" && ! grep -q accept "$T/send.err"
}
check "accept ENETDOWN (a connection's error) is retried silently  # SPEC S-10" t_accept_transient
t_accept_fatal() { # accept runs when a connection waits: one comes, and meets the failure
	strace_send -o /dev/null -e inject=accept4:error=EBADF:when=1 -- &&
	{ zrecv -c "127.0.0.1:$port" --discard 2>/dev/null; true; } &&
	{ wait "$spid"; [ $? -eq 4 ]; } && grep -qx 'zcp-send: accept: Bad file descriptor' "$T/send.err"
}
check "a failing listening socket (EBADF) ends the sender, exit 4  # SPEC S-10" t_accept_fatal

# --- failures of the environment, forced where the kernel will not produce them
# (SPEC E-1 E-2 S-1 S-9 C-9 R-1 R-3 P-9)
t_listen_in_use() {
	start_send "$T/data.bin" &&
	{ zsend -l "127.0.0.1:$PORT" "$T/data.bin" 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-send: bind 127.0.0.1:$PORT: Address already in use" "$T/err" &&
	{ zrecv -l "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: bind 127.0.0.1:$PORT: Address already in use" "$T/err"
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "listening on a port in use: exit 4, naming bind and the address  # SPEC E-1 E-2" t_listen_in_use
t_push_refused() {
	start_send --once "$T/data.bin" && kill "$SPID" && wait "$SPID" 2>/dev/null
	zsend -c "127.0.0.1:$PORT" "$T/data.bin" 2>"$T/err"; [ $? -eq 4 ] &&
	grep -qx "zcp-send: connect 127.0.0.1:$PORT: Connection refused" "$T/err"
}
check "push to nobody: exit 4, connect refused  # SPEC E-1" t_push_refused
t_unresolvable() {
	timeout 60 "$B/zcp-recv" -c no-such-host.invalid:9 --discard 2>"$T/err"; [ $? -eq 4 ] &&
	grep -q '^zcp-recv: getaddrinfo no-such-host.invalid:9: ' "$T/err"
}
check "an unresolvable name: exit 4 naming getaddrinfo  # SPEC C-4 E-1" t_unresolvable
t_no_devnull() { # PROG: with stdin closed and /dev/null unopenable, start-up fails, exit 1
	zstrace -f -o /dev/null -P /dev/null -e inject=openat:error=ENOENT "$B/$1" --version <&- >"$T/out"
	[ $? -eq 1 ] && [ ! -s "$T/out" ]
}
check "zcp-send cannot reopen a closed stdin on /dev/null: exit 1  # SPEC C-9 E-1" t_no_devnull zcp-send
check "zcp-recv cannot reopen a closed stdin on /dev/null: exit 1  # SPEC C-9 E-1" t_no_devnull zcp-recv
t_source_faults() { # CALL ERRNO WORD FILE: the check of FILE fails at start: exit 3, named
	zstrace -f -o /dev/null -P "$4" -e inject="$1":error="$2" "$B/zcp-send" --once "$4" 2>"$T/err"
	[ $? -eq 3 ] && grep -qx "zcp-send: $3 $4: .*" "$T/err"
}
: >"$T/empty.src"
check "fstat of FILE fails: exit 3, naming fstat and FILE  # SPEC S-1 E-2" t_source_faults newfstatat EIO fstat "$T/data.bin"
check "fcntl of FILE fails: exit 3  # SPEC S-1" t_source_faults fcntl EBADF fcntl "$T/data.bin"
check "the probe read of an empty FILE fails: exit 3  # SPEC S-9" t_source_faults pread64 EIO read "$T/empty.src"
t_source_fault_later() { # a check failing between transfers: SERVER_ERROR, then exit 3
	zstrace -f -o /dev/null -P "$T/data.bin" -e inject=newfstatat:error=EIO:when=2 \
		"$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
	local spid=$!; local port
	port=$(port_of "$T/send.err") &&
	{ zrecv -c "127.0.0.1:$port" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered SERVER_ERROR' "$T/err" && { wait "$spid"; [ $? -eq 3 ]; }
}
check "FILE cannot be checked at a request: SERVER_ERROR  # SPEC S-1 W-9" t_source_fault_later
t_shutdown_fails() { # MODE: shutdown after the payload fails: a network error, exit 4
	strace_send -o /dev/null -e inject=shutdown:error=ENOTCONN -- --once ${1:+"$1"} &&
	{ zrecv -c "127.0.0.1:$port" ${1:+"$1"} -o "$T/shut.out" 2>/dev/null; true; } &&
	{ wait "$spid"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-send: shutdown 127.0.0.1:[0-9]*: Transport endpoint is not connected" "$T/send.err"
	local r=$?; rm -f "$T/shut.out"; return "$r"
}
check "shutdown after the payload fails (framed): exit 4  # SPEC E-1 P-1" t_shutdown_fails ""
check "shutdown after the payload fails (raw): exit 4  # SPEC E-1 P-9" t_shutdown_fails --raw
t_tmpfile_denied() {
	local d="$T/denied"; mkdir -p "$d" && start_send --once "$T/data.bin" &&
	{ zstrace -f -o /dev/null -P "$d" -e inject=openat:error=EACCES \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: open $d: Permission denied" "$T/err" && only_entries "$d" &&
	{ wait "$SPID"; [ $? -eq 6 ]; }
}
check "the temporary file cannot be created (EACCES): exit 3, LOCAL_ERROR acked  # SPEC R-1 R-9" t_tmpfile_denied
t_link_without_proc() {
	start_send --once "$T/data.bin" &&
	zstrace -f -o "$T/noproc.st" -e inject=linkat:error=ENOENT:when=1 \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/noproc.out" && wait "$SPID" &&
	cmp "$T/noproc.out" "$T/data.bin" && grep -q 'AT_EMPTY_PATH) = 0' "$T/noproc.st"
}
check "linking through /proc/self/fd fails (no /proc): AT_EMPTY_PATH links it  # SPEC R-1" t_link_without_proc
t_replace_link_fails() {
	echo keep >"$T/repl.out" && start_send --once "$T/data.bin" &&
	{ zstrace -f -o /dev/null -e inject=linkat:error=ENOSPC:when=2 \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$T/repl.out" --force 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: linkat $T/repl.out: No space left on device" "$T/err" &&
	[ "$(cat "$T/repl.out")" = keep ] && no_entry "$T" '.zcp-*'
	local r=$?; wait "$SPID"; return "$r"
}
check "--force: the temporary name cannot be linked: exit 3, old file kept  # SPEC R-3 R-2" t_replace_link_fails
t_dir_fsync_fails() {
	local d="$T/fsyncd"; mkdir -p "$d" && start_send --once "$T/data.bin" &&
	{ zstrace -f -o /dev/null -P "$d" -e inject=fsync:error=EIO \
		"$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out" --fsync 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: fsync $d/out: Input/output error" "$T/err" && { wait "$SPID"; [ $? -eq 6 ]; }
}
check "--fsync: the directory's fsync fails: exit 3, LOCAL_ERROR acked  # SPEC R-1 R-9" t_dir_fsync_fails
# nth_call LOG CALL REGEX: the number of the first CALL line of LOG matching REGEX,
# counting CALL lines only (strace's --inject when=N counts the same way)
nth_call() { awk -v c="$2(" -v re="$3" 'index($0, c) { n++; if ($0 ~ re) { print n; exit } }' "$1"; }
t_close_fails() { # the named temporary file's close() fails (NFS, quota): exit 3, nothing left
	local d="$T/closed" k1 k2
	mkdir -p "$d" && start_send "$T/data.bin" || return 1
	local run=("$B/zcp-recv" -c "127.0.0.1:$PORT" -o "$d/out")
	# calibration: which openat is the O_TMPFILE one, which close is the named file's
	zstrace -f -o "$T/c1.st" -e trace=openat "${run[@]}" && rm -f "$d/out" &&
	k1=$(nth_call "$T/c1.st" openat O_TMPFILE) && [ -n "$k1" ] &&
	zstrace -f -yy -o "$T/c2.st" -e trace=openat,close -e inject=openat:error=EOPNOTSUPP:when="$k1" \
		"${run[@]}" && rm -f "$d/out" &&
	k2=$(nth_call "$T/c2.st" close '/\.zcp-') && [ -n "$k2" ] &&
	{ zstrace -f -o /dev/null -e inject=openat:error=EOPNOTSUPP:when="$k1" \
		-e inject=close:error=EIO:when="$k2" "${run[@]}" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: close $d/out: Input/output error" "$T/err" && only_entries "$d"
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "close() of the named temporary file fails: exit 3, nothing left  # SPEC R-1 R-2" t_close_fails

# --- many at once (SPEC S-13 S-14 S-15 S-16)
t_workers() { # two loops in two processes share the port; a stop reaches both
	start_send --workers 2 "$T/data.bin" &&
	local parent; parent=$(tracee "$SPID") && [ "$(pgrep -c -P "$parent")" -eq 2 ] || return 1
	local i pids=()
	for i in $(seq 20); do zrecv -c "127.0.0.1:$PORT" -o "$T/w.$i" & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" || return 1; done
	for i in $(seq 20); do cmp "$T/w.$i" "$T/data.bin" || return 1; done
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 20 ] &&
	kill -TERM "$parent" && wait "$SPID" && ! pgrep -f "zcp-send.*--workers 2" >/dev/null
}
check "--workers 2: two processes serve 20 receivers; SIGTERM ends both, exit 0  # SPEC S-16 S-15" t_workers

# A root to serve: two 4 MiB files, links in and out, special files (SPEC S-12)
R="$T/root"
mkdir -p "$R/sub" && head -c 4194304 /dev/urandom >"$R/a.bin" && head -c 4194304 /dev/urandom >"$R/sub/b.bin"
head -c 1000 /dev/urandom >"$T/outside.bin"
ln -s "$T/outside.bin" "$R/out-link"; ln -s sub/hop "$R/chain"; ln -s ../../outside.bin "$R/sub/hop"
ln -s sub/b.bin "$R/in-link"; mkfifo "$R/fifo"; head -c 65536 /dev/urandom >"$R/small.bin"
[ "$(id -u)" = 0 ] && mknod -m 666 "$R/null" c 1 3
# in_range FILE NAME OFFSET LENGTH: FILE holds bytes OFFSET.. of NAME in the root
in_range() { [ "$(stat -c %s "$1")" -eq "$4" ] && cmp -s -i "$3:0" -n "$4" "$R/$2" "$1"; }
# hex STRING: its bytes in hex, as peer.py ask takes a name
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# field KEY LINE: the value of KEY= in a transfer line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# dropped_after EPOCH LOGLINE: the line was logged 6 to 7.5 s after EPOCH
dropped_after() {
	local at; at=$(date -d "$(field time "$2")" +%s.%N) || return 1
	echo "dropped $(bc <<<"$at - $1") s after it stopped"
	awk -v a="$at" -v b="$1" 'BEGIN { exit !(a - b >= 5.9 && a - b < 7.5) }'
}
t_crowd_and_slow_peers() { # 200 receivers at once while four slow peers hold on
	local i rc=0 pids=() name off t0
	start_send --root "$R" --header-timeout 5 --timeout 6 --max-chunk 256K || return 1
	peer hold "$PORT" 20 >"$T/hold.out" & local h=$!
	peer drip "$PORT" 1 20 a.bin >"$T/drip.out" & local d=$!
	peer stall "$PORT" 8 a.bin >"$T/stall.out" & local st=$!
	peer noack "$PORT" 8 sub/b.bin >"$T/noack.out" & local na=$!
	sleep 0.5 # they are in before the crowd
	mkdir -p "$T/crowd"; : >"$T/crowd.times"
	t0=$EPOCHREALTIME
	for i in $(seq 200); do
		if ((i % 2)); then name=a.bin; else name=sub/b.bin; fi
		off=$(((i * 16384) % 3000000))
		{ s0=$EPOCHREALTIME; timeout 60 "$P/zcp-recv" -q -c "127.0.0.1:$PORT" --name "$name" \
			--offset "$off" --length 65536 -o "$T/crowd/$i"; \
		  echo "$i $? $name $off $s0 $EPOCHREALTIME" >>"$T/crowd.times"; } &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	while read -r i rc name off _; do
		if ! { [ "$rc" -eq 0 ] && in_range "$T/crowd/$i" "$name" "$off" 65536; }; then
			echo "receiver $i: exit $rc or wrong bytes"; return 1
		fi
	done <"$T/crowd.times"
	[ "$(wc -l <"$T/crowd.times")" -eq 200 ] || return 1
	# all of them done long before the first slow peer is dropped (5 s)
	local last; last=$(awk -v t0="$t0" '{ if ($6 - t0 > m) m = $6 - t0 } END { printf "%.1f", m }' "$T/crowd.times")
	echo "crowd done in $last s"
	awk -v l="$last" 'BEGIN { exit !(l < 4.5) }' || return 1
	wait "$h" "$d" "$st" "$na"
	cat "$T/hold.out" "$T/drip.out" "$T/stall.out" "$T/noack.out"
	grep -Eq '^held: closed after [45]\.[0-9] s$' "$T/hold.out" &&
	grep -Eq '^drip: closed after [456]\.[0-9] s$' "$T/drip.out" &&
	grep -Eq '^stall: got [0-9]+ of 4194304$' "$T/stall.out" && ! grep -q 'got 4194304 of' "$T/stall.out" &&
	grep -q '^noack: ack refused$' "$T/noack.out" &&
	[ "$(grep -c 'timed out waiting for the request' "$T/send.err")" -eq 2 ] &&
	grep -q 'timed out waiting for the receiver to read the payload' "$T/send.err" &&
	grep -q 'timed out waiting for the ack' "$T/send.err" &&
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 200 ] &&
	# the stalled and the silent receiver were dropped 6 s (--timeout) after they stopped
	dropped_after "$(sed -n 's/^stall: stopped at //p' "$T/stall.out")" \
		"$(grep 'name=a.bin offset=0 length=4194304 .*result=failed' "$T/send.err")" &&
	dropped_after "$(sed -n 's/^noack: 4194304 bytes at //p' "$T/noack.out")" \
		"$(grep 'name=sub/b.bin offset=0 length=4194304 bytes=4194304 .*result=failed' "$T/send.err")"
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return $r
}
check "200 receivers of a root at once, byte-exact, none delayed by 4 slow peers dropped at their deadlines  # SPEC S-13 S-12 P-10" t_crowd_and_slow_peers
t_steady_state() { # a thousand transfers change neither descriptors nor memory
	: >"$T/steady.err"
	timeout 120 "$P/zcp-send" -q -l 127.0.0.1:0 --root "$R" 2>"$T/steady.err" &
	local spid=$! port; port=$(port_of "$T/steady.err") || return 1
	local pid; pid=$(tracee "$spid")
	peer loop "$port" 100 small.bin >/dev/null || return 1 # warm: the allocator's pools filled
	local fds0 rss0 fds1 rss1
	fds0=$(find "/proc/$pid/fd" -mindepth 1 | wc -l); rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	peer loop "$port" 1000 small.bin >"$T/loop.out" && grep -qx 'loop: 1000 ok' "$T/loop.out" || return 1
	fds1=$(find "/proc/$pid/fd" -mindepth 1 | wc -l); rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	echo "fds $fds0 -> $fds1, VmRSS $rss0 -> $rss1 KiB"
	kill "$spid"; wait "$spid" 2>/dev/null
	[ "$fds1" -eq "$fds0" ] && [ "$rss1" -le $((rss0 + 256)) ]
}
check "1000 transfers: the server's descriptors and RSS unchanged  # SPEC S-13" t_steady_state
t_escapes() { # names that try to leave the root: refused, and nothing outside opened
	local st="$T/escape.st" name want got r=0
	: >"$T/send.err"
	zstrace -f -yy -e trace=openat,openat2 -o "$st" "$B/zcp-send" --timeout 2 -l 127.0.0.1:0 \
		--root "$R" 2>"$T/send.err" &
	local spid=$! port; port=$(port_of "$T/send.err") || return 1
	while read -r want name; do
		got=$(peer ask "$port" "$(hex "$name")") || got="no answer"
		[ "$got" = "status $want" ] || { echo "$name: $got, want status $want"; r=1; }
	done <<EOF
1 ../outside.bin
1 sub/../../outside.bin
1 /etc/passwd
1 $(printf 'n%.0s' $(seq 1100))
3 out-link
3 chain
3 fifo
3 sub
3 missing
0 in-link
EOF
	# a NUL in a name, and a device
	got=$(peer ask "$port" 61006263)
	[ "$got" = "status 1" ] || { echo "NUL: $got"; r=1; }
	if [ -c "$R/null" ]; then
		got=$(peer ask "$port" "$(hex null)")
		[ "$got" = "status 3" ] || { echo "device: $got"; r=1; }
	fi
	kill "$(tracee "$spid")"; wait "$spid" 2>/dev/null
	# nothing outside the root was opened, and the special files only as O_PATH
	if grep -E "= [0-9]+<($T/outside.bin|/etc/passwd)>" "$st"; then r=1; fi
	if grep -E "openat2?\(.*\"(fifo|null|sub)\".*= [0-9]+<" "$st" | grep -v O_PATH; then r=1; fi
	grep -q 'openat2(.*"out-link".*RESOLVE_BENEATH.*= -1 EXDEV' "$st" || { echo "no EXDEV for out-link"; r=1; }
	return $r
}
check "path escapes (.., absolute, links out, NUL, overlong, FIFO, device, directory) refused; nothing outside opened  # SPEC S-12 W-8" t_escapes
t_fair_turns() { # with --max-chunk 256K no turn moves more; a fast receiver is not starved
	head -c 67108864 /dev/urandom >"$T/fair.bin"
	local st="$T/fair.st" u0 u1 t0
	: >"$T/send.err"
	zstrace -f -yy -e trace=sendfile,epoll_pwait -o "$st" "$B/zcp-send" --max-chunk 256K \
		-l 127.0.0.1:0 "$T/fair.bin" 2>"$T/send.err" &
	local spid=$! port; port=$(port_of "$T/send.err") || return 1
	mkdir -p "$T/flagsf"
	peer client "$port" "$T/slow.out" 1048576 "$T/flagsf" >/dev/null & local slow=$!
	wait_until 20 test -f "$T/flagsf/paused" &&
	timeout 60 "$P/zcp-recv" -q -c "127.0.0.1:$port" --discard && touch "$T/flagsf/go" && wait "$slow"
	kill "$(tracee "$spid")"; wait "$spid" 2>/dev/null
	# sum each socket's sendfile bytes between two waits: never over 256 KiB
	awk '/epoll_pwait/ { for (k in turn) delete turn[k]; next }
	     /sendfile\(/ { fd = $2; sub(/^sendfile\(/, "", fd); sub(/<.*/, "", fd); n = $NF
			     if (n ~ /^[0-9]+$/ && (turn[fd] += n) > max) max = turn[fd] }
	     END { print "largest turn", max; exit !(max > 0 && max <= 262144) }' "$st" || return 1
	# the fast one alone, then beside a slow one: not starved
	start_send --max-chunk 256K "$T/fair.bin" || return 1
	t0=$EPOCHREALTIME; timeout 60 "$P/zcp-recv" -q -c "127.0.0.1:$PORT" --discard || return 1
	u0=$(bc <<<"$EPOCHREALTIME - $t0")
	rm -rf "$T/flagsf"; mkdir -p "$T/flagsf"
	peer client "$PORT" "$T/slow.out" 1048576 "$T/flagsf" >/dev/null & slow=$!
	wait_until 20 test -f "$T/flagsf/paused" || return 1
	t0=$EPOCHREALTIME; timeout 60 "$P/zcp-recv" -q -c "127.0.0.1:$PORT" --discard || return 1
	u1=$(bc <<<"$EPOCHREALTIME - $t0")
	touch "$T/flagsf/go"; wait "$slow"; kill "$SPID"; wait "$SPID" 2>/dev/null
	echo "fast receiver alone $u0 s, beside a paused one $u1 s"
	awk -v a="$u0" -v b="$u1" 'BEGIN { exit !(b < 3 * a + 1) }'
}
check "fair turns: no turn over --max-chunk; a fast receiver beside a stalled one is not slowed  # SPEC S-13" t_fair_turns
t_busy() {
	start_send --max-clients 2 --header-timeout 2 "$T/data.bin" || return 1
	peer hold "$PORT" 10 >/dev/null & local h1=$!
	peer hold "$PORT" 10 >/dev/null & local h2=$!
	sleep 0.3
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered BUSY" "$T/err" &&
	grep -Eq '^zcp-send: time=[^ ]+ peer=127.0.0.1:[0-9]+ result=busy$' "$T/send.err" &&
	wait "$h1" "$h2" && zrecv -c "127.0.0.1:$PORT" --discard # the holders dropped: room again
	local r=$?; kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; return $r
}
check "beyond --max-clients a receiver hears BUSY (exit 6), logged result=busy  # SPEC S-14 W-9" t_busy
# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
t_drain() { # a stop lets the transfer in flight finish; new connections are refused
	start_send "$T/big.bin.2" || return 1
	local zs; zs=$(tracee "$SPID"); mkdir -p "$T/flagsd"
	peer client "$PORT" "$T/drain.out" 1048576 "$T/flagsd" >"$T/client.out" & local c=$!
	wait_until 20 test -f "$T/flagsd/paused" && kill -TERM "$zs" && sleep 0.3 &&
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -q 'Connection refused' "$T/err" || return 1
	# waiting for the paused receiver, the draining sender sleeps (no busy loop)
	local c0 c1; c0=$(cpu_ticks "$zs"); sleep 1; c1=$(cpu_ticks "$zs")
	echo "CPU while draining: $((c1 - c0)) ticks in 1 s"
	[ $((c1 - c0)) -le 10 ] && touch "$T/flagsd/go" && wait "$c" &&
	grep -qx 'received 33554432 of 33554432' "$T/client.out" && wait "$SPID" &&
	grep -q ' result=ok' "$T/send.err"
}
check "SIGTERM: no new connections, the transfer in flight finishes, exit 0  # SPEC S-15" t_drain
t_drain_expires() { # the drain time runs out: the rest is cut, exit 128 + signal
	start_send --drain 1 "$T/big.bin.2" || return 1
	local zs; zs=$(tracee "$SPID")
	peer stall "$PORT" 6 >/dev/null & local s=$!
	sleep 0.5; kill -TERM "$zs"; local t0=$EPOCHREALTIME
	wait "$SPID"; local rc=$? took; took=$(bc <<<"$EPOCHREALTIME - $t0")
	kill "$s" 2>/dev/null; echo "exit $rc after $took s"
	[ $rc -eq 143 ] && awk -v t="$took" 'BEGIN { exit !(t >= 0.9 && t < 3) }' &&
	grep -q 'stopped: the drain time ran out' "$T/send.err"
}
check "--drain 1 with a stalled receiver: cut after 1 s, exit 143  # SPEC S-15" t_drain_expires
t_second_signal() {
	start_send "$T/big.bin.2" || return 1
	local zs; zs=$(tracee "$SPID")
	peer stall "$PORT" 2 >/dev/null & local s=$!
	sleep 0.5; kill -TERM "$zs"; sleep 0.2; kill -TERM "$zs"; local t0=$EPOCHREALTIME
	wait "$SPID"; local rc=$? took; took=$(bc <<<"$EPOCHREALTIME - $t0")
	wait "$s"; echo "exit $rc after $took s"
	[ $rc -eq 143 ] && awk -v t="$took" 'BEGIN { exit !(t < 0.5) }'
}
check "a second SIGTERM ends the sender at once, by that signal  # SPEC S-15" t_second_signal
t_count() {
	start_send --count 3 "$T/data.bin" && local i
	for i in 1 2 3; do zrecv -c "127.0.0.1:$PORT" --discard || return 1; done
	wait "$SPID" && [ "$(grep -c ' result=ok' "$T/send.err")" -eq 3 ] &&
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>/dev/null; [ $? -eq 4 ]; }
}
check "--count 3: three transfers, then exit 0  # SPEC S-7" t_count
t_root_names() { # a path asked for; stored under its last part
	start_send --once --root "$R" && mkdir -p "$T/rootout" &&
	zrecv -c "127.0.0.1:$PORT" --name sub/b.bin -o "$T/rootout/" && wait "$SPID" &&
	cmp "$T/rootout/b.bin" "$R/sub/b.bin" && only_entries "$T/rootout" b.bin &&
	start_send --once --root "$R" &&
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered NOT_FOUND' "$T/err"
}
check "--root: --name sub/b.bin arrives as DIR/b.bin; no name is NOT_FOUND  # SPEC S-12 R-4 P-3" t_root_names
t_failures_end_one_transfer() { # a vanished receiver, a truncated file: logged, serving goes on
	head -c 33554432 /dev/urandom >"$R/shrinks.bin"
	start_send --root "$R" && peer close-early "$PORT" a.bin || return 1
	peer stall "$PORT" 2 shrinks.bin >"$T/stall2.out" & local st=$!
	wait_until 20 grep -q stopped "$T/stall2.out" && truncate -s 2M "$R/shrinks.bin" && wait "$st" &&
	zrecv -c "127.0.0.1:$PORT" --name sub/b.bin -o "$T/after.bin" && cmp "$T/after.bin" "$R/sub/b.bin" &&
	kill "$SPID" && wait "$SPID" 2>/dev/null
	cat "$T/send.err"
	grep -Eq 'name=a.bin offset=0 length=4194304 .* result=failed exit=4$' "$T/send.err" &&
	grep -Eq "^zcp-send: (sendfile|sendto) 127.0.0.1:[0-9]+: (Broken pipe|Connection reset by peer)$" "$T/send.err" &&
	grep -Eq 'name=shrinks.bin offset=0 length=33554432 .* result=failed exit=3$' "$T/send.err" &&
	grep -q "^zcp-send: sendfile shrinks.bin: file truncated at offset" "$T/send.err" &&
	grep -Eq 'name=sub/b.bin .* result=ok$' "$T/send.err"
}
check "a vanished receiver and a file truncated while served end one transfer each, logged; serving goes on  # SPEC S-7 S-2 S-17" t_failures_end_one_transfer
t_many_pushes() { # R-16 R-17: 200 pushes into a directory at once, as nobody (the pipe budget applies)
	local d="$T/pushes" i pids=() who=()
	mkdir -p "$d" && chmod 711 "$T" && chmod 777 "$d"
	for i in $(seq 200); do head -c 200000 /dev/urandom >"$T/push.$i"; done
	[ "$(id -u)" = 0 ] && who=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	: >"$T/recv.err"
	timeout 120 "${who[@]}" "$B/zcp-recv" -v -l 127.0.0.1:0 -o "$d/" --count 201 --timeout 3 \
		2>"$T/recv.err" &
	local rpid=$! port; port=$(port_of "$T/recv.err") || return 1
	peer hold "$port" 10 >"$T/pushhold.out" & local h=$! # a sender that never answers
	for i in $(seq 200); do timeout 60 "$P/zcp-send" -q -c "127.0.0.1:$port" "$T/push.$i" & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" || { echo "a push failed"; return 1; }; done
	wait "$h"; { wait "$rpid"; [ $? -eq 4 ]; } || { echo "zcp-recv: not the held push's failure"; return 1; }
	for i in $(seq 200); do cmp "$T/push.$i" "$d/push.$i" || return 1; done
	[ "$(grep -c ' path=splice result=ok syscalls=.*splice:' "$T/recv.err")" -eq 200 ] &&
	grep -q 'recvfrom 127.0.0.1:[0-9]*: Connection timed out' "$T/recv.err" && no_entry "$d" '.zcp-*' 
}
check "zcp-recv --listen DIR/: 200 pushes at once (as nobody: pooled pipes), byte-exact, a silent one dropped  # SPEC R-16 R-17" t_many_pushes

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
	sleep 0.5; printf 'changed' | dd of="$T/vsrc.bin" conv=notrunc status=none
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

# --- resume (SPEC R-20 W-15 W-16)
# slow_resume OUT SECONDS: a --resume fetch slowed by strace (each splice 20 ms late),
# SIGKILLed after SECONDS; the partial's size is printed
slow_resume() {
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=20000 \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$1" 2>/dev/null &
	local s=$! p
	sleep "$2"; p=$(tracee "$s") && kill -9 "$p"; wait "$s"
	stat -c %s "$(dirname "$1")"/.zcp-partial-* 2>/dev/null | head -n 1
}
t_resume_after_kills() {
	mkdir -p "$T/rk" && head -c 100000000 /dev/urandom >"$T/rsrc.bin" && start_send -v "$T/rsrc.bin" || return 1
	local a b c
	a=$(slow_resume "$T/rk/out" 0.4) && b=$(slow_resume "$T/rk/out" 0.4) && c=$(slow_resume "$T/rk/out" 0.4) &&
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
	start_send "$T/rsrc.bin" && [ "$(slow_resume "$T/rc/out" 0.3)" -gt 0 ] || return 1
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
t_resume_streams() { # a --streams 4 fetch killed twice, then finished without --streams (the cut is kept);
	# the parts are slowed to ~10 MB/s each, so that each records its first 16 MiB steps
	rm -rf "$T/rs" && mkdir -p "$T/rs" && head -c 200000000 /dev/urandom >"$T/rsrc.bin" &&
	start_send -v "$T/rsrc.bin" || return 1
	local i s p m
	for i in 1 2; do
		zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=100000 \
			"$B/zcp-recv" --resume --streams 4 -c "127.0.0.1:$PORT" -o "$T/rs/out" 2>/dev/null &
		s=$!; sleep 2; p=$(tracee "$s") && kill -9 "$p"; wait "$s"
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
	sleep 0.5; truncate -s 1000 "$T/rcut.bin"
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

# === BLOCK ident: every --streams part belongs to the probed file ===
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
	start_send "$T/risrc.bin" && [ "$(slow_resume "$T/ri/out" 0.3)" -gt 4096 ] || return 1
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
# stopped PID: the process is stopped (by a signal, or in a tracer's stop)
stopped() { case $(sed -n 's/^[0-9]* (.*) \([a-zA-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) in t|T) return 0 ;; esac; return 1; }
t_streams_source_replaced() { # a real zcp-send; the receiver stopped at its first part's socket(), after the probe
	rm -rf "$T/sr" && mkdir -p "$T/sr" && head -c 4000000 /dev/urandom >"$T/srsrc.bin" &&
	head -c 4000000 /dev/urandom >"$T/srnew.bin" && start_send --count 3 "$T/srsrc.bin" || return 1
	zstrace -f -o /dev/null -e trace=socket -e inject=socket:signal=SIGSTOP:when=2 \
		"$B/zcp-recv" --streams 2 -c "127.0.0.1:$PORT" -o "$T/sr/out" 2>"$T/err" &
	local s=$! p rc
	wait_until 20 grep -q ' result=probe' "$T/send.err" && p=$(tracee "$s") && wait_until 20 stopped "$p" &&
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
# === END BLOCK ident ===
# === BLOCK mutants: tests that kill the mutants of tests/mutants.txt ===
t_pipe_asks_1m() { # the unpooled splice pipes (a served transfer, a fetch) ask for 1 MiB
	: >"$T/send.err"
	zstrace -f -e trace=fcntl -o "$T/pipe-send.st" "$B/zcp-send" --once -p splice -l 127.0.0.1:0 \
		"$T/data.bin" 2>"$T/send.err" &
	local spid=$! port; port=$(port_of "$T/send.err") || return 1
	zstrace -f -e trace=fcntl -o "$T/pipe-recv.st" "$B/zcp-recv" -p splice -c "127.0.0.1:$port" \
		-o "$T/pipe.out" && wait "$spid" && cmp "$T/data.bin" "$T/pipe.out" &&
	grep -q 'F_SETPIPE_SZ, 1048576)' "$T/pipe-send.st" && grep -q 'F_SETPIPE_SZ, 1048576)' "$T/pipe-recv.st"
}
check "unpooled splice pipes ask for 1 MiB (F_SETPIPE_SZ), serving and fetching  # SPEC X-7" t_pipe_asks_1m
t_push_verbose_polls() { # a pushing sender waits in poll(): -v counts those waits, and no zero counts
	start_recv -q -o "$T/pushv" && zsend -v -c "127.0.0.1:$RPORT" "$T/data.bin" 2>"$T/err" &&
	wait "$RPID" && cmp "$T/data.bin" "$T/pushv" &&
	grep -Eq ' result=ok syscalls=([a-z0-9]+:[0-9]+,)*poll:[1-9][0-9]*(,|$)' "$T/err" &&
	! grep -Eq 'syscalls=.*[a-z0-9]+:0(,|$)' "$T/err"
}
check "push -v counts its polls in the transfer line, never a zero count  # SPEC X-8 S-17" t_push_verbose_polls
t_busy_not_counted() { # --count 2 --max-clients 1: a BUSY refusal between two transfers is not one of them
	start_send --count 2 --max-clients 1 "$T/data.bin" || return 1
	rm -rf "$T/flagsb" && mkdir -p "$T/flagsb"
	peer client "$PORT" "$T/busy1.out" 1048576 "$T/flagsb" >/dev/null & local first=$!
	wait_until 20 test -f "$T/flagsb/paused" || return 1
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered BUSY' "$T/err" && touch "$T/flagsb/go" && wait "$first" &&
	zrecv -c "127.0.0.1:$PORT" -o "$T/busy2.out" && cmp "$T/data.bin" "$T/busy2.out" && wait "$SPID"
}
check "--count 2 --max-clients 1: a BUSY refusal does not count; the second transfer is served  # SPEC S-14" t_busy_not_counted
t_version_status() { # the text and the status: a pipe would hide the status
	local p
	for p in zcp-send zcp-recv; do
		"$B/$p" --version >"$T/version" || { echo "$p --version: exit $?"; return 1; }
		grep -qx "$p ZCP/1 $(sed -n 's/.*ZCP_RELEASE "\(.*\)"/\1/p' "$HERE/../src/report.h")" "$T/version" || return 1
	done
}
check "--version of each program exits 0 with PROG ZCP/1 VERSION  # SPEC C-6" t_version_status
t_notsent_lowat_set() { # each served connection's socket gets TCP_NOTSENT_LOWAT of --notsent-lowat
	local v
	for v in "" 65536; do
		: >"$T/send.err"
		zstrace -f -e trace=setsockopt -o "$T/lowat.st" "$B/zcp-send" --once ${v:+--notsent-lowat $v} \
			-l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
		local spid=$! port; port=$(port_of "$T/send.err") || return 1
		zrecv -c "127.0.0.1:$port" --discard && wait "$spid" &&
		grep -Eq "setsockopt\([0-9]+, SOL_TCP, TCP_NOTSENT_LOWAT, \[${v:-1048576}\], 4\) = 0" "$T/lowat.st" || return 1
	done
}
check "TCP_NOTSENT_LOWAT on each served connection: 1 MiB, or --notsent-lowat  # SPEC S-13" t_notsent_lowat_set
t_root_reopens_by_proc() { # the inode the O_PATH open resolved is reopened, never the name again
	mkdir -p "$T/rootp" && cp "$T/data.bin" "$T/rootp/f.bin" && : >"$T/send.err"
	zstrace -f -e trace=open,openat,openat2 -o "$T/reopen.st" "$B/zcp-send" --once -l 127.0.0.1:0 \
		--root "$T/rootp" 2>"$T/send.err" &
	local spid=$! port; port=$(port_of "$T/send.err") || return 1
	zrecv --name f.bin -c "127.0.0.1:$port" -o "$T/reopen.out" && wait "$spid" &&
	cmp "$T/data.bin" "$T/reopen.out" &&
	grep -Eq 'openat2\([0-9]+, "f.bin", \{flags=O_RDONLY\|O_CLOEXEC\|O_PATH' "$T/reopen.st" &&
	grep -Eq 'open(at)?\((AT_FDCWD, )?"/proc/self/fd/[0-9]+", O_RDONLY\|O_CLOEXEC\) = [0-9]+' "$T/reopen.st" &&
	! grep -Eq 'open(at)?\(.*"f.bin", O_RDONLY' "$T/reopen.st"
}
check "--root: the file is reopened through /proc/self/fd, not by its name  # SPEC S-12" t_root_reopens_by_proc
t_restart_starts_over() { # a trusted partial: --restart removes it and fetches the whole file
	rm -rf "$T/rr" && mkdir -p "$T/rr" && start_send "$T/data.bin" || return 1
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:when=3+:error=EIO \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$T/rr/out" 2>/dev/null
	local m; m=$(echo "$T/rr/".zcp-partial-*.meta)
	[ -f "$m" ] && [ -s "${m%.meta}" ] &&
	zrecv -v --restart -c "127.0.0.1:$PORT" -o "$T/rr/out" 2>"$T/err" && cmp "$T/data.bin" "$T/rr/out" &&
	grep -q '^zcp-recv: received 5000000 bytes' "$T/err" && only_entries "$T/rr" out
	local r=$?; kill "$SPID"; wait "$SPID"; return $r
}
check "--restart drops a partial --resume would trust and fetches the whole file  # SPEC R-20" t_restart_starts_over
t_timeout_zero_forever() { # 0 is no limit, not an expired one: served and pushed transfers arrive
	start_send --once --timeout 0 "$T/data.bin" && zrecv --timeout 0 -c "127.0.0.1:$PORT" -o "$T/t0a" &&
	wait "$SPID" && cmp "$T/data.bin" "$T/t0a" &&
	start_recv -q --timeout 0 -o "$T/t0b" && zsend --timeout 0 -c "127.0.0.1:$RPORT" "$T/data.bin" &&
	wait "$RPID" && cmp "$T/data.bin" "$T/t0b"
}
check "--timeout 0 waits forever: a served and a pushed transfer arrive  # SPEC P-10" t_timeout_zero_forever
# === END BLOCK mutants ===
# === BLOCK resume: resume integrity ===
# rz_partial DIR: the partial file's path in DIR (exactly one there)
rz_partial() { echo "$1/".zcp-partial-????????????????; }
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
# === END BLOCK resume ===
# === BLOCK deadlines: a total deadline on every phase that waits for a peer ===
# logged_after EPOCH LINE LOW HIGH: LINE (a transfer line) was logged LOW to HIGH s after EPOCH
logged_after() {
	local at; at=$(date -d "$(field time "$2")" +%s.%N) || return 1
	echo "logged $(bc <<<"$at - $1") s after $1"
	awk -v a="$at" -v b="$1" -v lo="$3" -v hi="$4" 'BEGIN { exit !(a - b >= lo && a - b < hi) }'
}
t_request_trickled() { # KIND: the request (or its identity frame) a byte every 1.5 s, inside --timeout 2
	start_send --once --timeout 2 --header-timeout 3 "$T/data.bin" &&
	peer trickle-request "$PORT" 1.5 20 "$1" >"$T/trickle.out"; wait "$SPID"; local rc=$?
	cat "$T/trickle.out" "$T/send.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-request: closed after' "$T/trickle.out" &&
	grep -q "timed out waiting for the request" "$T/send.err" &&
	logged_after "$(sed -n 's/^trickle-request: connected at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/send.err")" 3 5.5
}
check "a request trickled a byte per 1.5 s (--timeout 2) is cut at --header-timeout 3, exit 4  # SPEC P-13 S-13" t_request_trickled request
check "an IF_IDENT request's identity frame trickled (--timeout 2) is cut at --header-timeout 3  # SPEC P-13 W-16" t_request_trickled ident
t_ack_trickled() { # a byte of the ack every 1.5 s, inside --timeout 2: dropped 2 s after the payload
	start_send --once --timeout 2 "$T/data.bin" &&
	peer trickle-ack "$PORT" 1.5 20 >"$T/trickle.out"; wait "$SPID"; local rc=$?
	cat "$T/trickle.out" "$T/send.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-ack: closed after' "$T/trickle.out" &&
	grep -q 'timed out waiting for the ack' "$T/send.err" &&
	# the half-close reaches the peer a moment after the sender's clock starts: 0.1 s
	logged_after "$(sed -n 's/^trickle-ack: payload ended at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/send.err")" 1.9 4.5
}
check "an ack trickled a byte per 1.5 s (--timeout 2) is cut 2 s after the half-close, exit 4  # SPEC P-13" t_ack_trickled
t_push_header_trickled() { # a pusher's response a byte every 1.5 s, inside --timeout 2
	mkdir -p "$T/trickled" &&
	start_recv -o "$T/trickled/" --once --timeout 2 --header-timeout 3 &&
	peer trickle-push "$RPORT" 1.5 20 >"$T/trickle.out"; wait "$RPID"; local rc=$?
	cat "$T/trickle.out" "$T/recv.err"
	[ "$rc" -eq 4 ] && grep -q '^trickle-push: closed after' "$T/trickle.out" && only_entries "$T/trickled" &&
	logged_after "$(sed -n 's/^trickle-push: connected at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/recv.err")" 3 5.5
}
check "zcp-recv --listen DIR/: a response header trickled (--timeout 2) is cut at --header-timeout 3, exit 4  # SPEC P-13 R-16" t_push_header_trickled
t_open_emfile() { # the file's open meets EMFILE at a request: SERVER_ERROR, a system failure (exit 1)
	zstrace -f -o /dev/null -P "$T/data.bin" -e inject=openat:error=EMFILE:when=2 \
		"$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
	local spid=$!; local port
	port=$(port_of "$T/send.err") &&
	{ zrecv -c "127.0.0.1:$port" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -q 'sender answered SERVER_ERROR' "$T/err" && { wait "$spid"; [ $? -eq 1 ]; } &&
	grep -q 'result=failed exit=1$' "$T/send.err" && grep -q 'Too many open files' "$T/send.err"
}
check "open of the served file fails EMFILE: SERVER_ERROR, not NOT_FOUND; logged exit=1  # SPEC C-11 W-9" t_open_emfile
# nofile_of PID: the soft and hard "Max open files" of a process
nofile_of() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }
t_nofile_raised() { # both programs start with the soft limit raised to the hard one
	: >"$T/send.err"; mkdir -p "$T/nofile"
	timeout 60 prlimit --nofile=64:4096 "$B/zcp-send" --once -l 127.0.0.1:0 "$T/data.bin" 2>"$T/send.err" &
	local spid=$!; local port; port=$(port_of "$T/send.err") || return 1
	local lim; lim=$(nofile_of "$(pgrep -P "$spid" -x zcp-send || echo "$spid")"); echo "zcp-send: $lim"
	zrecv -c "127.0.0.1:$port" --discard && wait "$spid" && [ "$lim" = "4096 4096" ] || return 1
	: >"$T/recv.err"
	timeout 60 prlimit --nofile=64:4096 "$B/zcp-recv" --once -l 127.0.0.1:0 -o "$T/nofile/" 2>"$T/recv.err" &
	local rpid=$!; port=$(port_of "$T/recv.err") || return 1
	lim=$(nofile_of "$(pgrep -P "$rpid" -x zcp-recv || echo "$rpid")"); echo "zcp-recv: $lim"
	zsend -c "127.0.0.1:$port" "$T/data.bin" && wait "$rpid" && [ "$lim" = "4096 4096" ]
}
check "the soft RLIMIT_NOFILE is raised to the hard one at start (prlimit 64:4096)  # SPEC C-11" t_nofile_raised
t_max_clients_over_limit() { # more connections than the hard limit allows: refused at start, exit 2
	mkdir -p "$T/nofile"
	{ timeout 60 prlimit --nofile=64:64 "$B/zcp-send" --max-clients 100 -l 127.0.0.1:0 "$T/data.bin" \
		2>"$T/err"; [ $? -eq 2 ]; } && cat "$T/err" &&
	grep -qx 'zcp-send: --max-clients 100 needs about 206 descriptors; the limit is 64 (ulimit -n)' "$T/err" &&
	{ timeout 60 prlimit --nofile=64:64 "$B/zcp-recv" --max-clients 100 -l 127.0.0.1:0 -o "$T/nofile/" \
		2>"$T/err"; [ $? -eq 2 ]; } && cat "$T/err" &&
	grep -qx 'zcp-recv: --max-clients 100 needs about 406 descriptors; the limit is 64 (ulimit -n)' "$T/err" &&
	# the default (1024) is lowered to what fits, said once, and serves
	: >"$T/send.err" && { timeout 60 prlimit --nofile=64:64 "$B/zcp-send" --once -l 127.0.0.1:0 \
		"$T/data.bin" 2>"$T/send.err" & } && local spid=$! && local port && port=$(port_of "$T/send.err") &&
	zrecv -c "127.0.0.1:$port" --discard && wait "$spid" && cat "$T/send.err" &&
	grep -qx 'zcp-send: note: --max-clients 29, not 1024: the limit is 64 descriptors (ulimit -n)' "$T/send.err"
}
check "--max-clients past RLIMIT_NOFILE: usage error with the arithmetic; the default lowered to fit  # SPEC C-11 S-14 R-16" t_max_clients_over_limit
t_push_trailer_trickled() { # with --verify, the pusher's trailer a byte every 1.5 s, inside --timeout 2
	mkdir -p "$T/trickled" &&
	start_recv -o "$T/trickled/" --once --verify --timeout 2 --header-timeout 3 &&
	peer trickle-push "$RPORT" 1.5 10 trailer >"$T/trickle.out"; wait "$RPID"; local rc=$?
	cat "$T/trickle.out" "$T/recv.err"
	# the receiver acks SHORT and lingers (R-14): its log line is the word on when it gave up
	[ "$rc" -eq 4 ] && grep -q 'recvfrom .*: Connection timed out' "$T/recv.err" && only_entries "$T/trickled" &&
	logged_after "$(sed -n 's/^trickle-push: payload sent at //p' "$T/trickle.out")" \
		"$(grep ' result=' "$T/recv.err")" 2.9 5.5
}
check "zcp-recv --listen DIR/ --verify: a trailer trickled (--timeout 2) is cut --header-timeout 3 after the payload, exit 4  # SPEC P-13 R-16 R-19" t_push_trailer_trickled
# hashed_file: $T/hashed.bin, a big file whose whole hash takes many turns of --max-chunk
hashed_file() { [ -f "$T/hashed.bin" ] || head -c 64M /dev/zero >"$T/hashed.bin"; }
t_hash_once() { # two verified resumes of the last 10 bytes: the file is read for the hash once
	hashed_file && start_send -v --count 3 --max-chunk 4M "$T/hashed.bin" &&
	peer verify-resume "$PORT" 2 >"$T/vr.out" && wait "$SPID" && cat "$T/vr.out" "$T/send.err" &&
	[ "$(grep -c '^verify-resume: hash ' "$T/vr.out")" -eq 2 ] &&
	[ "$(sed -n 's/^verify-resume: hash //p' "$T/vr.out" | sort -u | wc -l)" -eq 1 ] &&
	[ "$(grep -c 'offset=67108854 length=10 .*result=ok' "$T/send.err")" -eq 2 ] &&
	grep 'offset=67108854 length=10 .*result=ok' "$T/send.err" | head -n 1 | grep -q 'pread64:[1-9]' &&
	! grep 'offset=67108854 length=10 .*result=ok' "$T/send.err" | tail -n 1 | grep -q pread
}
check "a second identical verified resume costs no reading: the whole-file hash is read once  # SPEC W-17 P-11" t_hash_once
t_hash_peer_gone() { # a receiver gone mid-hash: the sender stops reading (strace: the preads stop)
	local spid port n
	hashed_file && : >"$T/send.err" || return 1
	zstrace -f -e trace=pread64 -o "$T/hash.trace" "$B/zcp-send" --count 2 -l 127.0.0.1:0 --max-chunk 4K \
		"$T/hashed.bin" 2>"$T/send.err" &
	spid=$!; port=$(port_of "$T/send.err") &&
	peer verify-resume "$port" 1 gone && { wait "$spid"; [ $? -eq 4 ]; } && cat "$T/send.err" &&
	grep -q 'receiver went away while the file was hashed' "$T/send.err" &&
	n=$(grep -c 'pread64(' "$T/hash.trace") && echo "$n preads of 256" && [ "$n" -lt 256 ]
}
check "a receiver gone mid-hash: the sender stops reading the file, exit 4  # SPEC W-17 P-11" t_hash_peer_gone
# === END BLOCK deadlines ===
# === BLOCK workers: workers, signals, the listening socket, --force commits, --count ===
t_push_log_base_name() { # SPEC S-17 P-3: the name in a push's log line is FILE's base name
	mkdir -p "$T/pushsrc" && cp "$T/data.bin" "$T/pushsrc/src.bin" &&
	start_recv -q -o "$T/pushed.base" &&
	zsend -c "127.0.0.1:$RPORT" "$T/pushsrc/src.bin" 2>"$T/err" && wait "$RPID" &&
	grep -Eq '^zcp-send: time=[^ ]+ peer=[^ ]+ name=src.bin offset=0 ' "$T/err"
}
check "a push's log line names FILE's base name, not the path given  # SPEC S-17 P-3" t_push_log_base_name
head -c 16777216 /dev/urandom >"$T/wk.bin"
# start_group ARGS...: zcp-send listening in a process group of its own, as a shell
# job is (setsid execs it: $! is its pid and its group); sets GPID, PORT
start_group() {
	: >"$T/send.err"
	setsid "$B/zcp-send" -l 127.0.0.1:0 "$@" 2>"$T/send.err" &
	GPID=$!
	PORT=$(port_of "$T/send.err") && [ "$(ps -o pgid= -p "$GPID" | tr -d ' ')" = "$GPID" ]
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# lines_are N FILE REGEX: exactly N lines of FILE match
lines_are() { [ "$(grep -c "$3" "$2")" -eq "$1" ]; }
# children_are N PID [BUT]: PID has exactly N child processes (not counting BUT)
children_are() { [ "$(pgrep -P "$2" | grep -vcx "${3:-0}")" -eq "$1" ]; }
# end_group: the group started by start_group ends within 20 s (else it is killed);
# sets GRC to its exit status
end_group() {
	wait_until 20 gone "$GPID" || { kill -KILL -- "-$GPID" 2>/dev/null; wait "$GPID"; return 1; }
	wait "$GPID"; GRC=$?
}
t_group_stop() { # SIG WORKERS: one stop to the whole group (Ctrl-C) drains, a second ends at once
	local sig=$1 w=$2 d="$T/gs.$1.$2" n; n=$(kill -l "$1")
	rm -rf "$d" && mkdir -p "$d" && start_group --workers "$w" "$T/wk.bin" || return 1
	peer client "$PORT" "$d/out" 1048576 "$d" >"$d/client.out" & local c=$!
	wait_until 20 test -f "$d/paused" && kill -s "$sig" -- "-$GPID" &&
	wait_until 20 lines_are "$w" "$T/send.err" "^zcp-send: SIG$sig: draining" &&
	touch "$d/go" && wait "$c" && grep -qx 'received 16777216 of 16777216' "$d/client.out" &&
	cmp "$d/out" "$T/wk.bin" && end_group && [ "$GRC" -eq 0 ] && grep -q ' result=ok' "$T/send.err" ||
		return 1
	rm -rf "$d" && mkdir -p "$d" && start_group --workers "$w" "$T/wk.bin" || return 1
	peer client "$PORT" "$d/out" 1048576 "$d" >"$d/client.out" & c=$!
	wait_until 20 test -f "$d/paused" && kill -s "$sig" -- "-$GPID" &&
	wait_until 20 lines_are "$w" "$T/send.err" "^zcp-send: SIG$sig: draining" &&
	kill -s "$sig" -- "-$GPID" && end_group && touch "$d/go" && wait "$c" &&
	echo "exit $GRC after the second" && [ "$GRC" -eq $((128 + n)) ] &&
	! grep -qx 'received 16777216 of 16777216' "$d/client.out"
}
for sig in INT TERM; do
	for w in 1 2; do
		check "SIG$sig to the process group, --workers $w: one drains the transfer in flight, a second ends at once  # SPEC S-15 S-16" t_group_stop $sig $w
	done
done
t_workers_port_in_use() { # SPEC S-16: workers share one socket; a second instance cannot bind
	start_send --workers 2 "$T/data.bin" &&
	{ zsend -l "127.0.0.1:$PORT" --workers 2 "$T/data.bin" 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-send: bind 127.0.0.1:$PORT: Address already in use" "$T/err"
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "--workers 2 twice on one port: the second exits 4, bind: Address already in use  # SPEC S-16 E-1" t_workers_port_in_use
t_worker_replaced() { # SPEC S-16: a worker that dies is replaced, said so; capacity stays
	start_send --workers 2 "$T/data.bin" || return 1
	local parent; parent=$(tracee "$SPID") && wait_until 10 children_are 2 "$parent" &&
	local victim; victim=$(pgrep -P "$parent" | head -n 1) && kill -KILL "$victim" &&
	wait_until 10 grep -qx "zcp-send: worker $victim died (signal 9); starting another" "$T/send.err" &&
	wait_until 10 children_are 2 "$parent" "$victim" || return 1
	local i pids=()
	for i in $(seq 10); do zrecv -c "127.0.0.1:$PORT" -o "$T/wr.$i" & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" || return 1; done
	for i in $(seq 10); do cmp "$T/wr.$i" "$T/data.bin" || return 1; done
	kill -TERM "$parent" && wait "$SPID"
}
check "--workers 2: a worker killed is replaced (said so); 10 receivers served after  # SPEC S-16" t_worker_replaced
t_workers_max_clients() { # SPEC S-14 S-16: --max-clients counts the whole server's connections
	start_send --workers 2 --max-clients 2 "$T/wk.bin" || return 1
	peer stall "$PORT" 8 >"$T/mc1.out" & local s1=$!
	peer stall "$PORT" 8 >"$T/mc2.out" & local s2=$!
	wait_until 20 grep -q stopped "$T/mc1.out" && wait_until 20 grep -q stopped "$T/mc2.out" &&
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered BUSY" "$T/err"
	local r=$?; kill "$s1" "$s2" 2>/dev/null; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "--workers 2 --max-clients 2: two served, the third hears BUSY  # SPEC S-14 S-16" t_workers_max_clients
t_streams_count() { # SPEC S-14: the probe counts; a sender that took its last one says so through the receiver
	start_send --once "$T/data.bin" &&
	{ zrecv --streams 4 -c "127.0.0.1:$PORT" -o "$T/scount" 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx 'zcp-recv: the sender answered the probe but not a part: with --once or --count N it takes N connections, and --streams 4 makes up to 5 (the probe, then the parts)' "$T/err" &&
	[ ! -e "$T/scount" ] && wait "$SPID" &&
	start_send --count 5 "$T/data.bin" && zrecv --streams 4 -c "127.0.0.1:$PORT" -o "$T/scount" &&
	wait "$SPID" && cmp "$T/scount" "$T/data.bin"
}
check "--once and a --streams 4 receiver: the parts fail, the receiver names the cause; --count 5 serves it  # SPEC S-14 R-18" t_streams_count
# other_child PARENT PID...: a child of PARENT that is none of PID...; fails if none
other_child() {
	local parent=$1 c; shift
	for c in $(pgrep -P "$parent"); do
		[[ " $* " == *" $c "* ]] || { echo "$c"; return 0; }
	done
	return 1
}
start_ticks() { awk '{ print $22 }' "/proc/$1/stat"; }
t_worker_restart_rate() { # SPEC S-16: a worker that keeps dying is replaced at most once a second
	start_send --workers 2 "$T/data.bin" || return 1
	local parent a o b c bt ct; parent=$(tracee "$SPID") && wait_until 10 children_are 2 "$parent" &&
	a=$(pgrep -P "$parent" | head -n 1) && o=$(other_child "$parent" "$a") && kill -KILL "$a" &&
	wait_until 10 other_child "$parent" "$a" "$o" >/dev/null && b=$(other_child "$parent" "$a" "$o") &&
	bt=$(start_ticks "$b") && kill -KILL "$b" && wait_until 10 other_child "$parent" "$a" "$o" "$b" >/dev/null &&
	c=$(other_child "$parent" "$a" "$o" "$b") && ct=$(start_ticks "$c") || return 1
	local gap=$((ct - bt)) hz; hz=$(getconf CLK_TCK)
	echo "replacements $b and $c started $gap ticks apart ($hz a second)"
	[ "$gap" -ge $((hz * 9 / 10)) ] && [ "$(grep -c 'starting another$' "$T/send.err")" -eq 2 ] &&
	kill -TERM "$parent" && wait "$SPID"
}
check "--workers 2: a worker that keeps dying is replaced at most once a second  # SPEC S-16" t_worker_restart_rate
# === END BLOCK workers ===

# === BLOCK fix2: the receive side against planted partials, limits and signals ===
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
# === END BLOCK fix2 ===

echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
