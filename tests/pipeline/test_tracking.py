"""Tracking: secrets never logged, one MLflow parent run per reproduction, a real SQLite store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from errormap.tracking import MemoryTracker, MLflowTracker, flatten, redact, repository_root, tracking_uri
from tests.conftest import REPO, StageRunner

PARAMS = {
    "seed": 1,
    "judge": {"kind": "openai", "api_key_env": "OPENAI_API_KEY", "api_key": "sk-live-123", "model": "m",
              "extra_body": {"token": "abc"}, "base_url": "http://127.0.0.1:9/v1"},
    "models": {"include": ["a", "b"]},
    "note": "Bearer xyz",
}


def test_redact_drops_secret_keys_and_values_but_keeps_env_var_names() -> None:
    clean = redact(PARAMS)
    assert clean["judge.api_key_env"] == "OPENAI_API_KEY"
    assert "judge.api_key" not in clean and "judge.extra_body.token" not in clean and "note" not in clean
    assert clean["models.include"] == '["a", "b"]' and clean["judge.model"] == "m"
    assert flatten({"a": {"b": {"c": 1}}}) == {"a.b.c": 1}


def test_redact_keeps_ordinary_params_that_merely_mention_tokens() -> None:
    clean = redact({"judge": {"max_tokens": 2048, "hf_token": "abc", "openai_api_key": "x", "api_key_env": "K"},
                    "taxonomy": {"batch_size": 500}, "usage": {"prompt_tokens": 3}})
    assert clean == {"judge.max_tokens": 2048, "judge.api_key_env": "K", "taxonomy.batch_size": 500,
                     "usage.prompt_tokens": 3}


def test_redact_strips_credentials_from_urls() -> None:
    clean = redact({"judge": {"base_url": "https://user:hunter2@llm.example.com/v1?api-key=s3cret&region=eu"},
                    "local": "http://127.0.0.1:8000/v1"})
    assert "hunter2" not in clean["judge.base_url"] and "s3cret" not in clean["judge.base_url"]
    assert clean["judge.base_url"].startswith("https://REDACTED@llm.example.com/v1?")
    assert "region=eu" in clean["judge.base_url"]
    assert clean["local"] == "http://127.0.0.1:8000/v1"


def test_queue_workspace_resolves_to_the_original_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queued = tmp_path / "repo" / ".dvc" / "tmp" / "exps" / "tmpabc"
    queued.mkdir(parents=True)
    assert repository_root(queued) == tmp_path / "repo"
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(queued) == f"sqlite:///{tmp_path / 'repo' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.invalid")
    assert tracking_uri(queued) == "http://tracking.invalid"


def test_memory_tracker_records_stage_metrics_and_failures() -> None:
    tracker = MemoryTracker()
    with tracker.stage("prepare", PARAMS):
        tracker.log_metrics({"rows": 3, "nested": {"x": 0.5}, "label": "text"})
    with pytest.raises(RuntimeError), tracker.stage("analyze", PARAMS):
        raise RuntimeError("boom")
    assert tracker.runs[0]["metrics"] == {"rows": 3.0, "nested.x": 0.5}
    assert [r["status"] for r in tracker.runs] == ["FINISHED", "FAILED"]
    assert "judge.api_key" not in tracker.runs[0]["params"]


def test_mlflow_parent_run_per_reproduction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tracker = MLflowTracker(tmp_path, experiment="my-study")  # tracking.experiment
    artifact = tmp_path / "out.json"
    artifact.write_text("{}")
    for stage in ("prepare", "analyze"):
        with tracker.stage(stage, PARAMS):
            tracker.log_metrics({"count": 2})
            tracker.log_artifact(artifact)
    with tracker.stage("analyze", PARAMS):  # analyze again: a new reproduction began
        tracker.log_metrics({"count": 3})

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert client.get_experiment_by_name("my-study").experiment_id == tracker.experiment_id
    runs = client.search_runs([tracker.experiment_id])
    parents = sorted((r for r in runs if r.data.tags.get("errormap.kind") == "pipeline"), key=lambda r: r.info.start_time)
    assert len(parents) == 2
    first_children = [r.info.run_name for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert sorted(first_children) == ["analyze", "prepare"]
    assert parents[0].data.metrics["analyze.count"] == 2 and parents[1].data.metrics["analyze.count"] == 3
    assert parents[0].data.params["judge.model"] == "m" and "judge.api_key" not in parents[0].data.params
    assert b"sk-live-123" not in (tmp_path / "mlflow.db").read_bytes()
    artifacts = [a.path for a in client.list_artifacts(parents[0].info.run_id, "prepare")]
    assert artifacts == ["prepare/out.json"]


def test_every_stage_logs_to_a_replaced_tracker(tmp_path: Path, stages: StageRunner) -> None:
    """The stages run in-process, without DVC or MLflow, against an in-memory tracker."""
    shutil.copytree(REPO / "data" / "demo", tmp_path / "data" / "demo")
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    names = list(yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"])
    for name in names:
        assert stages(name) == 0, name

    tracker = stages.tracker
    assert [run["stage"] for run in tracker.runs] == names
    assert all(run["status"] == "FINISHED" for run in tracker.runs)
    by_stage = {run["stage"]: run for run in tracker.runs}
    assert by_stage["prepare"]["metrics"]["failures"] == by_stage["analyze"]["metrics"]["failures_analysed"] > 0
    assert by_stage["taxonomy"]["metrics"]["diagnosed_coverage"] >= 0.9
    assert "data/taxonomy/taxonomy.json" in by_stage["taxonomy"]["artifacts"]
    assert any(a.endswith("report.html") for a in by_stage["report"]["artifacts"])
    assert not (tmp_path / "mlflow.db").exists()


def test_a_stage_refuses_an_unknown_key_without_echoing_its_value(
    tmp_path: Path, stages: StageRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo or a planted secret (`judge.api_key`) is one error naming the key and the file; nothing is logged."""
    shutil.copytree(REPO / "data" / "demo", tmp_path / "data" / "demo")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["judge"]["api_key"] = "sk-should-never-be-logged"
    params["taxonomy"]["max_concurency"] = 8
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert stages("prepare") == 1
    message = " ".join(capsys.readouterr().err.split())
    assert "params.yaml (from conf/judge/): judge.api_key: unknown key" in message
    assert "params.yaml (from conf/taxonomy/): taxonomy.max_concurency: unknown key" in message
    assert "sk-should-never-be-logged" not in message
    assert stages.tracker.runs == [] and not (tmp_path / "data" / "prepared").exists()
