"""Step 2: one diagnosis per sampled failure from the judge; failed calls are kept as rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from errormap.analysis import RunStats, build_cases, diagnose_all
from errormap.errors import StageError
from errormap.judge import Judge
from errormap.settings import Settings


@dataclass
class Analysis:
    diagnoses: pd.DataFrame
    stats: RunStats
    metrics: dict[str, Any]


async def analyze(
    results: pd.DataFrame,
    failures: pd.DataFrame,
    settings: Settings,
    judge: Judge,
    on_progress: Callable[[RunStats], None] | None = None,
) -> Analysis:
    """Diagnose every sampled failure (the judge is closed afterwards)."""
    cases = build_cases(results, failures, k_correct=settings.analysis.k_correct, seed=settings.seed)
    try:
        diagnoses, stats = await diagnose_all(cases, judge, on_progress=on_progress)
    finally:
        await judge.aclose()
    metrics = {
        **stats.as_metrics(),
        "judge": judge.judge_id,
        "distinct_titles": int(diagnoses["error_title"].nunique()),
    }
    return Analysis(diagnoses, stats, metrics)


def check_failed_share(stats: RunStats, allowed: float, where: str) -> None:
    """StageError when more diagnoses failed than allowed, so DVC does not record the stage as done."""
    if stats.total and stats.failed / stats.total > allowed:
        raise StageError(
            f"{stats.failed} of {stats.total} diagnoses failed (rows with status 'failed' in {where}); "
            "answered ones are kept in the store, so `dvc repro` retries only the failed ones. "
            f"Raise analysis.max_failed_share (now {allowed}) to accept them."
        )
