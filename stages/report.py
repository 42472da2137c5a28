"""DVC stage `report`: one self-contained HTML report of taxonomy, examples and signatures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from errormap.report import ReportInputs, render_report
from errormap.stage import log, stage_context
from errormap.taxonomy import Taxonomy

REPORT = "reports/report.html"


def main() -> None:
    with stage_context("report") as (params, tracker):
        inputs = ReportInputs(
            taxonomy=Taxonomy.model_validate_json(Path("data/taxonomy/taxonomy.json").read_text()),
            assignments=pd.read_parquet("data/taxonomy/assignments.parquet"),
            diagnoses=pd.read_parquet("data/analysis/diagnoses.parquet"),
            failures=pd.read_parquet("data/prepared/failures.parquet"),
            comparisons=pd.read_parquet("data/signatures/comparisons.parquet"),
            prepare_metrics=json.loads(Path("metrics/prepare.json").read_text()),
            examples_per_category=int((params.get("report") or {}).get("examples_per_category", 3)),
            params=params,
        )
        path = render_report(inputs, REPORT)
        tracker.log_metrics({"report_bytes": path.stat().st_size})
        tracker.log_artifact(path)
        log.info("report written to %s", path.resolve())


if __name__ == "__main__":
    main()
