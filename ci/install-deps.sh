#!/bin/sh
# Install the Debian packages that zcp's build, tests, fuzzing and benchmark need.
# Idempotent; must run as root (CI does). Usage: ci/install-deps.sh [--all]
#   (no argument)  what `make check` and `make trace-verify` need
#   --all          also AFL++, gnuplot, the benchmark peers (iperf3, socat, netcat, nginx,
#                  curl), and the coverage and lint tools (gcovr, shellcheck, pyflakes)
set -eu
pkgs="build-essential clang pkg-config check libsubunit-dev strace python3"
if [ "${1:-}" = "--all" ]; then
  pkgs="$pkgs afl++ gnuplot-nox iperf3 socat netcat-openbsd nginx curl gcovr shellcheck python3-pyflakes"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
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
