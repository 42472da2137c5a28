"""Atlas mode: diagnosed demo failures classified top-down into the seed release, with both judges."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from errormap.atlas import classify_into_release, release_of, resolve_release
from errormap.atlas.seed import seed_release
from errormap.judge import OfflineJudge
from errormap.judge.detectors import TITLE_FAMILIES, UNEXPLAINED_TITLE
from errormap.settings import default_settings
from errormap.steps.analyze import analyze
from errormap.steps.prepare import prepare
from errormap.taxonomy.model import ROOT_ID, Taxonomy, coverage
from errormap.testing.defaults import openai_judge, taxonomy_config
from errormap.testing.openai_server import Reply, ScriptedServer, json_reply
from tests.taxonomy.test_taxonomy_diff import errors_for

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"

# Where each title the offline judge gives belongs in the seed release (top level, then level 2 if any).
INTENDED = {
    "Empty response": ("Truncated or Degenerate Output", ""),
    "Truncated response": ("Truncated or Degenerate Output", ""),
    "Repetition loop": ("Truncated or Degenerate Output", ""),
    "Refusal to answer": ("Refusal", ""),
    "Unwarranted safety refusal": ("Refusal", ""),
    "Response in wrong language": ("Formatting Violation", "Wrong Response Language"),
    "Conflicting final answers": ("Formatting Violation", "Unclear or Conflicting Answer"),
    "Answer not clearly stated": ("Formatting Violation", "Unclear or Conflicting Answer"),
    "Option text instead of letter": ("Formatting Violation", "Answer Format Ignored"),
    "Invalid option label": ("Formatting Violation", "Answer Format Ignored"),
    "Number written in words": ("Formatting Violation", "Answer Format Ignored"),
    "Ignored answer format instruction": ("Formatting Violation", "Answer Format Ignored"),
    "Wrong number of options selected": ("Specification Misinterpretation", ""),
    "Chose none of the options": ("Formatting Violation", "Answer Format Ignored"),
    "List items out of order": ("Specification Misinterpretation", ""),
    "Missing final answer": ("Incomplete Reasoning", ""),
    "Arithmetic calculation error": ("Computation Error", "Arithmetic Slip"),
    "Rounding or precision error": ("Computation Error", "Rounding or Precision Error"),
    "Unit or magnitude error": ("Computation Error", "Unit or Magnitude Error"),
    "Correct value not reported": ("Computation Error", "Correct Value Not Reported"),
    "Missing required element": ("Missing Required Element", ""),
    "Possible reference error": ("Invalid Reference or Dataset Noise", ""),
    "Correct answer graded wrong": ("Invalid Reference or Dataset Noise", ""),
}


@pytest.fixture(scope="module")
def demo_diagnoses() -> pd.DataFrame:
    """The offline judge's diagnoses of the bundled demo benchmark's sampled failures (prepare + analyze steps)."""
    prepared = prepare(default_settings(), DEMO)
    return asyncio.run(analyze(prepared.results, prepared.failures, default_settings(), OfflineJudge())).diagnoses


def check_complete(taxonomy: Taxonomy, assignments: pd.DataFrame, diagnoses: pd.DataFrame) -> None:
    """Every diagnosed failure on exactly one path, counts adding up, ids and texts from the release."""
    assert sorted(assignments["failure_id"]) == sorted(diagnoses["failure_id"])
    assert taxonomy.total_failures == len(diagnoses) == taxonomy.node(ROOT_ID).count
    for node in taxonomy.nodes:
        children = taxonomy.children(node.id)
        if children:
            assert sum(c.count for c in children) == node.count
    assert Counter(assignments["leaf"]) == {n.id: n.count for n in taxonomy.nodes if n.count and not taxonomy.children(n.id) and n.id != ROOT_ID}
    seed = {c.id: c for c in seed_release().categories}
    for node in taxonomy.nodes:
        if node.kind == "category":
            assert (node.name, node.description, node.parent.replace(ROOT_ID, "") or None) == (
                seed[node.id].name, seed[node.id].description, seed[node.id].parent
            )
    assert release_of(taxonomy) == {"name": "error-atlas", "version": "0.1.0", "format": "errormap.atlas/1"}


def test_every_offline_title_lands_in_its_intended_seed_category() -> None:
    assert set(INTENDED) == set(TITLE_FAMILIES)
    titles = [*INTENDED, UNEXPLAINED_TITLE]
    errors = errors_for(len(titles)).assign(error_title=titles)
    taxonomy, assignments, _ = asyncio.run(
        classify_into_release(resolve_release("0.1.0"), errors, OfflineJudge(), taxonomy_config())
    )
    placed = {row.error_title: (row.level_1_name, row.level_2_name) for row in assignments.itertuples()}
    assert placed == {**INTENDED, UNEXPLAINED_TITLE: ("Hard to analyze", "")}


def test_demo_failures_classified_into_the_seed_with_the_offline_judge(demo_diagnoses: pd.DataFrame) -> None:
    taxonomy, assignments, stats = asyncio.run(
        classify_into_release(seed_release(), demo_diagnoses, OfflineJudge(), taxonomy_config(), seed=13)
    )
    check_complete(taxonomy, assignments, demo_diagnoses)
    unexplained = (demo_diagnoses["error_title"] == UNEXPLAINED_TITLE) | demo_diagnoses["status"].ne("ok")
    shares = coverage(taxonomy)
    assert shares["hard_share"] == pytest.approx(unexplained.mean())
    assert shares["coverage"] == pytest.approx(1 - unexplained.mean()) and shares["diagnosed_coverage"] == 1.0
    assert stats.classification_fallbacks == 0
    for row in assignments.itertuples():
        if row.error_title in INTENDED:
            assert (row.level_1_name, row.level_2_name) == INTENDED[row.error_title]
    assert json.loads(taxonomy.model_dump_json())["params"]["mode"] == "atlas"


class ExampleMatchingJudge:
    """A scripted LLM: places each title in the category whose listed example titles contain it."""

    def __init__(self) -> None:
        self.category_lists: list[list[str]] = []

    def __call__(self, body: dict) -> Reply:
        assert body["response_format"]["json_schema"]["name"] == "classification"
        text = body["messages"][-1]["content"]
        payload = json.loads(re.findall(r"```json\n(.*?)```", text, re.DOTALL)[-1])
        self.category_lists.append([c["name"] for c in payload["categories"]])
        examples = {}
        for category in payload["categories"]:
            assert "Typical error titles: " in category["description"], category
            listed = category["description"].split("Typical error titles: ", 1)[1].rstrip(".")
            examples.update({title: category["name"] for title in listed.split("; ")})
        assignments = [{"title": t, "category": examples.get(t, "Other")} for t in payload["titles"]]
        return json_reply({"assignments": assignments})


def test_demo_failures_classified_into_the_seed_with_the_openai_judge(demo_diagnoses: pd.DataFrame) -> None:
    script = ExampleMatchingJudge()
    with ScriptedServer(script) as server:
        judge = openai_judge(model="atlas-judge", base_url=server.base_url, api_key_env=None, max_retries=1,
                             retry_base_delay=0.01)

        async def run():
            try:
                return await classify_into_release(resolve_release("0.1.0"), demo_diagnoses, judge, taxonomy_config())
            finally:
                await judge.aclose()

        taxonomy, assignments, stats = asyncio.run(run())
    check_complete(taxonomy, assignments, demo_diagnoses)
    top = [c.name for c in seed_release().top_level()]
    assert script.category_lists[0] == top  # the top level first ...
    below = [names for names in script.category_lists[1:]]
    assert below and all(set(names) < {c.name for c in seed_release().categories} - set(top) for names in below)
    assert stats.requests == server.request_count == len(script.category_lists)
    for row in assignments.itertuples():  # ... then within the chosen branch
        if row.error_title in INTENDED:
            assert (row.level_1_name, row.level_2_name) == INTENDED[row.error_title]
    unexplained = (demo_diagnoses["error_title"] == UNEXPLAINED_TITLE) | demo_diagnoses["status"].ne("ok")
    assert coverage(taxonomy)["coverage"] == pytest.approx(1 - unexplained.mean())
    other = assignments["level_1_name"].eq("Other")
    assert set(assignments.loc[other, "error_title"]) <= {UNEXPLAINED_TITLE}


def test_coverage_command_classifies_into_a_release_with_its_examples(demo_diagnoses: pd.DataFrame, tmp_path, capsys) -> None:
    from errormap.cli import main

    diagnoses = tmp_path / "diagnoses.parquet"
    demo_diagnoses.to_parquet(diagnoses, index=False)
    release = Path(__file__).resolve().parents[2] / "atlas" / "releases" / "0.1.0"
    assignments = tmp_path / "assignments.parquet"
    code = main(["taxonomy", "coverage", "judge=offline", "--conf-dir", str(release.parents[2] / "conf"),
                 "--taxonomy", str(release), "--failures", str(diagnoses), "--assignments", str(assignments)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    unexplained = (demo_diagnoses["error_title"] == UNEXPLAINED_TITLE) | demo_diagnoses["status"].ne("ok")
    assert report["failures"] == len(demo_diagnoses) and report["coverage"] == pytest.approx(1 - unexplained.mean(), abs=1e-6)
    placed = pd.read_parquet(assignments)
    for row in placed.itertuples():
        if row.error_title in INTENDED:
            assert (row.level_1_name, row.level_2_name) == INTENDED[row.error_title]
