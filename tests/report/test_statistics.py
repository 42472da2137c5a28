"""Signature statistics against values computed by hand on small fixtures."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from errormap.comparisons import distance_matrix, pair_table, pairwise_comparisons
from errormap.signatures import attempt_counts, capability_of, signatures_document
from errormap.statistics import benjamini_hochberg, effective_attempts, fisher, js_distance, wilson
from errormap.steps.signatures import headline_metrics


def test_wilson_interval_matches_the_formula() -> None:
    # 3 of 10, z = 1.959964: centre (0.3 + z²/20) / (1 + z²/10), half-width z·sqrt(0.021 + z²/400) / (1 + z²/10)
    z = 1.959963985
    centre = (0.3 + z * z / 20) / (1 + z * z / 10)
    half = z * math.sqrt(0.3 * 0.7 / 10 + z * z / 400) / (1 + z * z / 10)
    assert wilson(3, 10) == pytest.approx((centre - half, centre + half), abs=1e-6)
    assert wilson(3, 10) == pytest.approx((0.10779, 0.60322), abs=1e-5)
    low, high = wilson(0, 20)
    assert low == 0.0 and high == pytest.approx(z * z / 20 / (1 + z * z / 20), abs=1e-6)  # 0.16113
    assert wilson(0, 0) == (0.0, 1.0)


def test_fisher_p_value_is_the_hypergeometric_tail() -> None:
    # the tea-tasting table: p = (1 + 16 + 16 + 1) / 70
    assert fisher(3, 4, 1, 4)[1] == pytest.approx(34 / 70)
    # 10 of 100 against 0 of 100: only the two extreme tables are as unlikely, p = 2·C(100,10)/C(200,10)
    assert fisher(10, 100, 0, 100)[1] == pytest.approx(2 * math.comb(100, 10) / math.comb(200, 10))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04 -> 0.03, 0.045, 0.04 -> monotone from the top: 0.03, 0.04, 0.04
    assert benjamini_hochberg([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.04, 0.04])


def test_jensen_shannon_distance_by_hand() -> None:
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_distance([0.2, 0.8], [0.2, 0.8]) == 0.0
    # M = (0.75, 0.25): H(M) - (H(P) + H(Q)) / 2 = 0.811278 - 0.5; the distance is its square root
    divergence = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)) - 0.5
    assert js_distance([0.5, 0.5], [1, 0]) == pytest.approx(math.sqrt(divergence))


def test_effective_attempts_scale_with_the_sampled_share() -> None:
    assert effective_attempts(100, 20, 10) == 50  # half the failures analysed: they stand for half the attempts
    assert effective_attempts(100, 20, 20) == 100
    assert effective_attempts(100, 0, 0) == 100


def _failures(spec: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Rows (model, dataset, category id, how many); category names are `Category <id>`."""
    rows = []
    for model, dataset, category, n in spec:
        for i in range(n):
            rows.append({"failure_id": f"{model}-{dataset}-{category}-{i}", "model": model, "dataset": dataset,
                         "example_id": f"{dataset}-{i}", "level_1": category, "level_1_name": f"Category {category}"})
    return pd.DataFrame(rows)


def _results(spec: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """Rows (model, dataset, attempts, failures) as a results table."""
    rows = [{"model": m, "dataset": d, "is_failure": i < f} for m, d, n, f in spec for i in range(n)]
    return pd.DataFrame(rows)


def test_rates_are_per_attempt_and_scaled_when_failures_were_sampled() -> None:
    # model a on d: 100 attempts, 20 failures, 10 analysed (5 in category 1, 5 in 2); on e: 50 attempts, no failure
    failures = _failures([("a", "d", "1", 5), ("a", "d", "2", 5)])
    attempts = attempt_counts(_results([("a", "d", 100, 20), ("a", "e", 50, 0)]))
    document = signatures_document(failures, 1, attempts)
    entry = document["models"]["a"]
    assert entry["attempts"] == 150 and entry["all_failures"] == 20 and entry["failures"] == 10
    assert entry["error_rate"] == pytest.approx(20 / 150, abs=1e-6)
    assert entry["effective_attempts"] == pytest.approx(50 + 50)  # d counts 100 × 10/20, e all 50
    assert document["sampled"] and entry["sampled"]
    category = entry["categories"]["1"]
    # 5 analysed of 10 stand for 10 of 20 failures: 10 per 150 attempts = 5 per 100 effective attempts
    assert category["rate"] == pytest.approx(0.05)
    assert (category["rate_low"], category["rate_high"]) == pytest.approx(wilson(5, 100), abs=1e-6)
    assert (category["share_low"], category["share_high"]) == pytest.approx(wilson(5, 10), abs=1e-6)
    assert category["share"] == 0.5


def test_unsampled_rate_is_count_over_attempts() -> None:
    failures = _failures([("a", "d", "1", 3), ("a", "d", "2", 1)])
    document = signatures_document(failures, 1, attempt_counts(_results([("a", "d", 40, 4)])))
    assert not document["sampled"]
    assert document["models"]["a"]["categories"]["1"]["rate"] == pytest.approx(3 / 40)


def test_dataset_profiles_are_pooled_and_per_model() -> None:
    failures = _failures([("a", "d", "1", 9), ("a", "d", "2", 1), ("b", "d", "2", 10)])
    document = signatures_document(failures, 1)
    pooled = document["datasets"]["d"]["categories"]
    assert pooled["1"]["share"] == pytest.approx(9 / 20) and pooled["2"]["share"] == pytest.approx(11 / 20)
    by_model = document["datasets"]["d"]["by_model"]
    assert by_model["a"]["categories"]["1"]["count"] == 9 and "1" not in by_model["b"]["categories"]


def test_split_by_an_input_column() -> None:
    failures = _failures([("a", "d", "1", 4), ("a", "d", "2", 4)])
    subject = pd.Series(["algebra"] * 4 + ["geometry"] * 4, index=failures.index, name="subject")
    document = signatures_document(failures, 1, split_by=subject)
    assert document["split"]["column"] == "subject"
    assert document["split"]["groups"]["algebra"]["categories"]["1"]["share"] == 1.0
    assert document["split"]["groups"]["geometry"]["categories"]["2"]["count"] == 4


def test_capability_groups_match_the_deepest_name_first() -> None:
    groups = {"format": ["*format*"], "reasoning": ["*reason*", "calculation*"]}
    assert capability_of(["Reasoning error", "Answer format"], groups) == "format"
    assert capability_of(["Calculation error", ""], groups) == "reasoning"
    assert capability_of(["Refusal"], groups) == "unmapped"
    failures = _failures([("a", "d", "1", 3), ("a", "d", "2", 1)])
    failures["level_1_name"] = failures["level_1"].map({"1": "Calculation error", "2": "Odd thing"})
    document = signatures_document(failures, 1, capability_groups=groups)
    assert document["capabilities"]["datasets"]["d"] == {"reasoning": {"count": 3, "share": 0.75},
                                                         "unmapped": {"count": 1, "share": 0.25}}


def test_pairwise_compares_on_shared_datasets_with_direction() -> None:
    # a and b both answered d (100 attempts each); c answered only e, so a-c share no dataset
    failures = _failures([("a", "d", "1", 10), ("a", "d", "2", 2), ("b", "d", "2", 2), ("b", "e", "1", 30), ("c", "e", "1", 5)])
    attempts = attempt_counts(_results([("a", "d", 100, 12), ("b", "d", 100, 2), ("b", "e", 50, 30), ("c", "e", 50, 5)]))
    pairwise = pairwise_comparisons(failures, attempts)
    ab = pair_table(pairwise, "a", "b").set_index("category_id")
    assert set(ab["datasets"]) == {"d"}  # b's failures on e are not compared with a
    assert ab.loc["1", "count_b"] == 0 and ab.loc["1", "rate_a"] == pytest.approx(0.10)
    assert ab.loc["1", "p_value"] == pytest.approx(2 * math.comb(100, 10) / math.comb(200, 10))
    assert ab.loc["1", "fails_more"] == "a" and ab.loc["2", "fails_more"] == ""
    assert ab.loc["1", "significant"] and not ab.loc["2", "significant"]
    # q-values: BH over the pair's two categories
    assert ab["q_value"].tolist() == pytest.approx(benjamini_hochberg(ab["p_value"]).tolist())
    # shares on d: a (10, 2)/12 vs b (0, 2)/2
    assert ab.loc["1", "distance"] == pytest.approx(js_distance([10 / 12, 2 / 12], [0, 1]))
    ba = pair_table(pairwise, "b", "a").set_index("category_id")
    assert ba.loc["1", "count_a"] == 0 and ba.loc["1", "rate_diff"] == pytest.approx(-0.10)
    assert not len(pairwise[(pairwise["model_a"] == "a") & (pairwise["model_b"] == "c")])
    matrix = distance_matrix(pairwise, ["a", "b", "c"])
    assert matrix["matrix"][0][0] == 0.0 and matrix["matrix"][0][1] == matrix["matrix"][1][0]
    assert matrix["matrix"][0][2] is None  # no dataset in common


def test_headline_metrics_stay_small() -> None:
    failures = _failures([("a", "d", "1", 10), ("b", "d", "2", 10)])
    attempts = attempt_counts(_results([("a", "d", 50, 10), ("b", "d", 50, 10)]))
    from errormap.comparisons import compare_groups

    document = signatures_document(failures, 1, attempts)
    metrics = headline_metrics(document, compare_groups(failures), pairwise_comparisons(failures, attempts))
    assert set(metrics) == {"level", "models", "datasets", "categories", "significant_differences",
                            "significant_pairwise", "closest_pair_distance", "farthest_pair_distance"}
    assert metrics["farthest_pair_distance"] == 1.0 and metrics["significant_pairwise"] == 2


def test_signatures_are_given_at_every_depth() -> None:
    failures = _failures([("a", "d", "1", 3), ("a", "d", "2", 1)])
    failures["level_2"] = failures["level_1"].map({"1": "1.1", "2": ""})
    failures["level_2_name"] = failures["level_2"].map({"1.1": "Sub", "": ""})
    document = signatures_document(failures, 1)
    assert set(document["depths"]) == {"1", "2"}
    assert document["depths"]["1"]["a"]["categories"] == document["models"]["a"]["categories"]
    deeper = document["depths"]["2"]["a"]["categories"]
    assert {c["name"]: c["count"] for c in deeper.values()} == {"Sub": 3, "Category 2": 1}  # unsplit counts as itself


def test_the_statistics_agree_with_scipy_on_random_inputs() -> None:
    """The hand-written Wilson, Fisher, BH and Jensen-Shannon match scipy's (kept out of stage start-up)."""
    import numpy as np
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import binomtest, false_discovery_control, fisher_exact

    from errormap.statistics import benjamini_hochberg, fisher, js_distance, wilson

    rng = np.random.default_rng(7)
    for _ in range(200):
        a_total, b_total = int(rng.integers(1, 120)), int(rng.integers(1, 400))
        a_hits, b_hits = int(rng.integers(0, a_total + 1)), int(rng.integers(0, b_total + 1))
        odds, p_value = fisher(a_hits, a_total, b_hits, b_total)
        expected_odds, expected_p = fisher_exact([[a_hits, a_total - a_hits], [b_hits, b_total - b_hits]])
        assert p_value == pytest.approx(expected_p, rel=1e-9, abs=1e-12)
        assert (math.isnan(odds) and math.isnan(expected_odds)) or odds == pytest.approx(expected_odds)
        low, high = wilson(a_hits, a_total)
        interval = binomtest(a_hits, a_total).proportion_ci(method="wilson")
        assert (low, high) == pytest.approx((interval.low, interval.high), abs=1e-12)
    p_values = rng.random(50)
    assert benjamini_hochberg(p_values) == pytest.approx(false_discovery_control(p_values, method="bh"))
    for _ in range(50):
        p, q = rng.random(6) * (rng.random(6) > 0.3), rng.random(6)
        if p.sum() > 0:
            assert js_distance(p, q) == pytest.approx(float(jensenshannon(p, q, base=2)), abs=1e-12)


def test_partition_agreement_matches_scikit_learn() -> None:
    """ARI and NMI (arithmetic normalisation) as scikit-learn computes them, on random and edge-case partitions."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from errormap.statistics import adjusted_rand_index, normalized_mutual_info

    rng = np.random.default_rng(3)
    cases = [(["a"] * 5, ["x"] * 5), (list("abcde"), list("vwxyz")), (list("aabb"), list("xyxy"))]
    cases += [(list(rng.integers(0, k, 60).astype(str)), list(rng.integers(0, m, 60).astype(str)))
              for k, m in [(2, 3), (5, 5), (8, 2), (1, 4)] for _ in range(10)]
    for a, b in cases:
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12), (a, b)
        assert normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12), (a, b)
