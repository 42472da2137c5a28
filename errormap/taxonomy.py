"""The error taxonomy: a tree model and the recursive, judge-driven builder.

At each node: collect distinct error titles, propose categories on a first batch, refine on each
further batch, review, classify every title (or Other / Hard to analyze), merge rare categories
into Other, then recurse into large categories. Every failure ends on exactly one root-to-leaf path.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from errormap.judge import Judge, JudgeAnswer, JudgeError, TitleCount
from errormap.schemas import GENERIC_CATEGORY_NAMES, HARD_TO_ANALYZE, MAX_NAME_WORDS, OTHER, CategoryDraft, Usage

log = logging.getLogger(__name__)
_DANGLING = {"and", "or", "of", "the", "a", "an", "in", "to", "with", "for", "on", "by", "&", "-"}
ROOT_ID = "root"
TAXONOMY_FORMAT = "errormap.taxonomy/1"
NodeKind = Literal["root", "category", "other", "hard"]


class TaxonomyNode(BaseModel):
    """One node of the tree; counts cover every failure below it."""

    id: str
    name: str
    description: str
    depth: int
    parent: str | None
    kind: NodeKind = "category"
    count: int = 0
    share: float = 0.0
    per_model: dict[str, int] = Field(default_factory=dict)
    per_dataset: dict[str, int] = Field(default_factory=dict)
    top_titles: list[tuple[str, int]] = Field(default_factory=list)


class Taxonomy(BaseModel):
    """A built taxonomy with what built it: the content of taxonomy.json."""

    format: str = TAXONOMY_FORMAT
    judge_id: str
    prompt_version: str
    params: dict[str, object]
    total_failures: int
    nodes: list[TaxonomyNode]

    def node(self, node_id: str) -> TaxonomyNode:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def children(self, node_id: str) -> list[TaxonomyNode]:
        return [n for n in self.nodes if n.parent == node_id]

    def depth(self) -> int:
        return max((n.depth for n in self.nodes), default=0)


@dataclass
class TaxonomyParams:
    """How the taxonomy is built (the `taxonomy` config group)."""

    max_categories: int | None = None
    min_categories: int = 2
    category_cap: int = 25
    category_ratio: float = 0.1
    batch_size: int = 500
    classify_batch_size: int = 50
    rare_share: float = 0.02
    min_titles_to_split: int = 5
    max_depth: int = 2
    seed: int = 0

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> "TaxonomyParams":
        fields = cls.__dataclass_fields__
        unknown = set(values) - set(fields)
        if unknown:
            raise ValueError(f"unknown taxonomy parameter(s): {sorted(unknown)}")
        return cls(**values)  # type: ignore[arg-type]

    def category_limit(self, distinct_titles: int) -> int:
        if self.max_categories:
            return int(self.max_categories)
        return max(self.min_categories, min(self.category_cap, math.ceil(self.category_ratio * distinct_titles)))


@dataclass
class BuildStats:
    """Cost and quality counters of one build."""

    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    classification_fallbacks: int = 0
    classification_retries: int = 0
    judge_errors: int = 0

    def add(self, requests: int, usage: Usage) -> None:
        self.requests += requests
        self.usage = self.usage + usage


@dataclass
class TreeNode:
    id: str
    name: str
    description: str
    depth: int
    parent: str | None
    kind: NodeKind
    failure_ids: list[str]


def _seeded_order(items: list[str], seed: int, salt: str) -> list[str]:
    digest = hashlib.sha256(f"{seed}\x1f{salt}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return [items[i] for i in rng.permutation(len(items))]


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


class TaxonomyBuilder:
    """Builds a taxonomy with any judge (LLM or offline)."""

    def __init__(
        self, judge: Judge, params: TaxonomyParams, on_progress: Callable[[str, BuildStats], None] | None = None
    ):
        self.judge = judge
        self.params = params
        self.stats = BuildStats()
        self.on_progress = on_progress

    def _record(self, answer: JudgeAnswer[Any], step: str, parent: CategoryDraft | None) -> None:
        """Count an answer's cost (nothing for a stored answer) and tell the progress callback which step it finished."""
        self.stats.add(answer.requests, Usage() if answer.cached else answer.usage)
        if self.on_progress is not None:
            self.on_progress(f"{step} · {parent.name if parent else 'top level'}", self.stats)

    # --- one level -------------------------------------------------------------------------------

    async def induce_categories(
        self, titles: list[TitleCount], parent: CategoryDraft | None, salt: str
    ) -> list[CategoryDraft]:
        """Propose on the first batch, refine on each further batch, then review."""
        limit = self.params.category_limit(len(titles))
        order = {t: i for i, t in enumerate(_seeded_order([t.title for t in titles], self.params.seed, salt))}
        shuffled = sorted(titles, key=lambda t: order[t.title])
        size = max(1, int(self.params.batch_size))
        batches = [shuffled[i : i + size] for i in range(0, len(shuffled), size)]
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
        try:
            answer = await self.judge.review_categories(categories, parent=parent, max_categories=limit)
            self._record(answer, "review", parent)
            categories = sanitise_categories(answer.value.categories, limit) or categories
        except JudgeError as exc:
            self.stats.judge_errors += 1
            log.warning("review step failed, keeping the refined categories: %s", exc)
        return categories

    async def classify_titles(
        self, titles: list[str], categories: list[CategoryDraft], parent: CategoryDraft | None
    ) -> dict[str, str]:
        """Every title mapped to a category name, Other or Hard to analyze; never drops a title."""
        size = max(1, int(self.params.classify_batch_size))
        batches = [titles[i : i + size] for i in range(0, len(titles), size)]
        results = await asyncio.gather(*(self._classify_batch(b, categories, parent) for b in batches))
        merged: dict[str, str] = {}
        for result in results:
            merged.update(result)
        return merged

    async def _classify_batch(
        self, batch: list[str], categories: list[CategoryDraft], parent: CategoryDraft | None
    ) -> dict[str, str]:
        valid = {c.name.lower(): c.name for c in categories}
        valid.update({OTHER.lower(): OTHER, HARD_TO_ANALYZE.lower(): HARD_TO_ANALYZE})
        placed: dict[str, str] = {}
        pending = list(batch)
        for attempt in range(2):
            if not pending:
                break
            if attempt:
                self.stats.classification_retries += 1
            try:
                answer = await self.judge.classify(pending, categories, parent=parent)
            except JudgeError as exc:
                self.stats.judge_errors += 1
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
        self.stats.classification_fallbacks += len(pending)
        return placed

    # --- the tree ------------------------------------------------------------------------------

    async def build(self, errors: pd.DataFrame) -> tuple[Taxonomy, pd.DataFrame]:
        """Build the tree from diagnoses (columns failure_id, model, dataset, status, error_title)."""
        errors = errors.reset_index(drop=True)
        usable = errors["status"].eq("ok") & errors["error_title"].fillna("").str.strip().ne("")
        titles = dict(zip(errors["failure_id"], errors["error_title"].fillna("").str.strip()))
        root = TreeNode(ROOT_ID, "All failures", "Every analysed failure.", 0, None, "root", list(errors["failure_id"]))
        nodes: list[TreeNode] = [root]
        unusable = list(errors.loc[~usable, "failure_id"])
        usable_ids = list(errors.loc[usable, "failure_id"])
        await self._expand(root, usable_ids, titles, nodes, extra_hard=unusable)
        return self._finish(nodes, errors)

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
                categories = await self.induce_categories(distinct, parent, salt=node.id)
            except JudgeError as exc:
                if node.kind == "root":
                    raise
                self.stats.judge_errors += 1
                log.warning("could not split %r: %s", node.name, exc)
            if categories:
                mapping = await self.classify_titles([t.title for t in distinct], categories, parent)
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
        return assemble(nodes, errors, self.judge.judge_id, self.judge.prompt_version, asdict(self.params))


def assemble(
    nodes: list[TreeNode], errors: pd.DataFrame, judge_id: str, prompt_version: str, params: dict[str, object]
) -> tuple[Taxonomy, pd.DataFrame]:
    """Counts per node, and the per-failure path table, from the raw tree."""
    info = errors.set_index("failure_id")
    total = len(errors)
    ordered = sorted(nodes, key=lambda n: (n.depth, _sort_key(n.id)))
    built = []
    for node in ordered:
        subset = info.loc[node.failure_ids] if node.failure_ids else info.iloc[0:0]
        title_counts = Counter(subset["error_title"].fillna("").tolist())
        built.append(
            TaxonomyNode(
                id=node.id,
                name=node.name,
                description=node.description,
                depth=node.depth,
                parent=node.parent,
                kind=node.kind,
                count=len(node.failure_ids),
                share=len(node.failure_ids) / total if total else 0.0,
                per_model={str(k): int(v) for k, v in subset["model"].value_counts().sort_index().items()},
                per_dataset={str(k): int(v) for k, v in subset["dataset"].value_counts().sort_index().items()},
                top_titles=[(t, c) for t, c in sorted(title_counts.items(), key=lambda x: (-x[1], x[0]))[:20] if t],
            )
        )
    taxonomy = Taxonomy(
        judge_id=judge_id, prompt_version=prompt_version, params=params, total_failures=total, nodes=built
    )
    return taxonomy, assignments_table(taxonomy, nodes, errors)


def _sort_key(node_id: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in node_id.split("."))


def assignments_table(taxonomy: Taxonomy, nodes: list[TreeNode], errors: pd.DataFrame) -> pd.DataFrame:
    """One row per failure with the category id at every depth (empty below its leaf)."""
    max_depth = max(1, taxonomy.depth())
    path: dict[str, dict[int, str]] = {f: {} for f in errors["failure_id"]}
    for node in nodes:
        if node.kind == "root":
            continue
        for failure in node.failure_ids:
            path[failure][node.depth] = node.id
    names = {n.id: n.name for n in taxonomy.nodes}
    table = errors[["failure_id", "dataset", "example_id", "model", "error_title"]].copy()
    for depth in range(1, max_depth + 1):
        ids = [path[f].get(depth, "") for f in table["failure_id"]]
        table[f"level_{depth}"] = ids
        table[f"level_{depth}_name"] = [names.get(i, "") for i in ids]
    table["leaf"] = [path[f][max(path[f])] if path[f] else "" for f in table["failure_id"]]
    return table


def coverage(taxonomy: Taxonomy) -> dict[str, float]:
    """Shares of all failures placed in a real top-level category, in Other, and in Hard to analyze."""
    total = taxonomy.total_failures or 1
    top = taxonomy.children(ROOT_ID)
    placed = sum(n.count for n in top if n.kind == "category")
    other = sum(n.count for n in top if n.kind == "other")
    hard = sum(n.count for n in top if n.kind == "hard")
    return {"coverage": placed / total, "other_share": other / total, "hard_share": hard / total}


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
        "other_share": round(shares["other_share"], 6),
        "hard_share": round(shares["hard_share"], 6),
        "judge_requests": stats.requests,
        "prompt_tokens": stats.usage.prompt_tokens,
        "completion_tokens": stats.usage.completion_tokens,
        "classification_fallbacks": stats.classification_fallbacks,
        "classification_retries": stats.classification_retries,
        "judge_errors": stats.judge_errors,
    }
