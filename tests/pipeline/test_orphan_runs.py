"""A stage killed with kill -9 leaves its MLflow runs RUNNING; the next stage marks them KILLED (issue 11, item 10)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from errormap.orphan_runs import close_orphans, process_tags
from errormap.tracking import MLflowTracker

PARAMS = {"seed": 1, "judge": {"kind": "offline"}}


def _runs(tmp_path: Path) -> list:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    return client.search_runs([client.get_experiment_by_name("errormap").experiment_id])


def test_runs_of_a_killed_stage_are_marked_killed_by_the_next_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import os, signal
            from pathlib import Path
            from errormap.tracking import MLflowTracker
            tracker = MLflowTracker(Path({str(tmp_path)!r}))
            with tracker.stage("prepare", {PARAMS!r}):
                tracker.log_metrics({{"rows": 3}})
            with tracker.stage("analyze", {PARAMS!r}):
                os.kill(os.getpid(), signal.SIGKILL)
        """)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith("MLFLOW_")},
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    left = {r.info.run_name: r.info.status for r in _runs(tmp_path)}
    assert left["analyze"] == "RUNNING"  # what kill -9 leaves behind

    tracker = MLflowTracker(tmp_path)
    with tracker.stage("analyze", PARAMS):  # the rerun
        tracker.log_metrics({"rows": 3})
    statuses = sorted((r.info.run_name, r.info.status) for r in _runs(tmp_path) if r.info.run_name == "analyze")
    assert statuses == [("analyze", "FINISHED"), ("analyze", "KILLED")]
    assert not [r for r in _runs(tmp_path) if r.info.status == "RUNNING"]


def test_a_run_of_a_live_process_or_another_host_is_left_running(tmp_path: Path) -> None:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("errormap", artifact_location=(tmp_path / "a").as_uri())
    live = client.create_run(experiment, tags=process_tags(), run_name="live")
    elsewhere = client.create_run(experiment, tags={**process_tags(), "errormap.host": "another-host"}, run_name="elsewhere")
    untagged = client.create_run(experiment, run_name="untagged")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = client.create_run(experiment, tags={**process_tags(), "errormap.pid": gone.stdout.strip()}, run_name="dead")
    assert close_orphans(client, experiment) == [dead.info.run_id]
    status = {r: client.get_run(r).info.status for r in (live.info.run_id, elsewhere.info.run_id, untagged.info.run_id)}
    assert set(status.values()) == {"RUNNING"}
    assert client.get_run(dead.info.run_id).info.status == "KILLED"
