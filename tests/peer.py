#!/usr/bin/env python3
"""Scripted ZCP/1 and raw peers for the end-to-end tests.

An independent implementation of the frames of SPEC.md (W-2..W-4), so that the
C code is checked against the specification, not against itself.
"""
import os
import socket
import struct
import sys
import time

REQ = struct.Struct(">4sBBHQQ")     # magic, version, flags, name_len, offset, length
RESP = struct.Struct(">4sBBHQQQ")   # magic, version, status, name_len, size, offset, length
ACK = struct.Struct(">4sBBHQ")      # magic, version, status, reserved, received


def ident_frame(size, tag=0xA0):
    """An identity frame (SPEC W-15, version 2): the size, a 16-byte tag of `tag`
    bytes, 8 reserved zero bytes."""
    return b"ZCI1" + bytes([2, 0, 0, 0]) + struct.pack(">Q", size) + bytes([tag]) * 16 + bytes(8)


def recv_exact(s, n):
    """Exactly n bytes, in linear time: a peer that is slow to read megabytes
    would eat into the deadlines the tests measure."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if not k:
            raise EOFError("closed after %d of %d bytes" % (got, n))
        got += k
    return bytes(buf)


def wait_for(path, seconds=20):
    end = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("peer.py: timed out waiting for " + path)
        time.sleep(0.01)


def announced_listener(portfile, backlog=1):
    """A listening socket on a free port, its number written to portfile."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(backlog)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    return ls


def listen_and_announce(portfile):
    ls = announced_listener(portfile)
    conn, _ = ls.accept()
    ls.close()
    return conn


def client(port, out, pause_after=None, flagdir=None, ack=True):
    """Fetch the whole file; optionally stop reading after pause_after bytes until
    flagdir/go exists (flagdir/paused tells the test). Prints 'received N of M'."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(REQ.pack(b"ZCQ1", 1, 0, 0, 0, 0))
    magic, ver, status, nlen, size, off, length = RESP.unpack(recv_exact(s, RESP.size))
    assert (magic, ver) == (b"ZCR1", 1), (magic, ver)
    recv_exact(s, nlen)
    got = 0
    with open(out, "wb") as f:
        while True:
            if pause_after is not None and got >= pause_after:
                open(os.path.join(flagdir, "paused"), "w").close()
                wait_for(os.path.join(flagdir, "go"))
                pause_after = None
            data = s.recv(65536 if pause_after is None else min(65536, pause_after - got))
            if not data:
                break
            f.write(data)
            got += len(data)
    if ack:
        s.sendall(ACK.pack(b"ZCA1", 1, 0 if got == length else 1, 0, got))
    print("received %d of %d" % (got, length))
    s.close()


def fake_sender(portfile, declare, send, hang=False):
    """Answer one request declaring `declare` bytes, send `send` bytes, half-close;
    with hang, stall after sending instead. Prints the ack status it got."""
    s = listen_and_announce(portfile)
    recv_exact(s, REQ.size)
    s.sendall(RESP.pack(b"ZCR1", 1, 0, 1, declare, 0, declare) + b"f")
    s.sendall(bytes(i % 251 for i in range(send)))
    if hang:
        print("stalled at %.3f" % time.time(), flush=True)
        time.sleep(30)
        return
    s.shutdown(socket.SHUT_WR)
    data = s.recv(ACK.size)
    print("ack status %d" % ACK.unpack(data)[2] if len(data) == ACK.size else "no ack")


def dribble(s, data, pieces, interval):
    """Send data in `pieces` parts, `interval` seconds apart (a slow, steady peer).
    The first part goes at once: the time the peer took to get here (reading a
    payload, starting up) must not be added to the first gap the test measures."""
    step = max(1, -(-len(data) // pieces))
    for i in range(0, len(data), step):
        if i:
            time.sleep(interval)
        s.sendall(data[i:i + step])


def steady_sender(portfile, size, interval):
    """Answer one request slowly but steadily: the response in 4 parts, then the
    `size`-byte payload one byte at a time, `interval` seconds apart each. Prints
    the ack status it got."""
    s = listen_and_announce(portfile)
    recv_exact(s, REQ.size)
    dribble(s, RESP.pack(b"ZCR1", 1, 0, 1, size, 0, size) + b"f", 4, interval)
    dribble(s, bytes(i % 251 for i in range(size)), size, interval)
    s.shutdown(socket.SHUT_WR)
    data = recv_exact(s, ACK.size)
    print("ack status %d" % ACK.unpack(data)[2])


def steady_receiver(portfile, interval):
    """Take one push slowly but steadily: the request in 4 parts, `interval`
    seconds apart, then the ack whole (SPEC P-13: it is due whole) after one more
    `interval`. Prints the bytes received."""
    s = listen_and_announce(portfile)
    dribble(s, request(), 4, interval)
    resp = RESP.unpack(recv_exact(s, RESP.size))
    recv_exact(s, resp[3])
    got = len(recv_exact(s, resp[6]))
    dribble(s, ACK.pack(b"ZCA1", 1, 0, 0, got), 1, interval)
    print("received %d of %d" % (got, resp[6]))
    wait_closed(s, 5.0)


def serve_each(ls, conns, serve):
    """Accept `conns` connections on ls, each served by serve(conn) on a thread of
    its own; return when every one has ended."""
    import threading
    threads = []
    for _ in range(int(conns)):
        conn, _ = ls.accept()
        t = threading.Thread(target=serve, args=(conn,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


def parts_sender(portfile, size, cut, conns, late=None):
    """Serve `conns` connections of a --streams fetch of the `size`-byte file "f",
    whose byte i is i % 251, each on a thread: a probe is answered without payload;
    the part that starts at offset `cut` stops half-way and closes; the other parts
    are sent slowly (64 KiB every 0.5 s), so that a receiver that does not cut them
    at once is late. With `late` (seconds) the other parts are sent at once and the
    cut part closes only `late` seconds after its half, when they have ended.
    Prints how each connection ended."""
    import threading
    ls = announced_listener(portfile, 64)
    said = threading.Lock()

    def say(line):  # one whole line at a time: the threads' lines never run together
        with said:
            print(line, flush=True)

    def serve(s):
        magic, ver, flags, nlen, off, length = REQ.unpack(recv_exact(s, REQ.size))
        recv_exact(s, nlen + (40 if flags & 0x04 else 0))  # and the identity (W-16)
        length = size - off if length == 0 else min(length, size - off)
        s.sendall(RESP.pack(b"ZCR1", 1, 0, 1, size, off, length) + b"f")
        if flags & 0x02:
            s.sendall(ident_frame(size))
        if flags & 1:
            say("probe")
            s.close()
            return
        data = bytes((off + i) % 251 for i in range(length))
        try:
            if off == cut:
                s.sendall(data[:length // 2])
                if late is not None:
                    time.sleep(float(late))
                say("cut part at %d" % off)
            elif late is not None:
                s.sendall(data)
                say("part at %d sent" % off)
            else:
                for i in range(0, length, 65536):
                    s.sendall(data[i:i + 65536])
                    time.sleep(0.5)
                say("part at %d sent" % off)
        except OSError:
            say("part at %d dropped by the receiver" % off)
        s.close()

    serve_each(ls, conns, serve)


def two_file_sender(portfile, size, conns):
    """Serve `conns` connections of a --streams fetch of a `size`-byte file "f" as
    a source replaced between them would, or a hostile sender: the probe and the
    part at offset 0 come from version A (byte i is i % 251), every other part
    from version B (byte i is (i + 1) % 251), of the same size. An identity
    (SPEC W-15, version 2) is sent when asked for: A's or B's, honestly; the
    identity an IF_IDENT request brings (W-16) is read and ignored. Prints each
    connection's flags and how it ended."""
    import threading
    ls = announced_listener(portfile, 64)
    said = threading.Lock()

    def say(line):
        with said:
            print(line, flush=True)

    def serve(s):
        magic, ver, flags, nlen, off, length = REQ.unpack(recv_exact(s, REQ.size))
        recv_exact(s, nlen + (40 if flags & 0x04 else 0))
        length = size - off if length == 0 else min(length, size - off)
        version = 0 if off == 0 else 1
        s.sendall(RESP.pack(b"ZCR1", 1, 0, 1, size, off, length) + b"f")
        if flags & 0x02:
            s.sendall(ident_frame(size, 0xA0 + version))
        if flags & 0x01:
            say("probe flags %d" % flags)
            s.close()
            return
        try:
            s.sendall(bytes((off + i + version) % 251 for i in range(length)))
            s.shutdown(socket.SHUT_WR)
            ack = ACK.unpack(recv_exact(s, ACK.size))
            say("part at %d flags %d: ack %d" % (off, flags, ack[2]))
        except (OSError, EOFError):
            say("part at %d flags %d: dropped by the receiver" % (off, flags))
        s.close()

    serve_each(ls, conns, serve)


def idents(port, count):
    """Probe the served file `count` times with IDENT (SPEC W-14 W-15), each on a
    connection of its own, and print how many distinct identities came back."""
    seen = set()
    for _ in range(int(count)):
        s = socket.create_connection(("127.0.0.1", int(port)))
        s.sendall(REQ.pack(b"ZCQ1", 1, 0x03, 0, 0, 0))
        resp = RESP.unpack(recv_exact(s, RESP.size))
        recv_exact(s, resp[3])
        seen.add(recv_exact(s, 40))
        s.close()
    print("distinct identities: %d" % len(seen))


def wrong_hash_sender(portfile, size, how="zeros"):
    """Answer one request for the `size`-byte file "f" truthfully, but end it, if
    the request asked for a trailer (SPEC W-17), with a wrong one: a hash of zeros,
    a frame with a bad magic ("magic"), or none at all ("none"). Prints the flags
    asked for and the ack status it got."""
    s = listen_and_announce(portfile)
    magic, ver, flags, nlen, off, length = REQ.unpack(recv_exact(s, REQ.size))
    recv_exact(s, nlen)
    s.sendall(RESP.pack(b"ZCR1", 1, 0, 1, size, 0, size) + b"f")
    s.sendall(bytes(i % 251 for i in range(size)))
    if flags & 0x08 and how != "none":
        s.sendall((b"ZCX1" if how == "magic" else b"ZCT1") + b"\x01\x00\x00\x00" + bytes(16))
    s.shutdown(socket.SHUT_WR)
    data = recv_exact(s, ACK.size)
    print("flags %d ack status %d" % (flags, ACK.unpack(data)[2]))


def ident_client(port, how):
    """Ask with IF_IDENT (SPEC W-16) and follow with a bad identity frame ("magic")
    or nothing ("close"). Prints the response status, or how the sender ended it."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(REQ.pack(b"ZCQ1", 1, 0x04, 0, 0, 0))
    if how == "close":
        s.shutdown(socket.SHUT_WR)
        print("closed by the sender after %s bytes" % len(s.recv(100)))
        return
    s.sendall(b"ZCX1\x01\x00\x00\x00" + bytes(32))
    print("status %d" % RESP.unpack(recv_exact(s, RESP.size))[2])


def silent_sender(portfile):
    """Accept and never answer (tests the receiver's timeout)."""
    s = listen_and_announce(portfile)
    time.sleep(30)
    s.close()


def full_backlog(portfile):
    """Listen with a full accept queue and never accept: connects to it hang."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    held = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(ls.getsockname())
        except BlockingIOError:
            pass
        held.append(c)
    time.sleep(0.2)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    time.sleep(30)


def garbage(port):
    """Send a frame with a bad magic (lower case: upper case would begin an HTTP
    request, SPEC H-1); print the status of the answer, if any."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"garbage!" * 4)
    data = s.recv(RESP.size)
    print("status %d" % RESP.unpack(data)[2] if len(data) == RESP.size else "no answer")


def close_early(port, name=b""):
    """Ask for `name`, read the response header, then close (with a reset) without
    reading the payload."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request(name))
    recv_exact(s, RESP.size)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def raw_client(port, out, pause_after=None, flagdir=None):
    """Read to end of stream (the seed's client, but keeping the bytes); optionally
    pause as client() does. Prints 'eof N' after a clean end, 'reset N' after a reset."""
    s = socket.create_connection(("127.0.0.1", port))
    got = 0
    with open(out, "wb") as f:
        while True:
            if pause_after is not None and got >= pause_after:
                open(os.path.join(flagdir, "paused"), "w").close()
                wait_for(os.path.join(flagdir, "go"))
                pause_after = None
            try:
                data = s.recv(8192 if pause_after is None else min(8192, pause_after - got))
            except ConnectionResetError:
                print("reset %d" % got)
                return
            if not data:
                break
            f.write(data)
            got += len(data)
    print("eof %d" % got)


def raw_sender(port, path):
    """Connect and write a file, then close (a plain client pushing to --raw)."""
    s = socket.create_connection(("127.0.0.1", port))
    with open(path, "rb") as f:
        s.sendfile(f)
    s.close()


def raw_reset_sender(port, count):
    """Connect, send count bytes, then close with a reset (SO_LINGER 0): a raw
    sender that failed mid-transfer."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(bytes(i % 251 for i in range(count)))
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def request(name=b"", offset=0, length=0):
    return REQ.pack(b"ZCQ1", 1, 0, len(name), offset, length) + name


def wait_closed(s, seconds):
    """Read (and drop) until the other end closes or resets; returns the seconds it
    took, or None if it did not within `seconds`."""
    start = time.time()
    s.settimeout(seconds)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        return None
    except ConnectionResetError:
        pass
    return time.time() - start


def hold(port, seconds):
    """Connect and say nothing; print when the server gave up on us."""
    s = socket.create_connection(("127.0.0.1", port))
    print("held: connected", flush=True)  # in the server's accept queue now
    t = wait_closed(s, float(seconds))
    print("held: closed after %.1f s" % t if t is not None else "held: still open")


def trickle(s, data, interval, seconds, watch=True):
    """Send data one byte every `interval` seconds until the other end gives up on
    us (a send fails or, with watch, the stream ends: not for a peer that already
    half-closed); returns how long that took, or None when it had not after
    `seconds` (or every byte went)."""
    start = time.time()
    for byte in data:
        try:
            s.sendall(bytes([byte]))
        except OSError:
            break
        if not watch:
            time.sleep(float(interval))
            continue
        s.settimeout(float(interval))
        try:
            if not s.recv(1, socket.MSG_PEEK):
                break
        except socket.timeout:
            pass
        except OSError:
            break
        if time.time() - start > float(seconds):
            return None
    else:
        return None
    return time.time() - start


def drip(port, interval, seconds, name=b""):
    """Send a valid request one byte every `interval` seconds; print when the
    server gave up on us (a send fails or the stream ends)."""
    s = socket.create_connection(("127.0.0.1", port))
    print("drip: connected", flush=True)
    t = trickle(s, request(name), interval, seconds)
    print("drip: closed after %.1f s" % t if t is not None else "drip: still open")


def trickle_ack(port, interval, seconds):
    """Fetch the file whole, print the time its end of stream came, then send the
    ack a byte every `interval` seconds; print when the sender gave up on us."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request())
    resp = RESP.unpack(recv_exact(s, RESP.size))
    recv_exact(s, resp[3] + resp[6])
    if s.recv(1):
        sys.exit("peer.py: more than the declared payload")
    print("trickle-ack: payload ended at %.3f" % time.time(), flush=True)
    t = trickle(s, ACK.pack(b"ZCA1", 1, 0, 0, resp[6]), interval, seconds, watch=False)
    print("trickle-ack: closed after %.1f s" % t if t is not None else "trickle-ack: still open")


def trickle_request(port, interval, seconds, what="request"):
    """Connect (printing when) and send a request a byte every `interval` seconds;
    with what "ident", an IF_IDENT request at once and its identity frame (W-15, of
    no file) a byte at a time. Prints when the sender gave up on us."""
    s = socket.create_connection(("127.0.0.1", port))
    print("trickle-request: connected at %.3f" % time.time(), flush=True)
    slow = request()
    if what == "ident":
        s.sendall(REQ.pack(b"ZCQ1", 1, 0x04, 0, 0, 0))
        slow = b"ZCI1\x01\x00\x00\x00" + bytes(32)
    t = trickle(s, slow, interval, seconds)
    print("trickle-request: closed after %.1f s" % t if t is not None else "trickle-request: still open")


def trickle_push(port, interval, seconds, what="header", size=1000):
    """Push a `size`-byte file "f" to a receiver (printing when it connected), its
    response header a byte every `interval` seconds; with what "trailer", the
    header and payload at once (printing when) and the trailer (W-17) a byte every
    `interval` seconds instead. Prints when the receiver gave up on us."""
    s = socket.create_connection(("127.0.0.1", port))
    print("trickle-push: connected at %.3f" % time.time(), flush=True)
    q = REQ.unpack(recv_exact(s, REQ.size))
    recv_exact(s, q[3])
    head = RESP.pack(b"ZCR1", 1, 0, 1, size, 0, size) + b"f"
    slow = head
    if what == "trailer":
        s.sendall(head + bytes(size))
        print("trickle-push: payload sent at %.3f" % time.time(), flush=True)
        slow = b"ZCT1\x01\x00\x00\x00" + bytes(16)
    t = trickle(s, slow, interval, seconds)
    print("trickle-push: closed after %.1f s" % t if t is not None else "trickle-push: still open")


def verify_resume(port, times, gone=False):
    """Ask for the file's identity (IDENT with PROBE), then `times` times for its last
    10 bytes as a verified resume would (IF_IDENT and VERIFY: the hash from byte 0),
    acking each; prints each trailer's hash in hex. With gone, the last request's
    connection is closed once the payload came, before the trailer."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(REQ.pack(b"ZCQ1", 1, 0x03, 0, 0, 0))
    resp = RESP.unpack(recv_exact(s, RESP.size))
    recv_exact(s, resp[3])
    ident = recv_exact(s, 40)
    s.close()
    size = resp[4]
    for i in range(int(times)):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(REQ.pack(b"ZCQ1", 1, 0x0c, 0, size - 10, 10) + ident)
        resp = RESP.unpack(recv_exact(s, RESP.size))
        recv_exact(s, resp[3] + resp[6])
        if gone and i == int(times) - 1:
            s.close()
            print("verify-resume: gone before the trailer", flush=True)
            return
        trailer = recv_exact(s, 24)
        print("verify-resume: hash %s" % trailer[8:].hex(), flush=True)
        s.sendall(ACK.pack(b"ZCA1", 1, 0, 0, resp[6]))
        s.close()


def stall(port, seconds, name=b""):
    """Ask for `name`, read the response and a little payload, then stop reading
    (printing the time, so the test can match the server's drop against it); after
    `seconds`, read what is left: print how much of it arrived."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request(name))
    resp = RESP.unpack(recv_exact(s, RESP.size))
    recv_exact(s, resp[3] + 65536)
    print("stall: stopped at %.3f" % time.time(), flush=True)
    time.sleep(float(seconds))
    got = 65536
    try:
        while True:
            data = s.recv(1 << 20)
            if not data:
                break
            got += len(data)
    except ConnectionResetError:
        pass
    print("stall: got %d of %d" % (got, resp[6]))


def noack(port, seconds, name=b""):
    """Fetch `name` whole (printing the time it ended) and hold the ack back for
    `seconds`; then send it and print whether the server still took it."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request(name))
    resp = RESP.unpack(recv_exact(s, RESP.size))
    recv_exact(s, resp[3])
    got = 0
    while True:
        data = s.recv(1 << 20)
        if not data:
            break
        got += len(data)
    print("noack: %d bytes at %.3f" % (got, time.time()), flush=True)
    time.sleep(float(seconds))
    try:
        s.sendall(ACK.pack(b"ZCA1", 1, 0, 0, got))
        time.sleep(0.2)  # the reset of a closed server arrives
        s.sendall(ACK.pack(b"ZCA1", 1, 0, 0, got))
        print("noack: ack taken")
    except OSError:
        print("noack: ack refused")


def ask(port, name_hex):
    """Ask for a name given in hex (any bytes: NUL, '..'); print the status."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request(bytes.fromhex(name_hex)))
    data = recv_exact(s, RESP.size)
    print("status %d" % RESP.unpack(data)[2])


def loop(port, count, name):
    """Fetch `name` `count` times, one after another, checking the declared length
    arrives and acknowledging it. Prints "loop: N ok"."""
    ok = 0
    for _ in range(int(count)):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request(name.encode()))
        resp = RESP.unpack(recv_exact(s, RESP.size))
        recv_exact(s, resp[3])
        recv_exact(s, resp[6])
        s.sendall(ACK.pack(b"ZCA1", 1, 0, 0, resp[6]))
        s.close()
        ok += 1
    print("loop: %d ok" % ok)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "client":
        pause = int(args[2]) if len(args) > 2 else None
        client(int(args[0]), args[1], pause, args[3] if len(args) > 3 else None)
    elif cmd == "fake-sender":
        fake_sender(args[-1], int(args[0]), int(args[1]), "hang" in args)
    elif cmd == "steady-sender":
        steady_sender(args[-1], int(args[0]), float(args[1]))
    elif cmd == "steady-receiver":
        steady_receiver(args[-1], float(args[0]))
    elif cmd == "parts-sender":
        parts_sender(args[-1], int(args[0]), int(args[1]), int(args[2]), *args[3:-1])
    elif cmd == "idents":
        idents(args[0], args[1])
    elif cmd == "two-file-sender":
        two_file_sender(args[-1], int(args[0]), int(args[1]))
    elif cmd == "wrong-hash-sender":
        wrong_hash_sender(args[-1], int(args[0]), args[1] if len(args) > 2 else "zeros")
    elif cmd == "ident-client":
        ident_client(int(args[0]), args[1])
    elif cmd == "silent-sender":
        silent_sender(args[0])
    elif cmd == "full-backlog":
        full_backlog(args[0])
    elif cmd == "garbage":
        garbage(int(args[0]))
    elif cmd == "close-early":
        close_early(int(args[0]), args[1].encode() if len(args) > 1 else b"")
    elif cmd == "raw-client":
        pause = int(args[2]) if len(args) > 2 else None
        raw_client(int(args[0]), args[1], pause, args[3] if len(args) > 3 else None)
    elif cmd == "hold":
        hold(int(args[0]), args[1])
    elif cmd == "drip":
        drip(int(args[0]), args[1], args[2], args[3].encode() if len(args) > 3 else b"")
    elif cmd == "trickle-ack":
        trickle_ack(int(args[0]), args[1], args[2])
    elif cmd == "trickle-request":
        trickle_request(int(args[0]), args[1], args[2], args[3] if len(args) > 3 else "request")
    elif cmd == "trickle-push":
        trickle_push(int(args[0]), args[1], args[2], args[3] if len(args) > 3 else "header")
    elif cmd == "verify-resume":
        verify_resume(int(args[0]), args[1], "gone" in args)
    elif cmd == "stall":
        stall(int(args[0]), args[1], args[2].encode() if len(args) > 2 else b"")
    elif cmd == "noack":
        noack(int(args[0]), args[1], args[2].encode() if len(args) > 2 else b"")
    elif cmd == "ask":
        ask(int(args[0]), args[1])
    elif cmd == "loop":
        loop(int(args[0]), args[1], args[2])
    elif cmd == "raw-reset-sender":
        raw_reset_sender(int(args[0]), int(args[1]))
    elif cmd == "raw-sender":
        raw_sender(int(args[0]), args[1])
    else:
        sys.exit("peer.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
