"""DVC stage `taxonomy`: induce the error taxonomy and place every failure on one path."""

from __future__ import annotations

import asyncio

from errormap import artifacts
from errormap.judge import judge_from_settings
from errormap.progress import taxonomy_progress
from errormap.stage import log, run, stage_context, store_path
from errormap.steps.taxonomy import build_taxonomy, check_quality


def main() -> None:
    with stage_context("taxonomy") as (settings, tracker):
        diagnoses = artifacts.DIAGNOSES.read()
        with taxonomy_progress("taxonomy") as update:
            result = asyncio.run(build_taxonomy(diagnoses, settings, judge_from_settings(settings, store_path()), update))
        artifacts.TAXONOMY.write(result.taxonomy)
        artifacts.ASSIGNMENTS.write(result.assignments)
        artifacts.TAXONOMY_METRICS.write(result.metrics)
        tracker.log_metrics(result.metrics)
        tracker.log_artifact(artifacts.TAXONOMY.path)
        log.info(
            "taxonomy: %s categories per level, coverage %.3f",
            result.metrics["categories_per_level"], result.metrics["coverage"],
        )
        check_quality(result.metrics, settings.taxonomy, artifacts.TAXONOMY.path)


if __name__ == "__main__":
    run(main)
