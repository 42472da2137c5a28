"""DVC stage `analyze`: one diagnosis per sampled failure from the configured judge."""

from __future__ import annotations

import asyncio

import pandas as pd

from errormap.analysis import build_cases, diagnose_all
from errormap.progress import judge_progress
from errormap.stage import StageError, judge_from_params, log, stage_context, write_json, write_parquet

RESULTS = "data/prepared/results.parquet"
FAILURES = "data/prepared/failures.parquet"
DIAGNOSES = "data/analysis/diagnoses.parquet"
METRICS = "metrics/analyze.json"


async def run(cases, judge):
    try:
        with judge_progress("analyze", len(cases)) as update:
            return await diagnose_all(cases, judge, on_progress=update)
    finally:
        await judge.aclose()


def main() -> None:
    with stage_context("analyze") as (params, tracker):
        marked = pd.read_parquet(RESULTS)
        failures = pd.read_parquet(FAILURES)
        analysis = params.get("analysis") or {}
        cases = build_cases(marked, failures, k_correct=int(analysis.get("k_correct", 3)), seed=int(params["seed"]))
        judge = judge_from_params(params)
        diagnoses, stats = asyncio.run(run(cases, judge))
        write_parquet(DIAGNOSES, diagnoses)
        metrics = {
            **stats.as_metrics(),
            "judge": judge.judge_id,
            "distinct_titles": int(diagnoses["error_title"].nunique()),
        }
        write_json(METRICS, metrics)
        tracker.log_metrics({**metrics, "seconds": stats.elapsed})
        tracker.log_artifact(DIAGNOSES)
        log.info(
            "analyze: %d diagnoses (%d failed), %d judge requests, %d answers reused from the store",
            stats.done, stats.failed, stats.requests, stats.cached,
        )
        allowed = float(analysis.get("max_failed_share", 0.01))
        if stats.total and stats.failed / stats.total > allowed:
            raise StageError(
                f"{stats.failed} of {stats.total} diagnoses failed (rows with status 'failed' in {DIAGNOSES}); "
                "answered ones are kept in the store, so `dvc repro` retries only the failed ones. "
                f"Raise analysis.max_failed_share (now {allowed}) to accept them."
            )


if __name__ == "__main__":
    main()
