"""The whole DVC pipeline, run for real in a throw-away copy of the repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from errormap.config import compose, load_params
from errormap.taxonomy import Taxonomy
from errormap.testing.openai_server import AutoResponder, ScriptedServer
from tests.conftest import REPO, pipeline_env, run, stored_answer_count

SECRET = "sk-test-0123456789abcdefSECRET"
STAGES = ["prepare", "analyze", "taxonomy", "stability", "signatures", "report"]


def test_committed_params_match_a_fresh_composition() -> None:
    assert load_params(REPO / "params.yaml") == compose(REPO / "conf"), (
        "params.yaml is out of date with conf/: run `errormap config compose`"
    )


def test_compose_applies_group_overrides() -> None:
    config = compose(REPO / "conf", ["judge=openai", "judge.model=some-model", "models=demo_subset"])
    assert config["judge"]["kind"] == "openai" and config["judge"]["model"] == "some-model"
    assert config["judge"]["api_key_env"] == "OPENAI_API_KEY"
    assert config["models"]["include"] == ["atlas-7b", "borealis-13b", "ember-chat"]


def _mlflow_runs(repo: Path) -> list:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("errormap")
    return client.search_runs([experiment.experiment_id])


@pytest.mark.slow
def test_dvc_repro_on_demo_data(repo_copy: Path) -> None:
    env = pipeline_env({"OPENAI_API_KEY": SECRET})
    first = run(["dvc", "repro"], repo_copy, env)
    for stage in STAGES:
        assert f"Running stage '{stage}'" in first.stdout

    diagnoses = pd.read_parquet(repo_copy / "data/analysis/diagnoses.parquet")
    failures = pd.read_parquet(repo_copy / "data/prepared/failures.parquet")
    assert len(diagnoses) == len(failures) > 100
    assert set(diagnoses["status"]) == {"ok"}
    taxonomy = Taxonomy.model_validate_json((repo_copy / "data/taxonomy/taxonomy.json").read_text())
    assert taxonomy.depth() == 2
    stability = json.loads((repo_copy / "metrics/stability.json").read_text())
    assert stability["seeds"] == [1, 2, 3] and len(stability["top_level_categories"]) == 3
    assert 0.0 <= stability["adjusted_rand_index"] <= 1.0 and 0.0 <= stability["matched_recall"] <= 1.0
    report = (repo_copy / "reports/report.html").read_text()
    assert "Failure signatures by model" in report and "cirrus-70b" in report
    assert "<script src=" not in report and "<svg" in report  # self-contained: charts are inline SVG

    second = run(["dvc", "repro"], repo_copy, env)
    assert "Data and pipelines are up to date" in second.stdout

    runs = _mlflow_runs(repo_copy)
    parents = [r for r in runs if r.data.tags.get("errormap.kind") == "pipeline"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1
    assert sorted(r.info.run_name for r in children) == sorted(STAGES)
    assert parents[0].data.params["judge.kind"] == "offline"
    assert "taxonomy.coverage" in parents[0].data.metrics
    for path in [repo_copy / "mlflow.db", repo_copy / "params.yaml", *repo_copy.glob("metrics/*.json")]:
        assert SECRET.encode() not in path.read_bytes()


@pytest.mark.slow
def test_exp_run_with_openai_judge_and_adding_a_model(repo_copy: Path) -> None:
    env = pipeline_env({"OPENAI_API_KEY": SECRET})
    with ScriptedServer(AutoResponder()) as server:
        result = run(
            ["dvc", "exp", "run", "-S", "judge=openai", "-S", f"judge.base_url={server.base_url}",
             "-S", "judge.model=protocol-test", "-S", "judge.retry_base_delay=0.01"],
            repo_copy,
            env,
        )
        diagnosis_requests = [r for r in server.requests if r["response_format"]["json_schema"]["name"] == "diagnosis"]
        taxonomy_requests = len(server.requests) - len(diagnosis_requests)
        params = load_params(repo_copy / "params.yaml")
        diagnoses = pd.read_parquet(repo_copy / "data/analysis/diagnoses.parquet")

        assert params["judge"]["kind"] == "openai" and params["judge"]["base_url"] == server.base_url
        assert len(diagnosis_requests) == len(diagnoses) and taxonomy_requests > 0
        assert set(diagnoses["judge_id"]) == {"openai:protocol-test"}
        assert (repo_copy / "reports/report.html").exists()
        for message in diagnosis_requests[0]["messages"]:
            assert SECRET not in message["content"]
        assert SECRET not in result.stdout + result.stderr
        for path in [repo_copy / "mlflow.db", repo_copy / "params.yaml"]:
            assert SECRET.encode() not in path.read_bytes()

        # one more model's results: its failures go to the judge, plus the failures it joins as a peer
        peers_before = dict(zip(diagnoses["failure_id"], diagnoses["reference_models"]))
        demo = pd.read_csv(repo_copy / "data/demo/arith_word.csv", keep_default_na=False)
        newcomer = demo[demo["model"] == "atlas-7b"].assign(model="newcomer-1b", dataset="arith_word")
        newcomer.to_csv(repo_copy / "data/demo/newcomer.csv", index=False)
        before = len(server.requests)
        run(["dvc", "repro"], repo_copy, env)
        new_diagnoses = [
            r for r in server.requests[before:] if r["response_format"]["json_schema"]["name"] == "diagnosis"
        ]
        failures = pd.read_parquet(repo_copy / "data/prepared/failures.parquet")
        after = pd.read_parquet(repo_copy / "data/analysis/diagnoses.parquet")
        metrics = json.loads((repo_copy / "metrics/analyze.json").read_text())
    own = int((failures["model"] == "newcomer-1b").sum())
    changed = sum(peers_before[f] != peers for f, peers in zip(after["failure_id"], after["reference_models"])
                  if f in peers_before)
    assert own > 0 and changed < len(peers_before) / 2
    assert len(new_diagnoses) == own + changed
    assert (metrics["asked_new"], metrics["asked_again_changed_request"]) == (own, changed)


@pytest.mark.slow
def test_bad_input_stops_prepare_with_a_located_error(repo_copy: Path) -> None:
    broken = repo_copy / "data/demo/short_qa.csv"
    frame = pd.read_csv(broken, keep_default_na=False, dtype=str)
    frame.loc[4, "score"] = "n/a"
    frame.to_csv(broken, index=False)
    result = subprocess.run(
        ["dvc", "repro", "prepare"], cwd=repo_copy, env=pipeline_env(), capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "short_qa.csv" in output and "row 6" in output and "'score'" in output and "'n/a' is not a number" in output


def test_stage_metrics_files_are_declared_in_dvc_yaml() -> None:
    import yaml

    pipeline = yaml.safe_load((REPO / "dvc.yaml").read_text())
    assert list(pipeline["stages"]) == STAGES
    for name, stage in pipeline["stages"].items():
        assert f"stages/{name}.py" in stage["deps"]
        assert stage["params"], f"stage {name} declares no params"
    declared = {next(iter(m)) for s in pipeline["stages"].values() for m in s.get("metrics", [])}
    assert declared == {f"metrics/{s}.json" for s in ("prepare", "analyze", "taxonomy", "stability", "signatures")}
    json.dumps(pipeline)


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", ["SIGKILL", "SIGINT"])
def test_a_stopped_analyze_loses_nothing_and_the_rerun_asks_only_for_the_rest(repo_copy: Path, stop_signal: str) -> None:
    import signal
    import time

    env = pipeline_env({"ERRORMAP_TRACKING": "off"})
    with ScriptedServer(AutoResponder(), delay=0.05) as server:
        run([sys.executable, "-m", "errormap.cli", "config", "compose", "judge=openai", f"judge.base_url={server.base_url}",
             "judge.model=protocol-test", "judge.max_concurrency=2", "judge.api_key_env=null"], repo_copy, env)
        run([sys.executable, "stages/prepare.py"], repo_copy, env)
        failures = len(pd.read_parquet(repo_copy / "data/prepared/failures.parquet"))
        store = repo_copy / ".errormap" / "cache.sqlite"

        def stored() -> int:  # the store may exist before its table does: that counts as none yet
            return stored_answer_count(store, "diagnosis")

        process = subprocess.Popen([sys.executable, "stages/analyze.py"], cwd=repo_copy, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while stored() < 30 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(getattr(signal, stop_signal))  # SIGKILL: no chance to clean up; SIGINT: Ctrl-C
        _, stderr = process.communicate(timeout=30)
        kept = stored()
        if stop_signal == "SIGINT":
            assert process.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr[-2000:]
        assert 30 <= kept < failures, "the run should have been killed half-way"
        assert not (repo_copy / "data/analysis/diagnoses.parquet").exists()

        before = len(server.requests)
        run([sys.executable, "stages/analyze.py"], repo_copy, env)
        rerun_requests = len(server.requests) - before
    diagnoses = pd.read_parquet(repo_copy / "data/analysis/diagnoses.parquet")
    assert len(diagnoses) == failures and set(diagnoses["status"]) == {"ok"}
    assert rerun_requests == failures - kept  # every answer stored before the kill was reused
    metrics = json.loads((repo_copy / "metrics/analyze.json").read_text())
    assert metrics["cached_answers"] == kept and metrics["asked_new"] == failures - kept
