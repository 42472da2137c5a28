"""DVC stage `report`: one self-contained HTML report of taxonomy, examples and signatures."""

from __future__ import annotations

from errormap import artifacts
from errormap.report import ReportInputs, render_report
from errormap.stage import log, stage_context


def main() -> None:
    with stage_context("report") as (settings, tracker):
        inputs = ReportInputs(
            taxonomy=artifacts.TAXONOMY.read(),
            assignments=artifacts.ASSIGNMENTS.read(),
            diagnoses=artifacts.DIAGNOSES.read(),
            failures=artifacts.FAILURES.read(),
            comparisons=artifacts.COMPARISONS.read(),
            signatures=artifacts.SIGNATURES.read_json(),
            prepare_metrics=artifacts.PREPARE_METRICS.read_json(),
            examples_per_category=settings.report.examples_per_category,
            params=settings.model_dump(mode="json"),
        )
        path = render_report(inputs, artifacts.REPORT)
        tracker.log_metrics({"report_bytes": path.stat().st_size})
        tracker.log_artifact(path)
        log.info("report written to %s", path.resolve())


if __name__ == "__main__":
    main()
