# strace-parse.awk - summarise an `strace -f -yy` log by system call and data flow.
#
#   awk -v PAYLOAD='^/path/to/file' -f strace-parse.awk LOG
#
# Prints one line per (call, source, destination): "CALL SRC DST CALLS BYTES ERRORS",
# where SRC and DST are fd classes: payload (a path matching PAYLOAD), socket (TCP),
# pipe, null (/dev/null), other (any other path, e.g. shared libraries or stderr), or
# user (user-space memory: read-like calls land there, write-like calls leave it).
# BYTES sums the positive return values. Bytes are attributed by fd, never by call
# totals, so the dynamic loader's read() of libraries is "other", not payload.
# Handles -f "<unfinished ...>" / "<... NAME resumed>" pairs, "--- SIG ---" and
# "+++ exited +++" lines, and failed calls ("= -1 EAGAIN ...").

function fdclass(dec,    p) {
	if (dec ~ /^<TCP/ || dec ~ /^<UDP/) return "socket"
	if (dec ~ /^<pipe:/) return "pipe"
	p = substr(dec, 2, length(dec) - 2)
	if (p == "/dev/null") return "null"
	if (PAYLOAD != "" && p ~ PAYLOAD) return "payload"
	return "other"
}

# Fills fds[1..n] with the classes of the decorated fds in args, in order; returns n.
function scan_fds(args, fds,    n, m) {
	n = 0
	# inside a socket's brackets ">" only appears in "->" (and IPv6 nests brackets)
	while (match(args, /[0-9]+<((TCP|TCPv6|UDP|UDPv6):\[([^>-]|-[^>]|->)*\]|pipe:\[[0-9]+\]|\/[^>]*)>/)) {
		m = substr(args, RSTART, RLENGTH)
		sub(/^[0-9]+/, "", m)
		fds[++n] = fdclass(m)
		args = substr(args, RSTART + RLENGTH)
	}
	return n
}

function add(call, src, dst, ret, failed,    k) {
	k = call " " src " " dst
	calls[k]++
	if (failed) errors[k]++
	else if (ret > 0) bytes[k] += ret
}

{
	line = $0
	pid = ""
	if (match(line, /^[0-9]+ +/)) {
		pid = substr(line, 1, RLENGTH)
		line = substr(line, RLENGTH + 1)
	}
	if (line ~ /^(---|\+\+\+)/) next
	if (line ~ /<unfinished \.\.\.>$/) {
		sub(/ *<unfinished \.\.\.>$/, "", line)
		pending[pid] = line
		next
	}
	if (match(line, /^<\.\.\. [a-z0-9_]+ resumed>/)) {
		line = pending[pid] substr(line, RLENGTH + 1)
		delete pending[pid]
	}
	if (!match(line, /^[a-z_][a-z0-9_]*\(/)) next
	call = substr(line, 1, RLENGTH - 1)
	# the result: after the last " = "
	n = split(line, parts, / = /)
	if (n < 2) next
	result = parts[n]
	failed = result ~ /^-1 /
	ret = result + 0
	args = parts[1]
	for (i = 2; i < n; i++) args = args " = " parts[i]
	args = substr(args, length(call) + 2)
	sub(/\) *$/, "", args)
	# drop string arguments: payload bytes printed by strace must not look like fds
	gsub(/"([^"\\]|\\.)*"(\.\.\.)?/, "S", args)
	delete fds
	nfds = scan_fds(args, fds)
	if (nfds == 0) next
	if (call == "sendfile" || call == "sendfile64") add(call, fds[2], fds[1], ret, failed)
	else if (call == "splice" || call == "copy_file_range" || call == "tee") add(call, fds[1], fds[2], ret, failed)
	else if (call ~ /^(read|pread64|readv|preadv|preadv2|recv|recvfrom|recvmsg|recvmmsg)$/) add(call, fds[1], "user", ret, failed)
	else if (call ~ /^(write|pwrite64|writev|pwritev|pwritev2|send|sendto|sendmsg|sendmmsg)$/) add(call, "user", fds[1], ret, failed)
	else if (call == "mmap" || call == "mmap2") add(call, fds[1], "map", 0, failed)
	else add(call, fds[1], "-", 0, failed)
}

END {
	for (k in calls) print k, calls[k], bytes[k] + 0, errors[k] + 0
}
