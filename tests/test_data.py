"""Loading, validation, thresholds and sampling of benchmark results."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from errormap.data import (
    InputValidationError,
    load_results,
    mark_failures,
    sample_failures,
    success_thresholds,
)

HEADER = "example_id,model,input_text,output_text,score,correct_answer\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_loads_csv_jsonl_parquet_and_names_datasets_by_stem(tmp_path: Path) -> None:
    write(tmp_path / "arith.csv", HEADER + 'e1,m1,"2+2?","4",1,4\ne1,m2,"2+2?","",0,4\n')
    write(
        tmp_path / "qa.jsonl",
        json.dumps({"example_id": "q1", "model": "m1", "input_text": "x", "output_text": "y", "score": 0.5, "note": "kept"})
        + "\n",
    )
    pd.DataFrame(
        {"example_id": ["p1"], "model": ["m1"], "input_text": ["i"], "output_text": ["o"], "score": [1.0], "dataset": ["custom"]}
    ).to_parquet(tmp_path / "whatever.parquet")

    results = load_results(tmp_path)

    assert sorted(results["dataset"].unique()) == ["arith", "custom", "qa"]
    empty = results[(results["dataset"] == "arith") & (results["model"] == "m2")].iloc[0]
    assert empty["output_text"] == "" and empty["score"] == 0.0
    assert results.loc[results["dataset"] == "qa", "note"].iloc[0] == "kept"
    assert results.loc[results["dataset"] == "qa", "correct_answer"].isna().all()


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    write(tmp_path / "bad.csv", "example_id,model,input_text,score\ne1,m1,x,1\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    message = str(info.value)
    assert "bad.csv" in message and "column 'output_text'" in message and "missing" in message


@pytest.mark.parametrize("score, expected", [("abc", "'abc' is not a number"), ("", "score is empty")])
def test_bad_score_names_file_row_and_column(tmp_path: Path, score: str, expected: str) -> None:
    write(tmp_path / "scores.csv", HEADER + "e1,m1,x,y,1,a\n" + f"e2,m1,x,y,{score},a\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    problem = info.value.problems[0]
    assert (problem.file.endswith("scores.csv"), problem.row, problem.column) == (True, 3, "score")
    assert expected in str(info.value)


def test_duplicate_key_names_both_rows(tmp_path: Path) -> None:
    write(tmp_path / "dup.csv", HEADER + "e1,m1,x,y,1,a\ne2,m1,x,y,1,a\ne1,m1,x,z,0,a\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    problem = info.value.problems[0]
    assert problem.row == 4 and "also at row(s) 2" in problem.message


def test_duplicate_across_files_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "dataset," + HEADER.replace("\n", "") + "\nd,e1,m1,x,y,1,a\n")
    write(tmp_path / "b.csv", "dataset," + HEADER.replace("\n", "") + "\nd,e1,m1,x,y,0,a\n")
    with pytest.raises(InputValidationError, match="duplicate key across files"):
        load_results(tmp_path)


def test_non_utf8_file_is_rejected_with_line(tmp_path: Path) -> None:
    write(tmp_path / "latin.csv", (HEADER + "e1,m1,caf\xe9,y,1,a\n").encode("latin-1"))
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    assert "latin.csv" in str(info.value) and "not UTF-8" in str(info.value) and "line 2" in str(info.value)


def test_invalid_jsonl_line_is_located(tmp_path: Path) -> None:
    write(tmp_path / "x.jsonl", '{"example_id": "a"}\n{not json}\n')
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    assert info.value.problems[0].row == 2


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    write(tmp_path / "many.csv", HEADER + "e1,m1,x,y,bad,a\ne2,m1,x,y,,a\ne3,,x,y,1,a\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "score"), (3, "score"), (4, "model")}


def _results(scores: dict[str, list[float]], dataset: str = "d") -> pd.DataFrame:
    rows = []
    for model, values in scores.items():
        for i, score in enumerate(values):
            rows.append({"dataset": dataset, "example_id": f"e{i:03d}", "model": model, "input_text": "q",
                         "output_text": "o", "score": score, "correct_answer": "a"})
    return pd.DataFrame(rows)


def test_default_threshold_is_ratio_of_dataset_mean() -> None:
    results = _results({"m1": [1, 1, 0, 0], "m2": [1, 1, 1, 0]})
    thresholds = success_thresholds(results, None, None, 0.7)
    assert thresholds == {"d": pytest.approx(0.7 * 5 / 8)}
    marked = mark_failures(results, thresholds)
    assert marked["is_failure"].sum() == 3


def test_per_dataset_threshold_overrides_default() -> None:
    results = pd.concat([_results({"m": [0.4, 0.6]}, "a"), _results({"m": [0.4, 0.6]}, "b")])
    thresholds = success_thresholds(results, {"a": 0.5}, 0.9, 0.7)
    assert thresholds == {"a": 0.5, "b": 0.9}


def test_sampling_ratio_cap_and_seed() -> None:
    marked = mark_failures(_results({"m1": [0] * 40, "m2": [0] * 10}), {"d": 0.5})
    half = sample_failures(marked, ratio=0.5, seed=1)
    assert half.groupby("model").size().to_dict() == {"m1": 20, "m2": 5}
    capped = sample_failures(marked, ratio=1.0, max_per_group=7, seed=1)
    assert capped.groupby("model").size().to_dict() == {"m1": 7, "m2": 7}
    again = sample_failures(marked, ratio=0.5, seed=1)
    other_seed = sample_failures(marked, ratio=0.5, seed=2)
    assert half["failure_id"].tolist() == again["failure_id"].tolist()
    assert set(half["failure_id"]) != set(other_seed["failure_id"])


def test_adding_a_model_leaves_other_groups_samples_unchanged() -> None:
    before = mark_failures(_results({"m1": [0] * 30}), {"d": 0.5})
    after = mark_failures(_results({"m1": [0] * 30, "m2": [0] * 30}), {"d": 0.5})
    first = sample_failures(before, ratio=0.3, seed=5)
    second = sample_failures(after, ratio=0.3, seed=5)
    assert set(first["failure_id"]) == set(second.loc[second["model"] == "m1", "failure_id"])


def test_model_filter_rejects_unknown_models() -> None:
    marked = mark_failures(_results({"m1": [0, 1]}), {"d": 0.5})
    assert sample_failures(marked, models=["m1"])["model"].unique().tolist() == ["m1"]
    with pytest.raises(ValueError, match="not found"):
        sample_failures(marked, models=["nope"])
