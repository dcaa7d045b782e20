"""The HTTP rows of `make bench` (issue 18): zcp-send as an HTTP origin against nginx,
one worker each (`zcp-send --root DIR`, `worker_processes 1`) and two (`--workers 2`,
`worker_processes 2`), unpinned, and with one worker pinned too (server on CPU 0, client on
CPU 1; two workers on two cores leave no CPU of its own to the client, so they run unpinned
only). Three row sets, every run on a server started for it, the rounds interleaved in a
new order each:

- http-1gib: one warm download of the whole payload with `curl -s -o /dev/null`:
  throughput, and the server's CPU per GiB (the run time of every thread of every server
  process, from /proc/PID/task/TID/schedstat, read before and after).
- http-200: N clients (BENCH_CLIENTS, default 200) each fetching its own 1 MiB range of the
  payload with curl, started by bench-fanout while the server is stopped (SIGSTOP, every
  process) and timed from its continuation, as the ZCP/1 concurrency part does: aggregate
  throughput, fairness (slowest client's time over the fastest's), the server's peak RSS
  (VmHWM of all its processes, summed) and CPU per GiB.
- http-small: 64 files of 4 KiB fetched in turn by `wrk -c 64 -t 2` over kept-alive
  connections for 5 s (1 s in a quick run): requests per second, server CPU per request.
"""
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import concurrency
import stats

MIB, GIB = 1 << 20, 1 << 30
SMALL_FILES, SMALL_SIZE = 64, 4096
SETS = ("http-1gib", "http-200", "http-small")
SERVERS = ("zcp", "nginx")


def tree(pid):
    """pid and all its descendants (children first found first), from /proc."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for task in os.listdir("/proc/%d/task" % pids[i]):
                with open("/proc/%d/task/%s/children" % (pids[i], task)) as f:
                    pids += [int(p) for p in f.read().split()]
        except OSError:  # it ended meanwhile
            pass
        i += 1
    return pids


def tree_cpu(pids):
    """CPU seconds (user + system) the processes' threads have used so far; ended ones
    count 0. Read from /proc/PID/task/TID/schedstat, in nanoseconds: /proc/PID/stat's
    utime and stime come in 10 ms ticks, too coarse for the 0.1 s a run may take."""
    ns = 0
    for pid in pids:
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                    ns += int(f.read().split()[0])
        except OSError:
            pass
    return ns / 1e9


def tree_hwm_kib(pids):
    """The processes' peak resident sizes (VmHWM), summed, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        except OSError:
            pass
    return total


def wait_for(pred, secs):
    """Whether pred() became true within secs (checked every 5 ms)."""
    end = time.monotonic() + secs
    while not pred():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def wrk_rate(text):
    """Requests per second from wrk's report; RuntimeError if wrk saw an error or an
    answer other than 2xx/3xx (the rate would count failures as work)."""
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    bad = re.search(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", text)
    if not m or bad:
        raise RuntimeError("wrk: %s" % (bad.group(1) if bad else text.strip()[-200:]))
    return float(m.group(1))


def text(path):
    """What a server wrote to its stderr so far."""
    with open(path, errors="replace") as f:
        return f.read()


def exit_on_sigterm():
    """A SIGTERM (a CI timeout, kill) ends the bench as an exception would: through its
    with-blocks and except clauses, which stop the servers it started (each runs in a
    session of its own, out of reach of a signal to the bench's process group)."""
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))


def on_cpu(cpu, pin):
    """preexec_fn pinning a child to one CPU, or None."""
    return (lambda: os.sched_setaffinity(0, {cpu})) if pin else None


class Origin:
    """An HTTP server the bench starts and owns: "zcp" (zcp-send --root ROOT, --workers
    when more than one) or "nginx" (its own configuration in a new directory under tmp).
    A context manager: leaving it stops every process of the server, failure or not."""

    def __init__(self, kind, build, root, workers, tmp, pin=False):
        self.kind, self.build, self.root, self.workers, self.tmp, self.pin = kind, build, root, workers, tmp, pin
        self.proc, self.port = None, None

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix=self.kind + ".", dir=self.tmp)
        err = os.path.join(self.dir, "stderr")
        if self.kind == "zcp":
            argv = [os.path.join(self.build, "zcp-send"), "-q", "-l", "127.0.0.1:0", "--max-clients", "4096",
                    "--root", self.root] + (["--workers", str(self.workers)] if self.workers > 1 else [])
        else:
            self.port = concurrency.free_port()
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(concurrency.nginx_conf(self.dir, self.root, self.port, self.workers))
            argv = ["nginx", "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")]
        with open(err, "w") as e:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=e,
                                         start_new_session=True, preexec_fn=on_cpu(0, self.pin))
        try:
            if self.kind == "zcp":  # it prints the port it got (SPEC C-7)
                def port():
                    m = re.search(r"listening on .*:(\d+)$", text(err), re.M)
                    self.port = int(m.group(1)) if m else None
                    return self.port or self.proc.poll() is not None
                wait_for(port, 20)
            if not self.port:
                raise RuntimeError("%s: no port: %s" % (self.kind, text(err)[-300:]))
            concurrency.wait_listening(self.port, self.proc, self.kind)
            # every worker up before anything is measured: nginx's master and zcp-send's
            # supervisor (with --workers) beside them
            want = self.workers + (self.kind == "nginx" or self.workers > 1)
            if not wait_for(lambda: len(self.pids()) >= want, 20):
                raise RuntimeError("%s: %d workers did not start" % (self.kind, self.workers))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def pids(self):
        return tree(self.proc.pid)

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def signal(self, sig):
        """sig to every process of the server (SIGSTOP and SIGCONT: one stopped master
        leaves its workers running)."""
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:  # it ended meanwhile
                pass

    def __exit__(self, kind, value, trace):
        """Stops it: SIGTERM (nginx: fast shutdown; zcp-send: idle kept-alive connections
        close at once), then SIGKILL to its process group if it is not gone within 15 s.
        Raises if it had to kill or the server failed, unless an exception is on its way."""
        pids = self.pids()
        problem = None
        try:
            self.signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
            if not wait_for(lambda: not any(os.path.exists("/proc/%d" % p) for p in pids), 15):
                problem = "processes left after it exited"
            elif self.proc.returncode != 0:
                problem = "exit status %d: %s" % (self.proc.returncode,
                                                  text(os.path.join(self.dir, "stderr"))[-300:])
        except subprocess.TimeoutExpired:
            problem = "did not stop within 15 s of SIGTERM"
        if problem:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        if problem and kind is None:
            raise RuntimeError("%s: %s" % (self.kind, problem))
        return False


def timed(argv, pin, timeout=600):
    """Runs a client to its end on CPU 1 when pinned; returns (seconds, stdout)."""
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, preexec_fn=on_cpu(1, pin))
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], out.returncode, (out.stdout + out.stderr)[-300:]))
    return wall, out.stdout


def one_gib(origin, size, pin, **_):
    """http-1gib: curl fetches the whole payload once."""
    pids = origin.pids()
    cpu = tree_cpu(pids)
    wall, out = timed(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                       origin.url("big.bin")], pin)
    cpu = tree_cpu(pids) - cpu
    if out != "200 %d" % size:
        raise RuntimeError("%s: curl got %r, not '200 %d'" % (origin.kind, out, size))
    return {"mib_s": size / MIB / wall, "cpu_gib": cpu / (size / GIB)}


def fan(origin, build, clients, pin, **_):
    """http-200: `clients` curl processes, one 1 MiB range each, all connected to the
    stopped server before it runs; times from its continuation."""
    pids = origin.pids()
    origin.signal(signal.SIGSTOP)
    argv = [os.path.join(build, "bench-fanout"), str(clients), str(clients * MIB),
            "curl", "-s", "-f", "-o", "/dev/null", "-r", "{off}-{last}", origin.url("big.bin")]
    fanout = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=on_cpu(1, pin))
    try:
        if not wait_for(lambda: concurrency.connected(origin.port) >= clients or fanout.poll() is not None, 60):
            raise RuntimeError("%s: %d clients did not connect within 60 s" % (origin.kind, clients))
        cpu = tree_cpu(pids)
        go = time.monotonic()  # CLOCK_MONOTONIC, as fanout's times
        origin.signal(signal.SIGCONT)
        out, err = fanout.communicate(timeout=600)
    finally:
        if fanout.poll() is None:
            fanout.kill()
            fanout.wait()
    cpu = tree_cpu(pids) - cpu
    if fanout.returncode != 0:
        raise RuntimeError("%s: %d clients: %s" % (origin.kind, clients, (out + err)[-300:]))
    times = [t - go for t in json.loads(out)["exits"]]
    return {"mib_s": clients / max(times), "fair": max(times) / min(times),
            "rss_mib": tree_hwm_kib(pids) / 1024, "cpu_gib": cpu / (clients * MIB / GIB)}


def small(origin, secs, lua, pin, **_):
    """http-small: wrk over 64 kept-alive connections, the 4 KiB files in turn."""
    pids = origin.pids()
    cpu = tree_cpu(pids)
    _, out = timed(["wrk", "-c", "64", "-t", "2", "-d", "%ds" % secs, "-s", lua, origin.url("")], pin)
    cpu = tree_cpu(pids) - cpu
    rate = wrk_rate(out)
    return {"req_s": rate, "cpu_us": 1e6 * cpu / (rate * secs)}


MEASURE = {"http-1gib": one_gib, "http-200": fan, "http-small": small}


class Row:
    """One row set's run against one server, with `workers` workers, pinned or not."""

    def __init__(self, rowset, server, workers, pin):
        self.rowset, self.server, self.workers, self.pin = rowset, server, workers, pin
        self.name = "%s %s %d worker%s%s" % (rowset, "zcp-send" if server == "zcp" else "nginx", workers,
                                             "s" if workers > 1 else "", " [pinned]" if pin else "")


def rows(pin, only):
    """The rows of a run: pin "both" (each unpinned, and the one-worker rows pinned too),
    "1" (only the pinned ones) or "0" (none pinned); only, a regex, keeps the matching names."""
    pins = {"both": (False, True), "1": (True,), "0": (False,)}[pin]
    result = [Row(s, srv, w, p) for s in SETS for w in (1, 2) for p in pins if w == 1 or not p
              for srv in SERVERS]
    return [r for r in result if not only or re.search(only, r.name)]


def make_root(tmp, payload):
    """The servers' root: the payload (a hard link, so still in the page cache) as
    big.bin, small/00..63 of 4 KiB each, and wrk's script that asks for those in turn."""
    root = os.path.join(tmp, "http-root")
    os.makedirs(os.path.join(root, "small"))
    os.link(payload, os.path.join(root, "big.bin"))
    for i in range(SMALL_FILES):
        with open(os.path.join(root, "small", "%02d" % i), "wb") as f:
            f.write(os.urandom(SMALL_SIZE))
    lua = os.path.join(tmp, "small.lua")
    with open(lua, "w") as f:
        f.write('local i = 0\nrequest = function()\n  i = (i + 1) %% %d\n'
                '  return wrk.format("GET", string.format("/small/%%02d", i))\nend\n' % SMALL_FILES)
    return root, lua


def probe(kind, build, root, tmp):
    """None if the server answers a range of big.bin with exactly its bytes (curl's exit
    status alone would take a whole file for a range), else what it answered."""
    try:
        with Origin(kind, build, root, 1, tmp) as o:
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                  "-r", "1000-1999", o.url("big.bin")], capture_output=True, text=True,
                                 timeout=60).stdout
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        return str(e)
    return None if out == "206 1000" else "a 1000-byte range answered %r" % out


def run(build, payload, size, tmp, rounds, clients, quick, pin, only):
    """The HTTP part: returns (report lines, failures, skipped)."""
    todo = rows(pin, only)
    if not todo:
        return [], [], []
    missing = [t for t in ("nginx", "curl", "wrk") if shutil.which(t) is None]
    if missing:
        return [], [], ["the HTTP rows (need %s)" % ", ".join(missing)]
    root, lua = make_root(tmp, payload)
    failures = []
    for kind in SERVERS:
        wrong = probe(kind, build, root, tmp)
        if wrong:
            failures.append("%s does not serve HTTP ranges: %s" % (kind, wrong))
            todo = [r for r in todo if r.server != kind]
    clients = min(clients, size // MIB)
    args = {"build": build, "size": size, "clients": clients, "secs": 1 if quick else 5, "lua": lua}
    results = {r.name: [] for r in todo}
    order = random.Random(size + clients + 18)
    for i in range(rounds):
        for r in order.sample(todo, len(todo)):
            try:
                with Origin(r.server, build, root, r.workers, tmp, r.pin) as o:
                    results[r.name].append(MEASURE[r.rowset](o, pin=r.pin, **args))
            except (RuntimeError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
                failures.append("%s: %s" % (r.name, e))
        print("bench: HTTP round %d/%d done" % (i + 1, rounds), file=sys.stderr)
    return report(todo, results, rounds, clients, args["secs"]), failures, []


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def cell(runs, key, fmt):
    """A row's median of key with its bootstrap 95 % interval (or '-')."""
    if not runs:
        return "-"
    lo, hi = stats.median_ci([r[key] for r in runs])
    return (fmt + " (" + fmt + "-" + fmt + ")") % (med(runs, key), lo, hi)


def versus(z, n, key, op, target):
    """zcp/nginx of the medians of key, with the aim's verdict."""
    if not z or not n:
        return "-"
    q = med(z, key) / med(n, key)
    return "%.2f (%s %s: %s)" % (q, op, target, stats.aim(q, op, target))


# per row set: the columns (key, heading, format, aim operator and target or None)
COLUMNS = {
    "http-1gib": [("mib_s", "MiB/s", "%.0f", ">=", 1.0), ("cpu_gib", "server CPU s/GiB", "%.3f", "<=", 1.0)],
    "http-200": [("mib_s", "aggregate MiB/s", "%.0f", ">=", 1.0), ("cpu_gib", "server CPU s/GiB", "%.3f", "<=", 1.0),
                 ("fair", "fairness", "%.2f", None, None), ("rss_mib", "server peak RSS MiB", "%.1f", None, None)],
    "http-small": [("req_s", "requests/s", "%.0f", ">=", 0.9), ("cpu_us", "server CPU us/request", "%.1f", None,
                                                                 None)],
}


def report(todo, results, rounds, clients, secs):
    lines = ["", "## HTTP origin: zcp-send against nginx (issue 18)", "",
             "Both servers started by the bench for each run and stopped after it; nginx with its own "
             "configuration (`sendfile on; tcp_nopush on; access_log off; worker_processes N`), zcp-send "
             "`--root DIR` (`--workers 2` for two). %d rounds, interleaved in a new order each; medians with "
             "their bootstrap 95 %% interval; zcp/nginx is the ratio of the medians, with the issue's aim. "
             "Server CPU: the run time of all its processes' threads (/proc/PID/task/TID/schedstat, "
             "user + system, in ns), before and after; RSS: VmHWM "
             "of all its processes, summed. Pinned: server on CPU 0, client on CPU 1 (one worker only)." % rounds,
             "", "- http-1gib: one warm download of the payload, `curl -s -o /dev/null`.",
             "- http-200: %d curl processes each fetching its own 1 MiB range, all connected while the "
             "server is stopped (SIGSTOP), timed from its continuation to the last exit; fairness = slowest "
             "client's time / fastest's." % clients,
             "- http-small: `wrk -c 64 -t 2 -d %ds` over kept-alive connections, %d files of 4 KiB in turn."
             % (secs, SMALL_FILES)]
    for rowset in SETS:
        cols = COLUMNS[rowset]
        setups = sorted({(r.workers, r.pin) for r in todo if r.rowset == rowset})
        if not setups:
            continue
        head = ["workers", "runs zcp/nginx"]
        for _, title, _, op, target in cols:
            head += ["zcp " + title, "nginx " + title] + (["zcp/nginx"] if op else [])
        lines += ["", "### " + rowset, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for workers, pin in setups:
            z = results.get(Row(rowset, "zcp", workers, pin).name, [])
            n = results.get(Row(rowset, "nginx", workers, pin).name, [])
            line = ["%d%s" % (workers, " [pinned]" if pin else ""), "%d/%d" % (len(z), len(n))]
            for key, _, fmt, op, target in cols:
                line += [cell(z, key, fmt), cell(n, key, fmt)] + ([versus(z, n, key, op, target)] if op else [])
            lines.append("| " + " | ".join(line) + " |")
    return lines
