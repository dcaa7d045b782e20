#!/bin/sh
# merge.sh AFL_BUILD_DIR TARGET... - fold what the last `make fuzz` found into the
# checked-in corpus, minimised with afl-cmin (only inputs that add coverage stay).
set -eu
B=$(cd "${1:?usage: merge.sh AFL_BUILD_DIR TARGET...}" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$B/../fuzz-out
for t in "$@"; do
	queue=$OUT/$t/default/queue
	[ -d "$queue" ] || { echo "merge: no findings for $t (run make fuzz first)"; continue; }
	tmp=$(mktemp -d)
	cp "$HERE/corpus/$t"/* "$tmp/"
	cp "$queue"/id:* "$tmp/" 2>/dev/null || true
	rm -rf "$OUT/$t.min"
	AFL_QUIET=1 afl-cmin -i "$tmp" -o "$OUT/$t.min" -m none -- "$B/afl_$t" >/dev/null
	rm -rf "$tmp"
	before=$(ls "$HERE/corpus/$t" | wc -l)
	rm -rf "$HERE/corpus/$t"
	mkdir -p "$HERE/corpus/$t"
	i=0
	for f in "$OUT/$t.min"/*; do cp "$f" "$HERE/corpus/$t/min-$(printf %04d $i)"; i=$((i + 1)); done
	echo "merge: $t: $before -> $i corpus files"
done
