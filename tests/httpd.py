#!/usr/bin/env python3
"""A scripted, misbehaving HTTP/1.1 server for zcp-recv's HTTP fetches (SPEC G).

usage: httpd.py MODE FILE PORTFILE [CERT KEY]
Listens on 127.0.0.1 port 0 (over TLS with CERT and KEY; a connection is closed without
close_notify), writes the port to PORTFILE, answers each connection's
request for /NAME with FILE's bytes the way MODE breaks the rules (some modes answer the
first connection one way, the later ones another), for at most 30 s, and prints each
request line to its standard output. With CERT and KEY,
over TLS, each connection ended without a close_notify (as Python's close() does).
"""
import base64
import hashlib
import os
import socket
import ssl
import sys
import time


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def field(head, name):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def repr_digest(data):
    """RFC 9530's Repr-Digest field line: the SHA-256 of the whole representation."""
    return b"Repr-Digest: sha-256=:%s:\r\n" % base64.b64encode(hashlib.sha256(data).digest())


def answer(s, mode, body, port, head, n):
    size = len(body)
    ok = b"HTTP/1.1 200 OK\r\n"
    rng = field(head, "Range")
    if mode in ("half", "half200") and n == 0:  # the first connection: half the body, then the end
        s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size + body[:size // 2])
    elif mode == "half" and rng:               # later ones: the range asked for
        first = int(rng.split("=")[1].split("-")[0])
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\nContent-Range: bytes %d-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (first, size - 1, size, size - first) + body[first:])
    elif mode in ("half", "half200"):          # or the whole file again
        s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size + body)
    elif mode == "over" and n == 0:          # the whole body and a byte more, then the end
        s.sendall(ok + b"ETag: \"v1\"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % size + body + b"x")
    elif mode == "over" and rng:               # later: ranges, a 416 past the end
        first = int(rng.split("=")[1].split("-")[0])
        if first >= size:
            s.sendall(b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%d\r\n"
                      b"Content-Length: 0\r\n\r\n" % size)
        else:
            s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\nContent-Range: bytes %d-%d/%d\r\n"
                      b"Content-Length: %d\r\n\r\n" % (first, size - 1, size, size - first) + body[first:])
    elif mode in ("digest", "baddigest"):      # RFC 9530: the representation's SHA-256
        d = hashlib.sha256(body if mode == "digest" else body + b"x").digest()
        s.sendall(ok + b"Repr-Digest: sha-256=:%s:\r\nContent-Length: %d\r\n\r\n"
                  % (base64.b64encode(d), size) + body)
    elif mode in ("partetag", "part200"):  # the probe's 206 is "v1"; the parts' "v2", or a 200
        first, last = (int(x) if x else size - 1 for x in rng.split("=")[1].split("-"))
        if n and mode == "part200":
            s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size + body)
        else:
            s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"%s\"\r\nContent-Range: bytes %d-%d/%d\r\n"
                      b"Content-Length: %d\r\n\r\n" % (b"v2" if n else b"v1", first, last, size, last - first + 1)
                      + body[first:last + 1])
    elif mode == "weaklm":  # a weak ETag and a Last-Modified: a part's If-Range would be a date,
        lm = "Sun, 06 Nov 1994 08:49:37 GMT"  # which RFC 9110 13.1.5 forbids beside an entity tag
        first, last = (int(x) if x else size - 1 for x in rng.split("=")[1].split("-"))
        if n and (field(head, "If-Range") is not None or field(head, "If-Unmodified-Since") != lm):
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        else:
            s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: W/\"v1\"\r\nLast-Modified: %s\r\n"
                      b"Content-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n"
                      % (lm.encode(), first, last, size, last - first + 1) + body[first:last + 1])
    elif mode in ("repr512swap", "repr512long"):  # reprswap's, its Repr-Digest a sha-512 member only
        first, last = (int(x) if x else size - 1 for x in rng.split("=")[1].split("-"))
        data = body if n == 0 else body[1:] + body[:1]
        digest = b"Repr-Digest: sha-512=:%s:\r\n" % base64.b64encode(hashlib.sha512(data).digest())
        if mode == "repr512long" and n:  # the parts' field too long for a client to keep whole
            digest = digest[:-2] + b", x-pad=:%s:\r\n" % base64.b64encode(b"p" * 240)
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\n%sContent-Range: bytes %d-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (digest, first, last, size, last - first + 1)
                  + data[first:last + 1])
    elif mode in ("reprswap", "reprstale"):  # ETag kept, the bytes replaced after the probe
        first, last = (int(x) if x else size - 1 for x in rng.split("=")[1].split("-"))
        data = body if n == 0 else body[1:] + body[:1]  # same size, other bytes
        digest = b"" if mode == "reprstale" and n else repr_digest(data)  # reprstale: none on parts
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\n%sContent-Range: bytes %d-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (digest, first, last, size, last - first + 1)
                  + data[first:last + 1])
    elif mode in ("reprhalf", "reprhalfok", "cdhalf") and n == 0:  # half the body, then the end
        s.sendall(ok + b"ETag: \"v1\"\r\n%sContent-Length: %d\r\n\r\n" % (repr_digest(body), size)
                  + body[:size // 2])
    elif mode in ("reprhalf", "reprhalfok", "cdhalf"):  # the rest; reprhalf's of other bytes,
        first = int(rng.split("=")[1].split("-")[0])  # same ETag; cdhalf's with a Content-Digest only
        data = body if mode != "reprhalf" else body[1:] + body[:1]
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\n%sContent-Digest: sha-256=:%s:\r\n"
                  b"Content-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n"
                  % (b"" if mode == "cdhalf" else repr_digest(data), base64.b64encode(hashlib.sha256(data[first:]).digest()), first,
                     size - 1, size, size - first) + data[first:])
    elif mode == "ifrange" and rng:            # ranges only to a request that names the ETag
        first, last = (int(x) for x in rng.split("=")[1].split("-"))
        if field(head, "If-Range") == '"v1"' or (first, last) == (0, 0):
            s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\nContent-Range: bytes %d-%d/%d\r\n"
                      b"Content-Length: %d\r\n\r\n" % (first, last, size, last - first + 1) + body[first:last + 1])
        else:
            s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size + body)
    elif mode == "novalhalf" and n == 0:     # no validator: half the body, then the end
        s.sendall(ok + b"Content-Length: %d\r\n\r\n" % size + body[:size // 2])
    elif mode == "novalhalf" and not rng:    # then the whole file (still no validator)
        s.sendall(ok + b"Content-Length: %d\r\n\r\n" % size + body)
    elif mode == "valgone" and n == 0:       # an ETag, half the body, then the end
        s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size + body[:size // 2])
    elif mode in ("novalhalf", "valgone"):   # then the rest of another file of that size, no validator
        first = int(rng.split("=")[1].split("-")[0])
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n"
                  % (first, size - 1, size, size - first) + bytes(size - first))
    elif mode == "noval":     # no validator: the probe's 206 of this file, the parts' of others
        first, last = (int(x) for x in rng.split("=")[1].split("-")) if rng else (0, size - 1)
        part = body if (first, last) in ((0, 0), (0, size - 1)) else bytes(size)
        s.sendall((ok if not rng else b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %d-%d/%d\r\n"
                   % (first, last, size)) + b"Content-Length: %d\r\n\r\n" % (last - first + 1) + part[first:last + 1])
    elif mode == "ifmatch" and n == 0:       # the probe: ETag "v1"; then the file is "v2"
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\nContent-Range: bytes 0-0/%d\r\n"
                  b"Content-Length: 1\r\n\r\n" % size + body[:1])
    elif mode == "ifmatch" and field(head, "If-Match") not in (None, '"v2"'):  # RFC 9110 13.1.1
        s.sendall(b"HTTP/1.1 412 Precondition Failed\r\nETag: \"v2\"\r\nContent-Length: 0\r\n\r\n")
    elif mode == "ifmatch":                  # no If-Match: If-Range "v1" fails, the whole "v2"
        s.sendall(ok + b"ETag: \"v2\"\r\nContent-Length: %d\r\n\r\n" % size + bytes(size))
    elif mode in ("hop", "hopaway") and head.split(" ")[1] == "/data.bin":  # moved (to $HOP_TO's server)
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: %s/final.bin\r\nContent-Length: 0\r\n\r\n"
                  % os.environ.get("HOP_TO", "").encode())
    elif mode == "hopaway" and n > 1:        # after the probe, the final URL moves again
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: /data.bin\r\nContent-Length: 0\r\n\r\n")
    elif mode in ("hop", "hopaway") and rng:  # /final.bin: its ranges
        first, last = (int(x) for x in rng.split("=")[1].split("-"))
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\nContent-Range: bytes %d-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (first, last, size, last - first + 1) + body[first:last + 1])
    elif mode == "crange":      # a 206 for a range nobody asked for
        s.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (size - 1, size, size - 1) + body[1:])
    elif mode == "long":      # more declared than sent, then the end
        s.sendall(ok + b"Content-Length: %d\r\n\r\n" % (size + 1000) + body)
    elif mode == "more":      # more sent than declared, the connection kept
        s.sendall(ok + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % (size - 1000) + body)
        time.sleep(20)
    elif mode == "close":     # the whole body, then the end (RFC 9112 9.8 over TLS)
        s.sendall(ok + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % size + body)
    elif mode == "nolength":  # the body ends with the connection
        s.sendall(ok + b"Connection: close\r\n\r\n" + body)
    elif mode == "encoded":
        s.sendall(ok + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % size + body)
    elif mode == "dribble":   # a byte every 3 s
        s.sendall(ok + b"Content-Length: %d\r\n\r\n" % size)
        for b in body[:10]:
            s.sendall(bytes([b]))
            time.sleep(3)
    elif mode == "headdrip":  # a field line every 0.2 s for 8 s: progress, never a head
        s.sendall(ok)
        for _ in range(40):
            s.sendall(b"X-Wait: 1\r\n")
            time.sleep(0.2)
    elif mode == "chunked":   # good framing, in uneven chunks
        s.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n")
        at, n = 0, 1
        while at < size:
            part = body[at:at + n]
            s.sendall(b"%x;ext=1\r\n" % len(part) + part + b"\r\n")
            at, n = at + len(part), n * 3 + 7
        s.sendall(b"0\r\nX-Trailer: 1\r\n\r\n")
    elif mode == "badchunk":  # a size that is not hex, after a good chunk
        s.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n10\r\n" + body[:16] + b"\r\nzz\r\n")
        time.sleep(20)
    elif mode == "hopdribble" and n == 0:  # a redirect, then (the next connection) a dribble
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: /hop\r\nContent-Length: 0\r\n\r\n")
    elif mode == "hopdribble":
        s.sendall(ok + b"ETag: \"v1\"\r\nContent-Length: %d\r\n\r\n" % size)
        for b in body[:10]:
            s.sendall(bytes([b]))
            time.sleep(3)
    elif mode == "loop":      # a redirect to itself, for ever
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
    elif mode == "file":
        s.sendall(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n")
    elif mode == "bighead":   # a 1 MiB head
        s.sendall(ok + b"X-Big: " + b"a" * (1 << 20) + b"\r\nContent-Length: %d\r\n\r\n" % size + body)
    elif mode == "notfound":
        s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n")
    else:
        sys.exit("httpd.py: unknown mode " + mode)


def main(argv):
    mode, path, portfile = argv[1], argv[2], argv[3]
    tls = None
    if len(argv) > 5:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(argv[4], argv[5])
    with open(path, "rb") as f:
        body = f.read()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(30)
    port = ls.getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)
    end, n = time.time() + 30, 0
    while time.time() < end:
        try:
            s, _ = ls.accept()
        except socket.timeout:
            break
        try:
            if tls:
                s = tls.wrap_socket(s, server_side=True)
            head = read_head(s)
            if head is not None:
                print(head.split("\r\n")[0], flush=True)  # the request line, for the tests to count
                answer(s, mode, body, port, head, n)
                n += 1
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        s.close()  # over TLS: no close_notify (SSLSocket.close() does not send one)


if __name__ == "__main__":
    main(sys.argv)
