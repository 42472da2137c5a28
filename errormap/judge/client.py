"""The chat client of an OpenAI-compatible endpoint: transport, structured-output mode, retries.

It knows nothing of errormap's tasks: it sends the messages a render function gives for the
current structured-output mode, validates the reply against a pydantic schema, and retries what
is worth retrying (429 honouring Retry-After, 5xx, timeouts, connection errors, invalid JSON).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from errormap.judge.base import JudgeError
from errormap.schemas import Usage
from errormap.settings import OpenAIJudgeConfig

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
Messages = list[dict[str, str]]
Render = Callable[[str], Messages]
KEY_MODE = "json_schema"  # what was sent is recorded as the messages of this mode, whatever the server ends up in
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


@functools.cache
def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured output accepts, generated once per class.

    Strict mode wants every property required, `additionalProperties: false` and no keywords next
    to a `$ref`; the SDK's own converter (the one `chat.completions.parse` uses) guarantees that.
    Shared between requests: treat the returned dict as read-only.
    """
    return to_strict_json_schema(schema)


@functools.cache
def json_schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(json_schema(schema))


def schema_in_prompt(mode: str) -> bool:
    """Whether the schema must be written into the prompt (the server does not enforce it)."""
    return mode in ("none", "json_object")


class InvalidJudgeOutput(ValueError):
    """The judge answered, but not with JSON matching the schema (`usage`: what that answer cost)."""

    def __init__(self, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage or Usage()


@dataclass
class Completion:
    """A validated answer, what it cost over all attempts, and how many requests it took."""

    value: BaseModel
    usage: Usage
    attempts: int


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


def read_completion(completion: object, schema: type[M]) -> tuple[M, Usage]:
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


def _connection_limits(max_concurrency: int) -> Any:
    """The SDK's default pool limits, raised so every concurrent request keeps its connection alive."""
    default = openai.DEFAULT_CONNECTION_LIMITS
    return type(default)(
        max_connections=max(default.max_connections or 0, max_concurrency),
        max_keepalive_connections=max(default.max_keepalive_connections or 0, max_concurrency),
        keepalive_expiry=default.keepalive_expiry,
    )


def _http_client(config: OpenAIJudgeConfig) -> Any:
    """The HTTP client of the OpenAI client.

    `auto` prefers the SDK's aiohttp transport (`openai.DefaultAioHttpClient`): the default
    httpx connection pool costs about a millisecond of CPU per request at high concurrency
    (openai/openai-python#1596, encode/httpx#3215). Both raise the same SDK exceptions.
    """
    limits = _connection_limits(config.max_concurrency)
    if config.http_backend in ("auto", "aiohttp"):
        try:
            return openai.DefaultAioHttpClient(limits=limits)
        except RuntimeError as exc:  # the SDK's way of saying openai[aiohttp] is not installed
            if config.http_backend == "aiohttp":
                raise ValueError(f"judge.http_backend=aiohttp is unavailable: {exc}") from exc
    return openai.DefaultAsyncHttpxClient(limits=limits)


class ChatClient:
    """Sends chat requests with bounded concurrency and retries; answers validated against a schema."""

    def __init__(self, config: OpenAIJudgeConfig, client: openai.AsyncOpenAI | None = None):
        self.config = config
        self.mode = config.structured_output
        api_key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self._client = client or openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=api_key or "not-needed",
            timeout=config.timeout,
            max_retries=0,
            http_client=_http_client(config),
        )
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self.requests_sent = 0

    async def complete(self, render: Render, schema: type[M], schema_name: str) -> Completion:
        """Ask until a valid answer or the retries run out (then JudgeError)."""
        attempts = 0
        usage = Usage()
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self.config.max_retries + 1),
            wait=self._wait,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    try:
                        value, used = await self._request(render(self.mode), schema, schema_name)
                    except InvalidJudgeOutput as exc:  # the server answered: its tokens were spent
                        usage = usage + exc.usage
                        raise
                    usage = usage + used
        except Exception as exc:
            raise JudgeError(f"{type(exc).__name__}: {exc}"[:500], usage=usage, requests=attempts) from exc
        return Completion(value, usage, attempts)

    async def aclose(self) -> None:
        await self._client.close()

    def _response_format(self, schema: type[BaseModel], schema_name: str) -> dict[str, Any] | None:
        if self.mode in ("auto", "json_schema"):
            return {"type": "json_schema", "json_schema": {"name": schema_name, "schema": json_schema(schema), "strict": True}}
        if self.mode == "json_object":
            return {"type": "json_object"}
        return None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after_seconds(exc) if exc is not None else None
        if hinted is not None:
            return min(hinted, self.config.retry_max_delay)
        backoff = self.config.retry_base_delay * (2 ** (state.attempt_number - 1))
        return min(backoff, self.config.retry_max_delay) * (0.5 + random.random() / 2)

    async def _request(self, messages: Messages, schema: type[M], schema_name: str) -> tuple[M, Usage]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.config.seed is not None:
            body["seed"] = self.config.seed
        response_format = self._response_format(schema, schema_name)
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
                if self.mode == "auto" and response_format is not None:
                    log.warning("judge server rejected structured output (%s); falling back to plain JSON", exc)
                    self.mode = "none"
                    raise InvalidJudgeOutput("structured output unsupported; retrying with plain JSON") from exc
                raise
        return read_completion(completion, schema)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.debug("judge request retry %d after %s", state.attempt_number, type(exc).__name__)
