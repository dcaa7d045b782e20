#!/bin/sh
# install.sh BUILD_DIR - make install into a temporary DESTDIR and make uninstall
# (SPEC C-1: the man pages document every option --help lists). Prints
# "install: N passed, N failed".
set -u
B=${1:?usage: install.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0
check() { # check NAME CMD...: one test
	name=$1; shift
	if "$@" >"$t/out" 2>&1; then pass=$((pass + 1)); echo "ok - $name"
	else fail=$((fail + 1)); echo "not ok - $name"; sed 's/^/#   /' "$t/out" | head -n 10; fi
}
inst() { make -s -C "$top" B="$B" DESTDIR="$t/root" "$@"; }
# missing_options PROG PAGE: the long options PROG --help lists that PAGE does not document
missing_options() {
	"$2" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//' | sort -u | while read -r o; do
		grep -q "^\.It.*Fl \\\\-$o\\b" "$3" || echo "$1: --$o not in $(basename "$3")"
	done
}

t_install() {
	inst PREFIX=/usr/local install &&
	for p in zcp-send zcp-recv; do
		[ "$(stat -c %a "$t/root/usr/local/bin/$p")" = 755 ] &&
		[ "$(stat -c %a "$t/root/usr/local/share/man/man1/$p.1")" = 644 ] &&
		cmp "$B/$p" "$t/root/usr/local/bin/$p" &&
		"$t/root/usr/local/bin/$p" --version | grep -q "^$p ZCP/1 " || return 1
	done
}
check "make install PREFIX=/usr/local DESTDIR=: both programs (755) and man pages (644), the built binaries" t_install
t_man_render() {
	for p in zcp-send zcp-recv; do
		MANWIDTH=80 man -l "$t/root/usr/local/share/man/man1/$p.1" 2>/dev/null | grep -q "^ *$p — " || return 1
	done
}
check "the installed man pages render with man -l" t_man_render
t_man_options() {
	for p in zcp-send zcp-recv; do missing_options "$p" "$B/$p" "$top/man/$p.1"; done >"$t/missing"
	cat "$t/missing"; [ ! -s "$t/missing" ]
}
check "each man page documents every option its program's --help lists" t_man_options
t_man_options_checker_fails() { # a page without --timeout must be caught
	grep -v 'timeout' "$top/man/zcp-recv.1" >"$t/cut.1"
	missing_options zcp-recv "$B/zcp-recv" "$t/cut.1" | grep -q -- '--timeout not in cut.1'
}
check "the option check flags a man page that lacks an option" t_man_options_checker_fails
t_uninstall() {
	inst PREFIX=/usr/local uninstall && [ -z "$(find "$t/root" -type f)" ]
}
check "make uninstall removes every installed file" t_uninstall
t_prefix() {
	inst PREFIX=/opt/zcp install && [ -x "$t/root/opt/zcp/bin/zcp-recv" ] &&
	[ -f "$t/root/opt/zcp/share/man/man1/zcp-send.1" ] && inst PREFIX=/opt/zcp uninstall &&
	[ -z "$(find "$t/root" -type f)" ]
}
check "PREFIX=/opt/zcp: installed there, removed from there" t_prefix
echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
