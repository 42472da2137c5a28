"""DVC stage `report`: one self-contained HTML report that answers how models fail, what benchmarks test, which model to pick."""

from __future__ import annotations

from errormap.report.svg import start_engine

start_engine()  # the chart process starts its engine (about 0.4 s) while pandas and the inputs load

from errormap import artifacts
from errormap.report.sections import start_charts
from errormap.stage import log, run, stage_context
from errormap.tracking import run_provenance, runs_page


def main() -> None:
    with stage_context("report") as (settings, tracker):
        taxonomy, signatures = artifacts.TAXONOMY.read(), artifacts.SIGNATURES.read_json()
        charts = start_charts(taxonomy, signatures)  # drawn in another process from here on
        from errormap.report.inputs import ReportInputs  # pandas and the page's modules load while they are drawn
        from errormap.report.render import render_report
        from errormap.report.trust import load_precision

        inputs = ReportInputs(
            taxonomy=taxonomy,
            assignments=artifacts.ASSIGNMENTS.read(),
            diagnoses=artifacts.DIAGNOSES.read(),
            failures=artifacts.FAILURES.read(),
            comparisons=artifacts.COMPARISONS.read(),
            pairwise=artifacts.PAIRWISE.read(),
            signatures=signatures,
            prepare_metrics=artifacts.PREPARE_METRICS.read_json(),
            taxonomy_metrics=artifacts.TAXONOMY_METRICS.read_json(),
            stability_metrics=artifacts.STABILITY_METRICS.read_json(),
            examples_per_category=settings.report.examples_per_category,
            params=settings.model_dump(mode="json"),
            provenance=run_provenance(),
            rule_precision=load_precision(),
            charts=charts,
        )
        path = render_report(inputs, artifacts.REPORT)
        tracker.log_metrics({"report_bytes": path.stat().st_size})
        tracker.log_artifact(path)
        log.info("report written to %s (%.0f kB)", path.resolve(), path.stat().st_size / 1000)
        if getattr(tracker, "experiment_id", None):
            log.info("MLflow runs table: %s (after `mlflow ui --backend-store-uri %s`)", runs_page(tracker.experiment_id), tracker.uri)


if __name__ == "__main__":
    run(main)
