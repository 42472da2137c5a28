"""Comparing two taxonomy versions, level by level.

Categories of the two versions are linked by the failures they hold when both classified the same
failures (member overlap), otherwise by the similarity of their names, descriptions and example
titles (TF-IDF cosine). Each connected group of links is one change: one to one is a match (kept,
reworded or renamed), one to many a split, many to one a merge, many to many a regrouping; an
unlinked category was added or removed. With shared failures the diff also reports agreement
(adjusted Rand index, NMI, matched precision and recall) and which failures moved where.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from errormap.taxonomy.model import ROOT_ID, Taxonomy, TaxonomyNode

DIFF_FORMAT = "errormap.taxonomy-diff/1"
Method = Literal["members", "text"]
ChangeKind = Literal["matched", "reworded", "renamed", "split", "merged", "regrouped", "added", "removed"]
KIND_ORDER: tuple[str, ...] = ("removed", "added", "split", "merged", "regrouped", "renamed", "reworded", "matched")
SCORE_NAME = {"members": "Jaccard", "text": "cosine"}
MIN_SHARED = 0.5  # share of either side's failures the other must have classified too for member matching


class Thresholds(BaseModel):
    """When two categories are linked, and when a one-to-one link still means the same thing."""

    member_link: float = Field(0.5, description="Share of either category's failures that lands in the other.")
    text_link: float = Field(0.2, description="TF-IDF cosine of the two categories' texts (for the best pairs only).")
    member_same: float = Field(0.5, description="Jaccard below which a one-to-one match changed what it holds.")
    text_same: float = Field(0.4, description="Cosine below which a one-to-one match changed meaning.")


class CategoryRef(BaseModel):
    id: str
    name: str
    count: int | None = Field(None, description="Failures it holds; None for a taxonomy built from none (a seed).")
    parent: str | None = Field(None, description="The parent's name, below the top level.")


class Link(BaseModel):
    before: str
    after: str
    score: float


class Change(BaseModel):
    kind: ChangeKind
    before: list[CategoryRef]
    after: list[CategoryRef]
    scores: list[Link] = Field(default_factory=list)
    meaning_changed: bool = False
    summary: str


class LevelDiff(BaseModel):
    depth: int
    changes: list[Change]

    def counts(self) -> dict[str, int]:
        found = Counter(c.kind for c in self.changes)
        return {kind: found.get(kind, 0) for kind in reversed(KIND_ORDER)}


class Moved(BaseModel):
    before: str
    after: str
    count: int
    examples: list[str]


class TaxonomyDiff(BaseModel):
    format: str = DIFF_FORMAT
    a: str
    b: str
    method: Method
    score: str
    shared_failures: int
    thresholds: Thresholds
    levels: list[LevelDiff]
    agreement: dict[str, float] | None = None
    moved: list[Moved] = Field(default_factory=list)

    def changed(self) -> bool:
        return any(c.kind != "matched" or c.meaning_changed for level in self.levels for c in level.changes)


# --- linking ---------------------------------------------------------------------------------------


def categories_at(taxonomy: Taxonomy, depth: int) -> list[TaxonomyNode]:
    return [n for n in taxonomy.nodes if n.kind == "category" and n.depth == depth]


def members_at(assignments: pd.DataFrame, depth: int, ids: list[str], shared: set[str]) -> list[set[str]]:
    """The shared failures each category holds at `depth`."""
    column = f"level_{depth}"
    groups: dict[str, set[str]] = {i: set() for i in ids}
    if column in assignments.columns:
        for failure, category in zip(assignments["failure_id"], assignments[column]):
            if failure in shared and category in groups:
                groups[category].add(failure)
    return [groups[i] for i in ids]


def member_scores(members_a: list[set[str]], members_b: list[set[str]], link: float) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard of every pair, and which pairs are linked (most of one side lands in the other)."""
    jaccard = np.zeros((len(members_a), len(members_b)))
    linked = np.zeros_like(jaccard, dtype=bool)
    for i, a in enumerate(members_a):
        for j, b in enumerate(members_b):
            common = len(a & b)
            if not common:
                continue
            jaccard[i, j] = common / len(a | b)
            linked[i, j] = common / len(a) >= link or common / len(b) >= link
    return jaccard, linked


def category_text(node: TaxonomyNode) -> str:
    titles = "; ".join(title for title, _ in node.top_titles[:8])
    return f"{node.name}. {node.name}. {node.description} {titles}"


def text_scores(nodes_a: list[TaxonomyNode], nodes_b: list[TaxonomyNode], link: float) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF cosine (words and character n-grams) of every pair; a pair is linked when it is one side's best."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity
    from sklearn.pipeline import FeatureUnion

    if not nodes_a or not nodes_b:
        empty = np.zeros((len(nodes_a), len(nodes_b)))
        return empty, empty.astype(bool)
    texts = [category_text(n) for n in nodes_a + nodes_b]
    vectorizer = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
    ])
    vectors = vectorizer.fit_transform(texts)
    cosine = np.clip(cosine_similarity(vectors[: len(nodes_a)], vectors[len(nodes_a) :]), 0.0, 1.0)
    best_b = cosine.argmax(axis=1)
    best_a = cosine.argmax(axis=0)
    linked = np.zeros_like(cosine, dtype=bool)
    for i, j in np.argwhere(cosine >= link):
        linked[i, j] = best_b[i] == j or best_a[j] == i
    return cosine, linked


def components(linked: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Connected groups of the bipartite link graph (every category in exactly one group)."""
    n_a, n_b = linked.shape
    parent = list(range(n_a + n_b))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in np.argwhere(linked):
        parent[find(int(i))] = find(n_a + int(j))
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for node in range(n_a + n_b):
        side = groups.setdefault(find(node), ([], []))
        (side[0] if node < n_a else side[1]).append(node if node < n_a else node - n_a)
    return list(groups.values())


# --- changes ---------------------------------------------------------------------------------------


def _ref(taxonomy: Taxonomy, node: TaxonomyNode) -> CategoryRef:
    parent = taxonomy.node(node.parent).name if node.parent and node.parent != ROOT_ID else None
    count = node.count if taxonomy.total_failures else None
    return CategoryRef(id=node.id, name=node.name, count=count, parent=parent)


def _names(refs: list[CategoryRef]) -> str:
    return ", ".join(f"'{r.name}'" for r in refs)


def _same(text_a: str, text_b: str) -> bool:
    return " ".join(text_a.lower().split()) == " ".join(text_b.lower().split())


def describe_group(
    before: list[TaxonomyNode], after: list[TaxonomyNode], refs: tuple[list[CategoryRef], list[CategoryRef]],
    links: list[Link], method: Method, thresholds: Thresholds,
) -> Change:
    """One change from one connected group of linked categories."""
    ra, rb = refs
    label = SCORE_NAME[method]
    if not after:
        return Change(kind="removed", before=ra, after=[], summary=f"{_names(ra)} removed")
    if not before:
        return Change(kind="added", before=[], after=rb, summary=f"{_names(rb)} added")
    scores = f"{label} " + ", ".join(f"{link.score:.2f}" for link in links)
    if len(before) == 1 and len(after) == 1:
        a, b = before[0], after[0]
        score = links[0].score if links else 0.0
        changed = score < (thresholds.member_same if method == "members" else thresholds.text_same)
        if not _same(a.name, b.name):
            kind: ChangeKind = "renamed"
            summary = f"'{a.name}' renamed to '{b.name}' ({scores})"
        elif not _same(a.description, b.description):
            kind, summary = "reworded", f"'{a.name}' reworded ({scores})"
        else:
            kind, summary = "matched", f"'{a.name}' kept ({scores})"
        if changed:
            summary += ": what it holds changed"
        return Change(kind=kind, before=ra, after=rb, scores=links, meaning_changed=changed, summary=summary)
    if len(before) == 1:
        kind, summary = "split", f"'{before[0].name}' split into {_names(rb)} ({scores})"
    elif len(after) == 1:
        kind, summary = "merged", f"{_names(ra)} merged into '{after[0].name}' ({scores})"
    else:
        kind, summary = "regrouped", f"{_names(ra)} regrouped into {_names(rb)} ({scores})"
    return Change(kind=kind, before=ra, after=rb, scores=links, summary=summary)


def level_diff(
    a: Taxonomy, b: Taxonomy, depth: int, method: Method, thresholds: Thresholds,
    assignments: tuple[pd.DataFrame, pd.DataFrame] | None = None, shared: set[str] | None = None,
) -> tuple[LevelDiff, list[tuple[list[str], list[str]]]]:
    """The changes at one depth, and the groups as (ids before, ids after)."""
    nodes_a, nodes_b = categories_at(a, depth), categories_at(b, depth)
    if method == "members" and assignments is not None:
        members_a = members_at(assignments[0], depth, [n.id for n in nodes_a], shared or set())
        members_b = members_at(assignments[1], depth, [n.id for n in nodes_b], shared or set())
        score, linked = member_scores(members_a, members_b, thresholds.member_link)
    else:
        score, linked = text_scores(nodes_a, nodes_b, thresholds.text_link)
    changes, groups = [], []
    for ia, ib in components(linked):
        before, after = [nodes_a[i] for i in ia], [nodes_b[j] for j in ib]
        links = [
            Link(before=nodes_a[i].id, after=nodes_b[j].id, score=round(float(score[i, j]), 3))
            for i in ia for j in ib if linked[i, j]
        ]
        refs = ([_ref(a, n) for n in before], [_ref(b, n) for n in after])
        changes.append(describe_group(before, after, refs, links, method, thresholds))
        groups.append(([n.id for n in before], [n.id for n in after]))
    changes.sort(key=lambda c: (KIND_ORDER.index(c.kind), -sum(r.count or 0 for r in c.before + c.after)))
    return LevelDiff(depth=depth, changes=changes), groups


# --- shared failures -------------------------------------------------------------------------------


def shared_failures(assignments_a: pd.DataFrame | None, assignments_b: pd.DataFrame | None) -> set[str]:
    if assignments_a is None or assignments_b is None:
        return set()
    return set(assignments_a["failure_id"]) & set(assignments_b["failure_id"])


def moved_failures(
    a: Taxonomy, b: Taxonomy, assignments_a: pd.DataFrame, assignments_b: pd.DataFrame,
    groups: list[tuple[list[str], list[str]]], examples: int = 3,
) -> list[Moved]:
    """Failures whose top-level category in B is not a counterpart of their category in A."""
    counterpart: dict[str, set[str]] = {}
    for ids_a, ids_b in groups:
        for category in ids_a:
            counterpart.setdefault(category, set()).update(ids_b)
    kinds_a = {n.id: n.kind for n in a.nodes}
    kinds_b = {n.id: n.kind for n in b.nodes}
    names_a = {n.id: n.name for n in a.nodes}
    names_b = {n.id: n.name for n in b.nodes}
    joined = assignments_a[["failure_id", "level_1", "error_title"]].merge(
        assignments_b[["failure_id", "level_1"]], on="failure_id", suffixes=("_a", "_b")
    )
    moves: dict[tuple[str, str], list[str]] = {}
    for row in joined.itertuples(index=False):
        before, after = row.level_1_a, row.level_1_b
        if kinds_a.get(before) == "category":
            stayed = after in counterpart.get(before, set())
        else:
            stayed = kinds_a.get(before) == kinds_b.get(after)
        if not stayed:
            key = (names_a.get(before, before or "(none)"), names_b.get(after, after or "(none)"))
            moves.setdefault(key, []).append(str(row.error_title or ""))
    table = [
        Moved(before=k[0], after=k[1], count=len(titles),
              examples=[t for t, _ in Counter(t for t in titles if t).most_common(examples)])
        for k, titles in moves.items()
    ]
    return sorted(table, key=lambda m: (-m.count, m.before, m.after))


def diff_taxonomies(
    a: Taxonomy, b: Taxonomy,
    assignments_a: pd.DataFrame | None = None, assignments_b: pd.DataFrame | None = None,
    *, label_a: str = "A", label_b: str = "B", method: Method | Literal["auto"] = "auto",
    thresholds: Thresholds | None = None,
) -> TaxonomyDiff:
    """Every level's changes from A to B; agreement and moved failures when both placed the same failures."""
    thresholds = thresholds or Thresholds()
    shared = shared_failures(assignments_a, assignments_b)
    enough = bool(shared) and assignments_a is not None and assignments_b is not None and (
        len(shared) >= MIN_SHARED * max(len(assignments_a), len(assignments_b))
    )
    if method == "members" and not shared:
        raise ValueError("member matching needs both versions' assignments with shared failures")
    chosen: Method = "members" if method == "members" or (method == "auto" and enough) else "text"
    pair = (assignments_a, assignments_b) if chosen == "members" else None
    levels, top_groups = [], []
    for depth in range(1, max(a.depth(), b.depth()) + 1):
        level, groups = level_diff(a, b, depth, chosen, thresholds, pair, shared)  # type: ignore[arg-type]
        levels.append(level)
        top_groups = groups if depth == 1 else top_groups
    agreement, moved = None, []
    if shared and assignments_a is not None and assignments_b is not None:
        from errormap.taxonomy.quality import agreement as top_agreement

        agreement = {k: round(float(v), 6) for k, v in top_agreement(a, assignments_a, b, assignments_b).items()}
        if chosen == "members":
            moved = moved_failures(a, b, assignments_a, assignments_b, top_groups)
    return TaxonomyDiff(
        a=label_a, b=label_b, method=chosen, score=SCORE_NAME[chosen], shared_failures=len(shared),
        thresholds=thresholds, levels=levels, agreement=agreement, moved=moved,
    )


# --- Markdown ----------------------------------------------------------------------------------------


def _cell(refs: list[CategoryRef]) -> str:
    shown = [f"{r.parent} › {r.name}" if r.parent else r.name for r in refs]
    return "<br>".join(name if r.count is None else f"{name} ({r.count})" for name, r in zip(shown, refs)) or "—"


def score_text(change: Change, separator: str = "<br>") -> str:
    """The change's scores; with several links, each named by the category on the side that has several."""
    if len(change.scores) <= 1:
        return f"{change.scores[0].score:.2f}" if change.scores else "—"
    before = {r.id: r.name for r in change.before}
    after = {r.id: r.name for r in change.after}
    parts = []
    for link in change.scores:
        name = (after[link.after] if change.kind == "split" else before[link.before] if change.kind == "merged"
                else f"{before[link.before]} → {after[link.after]}")
        parts.append(f"{name}: {link.score:.2f}")
    return separator.join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def diff_markdown(diff: TaxonomyDiff, bump: str | None = None, reasons: list[str] | None = None, heading: int = 2) -> str:
    """The diff as Markdown, for a changelog or a pull request."""
    h = "#" * heading
    method = (
        f"member overlap (Jaccard) on {diff.shared_failures} shared failures" if diff.method == "members"
        else "name, description and example titles (TF-IDF cosine)"
    )
    lines = [f"{h} Taxonomy diff: `{diff.a}` → `{diff.b}`", "", f"Categories matched by {method}."]
    if bump:
        lines += ["", f"Release bump required: **{bump}**" + (f" ({'; '.join(reasons)})" if reasons else "") + "."]
    kinds = [k for k in reversed(KIND_ORDER)]
    lines += ["", "| level | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    for level in diff.levels:
        counts = level.counts()
        lines.append(f"| {level.depth} | " + " | ".join(str(counts[k]) for k in kinds) + " |")
    for level in diff.levels:
        lines += ["", f"{h}# Level {level.depth}", "", f"| change | {diff.a} | {diff.b} | {diff.score} |", "|---|---|---|---|"]
        for change in level.changes:
            score = score_text(change)
            flag = " (meaning changed)" if change.meaning_changed else ""
            lines.append(f"| {change.kind}{flag} | {_escape(_cell(change.before))} | {_escape(_cell(change.after))} | {score} |")
    if diff.agreement:
        g = diff.agreement
        lines += [
            "", f"{h}# Agreement on {int(g['failures_compared'])} shared failures (top level)", "",
            "| adjusted Rand index | NMI | matched precision | matched recall |", "|---|---|---|---|",
            f"| {g['adjusted_rand_index']:.3f} | {g['normalized_mutual_info']:.3f} | {g['matched_precision']:.3f} | {g['matched_recall']:.3f} |",
        ]
    if diff.method == "members":
        lines += ["", f"{h}# Moved failures (top level)", ""]
        if diff.moved:
            lines += [f"| from ({diff.a}) | to ({diff.b}) | failures | example titles |", "|---|---|---|---|"]
            lines += [f"| {_escape(m.before)} | {_escape(m.after)} | {m.count} | {_escape('; '.join(m.examples))} |" for m in diff.moved]
        else:
            lines.append("No failure changed to a category that is not its category's counterpart.")
    return "\n".join(lines) + "\n"
