"""`errormap evaluate first-error DIR`: how well a judge finds the first error humans marked in each solution."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

SUMMARY_KEYS = ("solutions", "with_human_step", "step_claims", "step_exact", "step_within_one", "correctness_agreement")


def _settings(args: argparse.Namespace):
    """params.yaml (or conf/'s defaults when there is none), or conf/ composed with Hydra overrides."""
    from errormap.config import compose
    from errormap.settings import default_settings, load_settings, validate

    if args.overrides:
        return validate(compose(args.conf_dir, args.overrides), args.conf_dir)
    return load_settings(args.params) if Path(args.params).exists() else default_settings()


def _table(metrics: dict[str, Any]) -> str:
    rows = [("all", metrics), *sorted(metrics["per_dataset"].items())]
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{k:>{max(len(k), 6)}}" for k in SUMMARY_KEYS)]
    for name, values in rows:
        cells = []
        for key in SUMMARY_KEYS:
            value = values[key]
            text = "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
            cells.append(f"{text:>{max(len(key), 6)}}")
        lines.append(f"{name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def _first_error(args: argparse.Namespace) -> int:
    from errormap.evaluation.annotations import load_annotated
    from errormap.evaluation.first_error import run_first_error
    from errormap.judge import judge_from_settings
    from errormap.stage import store_path

    settings = _settings(args)
    annotated = load_annotated(args.input_dir)
    judge = judge_from_settings(settings, args.store or store_path())

    async def run():
        try:
            return await run_first_error(annotated, judge, settings, rows=args.rows, per_dataset=args.per_dataset or None)
        finally:
            await judge.aclose()

    result = asyncio.run(run())
    metrics = {"input_dir": str(args.input_dir), "per_dataset_sample": args.per_dataset or None, **result.metrics}
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if args.details is not None:
        args.details.parent.mkdir(parents=True, exist_ok=True)
        result.rows.to_csv(args.details, index=False)
    print(f"first-error agreement of judge {metrics['judge']} on {args.input_dir} ({args.rows} solutions)")
    print(_table(metrics))
    print("step_exact / step_within_one: over the steps the judge names; it abstains on the rest (step_claims).")
    return 1 if metrics["diagnoses_failed"] and metrics["diagnoses_failed"] == metrics["solutions"] else 0


def add_evaluate_commands(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("evaluate", help="evaluate a judge against human labels")
    actions = evaluate.add_subparsers(dest="evaluate_command", required=True, metavar="ACTION")
    first = actions.add_parser(
        "first-error",
        help="agreement with human first-error steps (MR-Ben or BIG-Bench Mistake format) for the configured judge",
        description="Diagnose each labelled solution with the judge of params.yaml (or conf/ with overrides), map "
        "the evidence it quotes to a step of the solution, and compare with the first wrong step humans marked: "
        "exact and within one step, plus agreement on whether the solution is correct, overall and per dataset.",
    )
    first.add_argument("input_dir", type=Path, help="results directory with human_first_error_step or mistake_index")
    first.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. judge=openai judge.model=gpt-4.1-mini")
    first.add_argument("--params", default="params.yaml", help="settings file when no overrides are given")
    first.add_argument("--conf-dir", default="conf", help="Hydra config directory for overrides (default: conf)")
    first.add_argument("--rows", choices=("all", "failures"), default="all",
                       help="diagnose every labelled solution (default) or only those scored as failures")
    first.add_argument("--per-dataset", type=int, default=0, help="diagnose at most N solutions per dataset (0: all)")
    first.add_argument("--store", type=Path, default=None, help="judge answer store (default: .errormap/cache.sqlite)")
    first.add_argument("--output", type=Path, default=None, help="write the metrics as JSON")
    first.add_argument("--details", type=Path, default=None, help="write one row per solution as CSV")
    first.set_defaults(handler=_first_error)


def main(argv: list[str] | None = None) -> int:
    """`python -m errormap.evaluation.cli first-error DIR ...`: the command alone (the DVC stage runs it this way)."""
    import sys

    from errormap.errors import UserError

    parser = argparse.ArgumentParser(prog="errormap evaluate")
    add_evaluate_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    arguments = ["evaluate", *(sys.argv[1:] if argv is None else argv)]
    args = parser.parse_args(arguments)
    try:
        return args.handler(args)
    except (UserError, FileNotFoundError, ValueError) as exc:
        print(f"errormap evaluate: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
