#!/usr/bin/env bash
# tests/e2e/workers.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: --workers: one listening socket, signals to the group, workers replaced, --max-clients for the whole server, --force at commit, --count with --streams.
# Runs alone (make check T=workers) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

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

summary workers
