#!/usr/bin/env python3
"""Unit tests of bench/bench.py's TLS lines (issue 17's aims, worded under the table):
unpinned rows, and pinned rows ([pinned]) the same way when the run has them.
Prints "bench-tls: N passed, N failed"."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import bench  # noqa: E402


def rows(suffix, disk_cpu):
    """The rows tls_lines() reads, named with suffix, zcp's disk row at disk_cpu s a GiB."""
    names = {"zcp copy > copy-discard": (0.5, 0.7), "zcp TLS psk > discard": (0.6, 0.9),
             "zcp TLS psk --streams 2 (--workers 2)": (0.5, 0.9), "zcp TLS psk > disk": (0.8, disk_cpu),
             "scp (%s) > disk" % bench.SSH_CIPHER: (2.0, 2.0)}
    return {n + suffix: {"median": m, "cpu": c} for n, (m, c) in names.items()}


class TlsLines(unittest.TestCase):
    def test_unpinned(self):
        text = "\n".join(bench.tls_lines(rows("", 1.0)))
        self.assertIn("speed 2.50 x (aim >= 2: met), CPU per GiB 0.50 of it (aim <= 0.6: met)", text)
        self.assertIn("--streams 2 over TLS against one TLS stream: 1.20 x (aim >= 1.6: MISSED)", text)
        self.assertNotIn("pinned", text)

    def test_pinned_too(self):
        by = rows("", 1.0)
        by.update(rows(bench.PINNED, 1.4))
        lines = bench.tls_lines(by)
        pinned = [line for line in lines if "pinned" in line]
        self.assertTrue(pinned)
        text = "\n".join(lines[lines.index(pinned[0]):])
        self.assertIn("CPU per GiB 0.70 of it (aim <= 0.6: MISSED)", text)
        self.assertIn("against scp (%s) > disk [pinned]" % bench.SSH_CIPHER, text)

    def test_pinned_alone(self):
        text = "\n".join(bench.tls_lines(rows(bench.PINNED, 1.0)))
        self.assertIn("CPU per GiB 0.50 of it (aim <= 0.6: met)", text)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors)
    print("bench-tls: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
