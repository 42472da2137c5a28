"""Assemble the report: provenance and warnings, the three questions, every failure, the taxonomy; one HTML file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from errormap.report.charts import tint
from errormap.report.failures import detail_rows, examples_by_node, failure_details, failure_records, level_columns
from errormap.report.inputs import ReportInputs, failed_share, header_facts, quality_warnings, threshold_facts
from errormap.report.sections import dataset_section, model_section, selection_section, start_charts
from errormap.report.trust import PRECISION_FILE, category_trust
from errormap.signatures import at_level
from errormap.taxonomy.model import ROOT_ID, Taxonomy, TaxonomyNode, coverage

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>`, `&` or line separators that could end or bend it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def node_colours(taxonomy: Taxonomy, colours: dict[str, str]) -> dict[str, str]:
    """Each node's colour: its top-level category's, lighter with depth."""
    result = {}
    for node in taxonomy.nodes:
        if node.id == ROOT_ID:
            continue
        top = node
        while top.parent not in (None, ROOT_ID):
            top = taxonomy.node(top.parent)
        base = colours.get(top.name, "#b0b0b0")
        result[node.id] = base if node.depth <= 1 else tint(base, min(0.6, 0.3 * (node.depth - 1)))
    return result


def _tree(taxonomy: Taxonomy) -> dict[str, list[TaxonomyNode]]:
    children: dict[str, list[TaxonomyNode]] = {}
    for node in taxonomy.nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    return children


def accuracy_rows(prepare: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Datasets, and per model its accuracy on each (None where the model was not run on it)."""
    datasets = sorted(prepare.get("thresholds", {}) or {d for row in prepare.get("accuracy", {}).values() for d in row})
    rows = [{"model": m, "cells": [row.get(d) for d in datasets]} for m, row in sorted(prepare.get("accuracy", {}).items())]
    return datasets, rows


def details_at_level(inputs: ReportInputs, level: int) -> pd.DataFrame:
    """Every failure's details, with its `category` at the signatures' level."""
    details = failure_details(inputs.assignments, inputs.diagnoses, inputs.failures)
    if f"level_{level}" in details.columns:
        return at_level(details, level)
    return details.assign(category=details["level_1_name"])


def report_context(inputs: ReportInputs) -> dict[str, Any]:
    """Everything the template needs."""
    taxonomy, document = inputs.taxonomy, inputs.signatures
    charts = inputs.charts or start_charts(taxonomy, document)  # drawn in the background while the page is assembled
    level = int(document["level"])
    seed = int(inputs.params.get("seed", 0) or 0)
    order, colours = charts.order, charts.colours
    details = details_at_level(inputs, level)
    rows, levels = detail_rows(details), level_columns(details)
    failed, failed_fraction = failed_share(inputs.diagnoses)
    datasets, accuracy = accuracy_rows(inputs.prepare_metrics)
    nodes = [n for n in taxonomy.nodes if n.id != ROOT_ID]
    children = _tree(taxonomy)
    return {
        "facts": header_facts(inputs),
        "thresholds": threshold_facts(inputs.prepare_metrics, inputs.params),
        "warnings": quality_warnings(inputs),
        "prepare": inputs.prepare_metrics,
        "diagnosed": int((inputs.diagnoses["status"] == "ok").sum()),
        "failed": inputs.diagnoses[inputs.diagnoses["status"] != "ok"].to_dict("records"),
        "failed_count": failed, "failed_share": failed_fraction,
        "coverage": coverage(taxonomy),
        "level": level,
        "interval": document.get("interval", "Wilson score interval, 95%"),
        "sampled": bool(document.get("sampled")),
        "q1": model_section(document, charts.models, inputs.comparisons, rows, levels, order, inputs.examples_per_category, seed),
        "q2": dataset_section(document, charts.datasets, order),
        "q3": selection_section(document, charts.distances, inputs.pairwise, order),
        "taxonomy": taxonomy, "children": children, "root_id": ROOT_ID,
        "node_colours": node_colours(taxonomy, colours),
        "examples": examples_by_node(rows, levels, inputs.examples_per_category, seed),
        "category_options": [(n.id, "\u2003" * (n.depth - 1) + n.name, n.count) for n in _depth_first(children)],
        "node_names": json_for_script({n.id: n.name for n in nodes}),
        "failures_json": json_for_script(failure_records(rows, levels)),
        "models": sorted(details["model"].unique()), "datasets": sorted(details["dataset"].unique()),
        "accuracy_datasets": datasets, "accuracy": accuracy,
        "trust": category_trust(taxonomy, inputs.assignments, inputs.rule_precision),
        "precision_file": PRECISION_FILE, "precision_bar": (inputs.rule_precision or {}).get("bar", 0.9),
    }


def _depth_first(children: dict[str, list[TaxonomyNode]]) -> list[TaxonomyNode]:
    ordered: list[TaxonomyNode] = []

    def visit(node_id: str) -> None:
        for child in children.get(node_id, []):
            ordered.append(child)
            visit(child.id)

    visit(ROOT_ID)
    return ordered


def render_html(inputs: ReportInputs) -> str:
    """The report as one HTML string: inline CSS, inline SVG charts, a small inline script, no external loads."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "jinja"]),
        trim_blocks=True, lstrip_blocks=True,
    )
    return environment.get_template("report.html.jinja").render(**report_context(inputs))


def render_report(inputs: ReportInputs, path: Path | str) -> Path:
    """Write the self-contained HTML report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(inputs), encoding="utf-8")
    return path
