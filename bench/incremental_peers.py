"""How much a new model costs a warm answer store: its own failures, plus failures whose peers it changes.

A failure's judge request shows up to k correct outputs of other models (its peers). Peers are
ranked by a hash of (seed, example, peer model), so adding a model changes a failure's peers only
where the new model ranks into its top k; those failures are asked again (their stored answers were
made with other peers). This prints both counts for each model added last to the others.

    .venv/bin/python bench/incremental_peers.py [RESULTS_DIR]   # default ../shared/realdata/gsm8k_openai
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from errormap.data import load_results
from errormap.settings import default_settings
from errormap.steps.analyze import build_cases
from errormap.steps.prepare import mark

REPO = Path(__file__).resolve().parent.parent


def peers_of(results, settings) -> dict[str, list[str]]:
    marked, _ = mark(results, settings)
    failures = marked[marked["is_failure"]]
    cases = build_cases(marked, failures, k_correct=settings.analysis.k_correct, seed=settings.seed)
    return {c.failure_id: c.other_models for c in cases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input_dir", nargs="?", type=Path, default=REPO.parent / "shared" / "realdata" / "gsm8k_openai")
    args = parser.parse_args()
    if not args.input_dir.exists():
        print(f"{args.input_dir} not found", file=sys.stderr)
        return 1
    settings = default_settings()
    results = load_results(args.input_dir)
    after = peers_of(results, settings)
    print(f"{args.input_dir}: {len(results)} rows, {results['model'].nunique()} models, {len(after)} failures, "
          f"k={settings.analysis.k_correct}, thresholds as configured")
    print(f"{'model added last':<28} {'its failures':>12} {'peers changed':>14} {'share of others':>16} {'re-asked':>9}")
    for model in sorted(results["model"].unique()):
        before = peers_of(results[results["model"] != model], settings)
        own = len(after) - len(before)
        changed = sum(before[f] != after[f] for f in before)
        share = changed / len(before) if before else 0.0
        print(f"{model:<28} {own:>12} {changed:>14} {share:>15.1%} {own + changed:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
