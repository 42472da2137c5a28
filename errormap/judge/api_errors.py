"""The errors of an OpenAI-compatible API call, without the SDK: status errors, connection errors, timeouts.

The classes carry the SDK's names and attributes (`status_code`, `body`, `code`, `param`, `message`)
and are built the way the SDK builds its own from a reply, so a failure reads and classifies the
same whichever transport carried the request: the direct aiohttp POST raises them itself, and the
SDK transport (`judge.http_backend: httpx`, see `sdk_transport`) turns the SDK's into them
(`from_sdk`), keeping the SDK's error as the cause. Header names are stored lower-cased.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


class APIError(Exception):
    """A failed API call; `body` is the reply's `error` object (or the reply text), when there is one."""

    def __init__(self, message: str, *, body: object = None):
        super().__init__(message)
        self.message = message
        self.body = body
        fields: Mapping[str, Any] = body if isinstance(body, dict) else {}
        code = fields.get("code")
        self.code: str | None = str(code) if code is not None else None
        self.param: Any = fields.get("param")
        self.type: Any = fields.get("type")


class APIConnectionError(APIError):
    """No reply: the connection could not be made or broke (the root cause is in `__cause__`)."""

    def __init__(self, message: str = "Connection error."):
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """No reply within the timeout."""

    def __init__(self) -> None:
        super().__init__("Request timed out.")


class APIStatusError(APIError):
    """An HTTP 4xx/5xx reply."""

    def __init__(self, message: str, *, status_code: int, headers: Mapping[str, str], body: object = None):
        super().__init__(message, body=body)
        self.status_code = status_code
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.request_id = self.headers.get("x-request-id")


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The error class of an HTTP status, as the SDK chooses it."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def status_error(status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], raw: bytes) -> APIStatusError:
    """The error of a 4xx/5xx reply, message and body as the SDK makes them.

    The body is the parsed JSON's `error` object (or the whole JSON, or the text when it is not
    JSON); the message is `Error code: N`, plus ` - <message>` when the JSON carries one.
    """
    text = raw.decode("utf-8", errors="replace").strip()
    message = f"Error code: {status}"
    body: object = text
    try:
        body = json.loads(text)
    except ValueError:
        pass
    else:
        inner = body.get("error", body) if isinstance(body, dict) else None
        detail = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(detail, str) and detail:
            message += f" - {detail}"
        if isinstance(body, dict):
            body = body.get("error", body)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return status_error_class(status)(message, status_code=status, headers=dict(pairs), body=body)


def from_sdk(exc: BaseException) -> BaseException:
    """The errormap error for an `openai` SDK error (raise it `from exc`); anything else unchanged."""
    import openai  # only the SDK transport gets here, and it has imported the SDK already

    if isinstance(exc, openai.APITimeoutError):
        return APITimeoutError()
    if isinstance(exc, openai.APIConnectionError):
        return APIConnectionError(exc.message)
    if isinstance(exc, openai.APIStatusError):
        cls = status_error_class(exc.status_code)
        return cls(exc.message, status_code=exc.status_code, headers=dict(exc.response.headers.items()), body=exc.body)
    return exc
