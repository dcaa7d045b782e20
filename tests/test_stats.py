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


class MedianInterval(unittest.TestCase):
    def test_brackets_the_median_and_narrows_with_more_runs(self):
        import random
        rnd = random.Random(1)
        few = [rnd.gauss(1.0, 0.3) for _ in range(10)]
        many = [rnd.gauss(1.0, 0.3) for _ in range(400)]
        lo, hi = stats.median_ci(few)
        self.assertLess(lo, stats.percentile(few, 50))
        self.assertGreater(hi, lo)
        lo2, hi2 = stats.median_ci(many)
        self.assertLess(hi2 - lo2, hi - lo)
        self.assertTrue(lo2 < 1.0 < hi2)  # the true median, from 400 runs

    def test_reproducible_and_degenerate(self):
        values = [3.0, 1.0, 2.0, 5.0, 4.0]
        self.assertEqual(stats.median_ci(values), stats.median_ci(list(values)))
        self.assertEqual(stats.median_ci([2.0, 2.0, 2.0]), (2.0, 2.0))
        self.assertEqual(stats.median_ci([7.0]), (7.0, 7.0))
        with self.assertRaises(ValueError):
            stats.median_ci([])

    def test_tells_a_real_difference_from_noise(self):
        import random
        rnd = random.Random(2)
        a = [rnd.gauss(1.0, 0.3) for _ in range(21)]
        b = [rnd.gauss(1.0, 0.3) for _ in range(21)]
        c = [rnd.gauss(2.0, 0.3) for _ in range(21)]
        self.assertTrue(stats.overlap(stats.median_ci(a), stats.median_ci(b)))
        self.assertFalse(stats.overlap(stats.median_ci(a), stats.median_ci(c)))


class Aims(unittest.TestCase):
    def test_at_least_and_at_most(self):
        self.assertEqual(stats.aim(0.96, ">=", 0.95), "met")
        self.assertEqual(stats.aim(0.94, ">=", 0.95), "MISSED")
        self.assertEqual(stats.aim(1.2, "<=", 1.2), "met")
        self.assertEqual(stats.aim(1.3, "<=", 1.2), "MISSED")
        with self.assertRaises(ValueError):
            stats.aim(1.0, "==", 1.0)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=0).result
    failed = len(result.failures) + len(result.errors)
    print("bench-stats: %d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
