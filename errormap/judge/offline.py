"""The offline judge: rule-based diagnoses and local clustering. No model, no network, deterministic."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from pydantic import BaseModel

from errormap.judge.base import JudgeAnswer, TitleCount
from errormap.judge.clustering import (
    SIMILARITY_FLOOR,
    add_members,
    cluster_titles,
    name_clusters,
    nearest_categories,
)
from errormap.judge.detectors import TITLE_FAMILIES, UNEXPLAINED_TITLE, ReferenceErrorRule, diagnose_offline
from errormap.judge.schemas import (
    GENERIC_CATEGORY_NAMES,
    CategoryDraft,
    CategoryList,
    Classification,
    Diagnosis,
    FailureCase,
    TitleAssignment,
)
from errormap.judge.tasks import Task
from errormap.settings import OfflineJudgeConfig
from errormap.taxonomy.model import HARD_TO_ANALYZE, OTHER

REFINE_MATCH_SIMILARITY = 0.35


def _plain(value: Any) -> Any:
    """A request argument as plain JSON-able data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class OfflineJudge:
    """Implements the judge protocol without a language model."""

    judge_id = "offline"

    def __init__(self, prompt_version: str = "v1", config: OfflineJudgeConfig | None = None):
        self.prompt_version = prompt_version
        self.reference_rule = (
            ReferenceErrorRule(**config.reference_error.model_dump()) if config is not None else ReferenceErrorRule.configured()
        )

    def fingerprint(self) -> dict[str, object]:
        return {"kind": "offline", "rules": 2, "reference_error": asdict(self.reference_rule)}

    def request_identity(self, task: Task, request: dict[str, Any]) -> object:
        """Everything a rule or the clustering reads: the whole request, peers' outputs included."""
        return {name: _plain(value) for name, value in sorted(request.items())}

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        return JudgeAnswer(diagnose_offline(case), context={"reference_models": list(case.other_models)})

    async def propose_categories(
        self, titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        usable = [t for t in titles if t.title != UNEXPLAINED_TITLE]
        clusters = cluster_titles(usable, max_categories, TITLE_FAMILIES)
        taken = {parent.name} if parent else set()
        return JudgeAnswer(CategoryList(categories=name_clusters(clusters, taken, TITLE_FAMILIES)))

    async def refine_categories(
        self,
        categories: list[CategoryDraft],
        titles: list[TitleCount],
        *,
        parent: CategoryDraft | None,
        max_categories: int,
    ) -> JudgeAnswer[CategoryList]:
        usable = [t for t in titles if t.title != UNEXPLAINED_TITLE]
        nearest = nearest_categories([t.title for t in usable], categories, TITLE_FAMILIES)
        updated = list(categories)
        unmatched = []
        for title, (index, similarity) in zip(usable, nearest):
            if similarity >= REFINE_MATCH_SIMILARITY or len(updated) >= max_categories:
                updated[index] = add_members(updated[index], [title.title])
            else:
                unmatched.append(title)
        room = max_categories - len(updated)
        if unmatched and room > 0:
            taken = {c.name for c in updated} | ({parent.name} if parent else set())
            updated += name_clusters(cluster_titles(unmatched, room, TITLE_FAMILIES), taken, TITLE_FAMILIES)
        return JudgeAnswer(CategoryList(categories=updated))

    async def review_categories(
        self, categories: list[CategoryDraft], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        seen: set[str] = set()
        cleaned = []
        for category in categories:
            key = category.name.strip().lower()
            if not key or key in seen or key in GENERIC_CATEGORY_NAMES:
                continue
            seen.add(key)
            cleaned.append(category)
        return JudgeAnswer(CategoryList(categories=cleaned[:max_categories]))

    async def classify(
        self, titles: list[str], categories: list[CategoryDraft], *, parent: CategoryDraft | None
    ) -> JudgeAnswer[Classification]:
        nearest = nearest_categories(titles, categories, TITLE_FAMILIES)
        assignments = []
        for title, (index, similarity) in zip(titles, nearest):
            if title == UNEXPLAINED_TITLE:
                category = HARD_TO_ANALYZE
            elif index < 0 or similarity < SIMILARITY_FLOOR:
                category = OTHER
            else:
                category = categories[index].name
            assignments.append(TitleAssignment(title=title, category=category))
        return JudgeAnswer(Classification(assignments=assignments))

    async def aclose(self) -> None:
        return None
