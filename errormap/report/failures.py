"""Every analysed failure for the report: the browsable table's records and seeded, spread-out examples."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from errormap.seeding import rng_for

if TYPE_CHECKING:  # pandas loads after the charts are on their way (stages/report.py)
    import pandas as pd

TEXT_LIMIT = 1500
Row = dict[str, Any]


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


def detail_rows(details: pd.DataFrame) -> list[Row]:
    """The details as plain rows (one conversion: picking rows from a list is far cheaper than from a frame)."""
    return details.to_dict("records")


def failure_records(rows: list[Row], levels: list[str]) -> list[dict[str, Any]]:
    """One compact record per failure for the browser (short keys keep the page small); `levels`: the path's columns."""
    return [
        {
            "id": row["failure_id"], "m": row["model"], "d": row["dataset"], "e": str(row["example_id"]),
            "p": [row[c] for c in levels if row[c]],
            "t": clip(row.get("error_title"), 300) or "(no diagnosis)",
            "s": clip(row.get("error_summary") or row.get("error"), 800),
            "i": clip(row.get("input_text")), "o": clip(row.get("output_text")), "r": clip(row.get("correct_answer")),
            "c": _criteria(row.get("criteria")),
        }
        for row in rows
    ]


def spread_sample(rows: list[Row], count: int, seed: int, key: str) -> list[Row]:
    """Up to `count` rows drawn across models and datasets: a seeded shuffle, then new models and datasets first."""
    if count <= 0 or not rows:
        return []
    remaining = [rows[i] for i in rng_for(seed, "report-examples", key).permutation(len(rows))]
    all_models, all_datasets = {r["model"] for r in rows}, {r["dataset"] for r in rows}
    chosen: list[Row] = []
    models: set[str] = set()
    datasets: set[str] = set()
    while remaining and len(chosen) < count:
        novelty = [(r["model"] not in models) * 2 + (r["dataset"] not in datasets) for r in remaining]
        row = remaining.pop(novelty.index(max(novelty)))  # the first of the most novel
        chosen.append(row)
        models.add(row["model"])
        datasets.add(row["dataset"])
        if models >= all_models and datasets >= all_datasets:
            models, datasets = set(), set()
    return chosen


def rows_by_node(rows: list[Row], levels: list[str]) -> dict[str, list[Row]]:
    """The rows under each taxonomy node (any depth), nodes in the order of `levels` then of their ids."""
    grouped: dict[str, list[Row]] = {}
    for column in levels:
        at_level: dict[str, list[Row]] = {}
        for row in rows:
            node_id = row[column]
            if node_id and node_id == node_id:  # neither empty nor missing (NaN)
                at_level.setdefault(str(node_id), []).append(row)
        grouped.update(sorted(at_level.items()))
    return grouped


def examples_by_node(rows: list[Row], levels: list[str], count: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Up to `count` example failures per taxonomy node (any depth), spread across models and datasets."""
    return {
        node_id: failure_records(spread_sample(node_rows, count, seed, node_id), levels)
        for node_id, node_rows in rows_by_node(rows, levels).items()
    }
