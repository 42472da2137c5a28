"""The report's charts: Vega-Lite specifications rendered to static SVG on the server (vl-convert).

No charting library reaches the page: each chart is an inline `<svg>`, so the report stays small,
paints at once and has no button that could send data anywhere. Vega escapes every text it draws.
Each category keeps one colour in every chart (Other and Hard to analyze in grey). Charts are drawn
in the background (`errormap.report.svg`): a chart function returns a `Chart`, or "" when it has no rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from errormap.report.svg import SCHEMA, Chart
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER

OTHER_COLOUR = "#b0b0b0"
HARD_COLOUR = "#7f7f7f"
PALETTE = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d",
    "#ff9da6", "#2f6f4e", "#8c6bb1", "#d67195", "#5f9ed1", "#c49c3b", "#3f8f8f", "#a0522d",
)
WIDTH = 620
FONT = "Arial, Liberation Sans, Helvetica, sans-serif"  # Liberation Sans has Arial's metrics: text is measured as it is drawn
_CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 200},
    "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 320},
}


def category_colours(names: Iterable[str]) -> dict[str, str]:
    """One colour per category name, the same in every chart and whatever the order (Other and Hard in grey)."""
    real = [n for n in sorted(set(names)) if n not in (OTHER, HARD_TO_ANALYZE)]
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(real)}
    return {**colours, OTHER: OTHER_COLOUR, HARD_TO_ANALYZE: HARD_COLOUR}


def tint(colour: str, amount: float) -> str:
    """`colour` (#rrggbb) mixed with white by `amount` (0 = unchanged, 1 = white)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in (red, green, blue))


def in_order(names: Iterable[str], order: Sequence[str] | None) -> list[str]:
    """The names in the given order (the taxonomy's), names not in it last and alphabetically."""
    rank = {name: i for i, name in enumerate(order or [])}
    return sorted(set(names), key=lambda name: (rank.get(name, len(rank)), name))


def chart(spec: dict[str, Any]) -> Chart:
    """A Vega-Lite spec (the data inside) drawn in the report's style, in the background."""
    return Chart({"$schema": SCHEMA, "config": _CONFIG, **spec})


def stacked_bars(
    rows: list[dict[str, Any]],
    group_title: str,
    value_title: str,
    colours: dict[str, str],
    order: Sequence[str] | None = None,
    percent: bool = True,
    domain_max: float | None = None,
) -> Chart | str:
    """One horizontal bar per `group`, stacked by `category` (in `order`); rows: group, category, value, count."""
    if not rows:
        return ""
    categories = in_order({r["category"] for r in rows}, order)
    groups = sorted({r["group"] for r in rows})
    rank = {category: i for i, category in enumerate(categories)}
    data = [{**r, "rank": rank[r["category"]]} for r in rows]
    x: dict[str, Any] = {
        "field": "value", "type": "quantitative", "aggregate": "sum", "stack": "zero", "title": value_title,
        "axis": {"format": ".0%" if percent else ".2f", "tickCount": 6},
    }
    if domain_max is not None:
        x["scale"] = {"domain": [0, domain_max]}
    spec = {
        "data": {"values": data},
        "width": WIDTH,
        "height": {"step": 24},
        "mark": {"type": "bar", "height": {"band": 0.78}},
        "encoding": {
            # no axis title: the figure's caption names the groups, and a rotated title can crowd long labels
            "y": {"field": "group", "type": "nominal", "title": None, "sort": groups, "axis": {"description": group_title}},
            "x": x,
            "color": {
                "field": "category", "type": "nominal", "title": None,
                "scale": {"domain": categories, "range": [colours.get(c, OTHER_COLOUR) for c in categories]},
                "legend": {"orient": "bottom", "columns": 2, "symbolType": "square"},
            },
            "order": {"field": "rank", "type": "quantitative"},
        },
    }
    return chart(spec)


def heatmap(
    rows: list[dict[str, Any]], x_title: str, y_title: str, value_title: str, order: Sequence[str], domain_max: float = 1.0
) -> Chart | str:
    """A matrix of values with each cell's value written in it; rows: x, y, value (None for no value)."""
    if not rows:
        return ""
    cells = [r for r in rows if r["value"] is not None]
    encoding = {
        "x": {"field": "x", "type": "nominal", "title": x_title, "sort": list(order),
              "axis": {"labelAngle": -35, "labelLimit": 140, "orient": "top"}},
        "y": {"field": "y", "type": "nominal", "title": None, "sort": list(order), "axis": {"labelLimit": 160, "description": y_title}},
    }
    spec = {
        "data": {"values": cells},
        "width": {"step": 64},
        "height": {"step": 30},
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "rect", "stroke": "white"},
             "encoding": {"color": {"field": "value", "type": "quantitative", "title": value_title,
                                    "scale": {"domain": [0, domain_max], "scheme": "blues"},
                                    "legend": {"orient": "right", "gradientLength": 120}}}},
            {"mark": {"type": "text", "fontSize": 11},
             "encoding": {"text": {"field": "value", "type": "quantitative", "format": ".2f"},
                          "color": {"condition": {"test": f"datum.value > {0.6 * domain_max}", "value": "white"},
                                    "value": "#1d2330"}}},
        ],
    }
    return chart(spec)
