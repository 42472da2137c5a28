"""Hostile benchmark inputs: huge outputs, degenerate scores, empty files and awkward names (issue 11, items 1-5)."""

from __future__ import annotations

from pathlib import Path

from tests.memory_cap import run_capped

MB = 1024 * 1024


def test_final_answers_memory_is_linear_in_the_output() -> None:
    """14,000 'answer is' statements on one 266 KB line: each used to copy the whole line (about 3.7 GB)."""
    result = run_capped(
        setup="""
            from errormap.answers import final_answers
            output = "x\\n" + "The answer is (A). " * 14000
        """,
        body="""
            answers = final_answers(output)
            assert len(answers) == 14000, len(answers)
            assert all("A" in a.text and a.text in a.quote and a.quote in output for a in answers[:50])
            assert max(len(a.quote) for a in answers) <= 500
        """,
        extra_bytes=200 * MB,
    )
    assert result.returncode == 0, result.stderr[-3000:]



def test_a_20_mb_output_is_analysed_within_a_memory_cap_and_the_cut_is_stated() -> None:
    """One 20 MB output drove the analyze stage to 24 GB; what the judge sees is now cut to judge.max_text_chars."""
    result = run_capped(
        setup="""
            import asyncio
            import pandas as pd
            from errormap.data import mark_failures
            from errormap.judge import OfflineJudge
            from errormap.settings import default_settings
            from errormap.steps.analyze import build_cases, diagnose_all

            huge = "Let me think.\\n" + "The answer is (A). " * 1_100_000 + "\\nAnswer: A"
            rows = [("weak", huge, 0.0), ("strong", "B is right. Answer: B", 1.0), ("other", "Answer: B", 1.0)]
            results = pd.DataFrame([
                {"dataset": "mcq", "example_id": "e1", "model": m, "input_text": "Pick one: (A) x (B) y",
                 "output_text": out, "score": score, "correct_answer": "B"} for m, out, score in rows
            ])
            marked = mark_failures(results, {"mcq": 1.0})
            failures = marked[marked["is_failure"]]
            budget = default_settings().judge.max_text_chars
        """,
        body="""
            cases = build_cases(marked, failures, max_text_chars=budget)
            frame, stats = asyncio.run(diagnose_all(cases, OfflineJudge()))
            row = frame.iloc[0]
            assert len(huge) > 20_000_000 and row["status"] == "ok", row.to_dict()
            assert row["truncated_chars"] == len(huge) - budget, (row["truncated_chars"], len(huge))
            assert "characters left out here" in cases[0].output_text and cases[0].output_text.endswith("Answer: A")
        """,
        extra_bytes=400 * MB,
    )
    assert result.returncode == 0, result.stderr[-3000:]


# --- items 2-4: degenerate scores, zero rows or failures, empty files -------------------------------------------

import logging  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from errormap.cli import main as cli_main  # noqa: E402
from errormap.data import InputValidationError, load_results  # noqa: E402
from errormap.settings import Settings, default_settings, validate  # noqa: E402
from errormap.steps.prepare import prepare  # noqa: E402
from errormap.thresholds import FailureRuleError  # noqa: E402

HEADER = "example_id,model,input_text,output_text,score\n"


def settings_with(**threshold: object) -> Settings:
    """conf/'s defaults with data.success_threshold changed."""
    raw = default_settings().model_dump(mode="json")
    raw["data"]["success_threshold"].update(threshold)
    return validate(raw)


def results_csv(path: Path, scores: list[float], model: str = "m1") -> Path:
    rows = "".join(f"e{i},{model},q{i},out {i},{score}\n" for i, score in enumerate(scores))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_all_zero_scores_are_all_failures_under_the_binary_rule(tmp_path: Path) -> None:
    """Every score 0: the old rule (0.7 x mean = 0) marked nothing, and the run ended with an empty report."""
    results_csv(tmp_path / "allzero.csv", [0, 0, 0, 0])
    results_csv(tmp_path / "mixed.csv", [1, 0, 1, 1])
    prepared = prepare(default_settings(), tmp_path)
    assert prepared.metrics["failures"] == 5 and len(prepared.failures) == 5
    rules = prepared.metrics["threshold_rules"]
    assert rules["allzero"]["rule"] == rules["mixed"]["rule"] == "binary"
    assert "a score of 0 is a failure" in rules["allzero"]["description"]


def test_continuous_scores_keep_the_mean_rule(tmp_path: Path) -> None:
    results_csv(tmp_path / "rouge.csv", [0.9, 0.2, 0.8, 0.7])
    prepared = prepare(default_settings(), tmp_path)
    assert prepared.metrics["threshold_rules"]["rouge"]["rule"] == "mean_ratio"
    assert prepared.metrics["thresholds"]["rouge"] == pytest.approx(0.7 * 0.65)
    assert prepared.failures["example_id"].tolist() == ["e1"]


@pytest.mark.parametrize(
    ("threshold", "marks"),
    [({"per_dataset": {"rouge": 0.0}}, "marks no row"), ({"default": 2.0}, "marks every row (4)")],
)
def test_a_rule_marking_none_or_all_of_varied_scores_is_an_error(tmp_path: Path, threshold: dict, marks: str) -> None:
    results_csv(tmp_path / "rouge.csv", [0.9, 0.2, 0.8, 0.7])
    with pytest.raises(FailureRuleError) as info:
        prepare(settings_with(**threshold), tmp_path)
    message = str(info.value)
    assert "dataset 'rouge'" in message and marks in message and "score <" in message
    assert "data.success_threshold.per_dataset.rouge" in message


def test_zero_failures_is_one_message_at_prepare_and_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no params.yaml here: validate applies conf/'s rules
    results_csv(tmp_path / "perfect.csv", [1, 1, 1])
    with pytest.raises(FailureRuleError, match="no failures to analyse: all 3 rows meet"):
        prepare(default_settings(), tmp_path)
    assert cli_main(["validate", str(tmp_path)]) == 1
    assert "no failures to analyse" in capsys.readouterr().err


def test_header_only_input_is_one_message_at_prepare_and_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A header-only file used to validate as 'ok: 0 rows'."""
    monkeypatch.chdir(tmp_path)
    results_csv(tmp_path / "empty.csv", [])
    with pytest.raises(InputValidationError, match=r"no result rows in any file .*empty\.csv: no rows \(header only\)"):
        prepare(default_settings(), tmp_path)
    assert cli_main(["validate", str(tmp_path)]) == 1
    assert "no result rows" in capsys.readouterr().err


def test_a_zero_byte_file_is_skipped_by_name_and_the_rest_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 0-byte CSV gave pandas' 'No columns to parse from file', without the file name, and stopped the directory."""
    (tmp_path / "zero.csv").write_bytes(b"")
    results_csv(tmp_path / "good.csv", [1, 0])
    with caplog.at_level(logging.WARNING, logger="errormap.data"):
        results = load_results(tmp_path)
    assert results["dataset"].unique().tolist() == ["good"]
    assert any("zero.csv" in r.getMessage() and "0 bytes" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", ["zero.csv", "zero.jsonl", "zero.parquet"])
def test_only_zero_byte_files_name_each_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    assert f"{name}: empty file (0 bytes)" in str(info.value)
    assert "No columns to parse" not in str(info.value)


def test_validate_states_the_rule_of_each_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results_csv(tmp_path / "exact.csv", [1, 0, 1])
    assert cli_main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 failures" in out and "exact: binary scores: a score of 0 is a failure" in out


def test_sampled_failures_of_no_configured_model_is_an_error(tmp_path: Path) -> None:
    results_csv(tmp_path / "d.csv", [1, 0, 1], model="weak")
    results_csv(tmp_path / "e.csv", [1, 1, 1], model="strong")
    raw = default_settings().model_dump(mode="json")
    raw["models"]["include"] = ["strong"]
    with pytest.raises(FailureRuleError, match=r"models.include \['strong'\] have none"):
        prepare(validate(raw), tmp_path)


# --- item 5: any name a user can have ------------------------------------------------------------------------------

AWKWARD_MODEL = "atlas-7b+cot (v2) @ #1, <x & y>"
AWKWARD_DATASET = "gsm8k (cot)"


def test_awkward_model_and_dataset_names_run_every_stage_into_mlflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names with ( ) + @ # , & < > used to crash `prepare` with a raw MLflow error (exit 255)."""
    import json
    import runpy
    import shutil

    import mlflow
    import yaml

    from tests.conftest import REPO

    demo = tmp_path / "data" / "demo"
    shutil.copytree(REPO / "data" / "demo", demo)
    frame = pd.read_csv(demo / "short_qa.csv", keep_default_na=False, dtype=str)
    frame["model"] = frame["model"].replace("atlas-7b", AWKWARD_MODEL)
    (demo / "short_qa.csv").unlink()
    frame.to_csv(demo / f"{AWKWARD_DATASET}.csv", index=False)
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("ERRORMAP_TRACKING", raising=False)

    assert cli_main(["validate", str(demo)]) == 0
    for name in yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]:
        runpy.run_path(str(REPO / "stages" / f"{name}.py"), run_name="__main__")

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("errormap")
    runs = client.search_runs([experiment.experiment_id])
    prepare_run = next(r for r in runs if r.info.run_name == "prepare")
    assert prepare_run.info.status == "FINISHED"
    mapping = json.loads((Path(client.download_artifacts(prepare_run.info.run_id, "mlflow_keys.json", str(tmp_path)))).read_text())
    original = f"accuracy.{AWKWARD_MODEL}.{AWKWARD_DATASET}"
    safe = next(key for key, name in mapping.items() if name == original)
    assert safe in prepare_run.data.metrics  # logged under the safe key, readable back through the mapping
    assert prepare_run.data.metrics[safe] == json.loads((tmp_path / "metrics/prepare.json").read_text())["accuracy"][AWKWARD_MODEL][AWKWARD_DATASET]
    report = (tmp_path / "reports/report.html").read_text()
    assert "atlas-7b+cot (v2) @ #1, &lt;x &amp; y&gt;" in report and AWKWARD_MODEL not in report
    assert "binary scores: a score of 0 is a failure" in report  # the rule that made the failures (item 2)
