"""Step 5: per-model failure signatures, per-dataset profiles, and model-vs-rest significance tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from errormap.settings import Settings
from errormap.signatures import category_shares, compare_groups, signature_metrics, signatures_document


@dataclass
class SignaturesResult:
    document: dict[str, Any]
    comparisons: pd.DataFrame
    signature_plot: pd.DataFrame
    profile_plot: pd.DataFrame
    metrics: dict[str, Any]


def compute_signatures(assignments: pd.DataFrame, settings: Settings) -> SignaturesResult:
    """Signatures and profiles at the configured taxonomy depth."""
    level = settings.signatures.level
    document = signatures_document(assignments, level)
    comparisons = compare_groups(assignments, "model", level)
    metrics = {
        **signature_metrics(document),
        "significant_differences": int(comparisons["significant"].sum()) if len(comparisons) else 0,
    }
    return SignaturesResult(
        document,
        comparisons,
        category_shares(assignments, "model", level).rename(columns={"group": "model"}),
        category_shares(assignments, "dataset", level).rename(columns={"group": "dataset"}),
        metrics,
    )
