"""DVC stage `stability`: rebuild the taxonomy with several seeds and measure how much the builds agree."""

from __future__ import annotations

import asyncio
import logging

import pandas as pd

from errormap.quality import stability
from errormap.stage import judge_from_params, log, stage_context, write_json
from errormap.taxonomy import TaxonomyParams

DIAGNOSES = "data/analysis/diagnoses.parquet"
METRICS = "metrics/stability.json"
AGREEMENT_KEYS = ("adjusted_rand_index", "normalized_mutual_info", "matched_precision", "matched_recall")


def main() -> None:
    with stage_context("stability") as (params, tracker):
        settings = params.get("stability") or {}
        seeds = [int(s) for s in settings.get("seeds") or []]
        if len(seeds) < 2:
            write_json(METRICS, {"seeds": seeds, "skipped": "stability.seeds lists fewer than two seeds"})
            log.info("stability: skipped (stability.seeds lists fewer than two seeds)")
            return
        diagnoses = pd.read_parquet(DIAGNOSES)
        logging.getLogger("errormap.taxonomy").setLevel(logging.WARNING)  # the builds' splits: already shown by `taxonomy`
        taxonomy_params = TaxonomyParams.from_mapping({**params["taxonomy"], "seed": seeds[0]})
        result = asyncio.run(
            stability(
                diagnoses, lambda: judge_from_params(params), taxonomy_params, seeds, float(settings.get("jaccard", 0.5))
            )
        )
        write_json(METRICS, result)
        summary = {k: result[k] for k in AGREEMENT_KEYS}
        tracker.log_metrics({f"stability_{k}": v for k, v in summary.items()})
        log.info("stability over seeds %s: %s", seeds, ", ".join(f"{k} {v:.3f}" for k, v in summary.items()))


if __name__ == "__main__":
    main()
