"""The taxonomy tree: nodes, ids, the per-failure path table and coverage.

Ids are paths: `1`, `1.2`, `other`, `1.other`, `hard`; the root is `root`. A node's children
partition its failures; Other and Hard to analyze are reserved kinds, never named categories.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import pandas as pd

ROOT_ID = "root"
TAXONOMY_FORMAT = "errormap.taxonomy/1"
OTHER = "Other"
HARD_TO_ANALYZE = "Hard to analyze"
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
class TreeNode:
    id: str
    name: str
    description: str
    depth: int
    parent: str | None
    kind: NodeKind
    failure_ids: list[str]


def assemble(
    nodes: list[TreeNode], errors: pd.DataFrame, judge_id: str, prompt_version: str, params: dict[str, object]
) -> tuple[Taxonomy, pd.DataFrame]:
    """Counts per node, and the per-failure path table, from the raw tree."""
    facts = _failure_facts(errors)
    total = len(errors)
    ordered = sorted(nodes, key=lambda n: (n.depth, _sort_key(n.id)))
    built = []
    for node in ordered:
        rows = [facts[f] for f in node.failure_ids]
        title_counts = Counter(title for title, _, _ in rows)
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
                per_model=_sorted_counts(model for _, model, _ in rows),
                per_dataset=_sorted_counts(dataset for _, _, dataset in rows),
                top_titles=[(t, c) for t, c in sorted(title_counts.items(), key=lambda x: (-x[1], x[0]))[:20] if t],
            )
        )
    taxonomy = Taxonomy(
        judge_id=judge_id, prompt_version=prompt_version, params=params, total_failures=total, nodes=built
    )
    return taxonomy, assignments_table(taxonomy, nodes, errors)


def _failure_facts(errors: pd.DataFrame) -> dict[str, tuple[str, str, str]]:
    """Each failure's (title, model, dataset); a missing title is empty."""
    titles = errors["error_title"].fillna("").astype(str)
    return dict(zip(errors["failure_id"], zip(titles, errors["model"].astype(str), errors["dataset"].astype(str))))


def _sorted_counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


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
    """Shares of all failures placed in a real top-level category, in Other, and in Hard to analyze.

    `diagnosed_coverage` leaves out Hard to analyze (no usable diagnosis: the judge failed or, for
    the offline judge, no rule could explain it): of the failures the judge did diagnose, the share
    the taxonomy places in a named category. It is what the taxonomy is answerable for.
    """
    total = taxonomy.total_failures or 1
    top = taxonomy.children(ROOT_ID)
    placed = sum(n.count for n in top if n.kind == "category")
    other = sum(n.count for n in top if n.kind == "other")
    hard = sum(n.count for n in top if n.kind == "hard")
    diagnosed = placed + other
    return {
        "coverage": placed / total,
        "diagnosed_coverage": placed / diagnosed if diagnosed else 0.0,
        "other_share": other / total,
        "hard_share": hard / total,
    }


