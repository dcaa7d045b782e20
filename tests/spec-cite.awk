# spec-cite.awk - print the clause ids that tests cite, one per line (see
# spec-coverage.sh for which citations count). Input: test sources, .c or .sh.

# ids(s): the ids of every "SPEC X-n Y-m" in s, one per line
function ids(s,    out, m) {
	while (match(s, /SPEC( [A-Z]-[0-9]+)+/)) {
		m = substr(s, RSTART + 5, RLENGTH - 5)
		gsub(/ /, "\n", m)
		out = out m "\n"
		s = substr(s, RSTART + RLENGTH)
	}
	return out
}

FNR == 1 { c = FILENAME ~ /\.c$/; pending = ""; intest = 0; incomment = 0 }

# shell: the description of a test where it is registered or reported
!c && /^[ \t]*(check|expect|fault|ok|notok|desc=)/ { printf "%s", ids($0) }
!c { next }

# C: the comment right before START_TEST, comments in the body, and the test's name
/START_TEST\(/ {
	printf "%s", pending
	pending = ""
	intest = 1
	if (match($0, /START_TEST\([a-z][0-9]+_/)) {
		id = substr($0, RSTART + 11, RLENGTH - 12)
		print toupper(substr(id, 1, 1)) "-" substr(id, 2)
	}
	next
}
/END_TEST/ { intest = 0; next }
/\/\*/ { incomment = 1; if (!intest) pending = "" }
incomment { if (intest) printf "%s", ids($0); else pending = pending ids($0) }
/\*\// { incomment = 0; next }
!incomment && !intest && NF { pending = "" }
