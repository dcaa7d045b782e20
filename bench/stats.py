"""Order statistics for the benchmark, apart from it so that they are tested
(tests/test_stats.py)."""
import math
import random
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


def median_ci(values, level=0.95, resamples=2000, seed=12345):
    """Bootstrap confidence interval of the median: the median of `resamples`
    resamples (with replacement, a fixed seed so a report is reproducible), and the
    (1-level)/2 and (1+level)/2 percentiles of those. Returns (low, high)."""
    if not values:
        raise ValueError("confidence interval of no values")
    rnd = random.Random(seed)
    n = len(values)
    meds = sorted(statistics.median(rnd.choices(values, k=n)) for _ in range(resamples))
    low = meds[int((1 - level) / 2 * resamples)]
    high = meds[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return low, high


def overlap(a, b):
    """Whether two intervals (low, high) overlap: if they do, the difference of the
    two medians is within the noise."""
    return a[0] <= b[1] and b[0] <= a[1]


def aim(value, op, target):
    """'met' or 'MISSED': value >= target or value <= target."""
    if op not in (">=", "<="):
        raise ValueError("aim operator %r" % op)
    ok = value >= target if op == ">=" else value <= target
    return "met" if ok else "MISSED"
