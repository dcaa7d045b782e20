#!/usr/bin/env bash
# tests/e2e/outputs.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: where the bytes go: files, directories, stdout, FIFOs, devices; ranges.
# Runs alone (make check T=outputs) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

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
t_stall_stdout() {
	start_send --once "$T/data.bin" || return 1
	stall_out --timeout 2 -p "$1" -c "127.0.0.1:$PORT" -o -; local r=$?
	wait "$SPID"; [ $? -eq 6 ] && [ $r -eq 0 ] && stalled "$2" '<stdout>'
}
check "-o - into a pipe nobody reads, --path copy: exit 3 after --timeout 2, the call and <stdout> named, the sender hears LOCAL_ERROR  # SPEC P-10 R-9 E-3" \
	t_stall_stdout copy pwritev2
check "-o - into a pipe nobody reads, --path splice: exit 3 after --timeout 2  # SPEC P-10 E-3" \
	t_stall_stdout splice splice
t_stall_fifo() {
	mkfifo "$T/stall.fifo" && exec 3<>"$T/stall.fifo" && start_send --once "$T/data.bin" || return 1
	stall_out --timeout 2 -c "127.0.0.1:$PORT" -o "$T/stall.fifo"; local r=$?
	exec 3<&-
	wait "$SPID"; [ $? -eq 6 ] && [ $r -eq 0 ] && stalled splice "$T/stall.fifo" && [ -p "$T/stall.fifo" ]
}
check "-o FIFO whose reader never reads: exit 3 after --timeout 2, the FIFO named  # SPEC P-10 E-3" t_stall_fifo
t_stall_socket() {
	start_send --once "$T/data.bin" || return 1
	timeout 20 python3 -c 'import socket, subprocess, sys, time
a, b = socket.socketpair()  # b is never read
t = time.time()
with open(sys.argv[1] + "/err", "wb") as err:
    rc = subprocess.call(sys.argv[2:], stdout=a, stderr=err)
open(sys.argv[1] + "/rc", "w").write("%d\n" % rc)
open(sys.argv[1] + "/took", "w").write("%d\n" % (time.time() - t))' "$T" "$B/zcp-recv" -q --timeout 2 -c "127.0.0.1:$PORT" -o -
	local r=$?
	wait "$SPID"; [ $? -eq 6 ] && [ $r -eq 0 ] && stalled pwritev2 '<stdout>'
}
check "-o - onto a socket nobody reads (splice asked, copy used): exit 3 after --timeout 2  # SPEC P-10 R-5 E-3" t_stall_socket
t_nowait_refused() { # a kernel that refuses RWF_NOWAIT for a pipe: the blocking write
	start_send --once "$T/data.bin" || return 1
	zstrace -f -o /dev/null -e trace=pwritev2 -e inject=pwritev2:error=EOPNOTSUPP:when="$1" \
		"$B/zcp-recv" -v -p copy -c "127.0.0.1:$PORT" -o - 2>"$T/err" | cat >"$T/out" &&
	wait "$SPID" && cmp "$T/out" "$T/data.bin" &&
	grep -Eq 'syscalls: (.* )?write=[1-9]' "$T/err"
}
check "-o - into a pipe, the kernel refusing RWF_NOWAIT (EOPNOTSUPP): the blocking write, every byte  # SPEC P-10" \
	t_nowait_refused 1+
# an empty pwritev2 succeeds whatever the flags: a probe with one must not decide
check "-o - into a pipe, RWF_NOWAIT refused from the 2nd pwritev2 on: the blocking write, every byte  # SPEC P-10" \
	t_nowait_refused 2+
t_slow_stdout() {
	head -c 655360 "$T/data.bin" >"$T/small.bin" && start_send --once "$T/small.bin" &&
	zrecv --timeout 2 -p "$1" -c "127.0.0.1:$PORT" -o - | slow_reader "$T/slow.out" &&
	wait "$SPID" && cmp "$T/small.bin" "$T/slow.out"
}
check "-o - into a slow reader (64 KiB every 0.5 s, 5 s in all) is not cut by --timeout 2  # SPEC P-10" \
	t_slow_stdout copy
check "-o - into a slow reader, --path splice: not cut by --timeout 2  # SPEC P-10" \
	t_slow_stdout splice
# ATTACK s22: a reader that takes one byte a second (a byte within every --timeout) is slow
# but steady; P-10 cuts only a reader that takes no byte for --timeout. A pipe frees a slot
# only when its page is read whole, so a writer that waits for room sees no progress here.
t_byte_a_second_stdout() {
	head -c 200000 "$T/data.bin" >"$T/small.bin" && start_send --once "$T/small.bin" || return 1
	zrecv --timeout 2 -p "$1" -c "127.0.0.1:$PORT" -o - 2>"$T/err" | byte_reader "$T/slow.out"
	local r=${PIPESTATUS[0]}
	wait "$SPID"; cat "$T/err"
	[ "$r" -eq 0 ] && cmp "$T/small.bin" "$T/slow.out"
}
check "-o - into a reader of one byte a second (6 s) is not cut by --timeout 2, --path copy  # SPEC P-10" \
	t_byte_a_second_stdout copy
check "-o - into a reader of one byte a second (6 s) is not cut by --timeout 2, --path splice  # SPEC P-10" \
	t_byte_a_second_stdout splice
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

summary outputs
