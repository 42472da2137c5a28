"""Step 4: rebuild the taxonomy with several seeds and measure how far the builds agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from errormap.judge import Judge
from errormap.settings import Settings

AGREEMENT_KEYS = ("adjusted_rand_index", "normalized_mutual_info", "matched_precision", "matched_recall")


def skipped(settings: Settings) -> str | None:
    """Why stability is not measured, or None."""
    if settings.taxonomy.mode == "atlas":
        return "atlas mode: the taxonomy is a fixed release, not rebuilt per seed"
    return "stability.seeds lists fewer than two seeds" if len(settings.stability.seeds) < 2 else None


async def measure_stability(diagnoses: pd.DataFrame, settings: Settings, judge_factory: Callable[[], Judge]) -> dict[str, Any]:
    """The stability metrics document: mean pairwise agreement of builds with each configured seed."""
    from errormap.taxonomy.quality import stability

    return await stability(diagnoses, judge_factory, settings.taxonomy, settings.stability.seeds, settings.stability.jaccard)
