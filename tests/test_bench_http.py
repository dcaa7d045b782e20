#!/usr/bin/env python3
"""Unit tests of bench/httprows.py (the HTTP rows of `make bench`): nginx's generated
configuration, the readings of /proc and of wrk, and that an origin the bench starts
is gone after it, on success and on failure.
    test_bench_http.py [BUILD_DIR]    (zcp-send's tests need BUILD_DIR)
Prints "bench-http: N passed, N failed"."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import concurrency  # noqa: E402
import httprows  # noqa: E402

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else None  # the plain build: zcp-send

WRK_OK = """Running 5s test @ http://127.0.0.1:8080/f
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.63ms  787.68us  11.79ms   88.78%
    Req/Sec    12.44k   246.26    12.66k    72.73%
  124563 requests in 5.01s, 510.96MB read
Requests/sec:  24863.01
Transfer/sec:    101.96MB
"""


class NginxConf(unittest.TestCase):
    def test_what_the_issue_asks(self):
        text = concurrency.nginx_conf("/tmp/P", "/srv/files", 4321, 2)
        for want in ("daemon off;", "worker_processes 2;", "sendfile on;", "tcp_nopush on;",
                     "access_log off;", "pid /tmp/P/nginx.pid;", "error_log /tmp/P/error.log",
                     "listen 127.0.0.1:4321", "root /srv/files;"):
            self.assertIn(want, text)
        self.assertIn("worker_processes 1;", concurrency.nginx_conf("/tmp/P", "/srv", 1, 1))
        self.assertNotIn("master_process", text)
        self.assertIn("master_process off;", concurrency.nginx_conf("/tmp/P", "/srv", 1, 1, master=False))

    def test_nothing_outside_the_prefix(self):
        text = concurrency.nginx_conf("/tmp/P", "/srv", 1, 1)
        for key in ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
                    "scgi_temp_path"):
            self.assertIn("%s /tmp/P/" % key, text)


class ProcReadings(unittest.TestCase):
    def test_cpu_finer_than_a_tick(self):
        # /proc/PID/stat counts 10 ms ticks: 2 ms of work must show, in every thread
        pids = [os.getpid()]
        before = httprows.tree_cpu(pids)
        end = time.thread_time() + 0.002
        while time.thread_time() < end:
            pass
        used = httprows.tree_cpu(pids) - before
        self.assertTrue(0.002 <= used < 1.0, used)
        self.assertEqual(httprows.tree_cpu([2 ** 22 + 1]), 0.0)  # no such process: 0

    def test_own_tree_hwm(self):
        pids = httprows.tree(os.getpid())
        self.assertEqual(pids[0], os.getpid())
        self.assertGreater(httprows.tree_hwm_kib(pids), 1024)

    def test_tree_finds_children_and_grandchildren(self):
        child = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"])
        try:
            def has_grandchildren():
                return len(httprows.tree(os.getpid())) >= 4
            self.assertTrue(httprows.wait_for(has_grandchildren, 10))
            self.assertIn(child.pid, httprows.tree(os.getpid()))
        finally:
            child.kill()
            child.wait()


class WrkOutput(unittest.TestCase):
    def test_requests_per_second(self):
        self.assertEqual(httprows.wrk_rate(WRK_OK), 24863.01)

    def test_errors_are_failures(self):
        bad = WRK_OK.replace("Requests/sec", "  Non-2xx or 3xx responses: 7\nRequests/sec")
        with self.assertRaises(RuntimeError):
            httprows.wrk_rate(bad)
        bad = WRK_OK.replace("Requests/sec", "  Socket errors: connect 0, read 3, write 0, timeout 0\n"
                                             "Requests/sec")
        with self.assertRaises(RuntimeError):
            httprows.wrk_rate(bad)
        with self.assertRaises(RuntimeError):
            httprows.wrk_rate("wrk: connection refused\n")


class Lifetime(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-http-test.")
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root)
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(os.urandom(4096))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


@unittest.skipIf(shutil.which("nginx") is None or shutil.which("curl") is None, "needs nginx and curl")
class NginxLifetime(Lifetime):
    def test_two_workers_serve_a_range_and_are_stopped(self):
        with httprows.Origin("nginx", None, self.root, 2, self.tmp) as o:
            self.assertEqual(len(o.pids()), 3)  # the master and two workers
            pids = o.pids()
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                  "-r", "1000-1999", o.url("f")], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.stdout, "206 1000")
        for pid in pids:
            self.assertFalse(os.path.exists("/proc/%d" % pid), "nginx %d still runs" % pid)

    def test_stopped_on_failure(self):
        pids = []
        with self.assertRaises(ZeroDivisionError):
            with httprows.Origin("nginx", None, self.root, 1, self.tmp) as o:
                pids = o.pids()
                1 / 0
        self.assertEqual(len(pids), 2)
        for pid in pids:
            self.assertFalse(os.path.exists("/proc/%d" % pid), "nginx %d still runs" % pid)

    def test_stopped_when_the_bench_is_terminated(self):
        # a SIGTERM to the bench (a CI timeout, kill) ends it through the with-blocks
        child = subprocess.Popen([sys.executable, "-c", """if True:
            import sys, time
            sys.path.insert(0, %r)
            import httprows
            httprows.exit_on_sigterm()
            with httprows.Origin("nginx", None, %r, 2, %r) as o:
                print(" ".join(map(str, o.pids())), flush=True)
                time.sleep(60)
            """ % (os.path.dirname(httprows.__file__), self.root, self.tmp)], stdout=subprocess.PIPE, text=True)
        pids = [int(p) for p in child.stdout.readline().split()]
        child.terminate()
        self.assertNotEqual(child.wait(timeout=30), 0)
        self.assertEqual(len(pids), 3)
        for pid in pids:
            self.assertFalse(os.path.exists("/proc/%d" % pid), "nginx %d still runs" % pid)


@unittest.skipIf(BUILD is None, "needs the build directory as the argument")
class ZcpLifetime(Lifetime):
    def test_every_worker_is_up_and_then_stopped(self):
        # zcp-send --workers 2 is a supervisor and two workers: all three before a run
        for _ in range(5):
            with httprows.Origin("zcp", BUILD, self.root, 2, self.tmp) as o:
                pids = o.pids()
                self.assertEqual(len(pids), 3)
            for pid in pids:
                self.assertFalse(os.path.exists("/proc/%d" % pid), "zcp-send %d still runs" % pid)

    def test_stopped_on_failure(self):
        pids = []
        with self.assertRaises(ZeroDivisionError):
            with httprows.Origin("zcp", BUILD, self.root, 1, self.tmp) as o:
                pids = o.pids()
                1 / 0
        self.assertEqual(len(pids), 1)
        self.assertFalse(os.path.exists("/proc/%d" % pids[0]))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=0).result
    failed = len(result.failures) + len(result.errors)
    print("bench-http: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
