"""Every analysed failure for the report: the browsable table's records and seeded, spread-out examples."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from errormap.seeding import rng_for

TEXT_LIMIT = 1500


def clip(text: object, limit: int = TEXT_LIMIT) -> str:
    """Text for the page: None/NaN as empty, long texts cut with a mark."""
    text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return text if len(text) <= limit else text[:limit] + " …"


def failure_details(assignments: pd.DataFrame, diagnoses: pd.DataFrame, failures: pd.DataFrame) -> pd.DataFrame:
    """The assignments joined with their diagnosis and the failing row's texts."""
    diagnosis_columns = [c for c in ("failure_id", "error_summary", "criteria", "status", "error") if c in diagnoses]
    text_columns = [c for c in ("failure_id", "input_text", "output_text", "correct_answer") if c in failures]
    details = assignments.merge(diagnoses[diagnosis_columns], on="failure_id", how="left")
    details = details.merge(failures[text_columns], on="failure_id", how="left")
    return details.sort_values(["dataset", "example_id", "model"]).reset_index(drop=True)


def _criteria(value: object) -> list[dict[str, str]]:
    try:
        parsed = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [
        {"criterion": clip(c.get("criterion"), 400), "verdict": clip(c.get("verdict"), 40), "evidence": clip(c.get("evidence"), 600)}
        for c in parsed if isinstance(c, dict)
    ]


def level_columns(details: pd.DataFrame) -> list[str]:
    return sorted((c for c in details.columns if c.startswith("level_") and c[6:].isdigit()), key=lambda c: int(c[6:]))


def failure_records(details: pd.DataFrame) -> list[dict[str, Any]]:
    """One compact record per failure for the browser (short keys keep the page small)."""
    levels = level_columns(details)
    records = []
    for row in details.to_dict("records"):
        records.append({
            "id": row["failure_id"], "m": row["model"], "d": row["dataset"], "e": str(row["example_id"]),
            "p": [row[c] for c in levels if row[c]],
            "t": clip(row.get("error_title"), 300) or "(no diagnosis)",
            "s": clip(row.get("error_summary") or row.get("error"), 800),
            "i": clip(row.get("input_text")), "o": clip(row.get("output_text")), "r": clip(row.get("correct_answer")),
            "c": _criteria(row.get("criteria")),
        })
    return records


def spread_sample(rows: pd.DataFrame, count: int, seed: int, key: str) -> pd.DataFrame:
    """Up to `count` rows drawn across models and datasets: a seeded shuffle, then new models and datasets first."""
    if count <= 0 or rows.empty:
        return rows.iloc[0:0]
    order = rng_for(seed, "report-examples", key).permutation(len(rows))
    remaining = [rows.iloc[i] for i in order]
    chosen: list[pd.Series] = []
    models: set[str] = set()
    datasets: set[str] = set()
    while remaining and len(chosen) < count:
        def novelty(row: pd.Series) -> int:
            return (row["model"] not in models) * 2 + (row["dataset"] not in datasets)

        best = max(range(len(remaining)), key=lambda i: (novelty(remaining[i]), -i))
        row = remaining.pop(best)
        chosen.append(row)
        models.add(row["model"])
        datasets.add(row["dataset"])
        if models >= set(rows["model"]) and datasets >= set(rows["dataset"]):
            models, datasets = set(), set()
    return pd.DataFrame(chosen)


def examples_by_node(details: pd.DataFrame, count: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Up to `count` example failures per taxonomy node (any depth), spread across models and datasets."""
    examples: dict[str, list[dict[str, Any]]] = {}
    for column in level_columns(details):
        for node_id, rows in details.groupby(column):
            if node_id:
                picked = spread_sample(rows, count, seed, str(node_id))
                examples[str(node_id)] = failure_records(picked) if len(picked) else []
    return examples
