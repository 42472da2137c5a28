"""The LLM judge: renders each task's prompts and asks an OpenAI-compatible endpoint through the chat client."""

from __future__ import annotations

import json
from typing import Any

from errormap.judge.base import JudgeAnswer, TitleCount
from errormap.judge.client import (
    KEY_MODE,
    ChatClient,
    Messages,
    Render,
    json_schema,
    json_schema_text,
    schema_in_prompt,
)
from errormap.judge.schemas import CategoryDraft, CategoryList, Classification, Diagnosis, FailureCase
from errormap.judge.tasks import CLASSIFY, DIAGNOSE, PROPOSE, REFINE, REVIEW, Task
from errormap.prompts import prompt_set
from errormap.settings import OpenAIJudgeConfig


def _categories(categories: list[CategoryDraft]) -> list[dict[str, str]]:
    return [c.model_dump() for c in categories]


def _titles(titles: list[TitleCount]) -> dict[str, object]:
    return {"titles": [t.title for t in titles], "counts": {t.title: t.count for t in titles}}


def _payload(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


class LastRendered:
    """The messages last rendered for a store key, handed to the request that then sends them.

    A caching judge renders a request to compute its key and, when the store does not hold the
    answer, asks at once (nothing is awaited in between), so only the latest rendering can be
    waiting: it is kept here so the request is rendered once. It belongs to the very argument
    objects it was rendered from (compared by identity, so equal-looking but different requests
    never share it) and is taken once; a key answered by the store is replaced by the next.
    """

    def __init__(self) -> None:
        self._last: tuple[Task, tuple[Any, ...], Messages] | None = None

    def put(self, task: Task, request: dict[str, Any], messages: Messages) -> None:
        self._last = (task, tuple(request.values()), messages)

    def take(self, task: Task, request: dict[str, Any]) -> Messages | None:
        """The messages rendered for exactly these arguments, once; None if they were not the last rendered."""
        last, self._last = self._last, None
        if last is None or last[0] is not task or len(last[1]) != len(request):
            return None
        same = all(kept is given for kept, given in zip(last[1], request.values()))
        return last[2] if same else None


class OpenAIJudge:
    """Implements the judge protocol with prompts from the versioned prompt set and any chat endpoint."""

    def __init__(self, config: OpenAIJudgeConfig, *, prompt_version: str = "v1", client: ChatClient | None = None):
        self.config = config
        self.prompt_version = prompt_version
        self.prompts = prompt_set(prompt_version)
        self.judge_id = f"openai:{config.model}"
        self.client = client or ChatClient(config)
        self._system_messages: dict[tuple[Task, str], str] = {}
        self._rendered_keys = LastRendered()

    @property
    def requests_sent(self) -> int:
        return self.client.requests_sent

    def fingerprint(self) -> dict[str, object]:
        """What determines the answers besides the messages (no endpoint, no secrets)."""
        return {
            "kind": "openai",
            "model": self.config.model,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "seed": self.config.seed,
            "extra_body": self.config.extra_body,
        }

    # --- rendering -----------------------------------------------------------------------------

    def _system_message(self, task: Task, mode: str) -> str:
        """Static instructions: rendered once per (task, mode)."""
        key = (task, mode)
        if key not in self._system_messages:
            self._system_messages[key] = self.prompts.render(
                task.system_template, schema_in_prompt=schema_in_prompt(mode), schema_json=json_schema_text(task.answer)
            )
        return self._system_messages[key]

    def render(self, task: Task, mode: str, **context: Any) -> Messages:
        """The messages of one request: the static system message, then the per-request user message."""
        user = self.prompts.render(
            task.user_template, schema_in_prompt=schema_in_prompt(mode), schema_json=json_schema_text(task.answer), **context
        )
        return [{"role": "system", "content": self._system_message(task, mode)}, {"role": "user", "content": user}]

    def _context(self, task: Task, request: dict[str, Any]) -> dict[str, Any]:
        """Template variables of a request (the keyword arguments of the protocol method)."""
        if task is DIAGNOSE:
            case: FailureCase = request["case"]
            return {"case": case, "correct_outputs": case.other_correct_outputs}
        parent = request.get("parent")
        if task is CLASSIFY:
            payload = {"categories": _categories(request["categories"]), "titles": request["titles"]}
            return {"parent": parent, "payload": _payload(payload)}
        limit = request["max_categories"]
        payload: dict[str, Any] = {"max_categories": limit}
        if task is REVIEW:
            payload.update(categories=_categories(request["categories"]), titles=[])
        else:
            if task is REFINE:
                payload["categories"] = _categories(request["categories"])
            payload.update(_titles(request["titles"]))
        return {"parent": parent, "max_categories": limit, "payload": _payload(payload)}

    def request_identity(self, task: Task, request: dict[str, Any]) -> dict[str, Any]:
        """What is actually sent for a request (messages as rendered for structured output, and the schema).

        A diagnosis also names the failure and the models whose outputs were shown, which the
        messages do not: the answer is stored for that exact request.
        """
        messages = self.render(task, KEY_MODE, **self._context(task, request))
        self._rendered_keys.put(task, request, messages)
        identity: dict[str, Any] = {"messages": messages, "schema": json_schema(task.answer)}
        if task is DIAGNOSE:
            case: FailureCase = request["case"]
            identity["case"] = [case.dataset, case.example_id, case.model, case.other_models]
        return identity

    # --- the protocol --------------------------------------------------------------------------

    def _renderer(self, task: Task, request: dict[str, Any]) -> Render:
        """The render function of one request: the messages its store key was computed from, if any, else rendered."""
        rendered = self._rendered_keys.take(task, request)

        def render(mode: str) -> Messages:
            if rendered is not None and schema_in_prompt(mode) == schema_in_prompt(KEY_MODE):
                return rendered  # the mode's messages are the ones rendered for the key
            return self.render(task, mode, **self._context(task, request))

        return render

    async def ask(self, task: Task, **request: Any) -> JudgeAnswer[Any]:
        """Render the task for the client's current mode and ask until a valid answer (or JudgeError)."""
        done = await self.client.complete(self._renderer(task, request), task.answer, task.schema_name)
        extra = {"reference_models": list(request["case"].other_models)} if task is DIAGNOSE else {}
        return JudgeAnswer(
            done.value, done.usage, cached=False, requests=done.attempts, context=extra, asked_requests=done.attempts
        )

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        return await self.ask(DIAGNOSE, case=case)

    async def propose_categories(
        self, titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        return await self.ask(PROPOSE, titles=titles, parent=parent, max_categories=max_categories)

    async def refine_categories(
        self, categories: list[CategoryDraft], titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        return await self.ask(REFINE, categories=categories, titles=titles, parent=parent, max_categories=max_categories)

    async def review_categories(
        self, categories: list[CategoryDraft], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        return await self.ask(REVIEW, categories=categories, parent=parent, max_categories=max_categories)

    async def classify(
        self, titles: list[str], categories: list[CategoryDraft], *, parent: CategoryDraft | None
    ) -> JudgeAnswer[Classification]:
        return await self.ask(CLASSIFY, titles=titles, categories=categories, parent=parent)

    async def aclose(self) -> None:
        await self.client.aclose()
