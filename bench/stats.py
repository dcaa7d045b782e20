"""Order statistics for the benchmark, apart from it so that they are tested
(tests/test_stats.py)."""
import math
import statistics


def percentile(values, q):
    """Nearest-rank percentile: the smallest value with at least q percent of the
    values at or below it (q in (0, 100]). For 20 values p95 is the 19th smallest."""
    if not values or not 0 < q <= 100:
        raise ValueError("percentile of %d values at %s%%" % (len(values), q))
    ordered = sorted(values)
    return ordered[math.ceil(q / 100.0 * len(ordered)) - 1]


def spread(values):
    """Run-to-run spread: the standard deviation relative to the mean (0 for one value)."""
    if len(values) < 2:
        return 0.0
    return statistics.stdev(values) / statistics.mean(values)
