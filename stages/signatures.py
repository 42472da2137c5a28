"""DVC stage `signatures`: per-model failure signatures, per-dataset profiles, model comparisons."""

from __future__ import annotations

from errormap import artifacts
from errormap.stage import log, run, stage_context
from errormap.steps.signatures import compute_signatures


def main() -> None:
    with stage_context("signatures") as (settings, tracker):
        result = compute_signatures(artifacts.ASSIGNMENTS.read(), artifacts.RESULTS.read(), settings)
        artifacts.SIGNATURES.write(result.document)
        artifacts.COMPARISONS.write(result.comparisons)
        artifacts.PAIRWISE.write(result.pairwise)
        artifacts.SIGNATURE_PLOT.write(result.signature_plot)
        artifacts.PROFILE_PLOT.write(result.profile_plot)
        artifacts.DISTANCE_PLOT.write(result.distance_plot)
        artifacts.SIGNATURES_METRICS.write(result.metrics)
        tracker.log_metrics(result.metrics)
        tracker.log_artifact(artifacts.SIGNATURES.path)
        log.info(
            "signatures: %d models, %d datasets, %d significant model-vs-rest and %d model-vs-model differences",
            result.metrics["models"], result.metrics["datasets"], result.metrics["significant_differences"],
            result.metrics["significant_pairwise"],
        )


if __name__ == "__main__":
    run(main)
