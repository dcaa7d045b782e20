#!/usr/bin/env python3
"""zcp benchmark: the seed experiment (a file served over loopback to a client that
discards it, timed many times) with zcp, the tools people would otherwise use, and a
bare-kernel ceiling, side by side in one interleaved run.

    bench.py BUILD_DIR [--quick]

Environment: BENCH_SIZE (default 1G), BENCH_RUNS (default 20), BENCH_DIR (where the
payload lives, default /tmp), BENCH_OUT (default bench/results), BENCH_CLIENTS (the
receivers at once in the concurrency part, default 200), BENCH_PIN (both: every row
unpinned and the key rows pinned too, the default; 1: all pinned; 0: none),
BENCH_ONLY (a regex of configuration names; the other parts are then left out, but for
the HTTP rows that match it, bench/httprows.py: BENCH_ONLY=^http- runs only those, and
the fetch rows, bench/fetchrows.py: BENCH_ONLY=^fetch-).
Writes OUT/DATE-HOST.md, .csv, -times.png, -cpu.png and copies them to OUT/latest.*.
--quick: 64M, 3 runs, 20 receivers at once, no plots needed; fails unless every
configuration completed and moved the right byte count (CI's check that the harness
works, not a measurement).
"""
import csv
import datetime
import json
import os
import platform
import pwd
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import concurrency
import fetchrows
import httprows
import stats

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 1 << 30
PINNED = " [pinned]"
# the rows measured pinned as well when BENCH_PIN=both (the default)
PIN_BOTH = r"^(zcp sendfile > splice-discard|zcp copy > copy-discard|ceiling sendfile > splice|" \
           r"iperf3 -Z -F|python sendfile)$"


def parse_size(text):
    units = {"K": 10, "M": 20, "G": 30, "T": 40}
    text = text.strip().upper()
    if text and text[-1] in units:
        return int(text[:-1]) << units[text[-1]]
    return int(text)


class Config:
    """One way of moving the file: a server command, a client command, and how to
    read the port and the byte count from their output."""

    def __init__(self, name, group, server, client, needs=(), port_from="stderr",
                 moved=None, disk=False, pin=False, stop=False, streams=1, slack=0):
        self.name, self.group, self.server, self.client = name, group, server, client
        self.needs, self.port_from, self.moved, self.disk = needs, port_from, moved, disk
        self.pin, self.stop, self.streams = pin, stop, streams  # stop: SIGTERM ends the server
        self.slack = slack  # bytes a tool may move past the file (iperf3 -P N -F rounds up)

    def pinned(self):
        """The same configuration with the server on CPU 0 and the client on CPU 1."""
        return Config(self.name + PINNED, self.group, self.server, self.client, self.needs,
                      self.port_from, self.moved, self.disk, pin=True, stop=self.stop,
                      streams=self.streams, slack=self.slack)

    def missing(self):
        return [tool for tool in self.needs if shutil.which(tool) is None]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zcp_moved(server_err, client_err, client_out):
    m = re.search(r"received (\d+) bytes", client_err)
    return int(m.group(1)) if m else None


def raw_moved(server_err, client_err, client_out):
    m = re.search(r" bytes=(\d+) ", server_err)
    return int(m.group(1)) if m else None


def stdout_moved(server_err, client_err, client_out):
    last = client_out.strip().splitlines()[-1:] or ["x"]
    return int(last[0]) if last[0].isdigit() else None


def iperf_moved(server_err, client_err, client_out):
    end = json.loads(client_out)["end"]
    # what the sender moved; iperf3 reports the receiver short at times (ANCHORS)
    return end["sum_sent"]["bytes"]


def configs(build, outdir):
    send, recv = os.path.join(build, "zcp-send"), os.path.join(build, "zcp-recv")
    ceiling = os.path.join(build, "bench-ceiling")
    py = [sys.executable, os.path.join(HERE, "pyseed.py")]
    out = os.path.join(outdir, "received.bin")
    result = []
    for sp in ("copy", "sendfile", "splice"):
        for rp in ("copy", "splice"):
            result.append(Config(
                "zcp %s > %s-discard" % (sp, rp), "zcp",
                lambda f, port, sp=sp: [send, "-v", "--once", "-p", sp, "-l", "127.0.0.1:0", f],
                lambda port, f, rp=rp: [recv, "-v", "-p", rp, "-c", "127.0.0.1:%d" % port, "--discard"],
                moved=zcp_moved))
    for rp, extra in (("copy", []), ("splice", []), ("splice", ["--verify"])):
        result.append(Config(
            "zcp sendfile > %s-disk%s" % (rp, " --verify" if extra else ""), "disk",
            lambda f, port: [send, "-v", "--once", "-l", "127.0.0.1:0", f],
            lambda port, f, rp=rp, extra=extra: [recv, "-v", "-p", rp, "-c", "127.0.0.1:%d" % port, "-o", out,
                                                 "--force"] + extra,
            moved=zcp_moved, disk=True))
    result += [
        Config("python sendfile", "peer", lambda f, port: py + ["serve-sendfile", f],
               lambda port, f: py + ["fetch", str(port)], needs=["python3"], port_from="stdout",
               moved=stdout_moved),
        Config("python read/send", "peer", lambda f, port: py + ["serve-copy", f],
               lambda port, f: py + ["fetch", str(port)], needs=["python3"], port_from="stdout",
               moved=stdout_moved),
        Config("iperf3 -Z -F", "peer", lambda f, port: ["iperf3", "-s", "-1", "--forceflush", "-p", str(port)],
               lambda port, f: ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-F", f, "-J", "-Z"],
               needs=["iperf3"], port_from="fixed", moved=iperf_moved),
        Config("iperf3 -F", "peer", lambda f, port: ["iperf3", "-s", "-1", "--forceflush", "-p", str(port)],
               lambda port, f: ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-F", f, "-J"],
               needs=["iperf3"], port_from="fixed", moved=iperf_moved),
        Config("zcp --raw > socat", "peer",
               lambda f, port: [send, "-v", "--once", "--raw", "-l", "127.0.0.1:0", f],
               lambda port, f: ["socat", "-u", "TCP:127.0.0.1:%d" % port, "OPEN:/dev/null"],
               needs=["socat"], moved=raw_moved),
        Config("zcp --raw > nc", "peer",
               lambda f, port: [send, "-v", "--once", "--raw", "-l", "127.0.0.1:0", f],
               lambda port, f: ["nc", "-d", "127.0.0.1", str(port)], needs=["nc"], moved=raw_moved),
    ] + streams_configs(send, recv) + tls_configs(send, recv, outdir) + ssh_configs(send, recv, outdir) + [
        # the ceiling: sendfile in 2 MiB calls on a non-blocking socket with TCP_NOTSENT_LOWAT
        # 1 MiB, poll when full (the loop zcp's server runs, without the protocol); the naive
        # one (a single blocking sendfile of the whole file) is kept to show what tuning buys
        Config("ceiling sendfile > splice", "ceiling", lambda f, port: [ceiling, "serve", f],
               lambda port, f: [ceiling, "fetch", str(port)], port_from="stdout", moved=stdout_moved),
        Config("ceiling-naive sendfile > splice", "ceiling", lambda f, port: [ceiling, "serve-naive", f],
               lambda port, f: [ceiling, "fetch", str(port)], port_from="stdout", moved=stdout_moved),
    ]
    return result


def select(cfgs, pin, only):
    """The configurations of this run: BENCH_PIN both (each unpinned, and the PIN_BOTH
    rows pinned too), 1 (all pinned) or 0 (none); BENCH_ONLY, a regex, keeps the
    matching names."""
    if pin not in ("both", "0", "1"):
        raise SystemExit("bench: BENCH_PIN must be both, 0 or 1, not %r" % pin)
    if pin == "1":
        cfgs = [c.pinned() for c in cfgs]
    elif pin == "both":
        cfgs = cfgs + [c.pinned() for c in cfgs if re.search(PIN_BOTH, c.name)]
    return [c for c in cfgs if not only or re.search(only, c.name)]


STREAMS = (1, 2, 4, 8)


def streams_configs(send, recv):
    """Issue 11 part 2: one transfer over N connections (zcp-recv --streams N from
    zcp-send --workers 2, one event loop per core), and iperf3 -P N -Z -F beside it."""
    result = []
    for n in STREAMS:
        result.append(Config(
            "zcp --streams %d (--workers 2)" % n, "streams",
            lambda f, port: [send, "-q", "--workers", "2", "-l", "127.0.0.1:0", f],
            lambda port, f, n=n: [recv, "-v", "--streams", str(n), "-c", "127.0.0.1:%d" % port, "--discard"],
            moved=zcp_moved, stop=True, streams=n))
    for n in STREAMS[1:]:
        result.append(Config(
            "iperf3 -P %d -Z -F" % n, "streams",
            lambda f, port: ["iperf3", "-s", "-1", "--forceflush", "-p", str(port)],
            lambda port, f, n=n: ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-F", f, "-J", "-Z",
                                  "-P", str(n)],
            needs=["iperf3"], port_from="fixed", moved=iperf_moved, streams=n, slack=n << 20))
    return result


def tls_files(outdir):
    """Issue 17: a PSK file (mode 600) and a self-signed certificate for 127.0.0.1 in
    outdir, made once with openssl; None where openssl is missing."""
    d = os.path.join(outdir, "tls")
    psk, cert, key = (os.path.join(d, n) for n in ("psk", "cert.pem", "cert.key"))
    if not shutil.which("openssl"):
        return None
    if not os.path.exists(psk):
        os.makedirs(d, exist_ok=True)
        hexkey = subprocess.check_output(["openssl", "rand", "-hex", "32"], text=True).strip()
        fd = os.open(psk, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, ("zcp:%s\n" % hexkey).encode())
        os.close(fd)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, stderr=subprocess.DEVNULL)
    return psk, cert, key


def tls_configs(send, recv, outdir):
    """Issue 17: zcp over TLS 1.3 (a PSK, and certificates) single stream and --streams 2
    with --workers 2, beside plain zcp; socat's OpenSSL as a client of a --raw --cert
    sender. User-space TLS here (no kTLS): the copy path on both sides."""
    files = tls_files(outdir)
    if not files:
        return [Config("zcp TLS " + n, "tls", None, None, needs=["openssl"])
                for n in ("psk > discard", "cert > discard", "psk --streams 2 (--workers 2)")]
    psk, cert, key = files
    auth = {"psk": (["--psk-file", psk], ["--psk-file", psk]),
            "cert": (["--cert", cert, "--key", key], ["--ca", cert])}
    result = []
    for how, (sa, ra) in auth.items():
        result.append(Config(
            "zcp TLS %s > discard" % how, "tls",
            lambda f, port, sa=sa: [send, "-v", "--once", "-l", "127.0.0.1:0"] + sa + [f],
            lambda port, f, ra=ra: [recv, "-v", "-c", "127.0.0.1:%d" % port, "--discard"] + ra,
            needs=["openssl"], moved=zcp_moved))
    sa, ra = auth["psk"]
    result.append(Config(
        "zcp TLS psk --streams 2 (--workers 2)", "tls",
        lambda f, port: [send, "-q", "--workers", "2", "-l", "127.0.0.1:0"] + sa + [f],
        lambda port, f: [recv, "-v", "--streams", "2", "-c", "127.0.0.1:%d" % port, "--discard"] + ra,
        needs=["openssl"], moved=zcp_moved, stop=True, streams=2))
    result.append(Config(
        "zcp --raw TLS cert > socat OPENSSL", "tls",
        lambda f, port: [send, "-v", "--once", "--raw", "-l", "127.0.0.1:0", "--cert", cert, "--key", key, f],
        lambda port, f: ["socat", "-u", "OPENSSL:127.0.0.1:%d,cafile=%s,verify=1" % (port, cert), "OPEN:/dev/null"],
        needs=["openssl", "socat"], moved=raw_moved))
    return result


def no_server(f, port):
    """A stand-in server for a client that brings its own (sshd as a ProxyCommand)."""
    return ["echo", "0"]


def file_moved(server_err, client_err, client_out):
    """A disk row's bytes are the received file's size (run_once reads it)."""
    return None


SSHD = "/usr/sbin/sshd"
SSH_CIPHER = "aes128-gcm@openssh.com"  # the AEAD of zcp's PSK suite (TLS_AES_128_GCM_SHA256)


def ssh_options(outdir):
    """Issue 17: ssh options that reach a throwaway sshd (Debian's openssh-server) run
    as the client's ProxyCommand (`sshd -i`, as OpenSSH's own regression tests do):
    its own host key, a key of its own for this user, no daemon left behind. None
    where ssh-keygen or sshd is missing. sshd's CPU is counted with the client's."""
    if not shutil.which("ssh-keygen") or not shutil.which(SSHD):
        return None
    d = os.path.join(outdir, "ssh")
    cfg = os.path.join(d, "sshd_config")
    if not os.path.exists(cfg):
        os.makedirs(d, exist_ok=True)
        for key in ("host", "id"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, key)], check=True)
        shutil.copyfile(os.path.join(d, "id.pub"), os.path.join(d, "authorized_keys"))
        with open(cfg, "w") as f:
            f.write("HostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
                    "Subsystem sftp internal-sftp\nLogLevel ERROR\nPidFile none\n" % (
                        os.path.join(d, "host"), os.path.join(d, "authorized_keys")))
        if os.geteuid() == 0:  # sshd's privilege separation directory, as its service makes it
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    return ["-c", SSH_CIPHER, "-i", os.path.join(d, "id"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "ProxyCommand=%s -i -f %s" % (SSHD, cfg)]


def ssh_configs(send, recv, outdir):
    """Issue 17: scp and rsync -e ssh into a file, beside zcp over TLS into a file. The
    ssh rows have no server of their own to start (sshd comes with the client): a
    stand-in prints port 0 and exits."""
    out = os.path.join(outdir, "received.bin")
    opts = ssh_options(outdir)
    tls = tls_files(outdir)
    result = []
    if tls:
        result.append(Config(
            "zcp TLS psk > disk", "tls",
            lambda f, port: [send, "-v", "--once", "-l", "127.0.0.1:0", "--psk-file", tls[0], f],
            lambda port, f: [recv, "-v", "-c", "127.0.0.1:%d" % port, "--psk-file", tls[0], "-o", out, "--force"],
            needs=["openssl"], moved=zcp_moved, disk=True))
    user = "%s@localhost" % pwd.getpwuid(os.getuid()).pw_name
    for name, client in (
            ("scp (%s) > disk" % SSH_CIPHER, lambda port, f: ["scp", "-q"] + (opts or []) + ["%s:%s" % (user, f), out]),
            ("rsync -e ssh (%s) > disk" % SSH_CIPHER,
             lambda port, f: ["rsync", "-e", " ".join(["ssh"] + ["'%s'" % o for o in (opts or [])]),
                              "%s:%s" % (user, f), out])):
        result.append(Config(name, "tls", no_server, client, needs=["ssh-keygen", SSHD, name.split()[0]],
                             port_from="stdout", moved=file_moved, disk=True))
    return result


def tls_lines(by):
    """Issue 17: what TLS costs per GiB over plain zcp, --streams 2 over TLS against
    one TLS stream (aim >= 1.6), and zcp over TLS into a file against scp and rsync
    over ssh (aims: >= 2x the speed, <= 0.6x the CPU per GiB); for the unpinned rows,
    then the pinned ones, where the run has them."""
    lines = []
    for pin in ("", PINNED):
        lines += tls_lines_of(by, pin)
    return lines


def tls_lines_of(by, pin):
    """tls_lines() for the rows named with the suffix pin ("" or PINNED)."""
    plain, psk = by.get("zcp copy > copy-discard" + pin), by.get("zcp TLS psk > discard" + pin)
    if not plain or not psk:
        return []
    lines = ["", "TLS%s (user-space: this kernel has no kTLS; both sides on the copy path):" % pin,
             "- CPU per GiB, both sides: plain zcp copy %.3f s, TLS psk %.3f s (+%.3f s/GiB); "
             "speed: plain / TLS median = %.2f" % (plain["cpu"], psk["cpu"], psk["cpu"] - plain["cpu"],
                                                   plain["median"] / psk["median"])]
    two = by.get("zcp TLS psk --streams 2 (--workers 2)" + pin)
    if two:
        gain = psk["median"] / two["median"]
        lines.append("- --streams 2 over TLS against one TLS stream: %.2f x (aim >= 1.6: %s)%s" % (
            gain, stats.aim(gain, ">=", 1.6), "; pinned, the sender's parts share CPU 0" if pin else ""))
    disk = by.get("zcp TLS psk > disk" + pin)
    for peer in ("scp (%s) > disk" % SSH_CIPHER, "rsync -e ssh (%s) > disk" % SSH_CIPHER):
        p = by.get(peer + pin)
        if disk and p:
            speed, cpu = p["median"] / disk["median"], disk["cpu"] / p["cpu"]
            lines.append("- zcp TLS psk > disk against %s: speed %.2f x (aim >= 2: %s), CPU per GiB "
                         "%.2f of it (aim <= 0.6: %s)" % (peer + pin, speed, stats.aim(speed, ">=", 2.0), cpu,
                                                           stats.aim(cpu, "<=", 0.6)))
    return lines


def config_named(build, tmp, name):
    """The configuration called name (never picked by its position in the list)."""
    for cfg in configs(build, tmp):
        if cfg.name == name:
            return cfg
    raise KeyError("no configuration named %r" % name)


def wait_port(cfg, path, proc, deadline=20.0):
    pattern = re.compile(r"listening on .*:(\d+)$" if cfg.port_from == "stderr" else
                         r"Server listening on (\d+)" if cfg.port_from == "fixed" else r"^(\d+)$")
    end = time.time() + deadline
    while time.time() < end:
        with open(path) as f:
            for line in f:
                m = pattern.search(line.strip())
                if m:
                    return int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    raise RuntimeError("%s: server did not report a port" % cfg.name)


def measured(runner, result, argv):
    """argv run under the runner, which records status, CPU and peak RSS in result."""
    return [runner, result] + argv


def on_alarm(signum, frame):
    raise TimeoutError("a run took longer than its time limit")


def usage_of(proc, result, timeout=600):
    """Wait for a runner; returns (status, user_s, sys_s, maxrss_kib, context_switches).
    A blocking wait under an alarm: Popen.wait(timeout=) polls in sleeps of up to
    50 ms, which would round every measured time up to that grid."""
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    try:
        proc.wait()
    finally:
        signal.alarm(0)
    with open(result) as f:
        status, user, sys_s, rss, csw = f.read().split()
    return int(status), float(user), float(sys_s), int(rss), int(csw)


def pinned(cpu, pin=True):
    """Pin a child to one CPU: with two cores the server and the client each get their
    own, so the scheduler moving them adds less noise (users do not pin: both are reported)."""
    if not pin or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def run_once(cfg, payload, tmp, runner, strace_to=None):
    """One transfer. Returns a dict of measurements; raises on failure."""
    s_out, s_err = os.path.join(tmp, "server.out"), os.path.join(tmp, "server.err")
    c_out, c_err = os.path.join(tmp, "client.out"), os.path.join(tmp, "client.err")
    s_res, c_res = os.path.join(tmp, "server.res"), os.path.join(tmp, "client.res")
    port = free_port() if cfg.port_from == "fixed" else 0
    wrap = (lambda side, argv: ["strace", "-f", "-c", "-o", strace_to + "." + side] + argv) \
        if strace_to else (lambda side, argv: argv)
    with open(s_out, "w") as so, open(s_err, "w") as se:
        server = subprocess.Popen(measured(runner, s_res, wrap("server", cfg.server(payload, port))),
                                  stdout=so, stderr=se, start_new_session=True, preexec_fn=pinned(0, cfg.pin))
    client = None
    try:
        port = wait_port(cfg, s_out if cfg.port_from in ("stdout", "fixed") else s_err, server)
        # raw clients print the payload: it goes nowhere, the sender reports the count
        with open(os.devnull if cfg.moved is raw_moved else c_out, "w") as co, open(c_err, "w") as ce:
            t0 = time.perf_counter()
            client = subprocess.Popen(measured(runner, c_res, wrap("client", cfg.client(port, payload))),
                                      stdout=co, stderr=ce, stdin=subprocess.DEVNULL,
                                      start_new_session=True, preexec_fn=pinned(1, cfg.pin))
            c_status, c_user, c_sys, c_rss, c_csw = usage_of(client, c_res)
            wall = time.perf_counter() - t0
        if cfg.stop:  # the runner passes it on; the sender drains nothing and exits 0
            server.send_signal(signal.SIGTERM)
        s_status, s_user, s_sys, s_rss, s_csw = usage_of(server, s_res, timeout=60)
    except BaseException:
        for proc in (server, client):  # a failed or timed-out run leaves nothing running
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
        raise
    texts = [open(p, errors="replace").read() for p in (s_err, c_err, c_out)]
    if c_status != 0 or s_status != 0:
        raise RuntimeError("%s: exit statuses %d/%d: %s" % (cfg.name, s_status, c_status,
                                                             (texts[0] + texts[1])[-300:]))
    moved = cfg.moved(*texts)
    if cfg.disk:
        moved = os.path.getsize(os.path.join(tmp, "received.bin"))
        os.unlink(os.path.join(tmp, "received.bin"))
        os.sync()  # untimed: keep this run's writeback out of the next configuration's time
    return {"wall": wall, "moved": moved, "s_user": s_user, "s_sys": s_sys, "s_rss": s_rss,
            "c_user": c_user, "c_sys": c_sys, "c_rss": c_rss, "csw": s_csw + c_csw}


def strace_calls(path):
    """Total calls in an `strace -c` summary."""
    total = 0
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[-1] != "total" and re.match(r"^\d+\.\d+$", fields[0]):
                total += int(fields[3])
    return total



def summarise(cfg, rows, size):
    walls = [r["wall"] for r in rows]
    gib = size / GIB
    med = statistics.median
    return {
        "name": cfg.name, "group": cfg.group, "runs": len(rows),
        "median": med(walls), "mean": statistics.mean(walls),
        "stdev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
        "min": min(walls), "p95": stats.percentile(walls, 95), "ci": stats.median_ci(walls),
        "cpu": med([r["s_user"] + r["s_sys"] + r["c_user"] + r["c_sys"] for r in rows]) / gib,
        "csw": med([r["csw"] for r in rows]),
        "mib_s": size / (1 << 20) / med(walls),
        "s_user": med([r["s_user"] for r in rows]) / gib, "s_sys": med([r["s_sys"] for r in rows]) / gib,
        "c_user": med([r["c_user"] for r in rows]) / gib, "c_sys": med([r["c_sys"] for r in rows]) / gib,
        "s_rss": max(r["s_rss"] for r in rows) / 1024, "c_rss": max(r["c_rss"] for r in rows) / 1024,
    }


def cache_state(path):
    try:
        out = subprocess.run(["fincore", "-b", "-n", "-o", "RES,SIZE", path], capture_output=True,
                             text=True, check=True).stdout.split()
        return "%.1f%% of the file in the page cache" % (100.0 * int(out[0]) / max(1, int(out[1])))
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return "unknown (fincore unavailable)"


def make_payload(path, size):
    with open("/dev/urandom", "rb") as src, open(path, "wb") as dst:
        left = size
        while left:
            block = src.read(min(left, 1 << 24))
            dst.write(block)
            left -= len(block)
    with open(path, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass


def sparse_rss(build, tmp, runner, size):
    """Peak RSS of zcp-send (sendfile) serving a sparse file of `size` bytes."""
    path = os.path.join(tmp, "sparse.bin")
    with open(path, "wb") as f:
        f.truncate(size)
    cfg = config_named(build, tmp, "zcp sendfile > splice-discard")
    row = run_once(cfg, path, tmp, runner)
    os.unlink(path)
    if row["moved"] != size:
        raise RuntimeError("sparse run moved %s of %d bytes" % (row["moved"], size))
    return row["s_rss"] / 1024, row["wall"]


def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"


def write_report(base, size, runs, summaries, skipped, calls, cache, extra, quick):
    by = {s["name"]: s for s in summaries}
    refs = [("python sendfile", "py sendfile"), ("iperf3 -Z -F", "iperf3 -Z"),
            ("zcp copy > copy-discard", "zcp copy"), ("ceiling sendfile > splice", "ceiling")]
    lines = ["# zcp benchmark: %s" % os.path.basename(base), "",
             "Command: `make bench BENCH_SIZE=%s BENCH_RUNS=%d` (interleaved runs in a shuffled order "
             "each round, medians; "
             "the seed's setup is `BENCH_SIZE=4G BENCH_RUNS=100`)." % (os.environ.get("BENCH_SIZE", "1G"), runs),
             "", "- kernel %s, %s, %d CPUs, Python %s" % (
                 platform.release(), cpu_model(), os.cpu_count(), platform.python_version()),
             "- payload %d bytes of random data; %s before the runs" % (size, cache),
             "- wall time is the client's, from its start to its exit; CPU is getrusage of each "
             "process per GiB moved (median); RSS is the peak over all runs",
             "- rows run unpinned, as users run them; rows marked%s run the server on CPU 0 and the "
             "client on CPU 1 (BENCH_PIN: both, 1 = all pinned, 0 = none)" % PINNED,
             "- 95% CI: bootstrap interval of the median (2000 resamples); two rows whose intervals "
             "overlap are not told apart by this run; context switches: median per run, both "
             "processes (getrusage)",
             "- syscalls: total calls of server + client in one extra untimed run under `strace -f -c` "
             "(- where the server is stopped by a signal, which would end strace first)",
             "", "| configuration | median s | 95% CI s | mean s | stdev | min s | p95 s | MiB/s | "
             "send CPU s/GiB (usr+sys) | recv CPU s/GiB (usr+sys) | syscalls (send/recv) | "
             "ctx switches | send RSS MiB | recv RSS MiB | " +
             " | ".join("vs " + short for _, short in refs) + " |",
             "|" + "---|" * (14 + len(refs))]
    for s in summaries:
        sc = calls.get(s["name"], ("-", "-"))
        suffix = PINNED if s["name"].endswith(PINNED) else ""
        lines.append("| %s | %.3f | %.3f-%.3f | %.3f | %.1f%% | %.3f | %.3f | %.0f | %.3f+%.3f | %.3f+%.3f "
                     "| %s/%s | %.0f | %.1f | %.1f | %s |" % (
                         s["name"], s["median"], s["ci"][0], s["ci"][1], s["mean"],
                         100 * s["stdev"] / s["mean"], s["min"],
                         s["p95"], s["mib_s"], s["s_user"], s["s_sys"], s["c_user"], s["c_sys"],
                         sc[0], sc[1], s["csw"], s["s_rss"], s["c_rss"],
                         " | ".join(ratio(by[ref + suffix]["median"], s["median"]) if ref + suffix in by
                                    else "-" for ref, _ in refs)))
    lines += ["", "Ratios are speed-ups: the reference's median time divided by this row's "
              "(above 1 means this row is faster); a pinned row is compared with the pinned "
              "references."] + aims_lines(by) + streams_lines(by, base, quick) + tls_lines(by)
    if skipped:
        lines += ["", "Skipped (tool not installed; `ci/install-deps.sh --all` installs it): " +
                  ", ".join(skipped)]
    lines += [""] + extra
    text = "\n".join(lines) + "\n"
    with open(base + ".md", "w") as f:
        f.write(text)
    return text


def aims_lines(by):
    """The single-stream aims (issues 11, 16): zcp sendfile > splice against the tuned
    ceiling (non-blocking 2 MiB sendfile calls, TCP_NOTSENT_LOWAT 1 MiB, poll), unpinned
    and pinned, each figure with its verdict; the naive ceiling for comparison."""
    lines = []
    for suffix, how in (("", "unpinned"), (PINNED, "pinned")):
        z, c = by.get("zcp sendfile > splice-discard" + suffix), by.get("ceiling sendfile > splice" + suffix)
        if not z or not c:
            continue
        wall, cpu = c["median"] / z["median"], c["cpu"] / z["cpu"]
        spread = (z["stdev"] / z["mean"]) / max(1e-9, c["stdev"] / c["mean"])
        lines += ["", "Aims, %s (zcp sendfile > splice-discard against the tuned ceiling: non-blocking "
                  "2 MiB sendfile calls, TCP_NOTSENT_LOWAT 1 MiB, poll; same run):" % how,
                  "- speed: ceiling median / zcp median = %.3f (aim >= 0.95: %s); 95%% CIs %s" % (
                      wall, stats.aim(wall, ">=", 0.95),
                      "overlap" if stats.overlap(z["ci"], c["ci"]) else "apart"),
                  "- CPU per GiB, both sides: ceiling %.3f s, zcp %.3f s, efficiency %.3f (aim >= 0.95: %s)"
                  % (c["cpu"], z["cpu"], cpu, stats.aim(cpu, ">=", 0.95)),
                  "- spread (stdev/mean): zcp %.1f%%, ceiling %.1f%%, ratio %.2f (aim <= 1.2: %s)" % (
                      100 * z["stdev"] / z["mean"], 100 * c["stdev"] / c["mean"], spread,
                      stats.aim(spread, "<=", 1.2)),
                  "- context switches per run: zcp %.0f, ceiling %.0f" % (z["csw"], c["csw"])]
        naive = by.get("ceiling-naive sendfile > splice" + suffix)
        if naive:
            lines.append("- the naive ceiling (one blocking sendfile of the whole file): median %.3f s, "
                         "%.3f s/GiB of CPU; speed-up over it: tuned ceiling %.2f x, zcp %.2f x" % (
                             naive["median"], naive["cpu"], naive["median"] / c["median"],
                             naive["median"] / z["median"]))
    return lines


def streams_lines(by, base, quick):
    """Issue 11 part 2: throughput, CPU and spread against N, with the aims for N = 2
    and a plot of throughput against N."""
    one = by.get("zcp sendfile > splice-discard")
    ceiling = by.get("ceiling sendfile > splice")
    rows = [(n, by.get("zcp --streams %d (--workers 2)" % n),
             by.get("iperf3 -Z -F" if n == 1 else "iperf3 -P %d -Z -F" % n)) for n in STREAMS]
    if not one or not ceiling or not any(z for _, z, _ in rows):
        return []
    lines = ["", "## Parallel streams (zcp-recv --streams N from zcp-send --workers 2), unpinned", "",
             "| N | zcp MiB/s | zcp CPU s/GiB | zcp spread | vs zcp 1 stream | vs ceiling | "
             "iperf3 -P N -Z -F MiB/s | iperf3 CPU s/GiB |", "|---|---|---|---|---|---|---|---|"]
    for n, z, i in rows:
        if not z:
            continue
        lines.append("| %d | %.0f | %.3f | %.1f%% | %.2f | %.2f | %s | %s |" % (
            n, z["mib_s"], z["cpu"], 100 * z["stdev"] / z["mean"], one["median"] / z["median"],
            ceiling["median"] / z["median"], "%.0f" % i["mib_s"] if i else "-", "%.3f" % i["cpu"] if i else "-"))
    two = by.get("zcp --streams 2 (--workers 2)")
    if two:
        a, b = one["median"] / two["median"], ceiling["median"] / two["median"]
        lines += ["", "Aims for N = 2: %.2f x the single-stream zcp (aim >= 1.4: %s), %.2f x the "
                  "single-stream ceiling (aim >= 1.2: %s)." % (a, stats.aim(a, ">=", 1.4), b,
                                                               stats.aim(b, ">=", 1.2))]
    if quick or shutil.which("gnuplot") is None:
        return lines
    dat = base + "-streams.dat"
    with open(dat, "w") as out:
        for n, z, i in rows:
            out.write("%d %s %s %f\n" % (n, "%f" % z["mib_s"] if z else "NaN", "%f" % i["mib_s"] if i else "NaN",
                                         ceiling["mib_s"]))
    script = """
set terminal pngcairo size 900,500 font ",10"
set output '{base}-streams.png'
set title "One 1 GiB transfer over N connections (loopback, 2 cores)"
set xlabel "N (connections)"
set ylabel "MiB/s (median)"
set logscale x 2
set xtics (1, 2, 4, 8)
set yrange [0:*]
set grid
set key bottom right
plot '{dat}' using 1:2 with linespoints lw 2 title "zcp-recv --streams N (zcp-send --workers 2)", \
     '' using 1:3 with linespoints lw 2 title "iperf3 -P N -Z -F", \
     '' using 1:4 with lines dt 2 title "single-stream ceiling (sendfile > splice)"
""".format(base=base, dat=dat)
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(dat)
    return lines + ["", "![throughput vs N](%s-streams.png)" % os.path.basename(base)]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def plot(base, summaries, csv_path):
    if shutil.which("gnuplot") is None:
        return "gnuplot not installed: no plots"
    if not summaries:
        return "no rows in the main table: no plots"
    if min(s["runs"] for s in summaries) < 5:
        return "fewer than 5 runs of a row: no box plots (gnuplot cannot draw them)"
    dat = base + "-times.dat"
    with open(csv_path) as f, open(dat, "w") as out:
        for row in csv.DictReader(f):
            out.write('"%s" %s\n' % (row["config"], row["wall"]))
    cpu = base + "-cpu.dat"
    with open(cpu, "w") as out:
        for s in summaries:
            out.write('"%s" %f %f %f %f\n' % (s["name"], s["s_user"], s["s_sys"], s["c_user"], s["c_sys"]))
    script = """
set terminal pngcairo size 1400,700 font ",10"
set output '{base}-times.png'
set title "Wall time per run (client start to exit), one box per configuration"
set ylabel "seconds"
set style fill solid 0.4 border -1
set style boxplot outliers pointtype 7
set style data boxplot
set boxwidth 0.5
set xtics rotate by 30 right nomirror
set bmargin 9
set lmargin 14
set grid ytics
set yrange [0:*]
plot '{dat}' using (1.0):2:(0.5):1 notitle lc rgb "#3070b0"
set output '{base}-cpu.png'
set title "CPU seconds per GiB moved (median of runs)"
set ylabel "CPU s / GiB"
set style data histograms
set style histogram rowstacked
set style fill solid 0.7 border -1
set boxwidth 0.6
set xtics rotate by 30 right
set key top left
plot '{cpu}' using 2:xtic(1) title "sender user", '' using 3 title "sender sys", \
     '' using 4 title "receiver user", '' using 5 title "receiver sys"
""".format(base=base, dat=dat, cpu=cpu)
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(dat)
    os.unlink(cpu)
    return None


def clients_at_once(quick):
    """BENCH_CLIENTS: the clients at once of the concurrency part and of http-200."""
    return int(os.environ.get("BENCH_CLIENTS", "20" if quick else "200"))


def concurrency_part(build, payload, size, runner, tmp, runs, quick, skipped, extra):
    """Many receivers at once, and TCP_NOTSENT_LOWAT: lines added to extra; returns the failures."""
    clients = clients_at_once(quick)
    have_nginx = shutil.which("nginx") is not None and shutil.which("curl") is not None
    if not have_nginx:
        skipped.append("the nginx rows of the concurrency part (needs nginx, curl)")
    conc, conc_failures = concurrency.run(build, payload, size, runner, tmp, 1 if quick else runs,
                                          clients, have_nginx)
    lowat, lowat_failures = concurrency.lowat_lines(build, payload, runner, tmp, 10 if quick else 50)
    extra += [""] + conc + lowat
    return conc_failures + lowat_failures


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: bench.py BUILD_DIR [--quick]")
    build = os.path.abspath(argv[1])
    httprows.exit_on_sigterm()
    runner = os.path.join(build, "bench-runner")
    quick = "--quick" in argv
    size = parse_size(os.environ.get("BENCH_SIZE", "64M" if quick else "1G"))
    runs = int(os.environ.get("BENCH_RUNS", "3" if quick else "20"))
    tmp = tempfile.mkdtemp(prefix="zcp-bench.", dir=os.environ.get("BENCH_DIR", "/tmp"))
    # a quick run checks the harness; its report is printed, not kept
    outdir = tmp if quick else os.environ.get("BENCH_OUT", os.path.join(HERE, "results"))
    os.makedirs(outdir, exist_ok=True)
    payload = os.path.join(tmp, "payload.bin")
    try:
        make_payload(payload, size)
        cache = cache_state(payload)
        all_cfgs = select(configs(build, tmp), os.environ.get("BENCH_PIN", "both"),
                          os.environ.get("BENCH_ONLY"))
        cfgs = [c for c in all_cfgs if not c.missing()]
        skipped = ["%s (needs %s)" % (c.name, ", ".join(c.missing())) for c in all_cfgs if c.missing()]
        for s in skipped:
            print("bench: skipped " + s, file=sys.stderr)
        rows, failures = {c.name: [] for c in cfgs}, []
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
        base = os.path.join(outdir, "%s-%s" % (stamp, socket.gethostname()))
        csv_path = base + ".csv"
        with open(csv_path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["config", "run", "wall", "bytes", "s_user", "s_sys", "s_rss_kib",
                          "c_user", "c_sys", "c_rss_kib", "cswitches"])
            order = random.Random(size * 1000 + runs)  # reproducible shuffles
            for i in range(runs):  # interleaved, in a new order each round: no seat is favoured
                for c in order.sample(cfgs, len(cfgs)):
                    try:
                        r = run_once(c, payload, tmp, runner)
                    except (RuntimeError, OSError, ValueError, KeyError, TimeoutError) as e:
                        failures.append(str(e))
                        continue
                    if not size <= r["moved"] <= size + c.slack:
                        failures.append("%s: moved %s of %d bytes" % (c.name, r["moved"], size))
                        continue
                    rows[c.name].append(r)
                    out.writerow([c.name, i, "%.6f" % r["wall"], r["moved"], r["s_user"], r["s_sys"],
                                  r["s_rss"], r["c_user"], r["c_sys"], r["c_rss"], r["csw"]])
                print("bench: run %d/%d done" % (i + 1, runs), file=sys.stderr)
        calls = {}
        for c in cfgs:  # one extra untimed run under strace -c
            if c.stop:  # a signal would end strace first: not traced
                continue
            trace = os.path.join(tmp, "strace")
            try:
                run_once(c, payload, tmp, runner, strace_to=trace)
                calls[c.name] = (strace_calls(trace + ".server"), strace_calls(trace + ".client"))
            except (RuntimeError, OSError, ValueError, KeyError, TimeoutError) as e:
                failures.append("strace run: %s" % e)
        summaries = [summarise(c, rows[c.name], size) for c in cfgs if rows[c.name]]
        extra = []
        only = os.environ.get("BENCH_ONLY")
        if only:
            extra.append("BENCH_ONLY=%s: only the matching rows; the sparse and concurrency "
                         "parts left out." % only)
        if not quick and not only:
            rss_big, wall_big = sparse_rss(build, tmp, runner, 16 * GIB)
            by = {s["name"]: s for s in summaries}
            extra.append("Sender peak RSS, zcp sendfile: %.1f MiB serving the %s payload, %.1f MiB "
                         "serving a 16 GiB sparse file (%.1f s)." % (
                             by["zcp sendfile > splice-discard"]["s_rss"], os.environ.get("BENCH_SIZE", "1G"),
                             rss_big, wall_big))
        if not only:
            failures += concurrency_part(build, payload, size, runner, tmp, runs, quick, skipped, extra)
        lines, http_failures, http_skipped = httprows.run(
            build, payload, size, tmp, 1 if quick else runs, clients_at_once(quick), quick,
            os.environ.get("BENCH_PIN", "both"), only)
        extra += lines
        failures += http_failures
        skipped += http_skipped
        lines, fetch_failures, fetch_skipped = fetchrows.run(
            build, payload, size, tmp, 1 if quick else runs, os.environ.get("BENCH_PIN", "both"), only)
        extra += lines
        failures += fetch_failures
        skipped += fetch_skipped
        note = plot(base, summaries, csv_path) if not quick else "quick run: no plots"
        if note:
            extra.append(note)
        else:
            extra += ["", "![run times](%s-times.png)" % os.path.basename(base),
                      "", "![CPU per GiB](%s-cpu.png)" % os.path.basename(base)]
        text = write_report(base, size, runs, summaries, skipped, calls, cache, extra, quick)
        print(text)
        if not quick:
            for ext in (".md", ".csv", "-times.png", "-cpu.png", "-streams.png"):
                if os.path.exists(base + ext):
                    shutil.copyfile(base + ext, os.path.join(outdir, "latest" + ext))
        for fail in failures:
            print("bench: FAILED " + fail, file=sys.stderr)
        incomplete = [c.name for c in cfgs if len(rows[c.name]) != runs]
        if quick and (failures or skipped or incomplete):
            print("bench-quick: %d configurations, %d failures, %d skipped, incomplete: %s" % (
                len(all_cfgs), len(failures), len(skipped), ", ".join(incomplete) or "none"),
                file=sys.stderr)
            return 1
        print("bench: %d configurations x %d runs, every run moved %d bytes%s" % (
            len(cfgs), runs, size, "" if not failures else "; %d failures" % len(failures)),
            file=sys.stderr)
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
