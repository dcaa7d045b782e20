#!/usr/bin/env bash
# Mutation check (make mutants): each mutant of tests/mutants.txt is a one-line
# change to src/ that breaks a SPEC clause; it is applied in a scratch copy of the
# tree (never here), built with the sanitizers, and the tests that cite the clause
# are run: they must fail. Prints a line a mutant, then "mutants: K killed, S survived"
# and the survivors; exits 1 when one survived or could not be tried.
# Usage: tests/mutants.sh [LIST]   (MUTANTS_ONLY=REGEX tries the lines that match)
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIST=${1:-$HERE/mutants.txt}
S=$(mktemp -d "${TMPDIR:-/tmp}/zcp-mutants.XXXXXX")
trap 'rm -rf "$S"' EXIT
trim() { local v=${1#"${1%%[![:space:]]*}"}; printf '%s' "${v%"${v##*[![:space:]]}"}"; }

# the tree as it is in the working copy (uncommitted changes too), without build/
(cd "$ROOT" && git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -t "$S") || exit 1
mkdir -p "$S/.orig"

clauses=() files=() exprs=() suites=() e2es=()
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r c f x s r <<<"$line"
	[ -n "${MUTANTS_ONLY:-}" ] && ! [[ $line =~ $MUTANTS_ONLY ]] && continue
	clauses+=("$(trim "$c")") files+=("$(trim "$f")") exprs+=("$(trim "$x")")
	suites+=("$(trim "$s")") e2es+=("$(trim "$r")")
done <"$LIST"
[ ${#clauses[@]} -gt 0 ] || { echo "mutants: none in $LIST"; exit 1; }

# run_tests SUITES E2E: 0 when every named test passed; an e2e/NAME of SUITES is an
# end-to-end suite E2E selects from (all of them when none is named: slow). The first
# suite that fails ends it (1): a mutant is killed once, the rest would only cost time.
run_tests() {
	local t r=0 e2e=""
	for t in $1; do
		case $t in e2e/*) e2e+=" ${t#e2e/}"; continue ;; esac
		(cd "$S" && timeout 600 "build/san/test_$t" >"$S/.out" 2>&1) || return 1
	done
	if [ -n "$2" ]; then
		(cd "$S" && E2E_SUITES=$e2e E2E_ONLY=$2 timeout 900 \
			bash tests/e2e.sh build/san >"$S/.out" 2>&1) || r=1
		grep -q '^ok \|^not ok ' "$S/.out" || { echo "mutants: no e2e test matches '$2'" >&2; r=2; }
	fi
	return $r
}

targets=(build/san/zcp-send build/san/zcp-recv)
all_suites="" all_e2e=""
for i in "${!clauses[@]}"; do
	for t in ${suites[$i]}; do
		[[ " $all_suites " == *" $t "* ]] && continue
		all_suites+=" $t"; [[ $t == e2e/* ]] || targets+=("build/san/test_$t")
	done
	[ -n "${e2es[$i]}" ] && all_e2e+="${all_e2e:+|}(${e2es[$i]})"
done
echo "mutants: building the unmutated tree in $S"
make -s -C "$S" -j2 "${targets[@]}" >"$S/.build" 2>&1 || { cat "$S/.build"; exit 1; }
run_tests "$all_suites" "$all_e2e" ||
	{ echo "mutants: the unmutated tree fails its tests:"; tail -n 20 "$S/.out"; exit 1; }

# needs SUITES E2E: the binaries a mutant's tests run (make brings each up to date with
# the sources as they are now; the others are left for a mutant that needs them)
needs() {
	local t n=""
	for t in $1; do
		case $t in e2e/*) ;; *) n+=" build/san/test_$t" ;; esac
	done
	[[ " $1" == *" e2e/"* || -n "$2" ]] && n+=" build/san/zcp-send build/san/zcp-recv"
	echo "$n"
}

killed=0 survived=0 broken=0 survivors=()
for i in "${!clauses[@]}"; do
	f=${files[$i]} x=${exprs[$i]} what="${clauses[$i]} ${files[$i]}: ${exprs[$i]}"
	mkdir -p "$S/.orig/$(dirname "$f")"
	[ -f "$S/.orig/$f" ] || cp -p "$S/$f" "$S/.orig/$f"
	cp "$S/.orig/$f" "$S/$f"
	if ! sed -i -e "$x" "$S/$f" ||
	   [ "$(diff "$S/.orig/$f" "$S/$f" | grep -c '^[<>]')" -ne 2 ]; then
		echo "ERROR  $what (does not change exactly one line)"; broken=$((broken + 1))
		survivors+=("$what (did not apply)")
	elif read -ra need <<<"$(needs "${suites[$i]}" "${e2es[$i]}")" &&
	     ! make -s -C "$S" -j2 "${need[@]}" >"$S/.build" 2>&1; then
		echo "ERROR  $what (does not build)"; tail -n 5 "$S/.build"; broken=$((broken + 1))
		survivors+=("$what (did not build)")
	elif run_tests "${suites[$i]}" "${e2es[$i]}"; then
		echo "SURVIVED $what"; survived=$((survived + 1)); survivors+=("$what")
	elif [ $? -eq 2 ]; then
		broken=$((broken + 1)); survivors+=("$what (no test ran)")
	else
		echo "killed $what"; killed=$((killed + 1))
	fi
	cp -p "$S/.orig/$f" "$S/$f" && touch "$S/$f"
done
echo "mutants: $killed killed, $survived survived$([ $broken -eq 0 ] || echo ", $broken not tried")"
for s in "${survivors[@]}"; do echo "  survivor: $s"; done
[ $survived -eq 0 ] && [ $broken -eq 0 ]
