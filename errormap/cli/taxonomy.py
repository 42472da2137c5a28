"""`errormap taxonomy ...`: diff two taxonomy versions, measure stability across seeds, coverage on new failures."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from errormap.cli import add_settings_options, settings_from

DEFAULT_DIR = Path("data/taxonomy")


def _judge(settings):
    from errormap.judge import judge_from_settings
    from errormap.stage import store_path

    return judge_from_settings(settings, store_path())


def _emit(result: dict[str, Any], output: Path | None) -> None:
    text = json.dumps(result, indent=2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n")
    print(text)


def _load(path: Path):
    """A taxonomy output or an error-atlas release, from a file or directory."""
    from errormap.atlas.sources import load_version

    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    return load_version(str(path))


# --- diff --------------------------------------------------------------------------------------------


def _diff(args: argparse.Namespace) -> int:
    from errormap.atlas.sources import load_version
    from errormap.atlas.versions import required_bump
    from errormap.taxonomy.diff import Thresholds, diff_markdown, diff_taxonomies

    a, b = load_version(args.a, args.root), load_version(args.b, args.root)
    thresholds = Thresholds(member_link=args.jaccard, text_link=args.text_link)
    diff = diff_taxonomies(a.taxonomy, b.taxonomy, a.assignments, b.assignments, label_a=args.a, label_b=args.b,
                           method=args.match, thresholds=thresholds)
    document = diff.model_dump(mode="json")
    needed = required_bump(document)
    document["required_bump"] = {"bump": needed.bump, "reasons": [text for _, text in needed.reasons]}
    if args.format == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = diff_markdown(diff, needed.bump, [needed.why()] if needed.reasons else None)
    else:
        _print_table(diff, needed)
        text = ""
    if text:
        print(text, end="")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text or diff_markdown(diff, needed.bump), encoding="utf-8")
    return 0


def _ref(ref) -> str:
    return ref.name if ref.count is None else f"{ref.name} ({ref.count})"


def _print_table(diff, needed) -> None:
    """The diff as rich tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    from errormap.taxonomy.diff import score_text

    out = Console()
    how = f"member overlap (Jaccard) on {diff.shared_failures} shared failures" if diff.method == "members" else "TF-IDF cosine of names, descriptions and example titles"
    out.print(f"[bold]{diff.a}[/] → [bold]{diff.b}[/]: categories matched by {how}", highlight=False)
    for level in diff.levels:
        table = Table(title=f"level {level.depth}", title_justify="left", show_lines=False)
        for column in ("change", diff.a, diff.b, diff.score):
            table.add_column(column)
        for change in level.changes:
            before = "\n".join(_ref(r) for r in change.before) or "—"
            after = "\n".join(_ref(r) for r in change.after) or "—"
            score = score_text(change, "\n")
            style = "" if change.kind == "matched" and not change.meaning_changed else "yellow"
            table.add_row(change.kind + (" (meaning changed)" if change.meaning_changed else ""), before, after, score, style=style)
        out.print(table)
    if diff.agreement:
        g = diff.agreement
        out.print(f"agreement on {int(g['failures_compared'])} shared failures: ARI {g['adjusted_rand_index']:.3f}, "
                  f"NMI {g['normalized_mutual_info']:.3f}, matched precision {g['matched_precision']:.3f}, "
                  f"matched recall {g['matched_recall']:.3f}", highlight=False)
    if diff.moved:
        table = Table(title="moved failures (top level)", title_justify="left")
        for column in ("from", "to", "failures", "example titles"):
            table.add_column(column)
        for move in diff.moved:
            table.add_row(move.before, move.after, str(move.count), "; ".join(move.examples))
        out.print(table)
    out.print(f"release bump this diff requires: [bold]{needed.bump}[/] ({needed.why()})", highlight=False)


# --- stability and coverage --------------------------------------------------------------------------


def _stability(args: argparse.Namespace) -> int:
    import pandas as pd

    from errormap.taxonomy.quality import stability

    settings = settings_from(args)
    errors = pd.read_parquet(args.diagnoses)
    result = asyncio.run(stability(errors, lambda: _judge(settings), settings.taxonomy, args.seeds, args.jaccard))
    if not args.pairs:
        result.pop("pairs")
    _emit(result, args.output)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    import pandas as pd

    from errormap.atlas.classify import classify_into_release
    from errormap.taxonomy.apply import apply_taxonomy
    from errormap.taxonomy.quality import coverage_report

    settings = settings_from(args)
    loaded = _load(args.taxonomy)
    errors = pd.read_parquet(args.failures)
    judge = _judge(settings)

    async def run():
        try:
            if loaded.release is not None:  # a release: classified with its example titles, as in atlas mode
                return await classify_into_release(loaded.release, errors, judge, settings.taxonomy, settings.seed)
            return await apply_taxonomy(loaded.taxonomy, errors, judge, settings.taxonomy, settings.seed)
        finally:
            await judge.aclose()

    applied, assignments, stats = asyncio.run(run())
    if args.assignments is not None:
        args.assignments.parent.mkdir(parents=True, exist_ok=True)
        assignments.to_parquet(args.assignments, index=False)
    _emit(coverage_report(applied, stats.classification_fallbacks), args.output)
    return 0


def _add_diff(actions: argparse._SubParsersAction, name: str, help_text: str) -> None:
    spec = "a release (0.1.0, v0.1.0, latest, error-atlas@v0.1.0), a taxonomy directory or file, a Git revision or a dvc exp name"
    diff = actions.add_parser(name, help=help_text, description=f"Each version is {spec}.")
    diff.add_argument("a", help="the earlier version")
    diff.add_argument("b", help="the later version")
    diff.add_argument("--format", choices=("table", "markdown", "json"), default="table", help="output (default: table)")
    diff.add_argument("--output", type=Path, help="also write the output here (Markdown for --format table)")
    diff.add_argument("--match", choices=("auto", "members", "text"), default="auto",
                      help="match categories by the failures they hold or by their text (default: members when both placed the same failures)")
    diff.add_argument("--jaccard", type=float, default=0.5, help="share of a category's failures that must land in the other to link them (default 0.5)")
    diff.add_argument("--text-link", type=float, default=0.2, help="TF-IDF cosine needed to link categories by text (default 0.2)")
    diff.add_argument("--root", type=Path, default=Path("."), help="repository the versions are read from (default: .)")
    diff.set_defaults(handler=_diff)


def add_taxonomy_commands(commands: argparse._SubParsersAction) -> None:
    """Register `errormap taxonomy diff|stability|coverage` (and `compare`, the former name of diff)."""
    taxonomy = commands.add_parser("taxonomy", help="diff taxonomy versions, measure stability and coverage")
    actions = taxonomy.add_subparsers(dest="taxonomy_command", required=True, metavar="ACTION")
    _add_diff(actions, "diff", "what changed between two taxonomy versions: matched, renamed, split, merged, added, removed categories")
    _add_diff(actions, "compare", "the same as diff (kept for existing scripts)")

    stable = actions.add_parser("stability", help="rebuild the taxonomy with several seeds and report agreement (ARI, NMI, matched precision/recall)")
    add_settings_options(stable)
    stable.add_argument("--diagnoses", type=Path, default=Path("data/analysis/diagnoses.parquet"), help="diagnoses to build from")
    stable.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds to build with (default: 1 2 3)")
    stable.add_argument("--jaccard", type=float, default=0.5, help="member overlap for two categories to match (default 0.5)")
    stable.add_argument("--pairs", action="store_true", help="include every pair's figures")
    stable.add_argument("--output", type=Path, help="also write the JSON result here (a DVC metrics file, for example)")
    stable.set_defaults(handler=_stability)

    cover = actions.add_parser("coverage", help="classify failures into an existing taxonomy and report coverage")
    add_settings_options(cover)
    cover.add_argument("--taxonomy", type=Path, default=DEFAULT_DIR, help="taxonomy directory or taxonomy.json (or a release)")
    cover.add_argument("--failures", type=Path, required=True, help="diagnoses parquet of the failures to place")
    cover.add_argument("--assignments", type=Path, help="write the resulting assignments here")
    cover.add_argument("--output", type=Path, help="also write the JSON result here")
    cover.set_defaults(handler=_coverage)
