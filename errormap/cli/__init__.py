"""The `errormap` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from errormap import __version__
from errormap.errors import UserError

Handler = Callable[[argparse.Namespace], int]


def _demo_data(args: argparse.Namespace) -> int:
    from errormap.demo import generate_demo

    paths = generate_demo(args.output, seed=args.seed)
    for path in paths:
        print(path)
    return 0


def _config_compose(args: argparse.Namespace) -> int:
    from errormap.config import compose, load_params, write_params
    from errormap.settings import validate

    config = compose(args.conf_dir, args.overrides)
    validate(config, f"{args.conf_dir}/")  # a typo in conf/ fails here, naming the key
    if args.check:
        if load_params(args.output) != config:
            print(f"{args.output} is out of date with {args.conf_dir}/: run `errormap config compose`", file=sys.stderr)
            return 1
        print(f"{args.output} matches {args.conf_dir}/")
        return 0
    write_params(config, args.output, args.overrides, args.conf_dir)  # recorded: every stage checks the file is current
    print(f"wrote {args.output}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from errormap.data import InputValidationError, load_results
    from errormap.settings import PARAMS_FILE, default_settings, load_settings
    from errormap.steps.prepare import mark_checked

    try:
        results = load_results(args.input_dir)
    except InputValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    settings = load_settings(PARAMS_FILE) if Path(PARAMS_FILE).exists() else default_settings()
    marked, rules = mark_checked(results, settings)  # no failures, or a rule marking all or none: an error
    print(
        f"ok: {len(results)} rows, {results['dataset'].nunique()} datasets, "
        f"{results['model'].nunique()} models, {results['example_id'].nunique()} examples, "
        f"{int(marked['is_failure'].sum())} failures"
    )
    for dataset, rule in rules.items():
        print(f"  {dataset}: {rule.description}")
    return 0


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that needs settings: Hydra overrides, else params.yaml (see `settings_from`)."""
    parser.add_argument("overrides", nargs="*", help="Hydra overrides to compose conf/ with instead of reading params.yaml, e.g. judge=openai")
    parser.add_argument("--params", default="params.yaml", help="settings file used when no overrides are given")
    parser.add_argument("--conf-dir", default="conf", help="Hydra config directory (default: conf)")


def settings_from(args: argparse.Namespace):
    """params.yaml, or a fresh composition of conf/ when Hydra overrides are given (typed settings)."""
    from errormap.config import compose
    from errormap.settings import load_settings, validate

    return validate(compose(args.conf_dir, args.overrides), args.conf_dir) if args.overrides else load_settings(args.params)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="errormap",
        description="Explain why language models fail on benchmarks. The pipeline itself runs with `dvc repro`; "
        "these commands prepare inputs and inspect results.",
    )
    parser.add_argument("--version", action="version", version=f"errormap {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo-data", help="write the deterministic demo benchmark (CSV per dataset)")
    demo.add_argument("output", nargs="?", default="data/demo", type=Path, help="output directory (default: data/demo)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(handler=_demo_data)

    config = commands.add_parser("config", help="compose params.yaml from conf/ with Hydra")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    compose = config_commands.add_parser(
        "compose", help="write params.yaml from conf/ plus Hydra overrides, e.g. judge=openai judge.model=gpt-4.1-mini"
    )
    compose.add_argument("overrides", nargs="*", help="Hydra overrides (group=option or key=value)")
    compose.add_argument("--conf-dir", default="conf", help="Hydra config directory (default: conf)")
    compose.add_argument("--output", default="params.yaml", help="where to write (default: params.yaml)")
    compose.add_argument("--check", action="store_true", help="only check that the file is up to date; exit 1 if not")
    compose.set_defaults(handler=_config_compose)

    validate = commands.add_parser("validate", help="check benchmark result files without running the pipeline")
    validate.add_argument("input_dir", type=Path, help="directory of .csv/.jsonl/.parquet results")
    validate.set_defaults(handler=_validate)

    from errormap.cli.atlas import add_atlas_commands
    from errormap.cli.compare import add_compare_commands
    from errormap.cli.imports import add_import_command
    from errormap.cli.taxonomy import add_taxonomy_commands

    add_import_command(commands)
    add_taxonomy_commands(commands)
    add_atlas_commands(commands)
    add_compare_commands(commands)
    from errormap.cli.estimate import add_estimate_command

    add_estimate_command(commands)
    from errormap.evaluation.cli import add_evaluate_commands

    add_evaluate_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (UserError, FileNotFoundError, ValueError, *_configuration_errors()) as exc:
        print(f"errormap {args.command}: {exc}", file=sys.stderr)
        return 1


def _configuration_errors() -> tuple[type[Exception], ...]:
    """Hydra's and OmegaConf's errors (a bad override, an unknown group): shown as one line, not a traceback."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    return HydraException, OmegaConfBaseException
