"""Integration on real public model outputs (../shared/realdata); skipped when it is absent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

from errormap.judge import OfflineJudge
from errormap.judge.detectors import UNEXPLAINED_TITLE
from errormap.settings import default_settings
from errormap.steps.analyze import build_cases, diagnose_all
from errormap.steps.prepare import prepare as prepare_step
from errormap.taxonomy import TaxonomyBuilder, coverage
from errormap.testing.defaults import taxonomy_config

pytestmark = pytest.mark.realdata


def prepare(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    prepared = prepare_step(default_settings(), directory)
    return prepared.results, prepared.failures


def test_gsm8k_every_sampled_failure_gets_a_diagnosis(realdata: Path) -> None:
    marked, failures = prepare(realdata / "gsm8k_openai")
    assert len(marked) == 3000 and marked["model"].nunique() == 4
    assert len(failures) == int((marked["score"] == 0).sum())
    cases = build_cases(marked, failures, k_correct=3, seed=13)
    assert all(c.model not in c.other_models for c in cases)
    frame, stats = asyncio.run(diagnose_all(cases, OfflineJudge()))
    assert stats.failed == 0 and len(frame) == len(failures)
    assert set(frame["failure_id"]) == set(failures["failure_id"])
    assert frame["error_title"].notna().all()
    assert (frame["error_title"] == UNEXPLAINED_TITLE).mean() < 0.05
    # the GSM8K outputs end with "A: <number>": numeric rules, not format rules, must dominate
    numeric = frame["error_title"].isin(
        ["Flawed solution strategy", "Correct value not reported", "Arithmetic calculation error",
         "Intermediate value reported as final", "Rounding or precision error", "Unit or magnitude error",
         "Possible reference error"]
    )
    assert numeric.mean() > 0.9


def test_gsm8k_taxonomy_places_every_failure(realdata: Path) -> None:
    marked, failures = prepare(realdata / "gsm8k_openai")
    frame, _ = asyncio.run(diagnose_all(build_cases(marked, failures, seed=13), OfflineJudge()))
    taxonomy, assignments = asyncio.run(TaxonomyBuilder(OfflineJudge(), taxonomy_config(min_categories=4), 0).build(frame))
    assert len(assignments) == len(frame) and assignments["leaf"].ne("").all()
    assert coverage(taxonomy)["coverage"] > 0.9


def test_mr_ben_multiple_choice_loads_and_diagnoses(realdata: Path) -> None:
    marked, failures = prepare(realdata / "mr_ben")
    failures = failures[failures["dataset"] != "coding"].head(300)
    frame, stats = asyncio.run(diagnose_all(build_cases(marked, failures, seed=1), OfflineJudge()))
    assert stats.failed == 0 and len(frame) == len(failures)
    assert frame["error_title"].isin(["Wrong option selected", "Possible reference error"]).mean() > 0.5
