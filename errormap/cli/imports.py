"""`errormap import FORMAT PATH... --out DIR`: harness output (lm-eval, HELM, inspect) as errormap's results table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMAT_CHOICES = ("lm-eval", "helm", "inspect", "auto")


def _score_map(text: str) -> dict[str, float]:
    """C=1,I=0,P=0.5,N=0 as a mapping."""
    mapping: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        try:
            mapping[key.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected LETTER=NUMBER pairs such as C=1,I=0, got {part!r}") from None
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"expected LETTER=NUMBER pairs such as C=1,I=0, got {part!r}")
    return mapping


def _import(args: argparse.Namespace) -> int:
    from errormap.importers import HarnessImportError, ImportOptions, import_paths, to_frame, write_tables
    from errormap.importers.base import DEFAULT_SCORE_MAP

    options = ImportOptions(
        lm_eval_metric=args.lm_eval_metric, lm_eval_filter=args.lm_eval_filter, helm_metric=args.helm_metric,
        inspect_scorer=args.inspect_scorer, inspect_score_map=args.inspect_score_map or dict(DEFAULT_SCORE_MAP),
    )
    try:
        outcome = import_paths(args.format, args.paths, options, skip_bad=args.skip_bad)
    except HarnessImportError as exc:
        hint = "" if args.skip_bad else "\n(--skip-bad skips unreadable records and lists them)"
        print(f"errormap import: {exc}{hint}", file=sys.stderr)
        return 1
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if outcome.ignored:
        shown = ", ".join(p.name for p in outcome.ignored[:5]) + (", ..." if len(outcome.ignored) > 5 else "")
        print(f"passed over {len(outcome.ignored)} file(s) that are not {args.format} output: {shown}", file=sys.stderr)
    if outcome.skipped:
        print(f"skipped {outcome.skipped_records} record(s) in {len(outcome.skipped)} place(s):", file=sys.stderr)
        for problem in outcome.skipped:
            print(f"  - {problem}", file=sys.stderr)
    frame = to_frame(outcome.rows)
    summary = frame.groupby(["harness", "model", "dataset"], sort=False)["score"].agg(["size", "mean"])
    for (harness, model, dataset), row in summary.iterrows():
        print(f"{harness:8} {model}  {dataset}: {int(row['size'])} rows, mean score {row['mean']:.3g}")
    for path in write_tables(outcome.rows, args.out):
        print(f"wrote {path}")
    print(f"next: errormap validate {args.out}  |  dvc exp run -S data.input_dir={args.out}")
    return 0


def add_import_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "import",
        help="read evaluation harness output (lm-eval, HELM, inspect) into errormap's results table",
        description="Read per-example results written by lm-evaluation-harness (--log_samples), HELM (run "
        "directories) or inspect-ai (.eval/.json logs) and write one Parquet table per harness to --out.",
    )
    parser.add_argument("format", choices=FORMAT_CHOICES, help="the harness, or auto to detect it per file")
    parser.add_argument("paths", nargs="+", type=Path, help="files or directories of harness output")
    parser.add_argument("--out", type=Path, required=True, help="directory to write <harness>.parquet to")
    parser.add_argument("--skip-bad", action="store_true",
                        help="skip unreadable records (each is listed and counted) instead of failing")
    parser.add_argument("--lm-eval-metric", help="lm-eval per-sample metric (default: the task's first reported "
                        "metric with per-sample scores)")
    parser.add_argument("--lm-eval-filter", help="lm-eval filter (default: the one reported with the metric)")
    parser.add_argument("--helm-metric", help="HELM per-instance stat (default: exact_match, else the first "
                        "scenario-specific stat)")
    parser.add_argument("--inspect-scorer", help="inspect scorer (default: the log's first scorer)")
    parser.add_argument("--inspect-score-map", type=_score_map, metavar="C=1,I=0,P=0.5,N=0",
                        help="inspect letter values as numbers (default: C=1,I=0,P=0.5,N=0)")
    parser.set_defaults(handler=_import)
