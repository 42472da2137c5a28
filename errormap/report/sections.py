"""The three questions' sections: how a model fails, what a benchmark tests, which model to pick.

Charts and tables are built from the same rows, so they agree on every label and number.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from errormap.report.charts import PALETTE, heatmap, in_order, stacked_bars
from errormap.report.failures import failure_records, spread_sample


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


def model_section(
    document: dict[str, Any], comparisons: pd.DataFrame, details: pd.DataFrame, colours: dict[str, str],
    order: list[str], examples: int, seed: int,
) -> dict[str, Any]:
    """Q1: per model its signature (shares with intervals, rates), over-represented categories and examples."""
    models = document["models"]
    has_rates = any("rate" in c for e in models.values() for c in e["categories"].values())
    charts = {"signatures": stacked_bars(_rows(models, "share"), "model", "share of the model's analysed failures", colours, order)}
    if has_rates:
        charts["rates"] = stacked_bars(
            _rows(models, "rate"), "model", "failures per attempt, by category", colours, order, percent=True
        )
    cards = []
    for model, entry in models.items():
        mine = comparisons[(comparisons["group"] == model)] if len(comparisons) else comparisons
        over = mine[mine["significant"] & (mine["direction"] == "more")].sort_values("q_value") if len(mine) else mine
        table = category_table(entry, order)
        top = max(table, key=lambda c: c["count"])["name"] if table else None
        rows = details[(details["model"] == model) & (details["category"] == top)] if top else details.iloc[0:0]
        cards.append({
            "model": model, "entry": entry, "table": table,
            "over": over.to_dict("records") if len(over) else [],
            "top": top, "examples": failure_records(spread_sample(rows, examples, seed, f"model:{model}")),
        })
    return {"charts": charts, "cards": cards, "has_rates": has_rates}


def capability_colours(groups: list[str]) -> dict[str, str]:
    return {g: ("#b0b0b0" if g == "unmapped" else PALETTE[(i + 5) % len(PALETTE)]) for i, g in enumerate(groups)}


def dataset_section(document: dict[str, Any], colours: dict[str, str], order: list[str]) -> dict[str, Any]:
    """Q2: each dataset's failure mix pooled and per model, its capability groups, and splits by an input column."""
    datasets = document["datasets"]
    charts = {"profiles": stacked_bars(_rows(datasets, "share"), "dataset", "share of the dataset's failures", colours, order)}
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
    return {"charts": charts, "tables": tables, "capabilities": capabilities, "split": split}


def selection_section(document: dict[str, Any], pairwise: pd.DataFrame | None, order: list[str]) -> dict[str, Any]:
    """Q3: the distance matrix, every model's rate per category (lowest marked), and each pair's differences."""
    models = sorted(document["models"])
    distances = document.get("distances")
    chart = ""
    if distances and len(models) > 1:
        cells = [
            {"x": b, "y": a, "value": distances["matrix"][i][j]}
            for i, a in enumerate(distances["models"]) for j, b in enumerate(distances["models"])
        ]
        chart = heatmap(cells, "model", "model", "distance", distances["models"])
    categories = in_order({c["name"] for e in document["models"].values() for c in e["categories"].values()}, order)
    value = "rate" if any("rate" in c for e in document["models"].values() for c in e["categories"].values()) else "share"
    grid: dict[str, dict[str, Any]] = {m: {c["name"]: c for c in document["models"][m]["categories"].values()} for m in models}
    lowest = {}
    for category in categories:
        values = {m: grid[m].get(category, {}).get(value, 0.0) for m in models}
        lowest[category] = min(values.values()) if values else 0.0
    pairs = []
    if pairwise is not None and len(pairwise):
        for (a, b), rows in pairwise.groupby(["model_a", "model_b"], sort=True):
            rows = rows.assign(rank=[in_order(categories, order).index(c) if c in categories else 999 for c in rows["category"]])
            rows = rows.sort_values(["rank", "category"])
            significant = rows[rows["significant"]]
            pairs.append({
                "a": a, "b": b, "distance": float(rows["distance"].iloc[0]), "datasets": rows["datasets"].iloc[0],
                "rows": rows.to_dict("records"),
                "a_more": significant[significant["fails_more"] == a]["category"].tolist(),
                "b_more": significant[significant["fails_more"] == b]["category"].tolist(),
            })
    return {"chart": chart, "models": models, "categories": categories, "grid": grid, "value": value,
            "lowest": lowest, "pairs": pairs}
