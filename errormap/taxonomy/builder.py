"""The recursive, judge-driven taxonomy builder (ErrorMap step 3).

At each node: collect distinct error titles, propose categories on a first batch, refine on each
further batch, review, classify every title (or Other / Hard to analyze), merge rare categories
into Other, then recurse into large categories. Every failure ends on exactly one root-to-leaf path.

The classification is sent while the review is in flight, against the categories under review
(`taxonomy.classify_during_review`). When the review returns them unchanged, that classification is
the very request the method would send next, so the result is the same one request sooner; when the
review changes them, it is discarded (its cost counted) and the titles are classified again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from errormap.judge import Judge, JudgeAnswer, JudgeError, TitleCount
from errormap.judge.schemas import GENERIC_CATEGORY_NAMES, MAX_NAME_WORDS, CategoryDraft, Usage
from errormap.seeding import seeded_order
from errormap.settings import TaxonomyConfig
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER, ROOT_ID, Taxonomy, TreeNode, assemble, coverage

log = logging.getLogger(__name__)
_DANGLING = {"and", "or", "of", "the", "a", "an", "in", "to", "with", "for", "on", "by", "&", "-"}


def category_limit(config: TaxonomyConfig, distinct_titles: int) -> int:
    """max(min_categories, min(category_cap, ceil(category_ratio x distinct titles))), unless max_categories is set."""
    if config.max_categories:
        return int(config.max_categories)
    return max(config.min_categories, min(config.category_cap, math.ceil(config.category_ratio * distinct_titles)))


@dataclass
class BuildStats:
    """Cost and quality counters of one build."""

    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    titles_classified: int = 0
    classification_fallbacks: int = 0
    classification_retries: int = 0
    judge_errors: int = 0
    early_classifications_discarded: int = 0

    def add(self, requests: int, usage: Usage) -> None:
        self.requests += requests
        self.usage = self.usage + usage

    def absorb(self, tally: "ClassifyTally") -> None:
        """Count a classification whose result is used."""
        self.titles_classified += tally.titles
        self.classification_retries += tally.retries
        self.classification_fallbacks += tally.fallbacks
        self.judge_errors += tally.errors


@dataclass
class ClassifyTally:
    """Counters of one classification of a node's titles, kept apart until it is known to be used."""

    titles: int = 0
    retries: int = 0
    fallbacks: int = 0
    errors: int = 0


def short_name(name: str, words: int = MAX_NAME_WORDS) -> str:
    """The name cut to at most `words` words, without a dangling connective at the end."""
    kept = name.split()[:words]
    while len(kept) > 1 and kept[-1].lower() in _DANGLING:
        kept.pop()
    return " ".join(kept)


def sanitise_categories(categories: list[CategoryDraft], limit: int) -> list[CategoryDraft]:
    """Drop generic or duplicate names, cut names to five words, and keep at most `limit` categories."""
    kept, seen = [], set()
    for category in categories:
        name = short_name(category.name.strip())
        key = name.lower()
        if not name or key in seen or key in GENERIC_CATEGORY_NAMES:
            continue
        seen.add(key)
        kept.append(CategoryDraft(name=name, description=category.description.strip()))
    return kept[:limit]


@dataclass
class StartingPoint:
    """Diagnoses ready to place: each failure's title, which ones have a usable title, and the root node."""

    errors: pd.DataFrame
    titles: dict[str, str]
    usable: list[str]
    unusable: list[str]
    root: TreeNode

    @classmethod
    def of(cls, errors: pd.DataFrame) -> "StartingPoint":
        errors = errors.reset_index(drop=True)
        titles = errors["error_title"].fillna("").str.strip()
        ok = errors["status"].eq("ok") & titles.ne("")
        ids = list(errors["failure_id"])
        root = TreeNode(ROOT_ID, "All failures", "Every analysed failure.", 0, None, "root", ids)
        return cls(
            errors, dict(zip(ids, titles)), list(errors.loc[ok, "failure_id"]), list(errors.loc[~ok, "failure_id"]), root
        )


class TaxonomyBuilder:
    """Builds a taxonomy with any judge (LLM or offline)."""

    def __init__(
        self,
        judge: Judge,
        config: TaxonomyConfig,
        seed: int,
        on_progress: Callable[[str, BuildStats], None] | None = None,
    ):
        self.judge = judge
        self.params = config
        self.seed = seed
        self.stats = BuildStats()
        self.on_progress = on_progress

    def _record(self, answer: JudgeAnswer[Any], step: str, parent: CategoryDraft | None) -> None:
        """Count an answer's cost (nothing for a stored answer) and tell the progress callback which step it finished."""
        self.stats.add(answer.requests, Usage() if answer.cached else answer.usage)
        if self.on_progress is not None:
            self.on_progress(f"{step} · {parent.name if parent else 'top level'}", self.stats)

    # --- one level -------------------------------------------------------------------------------

    async def draft_categories(
        self, titles: list[TitleCount], parent: CategoryDraft | None, salt: str
    ) -> list[CategoryDraft]:
        """The categories before review: proposed on the first batch, refined on each further batch (or tree-merged)."""
        limit = category_limit(self.params, len(titles))
        order = {t: i for i, t in enumerate(seeded_order([t.title for t in titles], self.seed, salt))}
        shuffled = sorted(titles, key=lambda t: order[t.title])
        size = max(1, int(self.params.batch_size))
        batches = [shuffled[i : i + size] for i in range(0, len(shuffled), size)]
        if self.params.induction == "tree" and len(batches) > 1:  # propose in parallel, merge pairwise (log depth)
            from errormap.taxonomy.tree import tree_categories

            return await tree_categories(self, batches, parent, limit)
        answer = await self.judge.propose_categories(batches[0], parent=parent, max_categories=limit)
        self._record(answer, "propose", parent)
        categories = sanitise_categories(answer.value.categories, limit)
        for batch in batches[1:]:
            try:
                answer = await self.judge.refine_categories(categories, batch, parent=parent, max_categories=limit)
            except JudgeError as exc:
                self.stats.judge_errors += 1
                log.warning("refine step failed, keeping the previous categories: %s", exc)
                continue
            self._record(answer, "refine", parent)
            categories = sanitise_categories(answer.value.categories, limit) or categories
        return categories

    async def review(self, categories: list[CategoryDraft], parent: CategoryDraft | None, limit: int) -> list[CategoryDraft]:
        """The method's final review of a node's categories (on failure: the categories as they were)."""
        try:
            answer = await self.judge.review_categories(categories, parent=parent, max_categories=limit)
        except JudgeError as exc:
            self.stats.judge_errors += 1
            log.warning("review step failed, keeping the categories as drafted: %s", exc)
            return categories
        self._record(answer, "review", parent)
        return sanitise_categories(answer.value.categories, limit) or categories

    async def categorise(
        self, titles: list[TitleCount], parent: CategoryDraft | None, salt: str
    ) -> tuple[list[CategoryDraft], dict[str, str]]:
        """A node's reviewed categories and every title's place among them (classified during the review when enabled)."""
        names = [t.title for t in titles]
        drafts = await self.draft_categories(titles, parent, salt)
        review = self.review(drafts, parent, category_limit(self.params, len(titles)))
        if self.params.classify_during_review:
            early_tally = ClassifyTally()
            categories, early = await asyncio.gather(review, self._classify(names, drafts, parent, early_tally))
            if categories == drafts:
                self.stats.absorb(early_tally)
                return categories, early
            self.stats.early_classifications_discarded += 1
            self.stats.judge_errors += early_tally.errors  # failed requests count, even in a discarded classification
        else:
            categories = await review
        return categories, await self.classify_titles(names, categories, parent)

    async def classify_titles(
        self, titles: list[str], categories: list[CategoryDraft], parent: CategoryDraft | None
    ) -> dict[str, str]:
        """Every title mapped to a category name, Other or Hard to analyze; never drops a title."""
        tally = ClassifyTally()
        mapping = await self._classify(titles, categories, parent, tally)
        self.stats.absorb(tally)
        return mapping

    async def _classify(
        self, titles: list[str], categories: list[CategoryDraft], parent: CategoryDraft | None, tally: ClassifyTally
    ) -> dict[str, str]:
        tally.titles += len(titles)
        size = max(1, int(self.params.classify_batch_size))
        batches = [titles[i : i + size] for i in range(0, len(titles), size)]
        results = await asyncio.gather(*(self._classify_batch(b, categories, parent, tally) for b in batches))
        merged: dict[str, str] = {}
        for result in results:
            merged.update(result)
        return merged

    async def _classify_batch(
        self, batch: list[str], categories: list[CategoryDraft], parent: CategoryDraft | None, tally: ClassifyTally
    ) -> dict[str, str]:
        valid = {c.name.lower(): c.name for c in categories}
        valid.update({OTHER.lower(): OTHER, HARD_TO_ANALYZE.lower(): HARD_TO_ANALYZE})
        placed: dict[str, str] = {}
        pending = list(batch)
        for attempt in range(2):
            if not pending:
                break
            if attempt:
                tally.retries += 1
            try:
                answer = await self.judge.classify(pending, categories, parent=parent)
            except JudgeError as exc:
                tally.errors += 1
                log.warning("classification request failed: %s", exc)
                continue
            self._record(answer, "classify", parent)
            wanted = set(pending)
            for item in answer.value.assignments:
                name = valid.get(item.category.strip().lower())
                if item.title in wanted and name is not None and item.title not in placed:
                    placed[item.title] = name
            pending = [t for t in pending if t not in placed]
        for title in pending:
            placed[title] = OTHER
        tally.fallbacks += len(pending)
        return placed

    # --- the tree ------------------------------------------------------------------------------

    async def build(self, errors: pd.DataFrame) -> tuple[Taxonomy, pd.DataFrame]:
        """Build the tree from diagnoses (columns failure_id, model, dataset, status, error_title)."""
        start = StartingPoint.of(errors)
        nodes: list[TreeNode] = [start.root]
        await self._expand(start.root, start.usable, start.titles, nodes, extra_hard=start.unusable)
        return self._finish(nodes, start.errors)

    async def _expand(
        self,
        node: TreeNode,
        failure_ids: list[str],
        titles: dict[str, str],
        nodes: list[TreeNode],
        extra_hard: list[str] | None = None,
    ) -> None:
        counts = Counter(titles[f] for f in failure_ids)
        distinct = [TitleCount(t, c) for t, c in sorted(counts.items())]
        parent = None if node.kind == "root" else CategoryDraft(name=node.name, description=node.description)
        categories: list[CategoryDraft] = []
        mapping: dict[str, str] = {}
        if len(distinct) >= 2:
            try:
                categories, mapping = await self.categorise(distinct, parent, salt=node.id)
            except JudgeError as exc:
                if node.kind == "root":
                    raise
                self.stats.judge_errors += 1
                log.warning("could not split %r: %s", node.name, exc)
        elif len(distinct) == 1 and node.kind == "root":
            only = distinct[0].title
            categories, mapping = [CategoryDraft(name=only, description="Every usable diagnosis has this title.")], {only: only}
        children: list[TreeNode] = []
        if categories or node.kind == "root":
            children = self._children(node, categories, mapping, failure_ids, titles, extra_hard or [])
        if node.kind != "root" and len(children) < 2:
            children = []
        nodes.extend(children)
        if children:
            log.info(
                "taxonomy: %s (%d failures, %d distinct titles) -> %s",
                node.name, len(failure_ids) + len(extra_hard or []), len(distinct),
                ", ".join(f"{c.name} ({len(c.failure_ids)})" for c in children),
            )
        tasks = []
        for child in children:
            child_titles = {titles[f] for f in child.failure_ids if f in titles}
            if (
                child.kind == "category"
                and child.depth < self.params.max_depth
                and len(child_titles) > self.params.min_titles_to_split
            ):
                tasks.append(self._expand(child, child.failure_ids, titles, nodes))
        await asyncio.gather(*tasks)

    def _children(
        self,
        node: TreeNode,
        categories: list[CategoryDraft],
        mapping: dict[str, str],
        failure_ids: list[str],
        titles: dict[str, str],
        hard_ids: list[str],
    ) -> list[TreeNode]:
        members: dict[str, list[str]] = {c.name: [] for c in categories}
        members[OTHER] = []
        members[HARD_TO_ANALYZE] = list(hard_ids)
        for failure in failure_ids:
            members[mapping.get(titles[failure], OTHER)].append(failure)
        total = len(failure_ids) + len(hard_ids)
        kept = []
        for category in categories:
            share = len(members[category.name]) / total if total else 0.0
            if members[category.name] and share >= self.params.rare_share:
                kept.append(category)
            else:
                members[OTHER].extend(members.pop(category.name))
        kept.sort(key=lambda c: (-len(members[c.name]), c.name))
        prefix = "" if node.kind == "root" else f"{node.id}."
        depth = node.depth + 1
        children = [
            TreeNode(f"{prefix}{i}", c.name, c.description, depth, node.id, "category", members[c.name])
            for i, c in enumerate(kept, start=1)
        ]
        if members[OTHER]:
            description = "Failures that fit none of the categories at this level, or fell into categories too rare to keep."
            children.append(TreeNode(f"{prefix}other", OTHER, description, depth, node.id, "other", members[OTHER]))
        if members[HARD_TO_ANALYZE]:
            description = "Failures whose diagnosis is missing, failed, or too vague to place."
            children.append(TreeNode(f"{prefix}hard", HARD_TO_ANALYZE, description, depth, node.id, "hard", members[HARD_TO_ANALYZE]))
        return children

    def _finish(self, nodes: list[TreeNode], errors: pd.DataFrame) -> tuple[Taxonomy, pd.DataFrame]:
        return assemble(
            nodes, errors, self.judge.judge_id, self.judge.prompt_version, {**self.params.model_dump(), "seed": self.seed}
        )


def taxonomy_metrics(taxonomy: Taxonomy, stats: BuildStats) -> dict[str, object]:
    """The metrics of the taxonomy stage."""
    per_level: dict[str, int] = {}
    for node in taxonomy.nodes:
        if node.kind == "category":
            per_level[f"level_{node.depth}"] = per_level.get(f"level_{node.depth}", 0) + 1
    shares = coverage(taxonomy)
    return {
        "failures": taxonomy.total_failures,
        "depth": taxonomy.depth(),
        "categories_per_level": per_level,
        "coverage": round(shares["coverage"], 6),
        "diagnosed_coverage": round(shares["diagnosed_coverage"], 6),
        "other_share": round(shares["other_share"], 6),
        "hard_share": round(shares["hard_share"], 6),
        "judge_requests": stats.requests,
        "prompt_tokens": stats.usage.prompt_tokens,
        "completion_tokens": stats.usage.completion_tokens,
        "titles_classified": stats.titles_classified,
        "classification_fallbacks": stats.classification_fallbacks,
        "fallback_share": round(stats.classification_fallbacks / stats.titles_classified, 6) if stats.titles_classified else 0.0,
        "classification_retries": stats.classification_retries,
        "early_classifications_discarded": stats.early_classifications_discarded,
        "judge_errors": stats.judge_errors,
    }
