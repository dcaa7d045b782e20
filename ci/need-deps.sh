#!/bin/sh
# need-deps.sh WHAT - make sure the tools a make target needs are here.
#   check : Check (pkg-config check) and strace, for make check
#   fuzz  : afl-clang-fast and afl-fuzz
#   bench : gnuplot, iperf3, socat, nginx, curl, python3, strace
#   coverage : gcovr
#   lint  : shellcheck, pyflakes3
# As root, missing packages are installed through ci/install-deps.sh; otherwise
# it stops with the one-line command that installs them.
set -eu
here=$(dirname "$0")
missing=""
case "${1:-check}" in
check) pkg-config --exists check 2>/dev/null || missing="$missing check libsubunit-dev pkg-config"
       command -v strace >/dev/null || missing="$missing strace" ;;
fuzz)  command -v afl-clang-fast >/dev/null || missing="$missing afl++" ;;
bench) for t in gnuplot iperf3 socat nginx curl python3 strace; do
         command -v $t >/dev/null || missing="$missing $t"
       done ;;
coverage) command -v gcovr >/dev/null || missing="$missing gcovr" ;;
lint)  command -v shellcheck >/dev/null || missing="$missing shellcheck"
       command -v pyflakes3 >/dev/null || missing="$missing python3-pyflakes" ;;
*) echo "need-deps.sh: unknown target '$1'" >&2; exit 2 ;;
esac
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "need-deps.sh: installing:$missing" >&2
  if [ "${1:-check}" = check ]; then exec "$here/install-deps.sh"; fi
  exec "$here/install-deps.sh" --all
fi
echo "missing:$missing; install with: sudo apt-get install -y$(echo "$missing" | sed 's/gnuplot/gnuplot-nox/')" >&2
exit 1
