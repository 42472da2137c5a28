"""How the report is assembled: charts drawn in a separate process, examples and pair tables from plain rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from errormap.report import render_html
from errormap.report.failures import examples_by_node, rows_by_node
from errormap.report.sections import over_represented, pair_differences, start_charts
from errormap.report.svg import Chart, ChartError, render_svg
from tests import report_fixtures

BARS = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"group": "m1", "value": 0.25}, {"group": "m2", "value": 0.75}]},
    "mark": "bar",
    "encoding": {"y": {"field": "group", "type": "nominal"}, "x": {"field": "value", "type": "quantitative"}},
}


def test_a_chart_drawn_in_the_chart_process_is_the_svg_drawn_here() -> None:
    chart = Chart(BARS)
    assert str(chart) == chart.__html__() == render_svg(BARS)  # same bytes whichever process draws it
    assert str(chart).startswith('<svg role="img" ')


def test_a_chart_that_cannot_be_drawn_fails_alone() -> None:
    broken = Chart({**BARS, "data": {"values": "not a list"}})
    after = Chart(BARS)
    with pytest.raises(ChartError):
        str(broken)
    assert str(after) == render_svg(BARS)  # the process goes on with the next chart


def test_charts_started_early_give_the_same_report() -> None:
    inputs = report_fixtures.build()
    started = report_fixtures.build()
    started.charts = start_charts(started.taxonomy, started.signatures)
    assert render_html(started) == render_html(inputs)


def _row(failure_id: str, model: str, dataset: str, level_1: object, level_2: object = "") -> dict[str, object]:
    return {"failure_id": failure_id, "model": model, "dataset": dataset, "example_id": failure_id,
            "level_1": level_1, "level_2": level_2, "error_title": "t"}


def test_rows_are_grouped_under_every_node_of_their_path_and_missing_ids_are_skipped() -> None:
    rows = [_row("a", "m1", "d1", "2", "2.1"), _row("b", "m2", "d1", "10"), _row("c", "m1", "d2", "2", "2.2"),
            _row("d", "m2", "d2", math.nan), _row("e", "m1", "d1", None)]
    grouped = rows_by_node(rows, ["level_1", "level_2"])
    assert list(grouped) == ["10", "2", "2.1", "2.2"]  # by level, then by id as text (as a groupby sorts them)
    assert [r["failure_id"] for r in grouped["2"]] == ["a", "c"]  # in the rows' order
    examples = examples_by_node(rows, ["level_1", "level_2"], 1, 13)
    assert {node: len(records) for node, records in examples.items()} == {"10": 1, "2": 1, "2.1": 1, "2.2": 1}
    assert examples["2.1"][0]["id"] == "a" and examples["2.1"][0]["p"] == ["2", "2.1"]


def test_over_represented_categories_are_per_model_and_lowest_q_first() -> None:
    comparisons = pd.DataFrame({
        "group": ["m1", "m1", "m1", "m2"], "category": ["x", "y", "z", "x"],
        "significant": [True, True, False, True], "direction": ["more", "more", "more", "less"],
        "q_value": [0.04, 0.01, 0.5, 0.001],
    })
    over = over_represented(comparisons)
    assert [r["category"] for r in over["m1"]] == ["y", "x"] and "m2" not in over


def test_pair_differences_follow_the_category_order() -> None:
    pairwise = pd.DataFrame({
        "model_a": ["m1"] * 3 + ["m0"], "model_b": ["m2"] * 3 + ["m1"], "category": ["late", "early", "unknown", "early"],
        "significant": [True, True, False, False], "fails_more": ["m2", "m1", "m1", "m0"],
        "distance": [0.3] * 3 + [0.1], "datasets": [2] * 4,
    })
    pairs = pair_differences(pairwise, ["early", "late"])
    assert [(p["a"], p["b"]) for p in pairs] == [("m0", "m1"), ("m1", "m2")]
    first = pairs[1]
    assert [r["category"] for r in first["rows"]] == ["early", "late", "unknown"]  # unknown categories last
    assert first["a_more"] == ["early"] and first["b_more"] == ["late"] and first["distance"] == 0.3
