#!/bin/sh
# The strace log parser on canned output: -f unfinished/resumed pairs, EAGAIN and
# EINTR failures, signals, exits, decorated fds (TCP, TCPv6, pipes, paths), strings
# that look like fds. Prints "trace-parse: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
awk_parse="awk -v PAYLOAD=^/data/payload.bin$ -f $here/../trace/strace-parse.awk"
pass=0 fail=0
got=$($awk_parse "$here/fixtures/strace-f-yy.log" | sort)
if [ "$got" = "$(cat "$here/fixtures/strace-f-yy.expected")" ]; then
	pass=$((pass + 1)); echo "ok - canned log totals"
else
	fail=$((fail + 1)); echo "not ok - canned log totals"
	printf '%s\n' "$got" | diff "$here/fixtures/strace-f-yy.expected" - | sed 's/^/#   /'
fi
# a resumed line with no pending start must not invent a call
got=$(printf '100 <... read resumed>"x", 1) = 1\n' | $awk_parse)
if [ -z "$got" ]; then pass=$((pass + 1)); echo "ok - orphan resumed line ignored"
else fail=$((fail + 1)); echo "not ok - orphan resumed line gave: $got"; fi
echo "trace-parse: $pass passed, $fail failed"
[ $fail -eq 0 ]
