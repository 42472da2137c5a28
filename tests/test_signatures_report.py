"""Signatures, significance tests and the HTML report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from errormap.judge import OfflineJudge
from errormap.report import ReportInputs, render_report
from errormap.signatures import category_shares, compare_groups, signature_metrics, signatures_document, slugify
from errormap.taxonomy import TaxonomyBuilder
from errormap.testing.defaults import taxonomy_config


def assignments(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = []
    for model, per_category in counts.items():
        for category, n in per_category.items():
            for i in range(n):
                rows.append({"failure_id": f"{model}-{category}-{i}", "model": model, "dataset": "d" if i % 2 else "e",
                             "level_1": category, "level_1_name": f"Category {category}"})
    return pd.DataFrame(rows)


def test_shares_sum_to_one_per_model() -> None:
    table = category_shares(assignments({"a": {"1": 6, "2": 2}, "b": {"1": 1, "2": 9}}), "model")
    assert table.groupby("group")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert table.set_index(["group", "category_id"]).loc[("a", "1"), "share"] == pytest.approx(0.75)


def test_fisher_test_flags_a_real_difference_and_not_noise() -> None:
    skewed = compare_groups(assignments({"a": {"1": 40, "2": 2}, "b": {"1": 3, "2": 40}}))
    row = skewed[(skewed["group"] == "a") & (skewed["category_id"] == "1")].iloc[0]
    assert row["significant"] and row["direction"] == "more" and row["q_value"] < 1e-6
    even = compare_groups(assignments({"a": {"1": 10, "2": 10}, "b": {"1": 10, "2": 11}}))
    assert not even["significant"].any()


def test_signature_document_and_metrics() -> None:
    document = signatures_document(assignments({"a": {"1": 3, "2": 1}}))
    assert document["models"]["a"]["failures"] == 4
    assert document["models"]["a"]["categories"]["1"] == {"name": "Category 1", "count": 3, "share": 0.75}
    assert set(document["datasets"]) == {"d", "e"}
    metrics = signature_metrics(document)
    assert metrics["models"]["a"] == {"failures": 4, "share.category_1": 0.75, "share.category_2": 0.25}
    assert not any(key.startswith("share.") and key[6:].isdigit() for key in metrics["models"]["a"])


def test_metrics_keys_follow_the_category_name_not_its_rank() -> None:
    table = assignments({"a": {"1": 3, "2": 1}})
    renumbered = table.assign(level_1=table["level_1"].map({"1": "2", "2": "1"}))
    first, second = (signature_metrics(signatures_document(t))["models"]["a"] for t in (table, renumbered))
    assert first == second  # same categories, other ids: same keys and values


def test_metrics_include_dataset_profiles() -> None:
    metrics = signature_metrics(signatures_document(assignments({"a": {"1": 3, "2": 1}, "b": {"1": 2}})))
    assert set(metrics["datasets"]) == {"d", "e"}
    # i odd -> d: a/1 has 1, a/2 none, b/1 has 1; even -> e: a/1 has 2, a/2 one, b/1 one
    assert metrics["datasets"]["d"] == {"failures": 2, "share.category_1": 1.0}
    assert metrics["datasets"]["e"] == {"failures": 4, "share.category_1": 0.75, "share.category_2": 0.25}


def test_slugs_are_readable_and_stay_unique() -> None:
    assert slugify("Calculation error") == "calculation_error"
    assert slugify("  Réponse / format (A–D)!") == "reponse_format_a_d"
    assert slugify("???") == "unnamed"
    table = assignments({"a": {"1": 3, "2": 1, "3": 2}})
    table["level_1_name"] = table["level_1"].map({"1": "Calculation error", "2": "calculation-error", "3": "Other"})
    shares = signature_metrics(signatures_document(table))["models"]["a"]
    assert shares == {"failures": 6, "share.calculation_error": 0.5, "share.calculation_error_2": round(1 / 6, 6),
                      "share.other": round(2 / 6, 6)}


def test_report_is_self_contained_and_escapes_model_text(tmp_path: Path) -> None:
    import asyncio

    errors = pd.DataFrame({
        "failure_id": [f"f{i}" for i in range(12)],
        "dataset": ["d"] * 12,
        "example_id": [f"e{i}" for i in range(12)],
        "model": ["m1", "m2"] * 6,
        "status": ["ok"] * 11 + ["failed"],
        "error_title": ["Empty response", "Refusal to answer", "Wrong option selected"] * 3 + ["Truncated response"] * 2 + [None],
        "error_summary": ["summary"] * 12,
        "criteria": ['[{"criterion": "c", "verdict": "not met", "evidence": "<script>alert(1)</script>"}]'] * 12,
        "error": [None] * 11 + ["JudgeError: boom"],
    })
    taxonomy, table = asyncio.run(TaxonomyBuilder(OfflineJudge(), taxonomy_config(min_categories=2), 0).build(errors))
    failures = errors[["failure_id"]].assign(input_text="What? <b>bold</b>", output_text="", correct_answer="A")
    path = render_report(
        ReportInputs(
            taxonomy=taxonomy, assignments=table, diagnoses=errors, failures=failures,
            comparisons=compare_groups(table), signatures=signatures_document(table), prepare_metrics={"rows": 24, "failures": 12, "sampled_failures": 12,
                                                                  "thresholds": {"d": 0.5}, "accuracy": {"m1": {"d": 0.5}}},
        ),
        tmp_path / "report.html",
    )
    html = path.read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "JudgeError: boom" in html  # failed diagnoses are listed, not dropped
    for node in taxonomy.children("root"):
        assert node.name in html
    assert "<script src=" not in html


def test_a_category_has_one_colour_in_every_chart() -> None:
    import asyncio

    from errormap.report import OTHER_COLOUR, category_colours, stacked_shares, sunburst

    titles = ["Empty response", "Truncated response", "Refusal to answer", "Wrong option selected",
              "Arithmetic calculation error", "Rounding or precision error", "Conflicting final answers",
              "Answer not clearly stated", "Option text instead of letter", "Number written in words",
              "Response in wrong language", "Ignored answer format instruction"]
    errors = pd.DataFrame({
        "failure_id": [f"f{i}" for i in range(60)], "dataset": ["d"] * 60, "example_id": [f"e{i}" for i in range(60)],
        "model": ["m1", "m2", "m3"] * 20, "status": ["ok"] * 60,
        "error_title": [titles[i % len(titles)] for i in range(60)],
    })
    params = taxonomy_config(min_categories=4, min_titles_to_split=3, rare_share=0.0)
    taxonomy, table = asyncio.run(TaxonomyBuilder(OfflineJudge(), params, 0).build(errors))
    top = [n.name for n in taxonomy.children("root")]
    colours = category_colours(top)
    assert len({colours[name] for name in top}) == len(top)
    assert category_colours(list(reversed(top))) == colours  # by name, not by position
    assert colours["Other"] == OTHER_COLOUR

    bars = stacked_shares(category_shares(table, "model"), "model", colours, top)
    assert [trace.name for trace in bars.data] == [n for n in top if n in set(table["level_1_name"])]
    by_category = {trace.name: trace.marker.color for trace in bars.data}

    chart = sunburst(taxonomy, colours).data[0]
    node_colour = dict(zip(chart.ids, chart.marker.colors))
    nodes = {n.id: n for n in taxonomy.nodes}
    deeper = [n for n in taxonomy.nodes if n.depth == 2]
    assert deeper, "the fixture should give a second level"
    for node in taxonomy.children("root"):
        assert node_colour[node.id] == colours[node.name] == by_category.get(node.name, colours[node.name])
    for node in deeper:  # a lighter tint of the top-level colour, never another category's colour
        import plotly.colors

        parent_rgb = plotly.colors.hex_to_rgb(node_colour[node.parent])
        child_rgb = plotly.colors.unlabel_rgb(node_colour[node.id])
        assert all(p <= c <= 255 for p, c in zip(parent_rgb, child_rgb)) and tuple(child_rgb) != parent_rgb
        assert nodes[node.parent].depth == 1


def test_the_report_shows_signatures_at_the_configured_level(tmp_path: Path) -> None:
    """The report draws the signatures document it is given (signatures.level), not a level-1 recomputation."""
    import asyncio
    import json

    titles = ["Empty response", "Truncated response", "Refusal to answer", "Wrong option selected",
              "Arithmetic calculation error", "Rounding or precision error", "Conflicting final answers",
              "Answer not clearly stated", "Option text instead of letter", "Number written in words"]
    errors = pd.DataFrame({
        "failure_id": [f"f{i}" for i in range(60)], "dataset": ["d"] * 60, "example_id": [f"e{i}" for i in range(60)],
        "model": ["m1", "m2", "m3"] * 20, "status": ["ok"] * 60, "error": [None] * 60,
        "error_title": [titles[i % len(titles)] for i in range(60)], "error_summary": ["s"] * 60, "criteria": ["[]"] * 60,
    })
    params = taxonomy_config(min_categories=4, min_titles_to_split=3, rare_share=0.0)
    taxonomy, table = asyncio.run(TaxonomyBuilder(OfflineJudge(), params, 0).build(errors))
    level_two = set(table.loc[table["level_2"] != "", "level_2_name"])
    assert level_two - set(table["level_1_name"]), "the fixture should give second-level names"
    failures = errors[["failure_id"]].assign(input_text="q", output_text="a", correct_answer="b")

    def bar_names(level: int) -> set[str]:
        path = render_report(
            ReportInputs(
                taxonomy=taxonomy, assignments=table, diagnoses=errors, failures=failures,
                comparisons=compare_groups(table, "model", level), signatures=signatures_document(table, level),
                prepare_metrics={"rows": 60, "failures": 60, "sampled_failures": 60, "thresholds": {}, "accuracy": {}},
            ),
            tmp_path / f"report-{level}.html",
        )
        html = path.read_text()
        chart = html[html.index('id="chart-signatures"'):]
        data = json.loads(chart[chart.index("[{"): chart.index("}],") + 2])
        return {trace["name"] for trace in data}

    assert bar_names(1) == set(table["level_1_name"])
    second = bar_names(2)
    assert level_two <= second and second != set(table["level_1_name"])
    # a failure whose path ends at level 1 counts in its level-1 category at level 2
    unsplit = set(table.loc[table["level_2"] == "", "level_1_name"])
    assert second == level_two | unsplit
