#!/usr/bin/env bash
# tests/e2e/cli.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: the command line: usage errors, --help, --version, closed standard descriptors.
# Runs alone (make check T=cli) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- command line (SPEC C-5 C-6 C-8 C-9)
t_usage() {
	local help
	{ zsend --chunk 0 x 2>"$T/err"; [ $? -eq 2 ]; } &&
	[ "$(sed -n 2p "$T/err")" = "Try 'zcp-send --help'." ] &&
	{ zrecv 2>/dev/null; [ $? -eq 2 ]; } &&
	{ zrecv --discard --raw=1 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -qx "zcp-recv: option '--raw' doesn't allow an argument" "$T/err" &&
	help=$(zsend --help) && [ "${help%%$'\n'*}" = 'Usage: zcp-send [OPTIONS] FILE' ] &&
	[ "$(zrecv --version)" = "zcp-recv ZCP/1 $(sed -n 's/.*ZCP_RELEASE "\([^"]*\)".*/\1/p' "$HERE/../src/wire.h")" ]
}
check "usage errors exit 2 with a hint; --help and --version exit 0  # SPEC C-5 C-6 C-8" t_usage
t_help_write_errors() {
	{ zsend --help >/dev/full 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-send: write <stdout>: No space left on device' "$T/err" &&
	{ zrecv --version >&- 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx 'zcp-recv: write <stdout>: Bad file descriptor' "$T/err"
}
t_help_lists_every_option() { # the options SPEC C-1 gives each program, each in its --help
	local c1 prog opt r=0 n=0 part help
	c1=$(sed -n '/^\*\*C-1\*\*/,/^\*\*C-2\*\*/p' "$HERE/../SPEC.md" | tr '\n' ' ')
	for prog in zcp-send zcp-recv; do
		# "Options of both: ... zcp-send only: ... zcp-recv only: ..."
		part="${c1#*Options of both:}"; part="${part%%zcp-send only:*}"
		if [ $prog = zcp-send ]; then part+="${c1#*zcp-send only:}"; part="${part%%zcp-recv only:*}"
		else part+="${c1#*zcp-recv only:}"; fi
		# read whole: a grep -q that stops early would cut a --help of more than one write
		help=$("$B/$prog" --help) || return 1
		while read -r opt; do
			n=$((n + 1))
			grep -q -- "$opt\b" <<<"$help" || { echo "$prog --help lacks $opt"; r=1; }
		done < <(grep -o -- '--[a-z][a-z0-9-]*' <<<"$part" | sort -u)
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

t_cov2_server_opts_need_dir() { # --listen -o FILE takes one push: --once and the like are refused
	{ zrecv -l 127.0.0.1:0 -o "$T/one.out" --once 2>"$T/err"; [ $? -eq 2 ]; } &&
	[ "$(cat "$T/err")" = "zcp-recv: --once, --count, --max-clients, --max-chunk, --drain and --header-timeout need --listen into a directory
Try 'zcp-recv --help'." ] && [ ! -e "$T/one.out" ]
}
check "zcp-recv --listen -o FILE --once: a usage error (exit 2), nothing written  # SPEC R-16 C-5" t_cov2_server_opts_need_dir

summary cli
