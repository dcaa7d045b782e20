#!/usr/bin/env bash
# tests/e2e/tls.sh BUILD_DIR [PLAIN_BUILD_DIR] - end-to-end: TLS (SPEC T), real OpenSSL on
# both sides and tools nobody here wrote (openssl s_client, socat).
# Runs alone (make check T=tls) or from tests/e2e.sh; helpers in lib.sh.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# exits CODE PID: the background PID ended with CODE
exits() { wait "$2"; [ $? -eq "$1" ]; }

# --- keys and certificates, made here
head -c 3000000 /dev/urandom >"$T/data.bin"
K="$T/keys"; mkdir -p "$K"
key_hex=$(openssl rand -hex 32)
printf 'zcp:%s\n' "$key_hex" >"$K/psk"; chmod 600 "$K/psk"
printf 'zcp:%s\n' "$(openssl rand -hex 32)" >"$K/other"; chmod 600 "$K/other"
mk() { openssl "$@" 2>/dev/null; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
# a CA, a server certificate it signed for 127.0.0.1, an expired one, a client one;
# another CA; a self-signed server certificate
mk req -x509 "${ec[@]}" -days 2 -subj /CN=zcp-test-ca -keyout "$K/ca.key" -out "$K/ca.pem"
mk req -x509 "${ec[@]}" -days 2 -subj /CN=other-ca -keyout "$K/other-ca.key" -out "$K/other-ca.pem"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$K/ext"
printf 'subjectAltName=IP:127.0.0.1\n' >"$K/ip-only"
signed() { # signed NAME DAYS [EXTFILE]: NAME.pem/NAME.key signed by the CA
	mk req "${ec[@]}" -subj "/CN=$1" -keyout "$K/$1.key" -out "$K/$1.csr" &&
	mk x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial \
		-days "$2" -extfile "${3:-$K/ext}" -out "$K/$1.pem"
}
signed srv 2; signed expired -1; signed client 2; signed iponly 2 "$K/ip-only"
mk req -x509 "${ec[@]}" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$K/self.key" -out "$K/self.pem"
pin_of() { printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)"; }
chmod 600 "$K"/*.key
PSK=(--psk-file "$K/psk")
CERT=(--cert "$K/srv.pem" --key "$K/srv.key")

# --- what each side may say of its path and TLS (SPEC T-6): the patterns every row below
# asserts (tls_said, tests/tls-mode.sh), for a kernel without kTLS and for one with it
# said SIDE ASKED TEXT [summary]: TEXT is what SIDE may say with ASKED
said() { grep -Eq "^$(tls_said "$1" "$2" "${4:-}")\$" <<<"$3"; }
# shellcheck disable=SC2317  # the probes redefined in each subshell are called by tls_said
t_said() {
	( # no kTLS: user space and the copy path, whatever was asked
		ktls_kernel() { return 1; }
		said send sendfile 'path=copy tls=user' && ! said send sendfile 'path=sendfile tls=ktls' &&
		! said send sendfile 'path=copy tls=ktls' && ! said send sendfile 'path=sendfile tls=user' &&
		said none sendfile 'path=sendfile tls=user' && ! said none sendfile 'path=sendfile tls=ktls' &&
		said recv splice 'path copy, tls user' summary && ! said recv splice 'path copy, tls ktls' summary &&
		! said recv splice 'path splice, tls ktls' summary && ! said recv splice 'path splice, tls user' summary
	) && ( # kTLS, OpenSSL 3.0: a sender's keys or none; a receiver reads through SSL_read
		ktls_kernel() { return 0; }
		ossl_ktls_rx() { return 1; }
		said send sendfile 'path=copy tls=user' && said send sendfile 'path=sendfile tls=ktls' &&
		said send copy 'path=copy tls=ktls' && ! said send sendfile 'path=copy tls=ktls' &&
		! said send sendfile 'path=splice tls=ktls' && ! said send sendfile 'path=sendfile tls=user' &&
		said none sendfile 'path=sendfile tls=ktls' && said none sendfile 'path=sendfile tls=user' &&
		! said none sendfile 'path=copy tls=user' &&
		said recv splice 'path=copy tls=user' && said recv splice 'path=copy tls=ktls' &&
		! said recv splice 'path=splice tls=ktls' && ! said recv splice 'path=splice tls=user'
	) && ( # kTLS, OpenSSL 3.2: a receiver splices where the kernel took its receive keys
		ktls_kernel() { return 0; }
		ossl_ktls_rx() { return 0; }
		said recv splice 'path splice, tls ktls' summary && said recv splice 'path copy, tls ktls' summary &&
		said recv splice 'path copy, tls user' summary && ! said recv splice 'path splice, tls user' summary &&
		! said recv copy 'path splice, tls ktls' summary && said send splice 'path=splice tls=ktls'
	)
}
check "TLS: each side's expected path and tls= (tests/tls-mode.sh) are user and copy without kTLS; with it also ktls on the path asked where the kernel took that side's keys, never ktls with copy unless asked (a receiver's send keys alone: copy; a probe: the path asked)  # SPEC T-6" t_said

# --- every sender path x every receiver path over TLS with a PSK (SPEC T-2 T-5 T-6)
t_psk_paths() {
	start_send --once -p "$1" "${PSK[@]}" "$T/data.bin" &&
	zrecv -v -c "127.0.0.1:$PORT" -p "$2" "${PSK[@]}" -o "$T/psk.$1.$2" 2>"$T/r.err" &&
	wait "$SPID" && cmp "$T/data.bin" "$T/psk.$1.$2" &&
	grep -Eq "$(tls_said send "$1") result=ok" "$T/send.err" &&
	grep -Eq "received 3000000 bytes .*$(tls_said recv "$2" summary); syscalls:.*SSL_read=" "$T/r.err"
}
for sp in copy sendfile splice; do
	for rp in copy splice; do
		check "TLS PSK: send $sp -> recv $rp byte-exact; both say the path and tls= the machine gives (no kTLS: tls=user, the copy path)  # SPEC T-2 T-5 T-6" \
			t_psk_paths $sp $rp
	done
done

# --- push and raw over TLS (SPEC T-5)
t_psk_push() {
	mkdir -p "$T/pushdir" &&
	start_recv --once "${PSK[@]}" -o "$T/pushdir/" &&
	zsend -c "127.0.0.1:$RPORT" "${PSK[@]}" "$T/data.bin" && wait "$RPID" &&
	cmp "$T/data.bin" "$T/pushdir/data.bin" && grep -Eq "$(tls_said recv splice) result=ok" "$T/recv.err"
}
check "TLS PSK: push into a directory, byte-exact  # SPEC T-5" t_psk_push
t_psk_raw() {
	start_send --once --raw "${PSK[@]}" "$T/data.bin" &&
	zrecv --raw -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/raw.out" 2>"$T/r.err" && wait "$SPID" &&
	cmp "$T/data.bin" "$T/raw.out" && grep -Eq "$(tls_said recv splice summary)" "$T/r.err" &&
	grep -Eq "$(tls_said send sendfile) result=ok" "$T/send.err" &&
	start_recv --raw "${PSK[@]}" -o "$T/raw.push" &&
	zsend --raw -c "127.0.0.1:$RPORT" "${PSK[@]}" "$T/data.bin" && wait "$RPID" &&
	cmp "$T/data.bin" "$T/raw.push"
}
check "TLS PSK: --raw pulled and pushed, byte-exact (the end is close_notify)  # SPEC T-5 P-9" t_psk_raw
t_psk_streams() {
	start_send "${PSK[@]}" "$T/data.bin" || return 1
	zrecv --streams 2 -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/streams.out" 2>"$T/r.err"
	local r=$?
	kill "$SPID"; wait "$SPID"
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/streams.out" && grep -Eq "$(tls_said recv splice summary); 2 streams" "$T/r.err"
}
check "TLS PSK: --streams 2, each part its own TLS connection, byte-exact  # SPEC T-5 R-18" t_psk_streams
t_psk_workers() { # the context is made before the workers fork: each serves TLS
	start_send --workers 2 "${PSK[@]}" "$T/data.bin" || return 1
	local i r=0
	for i in 1 2 3; do
		zrecv -q --streams 4 -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/workers.$i" && cmp "$T/data.bin" "$T/workers.$i" || r=1
	done
	kill "$SPID"; wait "$SPID"
	[ $r -eq 0 ] && [ "$(grep -Ec "$(tls_said send sendfile) result=ok" "$T/send.err")" -ge 6 ]
}
check "TLS PSK: --workers 2 serve --streams 4 receivers, byte-exact  # SPEC T-5 S-16" t_psk_workers
t_cert_streams() {
	start_send "${CERT[@]}" "$T/data.bin" || return 1
	zrecv --streams 4 -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/cstreams.out" 2>"$T/r.err"
	local r=$?
	kill "$SPID"; wait "$SPID"
	[ $r -eq 0 ] && cmp "$T/data.bin" "$T/cstreams.out" && [ "$(grep -Ec "$(tls_said send sendfile) result=ok" "$T/send.err")" -ge 2 ] &&
		grep -Eq "$(tls_said none sendfile) result=probe" "$T/send.err"
}
check "TLS certificates: --streams 4 (later parts resume a session: test_tls t9), byte-exact  # SPEC T-9 R-18" t_cert_streams

# --- certificates (SPEC T-3)
t_cert_ca() {
	start_send --once "${CERT[@]}" "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/cert.out" && wait "$SPID" &&
	cmp "$T/data.bin" "$T/cert.out" && grep -Eq "$(tls_said send sendfile) result=ok" "$T/send.err" &&
	start_send --once "${CERT[@]}" "$T/data.bin" &&
	zrecv -c "localhost:$PORT" --ca "$K/ca.pem" -o "$T/cert.out2" && wait "$SPID" &&
	cmp "$T/data.bin" "$T/cert.out2"
}
check "TLS certificates: --ca with the address and the name checked, byte-exact  # SPEC T-3 T-5" t_cert_ca
t_cert_push_pin() {
	mkdir -p "$T/pin.d" &&
	start_recv --once --cert "$K/self.pem" --key "$K/self.key" -o "$T/pin.d/" &&
	zsend -c "127.0.0.1:$RPORT" --pin "$(pin_of "$K/self.pem")" "$T/data.bin" 2>"$T/s.err" && wait "$RPID" &&
	cmp "$T/data.bin" "$T/pin.d/data.bin" && grep -Eq "$(tls_said recv splice) result=ok" "$T/recv.err" &&
		grep -Eq "$(tls_said send sendfile) result=ok" "$T/s.err"
}
check "TLS certificates: a push to a self-signed listener checked by --pin, byte-exact  # SPEC T-3" t_cert_push_pin
t_pin_list() {
	local right other
	right=$(pin_of "$K/self.pem") && other=$(pin_of "$K/srv.pem") &&
	start_send --count 2 --cert "$K/self.pem" --key "$K/self.key" "$T/data.bin" &&
	zrecv -q -c "127.0.0.1:$PORT" --pin "$other;$right" -o "$T/pins.out" && cmp "$T/data.bin" "$T/pins.out" &&
	{ zrecv -c "127.0.0.1:$PORT" --pin "$other;$other" -o "$T/pins.none" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -qx "zcp-recv: SSL_do_handshake 127.0.0.1:$PORT: the server's public key matches no --pin" "$T/r.err" &&
	exits 8 "$SPID" && [ ! -e "$T/pins.none" ]
}
check "TLS: --pin 'sha256//A;sha256//B' lets in a server whose key is any one of them, and refuses one of none (exit 8)  # SPEC T-10" t_pin_list
t_client_ca() {
	start_send --count 2 "${CERT[@]}" --client-ca "$K/ca.pem" "$T/data.bin" &&
	zrecv -c "127.0.0.1:$PORT" --ca "$K/ca.pem" --cert "$K/client.pem" --key "$K/client.key" \
		-o "$T/cc.out" && cmp "$T/data.bin" "$T/cc.out" &&
	{ zrecv -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/cc.none" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	exits 8 "$SPID" && [ ! -e "$T/cc.none" ] && grep -q 'result=auth-failed exit=8' "$T/send.err"
}
check "TLS --client-ca: a client certificate of the CA gets in, none is refused (exit 8)  # SPEC T-3 T-4" t_client_ca

# refused CONNECT-OPTIONS REASON-REGEX: the connector's handshake fails, exit 8 on
# both sides, the reason said; the server logs auth-failed and serves the next one
refused() {
	local reason=$2
	rm -f "$T/ref.out" "$T/ref.next"
	start_send --count 2 "${CERT[@]}" "$T/data.bin" &&
	{ eval "zrecv -c 127.0.0.1:$PORT $1 -o '$T/ref.out'" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -Eq "^zcp-recv: SSL_do_handshake 127.0.0.1:$PORT: $reason" "$T/r.err" && [ ! -e "$T/ref.out" ] &&
	wait_until 10 grep -q 'result=auth-failed exit=8' "$T/send.err" &&
	zrecv -q -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/ref.next" && exits 8 "$SPID" &&
	cmp "$T/data.bin" "$T/ref.next"
}
check "TLS: another CA is refused (exit 8 both sides), the server goes on  # SPEC T-3 T-4" \
	refused "--ca '$K/other-ca.pem'" 'certificate verify failed'
check "TLS: a pin of another key is refused (exit 8 both sides)  # SPEC T-3 T-4" \
	refused "--pin '$(pin_of "$K/self.pem")'" "the server's public key matches no --pin"
t_expired() {
	start_send --once --cert "$K/expired.pem" --key "$K/expired.key" "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/exp.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q 'certificate verify failed: certificate has expired' "$T/r.err" && exits 8 "$SPID"
}
check "TLS: an expired certificate is refused (exit 8)  # SPEC T-3" t_expired
t_self_signed() {
	start_send --once --cert "$K/self.pem" --key "$K/self.key" "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/self.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q 'certificate verify failed: self-signed certificate' "$T/r.err" && exits 8 "$SPID"
}
check "TLS: a self-signed certificate is refused by --ca (exit 8)  # SPEC T-3" t_self_signed
t_wrong_name() {
	start_send --once --cert "$K/iponly.pem" --key "$K/iponly.key" "$T/data.bin" &&
	{ zrecv -c "localhost:$PORT" --ca "$K/ca.pem" -o "$T/name.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q 'hostname mismatch' "$T/r.err" && exits 8 "$SPID"
}
check "TLS: a certificate for another name is refused (exit 8)  # SPEC T-3" t_wrong_name

# --- the key (SPEC T-2 T-4)
t_wrong_key() {
	start_send --count 2 "${PSK[@]}" "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" --psk-file "$K/other" -o "$T/wk.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q "^zcp-recv: SSL_do_handshake 127.0.0.1:$PORT: " "$T/r.err" && [ ! -e "$T/wk.out" ] &&
	wait_until 10 grep -q 'name="" .*result=auth-failed exit=8' "$T/send.err" &&
	grep -q '^zcp-send: SSL_do_handshake 127.0.0.1:[0-9]*: ' "$T/send.err" &&
	zrecv -q -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/wk.next" && exits 8 "$SPID" &&
	cmp "$T/data.bin" "$T/wk.next"
}
check "TLS: a wrong key fails both sides (exit 8, one line each), the server logs auth-failed and goes on  # SPEC T-2 T-4" t_wrong_key
t_loose_key() {
	cp "$K/psk" "$T/loose" && chmod 640 "$T/loose" &&
	{ zsend --psk-file "$T/loose" "$T/data.bin" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -q "^zcp-send: open $T/loose: permissions 0640 are too open" "$T/err" &&
	{ zrecv -c 127.0.0.1:1 --psk-file "$T/loose" -o "$T/x" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -q 'chmod 600' "$T/err"
}
check "TLS: a key file group or others may read is refused (exit 3), naming the open  # SPEC T-2 E-2" t_loose_key

t_bad_cert_file() {
	{ zsend --cert "$K/psk" --key "$K/srv.key" "$T/data.bin" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -q "^zcp-send: SSL_CTX_use_certificate_chain_file $K/psk: " "$T/err" &&
	{ zrecv -c 127.0.0.1:1 --ca "$K/none.pem" -o "$T/x" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-recv: SSL_CTX_load_verify_locations $K/none.pem: No such file or directory" "$T/err"
}
check "TLS: a certificate or CA file OpenSSL cannot use is refused (exit 3), naming the OpenSSL call and the file  # SPEC T-3 E-2" t_bad_cert_file

t_bom_key() {
	printf '\357\273\277zcp:%s\n' "$key_hex" >"$T/bom" && chmod 600 "$T/bom" &&
	{ zsend --psk-file "$T/bom" "$T/data.bin" 2>"$T/err"; [ $? -eq 3 ]; } &&
	grep -qx "zcp-send: read $T/bom: not a PSK file (IDENTITY:HEXKEY): the file starts with a UTF-8 byte-order mark: save it without one" "$T/err"
}
check "TLS: a key file that starts with a UTF-8 byte-order mark is refused (exit 3), saying so  # SPEC T-2" t_bom_key

# --- protected mode (SPEC T-8)
t_protected() {
	{ zsend -l 0.0.0.0:0 "$T/data.bin" 2>"$T/err"; [ $? -eq 2 ]; } &&
	grep -q '^zcp-send: listen 0.0.0.0:[0-9]*: not a loopback address: .*openssl rand -hex 32' "$T/err" &&
	! grep -q '^listening on' "$T/err" &&
	{ zrecv -l '[::]:0' -o "$T/" 2>"$T/err"; [ $? -eq 2 ]; } && grep -q 'openssl rand -hex 32' "$T/err"
}
check "protected mode: a plaintext listener on a non-loopback address refuses to start, saying how to make a key  # SPEC T-8" t_protected
t_protected_allowed() {
	: >"$T/ins.err"
	timeout -k 5 60 "$B/zcp-send" -l 0.0.0.0:0 --insecure --once "$T/data.bin" 2>"$T/ins.err" &
	local pid=$! port
	port=$(port_of "$T/ins.err") && zrecv -q -c "127.0.0.1:$port" -o "$T/ins.out" && wait $pid &&
	cmp "$T/data.bin" "$T/ins.out" &&
	: >"$T/send.err" && { timeout -k 5 60 "$B/zcp-send" -l 0.0.0.0:0 --once "${PSK[@]}" "$T/data.bin" 2>"$T/send.err" & } &&
	SPID=$! && PORT=$(port_of "$T/send.err") &&
	zrecv -q -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/ins.psk" && wait "$SPID" && cmp "$T/data.bin" "$T/ins.psk" &&
	grep -Eq "$(tls_said send sendfile) result=ok" "$T/send.err"
}
check "protected mode: --insecure, or a key, lets a listener start on 0.0.0.0  # SPEC T-8" t_protected_allowed

# --- plaintext and TLS meeting (SPEC T-7)
t_plain_at_tls() {
	mkdir -p "$T/root" && cp "$T/data.bin" "$T/root/f" &&
	: >"$T/send.err" &&
	{ zstrace -f -o "$T/strace" -e trace=openat,openat2,open "$B/zcp-send" -l 127.0.0.1:0 --once \
		--root "$T/root" "${PSK[@]}" 2>"$T/send.err" & } &&
	SPID=$! && PORT=$(port_of "$T/send.err") &&
	{ zrecv -c "127.0.0.1:$PORT" --name f -o "$T/pt.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q "^zcp-recv: recvfrom 127.0.0.1:$PORT: the sender requires TLS: give --psk-file, --ca or --pin" "$T/r.err" &&
	exits 8 "$SPID" && grep -q 'result=auth-failed exit=8' "$T/send.err" &&
	grep -q '^zcp-send: recvfrom 127.0.0.1:[0-9]*: a plaintext request: this sender requires TLS' "$T/send.err" &&
	! grep -E 'open(at2?)?\(.*"f"' "$T/strace" && ! grep -q "$T/root/" "$T/strace"
}
check "a plaintext request to a TLS listener opens no file (strace), exit 8 both sides  # SPEC T-4 T-7" t_plain_at_tls
t_tls_at_plain() {
	start_send --once "$T/data.bin" &&
	{ zrecv -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/tp.out" 2>"$T/r.err"; [ $? -eq 8 ]; } &&
	grep -q '^zcp-recv: SSL_do_handshake .*(does it speak TLS?)' "$T/r.err" &&
	exits 8 "$SPID" &&
	grep -q '^zcp-send: recvfrom 127.0.0.1:[0-9]*: the receiver speaks TLS; this sender has no --psk-file or --cert' "$T/send.err"
}
check "a TLS receiver at a plaintext sender: exit 8 both sides, each says why  # SPEC T-7" t_tls_at_plain
t_tls_push_at_plain() {
	mkdir -p "$T/tpp" && start_recv --once -o "$T/tpp/" &&
	{ zsend -c "127.0.0.1:$RPORT" "${PSK[@]}" "$T/data.bin" 2>"$T/s.err"; [ $? -eq 8 ]; } &&
	grep -q '^zcp-send: SSL_do_handshake' "$T/s.err" && exits 8 "$RPID" &&
	grep -q '^zcp-recv: recvfrom 127.0.0.1:[0-9]*: the sender speaks TLS: give --psk-file, --ca or --pin' "$T/recv.err"
}
check "a TLS push to a plaintext receiver: exit 8 both sides  # SPEC T-7" t_tls_push_at_plain

# --- the handshake under the request's deadline (SPEC T-4 S-13)
t_dribble() {
	head -c 100000 "$T/data.bin" >"$T/small.bin"
	start_send --count 201 --header-timeout 3 "${PSK[@]}" "$T/small.bin" || return 1
	timeout 60 python3 - "$PORT" >"$T/drib.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
hello = bytes.fromhex("16030100c8010000c40303") + bytes(200)
try:
    for b in hello:  # one byte at a time: never a whole ClientHello before the deadline
        s.send(bytes([b]))
        time.sleep(0.2)
except OSError:
    print("dropped")
EOF
	local dpid=$! i pids=""
	mkdir -p "$T/many"
	for i in $(seq 200); do
		timeout 60 "$P/zcp-recv" -q -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/many/$i" & pids="$pids $!"
	done
	for i in $pids; do wait "$i" || return 1; done
	for i in $(seq 200); do cmp "$T/small.bin" "$T/many/$i" || return 1; done
	wait "$dpid"; grep -qx dropped "$T/drib.out" &&
	grep -q 'timed out waiting for the TLS handshake' "$T/send.err" && exits 4 "$SPID"
}
check "a TLS handshake dribbled a byte at a time is dropped at --header-timeout while 200 TLS receivers are served byte-exact  # SPEC T-4 S-13" t_dribble

# --- tools nobody here wrote (SPEC T-2 T-3)
t_s_client() {
	start_send --once --raw "${PSK[@]}" "$T/data.bin" &&
	timeout 30 openssl s_client -quiet -tls1_3 -psk_identity zcp -psk "$key_hex" -ign_eof \
		-connect "127.0.0.1:$PORT" </dev/null >"$T/sc.out" 2>"$T/sc.err" ; wait "$SPID" &&
	cmp "$T/data.bin" "$T/sc.out"
}
check "openssl s_client -tls1_3 -psk_identity -psk reads a PSK listener's --raw file byte-exact  # SPEC T-2" t_s_client
t_socat() {
	start_send --once --raw "${CERT[@]}" "$T/data.bin" &&
	timeout 30 socat -u "OPENSSL:127.0.0.1:$PORT,cafile=$K/ca.pem,verify=1" "CREATE:$T/socat.out" &&
	wait "$SPID" && cmp "$T/data.bin" "$T/socat.out"
}
check "socat OPENSSL with the CA file receives a --raw --cert sender's file byte-exact  # SPEC T-3" t_socat

# --- kTLS (SPEC T-6): only where the kernel has it
no_ulp="the kernel has no kTLS: /proc/sys/net/ipv4/tcp_available_ulp lists '$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null)', no tls module in /lib/modules/$(uname -r)"
if ktls_kernel; then
	t_ktls() {
		start_send --once -p sendfile "${PSK[@]}" "$T/data.bin" &&
		zrecv -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/ktls.out" && wait "$SPID" &&
		cmp "$T/data.bin" "$T/ktls.out" && grep -q 'path=sendfile tls=ktls result=ok' "$T/send.err"
	}
	check "kTLS: the kernel took the keys; sendfile moved the payload  # SPEC T-6" t_ktls
else
	skip "kTLS: sendfile under kernel TLS  # SPEC T-6" "$no_ulp"
fi

# --- kTLS receive (SPEC T-6): where the kernel also takes the receive keys (OpenSSL 3.0 and
# 3.1 give it TLS 1.3 send keys only), the payload is spliced from the socket into the file
# rx_spliced ERR: the receiver's -v summary or log line there says splice under kTLS, and
# SSL_read only for frames and records that are not data (3 MB through it: about 190 calls)
rx_spliced() {
	local reads
	reads=$(grep -o 'SSL_read[=:][0-9]*' "$1" | tail -n 1 | tr -dc 0-9)
	if grep -Eq 'path splice, tls ktls; syscalls:.*splice=|path=splice tls=ktls result=ok' "$1" &&
		[ "${reads:-0}" -lt 16 ]; then return 0; fi
	echo "not spliced under kTLS, or ${reads:-0} SSL_read calls:"; cat "$1"; return 1
}
t_ktls_recv() {
	start_send --once -p sendfile "${CERT[@]}" "$T/data.bin" &&
	zrecv -v -p splice -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/ktlsrx.out" 2>"$T/r.err" &&
	wait "$SPID" && cmp "$T/data.bin" "$T/ktlsrx.out" && rx_spliced "$T/r.err"
}
t_ktls_push() {
	rm -rf "$T/ktlsrx.d"; mkdir -p "$T/ktlsrx.d" &&
	start_recv --once -v -p splice "${PSK[@]}" -o "$T/ktlsrx.d/" &&
	zsend -c "127.0.0.1:$RPORT" "${PSK[@]}" "$T/data.bin" && wait "$RPID" &&
	cmp "$T/data.bin" "$T/ktlsrx.d/data.bin" && rx_spliced "$T/recv.err"
}
# nginx sending with kTLS too (ssl_conf_command Options KTLS), an https:// fetch (SPEC G-9)
t_ktls_https() {
	local np npid r
	np=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$T/nginx" && cat >"$T/nginx/nginx.conf" <<-EOF
	daemon off; master_process off; worker_processes 1;
	pid $T/nginx/pid; error_log $T/nginx/error.log;
	events { worker_connections 16; }
	http {
		access_log off; sendfile on;
		client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
		uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
		server {
			listen 127.0.0.1:$np ssl; root $T; ssl_protocols TLSv1.3;
			ssl_certificate $K/srv.pem; ssl_certificate_key $K/srv.key;
			ssl_conf_command Options KTLS;
		}
	}
	EOF
	timeout -k 5 60 nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/stderr" &
	npid=$!
	wait_until 10 curl -sf --cacert "$K/ca.pem" -o /dev/null "https://127.0.0.1:$np/data.bin" &&
	zrecv -v -c "https://127.0.0.1:$np/data.bin" --ca "$K/ca.pem" -o "$T/ktlsrx.https" 2>"$T/r.err" &&
	cmp "$T/data.bin" "$T/ktlsrx.https" && rx_spliced "$T/r.err"
	r=$?
	kill "$npid"; wait "$npid"
	return $r
}
rx_tests=("kTLS receive: a pull (a certificate: a session ticket follows the handshake) is spliced from the socket, SSL_read only for frames and records that are not data  # SPEC T-6"
	"kTLS receive: a push into a directory is spliced from the socket  # SPEC T-6"
	"kTLS receive: https:// from nginx (sending with kTLS) is spliced from the socket  # SPEC T-6 G-9")
if ! ktls_kernel; then
	for d in "${rx_tests[@]}"; do skip "$d" "$no_ulp"; done
elif ! ossl_ktls_rx; then
	for d in "${rx_tests[@]}"; do skip "$d" "OpenSSL $(ossl_version) gives the kernel TLS 1.3 send keys only; receive keys from 3.2 on"; done
else
	check "${rx_tests[0]}" t_ktls_recv
	check "${rx_tests[1]}" t_ktls_push
	if command -v nginx >/dev/null; then check "${rx_tests[2]}" t_ktls_https
	else skip "${rx_tests[2]}" "needs nginx"; fi
fi

# --- a peer that connects and says nothing (SPEC T-4 S-13)
# silent_peers N FD0: N connections to PORT on fds FD0.. that never send a byte
silent_peers() {
	local i
	for i in $(seq "$1"); do eval "exec $(($2 + i - 1))<>/dev/tcp/127.0.0.1/$PORT" || return 1; done
}
# cut FD: the peer closed the connection on FD (end of stream within a bounded wait)
cut() { timeout 30 head -c 1 <&"$1" >/dev/null; }
t_silent_peer() {
	start_send --count 2 --header-timeout 5 "${PSK[@]}" "$T/data.bin" && silent_peers 1 7 &&
	zrecv -q -c "127.0.0.1:$PORT" "${PSK[@]}" -o "$T/silent.out" && cmp "$T/data.bin" "$T/silent.out" &&
	cut 7 && exits 4 "$SPID" && grep -q '^zcp-send: SSL_do_handshake 127.0.0.1:[0-9]*: timed out waiting for the TLS handshake' "$T/send.err" &&
	# the receiver was served while the silent peer still waited for its deadline
	grep -n 'result=' "$T/send.err" | head -n 1 | grep -q 'result=ok'
}
check "TLS: a connection that sends nothing is cut at --header-timeout; a TLS receiver beside it is served  # SPEC T-4 S-13" t_silent_peer
t_silent_workers() {
	start_send --workers 2 --header-timeout 5 "${CERT[@]}" "$T/data.bin" && silent_peers 2 7 &&
	zrecv -q -c "127.0.0.1:$PORT" --ca "$K/ca.pem" -o "$T/silentw.out" && cmp "$T/data.bin" "$T/silentw.out" &&
	cut 7 && cut 8 && wait_until 10 test "$(grep -c 'timed out waiting for the TLS handshake' "$T/send.err")" -eq 2
	local r=$?
	kill "$SPID"; wait "$SPID"
	return $r
}
check "TLS --workers 2: one silent connection per worker, and a TLS receiver is still served; both cut at --header-timeout  # SPEC T-4 S-16" t_silent_workers

# --- --cert alone authenticates the server only (SPEC T-8)
# listener_note PROG ARGS...: PROG listening on 0.0.0.0:0 with ARGS; its stderr until
# "listening on" (or its end) is in $T/note.err, then it is stopped
listener_note() {
	local prog=$1; shift
	: >"$T/note.err"
	timeout --foreground -k 5 60 "$B/$prog" -l 0.0.0.0:0 "$@" 2>"$T/note.err" &
	local pid=$!
	port_of "$T/note.err" >/dev/null; kill "$pid"; wait "$pid"
	listening "$T/note.err"
}
t_cert_note() {
	local open='--cert without --client-ca: anyone who reaches 0\.0\.0\.0:[0-9]* can'
	listener_note zcp-send "${CERT[@]}" "$T/data.bin" && [ "$(grep -c "^zcp-send: $open fetch; add --client-ca FILE to require client certificates$" "$T/note.err")" -eq 1 ] &&
	mkdir -p "$T/note.d" && listener_note zcp-recv "${CERT[@]}" -o "$T/note.d/" &&
	grep -q "^zcp-recv: $open push; add --client-ca FILE to require client certificates$" "$T/note.err" &&
	listener_note zcp-send "${CERT[@]}" --client-ca "$K/ca.pem" "$T/data.bin" && ! grep -q 'client-ca' "$T/note.err" &&
	listener_note zcp-send "${PSK[@]}" "$T/data.bin" && ! grep -q 'client-ca' "$T/note.err" &&
	listener_note zcp-send -q "${CERT[@]}" "$T/data.bin" && ! grep -q 'client-ca' "$T/note.err" &&
	start_send "${CERT[@]}" "$T/data.bin" || return 1
	kill "$SPID"; wait "$SPID"
	! grep -q 'client-ca' "$T/send.err"
}
check "TLS: a --cert listener beyond loopback without --client-ca says once that anyone who reaches it can fetch (push); not with --client-ca, a key, -q or on loopback  # SPEC T-8" t_cert_note

# --- our own deadline worded as ours (SPEC T-4 P-10)
t_hs_timeout() {
	start_fake silent-sender &&
	{ timeout 10 "$B/zcp-recv" --timeout 1 -c "127.0.0.1:$PORT" "${PSK[@]}" --discard 2>"$T/err"; [ $? -eq 4 ]; } &&
	grep -qx "zcp-recv: SSL_do_handshake 127.0.0.1:$PORT: timed out waiting for the TLS handshake" "$T/err"
	local r=$?; kill "$FPID" 2>/dev/null; return "$r"
}
check "TLS: a server that never answers the handshake: --timeout ends the wait, exit 4, 'timed out waiting for the TLS handshake'  # SPEC T-4 P-10" t_hs_timeout

summary tls
