"""Atlas mode: place diagnosed failures into a fixed release instead of inducing a taxonomy.

Classification is top-down, as when a taxonomy is applied to new failures: the top level first,
then within the chosen branch, with Other and Hard to analyze at every level. The judge sees each
category's description followed by its example error titles; the result keeps the release's ids,
names and descriptions and records which release it used in `params`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from errormap.atlas.model import AtlasRelease, load_release
from errormap.judge import Judge
from errormap.settings import TaxonomyConfig
from errormap.taxonomy.apply import apply_taxonomy
from errormap.taxonomy.builder import BuildStats
from errormap.taxonomy.model import Taxonomy


async def classify_into_release(
    release_taxonomy: AtlasRelease | Path | str,
    diagnoses: pd.DataFrame,
    judge: Judge,
    taxonomy_config: TaxonomyConfig,
    seed: int = 0,
) -> tuple[Taxonomy, pd.DataFrame, BuildStats]:
    """Every diagnosed failure placed in the release (a release, its file or its directory).

    Returns the taxonomy (same schema as an induced one; `params["atlas"]` names the release), the
    assignments table and the judge's request counts. The judge is not closed.
    """
    release = release_taxonomy if isinstance(release_taxonomy, AtlasRelease) else load_release(release_taxonomy)
    guide = release.to_taxonomy(with_examples=True)
    applied, assignments, stats = await apply_taxonomy(guide, diagnoses, judge, taxonomy_config, seed)
    originals = {c.id: c.description for c in release.categories}
    nodes = [n.model_copy(update={"description": originals.get(n.id, n.description)}) for n in applied.nodes]
    params: dict[str, Any] = {
        "mode": "atlas", "atlas": release.marker(), "seed": seed,
        "classify_batch_size": taxonomy_config.classify_batch_size,
    }
    return applied.model_copy(update={"nodes": nodes, "params": params}), assignments, stats


def release_of(taxonomy: Taxonomy) -> dict[str, str] | None:
    """The release a taxonomy was classified into ({name, version, format}), or None for an induced one."""
    marker = taxonomy.params.get("atlas")
    return dict(marker) if isinstance(marker, dict) and taxonomy.params.get("mode") == "atlas" else None
