"""Loading, validation, thresholds and sampling of benchmark results."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from errormap.data import InputValidationError, load_results, mark_failures, sample_failures, success_thresholds

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
    results = _results({"m1": [1, 0.9, 0.2, 0], "m2": [1, 1, 0.5, 0.2]})
    thresholds = success_thresholds(results, None, None, 0.7)
    assert thresholds == {"d": pytest.approx(0.7 * 4.8 / 8)}
    marked = mark_failures(results, thresholds)
    assert marked["is_failure"].sum() == 3


def test_binary_scores_make_every_zero_a_failure_whatever_the_mean() -> None:
    results = _results({"m1": [1, 0, 0, 0], "m2": [0, 0, 0, 0]})
    assert success_thresholds(results, None, None, 0.7) == {"d": 1.0}
    assert mark_failures(results, {"d": 1.0})["is_failure"].sum() == 7


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


def _jsonl(path: Path, rows: list[dict]) -> Path:
    base = {"model": "m1", "input_text": "x", "output_text": "y"}
    return write(path, "".join(json.dumps({**base, **row}) + "\n" for row in rows))


def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.assign(input_text="x", output_text="y").to_parquet(path)
    return path


@pytest.mark.parametrize("score", ["inf", "-inf", " Infinity ", "nan", "1e400"])
def test_non_finite_csv_score_is_located(tmp_path: Path, score: str) -> None:
    write(tmp_path / "scores.csv", HEADER + "e1,m1,x,y,1,a\n" + f"e2,m1,x,y,{score},a\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    problem = info.value.problems[0]
    assert (problem.file.endswith("scores.csv"), problem.row, problem.column) == (True, 3, "score")
    assert f"score {score.strip()!r} is not a finite number" in str(info.value)
    assert f"scores.csv, row 3, column 'score': score {score.strip()!r} is not a finite number" in str(info.value)


def test_non_finite_jsonl_scores_are_located(tmp_path: Path) -> None:
    scores = ("1", "Infinity", "-Infinity", "NaN", "1e400", "1" + "0" * 400)  # JSON text as written
    lines = [f'{{"example_id": "e{i}", "model": "m", "input_text": "x", "output_text": "y", "score": {s}}}'
             for i, s in enumerate(scores)]
    write(tmp_path / "s.jsonl", "\n".join(lines) + "\n")
    _jsonl(tmp_path / "gap.jsonl", [{"example_id": "e1"}, {"example_id": "e2", "score": 1}])
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    found = {(Path(p.file).name, p.row, p.column): p.message for p in info.value.problems}
    assert found == {
        ("s.jsonl", 2, "score"): "score 'inf' is not a finite number",
        ("s.jsonl", 3, "score"): "score '-inf' is not a finite number",
        ("s.jsonl", 4, "score"): "score 'nan' is not a finite number",
        ("s.jsonl", 5, "score"): "score 'inf' is not a finite number",
        ("s.jsonl", 6, "score"): f"score '1{'0' * 400}' is not a finite number",
        ("gap.jsonl", 1, "score"): "score is empty",
    }


def test_non_finite_parquet_scores_are_located_and_null_is_empty(tmp_path: Path) -> None:
    scores = pa.array([1.0, float("inf"), float("-inf"), float("nan"), None], from_pandas=False)  # NaN is not null
    table = pa.table({"example_id": list("abcde"), "model": ["m"] * 5, "input_text": ["x"] * 5,
                      "output_text": ["y"] * 5, "score": scores})
    pq.write_table(table, tmp_path / "p.parquet")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    assert [(p.row, p.column, p.message) for p in info.value.problems] == [
        (2, "score", "score 'inf' is not a finite number"),
        (3, "score", "score '-inf' is not a finite number"),
        (4, "score", "score 'nan' is not a finite number"),
        (5, "score", "score is empty"),
    ]
    assert "p.parquet, row 2, column 'score'" in str(info.value)


def test_boolean_scores_are_accepted_as_one_and_zero(tmp_path: Path) -> None:
    """A deliberate choice: pass/fail benchmarks store booleans; true counts as 1, false as 0."""
    _jsonl(tmp_path / "j.jsonl", [{"example_id": "e1", "score": True}, {"example_id": "e2", "score": False}])
    _jsonl(tmp_path / "mixed.jsonl", [{"example_id": "e1", "score": True}, {"example_id": "e2", "score": 0.25}])
    _parquet(tmp_path / "p.parquet", pd.DataFrame({"example_id": ["e1", "e2"], "model": "m1", "score": [True, False]}))
    write(tmp_path / "c.csv", HEADER + "e1,m1,x,y,True,a\ne2,m1,x,y, false ,a\n")

    results = load_results(tmp_path)

    assert results["score"].dtype == float
    by_row = {(d, e): s for d, e, s in zip(results["dataset"], results["example_id"], results["score"])}
    assert by_row == {
        ("j", "e1"): 1.0, ("j", "e2"): 0.0, ("mixed", "e1"): 1.0, ("mixed", "e2"): 0.25,
        ("p", "e1"): 1.0, ("p", "e2"): 0.0, ("c", "e1"): 1.0, ("c", "e2"): 0.0,
    }
    marked = mark_failures(results, success_thresholds(results, None, 0.5, 0.7))
    assert sorted(marked.loc[marked["is_failure"], "example_id"]) == ["e2"] * 4


def test_boolean_like_text_other_than_true_false_is_still_not_a_number(tmp_path: Path) -> None:
    write(tmp_path / "c.csv", HEADER + "e1,m1,x,y,yes,a\n")
    with pytest.raises(InputValidationError, match=r"c\.csv, row 2, column 'score': score 'yes' is not a number"):
        load_results(tmp_path)


def test_numeric_ids_become_canonical_text_in_every_format(tmp_path: Path) -> None:
    # a float beside ints makes pandas turn the whole column to float: 2 would read back as "2.0"
    ids = [2, 2.5, 10**20]
    _jsonl(tmp_path / "d.jsonl", [{"example_id": i, "model": 7, "score": 1} for i in ids])
    write(tmp_path / "d.csv", "dataset," + HEADER + "d,2,m_csv,x,y,1,a\n")
    _parquet(tmp_path / "ints.parquet",
             pd.DataFrame({"dataset": "d", "example_id": [2, 2**60 + 1], "model": "m_int", "score": [1.0, 1.0]}))
    _parquet(tmp_path / "floats.parquet",
             pd.DataFrame({"dataset": "d", "example_id": [2.0, 2.5], "model": "m_float", "score": [1.0, 1.0]}))

    results = load_results(tmp_path)

    ids = results.groupby("model")["example_id"].apply(sorted).to_dict()
    assert ids == {"7": ["100000000000000000000", "2", "2.5"], "m_csv": ["2"],
                   "m_int": ["1152921504606846977", "2"], "m_float": ["2", "2.5"]}
    assert set(results["dataset"]) == {"d"}
    assert results["example_id"].map(type).eq(str).all() and results["model"].map(type).eq(str).all()


def test_numeric_ids_that_are_equal_are_one_key(tmp_path: Path) -> None:
    _jsonl(tmp_path / "d.jsonl", [{"example_id": 2, "score": 1}, {"example_id": 2.0, "score": 0}])
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    problem = info.value.problems[0]
    assert (Path(problem.file).name, problem.row, problem.column) == ("d.jsonl", 2, "example_id")
    assert "example_id='2'" in problem.message and "also at row(s) 1" in problem.message


def test_missing_parquet_id_is_empty_not_a_placeholder(tmp_path: Path) -> None:
    _parquet(tmp_path / "p.parquet", pd.DataFrame({"example_id": pd.array([1, None], dtype="Int64"), "model": "m",
                                                   "score": [1.0, 0.0]}))
    with pytest.raises(InputValidationError, match=r"p\.parquet, row 2, column 'example_id': must not be empty"):
        load_results(tmp_path)


def test_duplicate_across_files_in_subdirectories_names_relative_paths(tmp_path: Path) -> None:
    write(tmp_path / "x" / "t.csv", HEADER + "e1,m1,x,y,1,a\n")
    write(tmp_path / "y" / "t.csv", HEADER + "e0,m1,x,y,1,a\ne1,m1,x,y,0,a\n")
    with pytest.raises(InputValidationError) as info:
        load_results(tmp_path)
    problem = info.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (str(tmp_path / "y" / "t.csv"), 3, "example_id")
    assert "duplicate key across files: x/t.csv row 2; y/t.csv row 3" in problem.message


def test_source_file_is_the_path_below_the_input_directory(tmp_path: Path) -> None:
    write(tmp_path / "top.csv", HEADER + "e1,m1,x,y,1,a\n")
    write(tmp_path / "sub" / "inner.csv", HEADER + "e1,m1,x,y,1,a\n")
    results = load_results(tmp_path)
    assert sorted(results["source_file"]) == ["sub/inner.csv", "top.csv"]
