"""DVC stage `stability`: rebuild the taxonomy with several seeds and measure how much the builds agree."""

from __future__ import annotations

import asyncio
import logging

from errormap import artifacts
from errormap.judge import judge_from_settings
from errormap.stage import log, run, stage_context, store_path
from errormap.steps.stability import AGREEMENT_KEYS, measure_stability, skipped


def main() -> None:
    with stage_context("stability") as (settings, tracker):
        reason = skipped(settings)
        if reason:
            artifacts.STABILITY_METRICS.write({"seeds": list(settings.stability.seeds), "skipped": reason})
            log.info("stability: skipped (%s)", reason)
            return
        logging.getLogger("errormap.taxonomy").setLevel(logging.WARNING)  # the builds' splits: already shown by `taxonomy`
        diagnoses = artifacts.DIAGNOSES.read()
        result = asyncio.run(measure_stability(diagnoses, settings, lambda: judge_from_settings(settings, store_path())))
        artifacts.STABILITY_METRICS.write(result)
        summary = {k: result[k] for k in AGREEMENT_KEYS}
        tracker.log_metrics({f"stability_{k}": v for k, v in summary.items()})
        log.info(
            "stability over seeds %s: %s", result["seeds"], ", ".join(f"{k} {v:.3f}" for k, v in summary.items())
        )


if __name__ == "__main__":
    run(main)
