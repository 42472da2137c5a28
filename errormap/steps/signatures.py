"""Step 5: failure signatures and dataset profiles, model-vs-rest and model-vs-model comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from errormap.comparisons import compare_groups, distance_matrix, pairwise_comparisons
from errormap.settings import Settings
from errormap.signatures import attempt_counts, shares_table, signatures_document


@dataclass
class SignaturesResult:
    document: dict[str, Any]
    comparisons: pd.DataFrame
    pairwise: pd.DataFrame
    signature_plot: pd.DataFrame
    profile_plot: pd.DataFrame
    distance_plot: pd.DataFrame
    metrics: dict[str, Any]


PLOT_FIELDS = ["category_id", "category", "count", "share", "share_low", "share_high", "rate", "rate_low", "rate_high"]


def _split_column(assignments: pd.DataFrame, results: pd.DataFrame, column: str | None) -> pd.Series | None:
    if column is None:
        return None
    if column not in results.columns:
        raise ValueError(f"signatures.split_by is '{column}', but the results have no such column")
    values = results.drop_duplicates("failure_id").set_index("failure_id")[column]
    return pd.Series(assignments["failure_id"].map(values).to_numpy(), index=assignments.index, name=column)


def headline_metrics(document: dict[str, Any], comparisons: pd.DataFrame, pairwise: pd.DataFrame) -> dict[str, Any]:
    """A few numbers for `dvc metrics show`; per-category tables go to the plots files."""
    distances = pairwise.drop_duplicates(["model_a", "model_b"])["distance"].dropna()
    categories = {cid for entry in document["models"].values() for cid in entry["categories"]}
    return {
        "level": document["level"],
        "models": len(document["models"]),
        "datasets": len(document["datasets"]),
        "categories": len(categories),
        "significant_differences": int(comparisons["significant"].sum()) if len(comparisons) else 0,
        "significant_pairwise": int(pairwise["significant"].sum()) if len(pairwise) else 0,
        "closest_pair_distance": round(float(distances.min()), 4) if len(distances) else None,
        "farthest_pair_distance": round(float(distances.max()), 4) if len(distances) else None,
    }


def distance_rows(matrix: dict[str, Any]) -> pd.DataFrame:
    """The distance matrix as long rows (model_a, model_b, distance) for a heatmap."""
    models = matrix["models"]
    return pd.DataFrame(
        [(a, b, matrix["matrix"][i][j]) for i, a in enumerate(models) for j, b in enumerate(models)],
        columns=["model_a", "model_b", "distance"],
    )


def compute_signatures(assignments: pd.DataFrame, results: pd.DataFrame | None, settings: Settings) -> SignaturesResult:
    """Signatures, profiles and comparisons at the configured taxonomy depth."""
    config = settings.signatures
    level = config.level
    attempts = attempt_counts(results) if results is not None else None
    split = _split_column(assignments, results, config.split_by) if results is not None else None
    document = signatures_document(assignments, level, attempts, split, config.capability_groups)
    comparisons = compare_groups(assignments, "model", level)
    pairwise = pairwise_comparisons(assignments, attempts, level)
    document["distances"] = distance_matrix(pairwise, sorted(document["models"]))
    signature_plot = shares_table(document, "models").rename(columns={"group": "model"})
    profile_plot = shares_table(document, "datasets").rename(columns={"group": "dataset"})
    return SignaturesResult(
        document,
        comparisons,
        pairwise,
        signature_plot[["model", *[c for c in PLOT_FIELDS if c in signature_plot.columns]]],
        profile_plot[["dataset", *[c for c in PLOT_FIELDS if c in profile_plot.columns]]],
        distance_rows(document["distances"]),
        headline_metrics(document, comparisons, pairwise),
    )
