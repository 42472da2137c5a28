"""DVC stage `report`: one self-contained HTML report that answers how models fail, what benchmarks test, which model to pick."""

from __future__ import annotations

from errormap import artifacts
from errormap.report import ReportInputs, render_report
from errormap.report.trust import load_precision
from errormap.stage import log, stage_context
from errormap.tracking import run_provenance, runs_page


def main() -> None:
    with stage_context("report") as (settings, tracker):
        inputs = ReportInputs(
            taxonomy=artifacts.TAXONOMY.read(),
            assignments=artifacts.ASSIGNMENTS.read(),
            diagnoses=artifacts.DIAGNOSES.read(),
            failures=artifacts.FAILURES.read(),
            comparisons=artifacts.COMPARISONS.read(),
            pairwise=artifacts.PAIRWISE.read(),
            signatures=artifacts.SIGNATURES.read_json(),
            prepare_metrics=artifacts.PREPARE_METRICS.read_json(),
            taxonomy_metrics=artifacts.TAXONOMY_METRICS.read_json(),
            stability_metrics=artifacts.STABILITY_METRICS.read_json(),
            examples_per_category=settings.report.examples_per_category,
            params=settings.model_dump(mode="json"),
            provenance=run_provenance(),
            rule_precision=load_precision(),
        )
        path = render_report(inputs, artifacts.REPORT)
        tracker.log_metrics({"report_bytes": path.stat().st_size})
        tracker.log_artifact(path)
        log.info("report written to %s (%.0f kB)", path.resolve(), path.stat().st_size / 1000)
        if getattr(tracker, "experiment_id", None):
            log.info("MLflow runs table: %s (after `mlflow ui --backend-store-uri %s`)", runs_page(tracker.experiment_id), tracker.uri)


if __name__ == "__main__":
    main()
