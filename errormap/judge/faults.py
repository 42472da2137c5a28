"""What went wrong with a judge request: the root cause, whether it says the judge is unusable, and what a 400 means.

A connection refused, a host not found, a 401/403, a 404 or a body that is not the API's JSON
(an HTML error page) say the judge is down or misconfigured: retrying every failure against it only
burns time. A too-long prompt is that one request's problem. Structured output is given up only
when the server says it does not support it, not on any 400.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from errormap.errors import StageError
from errormap.judge.api_errors import APIStatusError, BadRequestError

CONTEXT_LENGTH = re.compile(
    r"(?i)context[_ ]length|maximum context|context window|too many tokens|prompt is too long|"
    r"input is too long|reduce the length|exceeds the model's"
)
STRUCTURED_OUTPUT = re.compile(r"(?i)response[_ ]format|json[_ ]schema|structured[_ ]output|guided[_ ](?:json|decoding)")


class JudgeUnusable(StageError):
    """The judge cannot answer at all (unreachable, refuses the key, wrong URL, stalled): the stage stops."""


class NonJsonReply(ValueError):
    """A 200 reply whose body is not JSON (an HTML page: the URL is not an OpenAI-compatible API)."""


@dataclass(frozen=True)
class Fault:
    """An error that says the judge is unusable; two faults are the same when kind and detail are."""

    kind: str
    detail: str


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def connection_problem(exc: BaseException) -> str | None:
    """Why no connection could be made ('connection refused', 'host not found'...), or None."""
    chain = list(causes(exc))
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"host not found ({cause.strerror or cause})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or cause})"
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno is not None and not isinstance(cause, TimeoutError):
            return f"cannot connect ({cause.strerror or cause})"
    return None


def _content_type(exc: APIStatusError) -> str:
    return exc.headers.get("content-type", "").split(";")[0].strip().lower()


def _status_message(exc: APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return str(message)[:300]
    return str(exc.message)[:300]


def fault_of(exc: BaseException) -> Fault | None:
    """The fault an error shows, when it says the judge is unusable rather than this request unlucky."""
    problem = connection_problem(exc)
    if problem:
        return Fault("unreachable", problem)
    if isinstance(exc, NonJsonReply):
        return Fault("not_json", str(exc))
    if isinstance(exc, APIStatusError):
        kind = _content_type(exc)
        if kind and "json" not in kind:
            return Fault("not_json", f"HTTP {exc.status_code} with a {kind} body, not the API's JSON")
        if exc.status_code in (401, 403):
            return Fault("auth", f"HTTP {exc.status_code}, the key was refused: {_status_message(exc)}")
        if exc.status_code == 404:
            return Fault("not_found", f"HTTP 404 (check judge.base_url and judge.model): {_status_message(exc)}")
    return None


def is_context_length(exc: BaseException) -> bool:
    """A 400/413 saying the prompt does not fit the judge's context."""
    if not isinstance(exc, APIStatusError) or exc.status_code not in (400, 413):
        return False
    return getattr(exc, "code", None) == "context_length_exceeded" or bool(CONTEXT_LENGTH.search(_status_message(exc)))


def rejects_structured_output(exc: BaseException) -> bool:
    """A 400 saying the server does not support the response_format sent (not any other bad request)."""
    if not isinstance(exc, BadRequestError) or is_context_length(exc):
        return False
    return getattr(exc, "param", None) == "response_format" or bool(STRUCTURED_OUTPUT.search(_status_message(exc)))


def describe(exc: BaseException, max_text_chars: int | None = None) -> str:
    """One line for a failed diagnosis: the error, its root cause, and for a too-long prompt what to change."""
    if isinstance(exc, APIStatusError):
        text = f"{type(exc).__name__}: HTTP {exc.status_code}: {_status_message(exc)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    problem = connection_problem(exc)
    if problem and problem not in text:
        text += f" ({problem})"
    if is_context_length(exc):
        limit = f" (now {max_text_chars})" if max_text_chars else ""
        text = f"prompt too long for the judge's context; lower judge.max_text_chars{limit}. {text}"
    return text[:500]
