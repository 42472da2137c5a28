"""MLflow parent runs: named from the DVC experiment or git revision plus the input, tagged, in a runs-table experiment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from errormap.tracking import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    MLflowTracker,
    dataset_names,
    git_revision,
    parent_run_name,
    parent_run_tags,
    runs_page,
)

PARAMS = {"data": {"input_dir": "data/bench/"}, "judge": {"kind": "openai", "model": "gpt-x", "api_key_env": "K"}}


def test_run_name_prefers_the_experiment_then_the_revision() -> None:
    assert parent_run_name(PARAMS, {"dvc_experiment": "tidy-lamb", "git_revision": "abc1234"}) == "tidy-lamb · bench"
    assert parent_run_name(PARAMS, {"dvc_experiment": "", "git_revision": "abc1234+changes"}) == "abc1234+changes · bench"
    assert parent_run_name({}, {}) == "workspace · input"


def test_tags_name_judge_input_and_datasets() -> None:
    tags = parent_run_tags(PARAMS, {"git_revision": "abc1234", "dvc_experiment": "tidy-lamb"}, ["gsm8k", "mmlu"])
    assert tags == {"errormap.kind": "pipeline", "errormap.judge": "openai:gpt-x", "errormap.input": "data/bench/",
                    "errormap.datasets": "gsm8k,mmlu", "errormap.git_revision": "abc1234", "dvc.exp_name": "tidy-lamb"}
    remote = parent_run_tags({"data": {"input_dir": "https://user:pw@host/x?token=s"}}, {}, [])
    assert "pw" not in remote["errormap.input"] and "token=REDACTED" in remote["errormap.input"]


def test_datasets_come_from_the_prepare_metrics_else_the_input_files(tmp_path: Path) -> None:
    (tmp_path / "data" / "bench").mkdir(parents=True)
    for name in ("gsm8k.csv", "mmlu.jsonl", "notes.txt"):
        (tmp_path / "data" / "bench" / name).write_text("")
    assert dataset_names(tmp_path, PARAMS) == ["gsm8k", "mmlu"]
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "prepare.json").write_text(json.dumps({"thresholds": {"b": 0.5, "a": 0.5}}))
    assert dataset_names(tmp_path, PARAMS) == ["a", "b"]


def test_git_revision_marks_uncommitted_changes(tmp_path: Path) -> None:
    assert git_revision(tmp_path) == ""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    import os

    run = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True, env={**os.environ, **env})  # noqa: E731
    run("init", "-q")
    (tmp_path / "f").write_text("1")
    run("add", "f")
    run("commit", "-qm", "x")
    revision = git_revision(tmp_path)
    assert len(revision) >= 7 and "+" not in revision
    (tmp_path / "f").write_text("2")
    assert git_revision(tmp_path) == f"{revision}+changes"


def test_mlflow_parent_run_is_named_tagged_and_a_partial_rerun_carries_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("DVC_EXP_NAME", "tidy-lamb")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "prepare.json").write_text(json.dumps({"rows": 10, "thresholds": {"gsm8k": 0.5}}))
    (tmp_path / "metrics" / "taxonomy.json").write_text(json.dumps({"coverage": 0.9}))
    tracker = MLflowTracker(tmp_path, experiment="names-test")
    with tracker.stage("taxonomy", PARAMS):  # a partial rerun: DVC skipped prepare
        tracker.log_metrics({"coverage": 0.95})
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("names-test")
    assert experiment.tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
    parents = [r for r in client.search_runs([experiment.experiment_id]) if r.data.tags.get("errormap.kind") == "pipeline"]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.run_name == "tidy-lamb · bench"
    assert parent.data.tags["errormap.judge"] == "openai:gpt-x" and parent.data.tags["errormap.datasets"] == "gsm8k"
    assert parent.data.metrics["prepare.rows"] == 10  # carried from the skipped stage's metrics file
    assert parent.data.metrics["taxonomy.coverage"] == 0.95  # the stage's own value, logged after


def test_the_runs_page_link_opens_the_runs_table_not_the_genai_view() -> None:
    assert runs_page("7") == "http://127.0.0.1:5000/#/experiments/7/runs?workflowType=machine_learning"
