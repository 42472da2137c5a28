"""`errormap estimate`: the judge steps' requests, tokens, cost and time before anything is sent (their dry run)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from errormap.cli import add_settings_options, settings_from


def _estimate(args: argparse.Namespace) -> int:
    from errormap.cost import STEPS, estimate_run, render
    from errormap.steps.prepare import prepare

    settings = settings_from(args)
    prepared = prepare(settings)
    store = args.store if args.store is not None else _default_store()
    steps = args.stage or list(STEPS)
    estimate = estimate_run(
        settings, prepared.results, prepared.failures, store_path=store, steps=steps, latency=args.latency
    )
    print(json.dumps(estimate.as_dict(), indent=2) if args.json else render(estimate))
    return 0


def _default_store() -> Path:
    from errormap.stage import store_path

    return store_path()


def add_estimate_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "estimate",
        help="what the judge steps would send and cost, less what the answer store holds (a dry run: nothing is sent)",
        description="Requests per judge step, prompt tokens (static-prefix share), completion tokens, cost from "
        "cost.prices and time at the configured concurrency, for the prepared failures and the prompt set. "
        "Answers the store already holds are not counted.",
    )
    add_settings_options(parser)
    parser.add_argument("--stage", action="append", choices=["analyze", "taxonomy", "stability"],
                        help="only these judge stages (repeatable; default: all); the dry run of a stage")
    parser.add_argument("--latency", type=float, default=None, help="seconds per request (default: cost.latency)")
    parser.add_argument("--store", type=Path, default=None, help="answer store (default: .errormap/cache.sqlite)")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    parser.set_defaults(handler=_estimate)
