#!/usr/bin/env bash
# tests/e2e/faults.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: failures forced with strace --inject: lost acks, accept, the environment.
# Runs alone (make check T=faults) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

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
	: >"$T/send.err" # emptied first: port_of must not read the last test's "listening on"
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

t_cov2_accept_pressure_one_push() { # --listen -o FILE: the one push waits out EMFILE, said once
	: >"$T/recv.err"
	zstrace -f -o /dev/null -e inject=accept4:error=EMFILE:when=1..3 \
		"$B/zcp-recv" -l 127.0.0.1:0 -o "$T/ape1.out" 2>"$T/recv.err" &
	local r=$! port; port=$(port_of "$T/recv.err") || return 1
	timeout 30 "$P/zcp-send" -q -c "127.0.0.1:$port" "$T/data.bin" && wait "$r" &&
	cmp "$T/ape1.out" "$T/data.bin" &&
	[ "$(grep -c '^zcp-recv: accept: Too many open files; pausing new connections$' "$T/recv.err")" -eq 1 ]
}
check "zcp-recv --listen -o FILE: accept EMFILE three times: said once, paused, then the push taken  # SPEC S-10" t_cov2_accept_pressure_one_push
t_cov2_ack_lost_streams() { # --streams 2: every part's ack fails (each thread's second sendto)
	start_send "$T/data.bin" || return 1
	zstrace -f -o /dev/null -e inject=sendto:error=EPIPE:when=2 \
		"$B/zcp-recv" --streams 2 -c "127.0.0.1:$PORT" -o "$T/acklost2.out" 2>"$T/err"
	local rc=$?; kill "$SPID"; wait "$SPID"; cat "$T/err"; echo "exit $rc"
	[ "$rc" -eq 0 ] && cmp "$T/acklost2.out" "$T/data.bin" &&
	[ "$(grep -c "^zcp-recv: warning: sendto 127.0.0.1:$PORT: Broken pipe; every byte is committed, but the sender may report a failure$" "$T/err")" -eq 1 ]
}
check "--streams 2, no part's ack can be sent after the commit: exit 0, one warning  # SPEC R-15 R-18" t_cov2_ack_lost_streams
t_cov2_part_thread_refused() { # --streams 2: the second part's thread cannot start; the first is cut
	mkdir -p "$T/pt" && start_send "$T/data.bin" || return 1
	# pthread_create() is clone3 (clone in an older C library); each part a thread
	zstrace -f -o /dev/null -e inject=clone3,clone:error=EAGAIN:when=2 \
		"$B/zcp-recv" --streams 2 -c "127.0.0.1:$PORT" -o "$T/pt/out" 2>"$T/err"
	local rc=$?; kill "$SPID"; wait "$SPID"; cat "$T/err"; echo "exit $rc"
	[ "$rc" -eq 1 ] && [ "$(cat "$T/err")" = "zcp-recv: pthread_create: Resource temporarily unavailable" ] &&
	only_entries "$T/pt"
}
check "--streams 2, a part's thread cannot be made: exit 1, the started part cut, nothing left  # SPEC R-18 E-1" t_cov2_part_thread_refused
t_key_read_eintr() { # the key file's read() is interrupted once: read again, the key loads, TLS goes on
	local k="$T/eintr.psk"
	printf 'zcp:%s\n' "$(openssl rand -hex 32)" >"$k" && chmod 600 "$k" &&
	start_send --once --psk-file "$k" "$T/data.bin" || return 1
	zstrace -f -yy -P "$k" -o "$T/kr.st" -e trace=read -e inject=read:error=EINTR:when=1 \
		"$B/zcp-recv" --psk-file "$k" -c "127.0.0.1:$PORT" -o "$T/kr.out" &&
	grep -q "read(.*$k>.*EINTR.*(INJECTED)" "$T/kr.st" && cmp "$T/data.bin" "$T/kr.out"
	local r=$?; wait "$SPID"; return "$r"
}
check "the key file's read() fails with EINTR once: it is read again and loads  # SPEC T-2" t_key_read_eintr
t_verify_pread_eintr() { # --verify's read-back of the output is interrupted once: read again, verified
	local run k
	start_send "$T/data.bin" || return 1
	run=("$B/zcp-recv" --verify -c "127.0.0.1:$PORT" -o "$T/vr.out")
	# calibration: which pread64 is the first of the output (the loader's come first)
	zstrace -f -yy -o "$T/vr1.st" -e trace=pread64 "${run[@]}" && rm -f "$T/vr.out" &&
	k=$(nth_call "$T/vr1.st" pread64 '\(deleted\)|vr\.out') && [ -n "$k" ] &&
	zstrace -f -yy -o "$T/vr2.st" -e trace=pread64 -e inject=pread64:error=EINTR:when="$k" \
		"${run[@]}" && cmp "$T/data.bin" "$T/vr.out" &&
	[ "$(nth_call "$T/vr2.st" pread64 'EINTR.*INJECTED')" = "$k" ]
	local r=$?; kill "$SPID"; wait "$SPID" 2>/dev/null; return "$r"
}
check "--verify: a read-back pread() fails with EINTR once: read again, verified  # SPEC R-19" t_verify_pread_eintr

summary faults
