"""Integration on real public model outputs (../shared/realdata); skipped when it is absent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pandas as pd
import pytest

from errormap.judge import OfflineJudge
from errormap.judge.detectors import UNEXPLAINED_TITLE
from errormap.judge.detectors.arithmetic import arithmetic_slips
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
    # GSM8K outputs end with "A: <number>": only numeric rules may speak; most wrong solutions are wrong plans,
    # which no rule can explain, so they are "not explainable offline" (Hard to analyze), never a named category
    named = frame[frame["error_title"] != UNEXPLAINED_TITLE]
    assert set(named["error_title"]) <= NUMERIC_TITLES
    assert (frame["error_title"] == UNEXPLAINED_TITLE).mean() > 0.5
    for criteria in named.loc[named["error_title"] == "Arithmetic calculation error", "criteria"]:
        step = json.loads(criteria)[0]["evidence"]
        assert arithmetic_slips(step), step  # the quoted step really is computed wrongly


NUMERIC_TITLES = {
    "Arithmetic calculation error", "Rounding or precision error", "Unit or magnitude error", "Correct value not reported",
    "Truncated response", "Missing final answer", "Answer not clearly stated", "Correct answer graded wrong", "Repetition loop",
}


def test_gsm8k_taxonomy_places_every_failure(realdata: Path) -> None:
    marked, failures = prepare(realdata / "gsm8k_openai")
    frame, _ = asyncio.run(diagnose_all(build_cases(marked, failures, seed=13), OfflineJudge()))
    taxonomy, assignments = asyncio.run(TaxonomyBuilder(OfflineJudge(), taxonomy_config(min_categories=4), 0).build(frame))
    assert len(assignments) == len(frame) and assignments["leaf"].ne("").all()
    shares = coverage(taxonomy)
    assert shares["hard_share"] == pytest.approx((frame["error_title"] == UNEXPLAINED_TITLE).mean())
    assert shares["coverage"] + shares["other_share"] == pytest.approx(1 - shares["hard_share"])  # named: never hard


def test_mr_ben_multiple_choice_loads_and_diagnoses(realdata: Path) -> None:
    marked, failures = prepare(realdata / "mr_ben")
    failures = failures[failures["dataset"] != "coding"].head(300)
    frame, stats = asyncio.run(diagnose_all(build_cases(marked, failures, seed=1), OfflineJudge()))
    assert stats.failed == 0 and len(frame) == len(failures)
    # a wrong option is not explained by any rule; with three models, agreement is never strong enough to doubt
    # the reference; what is named is the form of the answer (none, several, not an option) or a checked slip
    assert set(frame["error_title"]) <= CHOICE_TITLES | {UNEXPLAINED_TITLE}
    assert (frame["error_title"] == UNEXPLAINED_TITLE).mean() > 0.5


CHOICE_TITLES = {
    "Chose none of the options", "Wrong number of options selected", "Invalid option label", "Option text instead of letter",
    "Arithmetic calculation error", "Conflicting final answers", "Missing final answer", "Answer not clearly stated",
    "Truncated response", "Correct answer graded wrong", "Repetition loop",
}
