"""How the chat client's requests reach the server: a direct aiohttp POST, or the openai SDK.

`Transport` is what the client needs: POST a JSON body, GET a path, close. Both return the parsed
JSON reply (or its text when it is not JSON) and raise `api_errors` types, so retries and fault
handling do not depend on the transport. `judge.http_backend: auto` (the default) and `aiohttp`
use `AiohttpTransport`, which imports neither the SDK nor httpx (about 0.5 s of start-up and
0.3 s of teardown) and builds no TLS context of its own; `httpx` uses the SDK (`sdk_transport`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os
from typing import Any, Protocol

from errormap.judge.api_errors import APIConnectionError, APITimeoutError, status_error
from errormap.judge.endpoint import Endpoint
from errormap.settings import OpenAIJudgeConfig

log = logging.getLogger(__name__)
USER_AGENT = "errormap"
# Optional OpenAI account headers, read from the environment as the SDK reads them.
ACCOUNT_HEADERS = {"OpenAI-Organization": "OPENAI_ORG_ID", "OpenAI-Project": "OPENAI_PROJECT_ID"}


class Transport(Protocol):
    """Carries the chat client's HTTP calls; errors are `api_errors` types."""

    async def post(self, path: str, body: dict[str, Any]) -> object:
        """POST a JSON body to `base_url + path`; the reply's JSON (or text)."""
        ...

    async def get(self, path: str, timeout: float) -> object:
        """GET `base_url + path` within `timeout` seconds; the reply's JSON (or text)."""
        ...

    async def aclose(self) -> None: ...


def request_headers(endpoint: Endpoint, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The headers of every request: JSON, the bearer key, account headers, then the endpoint's own (which win)."""
    env = os.environ if environ is None else environ
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Authorization": f"Bearer {endpoint.api_key}",
    }
    headers.update({name: env[variable] for name, variable in ACCOUNT_HEADERS.items() if env.get(variable)})
    headers.update(endpoint.headers)
    return headers


def parse_reply(raw: bytes) -> object:
    """A reply body: its JSON, or its text when it is not JSON (the caller decides what that means)."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class AiohttpTransport:
    """Requests straight through one aiohttp session (opened on first use, with the client's concurrency).

    The SDK's request pipeline costs about 2 ms of CPU per request (options, an httpx request and
    response around aiohttp), more than everything else errormap does per request together.
    """

    def __init__(self, endpoint: Endpoint, config: OpenAIJudgeConfig):
        self.base_url = endpoint.base_url.rstrip("/")
        self.headers = request_headers(endpoint)
        self.timeout = config.timeout
        self.limit = config.max_concurrency
        self._session: Any = None

    def _open(self) -> Any:
        import aiohttp  # on first use: a judge that is built but never asks does not pay for it

        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self.headers,
                connector=aiohttp.TCPConnector(limit=self.limit),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        return self._session

    async def post(self, path: str, body: dict[str, Any]) -> object:
        return await self._call("POST", path, data=json.dumps(body))

    async def get(self, path: str, timeout: float) -> object:
        import aiohttp

        log.debug("judge: GET %s%s", self.base_url, path)
        return await self._call("GET", path, timeout=aiohttp.ClientTimeout(total=timeout))

    async def _call(self, method: str, path: str, **options: Any) -> object:
        """One request; a 4xx/5xx reply, a timeout or a connection failure raised as an `api_errors` type."""
        import aiohttp

        session = self._open()
        try:
            async with session.request(method, self.base_url + path, **options) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise status_error(response.status, response.headers.items(), raw)
        except asyncio.TimeoutError as exc:
            raise APITimeoutError() from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError() from (getattr(exc, "os_error", None) or exc)
        return parse_reply(raw)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def has_aiohttp() -> bool:
    """Whether aiohttp is installed (without importing it)."""
    return importlib.util.find_spec("aiohttp") is not None


def build_transport(endpoint: Endpoint, config: OpenAIJudgeConfig) -> Transport:
    """The transport `judge.http_backend` asks for: aiohttp when `auto` can have it, else the SDK over httpx."""
    if config.http_backend in ("auto", "aiohttp"):
        if has_aiohttp():
            return AiohttpTransport(endpoint, config)
        if config.http_backend == "aiohttp":
            raise ValueError("judge.http_backend=aiohttp is unavailable: aiohttp is not installed")
    from errormap.judge.sdk_transport import SdkTransport

    return SdkTransport(endpoint, config)
