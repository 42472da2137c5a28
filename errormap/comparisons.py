"""Comparisons between models: each model against the rest, every pair of models, and signature distances.

Pairs are compared on the datasets both models answered. Per category the test is Fisher's exact
test on failures of that kind per (effective) attempt, so a model that fails less often overall is
not penalised for a larger share of a smaller number; q-values are Benjamini-Hochberg within the
pair. The whole-signature distance is the Jensen-Shannon distance between the two failure mixes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from errormap.signatures import at_level, group_sizes
from errormap.statistics import benjamini_hochberg, fisher, js_distance

SIGNIFICANCE_LEVEL = 0.05
PAIR_COLUMNS = [
    "model_a", "model_b", "datasets", "category_id", "category", "count_a", "count_b", "share_a", "share_b",
    "rate_a", "rate_b", "rate_diff", "odds_ratio", "p_value", "q_value", "significant", "fails_more", "distance",
]


def compare_groups(assignments: pd.DataFrame, by: str = "model", level: int = 1) -> pd.DataFrame:
    """For each (group, category): is the group's share different from all other groups'? Fisher's exact test, BH-adjusted."""
    assignments = at_level(assignments, level)
    rows = []
    groups = sorted(assignments[by].unique())
    categories = assignments[["category_id", "category"]].drop_duplicates().sort_values("category_id")
    counts = Counter(zip(assignments[by], assignments["category_id"]))
    group_totals, category_totals = Counter(assignments[by]), Counter(assignments["category_id"])
    for group in groups:
        n_mine = group_totals[group]
        n_rest = len(assignments) - n_mine
        for category_id, category in categories.itertuples(index=False):
            a = counts[(group, category_id)]
            c = category_totals[category_id] - a
            odds, p_value = fisher(a, n_mine, c, n_rest)
            rows.append({
                "group": group, "category_id": category_id, "category": category, "count": a,
                "share": a / n_mine if n_mine else 0.0, "rest_share": c / n_rest if n_rest else 0.0,
                "odds_ratio": odds, "p_value": p_value,
            })
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(q_value=[], significant=[], direction=[])
    table["q_value"] = benjamini_hochberg(table["p_value"])
    table["significant"] = table["q_value"] < SIGNIFICANCE_LEVEL
    table["direction"] = np.where(table["share"] > table["rest_share"], "more", "less")
    return table


@dataclass
class PairFacts:
    """What every pair comparison reads, tallied once: datasets answered, effective attempts, category counts."""

    answered: dict[str, set[str]]
    effective: dict[tuple[str, str], float]
    counts: dict[tuple[str, str], Counter]  # (model, dataset) -> Counter of (category_id, category)

    @classmethod
    def of(cls, table: pd.DataFrame, sizes: pd.DataFrame) -> "PairFacts":
        answered: dict[str, set[str]] = defaultdict(set)
        effective: dict[tuple[str, str], float] = defaultdict(float)
        for model, dataset, attempts, value in zip(sizes["model"], sizes["dataset"], sizes["attempts"], sizes["effective"]):
            effective[(model, dataset)] += float(value)
            if attempts > 0:
                answered[model].add(dataset)
        counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for model, dataset, category_id, category in zip(table["model"], table["dataset"], table["category_id"], table["category"]):
            counts[(model, dataset)][(category_id, category)] += 1
        return cls(answered, effective, counts)

    def side(self, model: str, datasets: list[str]) -> tuple[Counter, float]:
        """One model's failures per (category_id, category) and its effective attempts on `datasets`."""
        tally: Counter = Counter()
        for dataset in datasets:
            tally.update(self.counts.get((model, dataset), Counter()))
        return tally, sum(self.effective.get((model, dataset), 0.0) for dataset in datasets)


def compare_pair(facts: PairFacts, model_a: str, model_b: str) -> pd.DataFrame:
    """Model A against model B per category, on the datasets both answered."""
    shared = sorted(facts.answered.get(model_a, set()) & facts.answered.get(model_b, set()))
    (tally_a, effective_a), (tally_b, effective_b) = facts.side(model_a, shared), facts.side(model_b, shared)
    rows_a, rows_b = sum(tally_a.values()), sum(tally_b.values())
    categories = sorted(set(tally_a) | set(tally_b), key=lambda item: item[0])
    records = []
    for category_id, category in categories:
        k_a, k_b = tally_a[(category_id, category)], tally_b[(category_id, category)]
        rate_a = k_a / effective_a if effective_a else 0.0
        rate_b = k_b / effective_b if effective_b else 0.0
        odds, p_value = fisher(k_a, max(round(effective_a), k_a), k_b, max(round(effective_b), k_b))
        records.append({
            "model_a": model_a, "model_b": model_b, "datasets": ",".join(shared),
            "category_id": category_id, "category": category, "count_a": k_a, "count_b": k_b,
            "share_a": k_a / rows_a if rows_a else 0.0, "share_b": k_b / rows_b if rows_b else 0.0,
            "rate_a": rate_a, "rate_b": rate_b, "rate_diff": rate_a - rate_b, "odds_ratio": odds, "p_value": p_value,
        })
    pair = pd.DataFrame(records, columns=PAIR_COLUMNS[:15])
    pair["q_value"] = benjamini_hochberg(pair["p_value"])
    pair["significant"] = pair["q_value"] < SIGNIFICANCE_LEVEL
    pair["fails_more"] = np.select(
        [pair["rate_a"] > pair["rate_b"], pair["rate_b"] > pair["rate_a"]], [model_a, model_b], default=""
    )
    pair["distance"] = js_distance(pair["share_a"], pair["share_b"]) if len(pair) else float("nan")
    return pair[PAIR_COLUMNS]


def pairwise_comparisons(
    assignments: pd.DataFrame, attempts: pd.DataFrame | None = None, level: int = 1
) -> pd.DataFrame:
    """`compare_pair` for every pair of models (in name order), one long table."""
    table = at_level(assignments, level)
    facts = PairFacts.of(table, group_sizes(assignments, attempts))
    models = sorted(table["model"].unique())
    pairs = [compare_pair(facts, a, b) for a, b in combinations(models, 2)]
    pairs = [p for p in pairs if len(p)]
    if not pairs:
        return pd.DataFrame(columns=PAIR_COLUMNS).astype({"significant": bool})
    return pd.concat(pairs, ignore_index=True)


def distance_matrix(pairwise: pd.DataFrame, models: list[str]) -> dict[str, Any]:
    """Models × models Jensen-Shannon distances (0 on the diagonal; null where two models share no dataset)."""
    distances = pairwise.drop_duplicates(["model_a", "model_b"]).set_index(["model_a", "model_b"])["distance"]
    matrix: list[list[float | None]] = []
    for a in models:
        row: list[float | None] = []
        for b in models:
            value = 0.0 if a == b else distances.get((a, b), distances.get((b, a), float("nan")))
            row.append(None if value != value else round(float(value), 6))
        matrix.append(row)
    return {"models": models, "matrix": matrix, "measure": "Jensen-Shannon distance (base 2) between failure mixes"}


def pair_table(pairwise: pd.DataFrame, model_a: str, model_b: str) -> pd.DataFrame:
    """The rows of one pair, oriented so that `model_a` is A (swapping columns if it was stored as B)."""
    rows = pairwise[(pairwise["model_a"] == model_a) & (pairwise["model_b"] == model_b)]
    if len(rows):
        return rows.reset_index(drop=True)
    rows = pairwise[(pairwise["model_a"] == model_b) & (pairwise["model_b"] == model_a)]
    if not len(rows):
        raise KeyError(f"no comparison of {model_a} and {model_b}")
    swap = {f"{name}_a": f"{name}_b" for name in ("model", "count", "share", "rate")}
    swapped = rows.rename(columns={**swap, **{v: k for k, v in swap.items()}})
    swapped = swapped.assign(rate_diff=-swapped["rate_diff"], odds_ratio=1 / swapped["odds_ratio"])
    return swapped[PAIR_COLUMNS].reset_index(drop=True)
