"""Step 3: induce the error taxonomy from the diagnoses and place every failure on one path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from errormap.judge import Judge
from errormap.settings import Settings
from errormap.taxonomy.builder import BuildStats, TaxonomyBuilder, taxonomy_metrics
from errormap.taxonomy.model import Taxonomy


@dataclass
class TaxonomyResult:
    taxonomy: Taxonomy
    assignments: pd.DataFrame
    metrics: dict[str, Any]


async def build_taxonomy(
    diagnoses: pd.DataFrame,
    settings: Settings,
    judge: Judge,
    on_progress: Callable[[str, BuildStats], None] | None = None,
) -> TaxonomyResult:
    """Build the taxonomy with the configured judge (closed afterwards)."""
    builder = TaxonomyBuilder(judge, settings.taxonomy, settings.seed, on_progress=on_progress)
    try:
        taxonomy, assignments = await builder.build(diagnoses)
    finally:
        await judge.aclose()
    return TaxonomyResult(taxonomy, assignments, taxonomy_metrics(taxonomy, builder.stats))
