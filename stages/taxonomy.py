"""DVC stage `taxonomy`: induce the error taxonomy and place every failure on one path."""

from __future__ import annotations

import asyncio

import pandas as pd

from errormap.progress import taxonomy_progress
from errormap.stage import judge_from_params, log, stage_context, write_json, write_parquet
from errormap.taxonomy import TaxonomyBuilder, TaxonomyParams, taxonomy_metrics

DIAGNOSES = "data/analysis/diagnoses.parquet"
TAXONOMY = "data/taxonomy/taxonomy.json"
ASSIGNMENTS = "data/taxonomy/assignments.parquet"
METRICS = "metrics/taxonomy.json"


async def build(errors: pd.DataFrame, builder: TaxonomyBuilder):
    try:
        return await builder.build(errors)
    finally:
        await builder.judge.aclose()


def main() -> None:
    with stage_context("taxonomy") as (params, tracker):
        diagnoses = pd.read_parquet(DIAGNOSES)
        judge = judge_from_params(params)
        taxonomy_params = TaxonomyParams.from_mapping({**params["taxonomy"], "seed": int(params["seed"])})
        with taxonomy_progress("taxonomy") as update:
            builder = TaxonomyBuilder(judge, taxonomy_params, on_progress=update)
            taxonomy, assignments = asyncio.run(build(diagnoses, builder))
        write_json(TAXONOMY, taxonomy.model_dump(mode="json"))
        write_parquet(ASSIGNMENTS, assignments)
        metrics = taxonomy_metrics(taxonomy, builder.stats)
        write_json(METRICS, metrics)
        tracker.log_metrics(metrics)
        tracker.log_artifact(TAXONOMY)
        log.info(
            "taxonomy: %s categories per level, coverage %.3f",
            metrics["categories_per_level"], metrics["coverage"],
        )


if __name__ == "__main__":
    main()
