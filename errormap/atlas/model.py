"""The release model: one published, fixed version of the error atlas (the content of a release's taxonomy.json).

A release keeps what classifying into it needs (every category's id, name, description, example
error titles and parent) and what it was built on (counts and shares at build time, provenance,
coverage and stability). Other and Hard to analyze are implied at every level, never listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from errormap.errors import UserError
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER, ROOT_ID, Taxonomy, TaxonomyNode

ATLAS_FORMAT = "errormap.atlas/1"
ATLAS_NAME = "error-atlas"
MAX_EXAMPLES = 8


class ReleaseError(UserError):
    """A release that cannot be read, resolved or published; the message says why."""


class AtlasCategory(BaseModel):
    """One category of a release."""

    id: str = Field(description="Path id: '3' at the top level, '3.2' below it.")
    name: str
    description: str
    parent: str | None = Field(default=None, description="The parent's id; None at the top level.")
    depth: int = Field(default=1, ge=1)
    examples: list[str] = Field(default_factory=list, description="Typical error titles that belong here.")
    count: int = Field(default=0, ge=0, description="Failures it held when the release was built.")
    share: float = Field(default=0.0, ge=0, le=1, description="Their share of all failures the release was built on.")


class BuiltFrom(BaseModel):
    """What the release was built from."""

    kind: Literal["seed", "induced"]
    source: str = Field(description="The taxonomy output it was made from, or 'hand-written'.")
    datasets: dict[str, int] = Field(default_factory=dict, description="Failures per dataset.")
    models: dict[str, int] = Field(default_factory=dict, description="Failures per model.")
    failures: int = 0
    judge_id: str = ""
    prompt_version: str = ""
    taxonomy_params: dict[str, object] = Field(default_factory=dict)
    git_revision: str | None = None
    git_dirty: bool | None = None
    dvc: dict[str, str] = Field(default_factory=dict, description="DVC version and the dvc.lock hashes of the taxonomy stage.")


class AtlasRelease(BaseModel):
    """A versioned, fixed error taxonomy."""

    format: str = ATLAS_FORMAT
    name: str = ATLAS_NAME
    version: str
    date: str = Field(description="ISO date of the release.")
    summary: str = ""
    built_from: BuiltFrom
    coverage: dict[str, float] = Field(default_factory=dict, description="coverage, other_share, hard_share at build time.")
    stability: dict[str, float] = Field(default_factory=dict, description="Agreement across seeds at build time, when measured.")
    categories: list[AtlasCategory]

    @model_validator(mode="after")
    def _consistent(self) -> "AtlasRelease":
        if self.format != ATLAS_FORMAT:
            raise ValueError(f"format {self.format!r} is not {ATLAS_FORMAT!r}")
        by_id = {c.id: c for c in self.categories}
        if len(by_id) != len(self.categories):
            raise ValueError("category ids must be unique")
        siblings: set[tuple[str | None, str]] = set()
        for category in self.categories:
            if category.name.strip().lower() in {OTHER.lower(), HARD_TO_ANALYZE.lower()}:
                raise ValueError(f"category {category.id}: {category.name!r} is reserved")
            key = (category.parent, category.name.strip().lower())
            if key in siblings:
                raise ValueError(f"category {category.id}: name {category.name!r} is used twice under one parent")
            siblings.add(key)
            expected = 1 if category.parent is None else by_id[category.parent].depth + 1 if category.parent in by_id else None
            if expected is None:
                raise ValueError(f"category {category.id}: parent {category.parent!r} does not exist")
            if category.depth != expected:
                raise ValueError(f"category {category.id}: depth {category.depth}, expected {expected}")
        if not any(c.parent is None for c in self.categories):
            raise ValueError("a release needs at least one top-level category")
        return self

    def top_level(self) -> list[AtlasCategory]:
        return [c for c in self.categories if c.parent is None]

    def children(self, category_id: str | None) -> list[AtlasCategory]:
        return [c for c in self.categories if c.parent == category_id]

    def depth(self) -> int:
        return max(c.depth for c in self.categories)

    def to_taxonomy(self, with_examples: bool = False) -> Taxonomy:
        """The release as a taxonomy tree (root plus categories); descriptions can carry the example titles."""
        nodes = [
            TaxonomyNode(id=ROOT_ID, name="All failures", description="Every analysed failure.", depth=0, parent=None,
                         kind="root", count=self.built_from.failures, share=1.0 if self.built_from.failures else 0.0)
        ]
        for category in self.categories:
            nodes.append(
                TaxonomyNode(
                    id=category.id, name=category.name,
                    description=guide_text(category) if with_examples else category.description,
                    depth=category.depth, parent=category.parent or ROOT_ID, kind="category",
                    count=category.count, share=category.share, top_titles=[(t, 0) for t in category.examples],
                )
            )
        return Taxonomy(
            judge_id=self.built_from.judge_id or "atlas", prompt_version=self.built_from.prompt_version or "",
            params={"mode": "atlas", "atlas": self.marker()}, total_failures=self.built_from.failures, nodes=nodes,
        )

    def marker(self) -> dict[str, str]:
        """What a taxonomy classified into this release records about it."""
        return {"name": self.name, "version": self.version, "format": self.format}


def guide_text(category: AtlasCategory) -> str:
    """The description a judge classifies by: the category's description plus its example titles."""
    if not category.examples:
        return category.description
    return f"{category.description.rstrip()} Typical error titles: {'; '.join(category.examples)}."


def release_from_taxonomy(
    taxonomy: Taxonomy, *, version: str, date: str, built_from: BuiltFrom, summary: str = "",
    stability: dict[str, float] | None = None,
) -> AtlasRelease:
    """A release holding every real category of a built taxonomy (Other and Hard to analyze left out)."""
    from errormap.taxonomy.model import coverage

    kept = {n.id for n in taxonomy.nodes if n.kind == "category"}
    categories = []
    for node in taxonomy.nodes:
        if node.id not in kept or (node.parent not in kept and node.parent != ROOT_ID):
            kept.discard(node.id)
            continue
        categories.append(
            AtlasCategory(
                id=node.id, name=node.name, description=node.description,
                parent=None if node.parent == ROOT_ID else node.parent, depth=node.depth,
                examples=[title for title, _ in node.top_titles[:MAX_EXAMPLES]],
                count=node.count, share=round(node.share, 6),
            )
        )
    return AtlasRelease(
        version=version, date=date, summary=summary, built_from=built_from,
        coverage={k: round(v, 6) for k, v in coverage(taxonomy).items()}, stability=stability or {},
        categories=categories,
    )


def load_release(path: Path | str) -> AtlasRelease:
    """Read a release file (or a release directory holding taxonomy.json)."""
    path = Path(path)
    if path.is_dir():
        path = path / "taxonomy.json"
    if not path.is_file():
        raise ReleaseError(f"{path} not found")
    try:
        return AtlasRelease.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise ReleaseError(f"{path} is not an error-atlas release: {str(exc).splitlines()[0]}") from None


def write_release(release: AtlasRelease, path: Path | str) -> Path:
    """Write the release file (stable key order, UTF-8, trailing newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(release.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
