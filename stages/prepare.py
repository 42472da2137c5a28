"""DVC stage `prepare`: load results, mark failures, sample them per (model, dataset)."""

from __future__ import annotations

from errormap import artifacts
from errormap.stage import log, run, stage_context
from errormap.steps.prepare import prepare


def main() -> None:
    with stage_context("prepare") as (settings, tracker):
        prepared = prepare(settings)
        artifacts.RESULTS.write(prepared.results)
        artifacts.FAILURES.write(prepared.failures)
        artifacts.ACCURACY_PLOT.write(prepared.accuracy)
        artifacts.PREPARE_METRICS.write(prepared.metrics)
        tracker.log_metrics(prepared.metrics)
        log.info(
            "prepare: %d rows, %d failures, %d sampled for analysis",
            prepared.metrics["rows"], prepared.metrics["failures"], prepared.metrics["sampled_failures"],
        )


if __name__ == "__main__":
    run(main)
