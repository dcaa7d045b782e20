#!/usr/bin/env python3
"""Unit tests of bench/fetchrows.py (the fetch rows of `make bench`, issue 19): the
clients' commands, the rows, a client's CPU (its descendants' too), one run's file
checked and removed, and the aims' verdicts.
Prints "bench-fetch: N passed, N failed"."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import fetchrows  # noqa: E402

BUSY = "import time\nend = time.process_time() + 0.1\nwhile time.process_time() < end: pass\n"


class Commands(unittest.TestCase):
    def argv(self, name, out):
        by = {c.name: c for c in fetchrows.clients("/b")}
        return by[name].argv("http://h:1/f", out)

    def test_what_the_issue_asks(self):
        self.assertEqual(self.argv("zcp-recv", "/t/o"), ["/b/zcp-recv", "-q", "-c", "http://h:1/f", "-o", "/t/o"])
        self.assertEqual(self.argv("zcp-recv --streams 4", None)[-3:], ["--streams", "4", "--discard"])
        self.assertEqual(self.argv("curl", None)[-3:], ["-o", "/dev/null", "http://h:1/f"])
        self.assertEqual(self.argv("wget", "/t/o")[-3:], ["-O", "/t/o", "http://h:1/f"])
        x4 = self.argv("aria2c -x4 -s4 -k1M", "/t/o")
        for want in ("-x4", "-s4", "-k1M", "-d", "/t", "-o", "o"):
            self.assertIn(want, x4)
        self.assertNotIn("-s4", self.argv("aria2c -x1", "/t/o"))


class Rows(unittest.TestCase):
    def names(self, pin="both", only=None):
        return [r.name for r in fetchrows.rows("/b", pin, only)]

    def test_sinks_and_pins(self):
        names = self.names()
        self.assertIn("fetch-disk aria2c -x4 -s4 -k1M", names)
        self.assertIn("fetch-null zcp-recv --streams 4", names)
        self.assertIn("fetch-null curl [pinned]", names)
        self.assertIn("fetch-disk zcp-recv [pinned]", names)
        self.assertFalse([n for n in names if n.startswith("fetch-null aria2c")])  # no /dev/null for it
        self.assertFalse([n for n in names if "pinned" in n and ("-x4" in n or "streams" in n)])
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(self.names(only="^fetch-disk curl"), ["fetch-disk curl", "fetch-disk curl [pinned]"])
        self.assertTrue(all("[pinned]" not in n for n in self.names(pin="0")))


class RunClient(unittest.TestCase):
    def test_cpu_of_descendants_counts(self):
        # the busy work happens in a grandchild that has ended when the client has
        grand = "import subprocess, sys; subprocess.run([sys.executable, '-c', %r], check=True)" % BUSY
        wall, cpu = fetchrows.run_client([sys.executable, "-c", grand], False)
        self.assertTrue(0.1 <= cpu < 10, cpu)
        self.assertGreaterEqual(wall, 0.1)

    def test_failure_says_why(self):
        with self.assertRaisesRegex(RuntimeError, "exited 3: boom"):
            fetchrows.run_client(["sh", "-c", "echo boom >&2; exit 3"], False)

    def test_timeout_kills(self):
        with self.assertRaisesRegex(RuntimeError, "exited -9"):
            fetchrows.run_client(["sleep", "30"], False, timeout=0.2)

    @unittest.skipUnless(len(os.sched_getaffinity(0)) > 1 and 1 in os.sched_getaffinity(0), "needs CPU 1")
    def test_pinned_on_cpu_1(self):
        check = "import os, sys; sys.exit(0 if os.sched_getaffinity(0) == {1} else 3)"
        fetchrows.run_client([sys.executable, "-c", check], True)


class FakeOrigin:
    def url(self, name):
        return "http://127.0.0.1:1/" + name


class Measure(unittest.TestCase):
    def row(self, script):
        client = fetchrows.Client("fake", "sh", 1, True, lambda url, out: ["sh", "-c", script % out])
        return fetchrows.Row(client, "disk", False)

    def test_file_checked_and_removed(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            with open(src, "wb") as f:
                f.write(b"x" * 1000)
            got = fetchrows.measure(self.row("head -c 1000 /dev/zero | tr '\\0' x > %s"), FakeOrigin(), 1000, tmp,
                                    7, check=src)
            self.assertGreater(got["mib_s"], 0)
            self.assertEqual(os.listdir(tmp), ["src"])
            with self.assertRaisesRegex(RuntimeError, "stored 999 of 1000"):
                fetchrows.measure(self.row("head -c 999 /dev/zero > %s"), FakeOrigin(), 1000, tmp, 8)
            with self.assertRaisesRegex(RuntimeError, "differs"):
                fetchrows.measure(self.row("head -c 1000 /dev/zero > %s"), FakeOrigin(), 1000, tmp, 9, check=src)
            self.assertEqual(os.listdir(tmp), ["src"])


class Verdicts(unittest.TestCase):
    R = {"a": [{"wall": 1.0}, {"wall": 1.0}], "b": [{"wall": 2.0}], "c": [{"wall": 1.0}]}

    def test_aims(self):
        self.assertEqual(fetchrows.verdict(self.R, "a", "b", "wall", "<=", 0.6), "0.50 (<= 0.6: met)")
        self.assertEqual(fetchrows.verdict(self.R, "b", "a", "wall", "<=", 1.0), "2.00 (<= 1.0: MISSED)")
        self.assertEqual(fetchrows.verdict(self.R, "a", "c", "wall", "<", 1.0), "1.00 (< 1.0: MISSED)")
        self.assertEqual(fetchrows.verdict(self.R, "a", "none", "wall", "<=", 1.0), "-")

    def test_every_aim_of_the_issue(self):
        got = [a[2:] for s in ("disk", "null") for p in (False, True) for a in fetchrows.aims(s, p)]
        self.assertEqual(got.count(("wall", "<=", 1.0)), 5)
        self.assertEqual(got.count(("cpu_gib", "<=", 0.6)), 4)
        self.assertEqual(got.count(("cpu_gib", "<", 1.0)), 1)

    def test_fs_type(self):
        self.assertEqual(fetchrows.fs_type("/proc/self"), "proc")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print("bench-fetch: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
