"""A caching wrapper around any judge: each answer is stored under the request that produced it.

The key is the judge's fingerprint plus `request_identity`: for the LLM judge, the messages as
rendered (so a prompt edit, a different peer shown, or another schema is a new request), never
the history of the store. An answer from the store is exactly what the same request would get.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from errormap.judge.base import Judge, JudgeAnswer, TitleCount
from errormap.judge.schemas import CategoryDraft, CategoryList, Classification, Diagnosis, FailureCase, Usage
from errormap.judge.store import AnswerStore, stable_hash
from errormap.judge.tasks import CLASSIFY, DIAGNOSE, PROPOSE, REFINE, REVIEW, Task


class CachingJudge:
    """Implements the judge protocol by asking the store first and the wrapped judge for what is missing."""

    def __init__(self, inner: Judge, store: AnswerStore):
        self.inner = inner
        self.store = store
        self.judge_id = inner.judge_id
        self.prompt_version = inner.prompt_version

    def fingerprint(self) -> dict[str, object]:
        return self.inner.fingerprint()

    def request_identity(self, task: Task, request: dict[str, Any]) -> object:
        return self.inner.request_identity(task, request)

    def key(self, task: Task, request: dict[str, Any]) -> str:
        """The store key of one request."""
        return stable_hash("request", task.name, self.inner.fingerprint(), self.inner.request_identity(task, request))

    async def _cached(
        self,
        task: Task,
        request: dict[str, Any],
        ask: Callable[[], Awaitable[JudgeAnswer[Any]]],
        subject: str | None = None,
    ) -> JudgeAnswer[Any]:
        key = self.key(task, request)
        stored = self.store.get(key)
        if stored is not None:
            return JudgeAnswer(
                task.answer.model_validate_json(stored.payload),
                Usage(prompt_tokens=stored.prompt_tokens, completion_tokens=stored.completion_tokens),
                cached=True,
                requests=0,
                context=stored.context,
                asked_requests=stored.requests,
            )
        replaces = subject is not None and self.store.has_subject(subject)
        answer = await ask()
        answer.replaces_answer = replaces
        self.store.put(
            key, task.schema_name, answer.value.model_dump_json(), answer.usage.prompt_tokens,
            answer.usage.completion_tokens, answer.context, answer.asked_requests, subject,
        )
        return answer

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        return await self._cached(DIAGNOSE, {"case": case}, lambda: self.inner.diagnose(case), case.failure_id)

    async def propose_categories(
        self, titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        request = {"titles": titles, "parent": parent, "max_categories": max_categories}
        return await self._cached(PROPOSE, request, lambda: self.inner.propose_categories(**request))

    async def refine_categories(
        self, categories: list[CategoryDraft], titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        request = {"categories": categories, "titles": titles, "parent": parent, "max_categories": max_categories}
        return await self._cached(REFINE, request, lambda: self.inner.refine_categories(**request))

    async def review_categories(
        self, categories: list[CategoryDraft], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        request = {"categories": categories, "parent": parent, "max_categories": max_categories}
        return await self._cached(REVIEW, request, lambda: self.inner.review_categories(**request))

    async def classify(
        self, titles: list[str], categories: list[CategoryDraft], *, parent: CategoryDraft | None
    ) -> JudgeAnswer[Classification]:
        request = {"titles": titles, "categories": categories, "parent": parent}
        return await self._cached(CLASSIFY, request, lambda: self.inner.classify(**request))

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.store.close()
