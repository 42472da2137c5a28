"""DVC stage `analyze`: one diagnosis per sampled failure from the configured judge."""

from __future__ import annotations

import asyncio

from errormap import artifacts
from errormap.judge import judge_from_settings
from errormap.progress import judge_progress
from errormap.stage import log, run, stage_context, store_path
from errormap.steps.analyze import analyze, check_failed_share


def main() -> None:
    with stage_context("analyze") as (settings, tracker):
        results, failures = artifacts.RESULTS.read(), artifacts.FAILURES.read()
        with judge_progress("analyze", len(failures)) as update:
            analysis = asyncio.run(analyze(results, failures, settings, judge_from_settings(settings, store_path()), update))
        artifacts.DIAGNOSES.write(analysis.diagnoses)
        artifacts.ANALYZE_METRICS.write(analysis.metrics)
        tracker.log_metrics({**analysis.metrics, "seconds": analysis.stats.elapsed})
        tracker.log_artifact(artifacts.DIAGNOSES.path)
        stats = analysis.stats
        log.info(
            "analyze: %d diagnoses (%d failed), %d judge requests (%d retries), %d answers reused from the store; "
            "asked %d new failures and %d whose request changed (peers shown or prompt)",
            stats.done, stats.failed, stats.requests, stats.retries, stats.cached,
            stats.asked - stats.asked_again, stats.asked_again,
        )
        check_failed_share(stats, settings.analysis.max_failed_share, artifacts.DIAGNOSES.path)


if __name__ == "__main__":
    run(main)
