# tests/e2e/lib.sh - what every end-to-end suite (tests/e2e/NAME.sh) shares: sourced first.
# A suite is run as `bash tests/e2e/NAME.sh BUILD_DIR [PLAIN_BUILD_DIR]`: the real zcp-send and
# zcp-recv over loopback; it prints TAP-like lines, then "NAME: N passed, N failed" (summary).
# The plain build (no sanitizers) is the crowd of clients in the load tests and the server
# whose memory is measured; it defaults to BUILD_DIR.
# E2E_ONLY=REGEX runs only the tests whose description matches.
# Every wait is bounded (wait_until); pipelines fail when any stage fails (pipefail).
# Each suite has its own temporary directory $T and its own 5 MB $T/data.bin: no state
# is shared between suites.
# It sets B, P, PORT, SPID, ... for the suites that source it, which shellcheck cannot see:
# shellcheck shell=bash disable=SC2034
set -u -o pipefail
B=$(cd "${1:?usage: NAME.sh BUILD_DIR [PLAIN_BUILD_DIR]}" && pwd)
P=$(cd "${2:-$B}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# ktls_kernel, tls_said: what a TLS transfer may say here (SPEC T-6), trace/verify.sh's too
# shellcheck source=tests/tls-mode.sh
. "$HERE/tls-mode.sh"
# peer ARGS...: a scripted peer (tests/peer.py), bounded
peer() { timeout 60 python3 "$HERE/peer.py" "$@"; }
# zstrace ARGS...: strace, bounded; LeakSanitizer cannot run under ptrace, the
# other sanitizers still do
zstrace() { ASAN_OPTIONS=detect_leaks=0 timeout 60 strace "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-e2e-$(basename "$0" .sh).XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${E2E_KEEP:-}" ] || rm -rf "$T"' EXIT
pass=0 fail=0 n=0

ok()  { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; sed 's/^/#   /' "$T/log" 2>/dev/null | tail -n 12; }
# check DESC CMD...: the test passes when CMD succeeds (E2E_ONLY=REGEX runs only matching ones)
check() {
	desc=$1; shift
	[ -n "${E2E_ONLY:-}" ] && ! [[ $desc =~ $E2E_ONLY ]] && return 0
	local t0=$EPOCHREALTIME
	# a server started in the background truncates its log only once it runs: emptied
	# here, port_of never reads the last test's "listening on" line
	: >"$T/send.err"; : >"$T/recv.err"
	if "$@" >"$T/log" 2>&1; then ok "$desc"; else bad "$desc"; fi
	[ -n "${E2E_TIMES:-}" ] && echo "#   $(echo "$EPOCHREALTIME - $t0" | bc) s"
	return 0
}
# skip DESC WHY: a test that cannot run here, said so
skip() {
	[ -n "${E2E_ONLY:-}" ] && ! [[ $1 =~ $E2E_ONLY ]] && return 0
	echo "# SKIPPED: $1 ($2)"
}

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
# rz_partial DIR: the partial file's path in DIR (exactly one there)
rz_partial() { echo "$1/".zcp-partial-????????????????; }
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
# sigstopped TRACE: strace -o TRACE saw the SIGSTOP it injected stop its tracee. Only then
# does a SIGCONT end that stop; one sent sooner is lost and the stop comes after it, for
# good. (A 't' in /proc/PID/stat says nothing: strace stops its tracee at every syscall.)
sigstopped() { grep -q -- '--- stopped by SIGSTOP ---' "$1" 2>/dev/null; }
# strace_send STRACE-ARGS... -- SEND-ARGS...: zcp-send of data.bin under strace in the
# background (SEND-ARGS decide --once); sets spid and port
strace_send() {
	local sargs=()
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done; shift
	: >"$T/send.err"
	zstrace -f "${sargs[@]}" "$B/zcp-send" -l 127.0.0.1:0 "$@" "$T/data.bin" 2>"$T/send.err" &
	spid=$!; port=$(port_of "$T/send.err")
}
# receiving PID DIR: PID has an anonymous (O_TMPFILE) output in DIR with data in it
receiving() {
	local f
	for f in "/proc/$1/fd/"*; do
		case $(readlink "$f") in "$2/#"*) [ "$(stat -L -c %s "$f")" -gt 0 ] && return 0 ;; esac
	done
	return 1
}
# no_listener PORT: no IPv4 socket listens on PORT any more, as /proc/net/tcp says
no_listener() {
	awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit f }' /proc/net/tcp
}
# partial_above DIR BYTES: DIR holds a --resume partial (.zcp-partial-ID) of more than BYTES
partial_above() {
	local f
	for f in "$1"/.zcp-partial-????????????????; do
		[ -f "$f" ] && [ "$(stat -c %s "$f")" -gt "$2" ] && return 0
	done
	return 1
}
# stall_out ARGS...: zcp-recv ARGS with its stdout a pipe whose reader (a sleep) never reads;
# true once it ended, within 20 s: its exit code in $T/rc, stderr in $T/err, whole seconds
# it ran in $T/took. The reader goes either way.
stall_out() {
	rm -f "$T/rc"
	local t0=$SECONDS r sink
	# shellcheck disable=SC2216 # a reader that never reads is the point
	{ timeout -k 5 60 "$B/zcp-recv" "$@" 2>"$T/err"; echo $? >"$T/rc"; } | sleep 60 &
	sink=$!
	wait_until 20 test -s "$T/rc"; r=$?
	echo $((SECONDS - t0)) >"$T/took"
	kill "$sink" 2>/dev/null; wait "$sink" 2>/dev/null
	return $r
}
# stalled CALL-RE OUTPUT: what stall_out left says that OUTPUT took no byte for --timeout 2:
# exit 3, one line "zcp-recv: CALL OUTPUT: timed out ...", not before the timeout ran out
stalled() {
	cat "$T/err"
	[ "$(cat "$T/rc")" -eq 3 ] && [ "$(grep -c . "$T/err")" -eq 1 ] &&
	grep -Eq "^zcp-recv: ($1) $2: timed out" "$T/err" && [ "$(cat "$T/took")" -ge 2 ]
}
# byte_reader FILE: copy stdin to FILE one byte a second for 6 s, then the rest (a byte
# within every --timeout 2, never a page: SPEC P-10's slowest reader that is not cut)
byte_reader() {
	python3 -c 'import os, sys, time
with open(sys.argv[1], "wb") as f:
    for _ in range(6):
        f.write(os.read(0, 1))
        time.sleep(1)
    while b := os.read(0, 65536):
        f.write(b)' "$1"
}
# slow_reader FILE: copy stdin to FILE 64 KiB at a time, 0.5 s apart (slow, but progress)
slow_reader() {
	python3 -c 'import os, sys, time
with open(sys.argv[1], "wb") as f:
    while b := os.read(0, 65536):
        f.write(b)
        time.sleep(0.5)' "$1"
}
# field KEY LINE: the value of KEY= in a transfer line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# slow_resume OUT BYTES: a --resume fetch slowed by strace (each splice 20 ms late),
# SIGKILLed once its partial holds more than BYTES; the partial's size is printed
slow_resume() {
	zstrace -f -o /dev/null -e trace=splice -e inject=splice:delay_exit=20000 \
		"$B/zcp-recv" --resume -c "127.0.0.1:$PORT" -o "$1" 2>/dev/null &
	local s=$! p
	wait_until 30 partial_above "$(dirname "$1")" "$2"; p=$(tracee "$s") && kill -9 "$p"; wait "$s"
	stat -c %s "$(dirname "$1")"/.zcp-partial-* 2>/dev/null | head -n 1
}
# summary NAME: the suite's last line, "NAME: N passed, N failed"; its status is 0 only if none failed
summary() {
	echo "$1: $pass passed, $fail failed"
	[ $fail -eq 0 ]
}

head -c 5000000 /dev/urandom >"$T/data.bin"
