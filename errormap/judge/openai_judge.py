"""A judge behind any OpenAI-compatible Chat Completions endpoint."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from errormap.judge.base import JudgeAnswer, JudgeError, TitleCount
from errormap.judge.store import AnswerStore, stable_hash
from errormap.prompts import prompt_set
from errormap.schemas import CategoryDraft, CategoryList, Classification, Diagnosis, FailureCase, Usage

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

SCHEMA_NAMES: dict[type[BaseModel], str] = {
    Diagnosis: "diagnosis",
    CategoryList: "category_list",
    Classification: "classification",
}
STRUCTURED_MODES = ("auto", "json_schema", "json_object", "none")
HTTP_BACKENDS = ("auto", "aiohttp", "httpx")
KEY_MODE = "json_schema"  # request keys are computed on the messages of this mode
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


@functools.cache
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured output accepts, generated once per class.

    Strict mode wants every property required, `additionalProperties: false` and no keywords next
    to a `$ref`; the SDK's own converter (the one `chat.completions.parse` uses) guarantees that.
    Shared between requests: treat the returned dict as read-only.
    """
    return to_strict_json_schema(schema)


@functools.cache
def _json_schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(_json_schema(schema))


class InvalidJudgeOutput(ValueError):
    """The judge answered, but not with JSON matching the schema (`usage`: what that answer cost)."""

    def __init__(self, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage or Usage()


@dataclass
class OpenAIJudgeConfig:
    """Settings of the OpenAI-compatible judge (no secrets: the key is read from `api_key_env`)."""

    model: str
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    temperature: float = 0.0
    max_tokens: int = 2048
    timeout: float = 120.0
    max_concurrency: int = 32
    max_retries: int = 4
    retry_base_delay: float = 1.0
    retry_max_delay: float = 60.0
    structured_output: str = "auto"
    http_backend: str = "auto"
    seed: int | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "OpenAIJudgeConfig":
        fields = cls.__dataclass_fields__
        return cls(
            **{k: v for k, v in values.items() if k in fields and (v is not None or fields[k].default is None)}
        )


def _retry_after_seconds(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if value is None:
        millis = response.headers.get("retry-after-ms")
        return float(millis) / 1000 if millis else None
    try:
        return float(value)
    except ValueError:
        return None


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 409)
    return isinstance(exc, InvalidJudgeOutput)


def parse_json_answer(content: str | None, schema: type[M]) -> M:
    """Validate a reply against a schema, tolerating code fences and prose around the JSON."""
    if not content or not content.strip():
        raise InvalidJudgeOutput("empty reply")
    candidates = [content.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(content)]
    start, end = content.find("{"), content.rfind("}")
    if 0 <= start < end:
        candidates.append(content[start : end + 1])
    last_error: Exception | None = None
    for candidate in candidates:
        try:
            return schema.model_validate_json(candidate)
        except ValidationError as exc:
            last_error = exc
    raise InvalidJudgeOutput(f"reply does not match the {schema.__name__} schema: {str(last_error)[:300]}")


def _category_payload(categories: list[CategoryDraft]) -> list[dict[str, str]]:
    return [c.model_dump() for c in categories]


def _titles_payload(titles: list[TitleCount]) -> dict[str, object]:
    return {"titles": [t.title for t in titles], "counts": {t.title: t.count for t in titles}}


def _connection_limits(max_concurrency: int) -> Any:
    """The SDK's default pool limits, raised so every concurrent request keeps its connection alive."""
    default = openai.DEFAULT_CONNECTION_LIMITS
    return type(default)(
        max_connections=max(default.max_connections or 0, max_concurrency),
        max_keepalive_connections=max(default.max_keepalive_connections or 0, max_concurrency),
        keepalive_expiry=default.keepalive_expiry,
    )


def _http_client(config: OpenAIJudgeConfig) -> Any:
    """The HTTP client of the judge's OpenAI client.

    `auto` prefers the SDK's aiohttp transport (`openai.DefaultAioHttpClient`): the default
    httpx connection pool costs about a millisecond of CPU per request at high concurrency
    (openai/openai-python#1596, encode/httpx#3215). Both raise the same SDK exceptions.
    """
    limits = _connection_limits(max(1, int(config.max_concurrency)))
    if config.http_backend in ("auto", "aiohttp"):
        try:
            return openai.DefaultAioHttpClient(limits=limits)
        except RuntimeError as exc:  # the SDK's way of saying openai[aiohttp] is not installed
            if config.http_backend == "aiohttp":
                raise ValueError(f"judge.http_backend=aiohttp is unavailable: {exc}") from exc
    return openai.DefaultAsyncHttpxClient(limits=limits)


class OpenAIJudge:
    """Judge that asks an OpenAI-compatible server; answers are stored as they arrive."""

    def __init__(
        self,
        config: OpenAIJudgeConfig,
        *,
        prompt_version: str = "v1",
        store: AnswerStore | None = None,
        client: openai.AsyncOpenAI | None = None,
    ):
        self.config = config
        self.prompt_version = prompt_version
        self.prompts = prompt_set(prompt_version)
        self.judge_id = f"openai:{config.model}"
        self.store = store
        api_key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self._mode = config.structured_output
        if self._mode not in STRUCTURED_MODES:
            raise ValueError(f"judge.structured_output must be one of {STRUCTURED_MODES}, got {self._mode!r}")
        if config.http_backend not in HTTP_BACKENDS:
            raise ValueError(f"judge.http_backend must be one of {HTTP_BACKENDS}, got {config.http_backend!r}")
        self._client = client or openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=api_key or "not-needed",
            timeout=config.timeout,
            max_retries=0,
            http_client=_http_client(config),
        )
        self._semaphore = asyncio.Semaphore(max(1, int(config.max_concurrency)))
        # System messages are static per (template, schema, structured mode): rendered once.
        self._system_messages: dict[tuple[str, type[BaseModel], str], str] = {}
        self.requests_sent = 0
        self.retries = 0

    def fingerprint(self) -> dict[str, object]:
        return {
            "kind": "openai",
            "model": self.config.model,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "seed": self.config.seed,
            "extra_body": self.config.extra_body,
        }

    # --- the five tasks -------------------------------------------------------------------------

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        correct = case.other_correct_outputs
        key = stable_hash(
            "diagnosis",
            case.dataset,
            case.example_id,
            case.model,
            stable_hash(case.input_text, case.output_text, case.correct_answer or ""),
            self.fingerprint(),
            self.prompt_version,
        )
        return await self._ask(
            lambda mode: self._messages("diagnose", Diagnosis, mode, case=case, correct_outputs=correct),
            Diagnosis,
            key,
            context={"reference_models": list(case.other_models)},
        )

    async def propose_categories(
        self, titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        payload = {"max_categories": max_categories, **_titles_payload(titles)}
        return await self._taxonomy_request("propose", payload, parent, max_categories)

    async def refine_categories(
        self,
        categories: list[CategoryDraft],
        titles: list[TitleCount],
        *,
        parent: CategoryDraft | None,
        max_categories: int,
    ) -> JudgeAnswer[CategoryList]:
        payload = {
            "max_categories": max_categories,
            "categories": _category_payload(categories),
            **_titles_payload(titles),
        }
        return await self._taxonomy_request("refine", payload, parent, max_categories)

    async def review_categories(
        self, categories: list[CategoryDraft], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        payload = {"max_categories": max_categories, "categories": _category_payload(categories), "titles": []}
        return await self._taxonomy_request("review", payload, parent, max_categories)

    async def classify(
        self, titles: list[str], categories: list[CategoryDraft], *, parent: CategoryDraft | None
    ) -> JudgeAnswer[Classification]:
        payload = {"categories": _category_payload(categories), "titles": titles}

        def render(mode: str) -> list[dict[str, str]]:
            return [
                {"role": "system", "content": self._system_message("classify_system", Classification, mode)},
                {
                    "role": "user",
                    "content": self.prompts.render(
                        "classify_user", parent=parent, payload=json.dumps(payload, ensure_ascii=False, indent=1)
                    ),
                },
            ]

        return await self._ask(render, Classification, self._request_key(render, Classification))

    async def aclose(self) -> None:
        await self._client.close()

    # --- plumbing ------------------------------------------------------------------------------

    async def _taxonomy_request(
        self, step: str, payload: dict[str, object], parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        def render(mode: str) -> list[dict[str, str]]:
            return [
                {"role": "system", "content": self._system_message("taxonomy_system", CategoryList, mode)},
                {
                    "role": "user",
                    "content": self.prompts.render(
                        f"{step}_user",
                        parent=parent,
                        max_categories=max_categories,
                        payload=json.dumps(payload, ensure_ascii=False, indent=1),
                    ),
                },
            ]

        return await self._ask(render, CategoryList, self._request_key(render, CategoryList))

    @staticmethod
    def _schema_context(schema: type[BaseModel], mode: str) -> dict[str, object]:
        in_prompt = mode in ("none", "json_object")
        return {"schema_in_prompt": in_prompt, "schema_json": _json_schema_text(schema)}

    def _system_message(self, template: str, schema: type[BaseModel], mode: str) -> str:
        """The rendered system template, once per (template, schema, mode): it holds only static instructions."""
        key = (template, schema, mode)
        if key not in self._system_messages:
            self._system_messages[key] = self.prompts.render(template, **self._schema_context(schema, mode))
        return self._system_messages[key]

    def _messages(self, task: str, schema: type[BaseModel], mode: str, **context: object) -> list[dict[str, str]]:
        """The system message (static, rendered once) then the per-case user message, for one structured-output mode."""
        return [
            {"role": "system", "content": self._system_message(f"{task}_system", schema, mode)},
            {"role": "user", "content": self.prompts.render(f"{task}_user", **context, **self._schema_context(schema, mode))},
        ]

    def _request_key(self, render: Callable[[str], list[dict[str, str]]], schema: type[BaseModel]) -> str:
        """Keyed on the messages as rendered for structured output, whatever mode the server ends up in.

        A server without structured output gets the schema in the prompt instead; that must not make
        its answers unfindable on the next run (the mode is detected anew each run).
        """
        return stable_hash("request", self.fingerprint(), self.prompt_version, render(KEY_MODE), _json_schema(schema))

    def _response_format(self, schema: type[BaseModel]) -> dict[str, Any] | None:
        if self._mode in ("auto", "json_schema"):
            return {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAMES[schema], "schema": _json_schema(schema), "strict": True},
            }
        if self._mode == "json_object":
            return {"type": "json_object"}
        return None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after_seconds(exc) if exc is not None else None
        if hinted is not None:
            return min(hinted, self.config.retry_max_delay)
        backoff = self.config.retry_base_delay * (2 ** (state.attempt_number - 1))
        return min(backoff, self.config.retry_max_delay) * (0.5 + random.random() / 2)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.debug("judge request retry %d after %s", state.attempt_number, type(exc).__name__)

    async def _ask(
        self,
        render: Callable[[str], list[dict[str, str]]],
        schema: type[M],
        key: str,
        context: dict[str, Any] | None = None,
    ) -> JudgeAnswer[M]:
        """The stored answer for `key`, or a request (retried) with messages rendered for the current mode.

        A stored answer comes back with the usage and context it was stored with; `cached` tells
        callers not to count its tokens as spent again.
        """
        kind = SCHEMA_NAMES[schema]
        if self.store is not None:
            stored = self.store.get(key)
            if stored is not None:
                return JudgeAnswer(
                    schema.model_validate_json(stored.payload),
                    Usage(prompt_tokens=stored.prompt_tokens, completion_tokens=stored.completion_tokens),
                    cached=True,
                    requests=0,
                    context=stored.context or dict(context or {}),
                )
        attempts = 0
        usage = Usage()
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(max(1, int(self.config.max_retries) + 1)),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    try:
                        value, used = await self._request(render(self._mode), schema)
                    except InvalidJudgeOutput as exc:  # the server answered: its tokens were spent
                        usage = usage + exc.usage
                        raise
                    usage = usage + used
        except Exception as exc:
            raise JudgeError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        if self.store is not None:
            self.store.put(key, kind, value.model_dump_json(), usage.prompt_tokens, usage.completion_tokens, context)
        return JudgeAnswer(value, usage, cached=False, requests=attempts, context=dict(context or {}))

    async def _request(self, messages: list[dict[str, str]], schema: type[M]) -> tuple[M, Usage]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        response_format = self._response_format(schema)
        if response_format is not None:
            body["response_format"] = response_format
        if self.config.extra_body:
            body = {**body, **self.config.extra_body}  # as the SDK merges `extra_body`: extra keys win
        async with self._semaphore:
            self.requests_sent += 1
            try:
                # The same POST as `chat.completions.create(**body)` (same auth, retries off, same
                # errors), minus two per-request costs of the typed API that matter at hundreds of
                # requests per second: walking the typed params (~0.5 ms of CPU) and building a typed
                # ChatCompletion from the reply (~0.3 ms). The reply is read as plain JSON instead.
                completion = await self._client.post("/chat/completions", body=body, cast_to=object)
            except openai.BadRequestError as exc:
                if self._mode == "auto" and response_format is not None:
                    log.warning("judge server rejected structured output (%s); falling back to plain JSON", exc)
                    self._mode = "none"
                    raise InvalidJudgeOutput("structured output unsupported; retrying with plain JSON") from exc
                raise
        return self._read_completion(completion, schema)

    @staticmethod
    def _read_completion(completion: object, schema: type[M]) -> tuple[M, Usage]:
        """The answer and token usage of a Chat Completions reply body (as parsed JSON)."""
        if not isinstance(completion, dict):
            raise InvalidJudgeOutput(f"reply is not a JSON object: {str(completion)[:200]!r}")
        usage = completion.get("usage") or {}
        used = Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )
        choices = completion.get("choices") or []
        if not choices:
            raise InvalidJudgeOutput("reply has no choices", usage=used)
        content = (choices[0].get("message") or {}).get("content")
        try:
            return parse_json_answer(content, schema), used
        except InvalidJudgeOutput as exc:
            exc.usage = used
            raise


def default_store_path(root: Path) -> Path:
    return root / ".errormap" / "cache.sqlite"
