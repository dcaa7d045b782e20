#!/bin/sh
# layers.sh LAYERS SRC_DIR - every #include "NAME.h" in SRC_DIR/*.[ch] points down the layers
# LAYERS declares (tests/layers.txt), or sideways within a layer without a cycle; a module
# LAYERS does not place is an error too. Prints each violation; exit 0 only if there is none.
set -u
layers=${1:?usage: layers.sh LAYERS SRC_DIR}
src=${2:?usage: layers.sh LAYERS SRC_DIR}
for f in "$src"/*.[ch]; do
	m=$(basename "$f"); m=${m%.?}
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f" |
		while read -r to; do echo "$(basename "$f") $m $to"; done
done | awk -v layers="$layers" '
BEGIN {
	while ((getline line <layers) > 0) {
		sub(/#.*/, "", line)
		if (split(line, mods) == 0) continue
		n++
		for (i in mods) layer[mods[i]] = n
	}
	if (n == 0) { print "layers: no layers in " layers; bad = 1; exit }
}
{
	file = $1; from = $2; to = $3
	if (!(from in layer)) { unplaced[from] = file; next }
	if (!(to in layer)) { unplaced[to] = file; next }
	if (from == to) next
	if (layer[to] > layer[from]) {
		printf "layers: %s includes %s.h: layer %d (%s) above layer %d (%s)\n", file, to, layer[to], to, layer[from], from
		bad = 1
	} else if (layer[to] == layer[from]) {
		edge[from, to] = file; nodes[from]; nodes[to]
	}
}
END {
	for (m in unplaced) { printf "layers: %s: module %s is in no layer of %s\n", unplaced[m], m, layers; bad = 1 }
	# a cycle within a layer: some module reaches itself (transitive closure, a few modules)
	for (k in nodes) for (i in nodes) if ((i, k) in edge || (i, k) in reach)
		for (j in nodes) if ((k, j) in edge || (k, j) in reach) reach[i, j] = 1
	for (i in nodes) if ((i, i) in reach) { printf "layers: %s is part of an include cycle within its layer\n", i; bad = 1 }
	exit bad
}'
