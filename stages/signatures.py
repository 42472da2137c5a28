"""DVC stage `signatures`: per-model failure signatures, per-dataset profiles, significance tests."""

from __future__ import annotations

import pandas as pd

from errormap.signatures import category_shares, compare_groups, signature_metrics, signatures_document
from errormap.stage import log, stage_context, write_csv, write_json, write_parquet

ASSIGNMENTS = "data/taxonomy/assignments.parquet"
SIGNATURES = "data/signatures/signatures.json"
COMPARISONS = "data/signatures/comparisons.parquet"
METRICS = "metrics/signatures.json"
SIGNATURE_PLOT = "plots/signatures.csv"
PROFILE_PLOT = "plots/profiles.csv"


def main() -> None:
    with stage_context("signatures") as (params, tracker):
        assignments = pd.read_parquet(ASSIGNMENTS)
        level = int((params.get("signatures") or {}).get("level", 1))
        document = signatures_document(assignments, level)
        comparisons = compare_groups(assignments, "model", level)
        write_json(SIGNATURES, document)
        write_parquet(COMPARISONS, comparisons)
        write_csv(SIGNATURE_PLOT, category_shares(assignments, "model", level).rename(columns={"group": "model"}))
        write_csv(PROFILE_PLOT, category_shares(assignments, "dataset", level).rename(columns={"group": "dataset"}))
        metrics = {
            **signature_metrics(document),
            "significant_differences": int(comparisons["significant"].sum()) if len(comparisons) else 0,
        }
        write_json(METRICS, metrics)
        tracker.log_metrics(metrics)
        tracker.log_artifact(SIGNATURES)
        log.info(
            "signatures: %d models, %d datasets, %d significant model-vs-rest differences",
            len(document["models"]), len(document["datasets"]), metrics["significant_differences"],
        )


if __name__ == "__main__":
    main()
