"""Both transports (direct aiohttp, the SDK over httpx) raise and classify every failure the same way.

Each case is served by a real local server to one request through each transport; what the chat
client, the fault analysis and the fleet make of the error must be identical. The default transport
must load neither the SDK nor httpx.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest

from errormap.judge import api_errors
from errormap.judge.client import _is_retryable, _retry_after_seconds
from errormap.judge.endpoint import resolve_endpoint
from errormap.judge.faults import describe, fault_of, is_context_length, rejects_structured_output
from errormap.judge.fleet import _endpoint_failure, _retryable
from errormap.judge.sdk_transport import SdkTransport
from errormap.judge.transport import AiohttpTransport, Transport, request_headers
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import Reply, ScriptedServer, error_body, rate_limited, server_error, slow_reply
from tests.stub_server import Answer, StubServer

ROOT = Path(__file__).resolve().parents[2]
BODY = {"model": "judge-model", "messages": [{"role": "user", "content": "hi"}]}


def _transports(base_url: str, **overrides: Any) -> list[Transport]:
    config = openai_judge_config(model="judge-model", base_url=base_url, api_key_env=None, **overrides)
    endpoint = resolve_endpoint(config)
    return [AiohttpTransport(endpoint, config), SdkTransport(endpoint, config)]


async def _outcome(transport: Transport) -> BaseException | object:
    try:
        return await transport.post("/chat/completions", BODY)
    except Exception as exc:  # what the transport raised is the point
        return exc
    finally:
        await transport.aclose()


def _outcomes(base_url: str, **overrides: Any) -> list[Any]:
    return [asyncio.run(_outcome(t)) for t in _transports(base_url, **overrides)]


def classification(exc: BaseException) -> dict[str, Any]:
    """Everything the client, the guard and the fleet read from an error."""
    fields = {name: getattr(exc, name, None) for name in ("message", "status_code", "body", "code", "param", "type")}
    headers = getattr(exc, "headers", {})
    return {
        "class": type(exc).__name__, **fields,
        "retry-after": headers.get("retry-after"), "content-type": (headers.get("content-type") or "").split(";")[0],
        "retryable": _is_retryable(exc), "retry_after_seconds": _retry_after_seconds(exc), "fault": fault_of(exc),
        "describe": describe(exc, 1000), "context_length": is_context_length(exc),
        "rejects_structured_output": rejects_structured_output(exc),
        "endpoint_failure": _endpoint_failure(exc), "fleet_retryable": _retryable(exc),
    }


def _same_classification(outcomes: list[Any]) -> dict[str, Any]:
    direct, sdk = outcomes
    assert isinstance(direct, api_errors.APIError), direct
    assert isinstance(sdk, api_errors.APIError) and isinstance(sdk.__cause__, openai.APIError), sdk
    assert classification(direct) == classification(sdk)
    return classification(direct)


SCRIPTED = {
    "429 with Retry-After": rate_limited(2.5),
    "500": server_error("boom"),
    "400 structured output unsupported": Reply(status=400, error=error_body("response_format json_schema is not supported")),
    "400 context length": Reply(status=400, error=error_body("This model's maximum context length is 8192 tokens",
                                                             code="context_length_exceeded")),
    "400 other": Reply(status=400, error=error_body("temperature must be at most 2", code="invalid_value")),
    "401": Reply(status=401, error=error_body("Incorrect API key provided", "invalid_api_key")),
    "403": Reply(status=403, error=error_body("Project has no access", "permission_denied")),
    "404": Reply(status=404, error=error_body("The model does not exist", code="model_not_found")),
    "408": Reply(status=408, error=error_body("request timeout")),
    "409": Reply(status=409, error=error_body("conflict")),
    "413": Reply(status=413, error=error_body("prompt is too long")),
    "422": Reply(status=422, error=error_body("unprocessable")),
    "503 with retry-after-ms": Reply(status=503, headers={"retry-after-ms": "1500"}, error=error_body("overloaded")),
    "418 without a message": Reply(status=418, error={"detail": "teapot"}),
}


@pytest.mark.parametrize("reply", SCRIPTED.values(), ids=list(SCRIPTED))
def test_status_errors_classify_the_same_through_both_transports(reply: Reply) -> None:
    with ScriptedServer([reply, reply]) as server:
        seen = _same_classification(_outcomes(server.base_url))
    assert seen["status_code"] == reply.status


STUBBED = {
    "502 HTML page": Answer(502, "<html><body>Bad gateway</body></html>", "text/html"),
    "500 plain text": Answer(500, "upstream connect error", "text/plain"),
    "500 empty": Answer(500, "", "text/plain"),
    "400 JSON list": Answer(400, json.dumps(["not", "an", "object"])),
}


@pytest.mark.parametrize("answer", STUBBED.values(), ids=list(STUBBED))
def test_odd_error_bodies_classify_the_same_through_both_transports(answer: Answer) -> None:
    with StubServer(lambda method, path: answer) as stub:
        _same_classification(_outcomes(stub.base_url))


def test_an_html_page_with_200_comes_back_as_text_from_both() -> None:
    page = "<html><body>Login</body></html>"
    with StubServer(lambda method, path: Answer(200, page, "text/html")) as stub:
        assert _outcomes(stub.base_url) == [page, page]


def test_connection_refused_classifies_the_same() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen = _same_classification(_outcomes(f"http://127.0.0.1:{port}/v1"))
    assert seen["class"] == "APIConnectionError" and seen["fault"].detail == "connection refused"


def test_timeout_classifies_the_same() -> None:
    with ScriptedServer([slow_reply(2.0), slow_reply(2.0)]) as server:
        seen = _same_classification(_outcomes(server.base_url, timeout=0.2))
    assert seen["class"] == "APITimeoutError" and seen["retryable"] and seen["endpoint_failure"]


def test_status_error_is_built_as_the_sdk_builds_it() -> None:
    raw = json.dumps({"error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": 429}})
    exc = api_errors.status_error(429, [("Retry-After", "3"), ("X-Request-Id", "req-1")], raw.encode())
    assert isinstance(exc, api_errors.RateLimitError) and str(exc) == "Error code: 429 - slow down"
    assert exc.body == {"message": "slow down", "type": "rate_limit_error", "param": None, "code": 429}
    assert (exc.code, exc.request_id, exc.headers["retry-after"]) == ("429", "req-1", "3")


def test_default_headers_carry_the_key_and_let_the_endpoint_override() -> None:
    config = openai_judge_config(model="m", base_url="http://127.0.0.1:9/v1", api_key_env=None,
                                 default_headers={"X-Team": "evals"})
    headers = request_headers(resolve_endpoint(config), environ={"OPENAI_ORG_ID": "org-1"})
    assert headers["Authorization"] == "Bearer not-needed" and headers["X-Team"] == "evals"
    assert headers["OpenAI-Organization"] == "org-1" and "OpenAI-Project" not in headers


def test_the_default_transport_loads_neither_the_sdk_nor_httpx() -> None:
    """Build the judge as a stage does, ask it once, and look at what got imported (a fresh interpreter)."""
    script = """
import asyncio, sys
from errormap.judge import build_judge
from errormap.judge.schemas import Diagnosis
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import ScriptedServer, json_reply
answer = {"criteria": [], "error_title": "t", "error_summary": "s"}
with ScriptedServer([json_reply(answer)]) as server:
    judge = build_judge(openai_judge_config(model="m", base_url=server.base_url, api_key_env=None, check_on_start=False),
                        prompt_version="v1", store_path=None)
    async def go():
        try:
            done = await judge.client.complete(lambda mode: [{"role": "user", "content": "x"}], Diagnosis, "diagnosis")
            assert done.value.error_title == "t"
        finally:
            await judge.aclose()
    asyncio.run(go())
print(sorted(m for m in ("openai", "httpx", "httpx2", "certifi") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
