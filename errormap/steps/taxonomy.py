"""Step 3: induce the error taxonomy from the diagnoses and place every failure on one path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from errormap.errors import StageError
from errormap.judge import Judge
from errormap.settings import Settings, TaxonomyConfig
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
    """Induce the taxonomy, or classify into the configured ErrorAtlas release (the judge is closed afterwards)."""
    config = settings.taxonomy
    try:
        if config.mode == "atlas":
            from errormap.atlas import classify_into_release, resolve_release

            release = resolve_release(config.atlas)
            taxonomy, assignments, stats = await classify_into_release(release, diagnoses, judge, config, settings.seed)
        else:
            builder = TaxonomyBuilder(judge, config, settings.seed, on_progress=on_progress)
            taxonomy, assignments = await builder.build(diagnoses)
            stats = builder.stats
    finally:
        await judge.aclose()
    return TaxonomyResult(taxonomy, assignments, {**taxonomy_metrics(taxonomy, stats), **release_metrics(taxonomy)})


def release_metrics(taxonomy: Taxonomy) -> dict[str, Any]:
    """Which taxonomy the failures were placed in: induced here, or an ErrorAtlas release (by version)."""
    params = taxonomy.params
    if params.get("mode") == "atlas" and isinstance(params.get("atlas"), dict):
        return {"mode": "atlas", "atlas_version": str(params["atlas"].get("version"))}
    return {"mode": "induce"}


def check_quality(metrics: dict[str, Any], config: TaxonomyConfig, where: str) -> None:
    """StageError when the taxonomy is too weak to build signatures on: coverage or classification fell short."""
    problems = []
    if metrics["diagnosed_coverage"] < config.min_coverage:
        problems.append(
            f"coverage {metrics['diagnosed_coverage']:.2f} of the diagnosed failures is below taxonomy.min_coverage "
            f"{config.min_coverage} (Other {metrics['other_share']:.1%} of all failures; Hard to analyze, "
            f"which has no usable diagnosis, {metrics['hard_share']:.1%})"
        )
    if metrics["fallback_share"] > config.max_fallback_share:
        problems.append(
            f"{metrics['classification_fallbacks']} of {metrics['titles_classified']} titles "
            f"({metrics['fallback_share']:.1%}) were never placed by the judge's classification and fell back to Other, "
            f"above taxonomy.max_fallback_share {config.max_fallback_share}"
        )
    if problems:
        raise StageError(
            "the taxonomy is not usable: " + "; ".join(problems) + f". It is written to {where} for inspection. "
            f"Likely cause: the judge's classification answers ({metrics['judge_errors']} judge errors in this build) "
            "or diagnoses too vague to place. Check the judge, or accept it with "
            "`dvc exp run -S taxonomy.min_coverage=... -S taxonomy.max_fallback_share=...`."
        )
