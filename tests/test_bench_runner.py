#!/usr/bin/env python3
"""Unit tests of bench/runner.c (the launcher whose rusage `make bench` reports): a
command's CPU counts every descendant's, those it never waited for too (an ssh
ProxyCommand's sshd, left to exit after ssh). Builds the runner with cc itself.
Prints "bench-runner: N passed, N failed"."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# burns 0.3 s of CPU, then exits
BUSY = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


class Runner(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.runner = os.path.join(cls.tmp.name, "runner")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", cls.runner, os.path.join(HERE, "..", "bench", "runner.c")],
                       check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_under(self, script):
        """(status, CPU seconds) the runner records for sh -c script."""
        res = os.path.join(self.tmp.name, "res")
        code = subprocess.run([self.runner, res, "sh", "-c", script, "sh", sys.executable, BUSY]).returncode
        with open(res) as f:
            status, user, sys_s = f.read().split()[:3]
        self.assertEqual(int(status), code)
        return code, float(user) + float(sys_s)

    def test_waited_child_counts(self):
        code, cpu = self.run_under('"$1" -c "$2"; exit 3')
        self.assertEqual(code, 3)
        self.assertGreaterEqual(cpu, 0.25)

    def test_orphan_counts(self):
        # the command exits at once; its child, never waited for, runs on: its CPU is the command's
        code, cpu = self.run_under('"$1" -c "$2" & exit 0')
        self.assertEqual(code, 0)
        self.assertGreaterEqual(cpu, 0.25)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print("bench-runner: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
