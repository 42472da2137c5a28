"""Taxonomy quality measures on taxonomies whose disagreement is known by construction."""

from __future__ import annotations

import asyncio
import json
import re

import pandas as pd
import pytest

from errormap.judge import OpenAIJudge
from errormap.taxonomy import TaxonomyBuilder
from errormap.taxonomy.diff import diff_taxonomies
from errormap.taxonomy.quality import agreement, matched_categories, stability
from errormap.testing.defaults import openai_judge_config, taxonomy_config
from errormap.testing.openai_server import Reply, ScriptedServer, json_reply

MULTIPLICATION = [f"multiplication slip {i}" for i in range(8)]
ADDITION = [f"addition slip {i}" for i in range(8)]
FORMAT = [f"format broken {i}" for i in range(6)]
TITLES = MULTIPLICATION + ADDITION + FORMAT

# Two ways of cutting the same 22 titles: A = {multiplication + addition, format},
# B = {multiplication, addition + format}.
CUT_A = {"Calculation errors": ("multiplication", "addition"), "Format errors": ("format",)}
CUT_B = {"Multiplication slips": ("multiplication",), "Addition or format slips": ("addition", "format")}


def errors_frame(titles: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"failure_id": f"f{i:03d}", "dataset": "d", "example_id": f"e{i}", "model": "m", "status": "ok",
          "error_title": title, "error_summary": ""} for i, title in enumerate(titles)]
    )


class CuttingJudge:
    """A protocol-server script that proposes one of two cuts and classifies titles by keyword.

    `choose` picks the cut from the titles of the proposal batch, so a judge can be made to
    depend on the order in which the builder's seed presents the titles.
    """

    def __init__(self, choose) -> None:
        self.choose = choose

    def __call__(self, body: dict) -> Reply:
        text = body["messages"][-1]["content"]
        payload = json.loads(re.findall(r"```json\n(.*?)```", text, re.DOTALL)[-1])
        if body["response_format"]["json_schema"]["name"] == "category_list":
            cut = self.choose(payload.get("titles") or []) if "categories" not in payload else {
                c["name"]: () for c in payload["categories"]
            }
            return json_reply({"categories": [{"name": n, "description": f"{n}."} for n in cut]})
        names = [c["name"] for c in payload["categories"]]
        cut = CUT_A if "Calculation errors" in names else CUT_B
        return json_reply({"assignments": [
            {"title": t, "category": next(n for n, words in cut.items() if any(w in t for w in words))}
            for t in payload["titles"]
        ]})


def build(choose, seed: int = 1):
    with ScriptedServer(CuttingJudge(choose)) as server:
        judge = OpenAIJudge(openai_judge_config(model="cut", base_url=server.base_url, api_key_env=None, max_retries=1))
        params = taxonomy_config(max_categories=2, max_depth=1, rare_share=0.0)

        async def go():
            try:
                return await TaxonomyBuilder(judge, params, seed).build(errors_frame(TITLES))
            finally:
                await judge.aclose()

        return asyncio.run(go())


def test_matched_categories_uses_the_jaccard_threshold() -> None:
    a = {"x": {"1", "2", "3", "4"}, "y": {"5", "6"}}
    b = {"p": {"1", "2", "3"}, "q": {"4", "5", "6"}}
    # J(x, p) = 3/4, J(y, q) = 2/3, the cross pairs are below 1/5
    assert matched_categories(a, b, 0.5) == {"precision": 1.0, "recall": 1.0}
    assert matched_categories(a, b, 0.7) == {"precision": 0.5, "recall": 0.5}
    assert matched_categories(a, {}, 0.5) == {"precision": 0.0, "recall": 0.0}


def test_agreement_of_two_different_cuts_matches_hand_computation() -> None:
    tax_a, assign_a = build(lambda titles: CUT_A)
    tax_b, assign_b = build(lambda titles: CUT_B)
    same = agreement(tax_a, assign_a, tax_a, assign_a)
    assert same["adjusted_rand_index"] == pytest.approx(1.0) and same["matched_recall"] == 1.0

    result = agreement(tax_a, assign_a, tax_b, assign_b)
    # Contingency (A rows: calc 16, format 6; B columns: mult 8, add+format 14) = [[8, 8], [0, 6]].
    # Pairs: index 28+28+0+15 = 71, rows 120+15 = 135, columns 28+91 = 119, all C(22, 2) = 231.
    expected_index = 135 * 119 / 231
    ari = (71 - expected_index) / ((135 + 119) / 2 - expected_index)
    assert result["adjusted_rand_index"] == pytest.approx(ari)  # about 0.025: the cuts barely agree
    assert result["failures_compared"] == 22
    # Only calc {16} ~ multiplication {8} reaches Jaccard 0.5; format {6} ~ add+format {14} is 6/14.
    assert result["matched_precision"] == 0.5 and result["matched_recall"] == 0.5

    versions = diff_taxonomies(tax_a, tax_b, assign_a, assign_b)
    (change,) = versions.levels[0].changes  # no category kept: both of A regrouped into both of B
    assert change.kind == "regrouped"
    assert sorted(r.name for r in change.before) == ["Calculation errors", "Format errors"]
    assert sorted(r.name for r in change.after) == ["Addition or format slips", "Multiplication slips"]
    assert versions.shared_failures == 22


def test_stability_reports_disagreement_between_seeds() -> None:
    # The judge follows whichever kind of title its first batch opens with, so builds depend on the seed.
    def choose(titles: list[str]) -> dict:
        return CUT_B if titles and titles[0].startswith("format") else CUT_A

    firsts = {}
    for seed in range(12):
        taxonomy, _ = build(choose, seed)
        firsts[seed] = "Format errors" in {n.name for n in taxonomy.nodes}
    seed_a = next(s for s, is_a in firsts.items() if is_a)
    seed_b = next(s for s, is_a in firsts.items() if not is_a)

    with ScriptedServer(CuttingJudge(choose)) as server:
        def judge_factory():
            return OpenAIJudge(openai_judge_config(model="cut", base_url=server.base_url, api_key_env=None))

        params = taxonomy_config(max_categories=2, max_depth=1, rare_share=0.0)
        mixed = asyncio.run(stability(errors_frame(TITLES), judge_factory, params, [seed_a, seed_b]))
        steady = asyncio.run(stability(errors_frame(TITLES), judge_factory, params, [seed_a, seed_a]))
    assert mixed["adjusted_rand_index"] < 0.1 and mixed["matched_recall"] == 0.5
    assert steady["adjusted_rand_index"] == pytest.approx(1.0) and steady["matched_precision"] == 1.0
    with pytest.raises(ValueError, match="at least two seeds"):
        asyncio.run(stability(errors_frame(TITLES), judge_factory, params, [seed_a]))
