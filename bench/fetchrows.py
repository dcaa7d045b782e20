"""The fetch rows of `make bench` (issue 19): zcp-recv fetching over HTTP from nginx
against the downloaders people use, curl, wget and aria2c. nginx (sendfile on, one
worker) is started by the bench for each run and serves the warm payload; each client
fetches the whole of it:

- fetch-disk: into a file on disk under BENCH_DIR (a new name each run, removed after):
  zcp-recv (one stream; --streams 4), `curl -o FILE`, `wget -O FILE`, `aria2c -x1`,
  `aria2c -x4 -s4 -k1M`.
- fetch-null: into /dev/null where the tool allows: zcp-recv --discard (one stream;
  --streams 4), `curl -o /dev/null`, `wget -O /dev/null` (aria2c cannot: it opens,
  preallocates and renames its output).

Each run gives the wall time and the client's CPU: user + system time of the client and
every descendant it waited for, from wait4()'s rusage (the process has ended when it is
read, so its /proc/PID/task/TID/schedstat is gone; the kernel's rusage is computed from
the same scheduler run time). The one-stream rows run unpinned and pinned (nginx on
CPU 0, the client on CPU 1); the parallel ones unpinned only.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

import httprows
import stats

MIB, GIB = 1 << 20, 1 << 30


def zcp(build, streams):
    def argv(url, out):
        return ([os.path.join(build, "zcp-recv"), "-q", "-c", url] + (["--streams", str(streams)] if streams > 1
                                                                     else []) +
                (["--discard"] if out is None else ["-o", out]))
    return argv


def curl(url, out):
    return ["curl", "-s", "-S", "-f", "-o", out or "/dev/null", url]


def wget(url, out):
    return ["wget", "-q", "-O", out or "/dev/null", url]


def aria2c(conns):
    def argv(url, out):
        return (["aria2c", "-q", "--allow-overwrite=true", "--auto-file-renaming=false", "-d",
                 os.path.dirname(out), "-o", os.path.basename(out), "-x%d" % conns] +
                (["-s%d" % conns, "-k1M"] if conns > 1 else []) + [url])
    return argv


class Client:
    """A downloader: name (as the report shows it), the tool it needs, how many
    connections it opens, whether it writes to /dev/null, and its command for (URL, OUT)
    (OUT None: into /dev/null)."""

    def __init__(self, name, tool, conns, null, argv):
        self.name, self.tool, self.conns, self.null, self.argv = name, tool, conns, null, argv


def clients(build):
    return [Client("zcp-recv", "zcp-recv", 1, True, zcp(build, 1)),
            Client("zcp-recv --streams 4", "zcp-recv", 4, True, zcp(build, 4)),
            Client("curl", "curl", 1, True, curl),
            Client("wget", "wget", 1, True, wget),
            Client("aria2c -x1", "aria2c", 1, False, aria2c(1)),
            Client("aria2c -x4 -s4 -k1M", "aria2c", 4, False, aria2c(4))]


class Row:
    """One client into one sink ("disk" or "null"), pinned or not."""

    def __init__(self, client, sink, pin):
        self.client, self.sink, self.pin = client, sink, pin
        self.name = "fetch-%s %s%s" % (sink, client.name, " [pinned]" if pin else "")


def rows(build, pin, only):
    """The rows of a run: every client into each sink it allows, unpinned, and the
    one-stream ones pinned too; pin as httprows.rows (both, 1: pinned only, 0: none
    pinned; "1" keeps only the one-stream rows); only, a regex, keeps the matching names."""
    pins = {"both": (False, True), "1": (True,), "0": (False,)}[pin]
    result = [Row(c, sink, p) for sink in ("disk", "null") for c in clients(build) for p in pins
              if (sink == "disk" or c.null) and (not p or c.conns == 1)]
    return [r for r in result if not only or re.search(only, r.name)]


def run_client(argv, pin, timeout=600):
    """Runs argv to its end (on CPU 1 when pinned); returns (wall seconds, CPU seconds of
    the client and the descendants it waited for). RuntimeError if it fails or is killed
    at the timeout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=httprows.on_cpu(1, pin))
    # stderr drained beside the wait: a chatty client must not block on a full pipe
    err = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))
    reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, use = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    reader.join()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], proc.returncode,
                                                 err[0].decode(errors="replace").strip()[-300:]))
    return wall, use.ru_utime + use.ru_stime


def measure(row, origin, size, tmp, serial, check=None):
    """One run of row against origin: {wall, mib_s, cpu_gib}. Into disk the output is
    a new file under tmp, its size checked (and, with check, its bytes compared with
    that file), removed after."""
    out = None if row.sink == "null" else os.path.join(tmp, "fetch-%d.bin" % serial)
    try:
        wall, cpu = run_client(row.client.argv(origin.url("big.bin"), out), row.pin)
        if out is not None:
            got = os.path.getsize(out)
            if got != size:
                raise RuntimeError("stored %d of %d bytes" % (got, size))
            if check and subprocess.run(["cmp", "-s", check, out]).returncode != 0:
                raise RuntimeError("the file stored differs from the payload")
    finally:
        if out is not None and os.path.exists(out):
            os.unlink(out)
    return {"wall": wall, "mib_s": size / MIB / wall, "cpu_gib": cpu / (size / GIB)}


def run(build, payload, size, tmp, rounds, pin, only):
    """The fetch part: returns (report lines, failures, skipped)."""
    todo = rows(build, pin, only)
    if not todo:
        return [], [], []
    if shutil.which("nginx") is None:
        return [], [], ["the fetch rows (need nginx)"]
    skipped = sorted({"the fetch rows of %s (need it)" % r.client.tool for r in todo
                      if r.client.tool != "zcp-recv" and shutil.which(r.client.tool) is None})
    todo = [r for r in todo if r.client.tool == "zcp-recv" or shutil.which(r.client.tool)]
    root = os.path.join(tmp, "fetch-root")
    os.makedirs(root)
    os.link(payload, os.path.join(root, "big.bin"))
    failures, results, serial = [], {r.name: [] for r in todo}, 0
    # an untimed run of each row first: every client's bytes compared with the payload
    # (and the file warm in the page cache for nginx)
    for r in list(todo):
        try:
            with httprows.Origin("nginx", build, root, 1, tmp, r.pin) as o:
                measure(r, o, size, tmp, serial, check=payload)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            failures.append("%s: %s" % (r.name, e))
            todo.remove(r)
        serial += 1
    order = random.Random(size + 19)
    for i in range(rounds):
        for r in order.sample(todo, len(todo)):
            serial += 1
            try:
                with httprows.Origin("nginx", build, root, 1, tmp, r.pin) as o:
                    results[r.name].append(measure(r, o, size, tmp, serial))
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                failures.append("%s: %s" % (r.name, e))
        print("bench: fetch round %d/%d done" % (i + 1, rounds), file=sys.stderr)
    return report(todo, results, rounds, tmp), failures, skipped


def verdict(results, a, b, key, op, target):
    """The ratio of the medians of key, row a over row b, with the aim's verdict (op
    ">=", "<=", or "<" for "less": strictly below), or '-' when either has no runs."""
    x, y = results.get(a, []), results.get(b, [])
    if not x or not y:
        return "-"
    q = httprows.med(x, key) / httprows.med(y, key)
    ok = q < target if op == "<" else stats.aim(q, op, target) == "met"
    return "%.2f (%s %s: %s)" % (q, op, target, "met" if ok else "MISSED")


def aims(sink, pinned):
    """The issue's aims for one sink, pinned or not: (row, over row, key, op, target)."""
    p = " [pinned]" if pinned else ""
    a, b = "fetch-%s zcp-recv%s" % (sink, p), "fetch-%s curl%s" % (sink, p)
    lines = [(a, b, "wall", "<=", 1.0), (a, b, "cpu_gib", "<=", 0.6)]
    if sink == "disk" and not pinned:
        a, b = "fetch-disk zcp-recv --streams 4", "fetch-disk aria2c -x4 -s4 -k1M"
        lines += [(a, b, "wall", "<=", 1.0), (a, b, "cpu_gib", "<", 1.0)]
    return lines


def report(todo, results, rounds, tmp):
    lines = ["", "## Fetching over HTTP: zcp-recv against curl, wget and aria2c (issue 19)", "",
             "nginx (`sendfile on; tcp_nopush on; worker_processes 1`) started by the bench for each run, "
             "serving the warm payload; each client fetches all of it, into a new file under %s (a "
             "disk, not tmpfs: %s; removed after each run) or into /dev/null. %d rounds, interleaved in "
             "a new order each, after one untimed run of each row whose stored file is compared with the "
             "payload; medians with their bootstrap 95 %% interval. Client CPU: user + system time of the "
             "client and its descendants (wait4's rusage). Pinned: nginx on CPU 0, the client on CPU 1."
             % (tmp, fs_type(tmp), rounds), "",
             "| row | runs | wall s | MiB/s | client CPU s/GiB |", "|---|---|---|---|---|"]
    for r in todo:
        runs = results.get(r.name, [])
        lines.append("| %s | %d | %s | %s | %s |" % (
            r.name, len(runs), httprows.cell(runs, "wall", "%.3f"), httprows.cell(runs, "mib_s", "%.0f"),
            httprows.cell(runs, "cpu_gib", "%.3f")))
    lines += ["", "| aim | ratio of the medians |", "|---|---|"]
    names = {r.name for r in todo}
    for sink in ("disk", "null"):
        for pinned in (False, True):
            for a, b, key, op, target in aims(sink, pinned):
                if a in names and b in names:
                    what = "wall" if key == "wall" else "client CPU/GiB"
                    lines.append("| %s / %s, %s | %s |" % (a, b, what, verdict(results, a, b, key, op, target)))
    return lines


def fs_type(path):
    """The file system type of the mount holding path, from /proc/self/mounts."""
    best, kind = "", "unknown"
    real = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1].replace("\\040", " ")
            if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fields[2]
    return kind
