"""The concurrency part of `make bench` (SPEC S-13, S-14): one server, N receivers
each fetching its own range of one file, all connected before the server serves any.

The server is stopped (SIGSTOP) while the N receiver processes start and connect (the
kernel completes their handshakes into the listening socket's backlog), then
continued: every receiver is waiting when the first byte is served, so neither the
receivers' start-up (a few ms for zcp-recv, about 10 ms of CPU for curl) nor their
stagger is measured. Measured per run: aggregate throughput (the file's bytes over the
time from the server's continuation to the last receiver's exit), fairness (the
slowest receiver's time over the fastest's: 1.0 is perfectly fair), the server's peak
RSS and CPU. zcp-send is compared with
nginx (`sendfile on`, `sendfile_max_chunk 2m`, one process) fetched by curl; both
sets of clients copy the bytes into user space (zcp-recv -p copy --discard, curl -o
/dev/null), so the clients cost alike. A second part measures what TCP_NOTSENT_LOWAT
saves: the bytes zcp-send queues in the kernel for receivers that stopped reading.
"""
import json
import os
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import time

MIB = 1 << 20
REQUEST = struct.Struct(">4sBBHQQ")  # SPEC W-2, written here independently
RESPONSE = struct.Struct(">4sBBHQQQ")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, deadline=20.0):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("%s exited at start" % what)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("%s: not listening on %d" % (what, port))


class Server:
    """A server under the runner (for its peak RSS and CPU), stopped with a signal."""

    def __init__(self, argv, runner, tmp, what, port=None, stop=signal.SIGTERM):
        self.what, self.stop_sig = what, stop
        self.res, err = os.path.join(tmp, "conc-server.res"), os.path.join(tmp, "conc-server.err")
        with open(err, "w") as e:
            self.proc = subprocess.Popen([runner, self.res] + argv, stdout=subprocess.DEVNULL, stderr=e,
                                         start_new_session=True)
        if port is None:  # zcp prints it (SPEC C-7)
            end = time.time() + 20
            while port is None and time.time() < end and self.proc.poll() is None:
                m = re.search(r"listening on .*:(\d+)$", open(err).read(), re.M)
                port = int(m.group(1)) if m else time.sleep(0.005)
        if port is None:
            self.stop()
            raise RuntimeError("%s: no port: %s" % (what, open(err).read()[-300:]))
        self.port = port
        wait_listening(port, self.proc, what)

    def pause(self, sig):
        """SIGSTOP or SIGCONT the server itself (the runner's child)."""
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
            for pid in f.read().split():
                os.kill(int(pid), sig)

    def stop(self):
        """Stop it; returns (peak RSS MiB, CPU seconds)."""
        self.pause(signal.SIGCONT)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, self.stop_sig)  # the runner passes it on
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise RuntimeError("%s did not stop" % self.what)
        with open(self.res) as f:
            _, user, sys_s, rss = f.read().split()[:4]
        return int(rss) / 1024, float(user) + float(sys_s)


def nginx_conf(prefix, root, port, workers, master=True):
    """nginx's configuration for the bench: in the foreground (the bench owns it), with a
    master process and `workers` workers, or (master=False) one process doing it all;
    sendfile with tcp_nopush as the issue asks, in 2 MiB calls (zcp's --max-chunk default,
    nginx's own since 1.21.4); nothing logged per request; every file it writes under prefix."""
    top = "" if master else "master_process off;\n"
    if master and os.geteuid() == 0:  # workers would run as nobody: the bench's files are 0700
        top += "user root;\n"
    return """daemon off;
{top}worker_processes {w};
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    sendfile_max_chunk 2m;
    tcp_nopush on;
    client_body_temp_path {p}/body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
    }}
}}
""".format(top=top, w=workers, p=prefix, port=port, root=root)


def nginx_argv(tmp, root, port):
    """nginx in one process in the foreground, as zcp-send runs by default."""
    prefix = os.path.join(tmp, "nginx")
    os.makedirs(prefix, exist_ok=True)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(prefix, root, port, 1, master=False))
    return ["nginx", "-p", prefix, "-c", conf, "-e", os.path.join(prefix, "error.log")]


class Conf:
    """One configuration: `n` client processes (fanout), each running argv(port) with
    its range substituted, against `server` ("zcp" or "nginx", with `options`); `single`
    names the one-receiver row it is compared with."""

    def __init__(self, name, server, n, argv, single=None, options=()):
        self.name, self.server, self.n, self.argv, self.single = name, server, n, argv, single
        self.options = list(options)


def configs(build, payload, size, clients):
    recv = os.path.join(build, "zcp-recv")
    url = "http://127.0.0.1:%%d/%s" % os.path.basename(payload)

    def zcp(path):
        return lambda port: [recv, "-q", "-p", path, "--discard", "-c", "127.0.0.1:%d" % port,
                             "--offset", "{off}", "--length", "{len}"]

    def curl(port):
        return ["curl", "-s", "-f", "-o", "/dev/null", "-r", "{off}-{last}", url % port]

    def curl_parallel(port):  # one process, every range
        argv, part = ["curl", "-Z", "--parallel-max", str(clients), "-s", "-f"], size // clients
        for i in range(clients):
            off = i * part
            last = size - 1 if i == clients - 1 else off + part - 1
            argv += ["-r", "%d-%d" % (off, last), "-o", "/dev/null", url % port] + (["--next"] if i < clients - 1 else [])
        return argv

    z1, n1 = "zcp-send, 1 x zcp-recv -p copy", "nginx, 1 x curl"
    return [Conf("zcp-send, %d x zcp-recv -p copy" % clients, "zcp", clients, zcp("copy"), z1),
            Conf(z1, "zcp", 1, zcp("copy")),
            Conf("zcp-send, %d x zcp-recv -p splice" % clients, "zcp", clients, zcp("splice"), z1),
            Conf("zcp-send --max-chunk 256K, %d x zcp-recv -p copy" % clients, "zcp", clients, zcp("copy"), z1,
                 ["--max-chunk", "256K"]),
            Conf("nginx, %d x curl" % clients, "nginx", clients, curl, n1),
            Conf(n1, "nginx", 1, curl),
            Conf("nginx, 1 x curl -Z with %d ranges" % clients, "nginx", 1, curl_parallel, n1)]


def connected(port):
    """Established connections to port, as their clients see them (the ones still in
    the listening socket's backlog included)."""
    out = subprocess.run(["ss", "-tnH", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines())


def start_server(kind, build, payload, runner, tmp, options=()):
    if kind == "zcp":
        return Server([os.path.join(build, "zcp-send"), "-q", "-l", "127.0.0.1:0", "--max-clients", "4096"] +
                      list(options) + [payload], runner, tmp, "zcp-send")
    port = free_port()
    return Server(nginx_argv(tmp, os.path.dirname(payload), port), runner, tmp, "nginx", port=port,
                  stop=signal.SIGQUIT)


def run_once(cfg, build, payload, size, runner, tmp):
    server = start_server(cfg.server, build, payload, runner, tmp, cfg.options)
    try:
        server.pause(signal.SIGSTOP)
        fan = subprocess.Popen([os.path.join(build, "bench-fanout"), str(cfg.n), str(size)] + cfg.argv(server.port),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        want = cfg.n if cfg.server == "zcp" or "-Z" not in cfg.name else 1
        end = time.monotonic() + 60
        while connected(server.port) < want and time.monotonic() < end and fan.poll() is None:
            time.sleep(0.005)
        go = time.monotonic()  # CLOCK_MONOTONIC, as fanout's times
        server.pause(signal.SIGCONT)
        out, err = fan.communicate(timeout=600)
    finally:
        rss, cpu = server.stop()
    if fan.returncode != 0:
        raise RuntimeError("%s: %s" % (cfg.name, (out + err)[-300:]))
    times = [t - go for t in json.loads(out)["exits"]]
    r = json.loads(out)
    return {"wall": max(times), "fair": max(times) / min(times), "rss": rss, "s_cpu": cpu,
            "c_cpu": r["user"] + r["sys"]}


def check_nginx_range(payload, runner, tmp):
    """curl's exit status alone would accept a whole file for a range: check once that
    nginx answers a range with exactly its bytes."""
    server = start_server("nginx", None, payload, runner, tmp)
    try:
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                              "-r", "1000-1999", "http://127.0.0.1:%d/%s" % (server.port, os.path.basename(payload))],
                             capture_output=True, text=True, timeout=60).stdout
    finally:
        server.stop()
    if out != "206 1000":
        raise RuntimeError("nginx answered a 1000-byte range with %r" % out)


def stalled_queue(build, payload, runner, tmp, receivers, lowat):
    """Bytes zcp-send keeps queued in the kernel (the sockets' wmem_queued, from ss)
    for `receivers` receivers that read 64 KiB of the file and then stop reading."""
    server = Server([os.path.join(build, "zcp-send"), "-q", "-l", "127.0.0.1:0", "--notsent-lowat", str(lowat),
                     payload], runner, tmp, "zcp-send")
    socks = []
    try:
        for _ in range(receivers):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(REQUEST.pack(b"ZCQ1", 1, 0, 0, 0, 0))
            head = b""
            while len(head) < RESPONSE.size:
                head += s.recv(RESPONSE.size - len(head))
            left = RESPONSE.unpack(head)[3] + 65536
            while left:
                left -= len(s.recv(min(left, 65536)))
            socks.append(s)
        time.sleep(1.0)  # the server fills whatever the kernel lets it
        ss = subprocess.run(["ss", "-tmnH", "state", "established", "( sport = :%d )" % server.port],
                            capture_output=True, text=True, check=True).stdout
        queued = [int(w) for w in re.findall(r"skmem:\(.*?,w(\d+),", ss)]
        if len(queued) != receivers:
            raise RuntimeError("ss showed %d of %d sockets" % (len(queued), receivers))
        return sum(queued)
    finally:
        for s in socks:
            s.close()
        server.stop()


def summarise(rows):
    walls = [r["wall"] for r in rows]
    return {"wall": statistics.median(walls), "fair": statistics.median(r["fair"] for r in rows),
            "fair_max": max(r["fair"] for r in rows), "rss": max(r["rss"] for r in rows),
            "s_cpu": statistics.median(r["s_cpu"] for r in rows),
            "c_cpu": statistics.median(r["c_cpu"] for r in rows), "runs": len(rows),
            "spread": statistics.stdev(walls) / statistics.mean(walls) if len(walls) > 1 else 0.0}


def run(build, payload, size, runner, tmp, rounds, clients, have_nginx):
    """All configurations, `rounds` times in a shuffled order each round. Returns the
    report's lines and the list of failures."""
    cfgs = [c for c in configs(build, payload, size, clients) if have_nginx or c.server != "nginx"]
    rows, failures = {c.name: [] for c in cfgs}, []
    if have_nginx:
        try:
            check_nginx_range(payload, runner, tmp)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            failures.append(str(e))
    order = random.Random(size + clients)
    for _ in range(rounds):
        for cfg in order.sample(cfgs, len(cfgs)):
            try:
                rows[cfg.name].append(run_once(cfg, build, payload, size, runner, tmp))
            except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
                failures.append(str(e))
    sums = {name: summarise(r) for name, r in rows.items() if r}
    gib = size / (1 << 30)
    lines = ["## Many receivers at once", "",
             "One server, the %d MiB payload split into N equal ranges, one receiver process per range. "
             "The server is stopped (SIGSTOP) until every receiver has connected, then continued: times run "
             "from that instant, so the receivers' start-up is not measured. %d rounds in a shuffled "
             "order, medians. Aggregate = the payload over the time to the last receiver's exit. Fairness "
             "= the slowest receiver's time over the fastest's (median over rounds; worst in brackets). "
             "Both servers run one process; nginx has `sendfile on`, `sendfile_max_chunk 2m` (zcp's "
             "--max-chunk default)." % (size // MIB, rounds), "",
             "| configuration | median s | aggregate MiB/s | vs 1 receiver | fairness | spread | "
             "server peak RSS MiB | server CPU s/GiB | clients CPU s/GiB |", "|" + "---|" * 9]
    for c in cfgs:
        if c.name not in sums:
            continue
        s = sums[c.name]
        base = sums.get(c.single or "")
        lines.append("| %s | %.3f | %.0f | %s | %s | %.1f%% | %.1f | %.3f | %.3f |" % (
            c.name, s["wall"], size / MIB / s["wall"], "%.2f" % (base["wall"] / s["wall"]) if base else "-",
            "%.2f (%.2f)" % (s["fair"], s["fair_max"]) if c.n > 1 else "-", 100 * s["spread"], s["rss"],
            s["s_cpu"] / gib, s["c_cpu"] / gib))
    zn, z1 = sums.get(cfgs[0].name), sums.get(cfgs[0].single)
    nn = sums.get("nginx, %d x curl" % clients)
    if zn and z1:
        lines += ["", "Aims (issue 10): aggregate >= 0.9 of one receiver: %.2f; fairness <= 1.5: %.2f; "
                  "RSS flat: %.1f MiB with %d receivers, %.1f MiB with one." % (
                      z1["wall"] / zn["wall"], zn["fair"], zn["rss"], clients, z1["rss"])]
    small = sums.get(cfgs[3].name) if len(cfgs) > 3 and "256K" in cfgs[3].name else None
    if zn and small:
        lines.append("Smaller turns: with `--max-chunk 256K` fairness is %.2f and the aggregate %.2fx "
                     "the default's." % (
                         small["fair"], zn["wall"] / small["wall"]))
    if zn and nn:
        lines.append("Against nginx with %d curl processes: zcp's aggregate is %.2fx nginx's; fairness %.2f "
                     "against %.2f." % (clients, nn["wall"] / zn["wall"], zn["fair"], nn["fair"]))
    return lines, failures


def lowat_lines(build, payload, runner, tmp, receivers):
    """The TCP_NOTSENT_LOWAT part of the report."""
    try:
        off = stalled_queue(build, payload, runner, tmp, receivers, 0)
        on = stalled_queue(build, payload, runner, tmp, receivers, MIB)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        return [], [str(e)]
    return ["", "## TCP_NOTSENT_LOWAT", "",
            "%d receivers that read 64 KiB and stop: zcp-send's sockets hold %.1f MiB queued in the kernel "
            "with `--notsent-lowat 0` (the kernel's default), %.1f MiB with the default 1 MiB "
            "(%.2f MiB per receiver against %.2f)." % (
                receivers, off / MIB, on / MIB, off / MIB / receivers, on / MIB / receivers)], []
