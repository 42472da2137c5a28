"""A real local HTTP server speaking the OpenAI Chat Completions protocol.

Used by tests (in-process, via :class:`ScriptedServer`) and by benchmarks (as a
subprocess: ``python -m errormap.testing.openai_server --port P --mode auto``).

Endpoints: ``POST /v1/chat/completions`` and ``GET /v1/models``, plus the files and batches
endpoints of the Batch API (see :mod:`errormap.testing.batch_api`; batch lines are answered by the
same responder). What the server answers is decided by a *responder*: any callable ``(body) -> Reply``.
Usage carries ``prompt_tokens_details.cached_tokens`` from a simulated prefix cache (:class:`PrefixCache`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import inspect
import json
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from errormap.testing.batch_api import BatchService

__all__ = [
    "AutoResponder",
    "EchoResponder",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "ScriptedServer",
    "detect_task",
    "error_body",
    "json_reply",
    "main",
    "make_app",
    "rate_limited",
    "serve",
    "server_error",
    "slow_reply",
]

MODEL_IDS: tuple[str, ...] = ("errormap-test-judge",)
TASKS: tuple[str, ...] = ("diagnosis", "category_list", "classification")
# The title pydantic gives each answer model's JSON schema: how a prompt that carries the schema
# (structured output off, or the plain-JSON fallback) names its task.
SCHEMA_TITLES: dict[str, str] = {
    "Diagnosis": "diagnosis",
    "CategoryList": "category_list",
    "Classification": "classification",
}
_JSON_DECODER = json.JSONDecoder()
_JSON_FENCE = re.compile(r"```json[ \t]*\r?\n(.*?)```", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
BATCHES = web.AppKey("batches", BatchService)


# --------------------------------------------------------------------------- replies


@dataclass
class Reply:
    """What the server sends back for one request.

    ``content`` is the assistant message text (wrapped into a full Chat Completions
    response when ``status == 200``). For other statuses ``error`` is sent as the JSON
    body (a default OpenAI-style error when ``None``). ``delay`` overrides the server's
    delay for this request. Token counts default to a chars/4 estimate when ``None``.
    """

    status: int = 200
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None
    error: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    """Prompt tokens reported as read from the prefix cache; None = the server's prefix-cache simulation."""


Responder = Callable[[dict[str, Any]], "Reply | Awaitable[Reply]"]


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def json_reply(obj: Any, **kw: Any) -> Reply:
    """A 200 reply whose content is ``json.dumps(obj)``; ``kw`` sets other Reply fields."""
    return Reply(content=json.dumps(obj), **kw)


def rate_limited(retry_after: float = 1.0, message: str = "Rate limit reached, retry later.") -> Reply:
    """A 429 reply carrying a ``Retry-After`` header (seconds)."""
    value = str(int(retry_after)) if float(retry_after).is_integer() else repr(float(retry_after))
    return Reply(
        status=429,
        headers={"Retry-After": value},
        error=error_body(message, "rate_limit_error", "rate_limit_exceeded"),
    )


def server_error(message: str = "The server had an error while processing your request.") -> Reply:
    """A 500 reply."""
    return Reply(status=500, error=error_body(message, "server_error"))


def slow_reply(seconds: float, reply: Reply | None = None) -> Reply:
    """``reply`` (default: an empty 200) delayed by ``seconds`` — e.g. to trigger a client timeout."""
    return dataclasses.replace(reply if reply is not None else Reply(content=""), delay=seconds)


# --------------------------------------------------------------------------- responders


class ScriptedResponder:
    """Answers requests in order with scripted replies (thread-safe).

    An entry may be a :class:`Reply` or a callable ``(body) -> Reply``. Once the script
    is used up, every further request gets a 500 whose message says ``script exhausted``.
    """

    def __init__(self, replies: Sequence[Reply | Callable[[dict[str, Any]], Reply]]) -> None:
        self._replies = list(replies)
        self._next = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        """How many scripted replies are still unused."""
        with self._lock:
            return len(self._replies) - self._next

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            index = self._next
            self._next += 1
        if index >= len(self._replies):
            return Reply(
                status=500,
                error=error_body(
                    f"script exhausted: request #{index + 1} but only {len(self._replies)} replies were scripted",
                    "server_error",
                    "script_exhausted",
                ),
            )
        entry = self._replies[index]
        return entry(body) if callable(entry) else entry


class EchoResponder:
    """Replies with the text of the last user message (``--mode echo``)."""

    def __call__(self, body: dict[str, Any]) -> Reply:
        return Reply(content=_last_user_text(body))


class AutoResponder:
    """Valid answers for errormap's three judge request kinds (``--mode auto``).

    The kind comes from what the judge sends anyway (see :func:`detect_task`): the
    structured-output schema name, or the JSON schema written into the prompt. Inputs for ``category_list`` and
    ``classification`` come from the last fenced ```` ```json ```` block of the last
    user message. Answers are deterministic functions of the request.
    """

    ERROR_TITLES: tuple[str, ...] = (
        "Arithmetic calculation error",
        "Wrong option selected",
        "Missing final answer",
        "Incomplete answer",
        "Answer format violation",
        "Refusal to answer",
        "Misread question constraints",
        "Faulty logical deduction",
        "Unit conversion error",
        "Hallucinated supporting facts",
        "Premature final conclusion",
        "Ignored explicit instruction",
    )

    def __call__(self, body: dict[str, Any]) -> Reply:
        task = detect_task(body)
        if task is None:
            return _bad_request(
                f"cannot tell the task: no response_format.json_schema.name in {TASKS} and no JSON schema "
                f"titled one of {tuple(SCHEMA_TITLES)} in the messages"
            )
        try:
            if task == "diagnosis":
                answer = self.diagnose(_last_user_text(body))
            else:
                payload = _last_json_block(_last_user_text(body))
                if task == "category_list":
                    answer = self.categorize(payload)
                else:
                    answer = self.classify(payload)
        except ValueError as exc:
            return _bad_request(f"{task} request: {exc}")
        return json_reply(answer)

    def diagnose(self, user_text: str) -> dict[str, Any]:
        """A diagnosis whose title is a stable hash of the user message."""
        digest = hashlib.sha256(user_text.encode("utf-8")).digest()
        title = self.ERROR_TITLES[int.from_bytes(digest[:8], "big") % len(self.ERROR_TITLES)]
        return {
            "criteria": [
                {
                    "criterion": "States a final answer that matches the reference.",
                    "verdict": "not met",
                    "evidence": _evidence_quote(user_text),
                }
            ],
            "error_title": title,
            "error_summary": f"The first major error is: {title.lower()}. The final answer is therefore wrong.",
        }

    def categorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Categories grouping titles by first word, or the given categories unchanged."""
        titles = _string_list(payload, "titles")
        max_categories = payload.get("max_categories")
        if max_categories is not None and (not isinstance(max_categories, int) or isinstance(max_categories, bool)):
            raise ValueError("'max_categories' must be an integer")
        cap = max(1, max_categories) if max_categories is not None else None
        existing = payload.get("categories")
        if existing:
            drafts = [_category_draft(c) for c in _category_items(existing)]
            return {"categories": _cap_categories(drafts, cap, [])}

        groups: dict[str, list[str]] = {}
        for title in titles:
            key = _group_word(title)
            if key is not None:
                groups.setdefault(key, []).append(title.strip())
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))  # stable: ties keep first-seen order
        drafts = [
            {"name": f"{word.capitalize()} errors", "description": _describe(members)} for word, members in ordered
        ]
        return {"categories": _cap_categories(drafts, cap, [members for _, members in ordered])}

    def classify(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Assign each title to the category whose name's first word is in the title."""
        titles = _string_list(payload, "titles")
        names = [_category_draft(c)["name"] for c in _category_items(payload.get("categories"))]
        if not names:
            raise ValueError("'categories' must be a non-empty list")
        keyed = [(words[0], name) for name in names if (words := _WORD.findall(name.lower()))]
        assignments = []
        for title in titles:
            title_words = set(_WORD.findall(title.lower()))
            chosen = next((name for key, name in keyed if key in title_words), names[0])
            assignments.append({"title": title, "category": chosen})
        return {"assignments": assignments}


def detect_task(body: dict[str, Any]) -> str | None:
    """The request kind, read only from what a real judge needs to send anyway.

    With structured output it is ``response_format.json_schema.name``. Without it (``json_object``
    or no response_format) the answer's JSON schema is written into the prompt, and its top-level
    ``"title"`` (``Diagnosis``, ``CategoryList``, ``Classification``) names the kind. System and
    developer messages are searched first, then the others. ``None`` when neither says.
    """
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        schema = response_format.get("json_schema")
        if isinstance(schema, dict) and schema.get("name") in TASKS:
            return str(schema["name"])
    messages = _messages(body)
    instructions = [m for m in messages if m.get("role") in ("system", "developer")]
    others = [m for m in messages if m.get("role") not in ("system", "developer")]
    for message in instructions + others:
        for value in _json_objects(_text_of(message.get("content"))):
            title = value.get("title")
            if isinstance(title, str) and title in SCHEMA_TITLES and isinstance(value.get("properties"), dict):
                return SCHEMA_TITLES[title]
    return None


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """The outermost JSON objects embedded in ``text``, left to right."""
    index = text.find("{")
    while index != -1:
        try:
            value, end = _JSON_DECODER.raw_decode(text, index)
        except json.JSONDecodeError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            yield value
        index = text.find("{", end)


# --------------------------------------------------------------------------- helpers


_GENERIC_WORDS = {"other", "misc", "miscellaneous", "general", "various", "hard", "unknown"}


def _bad_request(message: str) -> Reply:
    return Reply(status=400, error=error_body(message))


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _text_of(content: Any) -> str:
    """Text of a message content: a string or a list of ``{"type": "text", "text": ...}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(_messages(body)):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _last_json_block(text: str) -> dict[str, Any]:
    blocks = _JSON_FENCE.findall(text)
    if not blocks:
        raise ValueError("no ```json fenced block in the last user message")
    try:
        payload = json.loads(blocks[-1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"the last ```json block is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValueError("the last ```json block must hold a JSON object")
    return payload


def _evidence_quote(user_text: str) -> str:
    """A short quote of the wrong output when the request carries one in a json block."""
    try:
        payload = _last_json_block(user_text)
    except ValueError:
        return ""
    for key in ("output_text", "output", "wrong_output"):
        value = payload.get(key)
        if isinstance(value, str):
            return value.strip()[:80]
    return ""


def _string_list(payload: dict[str, Any], key: str) -> list[str]:
    value = payload.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return value


def _category_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("'categories' must be a list")
    return value


def _category_draft(item: Any) -> dict[str, str]:
    """``{"name", "description"}`` from a category object or a bare name."""
    if isinstance(item, str) and item.strip():
        return {"name": item.strip(), "description": f"Errors of the kind '{item.strip()}'."}
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
        description = item.get("description")
        return {"name": item["name"], "description": description if isinstance(description, str) else ""}
    raise ValueError("each category must be a name or an object with a 'name'")


def _group_word(title: str) -> str | None:
    """The first non-generic word of a title (lower case), or None for a blank title."""
    words = title.split()
    if not words:
        return None
    for word in words:
        cleaned = word.strip(".,;:!?()[]\"'").lower()
        if cleaned and cleaned not in _GENERIC_WORDS:
            return cleaned
    return "unlabelled"


def _describe(members: list[str]) -> str:
    shown = "; ".join(f"'{m}'" for m in members[:2])
    more = f" and {len(members) - 2} more" if len(members) > 2 else ""
    return f"Failures such as {shown}{more}."


def _cap_categories(
    drafts: list[dict[str, str]], cap: int | None, members: list[list[str]]
) -> list[dict[str, str]]:
    """Keep at most ``cap`` categories, merging the overflow into the last one kept."""
    if cap is None or len(drafts) <= cap:
        return drafts
    kept = [dict(d) for d in drafts[:cap]]
    overflow = drafts[cap - 1 :]
    if members:
        merged = [m for group in members[cap - 1 :] for m in group]
        kept[-1]["description"] = _describe(merged)
    else:
        kept[-1]["description"] = " ".join(d["description"] for d in overflow if d["description"]).strip()
    return kept


def _estimate_prompt_tokens(body: dict[str, Any]) -> int:
    return sum(len(_text_of(m.get("content"))) for m in _messages(body)) // 4


class PrefixCache:
    """A provider's prompt cache, simulated: a first message seen before counts as cached tokens (chars/4)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def cached_tokens(self, body: dict[str, Any]) -> int:
        messages = _messages(body)
        if not messages:
            return 0
        first = _text_of(messages[0].get("content"))
        key = hashlib.sha256(first.encode("utf-8")).hexdigest()
        with self._lock:
            seen = key in self._seen
            self._seen.add(key)
        return len(first) // 4 if seen else 0


def completion_payload(body: dict[str, Any], reply: Reply, cache: PrefixCache | None = None) -> dict[str, Any]:
    """The Chat Completions response body of a 200 reply to ``body``."""
    prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else _estimate_prompt_tokens(body)
    completion_tokens = reply.completion_tokens if reply.completion_tokens is not None else len(reply.content or "") // 4
    cached = reply.cached_tokens if reply.cached_tokens is not None else (cache.cached_tokens(body) if cache else 0)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODEL_IDS[0]),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": min(cached, prompt_tokens)},
        },
    }


def _json_error(status: int, message: str, type_: str = "invalid_request_error") -> web.Response:
    return web.json_response(error_body(message, type_), status=status)


# --------------------------------------------------------------------------- app


def make_app(
    responder: Responder,
    delay: float = 0.0,
    requests: list[dict[str, Any]] | None = None,
    lock: threading.Lock | None = None,
) -> web.Application:
    """The aiohttp application. Bodies are appended to ``requests`` when it is given."""
    lock = lock or threading.Lock()
    prefix_cache = PrefixCache()

    async def reply_to(body: dict[str, Any]) -> Reply:
        """The responder's reply; a responder bug is a 500 reply at once (the server must still answer)."""
        try:
            reply = responder(body)
            return await reply if inspect.isawaitable(reply) else reply
        except Exception as exc:
            return Reply(500, delay=0, error=error_body(f"responder failed: {type(exc).__name__}: {exc}", "server_error"))

    def payload(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """The JSON body sent for ``reply``: the completion on 200, else its error (a default one when None)."""
        if reply.status == 200:
            return completion_payload(body, reply, prefix_cache)
        return reply.error if reply.error is not None else error_body(f"HTTP {reply.status}", "server_error")

    async def batch_answer(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One batch line, answered as the chat endpoint would answer it (without its delay)."""
        reply = await reply_to(body)
        return reply.status, payload(body, reply)

    async def chat_completions(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json_error(400, "request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _json_error(400, "request body must be a JSON object with a 'messages' list")
        if requests is not None:
            with lock:
                requests.append(body)
        if body.get("stream"):
            return _json_error(400, "stream=true is not supported by this test server")
        reply = await reply_to(body)
        wait = reply.delay if reply.delay is not None else delay
        if wait > 0:
            await asyncio.sleep(wait)
        return web.json_response(payload(body, reply), status=reply.status, headers=reply.headers)

    async def models(request: web.Request) -> web.Response:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "errormap"} for m in MODEL_IDS]
        return web.json_response({"object": "list", "data": data})

    @web.middleware
    async def json_errors(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
            return _json_error(exc.status, f"{exc.reason}: {request.method} {request.path}", kind)

    app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024**2)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", models)
    app[BATCHES] = BatchService(batch_answer)
    app[BATCHES].add_routes(app)
    return app


def _runner(app: web.Application) -> web.AppRunner:
    # No access log; cancel handlers of disconnected clients so timed-out slow replies stop.
    return web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)


# --------------------------------------------------------------------------- in-process server


class ScriptedServer:
    """The server on 127.0.0.1 (free port) in a background thread with its own event loop.

    Use as ``with ScriptedServer(responder, delay=0.0) as server:``; ``responder``
    defaults to :class:`AutoResponder`, and a list of replies is wrapped in a
    :class:`ScriptedResponder`. ``server.base_url`` ends in ``/v1``.
    """

    def __init__(
        self,
        responder: Responder | Sequence[Reply | Callable[[dict[str, Any]], Reply]] | None = None,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if responder is None:
            responder = AutoResponder()
        elif not callable(responder):
            responder = ScriptedResponder(responder)
        self.responder: Responder = responder
        self.delay = delay
        self.host = host
        self.port = port
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.batches: BatchService | None = None
        """The files and batches endpoints' state (set once started): `hold()`, `release()`, counters."""

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1`` — pass as the OpenAI client's ``base_url``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def request_count(self) -> int:
        """How many chat-completion requests have been received."""
        with self._lock:
            return len(self.requests)

    def start(self, timeout: float = 10.0) -> "ScriptedServer":
        """Start serving; returns once the port is listening."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name="errormap-openai-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("test server did not start in time")
        if self._startup_error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise RuntimeError("test server failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "ScriptedServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by start() if it happens before READY
            self._startup_error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = _runner(make_app(self.responder, self.delay, self.requests, self._lock))
        await runner.setup()
        self.batches = runner.app[BATCHES]
        try:
            site = web.TCPSite(runner, self.host, self.port, backlog=1024)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()


# --------------------------------------------------------------------------- subprocess entry point


async def serve(host: str, port: int, delay: float, responder: Responder) -> None:
    """Serve until SIGTERM/SIGINT, printing ``READY <base_url>`` once listening."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = _runner(make_app(responder, delay))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=4096)
        await site.start()
        bound_port = runner.addresses[0][1]
        print(f"READY http://{host}:{bound_port}/v1", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


MODES: dict[str, Callable[[], Responder]] = {"auto": AutoResponder, "echo": EchoResponder}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m errormap.testing.openai_server",
        description=(
            "Local OpenAI-compatible Chat Completions server for tests and benchmarks "
            "(POST /v1/chat/completions, GET /v1/models). Prints 'READY <base_url>' when "
            "listening and runs until SIGTERM/SIGINT."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default: %(default)s)")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds to wait before answering each request (default: %(default)s)"
    )
    parser.add_argument(
        "--mode",
        choices=sorted(MODES),
        default="auto",
        help="auto: valid answers to errormap's diagnosis/category_list/classification requests; "
        "echo: reply with the last user message (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.delay < 0:
        parser.error("--delay must be >= 0")
    asyncio.run(serve(args.host, args.port, args.delay, MODES[args.mode]()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
