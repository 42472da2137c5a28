"""The statistics behind signatures and comparisons, as small functions on plain numbers.

Intervals are Wilson score intervals (95 %); tests are Fisher's exact test on 2×2 tables; multiple
tests are adjusted with Benjamini-Hochberg; distances between failure mixes are Jensen-Shannon
distances (base 2: 0 = the same mix, 1 = no category in common). All of it comes from scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import binomtest, false_discovery_control, fisher_exact

CONFIDENCE = 0.95
INTERVAL_METHOD = "Wilson score interval, 95%"


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of successes/trials; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    interval = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


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
    table = [[a_hits, a_total - a_hits], [b_hits, b_total - b_hits]]
    odds, p_value = fisher_exact(table)
    return float(odds), float(p_value)


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order."""
    values = np.asarray(p_values, dtype=float)
    if values.size == 0:
        return values
    return false_discovery_control(values, method="bh")


def js_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon distance (base 2) between two distributions over the same categories; 0 for identical."""
    p_arr, q_arr = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p_arr.sum() <= 0 or q_arr.sum() <= 0:
        return float("nan")
    distance = float(jensenshannon(p_arr, q_arr, base=2))
    return 0.0 if math.isnan(distance) or distance < 1e-12 else distance
