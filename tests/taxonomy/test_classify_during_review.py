"""taxonomy.classify_during_review: the classification rides along with the review without changing any result."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from errormap.cost.virtual_time import run_simulated
from errormap.judge import JudgeAnswer, OfflineJudge
from errormap.judge.schemas import CategoryDraft, CategoryList
from errormap.taxonomy.builder import TaxonomyBuilder, taxonomy_metrics
from errormap.testing.defaults import taxonomy_config
from errormap.testing.titles import synthetic_diagnoses


class TimedJudge:
    """The offline judge, each answer after one simulated second; `rename_in_review` makes the review change a name."""

    def __init__(self, rename_in_review: bool = False) -> None:
        self.inner = OfflineJudge()
        self.judge_id, self.prompt_version = self.inner.judge_id, self.inner.prompt_version
        self.rename_in_review = rename_in_review
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ("propose_categories", "refine_categories", "review_categories", "classify"):
            return method

        async def timed(*args: Any, **kwargs: Any) -> Any:
            self.asked.append(name)
            await asyncio.sleep(1.0)
            answer = await method(*args, **kwargs)
            if name == "review_categories" and self.rename_in_review:
                return renamed_first(answer)
            return answer

        return timed


def renamed_first(answer: JudgeAnswer[CategoryList]) -> JudgeAnswer[CategoryList]:
    first, *rest = answer.value.categories
    categories = [CategoryDraft(name=f"Reviewed {first.name}", description=first.description), *rest]
    return dataclasses.replace(answer, value=CategoryList(categories=categories))


def build(during_review: bool, rename_in_review: bool = False):
    judge = TimedJudge(rename_in_review)
    config = taxonomy_config(max_depth=1, classify_batch_size=10_000, classify_during_review=during_review)
    builder = TaxonomyBuilder(judge, config, 3)
    (taxonomy, assignments), seconds = run_simulated(builder.build(synthetic_diagnoses(60)))
    return taxonomy, assignments, seconds, judge.asked, builder.stats


def test_a_review_that_keeps_the_categories_saves_one_round_trip_and_changes_nothing() -> None:
    plain_taxonomy, plain_assignments, plain_seconds, plain_asked, plain_stats = build(during_review=False)
    taxonomy, assignments, seconds, asked, stats = build(during_review=True)
    assert (plain_seconds, seconds) == (3, 2)  # propose, review, classify -> propose, review with classify
    assert sorted(asked) == sorted(plain_asked)
    assert taxonomy.nodes == plain_taxonomy.nodes and assignments.equals(plain_assignments)
    assert taxonomy_metrics(taxonomy, stats) == taxonomy_metrics(plain_taxonomy, plain_stats)
    assert stats.early_classifications_discarded == 0


def test_a_review_that_renames_a_category_discards_the_early_classification() -> None:
    plain_taxonomy, plain_assignments, plain_seconds, plain_asked, plain_stats = build(False, rename_in_review=True)
    taxonomy, assignments, seconds, asked, stats = build(True, rename_in_review=True)
    assert any(n.name.startswith("Reviewed ") for n in taxonomy.nodes)
    assert taxonomy.nodes == plain_taxonomy.nodes and assignments.equals(plain_assignments)
    assert (plain_seconds, seconds) == (3, 3)  # the second classification waits for the review, as without it
    assert asked.count("classify") == plain_asked.count("classify") + 1
    assert stats.early_classifications_discarded == 1
    assert (stats.titles_classified, stats.classification_fallbacks) == (
        plain_stats.titles_classified, plain_stats.classification_fallbacks
    )
