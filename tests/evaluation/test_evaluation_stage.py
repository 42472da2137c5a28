"""evaluation/dvc.yaml: the first-error stage depends on the code it runs, and runs as a DVC stage of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import run
from tests.evaluation.test_evaluation import write_bigbench
from tests.import_closure import REPO, import_closure

STAGE = yaml.safe_load((REPO / "evaluation" / "dvc.yaml").read_text())["stages"]["first-error"]["do"]


def test_the_stage_depends_on_every_module_the_command_imports() -> None:
    assert "errormap.evaluation.cli first-error" in STAGE["cmd"]
    deps = [d.removeprefix("../") for d in STAGE["deps"]]
    closure = import_closure(Path("errormap/evaluation/cli.py"))
    assert Path("errormap/evaluation/first_error.py") in closure
    missing = sorted(str(p) for p in closure if not any(str(p) == d or str(p).startswith(d.rstrip("/") + "/") for d in deps))
    assert not missing, f"evaluation/dvc.yaml first-error does not depend on modules it imports: {missing}"


def test_the_demo_pipeline_does_not_include_the_evaluation() -> None:
    assert "first-error" not in yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


@pytest.mark.slow
def test_dvc_repro_runs_the_evaluation_and_shows_its_metrics(repo_copy: Path) -> None:
    write_bigbench(repo_copy / "evaluation" / "toy")
    params = repo_copy / "evaluation" / "params.yaml"
    config = yaml.safe_load(params.read_text())
    config["first_error"]["data"] = {"toy": "toy"}
    params.write_text(yaml.safe_dump(config))
    run(["dvc", "repro", "evaluation/dvc.yaml"], repo_copy)
    metrics = json.loads((repo_copy / "evaluation" / "metrics" / "first_error_toy.json").read_text())
    assert metrics["judge"] == "offline" and metrics["step_exact"] == 1.0
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo_copy).stdout)
    files = next(iter(shown.values()))["data"]
    assert files["evaluation/metrics/first_error_toy.json"]["data"]["step_claims"] == 1
    assert "Stage 'evaluation/dvc.yaml:first-error@toy' didn't change" in run(["dvc", "repro", "evaluation/dvc.yaml"], repo_copy).stdout
