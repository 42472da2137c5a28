"""Failure signatures (per model) and profiles (per dataset), and per-category significance tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, fisher_exact

SIGNIFICANCE_LEVEL = 0.05


def _level_columns(assignments: pd.DataFrame, level: int) -> tuple[str, str]:
    column = f"level_{level}"
    if column not in assignments.columns:
        raise ValueError(f"assignments have no column {column!r}")
    return column, f"{column}_name"


def category_shares(assignments: pd.DataFrame, by: str, level: int = 1) -> pd.DataFrame:
    """Long table: one row per (group, category) with the failure count and the share of the group's failures."""
    column, name_column = _level_columns(assignments, level)
    counts = (
        assignments.groupby([by, column, name_column], sort=True)
        .size()
        .rename("count")
        .reset_index()
        .rename(columns={by: "group", column: "category_id", name_column: "category"})
    )
    totals = counts.groupby("group")["count"].transform("sum")
    counts["share"] = counts["count"] / totals
    return counts[["group", "category_id", "category", "count", "share"]]


def signature_matrix(shares: pd.DataFrame) -> pd.DataFrame:
    """Groups as rows, categories as columns, shares as values (0 where a group has none)."""
    return shares.pivot_table(index="group", columns="category", values="share", fill_value=0.0)


def compare_groups(assignments: pd.DataFrame, by: str = "model", level: int = 1) -> pd.DataFrame:
    """For each (group, category): is the group's share different from all other groups'? Fisher's exact test, BH-adjusted."""
    column, name_column = _level_columns(assignments, level)
    rows = []
    groups = sorted(assignments[by].unique())
    categories = assignments[[column, name_column]].drop_duplicates().sort_values(column)
    for group in groups:
        mine = assignments[by].eq(group)
        for category_id, category in categories.itertuples(index=False):
            in_category = assignments[column].eq(category_id)
            a = int((mine & in_category).sum())
            b = int((mine & ~in_category).sum())
            c = int((~mine & in_category).sum())
            d = int((~mine & ~in_category).sum())
            if a + b == 0 or c + d == 0:
                odds, p_value = float("nan"), 1.0
            else:
                odds, p_value = fisher_exact([[a, b], [c, d]])
            rows.append(
                {
                    "group": group,
                    "category_id": category_id,
                    "category": category,
                    "count": a,
                    "share": a / (a + b) if a + b else 0.0,
                    "rest_share": c / (c + d) if c + d else 0.0,
                    "odds_ratio": float(odds),
                    "p_value": float(p_value),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(q_value=[], significant=[])
    table["q_value"] = false_discovery_control(table["p_value"].to_numpy(), method="bh")
    table["significant"] = table["q_value"] < SIGNIFICANCE_LEVEL
    table["direction"] = np.where(table["share"] > table["rest_share"], "more", "less")
    return table


def signatures_document(assignments: pd.DataFrame, level: int = 1) -> dict[str, object]:
    """The content of signatures.json: per-model signatures and per-dataset profiles."""

    def nested(by: str) -> dict[str, object]:
        shares = category_shares(assignments, by, level)
        document: dict[str, object] = {}
        for group, rows in shares.groupby("group", sort=True):
            document[str(group)] = {
                "failures": int(rows["count"].sum()),
                "categories": {
                    r.category_id: {"name": r.category, "count": int(r.count), "share": round(float(r.share), 6)}
                    for r in rows.itertuples(index=False)
                },
            }
        return document

    return {"level": level, "models": nested("model"), "datasets": nested("dataset")}


def signature_metrics(document: dict[str, object]) -> dict[str, object]:
    """A compact metrics file: per model, its share in each top category (for dvc metrics diff)."""
    metrics: dict[str, object] = {}
    for model, entry in document["models"].items():  # type: ignore[union-attr]
        metrics[model] = {
            "failures": entry["failures"],
            **{f"share.{cid}": c["share"] for cid, c in entry["categories"].items()},
        }
    return metrics
