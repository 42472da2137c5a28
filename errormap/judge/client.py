"""The chat client of an OpenAI-compatible endpoint: transport, structured-output mode, retries.

It knows nothing of errormap's tasks: it sends the messages a render function gives for the
current structured-output mode, validates the reply against a pydantic schema, and retries what
is worth retrying (429 honouring Retry-After, 5xx, timeouts, connection errors, invalid JSON).
Before the first request it checks the judge once (GET /models); a run of identical errors saying
the judge is unusable, or no valid answer for `stall_timeout` seconds, stops the run (JudgeUnusable).
The HTTP calls go through a `transport.Transport` (direct aiohttp by default, the openai SDK only
for `judge.http_backend: httpx`); either raises the `api_errors` types classified here.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from errormap.judge.api_errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    RateLimitError,
)
from errormap.judge.base import JudgeError
from errormap.judge.endpoint import resolve_endpoint
from errormap.judge.faults import (
    JudgeUnusable,
    NonJsonReply,
    connection_problem,
    describe,
    fault_of,
    rejects_structured_output,
)
from errormap.judge.guard import JudgeGuard
from errormap.judge.schemas import Usage
from errormap.judge.strict_schema import strict_json_schema
from errormap.judge.transport import Transport, build_transport
from errormap.settings import OpenAIJudgeConfig

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
Messages = list[dict[str, str]]
Render = Callable[[str], Messages]
KEY_MODE = "json_schema"  # what was sent is recorded as the messages of this mode, whatever the server ends up in
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
CHECK_TIMEOUT = 30.0  # seconds the one GET /models before the first request may take


@functools.cache
def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured output accepts, generated once per class.

    Strict mode wants every property required, `additionalProperties: false` and no keywords next
    to a `$ref` (see `strict_schema`, identical to the SDK's converter). Shared between requests:
    treat the returned dict as read-only.
    """
    return strict_json_schema(schema)


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


def _retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (or retry-after-ms) of a status error, in seconds."""
    if not isinstance(exc, APIStatusError):
        return None
    value = exc.headers.get("retry-after")
    if value is None:
        millis = exc.headers.get("retry-after-ms")
        return float(millis) / 1000 if millis else None
    try:
        return float(value)
    except ValueError:
        return None


def retry_delay(config: OpenAIJudgeConfig, exc: BaseException | None, attempt: int) -> float:
    """Seconds before retry `attempt` (from 1): the server's Retry-After, else jittered exponential backoff."""
    hinted = _retry_after_seconds(exc)
    if hinted is not None:
        return min(hinted, config.retry_max_delay)
    backoff = config.retry_base_delay * (2 ** (attempt - 1))
    return min(backoff, config.retry_max_delay) * (0.5 + random.random() / 2)


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (JudgeUnusable, NonJsonReply)):
        return False
    if isinstance(exc, (RateLimitError, APITimeoutError, APIConnectionError)):
        return True
    if isinstance(exc, APIStatusError):
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
    if isinstance(completion, (str, bytes)):  # the transports hand back a body that is not JSON as text
        raise NonJsonReply(f"HTTP 200 with a body that is not JSON: {str(completion)[:80]!r}")
    if not isinstance(completion, dict):
        raise InvalidJudgeOutput(f"reply is not a JSON object: {str(completion)[:200]!r}")
    usage = completion.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    used = Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_prompt_tokens=int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0,
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


class ChatClient:
    """Sends chat requests with bounded concurrency and retries; answers validated against a schema."""

    def __init__(self, config: OpenAIJudgeConfig, transport: Transport | None = None):
        self.config = config
        self.mode = config.structured_output
        self.endpoint = resolve_endpoint(config)
        self.transport = transport or build_transport(self.endpoint, config)
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self.guard = JudgeGuard(self.endpoint.base_url, config.stop_after_identical_errors, config.stall_timeout)
        self._checked = not config.check_on_start
        self._check_lock = asyncio.Lock()
        self.requests_sent = 0

    async def complete(self, render: Render, schema: type[M], schema_name: str) -> Completion:
        """Ask until a valid answer or the retries run out (then JudgeError).

        Retried: what `_is_retryable` says, up to `max_retries` times, after `retry_delay`. A plain loop
        rather than a retry library: building one per request cost about a tenth of the client's CPU.
        """
        attempts, usage = 0, Usage()
        await self.check()
        while True:
            attempts += 1
            try:
                value, used = await self._attempt(render, schema, schema_name)
            except JudgeUnusable:
                raise
            except Exception as exc:
                if isinstance(exc, InvalidJudgeOutput):  # the server answered: its tokens were spent
                    usage = usage + exc.usage
                if attempts > self.config.max_retries or not _is_retryable(exc):
                    message = self.endpoint.scrub(describe(exc, self.config.max_text_chars))
                    raise JudgeError(message, usage=usage, requests=attempts) from exc
                log.debug("judge request retry %d after %s", attempts, type(exc).__name__)
                await asyncio.sleep(retry_delay(self.config, exc, attempts))
                continue
            return Completion(value, usage + used, attempts)

    async def _attempt(self, render: Render, schema: type[M], schema_name: str) -> tuple[M, Usage]:
        """One request in the current mode; its outcome counted by the guard."""
        self.guard.check()
        try:
            value, used = await self._request(render(self.mode), schema, schema_name)
        except JudgeUnusable:
            raise
        except Exception as exc:
            self.guard.failed(exc)
            raise
        self.guard.succeeded()
        return value, used

    async def check(self) -> None:
        """Once, before the first request: GET /models, so a dead, wrong or locked judge stops the run at once.

        A server without /models (404) passes: its first requests will tell. A model the server does
        not list is a warning, since some gateways list only part of what they serve.
        """
        if self._checked:
            return
        async with self._check_lock:
            if self._checked:
                return
            wait = min(self.config.timeout, CHECK_TIMEOUT)
            try:
                listed = await self.transport.get("/models", wait)
            except APIStatusError as exc:
                fault = fault_of(exc)
                if fault is not None and fault.kind != "not_found":
                    raise self.guard.stop(f"GET /models: {self.endpoint.scrub(fault.detail)}") from None
            except APIConnectionError as exc:
                problem = connection_problem(exc)
                if problem is None and isinstance(exc, APITimeoutError):
                    problem = f"it accepted the connection but did not answer GET /models within {wait:g} s"
                raise self.guard.stop(problem or self.endpoint.scrub(describe(exc))) from None
            else:
                if not isinstance(listed, dict):
                    raise self.guard.stop("GET /models answered with a body that is not JSON: not an OpenAI-compatible API")
                served = [m.get("id") for m in listed.get("data") or [] if isinstance(m, dict)]
                if served and self.config.model not in served:
                    log.warning("judge.model %r is not among the models %s lists (%s)", self.config.model,
                                self.endpoint.base_url, ", ".join(map(str, served[:10])))
            self._checked = True

    async def aclose(self) -> None:
        self.guard.close()
        await self.transport.aclose()

    def _response_format(self, schema: type[BaseModel], schema_name: str) -> dict[str, Any] | None:
        if self.mode in ("auto", "json_schema"):
            return {"type": "json_schema", "json_schema": {"name": schema_name, "schema": json_schema(schema), "strict": True}}
        if self.mode == "json_object":
            return {"type": "json_object"}
        return None

    def request_body(self, messages: Messages, schema: type[BaseModel], schema_name: str) -> dict[str, Any]:
        """The Chat Completions body of one request in the current mode (the batch layer sends the same)."""
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
        return body

    async def _request(self, messages: Messages, schema: type[M], schema_name: str) -> tuple[M, Usage]:
        body = self.request_body(messages, schema, schema_name)
        async with self.guard.watch(), self._semaphore:
            self.guard.check()  # stopped while this request waited for a slot: send nothing more
            self.requests_sent += 1
            try:
                # The same POST as `chat.completions.create(**body)` (same auth, retries off), minus
                # the typed API's per-request costs (~0.8 ms of CPU): the reply is read as plain JSON.
                completion = await self.transport.post("/chat/completions", body)
            except BadRequestError as exc:
                if self.mode == "auto" and rejects_structured_output(exc):  # "auto" sent a json_schema format
                    log.warning("judge server does not support structured output (%s); using plain JSON",
                                describe(exc))
                    self.mode = "none"
                    raise InvalidJudgeOutput("structured output unsupported; retrying with plain JSON") from exc
                raise
        return read_completion(completion, schema)

