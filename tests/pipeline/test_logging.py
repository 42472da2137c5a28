"""Stages are quiet by default: the judge's HTTP request log appears only when asked for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from errormap.judge.schemas import FailureCase
from errormap.stage import LOG_LEVEL_ENV, setup_logging
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge
from errormap.testing.openai_server import AutoResponder, ScriptedServer


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup_logging() reconfigures the root logger: put it back so later tests see the logging they started with."""
    root, errormap = logging.getLogger(), logging.getLogger("errormap")
    handlers, level, errormap_level = root.handlers[:], root.level, errormap.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    errormap.setLevel(errormap_level)


def _diagnose_through_httpx(capfd: pytest.CaptureFixture[str]) -> str:
    case = FailureCase(failure_id="f", dataset="d", example_id="e", model="m", input_text="2+2?", output_text="5")
    with ScriptedServer(AutoResponder()) as server:
        judge = openai_judge(model="quiet", base_url=server.base_url, api_key_env=None, http_backend="httpx")

        async def go():
            try:
                return await diagnose_all([case], judge)
            finally:
                await judge.aclose()

        _, stats = asyncio.run(go())
    assert stats.failed == 0 and stats.requests == 1
    return capfd.readouterr().err


def test_request_log_is_hidden_by_default(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(LOG_LEVEL_ENV, raising=False)
    setup_logging()
    assert "HTTP Request" not in _diagnose_through_httpx(capfd)


def test_request_log_comes_back_on_request(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(LOG_LEVEL_ENV, "DEBUG")
    setup_logging()
    assert "HTTP Request" in _diagnose_through_httpx(capfd)
