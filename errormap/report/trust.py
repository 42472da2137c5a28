"""How far each category rests on rules of measured precision (offline judge), and where the figures are.

The offline judge's titles are scored on a hand-labelled, held-out set (`evaluation/offline_judge/`,
written by `bench/offline_judge_precision.py` to `precision.json`). For each taxonomy category the
report shows the share of its failures whose title has a measured held-out precision at or above the
bar, and the lowest such precision; for an LLM judge it says that no precision was measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from errormap.taxonomy.model import ROOT_ID, Taxonomy

PRECISION_FILE = "evaluation/offline_judge/precision.json"
HELD_OUT_PART = "held_out"


def load_precision(root: Path | str = ".") -> dict[str, Any] | None:
    """The labelled-set figures, or None when the repository has none."""
    path = Path(root) / PRECISION_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def measured_titles(precision: dict[str, Any] | None, judge_id: str) -> dict[str, float]:
    """Title -> held-out precision, for the judge the figures were measured for (empty otherwise)."""
    if not precision or precision.get("judge") != judge_id:
        return {}
    titles = (precision.get(HELD_OUT_PART) or {}).get("titles") or {}
    return {title: float(figures["precision"]) for title, figures in titles.items() if figures.get("emitted")}


def category_trust(
    taxonomy: Taxonomy, assignments: pd.DataFrame, precision: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Per node id: the share of its failures from measured rules at or above the bar, and their lowest precision."""
    measured = measured_titles(precision, taxonomy.judge_id)
    if not measured:
        return {}
    bar = float(precision.get("bar", 0.9)) if precision else 0.9
    trust: dict[str, dict[str, Any]] = {}
    for node in taxonomy.nodes:
        column = f"level_{node.depth}"
        if node.id == ROOT_ID or not node.count or column not in assignments.columns:
            continue
        titles = assignments.loc[assignments[column] == node.id, "error_title"].fillna("")
        known = titles[titles.map(lambda t: measured.get(t, -1.0) >= bar)]
        trust[node.id] = {
            "measured_share": len(known) / len(titles) if len(titles) else 0.0,
            "lowest_precision": min((measured[t] for t in set(known)), default=None),
        }
    return trust
