"""A taxonomy the judge could not classify fails its stage with the figures, the cause and the override."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from errormap import artifacts
from errormap.errors import StageError
from errormap.judge import OfflineJudge
from errormap.settings import default_settings
from errormap.steps.analyze import analyze
from errormap.steps.prepare import prepare
from errormap.steps.taxonomy import check_quality
from errormap.testing.openai_server import AutoResponder, Reply, ScriptedServer, json_reply
from tests.conftest import REPO, StageRunner


class ClassifiesNothing(AutoResponder):
    """Proposes categories, then places no title anywhere (as a judge whose classifications all fail)."""

    def __call__(self, body: dict[str, Any]) -> Reply:
        name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        return json_reply({"assignments": []}) if name == "classification" else super().__call__(body)


def test_check_quality_passes_a_good_taxonomy_and_names_every_shortfall() -> None:
    config = default_settings().taxonomy
    good = {"coverage": 0.95, "diagnosed_coverage": 0.95, "other_share": 0.05, "hard_share": 0.0, "fallback_share": 0.0,
            "classification_fallbacks": 0, "titles_classified": 40, "judge_errors": 0}
    check_quality(good, config, "t.json")
    bad = {**good, "coverage": 0.10, "diagnosed_coverage": 0.10, "other_share": 0.898, "fallback_share": 0.925,
           "classification_fallbacks": 37}
    with pytest.raises(StageError) as raised:
        check_quality(bad, config, "t.json")
    message = str(raised.value)
    assert "coverage 0.10 of the diagnosed failures is below taxonomy.min_coverage 0.8" in message
    assert "Other 89.8%" in message
    assert "37 of 40 titles (92.5%)" in message and "taxonomy.max_fallback_share 0.1" in message
    assert "-S taxonomy.min_coverage=" in message


def test_taxonomy_stage_exits_non_zero_on_a_judge_that_classifies_nothing(
    tmp_path: Path, stages: StageRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = default_settings()
    prepared = prepare(settings, REPO / "data" / "demo")
    diagnoses = asyncio.run(analyze(prepared.results, prepared.failures, settings, OfflineJudge())).diagnoses
    artifacts.DIAGNOSES.write(diagnoses, tmp_path)
    with ScriptedServer(ClassifiesNothing()) as server:
        params = yaml.safe_load((REPO / "params.yaml").read_text())
        base = yaml.safe_load((REPO / "conf" / "judge" / "openai.yaml").read_text())
        params["judge"] = {**base, "model": "m", "base_url": server.base_url, "api_key_env": None,
                           "retry_base_delay": 0.01, "max_retries": 0}
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
        assert stages("taxonomy") == 1
    message = " ".join(capsys.readouterr().err.split())
    assert "errormap taxonomy failed: the taxonomy is not usable" in message
    assert "is below taxonomy.min_coverage" in message and "fell back to Other" in message
    assert (tmp_path / artifacts.TAXONOMY.path).exists()  # written for inspection; DVC does not record it as done
    print(message)


def test_failures_no_judge_could_diagnose_do_not_fail_the_gate() -> None:
    """Hard to analyze (the offline judge abstained) is reported, not held against the taxonomy."""
    config = default_settings().taxonomy
    abstaining = {"coverage": 0.05, "diagnosed_coverage": 0.95, "other_share": 0.0025, "hard_share": 0.9475,
                  "fallback_share": 0.0, "classification_fallbacks": 0, "titles_classified": 12, "judge_errors": 0}
    check_quality(abstaining, config, "t.json")
