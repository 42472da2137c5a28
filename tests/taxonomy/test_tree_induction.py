"""taxonomy.induction=tree: proposals in parallel, pairwise merges, log depth; same requests as the method for one batch."""

from __future__ import annotations

import asyncio
from typing import Any

from errormap.cost.virtual_time import run_simulated
from errormap.judge import OfflineJudge
from errormap.taxonomy.builder import TaxonomyBuilder
from errormap.taxonomy.model import coverage
from errormap.taxonomy.quality import agreement
from errormap.testing.defaults import taxonomy_config
from errormap.testing.titles import synthetic_diagnoses


class OneSecondJudge:
    """The offline judge, each answer after one (simulated) second; records the steps asked."""

    def __init__(self) -> None:
        self.inner = OfflineJudge()
        self.judge_id, self.prompt_version = self.inner.judge_id, self.inner.prompt_version
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ("diagnose", "propose_categories", "refine_categories", "review_categories", "classify"):
            return method

        async def slow(*args: Any, **kwargs: Any) -> Any:
            self.asked.append(name)
            await asyncio.sleep(1.0)
            return await method(*args, **kwargs)

        return slow


def build(order: str, titles: int, **overrides: Any):
    judge = OneSecondJudge()
    config = taxonomy_config(induction=order, max_depth=1, batch_size=100, classify_batch_size=10_000, **overrides)
    (taxonomy, assignments), seconds = run_simulated(TaxonomyBuilder(judge, config, 1).build(synthetic_diagnoses(titles)))
    return taxonomy, assignments, seconds, judge.asked


def test_the_tree_order_is_log_deep() -> None:
    *_, sequential, asked_sequential = build("sequential", 800)  # 8 batches of 100 titles
    *_, tree, asked_tree = build("tree", 800)
    assert sequential == 1 + 7 + 1  # propose, 7 refines, then review with the classification alongside
    assert tree == 1 + 3 + 1  # 8 proposals at once, 3 rounds of merges (4, 2, 1), review with classification
    assert asked_tree.count("propose_categories") == 8 and asked_tree.count("refine_categories") == 7
    assert asked_tree.count("review_categories") == 1
    assert asked_sequential.count("refine_categories") == 7


def test_one_batch_sends_the_same_requests_in_both_orders() -> None:
    seq_taxonomy, seq_assignments, _, seq_asked = build("sequential", 60)
    tree_taxonomy, tree_assignments, _, tree_asked = build("tree", 60)
    assert seq_asked == tree_asked
    assert [n.name for n in seq_taxonomy.nodes] == [n.name for n in tree_taxonomy.nodes]
    assert seq_assignments.equals(tree_assignments)


def test_the_tree_order_keeps_coverage_and_agrees_like_another_seed() -> None:
    diagnoses = synthetic_diagnoses(1500)
    builds = {}
    for name, order, seed in (("seq1", "sequential", 1), ("seq2", "sequential", 2), ("tree1", "tree", 1)):
        config = taxonomy_config(induction=order, batch_size=200)
        builds[name] = asyncio.run(TaxonomyBuilder(OfflineJudge(), config, seed).build(diagnoses))
    seq_coverage = coverage(builds["seq1"][0])["coverage"]
    assert coverage(builds["tree1"][0])["coverage"] >= seq_coverage - 0.05
    between_seeds = agreement(*builds["seq1"], *builds["seq2"])["adjusted_rand_index"]
    between_orders = agreement(*builds["seq1"], *builds["tree1"])["adjusted_rand_index"]
    assert between_orders >= between_seeds - 0.15
