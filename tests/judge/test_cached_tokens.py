"""Cached prompt tokens (`prompt_tokens_details.cached_tokens`) are counted, and their share is a metric."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from errormap.judge import build_judge
from errormap.judge.client import read_completion
from errormap.judge.schemas import Diagnosis
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import AutoResponder, Reply, ScriptedServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_batch_mode import cases  # noqa: E402

DIAGNOSIS = '{"criteria": [], "error_title": "Arithmetic calculation error", "error_summary": "Wrong sum."}'


def test_usage_reads_cached_tokens() -> None:
    body = {"choices": [{"message": {"content": DIAGNOSIS}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 20, "prompt_tokens_details": {"cached_tokens": 640}}}
    _, usage = read_completion(body, Diagnosis)
    assert (usage.prompt_tokens, usage.cached_prompt_tokens) == (900, 640)
    _, without = read_completion({**body, "usage": {"prompt_tokens": 900, "completion_tokens": 20}}, Diagnosis)
    assert without.cached_prompt_tokens == 0


class Cached(AutoResponder):
    def __call__(self, body: dict) -> Reply:
        reply = super().__call__(body)
        reply.prompt_tokens, reply.cached_tokens = 500, 384
        return reply


def test_the_run_reports_the_cached_share() -> None:
    with ScriptedServer(Cached()) as server:
        judge = build_judge(openai_judge_config(model="m", base_url=server.base_url, api_key_env=None),
                            prompt_version="v1", store_path=None)

        async def main():
            try:
                return await diagnose_all(cases(10), judge)
            finally:
                await judge.aclose()

        _, stats = asyncio.run(main())
    metrics = stats.as_metrics()
    assert metrics["prompt_tokens"] == 5000 and metrics["cached_prompt_tokens"] == 3840
    assert metrics["cached_prompt_share"] == 0.768


def test_the_protocol_server_simulates_a_prefix_cache() -> None:
    with ScriptedServer() as server:
        judge = build_judge(openai_judge_config(model="m", base_url=server.base_url, api_key_env=None),
                            prompt_version="v1", store_path=None)

        async def main():
            try:
                first, _ = await diagnose_all(cases(1), judge)
                return await diagnose_all(cases(4)[1:], judge)
            finally:
                await judge.aclose()

        _, stats = asyncio.run(main())
        system = len(server.requests[0]["messages"][0]["content"]) // 4
    assert stats.usage.cached_prompt_tokens == 3 * system  # the same system message, seen before
