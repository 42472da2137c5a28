"""Signatures, significance tests and the HTML report (its content; the browser tests are in test_report_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from errormap.comparisons import compare_groups
from errormap.report import render_html, render_report
from errormap.report.charts import OTHER_COLOUR, category_colours, stacked_bars, tint
from errormap.report.failures import detail_rows, failure_details, spread_sample
from errormap.report.render import json_for_script, node_colours
from errormap.signatures import category_shares, signatures_document
from tests import report_fixtures
from tests.report_fixtures import DATASETS, MODELS


def assignments(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = []
    for model, per_category in counts.items():
        for category, n in per_category.items():
            for i in range(n):
                rows.append({"failure_id": f"{model}-{category}-{i}", "model": model, "dataset": "d" if i % 2 else "e",
                             "level_1": category, "level_1_name": f"Category {category}"})
    return pd.DataFrame(rows)


def chart_texts(html: str, chart: str) -> list[str]:
    """The texts drawn in one chart's SVG (axis labels, legend entries)."""
    start = html.index(f'id="chart-{chart}"')
    svg = html[start: html.index("</svg>", start)]
    return [re.sub(r"&amp;", "&", t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


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


def test_signature_document_counts_and_intervals() -> None:
    document = signatures_document(assignments({"a": {"1": 3, "2": 1}}))
    assert document["models"]["a"]["failures"] == 4
    entry = document["models"]["a"]["categories"]["1"]
    assert (entry["name"], entry["count"], entry["share"]) == ("Category 1", 3, 0.75)
    assert entry["share_low"] < 0.75 < entry["share_high"]
    assert set(document["datasets"]) == {"d", "e"}
    assert document["interval"].startswith("Wilson")


def test_report_is_self_contained_and_escapes_model_text(tmp_path: Path) -> None:
    errors = report_fixtures.diagnoses(12, hostile=True)
    errors.loc[11, ["status", "error", "error_title"]] = ["failed", "JudgeError: boom", None]
    path = render_report(report_fixtures.build(errors), tmp_path / "report.html")
    html = path.read_text()
    assert "<script>alert(1)</script>" not in html and "window.__pwned = 1</script>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # in the examples, escaped by the template
    assert "\\u003cscript\\u003ewindow.__pwned" in html  # in the browser's data, escaped for a script element
    assert "JudgeError: boom" in html  # failed diagnoses are listed, not dropped
    inputs = report_fixtures.build(errors)
    for node in inputs.taxonomy.children("root"):
        assert node.name in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing loaded from anywhere
    assert "http-equiv=\"Content-Security-Policy\"" in html and "connect-src 'none'" in html


def test_hostile_category_names_are_escaped_in_charts_and_tables() -> None:
    inputs = report_fixtures.build()
    first = inputs.taxonomy.children("root")[0]
    evil = "<script>bad()</script> & co"
    for section in ("models", "datasets"):
        for entry in inputs.signatures[section].values():
            for category in entry["categories"].values():
                if category["name"] == first.name:
                    category["name"] = evil
    html = render_html(inputs)
    assert "<script>bad()</script>" not in html
    assert "&lt;script&gt;bad()&lt;/script&gt; &amp; co" in html


def test_json_for_script_cannot_close_the_script_element() -> None:
    text = json_for_script({"x": "</script><script>alert(1)</script>", "y": "a & b \u2028"})
    assert "</" not in text and "<" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><script>alert(1)</script>", "y": "a & b \u2028"}


def test_a_category_has_one_colour_in_every_chart() -> None:
    inputs = report_fixtures.build()
    taxonomy = inputs.taxonomy
    top = [n.name for n in taxonomy.children("root")]
    colours = category_colours(top)
    assert len({colours[name] for name in top}) == len(top)
    assert category_colours(list(reversed(top))) == colours  # by name, not by position
    assert colours["Other"] == OTHER_COLOUR
    svg = str(stacked_bars(
        [{"group": r.group, "category": r.category, "value": r.share, "count": r.count}
         for r in category_shares(inputs.assignments, "model").itertuples()],
        "model", "share", colours, top,
    ))
    for name in set(inputs.assignments["level_1_name"]):
        assert colours[name] in svg  # the bars of that category are drawn in its colour
    nodes = node_colours(taxonomy, colours)
    deeper = [n for n in taxonomy.nodes if n.depth == 2]
    assert deeper, "the fixture should give a second level"
    for node in taxonomy.children("root"):
        assert nodes[node.id] == colours[node.name]
    for node in deeper:  # a lighter tint of the top-level colour, never another category's colour
        assert nodes[node.id] == tint(nodes[node.parent], 0.3) != nodes[node.parent]


def test_the_report_shows_signatures_at_the_configured_level() -> None:
    """The report draws the signatures document it is given (signatures.level), not a level-1 recomputation."""
    inputs = report_fixtures.build()
    table = inputs.assignments
    level_two = set(table.loc[table["level_2"] != "", "level_2_name"])
    assert level_two - set(table["level_1_name"]), "the fixture should give second-level names"

    def bar_names(level: int) -> set[str]:
        html = render_html(report_fixtures.build(level=level))
        names = set(table["level_1_name"]) | set(table["level_2_name"]) - {""}
        return {t for t in chart_texts(html, "signatures") if t in names}

    assert bar_names(1) == set(table["level_1_name"])
    second = bar_names(2)
    assert level_two <= second and second != set(table["level_1_name"])
    # a failure whose path ends at level 1 counts in its level-1 category at level 2
    unsplit = set(table.loc[table["level_2"] == "", "level_1_name"])
    assert second == level_two | unsplit


def test_charts_and_tables_agree_on_every_label() -> None:
    inputs = report_fixtures.build()
    html = render_html(inputs)
    names = {c["name"] for e in inputs.signatures["models"].values() for c in e["categories"].values()}
    legend = {t for t in chart_texts(html, "signatures") if t in names}
    rate_table = html[html.index('id="rate-table"'): html.index("</table>", html.index('id="rate-table"'))]
    headers = set(re.findall(r"<th>([^<]*)</th>", rate_table)) - {"model"}
    assert legend == headers == names
    assert {t for t in chart_texts(html, "signatures") if t in MODELS} == set(MODELS)
    assert {t for t in chart_texts(html, "profiles") if t in DATASETS} == set(DATASETS)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"taxonomy_metrics": {"diagnosed_coverage": 0.5, "fallback_share": 0.0}}, "below taxonomy.min_coverage"),
        ({"taxonomy_metrics": {"diagnosed_coverage": 1.0, "fallback_share": 0.4}}, "taxonomy.max_fallback_share"),
        ({"stability_metrics": {"adjusted_rand_index": 0.08, "seeds": [1, 2]}}, "stability.min_adjusted_rand"),
        ("failed", "analysis.max_failed_share"),
    ],
)
def test_the_warning_banner_names_the_figure_past_its_threshold(override: object, expected: str) -> None:
    if override == "failed":
        errors = report_fixtures.diagnoses()
        errors.loc[:4, ["status", "error", "error_title"]] = ["failed", "timeout", None]
        inputs = report_fixtures.build(errors)
    else:
        inputs = report_fixtures.build(**override)  # type: ignore[arg-type]
    html = render_html(inputs)
    banner = html[html.index('id="quality-warning"'):]
    banner = banner[: banner.index("</div>")]
    assert expected in banner
    assert sum(1 for _ in re.finditer("<li>", banner)) == 1


def test_no_banner_when_every_figure_is_within_its_threshold() -> None:
    html = render_html(report_fixtures.build(stability_metrics={"seeds": [1], "skipped": "stability.seeds lists fewer than two seeds"}))
    assert 'id="quality-warning"' not in html
    assert "not measured (stability.seeds lists fewer than two seeds)" in html


def test_header_gives_the_provenance() -> None:
    html = render_html(report_fixtures.build())
    header = html[: html.index("</header>")]
    for fact in ("2026-01-01 00:00 UTC", "data/demo", "offline", "abc1234", "exp-one", "ARI 0.90",
                 "score below 0.5 (0.7 × the dataset&#39;s mean score)"):
        assert fact in header, fact
    inputs = report_fixtures.build()
    inputs.prepare_metrics["threshold_rules"] = {"alpha": {"rule": "binary", "description": "a score of 0 is a failure"}}
    header = render_html(inputs)
    assert "<dt>alpha</dt><dd>a score of 0 is a failure</dd>" in header and "<dt>beta</dt><dd>score below 0.5" in header


def test_accuracy_marks_a_dataset_the_model_was_not_run_on() -> None:
    inputs = report_fixtures.build()
    inputs.prepare_metrics["accuracy"]["m2"].pop("beta")
    html = render_html(inputs)
    table = html[html.index('id="accuracy"'):]
    row = re.search(r"<tr><td>m2</td>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[0] == cells[2] == "60%" and "—" in cells[1] and "%" not in cells[1]


def test_examples_are_drawn_across_models_and_datasets() -> None:
    inputs = report_fixtures.build()
    details = failure_details(inputs.assignments, inputs.diagnoses, inputs.failures).sort_values(["dataset", "model"])
    rows = detail_rows(details)

    def ids(seed: int, count: int = 3) -> list[str]:
        return [r["failure_id"] for r in spread_sample(rows, count, seed, "node")]

    picked = spread_sample(rows, 3, 13, "node")
    assert {r["model"] for r in picked} == set(MODELS) and {r["dataset"] for r in picked} == set(DATASETS)
    assert ids(13) == [r["failure_id"] for r in picked]  # seeded
    assert ids(13) != ids(14)
    assert sorted(ids(13, 100)) == sorted(details["failure_id"])  # every row when asked for more


def test_every_analysed_failure_is_in_the_browser_data() -> None:
    inputs = report_fixtures.build()
    html = render_html(inputs)
    data = html[html.index('id="failures-data">') + len('id="failures-data">'):]
    records = json.loads(data[: data.index("</script>")])
    assert {r["id"] for r in records} == set(inputs.assignments["failure_id"])
    first = next(r for r in records if r["id"] == "f000")
    assert first["p"][0] == inputs.assignments.set_index("failure_id").loc["f000", "level_1"]
    assert first["c"][0]["evidence"] == "<script>alert(1)</script>"  # kept as text, escaped only for the page
