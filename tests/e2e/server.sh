#!/usr/bin/env bash
# tests/e2e/server.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: many at once: workers, a root, crowds, slow peers, fair turns, drain, pushes.
# Runs alone (make check T=server) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- many at once (SPEC S-13 S-14 S-15 S-16)
# has_children PID N: PID has N child processes
has_children() { [ "$(pgrep -c -P "$1")" -eq "$2" ]; }
t_workers() { # two loops in two processes share the port; a stop reaches both
	start_send --workers 2 "$T/data.bin" &&
	local parent kids; parent=$(tracee "$SPID") && wait_until 20 has_children "$parent" 2 &&
	kids=$(pgrep -P "$parent") || return 1
	local i pids=()
	for i in $(seq 20); do zrecv -c "127.0.0.1:$PORT" -o "$T/w.$i" & pids+=($!); done
	for i in "${pids[@]}"; do wait "$i" || return 1; done
	for i in $(seq 20); do cmp "$T/w.$i" "$T/data.bin" || return 1; done
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 20 ] &&
	kill -TERM "$parent" && wait "$SPID" || return 1
	# these two workers, not any zcp-send of the machine's (other test runs may be going on)
	for i in $kids; do ! kill -0 "$i" 2>/dev/null || return 1; done
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
# dropped_after EPOCH LOGLINE SECONDS: the line was logged SECONDS (a deadline) after EPOCH,
# not before it, and not more than 2 s late
dropped_after() {
	local at; at=$(date -d "$(field time "$2")" +%s.%N) || return 1
	echo "dropped $(bc <<<"$at - $1") s after it stopped"
	awk -v a="$at" -v b="$1" -v s="$3" 'BEGIN { exit !(a - b >= s - 0.1 && a - b < s + 2) }'
}
# closed_after FILE WHAT SECONDS: FILE's line "WHAT: closed after N s" has N within
# SECONDS - 1 (the peer's clock starts before the connection is accepted) and SECONDS + 2
closed_after() {
	awk -v w="$2: closed after" -v s="$3" 'index($0, w) == 1 { n = $4 + 0; f = (n >= s - 1 && n < s + 2) } END { exit !f }' "$1"
}
t_crowd_and_slow_peers() { # 200 receivers at once while four slow peers hold on
	local i rc=0 pids=() name off t0
	# deadlines far beyond what the crowd needs even on a loaded machine: the log's order shows it
	start_send --root "$R" --header-timeout 10 --timeout 12 --max-chunk 256K || return 1
	peer hold "$PORT" 30 >"$T/hold.out" & local h=$!
	peer drip "$PORT" 1 30 a.bin >"$T/drip.out" & local d=$!
	peer stall "$PORT" 14 a.bin >"$T/stall.out" & local st=$!
	peer noack "$PORT" 14 sub/b.bin >"$T/noack.out" & local na=$!
	# they are in before the crowd: connected, stalled, holding the ack back
	wait_until 20 grep -q '^held: connected' "$T/hold.out" && wait_until 20 grep -q '^drip: connected' "$T/drip.out" &&
	wait_until 20 grep -q '^stall: stopped at' "$T/stall.out" && wait_until 20 grep -q '^noack: ' "$T/noack.out" || return 1
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
	local last; last=$(awk -v t0="$t0" '{ if ($6 - t0 > m) m = $6 - t0 } END { printf "%.1f", m }' "$T/crowd.times")
	echo "crowd done in $last s"
	wait "$h" "$d" "$st" "$na"
	# none waited for a slow peer: the sender logged every one of the 200 before it dropped
	# the first slow peer at its deadline (the order of the log, not the machine's speed)
	awk '/ result=ok/ { ok++ } /timed out/ { exit } END { exit !(ok >= 200) }' "$T/send.err" || return 1
	cat "$T/hold.out" "$T/drip.out" "$T/stall.out" "$T/noack.out"
	closed_after "$T/hold.out" held 10 && closed_after "$T/drip.out" drip 10 &&
	grep -Eq '^stall: got [0-9]+ of 4194304$' "$T/stall.out" && ! grep -q 'got 4194304 of' "$T/stall.out" &&
	grep -q '^noack: ack refused$' "$T/noack.out" &&
	[ "$(grep -c 'timed out waiting for the request' "$T/send.err")" -eq 2 ] &&
	grep -q 'timed out waiting for the receiver to read the payload' "$T/send.err" &&
	grep -q 'timed out waiting for the ack' "$T/send.err" &&
	[ "$(grep -c ' result=ok' "$T/send.err")" -eq 200 ] &&
	# the stalled and the silent receiver were dropped 12 s (--timeout) after they stopped
	dropped_after "$(sed -n 's/^stall: stopped at //p' "$T/stall.out")" \
		"$(grep 'name=a.bin offset=0 length=4194304 .*result=failed' "$T/send.err")" 12 &&
	dropped_after "$(sed -n 's/^noack: 4194304 bytes at //p' "$T/noack.out")" \
		"$(grep 'name=sub/b.bin offset=0 length=4194304 bytes=4194304 .*result=failed' "$T/send.err")" 12
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
	start_send --max-clients 2 --header-timeout 5 "$T/data.bin" || return 1
	peer hold "$PORT" 10 >"$T/h1.out" & local h1=$!
	peer hold "$PORT" 10 >"$T/h2.out" & local h2=$!
	# both connected: queued ahead of the receiver (a listener's accept queue is first in, first out)
	wait_until 20 grep -q '^held: connected' "$T/h1.out" && wait_until 20 grep -q '^held: connected' "$T/h2.out" &&
	{ zrecv -c "127.0.0.1:$PORT" --discard 2>"$T/err"; [ $? -eq 6 ]; } &&
	grep -qx "zcp-recv: 127.0.0.1:$PORT: sender answered BUSY" "$T/err" &&
	grep -Eq '^zcp-send: time=[^ ]+ peer=127.0.0.1:[0-9]+ result=busy$' "$T/send.err" &&
	wait "$h1" "$h2" && zrecv -c "127.0.0.1:$PORT" --discard # the holders dropped: room again
	local r=$?; kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; return $r
}
check "beyond --max-clients a receiver hears BUSY (exit 6), logged result=busy  # SPEC S-14 W-9" t_busy
# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# a 32 MiB file: large enough that a transfer is still in flight when the signal comes
head -c 33554432 /dev/zero >"$T/big.bin.2"
t_drain() { # a stop lets the transfer in flight finish; new connections are refused
	start_send "$T/big.bin.2" || return 1
	local zs; zs=$(tracee "$SPID"); mkdir -p "$T/flagsd"
	peer client "$PORT" "$T/drain.out" 1048576 "$T/flagsd" >"$T/client.out" & local c=$!
	wait_until 20 test -f "$T/flagsd/paused" && kill -TERM "$zs" && wait_until 20 no_listener "$PORT" &&
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
	rm -f "$T/stall.out" # a stale "stopped at" of an earlier test must not start the stop
	peer stall "$PORT" 20 >"$T/stall.out" & local s=$!
	wait_until 20 grep -q '^stall: stopped at' "$T/stall.out" && kill -TERM "$zs" || return 1
	local t0=$EPOCHREALTIME rc took
	wait "$SPID"; rc=$?; took=$(bc <<<"$EPOCHREALTIME - $t0")
	kill "$s" 2>/dev/null; echo "exit $rc after $took s"
	# not before the drain time (1 s); long before the stalled receiver (20 s) would let it end
	if ! { [ $rc -eq 143 ] && awk -v t="$took" 'BEGIN { exit !(t >= 0.9 && t < 10) }' &&
	       grep -q 'stopped: the drain time ran out' "$T/send.err"; }; then
		cat "$T/send.err" "$T/stall.out"
		return 1
	fi
}
check "--drain 1 with a stalled receiver: cut after 1 s, exit 143  # SPEC S-15" t_drain_expires
t_second_signal() {
	start_send --drain 30 "$T/big.bin.2" || return 1
	local zs; zs=$(tracee "$SPID")
	rm -f "$T/stall.out" # a stale "stopped at" of an earlier test must not start the stop
	peer stall "$PORT" 20 >"$T/stall.out" & local s=$!
	# the second signal once the first one's drain has begun (the listener is closed)
	wait_until 20 grep -q '^stall: stopped at' "$T/stall.out" && kill -TERM "$zs" &&
	wait_until 20 no_listener "$PORT" || return 1
	# the drain holds the stalled transfer (a drain of none would exit 0 by itself)
	grep 'draining' "$T/send.err"; grep -q 'draining 1 transfers' "$T/send.err" && kill -TERM "$zs" || return 1
	local t0=$EPOCHREALTIME rc took
	wait "$SPID"; rc=$?; took=$(bc <<<"$EPOCHREALTIME - $t0")
	kill "$s" 2>/dev/null; echo "exit $rc after $took s"
	# "at once": long before the drain (30 s) or the stalled receiver (20 s) would end it
	[ $rc -eq 143 ] && awk -v t="$took" 'BEGIN { exit !(t < 10) }'
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

t_cov2_push_drain_said() { # SIGTERM with a push in flight: the drain said, the push cut at --drain 1
	mkdir -p "$T/pdrain" &&
	start_recv -o "$T/pdrain/" --drain 1 --header-timeout 0 --timeout 30 &&
	{ peer trickle-push "$RPORT" 0.5 20 >"$T/trickle.out" & } && local p=$! &&
	wait_until 10 grep -q '^trickle-push: connected' "$T/trickle.out" &&
	kill -TERM "$(tracee "$RPID")" || return 1
	wait "$RPID"; local rc=$?; wait "$p"
	cat "$T/recv.err" "$T/trickle.out"; echo "exit $rc"; false
	[ "$rc" -eq 143 ] &&
	grep -Eq '^zcp-recv: SIGTERM: draining [01] pushes, at most 1 s; a second one ends them at once$' "$T/recv.err" &&
	grep -q ': stopped: the drain time ran out$' "$T/recv.err" && only_entries "$T/pdrain"
}
check "zcp-recv --listen DIR/ stopped by SIGTERM: the drain said, the push cut when it runs out, nothing left  # SPEC S-15 R-16" t_cov2_push_drain_said

summary server
