"""Same inputs, same results: adding a model to a run with a warm answer store equals a run from scratch."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pandas as pd

from errormap import artifacts
from errormap.config import compose
from errormap.judge import build_judge
from errormap.settings import Settings, validate
from errormap.steps.analyze import analyze, build_cases
from errormap.steps.prepare import prepare
from errormap.steps.signatures import compute_signatures
from errormap.steps.taxonomy import build_taxonomy
from errormap.testing.openai_server import AutoResponder, ScriptedServer
from tests.conftest import REPO

ADDED = "drift-3b"


def _settings(base_url: str) -> Settings:
    overrides = ["judge=openai", "judge.model=errormap-test-judge", f"judge.base_url={base_url}", "judge.api_key_env=null",
                 "judge.retry_base_delay=0.01", "judge.max_concurrency=16"]
    return validate(compose(REPO / "conf", overrides))


def _run(settings: Settings, input_dir: Path, store: Path, out: Path) -> dict:
    """The pipeline from prepare to signatures, in-process; writes the artefacts under `out`."""
    judge = lambda: build_judge(settings.judge, prompt_version=settings.prompts.version, store_path=store)  # noqa: E731
    prepared = prepare(settings, input_dir)
    analysis = asyncio.run(analyze(prepared.results, prepared.failures, settings, judge()))
    taxonomy = asyncio.run(build_taxonomy(analysis.diagnoses, settings, judge()))
    signatures = compute_signatures(taxonomy.assignments, prepared.results, settings)
    artifacts.DIAGNOSES.write(analysis.diagnoses, out)
    artifacts.TAXONOMY.write(taxonomy.taxonomy, out)
    artifacts.ASSIGNMENTS.write(taxonomy.assignments, out)
    artifacts.SIGNATURES.write(signatures.document, out)
    artifacts.COMPARISONS.write(signatures.comparisons, out)
    return {"prepared": prepared, "stats": analysis.stats}


def _diagnosis_requests(server: ScriptedServer, start: int) -> int:
    return sum(
        (body.get("response_format") or {}).get("json_schema", {}).get("name") == "diagnosis"
        for body in server.requests[start:]
    )


def test_adding_a_model_with_a_warm_store_equals_a_run_from_scratch(tmp_path: Path) -> None:
    full = tmp_path / "full"
    shutil.copytree(REPO / "data" / "demo", full)
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    for path in full.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame[frame["model"] != ADDED].to_csv(fewer / path.name, index=False)

    with ScriptedServer(AutoResponder()) as server:
        settings = _settings(server.base_url)
        warm = tmp_path / "warm.sqlite"
        first = _run(settings, fewer, warm, tmp_path / "first")
        start = len(server.requests)
        incremental = _run(settings, full, warm, tmp_path / "incremental")
        sent = _diagnosis_requests(server, start)
        _run(settings, full, tmp_path / "cold.sqlite", tmp_path / "scratch")

    for artefact in (artifacts.DIAGNOSES, artifacts.TAXONOMY, artifacts.ASSIGNMENTS, artifacts.SIGNATURES,
                     artifacts.COMPARISONS):
        incremental_bytes = (tmp_path / "incremental" / artefact.path).read_bytes()
        assert incremental_bytes == (tmp_path / "scratch" / artefact.path).read_bytes(), artefact.path

    # what was re-asked: the new model's failures, plus the failures whose peers the new model changed
    def peers(prepared) -> dict[str, list[str]]:
        cases = build_cases(prepared.results, prepared.failures, k_correct=settings.analysis.k_correct, seed=settings.seed)
        return {c.failure_id: c.other_models for c in cases}

    before, after = peers(first["prepared"]), peers(incremental["prepared"])
    new_failures = [f for f in after if f not in before]
    changed = [f for f in before if before[f] != after[f]]
    assert new_failures and changed, "the fixture should exercise both kinds"
    assert len(new_failures) == int((incremental["prepared"].failures["model"] == ADDED).sum())
    assert len(changed) < len(before) / 2  # a stable peer ranking: most failures keep their peers
    assert sent == len(new_failures) + len(changed)
    stats = incremental["stats"]
    assert stats.asked_again == len(changed) and stats.asked - stats.asked_again == len(new_failures)
    assert stats.cached == len(before) - len(changed)
    scratch_reference = json.loads((tmp_path / "scratch" / artifacts.TAXONOMY.path).read_text())["total_failures"]
    assert scratch_reference == len(after)
