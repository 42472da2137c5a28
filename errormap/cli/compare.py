"""`errormap compare MODEL_A MODEL_B`: two models' failures side by side in the terminal, from the signatures stage.

Also `errormap plots-template`: the offline page template for `dvc plots show --html-template`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errormap.errors import UserError

if TYPE_CHECKING:  # pandas loads with the command that reads a table, not with every `errormap` command
    import pandas as pd


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def compare_text(pairwise: pd.DataFrame, document: dict[str, Any], model_a: str, model_b: str) -> str:
    """The comparison as aligned text: headline figures, then one line per category."""
    from errormap.comparisons import pair_table

    models = document.get("models", {})
    missing = [m for m in (model_a, model_b) if m not in models]
    if missing:
        raise UserError(f"no model {', '.join(missing)} in the signatures; models: {', '.join(sorted(models))}")
    try:
        rows = pair_table(pairwise, model_a, model_b)
    except KeyError:
        raise UserError(f"{model_a} and {model_b} answered no dataset in common") from None
    level = document.get("level", 1)
    lines = [
        f"{model_a} vs {model_b}, taxonomy level {level}, on the datasets both answered: {rows['datasets'].iloc[0].replace(',', ', ')}",
        f"signature distance (Jensen-Shannon, 0 = same mix of failures, 1 = nothing in common): {rows['distance'].iloc[0]:.2f}",
    ]
    for model in (model_a, model_b):
        entry = models[model]
        if "attempts" in entry:
            lines.append(f"{model}: error rate {_percent(entry['error_rate'])} ({entry['all_failures']} failures in "
                         f"{entry['attempts']} attempts, {entry['failures']} analysed)")
    header = ["category", model_a, model_b, "difference", "q", "fails more"]
    table = [header]
    for r in rows.itertuples(index=False):
        table.append([
            r.category, f"{_percent(r.rate_a)} ({r.count_a})", f"{_percent(r.rate_b)} ({r.count_b})",
            f"{r.rate_diff * 100:+.1f} pts", f"{r.q_value:.2g}", (f"{r.fails_more} *" if r.significant else r.fails_more) or "-",
        ])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    lines.append("")
    lines.append("failures of each kind per attempt (count):")
    for i, row in enumerate(table):
        cells = [str(c).ljust(w) if j in (0, 5) else str(c).rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("* significant: Fisher's exact test per attempt, Benjamini-Hochberg q < 0.05 within this pair")
    return "\n".join(lines)


def _compare(args: argparse.Namespace) -> int:
    from errormap import artifacts

    root = Path(args.root)
    text = compare_text(artifacts.PAIRWISE.read(root), artifacts.SIGNATURES.read_json(root), args.model_a, args.model_b)
    print(text)
    return 0


def _plots_template(args: argparse.Namespace) -> int:
    from errormap.report.dvc_plots import write_plots_template

    path = write_plots_template(args.output)
    print(f"wrote {path}\nthen: dvc plots show --html-template {path}")
    return 0


def add_compare_commands(commands: Any) -> None:
    """Register `compare` and `plots-template` on the CLI's subcommands."""
    compare = commands.add_parser(
        "compare", help="compare two models' failures per category (from the signatures stage's outputs)"
    )
    compare.add_argument("model_a")
    compare.add_argument("model_b")
    compare.add_argument("--root", default=".", help="repository with the pipeline's outputs (default: .)")
    compare.set_defaults(handler=_compare)

    template = commands.add_parser(
        "plots-template", help="write an HTML template for `dvc plots show --html-template` that works offline"
    )
    from errormap.report.dvc_plots import DEFAULT_PATH

    template.add_argument("--output", default=DEFAULT_PATH, help=f"where to write it (default: {DEFAULT_PATH})")
    template.set_defaults(handler=_plots_template)
