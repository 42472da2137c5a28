"""Taxonomy quality: agreement between builds (stability), coverage figures (version comparison: diff.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence

import pandas as pd

from errormap.judge import Judge
from errormap.settings import TaxonomyConfig
from errormap.statistics import adjusted_rand_index, normalized_mutual_info
from errormap.taxonomy.builder import TaxonomyBuilder
from errormap.taxonomy.model import ROOT_ID, Taxonomy, coverage

DEFAULT_JACCARD = 0.5


def top_level_members(taxonomy: Taxonomy, assignments: pd.DataFrame) -> dict[str, set[str]]:
    """Failure ids of each real top-level category (Other and Hard to analyze left out)."""
    kinds = {n.id: n.kind for n in taxonomy.children(ROOT_ID)}
    members: dict[str, set[str]] = {}
    for failure, category in zip(assignments["failure_id"], assignments["level_1"]):
        if kinds.get(category) == "category":
            members.setdefault(category, set()).add(failure)
    return members


def jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def matched_categories(
    members_a: dict[str, set[str]], members_b: dict[str, set[str]], threshold: float = DEFAULT_JACCARD
) -> dict[str, float]:
    """Precision: share of A's categories with a match in B; recall: share of B's matched by A."""
    matches = {(a, b) for (a, sa), (b, sb) in itertools.product(members_a.items(), members_b.items()) if jaccard(sa, sb) >= threshold}
    precision = len({a for a, _ in matches}) / len(members_a) if members_a else 0.0
    recall = len({b for _, b in matches}) / len(members_b) if members_b else 0.0
    return {"precision": precision, "recall": recall}


def agreement(
    taxonomy_a: Taxonomy, assignments_a: pd.DataFrame, taxonomy_b: Taxonomy, assignments_b: pd.DataFrame,
    threshold: float = DEFAULT_JACCARD,
) -> dict[str, float]:
    """How far two taxonomies built on the same failures agree at the top level."""
    joined = assignments_a[["failure_id", "level_1"]].merge(
        assignments_b[["failure_id", "level_1"]], on="failure_id", suffixes=("_a", "_b")
    )
    if joined.empty:
        raise ValueError("the two taxonomies share no failures")
    matched = matched_categories(
        top_level_members(taxonomy_a, assignments_a), top_level_members(taxonomy_b, assignments_b), threshold
    )
    return {
        "failures_compared": float(len(joined)),
        "adjusted_rand_index": adjusted_rand_index(joined["level_1_a"], joined["level_1_b"]),
        "normalized_mutual_info": normalized_mutual_info(joined["level_1_a"], joined["level_1_b"]),
        "matched_precision": matched["precision"],
        "matched_recall": matched["recall"],
    }


async def stability(
    errors: pd.DataFrame,
    judge_factory: Callable[[], Judge],
    config: TaxonomyConfig,
    seeds: Sequence[int],
    threshold: float = DEFAULT_JACCARD,
) -> dict[str, object]:
    """Build the taxonomy once per seed and report mean pairwise agreement (and each pair's)."""
    if len(seeds) < 2:
        raise ValueError("stability needs at least two seeds")

    async def build(seed: int) -> tuple[Taxonomy, pd.DataFrame, int]:
        judge = judge_factory()
        builder = TaxonomyBuilder(judge, config, int(seed))
        try:
            taxonomy, assignments = await builder.build(errors)
        finally:
            await judge.aclose()
        return taxonomy, assignments, builder.stats.requests

    builds = await asyncio.gather(*(build(seed) for seed in seeds))  # independent builds: their requests overlap
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(builds), 2):
        pairs.append({"seeds": [int(seeds[i]), int(seeds[j])], **agreement(a[0], a[1], b[0], b[1], threshold)})
    keys = ["adjusted_rand_index", "normalized_mutual_info", "matched_precision", "matched_recall"]
    summary = {key: sum(p[key] for p in pairs) / len(pairs) for key in keys}
    return {
        **{k: round(v, 6) for k, v in summary.items()},
        "seeds": [int(s) for s in seeds],
        "jaccard_threshold": threshold,
        "top_level_categories": [len(top_level_members(t, a)) for t, a, _ in builds],
        "judge_requests": sum(requests for _, _, requests in builds),
        "pairs": pairs,
    }


def coverage_report(taxonomy: Taxonomy, fallbacks: int) -> dict[str, float]:
    """Coverage figures of a taxonomy applied to failures."""
    return {**{k: round(v, 6) for k, v in coverage(taxonomy).items()}, "failures": taxonomy.total_failures, "classification_fallbacks": fallbacks}

