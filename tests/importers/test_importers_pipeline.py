"""`errormap import` on the command line, data.format in the prepare step, and one harness run through DVC to a report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from errormap.cli import main
from errormap.data import load_results
from errormap.importers import ImportOptions
from errormap.settings import default_settings, validate
from errormap.steps.prepare import prepare
from tests.conftest import REPO, pipeline_env, run

SAMPLES = REPO.parent / "shared" / "harness_samples"
NEGOTIATION = SAMPLES / "lm_eval" / "negotiationtom_qwen3-8b"
GSM8K = SAMPLES / "lm_eval" / "gsm8k_tinyllama_local-completions_olot"
HARM = SAMPLES / "helm" / "harm_bench_gpt-4o_generation"


@pytest.fixture(autouse=True)
def _needs_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/harness_samples is not present")


def test_import_writes_one_table_per_harness_that_the_pipeline_reads(tmp_path: Path, capsys) -> None:
    out = tmp_path / "imported"
    assert main(["import", "auto", str(NEGOTIATION), str(HARM), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "lm-eval  Qwen/Qwen3-8B  negotiationtom_belief: 20 rows, mean score 0.45" in printed
    assert "helm     openai/gpt-4o-2024-05-13  harm_bench: 2 rows, mean score 1" in printed
    assert sorted(p.name for p in out.iterdir()) == ["helm.parquet", "lm-eval.parquet"]
    results = load_results(out)
    assert len(results) == 62 and set(results["harness"]) == {"lm-eval", "helm"}


def test_import_fails_on_a_bad_record_and_skip_bad_lists_it(tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "gsm8k"
    shutil.copytree(GSM8K, run_dir)
    samples = next(run_dir.glob("samples_*.jsonl"))
    samples.chmod(0o644)
    lines = samples.read_text().splitlines()
    samples.write_text("\n".join([lines[0], "{not json", lines[2]]) + "\n")
    assert main(["import", "lm-eval", str(run_dir), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{samples}, line 2: invalid JSON" in err and "--skip-bad" in err
    assert not (tmp_path / "out").exists()
    assert main(["import", "lm-eval", str(run_dir), "--out", str(tmp_path / "out"), "--skip-bad"]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 record(s) in 1 place(s):" in err and f"  - {samples}, line 2: invalid JSON" in err
    assert len(pd.read_parquet(tmp_path / "out" / "lm-eval.parquet")) == 2


def test_import_options_on_the_command_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["import", "helm", str(HARM), "--out", str(out), "--helm-metric", "harm_bench_gpt_score"]) == 0
    assert set(pd.read_parquet(out / "helm.parquet")["metric"]) == {"harm_bench_gpt_score"}
    with pytest.raises(SystemExit):
        main(["import", "inspect", str(HARM), "--out", str(out), "--inspect-score-map", "C=one"])
    assert "expected LETTER=NUMBER pairs" in capsys.readouterr().err


def test_conf_defaults_are_the_importers_defaults() -> None:
    assert ImportOptions(**default_settings().data.harness.model_dump()) == ImportOptions()
    assert default_settings().data.format == "table"


def _settings(**data: object):
    raw = default_settings().model_dump(mode="json")
    raw["data"].update(data)
    return validate(raw, "test")


def test_prepare_reads_a_harness_directory_when_data_format_names_the_harness() -> None:
    prepared = prepare(_settings(input_dir=str(NEGOTIATION), format="lm-eval"))
    results = prepared.results
    assert prepared.metrics["rows"] == 60 and prepared.metrics["models"] == 1 and prepared.metrics["datasets"] == 3
    belief = results[results["dataset"] == "negotiationtom_belief"].set_index("example_id")
    assert belief.loc["0", "source_file"] == "samples_negotiationtom_belief_2026-07-08T16-04-34.219874.jsonl"
    assert belief.loc["0", "source_row"] == 1 and bool(belief.loc["0", "is_failure"])
    assert prepared.metrics["failures"] == int((results["score"] < results["success_threshold"]).sum()) > 0


def test_prepare_with_the_wrong_format_names_the_directory() -> None:
    with pytest.raises(ValueError, match="no inspect output found in this directory"):
        prepare(_settings(input_dir=str(NEGOTIATION), format="inspect"))


@pytest.mark.slow
def test_an_lm_eval_run_goes_through_dvc_to_a_report(repo_copy: Path) -> None:
    """I ran lm_eval with --log_samples: the run directory goes through every stage with the offline judge."""
    harness = repo_copy / "harness" / "negotiationtom"
    shutil.copytree(NEGOTIATION, harness)
    env = pipeline_env({"ERRORMAP_TRACKING": "off"})
    run(["git", "add", "harness"], repo_copy, env)
    run(["git", "commit", "-qm", "lm-eval run"], repo_copy, env)
    result = run(["dvc", "exp", "run", "-S", "data.input_dir=harness/negotiationtom", "-S", "data.format=lm-eval"],
                 repo_copy, env, timeout=1200)
    assert "Running stage 'report'" in result.stdout
    prepared = pd.read_parquet(repo_copy / "data/prepared/results.parquet")
    assert len(prepared) == 60 and set(prepared["model"]) == {"Qwen/Qwen3-8B"}
    failures = pd.read_parquet(repo_copy / "data/prepared/failures.parquet")
    diagnoses = pd.read_parquet(repo_copy / "data/analysis/diagnoses.parquet")
    assert len(diagnoses) == len(failures) > 0 and set(diagnoses["status"]) == {"ok"}
    report = (repo_copy / "reports/report.html").read_text()
    assert "Qwen/Qwen3-8B" in report and "negotiationtom_belief" in report
    lock = yaml.safe_load((repo_copy / "dvc.lock").read_text())["stages"]["prepare"]
    deps = {d["path"] for d in lock["deps"]}
    assert {"harness/negotiationtom", "errormap/importers"} <= deps  # DVC tracks the harness output and the importer
    assert lock["params"]["params.yaml"]["data"]["format"] == "lm-eval"
    metrics = json.loads((repo_copy / "metrics/prepare.json").read_text())
    assert metrics["rows"] == 60 and metrics["models"] == 1
