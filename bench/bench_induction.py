#!/usr/bin/env python
"""Taxonomy induction, the method's sequential order against the tree order (`taxonomy.induction`), on
simulated diagnoses with 1k, 10k and 50k distinct titles.

The judge is the offline judge (local clustering, a stand-in for an LLM) with a fixed latency per request
under the judge's concurrency. Wall time is read on a simulated clock (errormap.cost.virtual_time): the
time the build would take if every request took exactly that latency; the CPU the stand-in judge itself
spends is shown apart (a real judge spends it on its own servers). Quality: coverage (share of failures
in a real top-level category), and agreement with the sequential build (adjusted Rand index, NMI, matched
categories at Jaccard >= 0.5), next to the agreement of two sequential builds with different seeds.

    .venv/bin/python bench/bench_induction.py                       # 1000 10000 50000 titles, 2 s/request
    .venv/bin/python bench/bench_induction.py --titles 1000 --latency 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from errormap.cost.virtual_time import run_simulated  # noqa: E402
from errormap.judge import OfflineJudge  # noqa: E402
from errormap.taxonomy.builder import TaxonomyBuilder, taxonomy_metrics  # noqa: E402
from errormap.taxonomy.quality import agreement  # noqa: E402
from errormap.testing.defaults import taxonomy_config  # noqa: E402
from errormap.testing.titles import synthetic_diagnoses  # noqa: E402

ASKED = ("propose_categories", "refine_categories", "review_categories", "classify")


class LatencyJudge:
    """A judge whose every request takes `latency` seconds, at most `concurrency` at once."""

    def __init__(self, inner: Any, latency: float, concurrency: int):
        self.inner, self.latency = inner, latency
        self.judge_id, self.prompt_version = inner.judge_id, inner.prompt_version
        self.concurrency = concurrency
        self.requests = 0
        self._slots: asyncio.Semaphore | None = None

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ASKED:
            return method

        async def timed(*args: Any, **kwargs: Any) -> Any:
            if self._slots is None:
                self._slots = asyncio.Semaphore(self.concurrency)
            async with self._slots:
                self.requests += 1
                await asyncio.sleep(self.latency)
            return await method(*args, **kwargs)

        return timed


def build(diagnoses, order: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    judge = LatencyJudge(OfflineJudge(), args.latency, args.concurrency)
    builder = TaxonomyBuilder(judge, taxonomy_config(induction=order), seed)
    cpu0 = time.process_time()
    (taxonomy, assignments), seconds = run_simulated(builder.build(diagnoses))
    metrics = taxonomy_metrics(taxonomy, builder.stats)
    return {"taxonomy": taxonomy, "assignments": assignments, "seconds": seconds, "cpu": time.process_time() - cpu0,
            "requests": judge.requests, "coverage": metrics["coverage"], "top": metrics["categories_per_level"].get("level_1", 0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per judge request (simulated)")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    config = taxonomy_config()
    print(f"offline judge as the stand-in, {args.latency} s per request, concurrency {args.concurrency}, "
          f"batch_size {config.batch_size}, classify_batch_size {config.classify_batch_size}, max_depth {config.max_depth}\n")
    print(f"{'titles':>7} {'order':<11} {'wall (sim.)':>11} {'requests':>8} {'top cats':>8} {'coverage':>8} "
          f"{'ARI vs seq':>10} {'NMI vs seq':>10} {'matched P/R':>12} {'judge CPU s':>11}")
    for n in args.titles:
        diagnoses = synthetic_diagnoses(n, failures_per_title=1)
        seq = build(diagnoses, "sequential", 1, args)
        rows = [("sequential", seq, None), ("seq. seed 2", build(diagnoses, "sequential", 2, args), None),
                ("tree", build(diagnoses, "tree", 1, args), None)]
        for label, result, _ in rows:
            if result is seq:
                ari = nmi = pr = "-"
            else:
                agree = agreement(seq["taxonomy"], seq["assignments"], result["taxonomy"], result["assignments"])
                ari, nmi = f"{agree['adjusted_rand_index']:.3f}", f"{agree['normalized_mutual_info']:.3f}"
                pr = f"{agree['matched_precision']:.2f}/{agree['matched_recall']:.2f}"
            print(f"{n:>7} {label:<11} {result['seconds']:>10.0f}s {result['requests']:>8} {result['top']:>8} "
                  f"{result['coverage']:>8.3f} {ari:>10} {nmi:>10} {pr:>12} {result['cpu']:>11.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
