#!/usr/bin/env python3
"""The seed experiment's Python peers, written for zcp's benchmark.

  pyseed.py serve-sendfile FILE   one client, socket.sendfile() of FILE
  pyseed.py serve-copy FILE       one client, 8 KiB read()/send() loop
  pyseed.py fetch PORT            8 KiB recv() loop to end of stream, bytes dropped

Servers listen on 127.0.0.1, print the port, serve one client and exit.
The client prints the number of bytes it received.
"""
import socket
import sys

CHUNK = 8192


def serve(path, use_sendfile):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        with conn, open(path, "rb") as f:
            if use_sendfile:
                conn.sendfile(f)
                return
            while True:
                block = f.read(CHUNK)
                if not block:
                    return
                conn.sendall(block)


def fetch(port):
    total = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        while True:
            block = s.recv(CHUNK)
            if not block:
                break
            total += len(block)
    print(total)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "fetch":
        fetch(int(sys.argv[2]))
    else:
        serve(sys.argv[2], cmd == "serve-sendfile")
