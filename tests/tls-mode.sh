# tests/tls-mode.sh - what a TLS transfer may say of its path on this machine (SPEC T-6), for
# the end-to-end suites (tests/e2e/lib.sh sources it) and trace/verify.sh: functions only, no
# state. The Check suites ask the kernel the same with tu_ktls_kernel() (tests/testutil.h).
# shellcheck shell=bash

# ktls_kernel: the kernel has kTLS: the TLS ULP is registered, or its module is there to be
# loaded (setsockopt TCP_ULP "tls" loads it)
ktls_kernel() {
	grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null ||
		grep -q '^kernel/net/tls/tls\.ko' "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null
}

# ossl_version: the version of the OpenSSL library (as the openssl command reports it)
ossl_version() {
	local v
	v=$(openssl version | sed -n 's/.*Library: OpenSSL \([0-9.]*\).*/\1/p')
	echo "${v:-$(openssl version | awk '{print $2}')}"
}

# ossl_ktls_rx: OpenSSL gives the kernel TLS 1.3 receive keys (3.2 on; 3.0 and 3.1 give it
# the send keys only)
ossl_ktls_rx() { printf '3.2\n%s\n' "$(ossl_version)" | sort -V -C; }

# tls_said SIDE PATH [summary]: an extended regex of how SIDE of a TLS transfer (send: the
# payload goes out of it; recv: it comes in; none: a sender's probe, no payload) says the
# payload moved and TLS ran when PATH was asked: the log line's "path=P tls=M" (S-17), with
# "summary" the receiver's "path P, tls M" (C-10). Without kTLS: exactly the copy path in
# user space (a probe: PATH). With it, OpenSSL may have kept the keys (the same), or the
# kernel took them: a sender then moves the payload on PATH; a receiver splices on PATH
# where it took the receive keys (OpenSSL 3.2 on), and else reads on the copy path, saying
# ktls where it took its send keys.
tls_said() {
	local eq='=' tls=' tls=' alt
	[ "${3:-}" = summary ] && eq=' ' tls=', tls '
	alt="copy${tls}user"
	[ "$1" = none ] && alt="$2${tls}user"
	if ktls_kernel; then
		if [ "$1" = none ]; then
			alt="$2${tls}(user|ktls)"
		elif [ "$1" = send ]; then
			alt+="|$2${tls}ktls"
		else
			alt="copy${tls}(user|ktls)"
			if ossl_ktls_rx; then alt+="|$2${tls}ktls"; fi
		fi
	fi
	echo "path$eq($alt)"
}
