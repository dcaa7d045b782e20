#!/usr/bin/python3
"""Scripted HTTP/1.1 clients for tests/e2e/http*.sh, on raw sockets: they send what
no real client sends (malformed, hostile, thousands pipelined) and report exactly
what came back. Every wait is bounded.

  httpc.py ask PORT SECS [GATE]
      send stdin's bytes, then read until the server closes; the response bytes go
      to stdout. With GATE, nothing is read before the file GATE exists (a client
      that leaves a response in flight). Exit 0 when the server closed (EOF or reset; a reset is also said
      on stderr, "httpc: reset"), 2 when it had not closed after SECS.
  httpc.py later PORT SECS GATE
      connect, print "later: connected", and only once the file GATE exists send
      stdin's bytes; then as ask.
  httpc.py dribble PORT GAP SECS
      a request head that never ends, one byte every GAP seconds (a slowloris);
      prints "dribble: connected", then "dribble: closed after N.N s" and the
      response's status line. Exit 2 when still open after SECS.
  httpc.py pipeline PORT CONNS N FILE [SENT]
      CONNS connections at once, each sending SENT (default N) requests
      `GET / HTTP/1.1` in one send, request i with `Range: bytes=i-i`; the first N
      responses must be 206 with `Content-Range: bytes i-i/SIZE` and FILE's byte i,
      in order; the Nth must say `Connection: close` and the server must close after
      it, nothing more. Prints one line per connection; exit 1 on the first thing
      wrong.
"""
import os
import socket
import sys
import threading
import time


def connect(port, secs):
    s = socket.create_connection(("127.0.0.1", port), timeout=secs)
    s.settimeout(secs)
    return s


def read_to_close(s, secs):
    """Everything the server sends until it closes; (bytes, closed?)."""
    got, end = bytearray(), time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return bytes(got), False
        s.settimeout(left)
        try:
            k = s.recv(65536)
        except socket.timeout:
            return bytes(got), False
        except ConnectionResetError:
            print("httpc: reset", file=sys.stderr)
            return bytes(got), True
        if not k:
            return bytes(got), True
        got += k


def gate_open(gate, secs):
    """Waits (at most secs) for the file gate; False when it never came."""
    end = time.monotonic() + secs
    while not os.path.exists(gate):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def ask(port, secs, gate=None, later=False):
    req = sys.stdin.buffer.read()
    s = connect(port, secs)
    if later:
        print("later: connected", flush=True)
        if not gate_open(gate, secs):
            return 2
    try:
        s.sendall(req)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before taking it all: read its answer
    if gate and not later and not gate_open(gate, secs):
        return 2
    got, closed = read_to_close(s, secs)
    sys.stdout.buffer.write(got)
    return 0 if closed else 2


def dribble(port, gap, secs):
    head = b"GET / HTTP/1.1\r\nHost: zcp\r\n" + b"X-Slow: " + b"z" * 100000
    s = connect(port, secs)
    print("dribble: connected", flush=True)
    t0 = time.monotonic()
    for b in head:
        if time.monotonic() - t0 > secs:
            print("dribble: still open after %d s" % secs)
            return 2
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            break
        # the pause between bytes; the server's answer (or its close) ends the dribble
        s.settimeout(gap)
        try:
            s.recv(1, socket.MSG_PEEK)
        except socket.timeout:
            continue
        except ConnectionResetError:
            pass
        break
    got, closed = read_to_close(s, 5)
    print("dribble: closed after %.1f s" % (time.monotonic() - t0))
    print(got.split(b"\r\n", 1)[0].decode("latin-1"))
    return 0 if closed else 2


class Reader:
    """Responses off one socket: status line, headers, a Content-Length body."""

    def __init__(self, s):
        self.s, self.buf = s, bytearray()

    def fill(self):
        k = self.s.recv(1 << 20)
        if not k:
            raise EOFError("closed")
        self.buf += k

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        end = self.buf.index(b"\r\n\r\n")
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        del self.buf[:end + 4]
        hdr = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdr[k.strip().lower()] = v.strip()
        n = int(hdr.get("content-length", "0"))
        while len(self.buf) < n:
            self.fill()
        body = bytes(self.buf[:n])
        del self.buf[:n]
        return lines[0], hdr, body


def one_pipeline(port, n, sent, data, errors, tag):
    try:
        s = connect(port, 60)
        req = b"".join(b"GET / HTTP/1.1\r\nHost: zcp\r\nRange: bytes=%d-%d\r\n\r\n" % (i, i)
                       for i in range(sent))
        threading.Thread(target=send_quietly, args=(s, req), daemon=True).start()
        r = Reader(s)
        for i in range(n):
            status, hdr, body = r.response()
            want = "bytes %d-%d/%d" % (i, i, len(data))
            if not status.startswith("HTTP/1.1 206") or hdr.get("content-range") != want \
                    or body != data[i:i + 1]:
                raise ValueError("response %d: %r %r %r, want 206 %r" %
                                 (i, status, hdr.get("content-range"), body, want))
            if (i == n - 1) != (hdr.get("connection", "").lower() == "close"):
                raise ValueError("response %d: Connection: %r" % (i, hdr.get("connection")))
        rest, closed = read_to_close(s, 10)
        if rest or not closed:
            raise ValueError("after %d responses: %d more bytes, closed=%s" % (n, len(rest), closed))
        print("pipeline %d: %d of %d answered in order, then closed" % (tag, n, sent))
    except (OSError, EOFError, ValueError) as e:
        errors.append("pipeline %d: %s" % (tag, e))


def send_quietly(s, req):
    """All of req, or as much as the server takes before it closes."""
    try:
        s.sendall(req)
    except OSError:
        pass


def pipeline(port, conns, n, path, sent):
    with open(path, "rb") as f:
        data = f.read()
    errors, threads = [], []
    for c in range(conns):
        t = threading.Thread(target=one_pipeline, args=(port, n, sent, data, errors, c))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for e in errors:
        print(e)
    return 1 if errors else 0


def linger(port, path, go, secs):
    """Ask for path with Connection: close on a socket with a small receive buffer,
    reading nothing; once the file go exists (the server has sent its end), send one
    more request and then read to the close: print how many bytes came and whether
    the server reset the connection."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(secs)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: zcp\r\nConnection: close\r\n\r\n")
    print("linger: asked", flush=True)
    end = time.monotonic() + secs
    while not os.path.exists(go):
        if time.monotonic() > end:
            print("linger: never told to go")
            return 2
        time.sleep(0.02)
    try:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: zcp\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    got, reset = bytearray(), False
    try:
        while True:
            k = s.recv(65536)
            if not k:
                break
            got += k
    except ConnectionResetError:
        reset = True
    head, _, body = bytes(got).partition(b"\r\n\r\n")
    print("linger: body %d%s" % (len(body), " reset" if reset else ""))
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "ask" and len(argv) in (4, 5):
        return ask(int(argv[2]), float(argv[3]), argv[4] if len(argv) == 5 else None)
    if cmd == "later" and len(argv) == 5:
        return ask(int(argv[2]), float(argv[3]), argv[4], later=True)
    if cmd == "dribble" and len(argv) == 5:
        return dribble(int(argv[2]), float(argv[3]), float(argv[4]))
    if cmd == "linger" and len(argv) == 6:
        return linger(int(argv[2]), argv[3], argv[4], float(argv[5]))
    if cmd == "pipeline" and len(argv) in (6, 7):
        n = int(argv[4])
        return pipeline(int(argv[2]), int(argv[3]), n, argv[5], int(argv[6]) if len(argv) == 7 else n)
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
