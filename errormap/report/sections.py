"""The three questions' sections: how a model fails, what a benchmark tests, which model to pick.

Charts and tables are built from the same rows, so they agree on every label and number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from errormap.report.charts import PALETTE, category_colours, heatmap, in_order, stacked_bars
from errormap.report.failures import Row, failure_records, spread_sample
from errormap.report.svg import Chart
from errormap.taxonomy.model import ROOT_ID, Taxonomy

if TYPE_CHECKING:  # pandas loads after the charts are on their way (stages/report.py)
    import pandas as pd

Charts = dict[str, Chart | str]


@dataclass(frozen=True)
class ReportCharts:
    """Every chart of the three questions, being drawn in the background from the moment they are made."""

    models: Charts
    datasets: Charts
    distances: Chart | str
    order: list[str]  # the category names and their colours as the charts use them (`category_order`),
    colours: dict[str, str]  # for the rest of the page to follow


def category_order(taxonomy: Taxonomy, level: int) -> tuple[list[str], dict[str, str]]:
    """The category names at the signatures' level in the taxonomy's order (top level first), and their colours."""
    top_level = [n.name for n in taxonomy.children(ROOT_ID)]
    at_depth = [n.name for n in taxonomy.nodes if n.depth == level]
    order = top_level if level == 1 else list(dict.fromkeys(at_depth + top_level))
    return order, category_colours(top_level if level == 1 else top_level + at_depth)


def start_charts(taxonomy: Taxonomy, document: dict[str, Any]) -> ReportCharts:
    """Start drawing the report's charts from the taxonomy and the signatures document alone."""
    order, colours = category_order(taxonomy, int(document["level"]))
    return ReportCharts(model_charts(document, colours, order), dataset_charts(document, colours, order),
                        distance_chart(document), order, colours)


def _rows(section: dict[str, Any], value: str) -> list[dict[str, Any]]:
    return [
        {"group": group, "category": c["name"], "value": c.get(value, 0.0), "count": c["count"]}
        for group, entry in section.items()
        for c in entry["categories"].values()
    ]


def category_table(entry: dict[str, Any], order: list[str]) -> list[dict[str, Any]]:
    """A signature's categories in the taxonomy's order, each with its figures."""
    categories = list(entry["categories"].values())
    rank = {name: i for i, name in enumerate(in_order([c["name"] for c in categories], order))}
    return sorted(categories, key=lambda c: rank[c["name"]])


def has_rates(models: dict[str, Any]) -> bool:
    """Whether the signatures give failures per attempt (`rate`) besides shares."""
    return any("rate" in c for e in models.values() for c in e["categories"].values())


def model_charts(document: dict[str, Any], colours: dict[str, str], order: list[str]) -> Charts:
    """Q1's charts: each model's signature, and its failures per attempt when there are rates."""
    models = document["models"]
    charts = {"signatures": stacked_bars(_rows(models, "share"), "model", "share of the model's analysed failures", colours, order)}
    if has_rates(models):
        charts["rates"] = stacked_bars(
            _rows(models, "rate"), "model", "failures per attempt, by category", colours, order, percent=True
        )
    return charts


def model_section(
    document: dict[str, Any], charts: Charts, comparisons: pd.DataFrame, details: list[Row], levels: list[str],
    order: list[str], examples: int, seed: int,
) -> dict[str, Any]:
    """Q1: per model its signature (shares with intervals, rates), over-represented categories and examples.

    `details`: every failure's row with its `category` at the signatures' level; `levels`: its path columns.
    """
    models = document["models"]
    over = over_represented(comparisons)
    cards = []
    for model, entry in models.items():
        table = category_table(entry, order)
        top = max(table, key=lambda c: c["count"])["name"] if table else None
        rows = [r for r in details if r["model"] == model and r["category"] == top] if top else []
        cards.append({
            "model": model, "entry": entry, "table": table,
            "over": over.get(model, []),
            "top": top, "examples": failure_records(spread_sample(rows, examples, seed, f"model:{model}"), levels),
        })
    return {"charts": charts, "cards": cards, "has_rates": has_rates(models)}


def over_represented(comparisons: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per model (`group`), its comparison rows of categories it fails in significantly more often, lowest q first."""
    over: dict[str, list[dict[str, Any]]] = {}
    for row in comparisons.to_dict("records"):
        if row["significant"] and row["direction"] == "more":
            over.setdefault(row["group"], []).append(row)
    return {group: sorted(rows, key=lambda r: r["q_value"]) for group, rows in over.items()}


def capability_colours(groups: list[str]) -> dict[str, str]:
    return {g: ("#b0b0b0" if g == "unmapped" else PALETTE[(i + 5) % len(PALETTE)]) for i, g in enumerate(groups)}


def dataset_charts(document: dict[str, Any], colours: dict[str, str], order: list[str]) -> Charts:
    """Q2's charts: each dataset's profile, its capability groups and the split by an input column (when given)."""
    charts = {"profiles": stacked_bars(_rows(document["datasets"], "share"), "dataset", "share of the dataset's failures", colours, order)}
    capabilities = document.get("capabilities")
    if capabilities:
        groups = capabilities["groups"]
        rows = [
            {"group": d, "category": g, "value": v["share"], "count": v["count"]}
            for d, entry in capabilities["datasets"].items() for g, v in entry.items()
        ]
        charts["capabilities"] = stacked_bars(rows, "dataset", "share of the dataset's failures", capability_colours(groups), groups)
    split = document.get("split")
    if split:
        charts["split"] = stacked_bars(
            _rows(split["groups"], "share"), split["column"], "share of the failures", colours, order
        )
    return charts


def dataset_section(document: dict[str, Any], charts: Charts, order: list[str]) -> dict[str, Any]:
    """Q2: each dataset's failure mix pooled and per model, its capability groups, and splits by an input column."""
    datasets = document["datasets"]
    tables = []
    for dataset, entry in datasets.items():
        categories = [c["name"] for c in category_table(entry, order)]
        per_model = [
            {"model": model, "failures": m["failures"],
             "cells": {c["name"]: c for c in m["categories"].values()}}
            for model, m in entry["by_model"].items()
        ]
        tables.append({"dataset": dataset, "entry": entry, "categories": categories, "per_model": per_model,
                       "pooled": {c["name"]: c for c in entry["categories"].values()}})
    return {"charts": charts, "tables": tables, "capabilities": document.get("capabilities"), "split": document.get("split")}


def distance_chart(document: dict[str, Any]) -> Chart | str:
    """Q3's chart: the distance between every two models' signatures ("" for fewer than two models)."""
    distances = document.get("distances")
    if not distances or len(document["models"]) < 2:
        return ""
    cells = [
        {"x": b, "y": a, "value": distances["matrix"][i][j]}
        for i, a in enumerate(distances["models"]) for j, b in enumerate(distances["models"])
    ]
    return heatmap(cells, "model", "model", "distance", distances["models"])


def selection_section(
    document: dict[str, Any], chart: Chart | str, pairwise: pd.DataFrame | None, order: list[str]
) -> dict[str, Any]:
    """Q3: the distance matrix, every model's rate per category (lowest marked), and each pair's differences."""
    models = sorted(document["models"])
    categories = in_order({c["name"] for e in document["models"].values() for c in e["categories"].values()}, order)
    value = "rate" if has_rates(document["models"]) else "share"
    grid: dict[str, dict[str, Any]] = {m: {c["name"]: c for c in document["models"][m]["categories"].values()} for m in models}
    lowest = {}
    for category in categories:
        values = {m: grid[m].get(category, {}).get(value, 0.0) for m in models}
        lowest[category] = min(values.values()) if values else 0.0
    pairs = pair_differences(pairwise, categories) if pairwise is not None and len(pairwise) else []
    return {"chart": chart, "models": models, "categories": categories, "grid": grid, "value": value,
            "lowest": lowest, "pairs": pairs}


def pair_differences(pairwise: pd.DataFrame, categories: list[str]) -> list[dict[str, Any]]:
    """Per pair of models (sorted): its distance, shared datasets, rows in `categories`' order and the categories
    each model fails significantly more often in."""
    rank = {category: i for i, category in enumerate(categories)}
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in pairwise.to_dict("records"):
        row["rank"] = rank.get(row["category"], 999)
        by_pair.setdefault((row["model_a"], row["model_b"]), []).append(row)
    pairs = []
    for (a, b), rows in sorted(by_pair.items()):
        rows.sort(key=lambda r: (r["rank"], r["category"]))
        significant = [r for r in rows if r["significant"]]
        pairs.append({
            "a": a, "b": b, "distance": float(rows[0]["distance"]), "datasets": rows[0]["datasets"], "rows": rows,
            "a_more": [r["category"] for r in significant if r["fails_more"] == a],
            "b_more": [r["category"] for r in significant if r["fails_more"] == b],
        })
    return pairs
