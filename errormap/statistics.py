"""The statistics behind signatures and comparisons, as small functions on plain numbers.

Intervals are Wilson score intervals (95 %); tests are Fisher's exact test on 2×2 tables (two-sided,
summing the tables no more likely than the observed one, as scipy.stats.fisher_exact does); multiple
tests are adjusted with Benjamini-Hochberg; distances between failure mixes are Jensen-Shannon
distances (base 2: 0 = the same mix, 1 = no category in common); agreement between two partitions
is the adjusted Rand index and NMI (arithmetic normalisation), as scikit-learn defines them.

They are written out here, on the standard library and numpy, because importing scipy.stats or
scikit-learn costs about a second of start-up in every stage that needs one of them (issue 14: a
stage without a judge starts and finishes within a second). tests/report/test_statistics.py checks
each against scipy or scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

CONFIDENCE = 0.95
INTERVAL_METHOD = "Wilson score interval, 95%"


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of successes/trials; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    low, high = centre - half, centre + half
    return (0.0 if successes == 0 else max(0.0, low)), (1.0 if successes == trials else min(1.0, high))


def effective_attempts(attempts: int, failures: int, analysed: int) -> float:
    """Attempts represented by the analysed failures of one model × dataset group.

    When only `analysed` of `failures` were diagnosed (sampling), each analysed failure stands for
    failures/analysed of them, so the group counts as attempts × analysed/failures attempts. A group
    without failures, or fully analysed, counts all its attempts.
    """
    if failures <= 0 or analysed >= failures:
        return float(attempts)
    return attempts * analysed / failures


def fisher(a_hits: int, a_total: int, b_hits: int, b_total: int) -> tuple[float, float]:
    """Odds ratio and two-sided p-value of Fisher's exact test: a_hits of a_total against b_hits of b_total."""
    if a_total <= 0 or b_total <= 0:
        return float("nan"), 1.0
    a, b, c, d = a_hits, a_total - a_hits, b_hits, b_total - b_hits
    if b * c == 0:
        odds = float("nan") if a * d == 0 else float("inf")
    else:
        odds = a * d / (b * c)
    return odds, _fisher_two_sided(a, a_total, b_hits + a_hits, a_total + b_total)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _fisher_two_sided(hits: int, row: int, column: int, total: int) -> float:
    """Sum of the hypergeometric probabilities of every table no more likely than the observed one."""
    low, high = max(0, row + column - total), min(row, column)
    if low == high:
        return 1.0
    log_norm = _log_choose(total, column)
    logs = [_log_choose(row, k) + _log_choose(total - row, column - k) - log_norm for k in range(low, high + 1)]
    observed = logs[hits - low]
    bound = observed + math.log1p(1e-7)  # scipy's relative tolerance for ties
    return min(1.0, float(sum(math.exp(value) for value in logs if value <= bound)))


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order."""
    values = np.asarray(p_values, dtype=float)
    if values.size == 0:
        return values
    order = np.argsort(values)
    ranked = values[order] * values.size / np.arange(1, values.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty_like(values)
    result[order] = np.clip(adjusted, 0.0, 1.0)
    return result


def js_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon distance (base 2) between two distributions over the same categories; 0 for identical."""
    p_arr, q_arr = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p_arr.sum() <= 0 or q_arr.sum() <= 0:
        return float("nan")
    p_arr, q_arr = p_arr / p_arr.sum(), q_arr / q_arr.sum()
    middle = (p_arr + q_arr) / 2

    def divergence(x: np.ndarray) -> float:
        present = x > 0
        return float(np.sum(x[present] * np.log2(x[present] / middle[present])))

    distance = math.sqrt(max(0.0, (divergence(p_arr) + divergence(q_arr)) / 2))
    return 0.0 if distance < 1e-12 else distance


def _contingency(labels_a: Sequence[object], labels_b: Sequence[object]) -> np.ndarray:
    _, a = np.unique(np.asarray(labels_a, dtype=object).astype(str), return_inverse=True)
    _, b = np.unique(np.asarray(labels_b, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((a.max() + 1 if a.size else 0, b.max() + 1 if b.size else 0), dtype=np.int64)
    np.add.at(table, (a, b), 1)
    return table


def adjusted_rand_index(labels_a: Sequence[object], labels_b: Sequence[object]) -> float:
    """Adjusted Rand index of two partitions of the same items (1 = identical, about 0 = chance)."""
    table = _contingency(labels_a, labels_b)
    n = int(table.sum())
    if n < 2:
        return 1.0

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    index, rows, columns, total = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), n * (n - 1) / 2
    expected = rows * columns / total
    maximum = (rows + columns) / 2
    if maximum == expected:  # both partitions trivial (one cluster, or all singletons)
        return 1.0
    return (index - expected) / (maximum - expected)


def normalized_mutual_info(labels_a: Sequence[object], labels_b: Sequence[object]) -> float:
    """Mutual information of two partitions over the arithmetic mean of their entropies (0 to 1)."""
    table = _contingency(labels_a, labels_b).astype(float)
    n = table.sum()
    if n == 0:
        return 1.0
    p_ab, p_a, p_b = table / n, table.sum(axis=1) / n, table.sum(axis=0) / n

    def entropy(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    h_a, h_b = entropy(p_a), entropy(p_b)
    if h_a == 0 and h_b == 0:
        return 1.0
    present = p_ab > 0
    mutual = float((p_ab[present] * np.log(p_ab[present] / np.outer(p_a, p_b)[present])).sum())
    return max(0.0, mutual / ((h_a + h_b) / 2)) if (h_a + h_b) > 0 else 0.0
