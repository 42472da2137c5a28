"""The report says how much of each category rests on offline rules of measured precision."""

from __future__ import annotations

import asyncio

import pandas as pd

from errormap.judge import OfflineJudge
from errormap.report.trust import category_trust, load_precision, measured_titles
from errormap.taxonomy import TaxonomyBuilder
from errormap.testing.defaults import taxonomy_config
from tests.conftest import REPO

PRECISION = {
    "judge": "offline", "bar": 0.9,
    "held_out": {"titles": {
        "Empty response": {"precision": 1.0, "emitted": 3},
        "Refusal to answer": {"precision": 0.95, "emitted": 4},
        "Truncated response": {"precision": 0.5, "emitted": 2},
    }},
}


def _build() -> tuple:
    titles = ["Empty response", "Refusal to answer", "Truncated response", "Not explainable offline"] * 6
    errors = pd.DataFrame({
        "failure_id": [f"f{i}" for i in range(len(titles))], "dataset": ["d"] * len(titles),
        "example_id": [f"e{i}" for i in range(len(titles))], "model": ["m1", "m2"] * (len(titles) // 2),
        "status": ["ok"] * len(titles), "error_title": titles,
    })
    return asyncio.run(TaxonomyBuilder(OfflineJudge(), taxonomy_config(min_categories=2), 0).build(errors))


def test_each_category_reports_its_share_from_measured_rules() -> None:
    taxonomy, assignments = _build()
    trust = category_trust(taxonomy, assignments, PRECISION)
    for node in taxonomy.nodes:
        if node.id not in trust:
            continue
        titles = assignments.loc[assignments[f"level_{node.depth}"] == node.id, "error_title"]
        trusted = titles.isin(["Empty response", "Refusal to answer"])  # at or above the 0.9 bar
        assert trust[node.id]["measured_share"] == trusted.mean()
        expected_low = min((PRECISION["held_out"]["titles"][t]["precision"] for t in set(titles[trusted])), default=None)
        assert trust[node.id]["lowest_precision"] == expected_low
    assert any(0 < t["measured_share"] < 1 or t["measured_share"] == 0 for t in trust.values())


def test_no_claim_for_a_judge_the_figures_were_not_measured_for() -> None:
    taxonomy, assignments = _build()
    llm = taxonomy.model_copy(update={"judge_id": "openai:some-model"})
    assert category_trust(llm, assignments, PRECISION) == {}
    assert measured_titles(None, "offline") == {}


def test_the_committed_figures_are_read() -> None:
    figures = load_precision(REPO)
    assert figures is not None and figures["judge"] == "offline"
    assert all(p >= figures["bar"] for p in measured_titles(figures, "offline").values())
