#!/bin/sh
# merge.sh AFL_BUILD_DIR TARGET... - fold what the last `make fuzz` found into the
# checked-in corpus, minimised with afl-cmin (only inputs that add coverage stay).
# The generated seeds (seed-*, from make fuzz-corpus) are kept as they are; the
# findings that survive minimisation become min-NNNN beside them.
set -eu
B=$(cd "${1:?usage: merge.sh AFL_BUILD_DIR TARGET...}" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$B/../fuzz-out
for t in "$@"; do
	queue=$OUT/$t/default/queue
	[ -d "$queue" ] || { echo "merge: no findings for $t (run make fuzz first)"; continue; }
	tmp=$(mktemp -d "$OUT/merge.XXXXXX") # afl-cmin refuses to work under /tmp
	cp "$HERE/corpus/$t"/* "$tmp/"
	cp "$queue"/id:* "$tmp/" 2>/dev/null || true
	rm -rf "$OUT/$t.min"
	AFL_QUIET=1 afl-cmin -i "$tmp" -o "$OUT/$t.min" -m none -- "$B/afl_$t" >/dev/null
	rm -rf "$tmp"
	rm -f "$HERE/corpus/$t"/min-*
	i=0
	for f in "$OUT/$t.min"/*; do
		case $(basename "$f") in seed-*) continue ;; esac
		cp "$f" "$HERE/corpus/$t/min-$(printf %04d $i)"
		i=$((i + 1))
	done
	echo "merge: $t: $(find "$HERE/corpus/$t" -name 'seed-*' | wc -l) seeds, $i minimised findings"
done
