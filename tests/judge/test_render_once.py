"""A caching LLM judge renders each request once: the messages its store key was computed from are the ones sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from errormap.judge import AnswerStore, CachingJudge
from errormap.judge.openai_judge import LastRendered, OpenAIJudge
from errormap.judge.schemas import FailureCase
from errormap.judge.tasks import DIAGNOSE
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge
from errormap.testing.openai_server import AutoResponder, ScriptedServer


def case(i: int) -> FailureCase:
    return FailureCase(failure_id=f"f{i}", dataset="arith", example_id=f"e{i}", model="m1",
                       input_text=f"What is {i} * 3?", output_text=f"{i} * 3 = {3 * i + 1}.", correct_answer=str(3 * i),
                       other_correct_outputs=[f"{i} * 3 = {3 * i}."], other_models=["m2"])


class CountingPrompts:
    """Wraps a prompt set and counts renders per template."""

    def __init__(self, inner: object):
        self.inner = inner
        self.renders: dict[str, int] = {}

    def render(self, template: str, **context: object) -> str:
        self.renders[template] = self.renders.get(template, 0) + 1
        return self.inner.render(template, **context)  # type: ignore[attr-defined]


def diagnose(judge: CachingJudge, cases: list[FailureCase]):
    async def go():
        try:
            return await diagnose_all(cases, judge)
        finally:
            await judge.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("structured_output", ["auto", "json_schema"])
def test_each_diagnosis_is_rendered_once_and_sent_as_keyed(tmp_path: Path, structured_output: str) -> None:
    cases = [case(i) for i in range(6)]
    with ScriptedServer(AutoResponder()) as server:
        judge = openai_judge(AnswerStore(tmp_path / "cache.sqlite"), model="m", base_url=server.base_url,
                             api_key_env=None, structured_output=structured_output)
        keyed = [judge.inner.request_identity(DIAGNOSE, {"case": c})["messages"] for c in cases]
        counting = judge.inner.prompts = CountingPrompts(judge.inner.prompts)
        frame, stats = diagnose(judge, cases)
        sent = {r["messages"][1]["content"]: r["messages"] for r in server.requests}
    assert stats.failed == 0 and server.request_count == len(cases)
    assert counting.renders["diagnose_user"] == len(cases)
    assert [sent[k[1]["content"]] for k in keyed] == keyed


def test_a_retry_in_plain_json_mode_renders_the_schema_into_the_prompt(tmp_path: Path) -> None:
    """Only the mode the key was rendered for reuses its messages."""
    judge: OpenAIJudge = openai_judge(None, model="m", base_url="http://127.0.0.1:9/v1", api_key_env=None)
    request = {"case": case(1)}
    judge.request_identity(DIAGNOSE, request)
    render = judge._renderer(DIAGNOSE, request)
    assert render("auto") == render("json_schema")
    plain = render("none")
    assert plain == judge.render(DIAGNOSE, "none", **judge._context(DIAGNOSE, request)) and plain != render("auto")


def test_last_rendered_matches_by_identity_and_keeps_only_the_latest() -> None:
    keys = LastRendered()
    first, equal = case(1), case(1)
    keys.put(DIAGNOSE, {"case": first}, [{"role": "user", "content": "a"}])
    assert keys.take(DIAGNOSE, {"case": equal}) is None  # equal, but not the request it was rendered for
    keys.put(DIAGNOSE, {"case": first}, [{"role": "user", "content": "a"}])
    assert keys.take(DIAGNOSE, {"case": first}) == [{"role": "user", "content": "a"}]
    assert keys.take(DIAGNOSE, {"case": first}) is None  # taken once
    kept = [case(i) for i in range(3)]
    for c in kept:
        keys.put(DIAGNOSE, {"case": c}, [])
    assert keys.take(DIAGNOSE, {"case": kept[0]}) is None  # only the latest rendering is kept
    for c in kept:
        keys.put(DIAGNOSE, {"case": c}, [])
    assert keys.take(DIAGNOSE, {"case": kept[2]}) == []
