#!/usr/bin/env bash
# tests/e2e/clauses.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: one test for each clause a mutant of make mutants breaks (X-7, X-8, S-12..S-14, C-6, R-20, P-10).
# Runs alone (make check T=clauses) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

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
		grep -qx "$p ZCP/1 $(sed -n 's/.*ZCP_RELEASE "\([^"]*\)".*/\1/p' "$HERE/../src/wire.h")" "$T/version" || return 1
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
t_one_fstat() { # PROTO SOURCE: a request (zcp, http) stats the file it serves (--root, or FILE,
	# which is stat'ed at start too) once; strace -yy names each fd's file
	local src=(--root "$T/rootp") want=1
	[ "$2" = file ] && src=("$T/rootp/f.bin") && want=2
	mkdir -p "$T/rootp" && cp "$T/data.bin" "$T/rootp/f.bin" && : >"$T/send.err" && rm -f "$T/st1.out"
	zstrace -f -yy -e trace=%fstat,%stat,statx -o "$T/st1.st" "$B/zcp-send" --once -l 127.0.0.1:0 \
		"${src[@]}" 2>"$T/send.err" &
	local spid=$! port; port=$(port_of "$T/send.err") || return 1
	if [ "$1" = http ]; then
		timeout 60 curl -sS --max-time 50 -o "$T/st1.out" "http://127.0.0.1:$port/f.bin"
	else
		zrecv --name f.bin -c "127.0.0.1:$port" -o "$T/st1.out"
	fi && wait "$spid" && cmp "$T/data.bin" "$T/st1.out" &&
	grep 'rootp/f.bin' "$T/st1.st" && [ "$(grep -c 'rootp/f.bin' "$T/st1.st")" -eq "$want" ]
}
check "a ZCP/1 request stats the file below --root once: size and identity from S-1's check  # SPEC S-1 W-15" t_one_fstat zcp root
check "an HTTP GET stats FILE once: size and validators from S-1's check  # SPEC S-1 H-5" t_one_fstat http file
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

summary clauses
