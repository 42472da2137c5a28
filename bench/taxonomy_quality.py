#!/usr/bin/env python
"""Taxonomy figures of the offline judge on a directory of per-instance results.

Prepares and diagnoses the failures as the pipeline does (params from `conf/`), builds the
taxonomy, and prints categories per level, coverage, stability across seeds, and the coverage
of a taxonomy induced on one half of the failures and applied to the other half.

    .venv/bin/python bench/taxonomy_quality.py                                  # the demo data
    .venv/bin/python bench/taxonomy_quality.py ../shared/realdata/gsm8k_openai  # real outputs

Figures, not a pass/fail check: exit status 0 unless the input cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from errormap.judge import OfflineJudge
from errormap.settings import default_settings
from errormap.steps.analyze import analyze
from errormap.steps.prepare import prepare
from errormap.steps.taxonomy import build_taxonomy
from errormap.taxonomy import ROOT_ID, TaxonomyBuilder, coverage
from errormap.taxonomy.apply import apply_taxonomy
from errormap.taxonomy.quality import coverage_report, stability

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input_dir", nargs="?", type=Path, default=REPO / "data" / "demo", help="results directory")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="stability seeds (default 1 2 3)")
    args = parser.parse_args()
    if not args.input_dir.exists():
        print(f"{args.input_dir} not found", file=sys.stderr)
        return 1
    logging.getLogger("errormap").setLevel(logging.WARNING)
    settings = default_settings()
    seed, config = settings.seed, settings.taxonomy
    prepared = prepare(settings, args.input_dir)
    errors = asyncio.run(analyze(prepared.results, prepared.failures, settings, OfflineJudge())).diagnoses
    taxonomy = asyncio.run(build_taxonomy(errors, settings, OfflineJudge())).taxonomy
    results = prepared.results
    print(f"{args.input_dir}: {len(results)} rows, {len(errors)} failures diagnosed, depth {taxonomy.depth()}")
    def show(node_id: str) -> None:
        for child in taxonomy.children(node_id):
            print(f"  {'  ' * (child.depth - 1)}{child.name}: {child.count}")
            show(child.id)

    show(ROOT_ID)
    print("coverage", json.dumps({k: round(v, 4) for k, v in coverage(taxonomy).items()}))

    result = asyncio.run(stability(errors, OfflineJudge, config, args.seeds))
    result.pop("pairs")
    print("stability", json.dumps(result))

    half = errors.sample(frac=0.5, random_state=seed)
    induced, _ = asyncio.run(TaxonomyBuilder(OfflineJudge(), config, seed).build(half))
    applied, _, stats = asyncio.run(apply_taxonomy(induced, errors.drop(half.index), OfflineJudge(), config, seed))
    print("induced on one half, applied to the other", json.dumps(coverage_report(applied, stats.classification_fallbacks)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
