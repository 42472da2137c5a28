"""The OpenAI-compatible judge against a real local HTTP server speaking Chat Completions."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from errormap.judge import AnswerStore, JudgeError, OpenAIJudge, TitleCount
from errormap.judge.schemas import CategoryDraft, FailureCase
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge
from errormap.testing.openai_server import (
    AutoResponder,
    Reply,
    ScriptedServer,
    json_reply,
    rate_limited,
    server_error,
    slow_reply,
)

DIAGNOSIS = {
    "criteria": [{"criterion": "Computes 12*3", "verdict": "not met", "evidence": "12 * 3 = 38"}],
    "error_title": "Arithmetic calculation error",
    "error_summary": "The product is wrong.",
}


def case(model: str = "m1", example: str = "e1") -> FailureCase:
    return FailureCase(
        failure_id=f"{example}-{model}",
        dataset="arith",
        example_id=example,
        model=model,
        input_text="What is 12 * 3?",
        output_text="12 * 3 = 38. The answer is 38.",
        correct_answer="36",
        other_correct_outputs=["12 * 3 = 36. The answer is 36."],
        other_models=["m2"],
    )


def make_judge(server: ScriptedServer, store: AnswerStore | None = None, **overrides: object) -> OpenAIJudge:
    settings = dict(model="judge-model", base_url=server.base_url, api_key_env=None, timeout=5.0,
                    max_retries=3, retry_base_delay=0.01, max_concurrency=8)
    settings.update(overrides)
    return openai_judge(store, **settings)


def run(coro):
    return asyncio.run(coro)


async def diagnose_once(judge: OpenAIJudge, failure: FailureCase):
    try:
        return await judge.diagnose(failure)
    finally:
        await judge.aclose()


def strict_mode_problems(schema: object, where: str = "$") -> list[str]:
    """What OpenAI's strict structured output would reject in a JSON schema."""
    problems: list[str] = []
    if isinstance(schema, dict):
        if "$ref" in schema and len(schema) > 1:
            problems.append(f"{where}: keywords next to $ref: {sorted(set(schema) - {'$ref'})}")
        if schema.get("type") == "object":
            if schema.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties is not false")
            if set(schema.get("required", [])) != set(schema.get("properties", {})):
                problems.append(f"{where}: not every property is required")
        for key, value in schema.items():
            problems += strict_mode_problems(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            problems += strict_mode_problems(value, f"{where}[{i}]")
    return problems


def test_strict_mode_problems_finds_what_pydantic_emits() -> None:
    from errormap.judge.schemas import Diagnosis

    assert strict_mode_problems(Diagnosis.model_json_schema())  # the checker is not vacuous


def test_structured_output_schemas_satisfy_strict_mode() -> None:
    from errormap.judge.tasks import SCHEMA_NAMES

    categories = [CategoryDraft(name="Calculation errors", description="Numbers computed wrongly.")]
    replies = [json_reply(DIAGNOSIS), json_reply({"categories": [c.model_dump() for c in categories]}),
               json_reply({"assignments": [{"title": "t", "category": "Calculation errors"}]})]
    with ScriptedServer(replies) as server:
        judge = make_judge(server)

        async def go():
            try:
                await judge.diagnose(case())
                await judge.propose_categories([TitleCount("t", 1)], parent=None, max_categories=3)
                await judge.classify(["t"], categories, parent=None)
            finally:
                await judge.aclose()

        run(go())
    sent = {body["response_format"]["json_schema"]["name"]: body["response_format"]["json_schema"] for body in server.requests}
    assert set(sent) == set(SCHEMA_NAMES.values())
    for name, format_ in sent.items():
        assert format_["strict"] is True
        assert strict_mode_problems(format_["schema"]) == [], name


def test_structured_output_request_and_parsed_answer() -> None:
    with ScriptedServer([json_reply(DIAGNOSIS, prompt_tokens=120, completion_tokens=30)]) as server:
        answer = run(diagnose_once(make_judge(server), case()))
    body = server.requests[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "diagnosis"
    assert body["model"] == "judge-model" and body["temperature"] == 0.0
    system, user = body["messages"]
    assert "first major error" in system["content"]
    assert "12 * 3 = 38" in user["content"] and "36" in user["content"]
    assert user["content"].index("Reference answer") < user["content"].index("Answer under review")
    assert answer.value.error_title == "Arithmetic calculation error"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.requests) == (120, 30, 1)


def test_static_instructions_come_first_for_prefix_caching() -> None:
    with ScriptedServer([json_reply(DIAGNOSIS), json_reply(DIAGNOSIS)]) as server:
        judge = make_judge(server)
        run(diagnose_once(judge, case("m1")))
        run(diagnose_once(make_judge(server), case("m3", "e9").model_copy(update={"input_text": "Other task"})))
    first, second = (r["messages"] for r in server.requests)
    assert first[0] == second[0]
    assert first[1] != second[1]


def test_invalid_json_is_retried() -> None:
    replies = [Reply(content="Sure! here is my analysis: not json"), json_reply(DIAGNOSIS)]
    with ScriptedServer(replies) as server:
        answer = run(diagnose_once(make_judge(server), case()))
    assert server.request_count == 2 and answer.requests == 2
    assert answer.value.error_title == "Arithmetic calculation error"


def test_fenced_json_is_accepted() -> None:
    with ScriptedServer([Reply(content="```json\n" + json.dumps(DIAGNOSIS) + "\n```")]) as server:
        answer = run(diagnose_once(make_judge(server), case()))
    assert answer.value.error_summary == "The product is wrong."


def test_rate_limit_honours_retry_after() -> None:
    with ScriptedServer([rate_limited(0.6), json_reply(DIAGNOSIS)]) as server:
        started = time.perf_counter()
        answer = run(diagnose_once(make_judge(server, retry_base_delay=0.001), case()))
        waited = time.perf_counter() - started
    assert server.request_count == 2 and answer.requests == 2
    assert waited >= 0.55  # the exponential backoff alone would have waited ~1 ms


def test_server_error_is_retried() -> None:
    with ScriptedServer([server_error(), server_error(), json_reply(DIAGNOSIS)]) as server:
        answer = run(diagnose_once(make_judge(server), case()))
    assert server.request_count == 3 and answer.requests == 3


def test_timeout_is_retried() -> None:
    with ScriptedServer([slow_reply(3.0, json_reply(DIAGNOSIS)), json_reply(DIAGNOSIS)]) as server:
        answer = run(diagnose_once(make_judge(server, timeout=0.3), case()))
    assert server.request_count == 2 and answer.value.error_title == "Arithmetic calculation error"


def test_exhausted_retries_raise_judge_error_and_are_recorded_as_failed() -> None:
    with ScriptedServer([server_error()] * 3) as server:
        judge = make_judge(server, max_retries=2)
        with pytest.raises(JudgeError, match="InternalServerError"):
            run(diagnose_once(judge, case()))
    with ScriptedServer([server_error()] * 2 + [json_reply(DIAGNOSIS)]) as server:
        judge = make_judge(server, max_retries=0)

        async def both():
            try:
                return await diagnose_all([case("m1"), case("m2")], judge)
            finally:
                await judge.aclose()

        frame, stats = run(both())
    assert stats.failed == 2 and set(frame["status"]) == {"failed"}
    assert frame["error"].str.contains("InternalServerError").all()


def test_structured_output_rejection_falls_back_to_plain_json() -> None:
    def strict(body: dict) -> Reply:
        if "response_format" in body:
            return Reply(status=400, error={"error": {"message": "response_format is not supported", "type": "invalid_request_error"}})
        return json_reply(DIAGNOSIS)

    with ScriptedServer([strict, strict]) as server:
        answer = run(diagnose_once(make_judge(server, structured_output="auto"), case()))
    assert server.request_count == 2 and "response_format" not in server.requests[1]
    assert answer.value.error_title == "Arithmetic calculation error"


def test_answers_from_a_server_without_structured_output_are_found_on_the_next_run(tmp_path: Path) -> None:
    categories = [CategoryDraft(name="Calculation errors", description="Numbers computed wrongly.")]

    def plain_only(body: dict) -> Reply:
        if "response_format" in body:
            return Reply(status=400, error={"error": {"message": "response_format is not supported"}})
        title = json.loads(body["messages"][-1]["content"].split("```json")[-1].split("```")[0])["titles"][0]
        return json_reply({"assignments": [{"title": title, "category": "Calculation errors"}]})

    store_path = tmp_path / "cache.sqlite"
    with ScriptedServer(plain_only) as server:
        for _ in range(3):  # each run starts in auto mode and has to discover the server anew
            judge = make_judge(server, store=AnswerStore(store_path), structured_output="auto")

            async def go(judge: OpenAIJudge = judge):
                try:  # the second request is rendered after the judge has switched to plain JSON
                    return [await judge.classify([title], categories, parent=None) for title in ("t", "u")]
                finally:
                    await judge.aclose()

            answers = run(go())
            assert [a.value.assignments[0].title for a in answers] == ["t", "u"]
    assert server.request_count == 3  # "t" rejected then retried plain, "u" plain; later runs: none
    retried = server.requests[1]
    assert "response_format" not in retried
    assert '"assignments"' in retried["messages"][0]["content"]  # the retry carries the schema in its prompt


def test_store_makes_a_rerun_send_zero_requests(tmp_path: Path) -> None:
    store_path = tmp_path / "cache.sqlite"
    cases = [case("m1", f"e{i}") for i in range(5)]
    with ScriptedServer(AutoResponder()) as server:
        judge = make_judge(server, store=AnswerStore(store_path))
        first, _ = run(_diagnose_and_close(judge, cases))
        sent = server.request_count
        judge = make_judge(server, store=AnswerStore(store_path))
        second, stats = run(_diagnose_and_close(judge, cases))
    assert sent == 5 and server.request_count == 5
    assert stats.cached == 5 and stats.requests == 0
    assert first["error_title"].tolist() == second["error_title"].tolist()


def test_adding_a_model_sends_its_failures_and_those_whose_peers_changed(tmp_path: Path) -> None:
    """A stored answer is reused only for the same request: a failure shown other peers is asked again."""
    store_path = tmp_path / "cache.sqlite"
    old = [case(m, f"e{i}") for m in ("m1", "m2") for i in range(3)]
    new = [case("m3", f"e{i}").model_copy(update={"output_text": f"m3 reasons: 12 * 3 = 3{i}."}) for i in range(3)]
    with ScriptedServer(AutoResponder()) as server:
        run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), old))
        before = server.request_count
        # the new model ranks into the peers of the e0 failures only
        shifted = [
            c.model_copy(update={"other_correct_outputs": ["m3: 36"], "other_models": ["m3"]}) if c.example_id == "e0" else c
            for c in old
        ]
        frame, stats = run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), shifted + new))
        sent = [r["messages"][1]["content"] for r in server.requests[before:]]
    assert before == 6 and len(sent) == 5
    assert sum("m3 reasons" in text for text in sent) == 3
    assert sum("m3: 36" in text for text in sent) == 2  # the e0 failures of m1 and m2, with their new peer
    assert stats.cached == 4 and stats.requests == 5
    by_failure = dict(zip(frame["failure_id"], frame["reference_models"]))
    assert by_failure["e0-m1"] == json.dumps(["m3"]) and by_failure["e1-m1"] == json.dumps(["m2"])


def test_token_metrics_count_what_this_run_spent(tmp_path: Path) -> None:
    store_path = tmp_path / "cache.sqlite"
    replies = [Reply(content="not json at all", prompt_tokens=50, completion_tokens=7),
               json_reply(DIAGNOSIS, prompt_tokens=120, completion_tokens=30)]
    with ScriptedServer(replies) as server:
        _, first = run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [case()]))
        frame, second = run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [case()]))
    # the invalid answer's tokens were spent too; the rerun spent nothing
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (170, 37)
    assert (second.usage.prompt_tokens, second.usage.completion_tokens) == (0, 0) and second.cached == 1
    # the row holds the answer's own cost, the same whether it came from the store or not
    assert frame.loc[0, "prompt_tokens"] == 170 and frame.loc[0, "requests"] == 2


def test_changed_output_invalidates_the_stored_answer(tmp_path: Path) -> None:
    store_path = tmp_path / "cache.sqlite"
    with ScriptedServer(AutoResponder()) as server:
        run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [case()]))
        edited = case().model_copy(update={"output_text": "The answer is 40."})
        run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [edited]))
    assert server.request_count == 2


def test_an_edited_prompt_template_is_asked_again(tmp_path: Path) -> None:
    """The store keys what was sent: editing a template (same prompt_version) makes a new request."""
    import shutil

    from errormap.prompts import PROMPTS_DIR, PromptSet

    edited_dir = tmp_path / "v1"
    shutil.copytree(PROMPTS_DIR / "v1", edited_dir)
    template = edited_dir / "diagnose_user.jinja"
    template.write_text(template.read_text() + "\nName the earliest wrong step.\n")
    store_path = tmp_path / "cache.sqlite"
    with ScriptedServer(AutoResponder()) as server:
        run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [case()]))
        _, unchanged = run(_diagnose_and_close(make_judge(server, store=AnswerStore(store_path)), [case()]))
        judge = make_judge(server, store=AnswerStore(store_path))
        judge.inner.prompts = PromptSet("v1", edited_dir)
        _, edited = run(_diagnose_and_close(judge, [case()]))
        last_sent = server.requests[-1]["messages"][1]["content"]
    assert unchanged.cached == 1 and edited.cached == 0
    assert server.request_count == 2 and "Name the earliest wrong step." in last_sent


def test_taxonomy_requests_carry_payload_and_parent() -> None:
    from errormap.judge.schemas import CategoryDraft

    with ScriptedServer(AutoResponder()) as server:
        judge = make_judge(server)

        async def steps():
            try:
                parent = CategoryDraft(name="Calculation errors", description="Numbers computed wrongly.")
                titles = [TitleCount("Arithmetic slip", 3), TitleCount("Rounding error", 1)]
                proposed = await judge.propose_categories(titles, parent=parent, max_categories=2)
                classified = await judge.classify([t.title for t in titles], proposed.value.categories, parent=parent)
                return proposed, classified
            finally:
                await judge.aclose()

        proposed, classified = run(steps())
    propose_body = server.requests[0]
    assert propose_body["response_format"]["json_schema"]["name"] == "category_list"
    assert "Calculation errors" in propose_body["messages"][1]["content"]
    assert len(proposed.value.categories) <= 2
    assert {a.title for a in classified.value.assignments} == {"Arithmetic slip", "Rounding error"}


async def _diagnose_and_close(judge: OpenAIJudge, cases: list[FailureCase]):
    try:
        return await diagnose_all(cases, judge)
    finally:
        await judge.aclose()
