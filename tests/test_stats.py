#!/usr/bin/env python3
"""Unit tests of bench/stats.py. Prints "bench-stats: N passed, N failed"."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import stats  # noqa: E402


class Percentile(unittest.TestCase):
    def test_p95_of_twenty_is_the_nineteenth(self):
        values = list(range(20, 0, -1))  # 20 .. 1, unsorted on purpose
        self.assertEqual(stats.percentile(values, 95), 19)

    def test_p95_of_a_hundred(self):
        self.assertEqual(stats.percentile(list(range(1, 101)), 95), 95)

    def test_median_rank_and_extremes(self):
        self.assertEqual(stats.percentile([3, 1, 2], 50), 2)
        self.assertEqual(stats.percentile([4, 1, 3, 2], 50), 2)
        self.assertEqual(stats.percentile([4, 1, 3, 2], 100), 4)
        self.assertEqual(stats.percentile([7], 1), 7)

    def test_refuses_nonsense(self):
        for values, q in (([], 50), ([1], 0), ([1], 101)):
            with self.assertRaises(ValueError):
                stats.percentile(values, q)


class Spread(unittest.TestCase):
    def test_relative_stdev(self):
        self.assertAlmostEqual(stats.spread([1.0, 3.0]), 2 ** 0.5 / 2)
        self.assertEqual(stats.spread([5.0]), 0.0)
        self.assertEqual(stats.spread([2.0, 2.0, 2.0]), 0.0)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=0).result
    failed = len(result.failures) + len(result.errors)
    print("bench-stats: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
