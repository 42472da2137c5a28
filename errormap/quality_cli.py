"""`errormap taxonomy ...`: compare taxonomy versions, measure stability across seeds, coverage on new failures."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_DIR = Path("data/taxonomy")


def _load(directory: Path):
    from errormap.taxonomy import Taxonomy

    taxonomy_path = directory / "taxonomy.json" if directory.is_dir() else directory
    assignments_path = taxonomy_path.with_name("assignments.parquet")
    for path in (taxonomy_path, assignments_path):
        if not path.exists():
            raise FileNotFoundError(f"{path} not found")
    return Taxonomy.model_validate_json(taxonomy_path.read_text()), pd.read_parquet(assignments_path)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """params.yaml, or a fresh composition of conf/ when Hydra overrides are given."""
    from errormap.config import compose, load_params

    return compose(args.conf_dir, args.overrides) if args.overrides else load_params(args.params)


def _emit(result: dict[str, Any], output: Path | None) -> None:
    text = json.dumps(result, indent=2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n")
    print(text)


def _judge_factory(settings: dict[str, Any]):
    from errormap.stage import judge_from_params

    return lambda: judge_from_params(settings)


def _taxonomy_params(settings: dict[str, Any], seed: int | None = None):
    from errormap.taxonomy import TaxonomyParams

    return TaxonomyParams.from_mapping({**settings["taxonomy"], "seed": int(settings["seed"] if seed is None else seed)})


def _compare(args: argparse.Namespace) -> int:
    from errormap.quality import compare_versions

    a, b = _load(args.a), _load(args.b)
    _emit(compare_versions(a[0], a[1], b[0], b[1], args.jaccard), args.output)
    return 0


def _stability(args: argparse.Namespace) -> int:
    from errormap.quality import stability

    settings = _settings(args)
    errors = pd.read_parquet(args.diagnoses)
    result = asyncio.run(stability(errors, _judge_factory(settings), _taxonomy_params(settings), args.seeds, args.jaccard))
    if not args.pairs:
        result.pop("pairs")
    _emit(result, args.output)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from errormap.quality import apply_taxonomy, coverage_report
    settings = _settings(args)
    taxonomy, _ = _load(args.taxonomy)
    errors = pd.read_parquet(args.failures)
    judge = _judge_factory(settings)()
    params = _taxonomy_params(settings)

    async def run():
        try:
            return await apply_taxonomy(taxonomy, errors, judge, params)
        finally:
            await judge.aclose()

    applied, assignments, stats = asyncio.run(run())
    if args.assignments is not None:
        args.assignments.parent.mkdir(parents=True, exist_ok=True)
        assignments.to_parquet(args.assignments, index=False)
    _emit(coverage_report(applied, stats.classification_fallbacks), args.output)
    return 0


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="Hydra overrides to compose conf/ with instead of reading params.yaml, e.g. judge=openai")
    parser.add_argument("--params", default="params.yaml", help="settings file used when no overrides are given")
    parser.add_argument("--conf-dir", default="conf", help="Hydra config directory (default: conf)")


def add_taxonomy_commands(commands: argparse._SubParsersAction) -> None:
    """Register `errormap taxonomy compare|stability|coverage`."""
    taxonomy = commands.add_parser("taxonomy", help="compare taxonomies, measure stability and coverage")
    actions = taxonomy.add_subparsers(dest="taxonomy_command", required=True, metavar="ACTION")

    compare = actions.add_parser("compare", help="compare two taxonomy versions (directories with taxonomy.json and assignments.parquet)")
    compare.add_argument("a", type=Path, help="first taxonomy directory or taxonomy.json")
    compare.add_argument("b", type=Path, help="second taxonomy directory or taxonomy.json")
    compare.add_argument("--jaccard", type=float, default=0.5, help="member overlap for two categories to match (default 0.5)")
    compare.add_argument("--output", type=Path, help="also write the JSON result here")
    compare.set_defaults(handler=_compare)

    stable = actions.add_parser("stability", help="rebuild the taxonomy with several seeds and report agreement (ARI, NMI, matched precision/recall)")
    _add_config_options(stable)
    stable.add_argument("--diagnoses", type=Path, default=Path("data/analysis/diagnoses.parquet"), help="diagnoses to build from")
    stable.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds to build with (default: 1 2 3)")
    stable.add_argument("--jaccard", type=float, default=0.5, help="member overlap for two categories to match (default 0.5)")
    stable.add_argument("--pairs", action="store_true", help="include every pair's figures")
    stable.add_argument("--output", type=Path, help="also write the JSON result here (a DVC metrics file, for example)")
    stable.set_defaults(handler=_stability)

    cover = actions.add_parser("coverage", help="classify failures into an existing taxonomy and report coverage")
    _add_config_options(cover)
    cover.add_argument("--taxonomy", type=Path, default=DEFAULT_DIR, help="taxonomy directory or taxonomy.json")
    cover.add_argument("--failures", type=Path, required=True, help="diagnoses parquet of the failures to place")
    cover.add_argument("--assignments", type=Path, help="write the resulting assignments here")
    cover.add_argument("--output", type=Path, help="also write the JSON result here")
    cover.set_defaults(handler=_coverage)
