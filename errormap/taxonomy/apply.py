"""Applying a fixed taxonomy to new failures: top-down classification, categories unchanged."""

from __future__ import annotations

import pandas as pd

from errormap.judge import Judge
from errormap.judge.schemas import CategoryDraft
from errormap.settings import TaxonomyConfig
from errormap.taxonomy.builder import BuildStats, StartingPoint, TaxonomyBuilder
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER, Taxonomy, TreeNode, assemble


async def apply_taxonomy(
    taxonomy: Taxonomy, errors: pd.DataFrame, judge: Judge, config: TaxonomyConfig, seed: int = 0
) -> tuple[Taxonomy, pd.DataFrame, BuildStats]:
    """Classify new failures into an existing taxonomy, top-down, without changing its categories."""
    builder = TaxonomyBuilder(judge, config, seed)
    start = StartingPoint.of(errors)
    titles = start.titles
    nodes = [start.root]

    async def place(node: TreeNode, failure_ids: list[str], hard: list[str]) -> None:
        categories = [n for n in taxonomy.children(node.id) if n.kind == "category"]
        if not categories:
            return
        drafts = [CategoryDraft(name=c.name, description=c.description) for c in categories]
        parent = None if node.kind == "root" else CategoryDraft(name=node.name, description=node.description)
        distinct = sorted({titles[f] for f in failure_ids})
        mapping = await builder.classify_titles(distinct, drafts, parent) if distinct else {}
        ids = {c.name: c.id for c in categories}
        groups: dict[str, list[str]] = {}
        for failure in failure_ids:
            groups.setdefault(mapping.get(titles[failure], OTHER), []).append(failure)
        if hard:
            groups.setdefault(HARD_TO_ANALYZE, []).extend(hard)
        for name, members in groups.items():
            if name in ids:
                child_id, kind = ids[name], "category"
            else:
                suffix = "hard" if name == HARD_TO_ANALYZE else "other"
                child_id = suffix if node.kind == "root" else f"{node.id}.{suffix}"
                kind = suffix
            template = next((c for c in categories if c.id == child_id), None)
            description = template.description if template else f"Failures placed in {name} when applying the taxonomy."
            child = TreeNode(child_id, name, description, node.depth + 1, node.id, kind, members)  # type: ignore[arg-type]
            nodes.append(child)
            if kind == "category":
                await place(child, members, [])

    await place(start.root, start.usable, start.unusable)
    applied, assignments = assemble(nodes, start.errors, judge.judge_id, judge.prompt_version, dict(taxonomy.params))
    return applied, assignments, builder.stats
