"""The openai SDK as the judge's transport (`judge.http_backend: httpx`) and as the Batch API's client.

Imported only on those paths: the SDK costs about 0.5 s of CPU to import and 0.3 s to tear down.
Its errors are turned into `api_errors` types (the SDK's error kept as the cause), so the
chat client classifies them exactly as it does the direct aiohttp transport's.
"""

from __future__ import annotations

from typing import Any

import openai

from errormap.judge.api_errors import from_sdk
from errormap.judge.endpoint import Endpoint
from errormap.settings import OpenAIJudgeConfig


def _connection_limits(max_concurrency: int) -> Any:
    """The SDK's default pool limits, raised so every concurrent request keeps its connection alive."""
    default = openai.DEFAULT_CONNECTION_LIMITS
    return type(default)(
        max_connections=max(default.max_connections or 0, max_concurrency),
        max_keepalive_connections=max(default.max_keepalive_connections or 0, max_concurrency),
        keepalive_expiry=default.keepalive_expiry,
    )


def _http_client(config: OpenAIJudgeConfig, *, prefer_aiohttp: bool) -> Any:
    """The SDK's HTTP client: its aiohttp transport when preferred and installed, else httpx."""
    limits = _connection_limits(config.max_concurrency)
    if prefer_aiohttp and config.http_backend in ("auto", "aiohttp"):
        try:
            return openai.DefaultAioHttpClient(limits=limits)
        except RuntimeError as exc:  # the SDK's way of saying openai[aiohttp] is not installed
            if config.http_backend == "aiohttp":
                raise ValueError(f"judge.http_backend=aiohttp is unavailable: {exc}") from exc
    return openai.DefaultAsyncHttpxClient(limits=limits)


def sdk_client(endpoint: Endpoint, config: OpenAIJudgeConfig, *, prefer_aiohttp: bool = True) -> openai.AsyncOpenAI:
    """An SDK client for the endpoint: its credentials and headers, the judge's timeout, no SDK retries."""
    return openai.AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        default_headers=endpoint.headers,
        timeout=config.timeout,
        max_retries=0,
        http_client=_http_client(config, prefer_aiohttp=prefer_aiohttp),
    )


class SdkTransport:
    """Implements `transport.Transport` with the SDK's raw `post`/`get` over httpx."""

    def __init__(self, endpoint: Endpoint, config: OpenAIJudgeConfig):
        self.client = sdk_client(endpoint, config, prefer_aiohttp=False)

    async def post(self, path: str, body: dict[str, Any]) -> object:
        try:
            return await self.client.post(path, body=body, cast_to=object)
        except openai.OpenAIError as exc:
            raise from_sdk(exc) from exc

    async def get(self, path: str, timeout: float) -> object:
        try:
            return await self.client.get(path, cast_to=object, options={"timeout": timeout})
        except openai.OpenAIError as exc:
            raise from_sdk(exc) from exc

    async def aclose(self) -> None:
        await self.client.close()
