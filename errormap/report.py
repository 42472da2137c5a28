"""The HTML report: taxonomy tree with examples, sunburst of shares, signatures and profiles."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from errormap.signatures import shares_table
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER, ROOT_ID, Taxonomy, TaxonomyNode, coverage

TEMPLATES = Path(__file__).parent / "templates"
TEXT_LIMIT = 1500
OTHER_COLOUR = "#b0b0b0"
HARD_COLOUR = "#7f7f7f"


@dataclass
class ReportInputs:
    """Everything the report shows, as the stages wrote it."""

    taxonomy: Taxonomy
    assignments: pd.DataFrame
    diagnoses: pd.DataFrame
    failures: pd.DataFrame
    comparisons: pd.DataFrame
    signatures: dict[str, Any]
    prepare_metrics: dict[str, Any]
    examples_per_category: int = 3
    params: dict[str, Any] = field(default_factory=dict)


def _clip(text: object, limit: int = TEXT_LIMIT) -> str:
    text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return text if len(text) <= limit else text[:limit] + " …"


def sunburst(taxonomy: Taxonomy, colours: dict[str, str]) -> go.Figure:
    """Shares of the tree; each top-level category keeps its chart colour, its sub-categories a lighter tint."""
    nodes = [n for n in taxonomy.nodes if n.id != ROOT_ID]
    figure = go.Figure(
        go.Sunburst(
            ids=[n.id for n in nodes],
            labels=[n.name for n in nodes],
            parents=["" if n.parent == ROOT_ID else n.parent for n in nodes],
            values=[n.count for n in nodes],
            branchvalues="total",
            marker=dict(colors=[_node_colour(taxonomy, n, colours) for n in nodes]),
            leaf=dict(opacity=1.0),
            hovertemplate="<b>%{label}</b><br>%{value} failures<br>%{percentRoot:.1%} of all<extra></extra>",
        )
    )
    figure.update_layout(margin=dict(t=10, l=10, r=10, b=10), height=520)
    return figure


def _node_colour(taxonomy: Taxonomy, node: TaxonomyNode, colours: dict[str, str]) -> str:
    top = node
    while top.parent not in (None, ROOT_ID):
        top = taxonomy.node(top.parent)
    base = colours.get(top.name, OTHER_COLOUR)
    if node.depth <= 1:
        return base
    # The palette mixes "#rrggbb" (Plotly) and "rgb(r, g, b)" (Pastel) colours.
    red, green, blue = plotly.colors.hex_to_rgb(base) if base.startswith("#") else plotly.colors.unlabel_rgb(base)
    tint = min(0.6, 0.3 * (node.depth - 1))
    return "rgb({}, {}, {})".format(*(round(c + (255 - c) * tint) for c in (red, green, blue)))


def _in_order(names: Iterable[str], order: list[str] | None) -> list[str]:
    """The names in the given order (the taxonomy's), names not in it last and alphabetically."""
    rank = {name: i for i, name in enumerate(order or [])}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def category_colours(names: list[str]) -> dict[str, str]:
    """One colour per category name, the same in every chart (Other and Hard to analyze in grey)."""
    palette = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Pastel
    real = [n for n in sorted(set(names)) if n not in (OTHER, HARD_TO_ANALYZE)]
    colours = {name: palette[i % len(palette)] for i, name in enumerate(real)}
    return {**colours, OTHER: OTHER_COLOUR, HARD_TO_ANALYZE: HARD_COLOUR}


def stacked_shares(
    shares: pd.DataFrame, axis_title: str, colours: dict[str, str], order: list[str] | None = None
) -> go.Figure:
    """One horizontal bar per group, stacked by category in `order` (the taxonomy's order)."""
    figure = go.Figure()
    by_category = dict(tuple(shares.groupby("category")))
    for category in _in_order(by_category, order):
        rows = by_category[category]
        figure.add_bar(
            marker_color=colours.get(category),
            y=rows["group"],
            x=rows["share"],
            name=category,
            orientation="h",
            customdata=rows["count"],
            hovertemplate="%{y}: %{x:.1%} (%{customdata} failures)<extra>" + category + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis=dict(tickformat=".0%", title="share of the group's failures"),
        yaxis=dict(
            title=axis_title, autorange="reversed", categoryorder="array",
            categoryarray=sorted(shares["group"].unique()),
        ),
        legend=dict(orientation="h", y=-0.25, traceorder="normal"),
        margin=dict(t=10, l=10, r=10, b=10),
        height=160 + 40 * shares["group"].nunique(),
    )
    return figure


def signature_heatmap(comparisons: pd.DataFrame, order: list[str] | None = None) -> go.Figure:
    """Model × category shares; columns in the taxonomy's order, rows as in the bar charts."""
    matrix = comparisons.pivot_table(index="group", columns="category", values="share", fill_value=0.0)
    marks = comparisons.assign(mark=comparisons["significant"].map({True: "*", False: ""})).pivot_table(
        index="group", columns="category", values="mark", aggfunc="first", fill_value=""
    )
    columns = _in_order(matrix.columns, order)
    matrix, marks = matrix[columns], marks.reindex(index=matrix.index, columns=columns, fill_value="")
    text = [[f"{matrix.iloc[i, j]:.0%}{marks.iloc[i, j]}" for j in range(matrix.shape[1])] for i in range(matrix.shape[0])]
    figure = go.Figure(
        go.Heatmap(
            z=matrix.values, x=list(matrix.columns), y=list(matrix.index), text=text, texttemplate="%{text}",
            colorscale="Blues", zmin=0, zmax=max(0.01, float(matrix.values.max())),
            hovertemplate="%{y} / %{x}: %{z:.1%}<extra></extra>",
        )
    )
    figure.update_layout(
        margin=dict(t=10, l=10, r=10, b=10), height=140 + 40 * len(matrix.index), yaxis=dict(autorange="reversed")
    )
    return figure


def _examples(inputs: ReportInputs) -> dict[str, list[dict[str, Any]]]:
    """Up to N example failures per node, at every depth."""
    details = inputs.assignments.merge(
        inputs.diagnoses[["failure_id", "error_summary", "criteria", "status", "error"]], on="failure_id", how="left"
    ).merge(inputs.failures[["failure_id", "input_text", "output_text", "correct_answer"]], on="failure_id", how="left")
    details = details.sort_values(["dataset", "example_id", "model"])
    level_columns = [c for c in details.columns if c.startswith("level_") and not c.endswith("_name")]
    examples: dict[str, list[dict[str, Any]]] = {}
    for column in level_columns:
        for node_id, rows in details.groupby(column):
            if not node_id:
                continue
            examples[node_id] = [
                {
                    "model": r.model,
                    "dataset": r.dataset,
                    "example_id": r.example_id,
                    "title": r.error_title or "(no diagnosis)",
                    "summary": r.error_summary or (r.error or ""),
                    "criteria": json.loads(r.criteria) if isinstance(r.criteria, str) else [],
                    "input": _clip(r.input_text),
                    "output": _clip(r.output_text),
                    "reference": _clip(r.correct_answer),
                }
                for r in rows.head(inputs.examples_per_category).itertuples()
            ]
    return examples


def _tree(taxonomy: Taxonomy) -> dict[str, list[Any]]:
    children: dict[str, list[Any]] = {}
    for node in taxonomy.nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    return children


def render_report(inputs: ReportInputs, path: Path | str) -> Path:
    """Write the self-contained HTML report (plotly.js is embedded: no network needed to view it)."""
    taxonomy = inputs.taxonomy
    level = int(inputs.signatures["level"])
    top_level = [n.name for n in taxonomy.children(ROOT_ID)]
    at_level = [n.name for n in taxonomy.nodes if n.depth == level]  # the taxonomy's order at the signatures' depth
    colours = category_colours(top_level if level == 1 else top_level + at_level)
    figures = {
        "sunburst": sunburst(taxonomy, colours),
        "signatures": stacked_shares(shares_table(inputs.signatures, "models"), "model", colours, at_level),
        "profiles": stacked_shares(shares_table(inputs.signatures, "datasets"), "dataset", colours, at_level),
    }
    if len(inputs.comparisons):
        figures["heatmap"] = signature_heatmap(inputs.comparisons, at_level)
    charts = {name: fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}") for name, fig in figures.items()}
    failed = inputs.diagnoses[inputs.diagnoses["status"] != "ok"]
    significant = inputs.comparisons[inputs.comparisons["significant"]] if len(inputs.comparisons) else inputs.comparisons
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "jinja"])
    )
    html = environment.get_template("report.html.jinja").render(
        taxonomy=taxonomy,
        children=_tree(taxonomy),
        examples=_examples(inputs),
        charts=charts,
        plotly_js=get_plotlyjs(),
        coverage=coverage(taxonomy),
        prepare=inputs.prepare_metrics,
        diagnosed=int((inputs.diagnoses["status"] == "ok").sum()),
        failed=failed.to_dict("records"),
        significant=significant.sort_values("q_value").to_dict("records") if len(significant) else [],
        judge=taxonomy.judge_id,
        prompt_version=taxonomy.prompt_version,
        root_id=ROOT_ID,
        level=level,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
