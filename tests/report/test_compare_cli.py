"""`errormap compare`: the pair's table in the terminal, read from the signatures stage's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from errormap import artifacts
from errormap.cli import main
from errormap.comparisons import distance_matrix, pairwise_comparisons
from errormap.signatures import attempt_counts, signatures_document
from tests.report.test_statistics import _failures, _results


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    failures = _failures([("a", "d", "1", 10), ("a", "d", "2", 2), ("b", "d", "2", 2)])
    attempts = attempt_counts(_results([("a", "d", 100, 12), ("b", "d", 100, 2)]))
    document = signatures_document(failures, 1, attempts)
    pairwise = pairwise_comparisons(failures, attempts)
    document["distances"] = distance_matrix(pairwise, ["a", "b"])
    artifacts.SIGNATURES.write(document, tmp_path)
    artifacts.PAIRWISE.write(pairwise, tmp_path)
    return tmp_path


def test_compare_prints_rates_direction_and_significance(outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "b", "a", "--root", str(outputs)]) == 0
    text = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "b vs a" in text and "on the datasets both answered: d" in text
    assert "a: error rate 12.0% (12 failures in 100 attempts, 12 analysed)" in text
    category_1 = lines["Category 1"]
    assert "0.0% (0)" in category_1 and "10.0% (10)" in category_1 and "-10.0 pts" in category_1
    assert category_1.rstrip().endswith("a *")  # a fails more, significantly
    assert lines["Category 2"].rstrip().endswith("-")  # 2 each: no direction
    assert "signature distance" in text


def test_compare_names_an_unknown_model(outputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "a", "zeta", "--root", str(outputs)]) == 1
    assert "no model zeta" in capsys.readouterr().err


def test_compare_without_outputs_says_which_stage_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "a", "b", "--root", str(tmp_path)]) == 1
    assert "dvc repro signatures" in capsys.readouterr().err
