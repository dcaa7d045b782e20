#!/bin/sh
# demo.sh BUILD_DIR - send one sample file through the copy path and the sendfile
# path over loopback, check the bytes, and show time and data-path syscall counts
# side by side, as zcp-send -v counts them. Needs only the built programs and coreutils.
set -eu
B=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
SIZE_MB=${DEMO_MB:-256}
T=$(mktemp -d "${TMPDIR:-/tmp}/zcp-demo.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
echo "making a ${SIZE_MB} MiB sample file"
head -c $((SIZE_MB * 1048576)) /dev/urandom >"$T/sample.bin"

transfer() { # transfer PATH RECV-OPTS...: one transfer; the sender's -v line goes to $T/PATH.line
	p=$1; shift
	: >"$T/send.err"
	"$B/zcp-send" -v --once -p "$p" -l 127.0.0.1:0 "$T/sample.bin" 2>"$T/send.err" &
	pid=$!
	i=0
	until grep -q '^listening on' "$T/send.err"; do
		i=$((i + 1)); [ $i -gt 1000 ] && { echo "demo: zcp-send did not start" >&2; exit 1; }
		sleep 0.01
	done
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/send.err")
	"$B/zcp-recv" -q -c "127.0.0.1:$port" "$@"
	wait $pid
	grep '^zcp-send: time=' "$T/send.err" >"$T/$p.line"
}

for p in copy sendfile; do
	transfer $p -o "$T/received.$p"       # the bytes, checked
	cmp "$T/sample.bin" "$T/received.$p"
	rm "$T/received.$p"
	transfer "$p" --discard                 # the time, without the receiver's disk in the way
done
echo "both paths delivered the file byte for byte (cmp); timings from a run into --discard"
echo
printf '%-9s %9s %9s %8s  %s\n' path seconds MiB/s calls "sender data-path syscalls (counted by zcp)"
for p in copy sendfile; do
	line=$(cat "$T/$p.line")
	secs=$(echo "$line" | sed -E 's/.* seconds=([0-9.]+) .*/\1/')
	rate=$(echo "$line" | sed -E 's/.* mib_s=([0-9.]+) .*/\1/')
	calls=$(echo "$line" | sed -E 's/.* syscalls=//' | tr ',:' ' =')
	total=0
	for kv in $calls; do total=$((total + ${kv#*=})); done
	printf '%-9s %9s %9s %8s  %s\n' "$p" "$secs" "$rate" "$total" "$calls"
done
echo
echo "copy reads every byte into a user buffer and sends it back out (${SIZE_MB} MiB twice"
echo "across the user/kernel boundary, 8 KiB at a time); sendfile never touches the bytes."
