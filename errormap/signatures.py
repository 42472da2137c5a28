"""Failure signatures (per model) and profiles (per dataset), and per-category significance tests."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, fisher_exact

SIGNIFICANCE_LEVEL = 0.05


def at_level(assignments: pd.DataFrame, level: int) -> pd.DataFrame:
    """The assignments with each failure's category at `level` (columns category_id, category).

    A failure whose path ends above that depth counts in its deepest category: at level 2, a
    category that was not split is its own level-2 entry.
    """
    if f"level_{level}" not in assignments.columns:
        depth = sum(1 for c in assignments.columns if c.startswith("level_") and not c.endswith("_name"))
        raise ValueError(f"signatures.level is {level} but the taxonomy has {depth} level(s)")
    ids = assignments["level_1"].copy()
    names = assignments["level_1_name"].copy()
    for depth in range(2, level + 1):
        deeper = assignments[f"level_{depth}"].ne("")
        ids = ids.where(~deeper, assignments[f"level_{depth}"])
        names = names.where(~deeper, assignments[f"level_{depth}_name"])
    return assignments.assign(category_id=ids, category=names)


def category_shares(assignments: pd.DataFrame, by: str, level: int = 1) -> pd.DataFrame:
    """Long table: one row per (group, category) with the failure count and the share of the group's failures."""
    counts = (
        at_level(assignments, level)
        .groupby([by, "category_id", "category"], sort=True)
        .size()
        .rename("count")
        .reset_index()
        .rename(columns={by: "group"})
    )
    totals = counts.groupby("group")["count"].transform("sum")
    counts["share"] = counts["count"] / totals
    return counts[["group", "category_id", "category", "count", "share"]]


def shares_table(document: dict[str, Any], section: str) -> pd.DataFrame:
    """The long table of `category_shares` read back from a signatures document ("models" or "datasets")."""
    rows = [
        (group, category_id, c["name"], c["count"], c["share"])
        for group, entry in document[section].items()
        for category_id, c in entry["categories"].items()
    ]
    return pd.DataFrame(rows, columns=["group", "category_id", "category", "count", "share"])


def compare_groups(assignments: pd.DataFrame, by: str = "model", level: int = 1) -> pd.DataFrame:
    """For each (group, category): is the group's share different from all other groups'? Fisher's exact test, BH-adjusted."""
    assignments = at_level(assignments, level)
    rows = []
    groups = sorted(assignments[by].unique())
    categories = assignments[["category_id", "category"]].drop_duplicates().sort_values("category_id")
    for group in groups:
        mine = assignments[by].eq(group)
        for category_id, category in categories.itertuples(index=False):
            in_category = assignments["category_id"].eq(category_id)
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


def slugify(name: str) -> str:
    """A metric-key-safe form of a category name: lowercase ASCII, runs of anything else as `_`."""
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", unaccented.lower()).strip("_") or "unnamed"


def category_slugs(document: dict[str, object]) -> dict[str, str]:
    """Category id -> a slug of its name, unique within the document (`_2`, `_3`, … on a clash, by name then id)."""
    names: dict[str, str] = {}
    for section in ("models", "datasets"):
        for entry in document[section].values():  # type: ignore[union-attr]
            names.update({cid: c["name"] for cid, c in entry["categories"].items()})
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for cid, name in sorted(names.items(), key=lambda item: (item[1], item[0])):
        base = slug = slugify(name)
        suffix = 2
        while slug in taken:
            slug, suffix = f"{base}_{suffix}", suffix + 1
        slugs[cid] = slug
        taken.add(slug)
    return slugs


def _flat_shares(groups: dict[str, dict], slugs: dict[str, str]) -> dict[str, dict[str, object]]:
    """Per group: its failure count and its share in each category, keyed `share.<slug>`."""
    return {
        group: {
            "failures": entry["failures"],
            **{f"share.{slugs[cid]}": c["share"] for cid, c in entry["categories"].items()},
        }
        for group, entry in groups.items()
    }


def signature_metrics(document: dict[str, object]) -> dict[str, object]:
    """Compact metrics for dvc metrics diff: model signatures and dataset profiles, keyed by category-name slug."""
    slugs = category_slugs(document)
    return {
        "models": _flat_shares(document["models"], slugs),  # type: ignore[arg-type]
        "datasets": _flat_shares(document["datasets"], slugs),  # type: ignore[arg-type]
    }
