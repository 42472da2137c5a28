"""The tree-reduction induction order (`taxonomy.induction: tree`).

The method's order proposes categories on a first batch of titles and refines them on each further
batch, one request after another: n batches make a chain of n + 1 dependent requests. The tree order
proposes on every batch at once, merges the proposals two by two, then reviews, so the chain is
2 + ceil(log2 n) requests deep. A merge is the method's own refine step: the left list is updated to fit the right
list's categories, given as titles (their names), as if they were the next batch. With a single batch
both orders send the same requests (propose, then review). Measured in bench/bench_induction.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from errormap.judge import JudgeError, TitleCount
from errormap.judge.schemas import CategoryDraft

if TYPE_CHECKING:
    from errormap.taxonomy.builder import TaxonomyBuilder

log = logging.getLogger(__name__)


def interleave(first: list[CategoryDraft], second: list[CategoryDraft]) -> list[CategoryDraft]:
    """Both lists, alternating, so that a cut at the limit keeps the head of each."""
    merged: list[CategoryDraft] = []
    for i in range(max(len(first), len(second))):
        merged += [c for c in (first[i : i + 1] + second[i : i + 1])]
    return merged


async def tree_categories(
    builder: "TaxonomyBuilder", batches: list[list[TitleCount]], parent: CategoryDraft | None, limit: int
) -> list[CategoryDraft]:
    """Propose on every batch concurrently, then merge pairwise until one list is left (the review follows in the builder)."""
    from errormap.taxonomy.builder import sanitise_categories

    async def propose(batch: list[TitleCount]) -> list[CategoryDraft]:
        try:
            answer = await builder.judge.propose_categories(batch, parent=parent, max_categories=limit)
        except JudgeError as exc:
            builder.stats.judge_errors += 1
            log.warning("propose step failed on one batch, leaving it to the others: %s", exc)
            return []
        builder._record(answer, "propose", parent)
        return sanitise_categories(answer.value.categories, limit)

    async def merge(first: list[CategoryDraft], second: list[CategoryDraft]) -> list[CategoryDraft]:
        """The first list refined on the second's categories as titles (a fallback: both lists, cut to the limit)."""
        both = sanitise_categories(interleave(first, second), 2 * limit)  # the same name twice is one category
        if not first or not second:
            return both[:limit]
        try:
            titles = [TitleCount(c.name, 1, c.description) for c in second]
            answer = await builder.judge.refine_categories(first, titles, parent=parent, max_categories=limit)
        except JudgeError as exc:
            builder.stats.judge_errors += 1
            log.warning("merge step failed, keeping both lists cut to the limit: %s", exc)
            return both[:limit]
        builder._record(answer, "merge", parent)
        return sanitise_categories(answer.value.categories, limit) or both[:limit]

    lists = await asyncio.gather(*(propose(b) for b in batches))
    if not any(lists):
        raise JudgeError("every propose step failed")
    while len(lists) > 1:
        pairs = [merge(lists[i], lists[i + 1]) for i in range(0, len(lists) - 1, 2)]
        carried = [lists[-1]] if len(lists) % 2 else []
        lists = [*await asyncio.gather(*pairs), *carried]
    return lists[0]
