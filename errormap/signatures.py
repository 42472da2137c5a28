"""Failure signatures (per model) and profiles (per dataset): counts, shares with intervals, and rates.

A model's *signature* is the mix of its analysed failures over the taxonomy's categories at one depth;
with the attempt counts from `results.parquet` each category also gets a *failure rate*: failures
of that kind per attempt. When failures were sampled, attempts are scaled to the analysed share of
each model × dataset group (`errormap.statistics.effective_attempts`). A dataset's *profile* is the
same mix over a dataset, pooled over models and per model.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pandas as pd

from errormap.statistics import INTERVAL_METHOD, effective_attempts, wilson

UNMAPPED = "unmapped"


def at_level(assignments: pd.DataFrame, level: int) -> pd.DataFrame:
    """The assignments with each failure's category at `level` (columns category_id, category).

    A failure whose path ends above that depth counts in its deepest category: at level 2, a
    category that was not split is its own level-2 entry.
    """
    if f"level_{level}" not in assignments.columns:
        raise ValueError(f"signatures.level is {level} but the taxonomy has {taxonomy_depth(assignments)} level(s)")
    ids = assignments["level_1"].copy()
    names = assignments["level_1_name"].copy()
    for depth in range(2, level + 1):
        deeper = assignments[f"level_{depth}"].ne("")
        ids = ids.where(~deeper, assignments[f"level_{depth}"])
        names = names.where(~deeper, assignments[f"level_{depth}_name"])
    return assignments.assign(category_id=ids, category=names)


def taxonomy_depth(assignments: pd.DataFrame) -> int:
    """How many `level_k` columns the assignments have."""
    return sum(1 for c in assignments.columns if re.fullmatch(r"level_\d+", c))


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
    """One row per (group, category) of a signatures document section ("models" or "datasets"), every field kept."""
    rows = [
        {"group": group, "category_id": category_id, "category": c["name"], **{k: v for k, v in c.items() if k != "name"}}
        for group, entry in document[section].items()
        for category_id, c in entry["categories"].items()
    ]
    columns = ["group", "category_id", "category", "count", "share"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys(columns + [k for r in rows for k in r])))


def attempt_counts(results: pd.DataFrame) -> pd.DataFrame:
    """Attempts and failures per (model, dataset), from the prepared results table."""
    return (
        results.groupby(["model", "dataset"], sort=True)
        .agg(attempts=("is_failure", "size"), failures=("is_failure", "sum"))
        .astype(int)
        .reset_index()
    )


def group_sizes(assignments: pd.DataFrame, attempts: pd.DataFrame | None) -> pd.DataFrame:
    """Per (model, dataset) with analysed failures or attempts: attempts, failures, analysed, effective attempts.

    Without attempt counts, attempts and failures are the analysed failures (rates are then shares).
    """
    analysed = assignments.groupby(["model", "dataset"]).size().rename("analysed").reset_index()
    if attempts is None:
        sizes = analysed.assign(attempts=analysed["analysed"], failures=analysed["analysed"])
    else:
        models = set(assignments["model"])
        sizes = attempts[attempts["model"].isin(models)].merge(analysed, on=["model", "dataset"], how="outer")
        sizes = sizes.fillna(0)
    sizes = sizes.astype({"attempts": int, "failures": int, "analysed": int})
    sizes["effective"] = [
        effective_attempts(r.attempts, r.failures, r.analysed) for r in sizes.itertuples(index=False)
    ]
    return sizes[["model", "dataset", "attempts", "failures", "analysed", "effective"]].reset_index(drop=True)


def _r(value: float) -> float:
    return round(float(value), 6)


def category_entry(rows: pd.DataFrame, effective: float | None = None) -> dict[str, Any]:
    """Counts, shares with Wilson intervals, and (given effective attempts) rates per category of `rows`."""
    total = len(rows)
    categories: dict[str, Any] = {}
    counts = rows.groupby(["category_id", "category"], sort=True).size()
    for (category_id, name), count in counts.items():
        low, high = wilson(int(count), total)
        entry = {"name": name, "count": int(count), "share": _r(count / total), "share_low": _r(low), "share_high": _r(high)}
        if effective is not None and effective > 0:
            trials = max(int(round(effective)), int(count))
            rate_low, rate_high = wilson(int(count), trials)
            entry.update(rate=_r(count / effective), rate_low=_r(rate_low), rate_high=_r(rate_high))
        categories[str(category_id)] = entry
    return {"failures": total, "categories": categories}


def _sized_entry(rows: pd.DataFrame, sizes: pd.DataFrame) -> dict[str, Any]:
    effective = float(sizes["effective"].sum())
    attempts, failures = int(sizes["attempts"].sum()), int(sizes["failures"].sum())
    return {
        "attempts": attempts,
        "all_failures": failures,
        "error_rate": _r(failures / attempts) if attempts else 0.0,
        "effective_attempts": _r(effective),
        "sampled": bool((sizes["analysed"] < sizes["failures"]).any()),
        **category_entry(rows, effective),
    }


def capability_of(path_names: list[str], groups: dict[str, list[str]]) -> str:
    """The first capability group with a pattern matching one of the names (deepest first); `unmapped` if none."""
    for name in reversed([n for n in path_names if n]):
        for group, patterns in groups.items():
            if any(fnmatch.fnmatch(name.lower(), p.lower()) for p in patterns):
                return group
    return UNMAPPED


def capability_table(assignments: pd.DataFrame, groups: dict[str, list[str]]) -> pd.DataFrame:
    """The assignments with a `capability` column from the category names on each failure's path."""
    name_columns = [f"level_{d}_name" for d in range(1, taxonomy_depth(assignments) + 1)]
    paths = list(assignments[name_columns].itertuples(index=False, name=None))
    capability = {path: capability_of(list(path), groups) for path in set(paths)}  # one match per distinct path
    return assignments.assign(capability=[capability[path] for path in paths])


def _capability_shares(rows: pd.DataFrame) -> dict[str, Any]:
    counts = rows["capability"].value_counts()
    total = int(counts.sum())
    return {str(g): {"count": int(n), "share": _r(n / total)} for g, n in sorted(counts.items())}


def signatures_document(
    assignments: pd.DataFrame,
    level: int = 1,
    attempts: pd.DataFrame | None = None,
    split_by: pd.Series | None = None,
    capability_groups: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The content of signatures.json at `level`: model signatures, dataset profiles (pooled and per model).

    `attempts` (from `attempt_counts`) adds failure rates; `split_by` (a value per assignment row, named)
    adds profiles per value of that input column; `capability_groups` maps category-name patterns to groups.
    """
    table = at_level(assignments, level)
    sizes = group_sizes(assignments, attempts)
    models: dict[str, Any] = {}
    for model, rows in table.groupby("model", sort=True):
        models[str(model)] = _sized_entry(rows, sizes[sizes["model"] == model])
    datasets: dict[str, Any] = {}
    for dataset, rows in table.groupby("dataset", sort=True):
        mine = sizes[sizes["dataset"] == dataset]
        datasets[str(dataset)] = {
            **_sized_entry(rows, mine),
            "by_model": {
                str(model): _sized_entry(model_rows, mine[mine["model"] == model])
                for model, model_rows in rows.groupby("model", sort=True)
            },
        }
    document: dict[str, Any] = {
        "level": level,
        "interval": INTERVAL_METHOD,
        "rates": "per attempt" if attempts is not None else "per analysed failure (no attempt counts)",
        "sampled": bool((sizes["analysed"] < sizes["failures"]).any()),
        "models": models,
        "datasets": datasets,
    }
    document["depths"] = {  # every model's signature at every taxonomy depth (`models` above is the one at `level`)
        str(depth): models if depth == level else {
            str(model): _sized_entry(rows, sizes[sizes["model"] == model])
            for model, rows in at_level(assignments, depth).groupby("model", sort=True)
        }
        for depth in range(1, taxonomy_depth(assignments) + 1)
    }
    if split_by is not None:
        column = str(split_by.name)
        values = split_by.reindex(table.index).fillna("(none)").astype(str)
        document["split"] = {
            "column": column,
            "groups": {str(v): category_entry(rows) for v, rows in table.groupby(values, sort=True)},
        }
    if capability_groups:
        capabilities = capability_table(assignments, capability_groups)
        document["capabilities"] = {
            "groups": [*capability_groups, UNMAPPED],
            "datasets": {str(d): _capability_shares(r) for d, r in capabilities.groupby("dataset", sort=True)},
            "models": {str(m): _capability_shares(r) for m, r in capabilities.groupby("model", sort=True)},
        }
    return document

