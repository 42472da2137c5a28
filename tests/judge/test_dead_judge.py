"""A dead, wrong, locked or silent judge stops the run early with the root cause (issue 11, items 6 and 7)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from errormap.judge import JudgeError, OpenAIJudge
from errormap.judge.faults import JudgeUnusable
from errormap.judge.schemas import FailureCase
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge
from errormap.testing.openai_server import Reply, ScriptedServer, error_body, json_reply, server_error
from tests.stub_server import HTML, MODELS, Answer, StubServer, closed_port

DIAGNOSIS = {
    "criteria": [{"criterion": "Computes 12*3", "verdict": "not met", "evidence": "12 * 3 = 38"}],
    "error_title": "Arithmetic calculation error",
    "error_summary": "The product is wrong.",
}
CONCURRENCY = 4


def cases(count: int) -> list[FailureCase]:
    return [
        FailureCase(failure_id=f"f{i}", dataset="arith", example_id=f"e{i}", model="m1", input_text="What is 12 * 3?",
                    output_text=f"12 * 3 = 3{i}.", correct_answer="36", other_correct_outputs=[], other_models=[])
        for i in range(count)
    ]


def judge_for(base_url: str, **overrides: object) -> OpenAIJudge:
    settings = dict(model="judge-model", base_url=base_url, api_key_env=None, timeout=10.0, max_retries=4,
                    retry_base_delay=0.01, max_concurrency=CONCURRENCY)
    settings.update(overrides)
    return openai_judge(None, **settings)


def diagnose(judge: OpenAIJudge, count: int = 40):
    async def go():
        try:
            return await diagnose_all(cases(count), judge)
        finally:
            await judge.aclose()

    return asyncio.run(go())


def test_a_closed_port_stops_before_the_first_request_with_the_cause_and_url() -> None:
    """Used to make 5 attempts per failure, each recorded as 'Request timed out'."""
    url = f"http://127.0.0.1:{closed_port()}/v1"
    judge = judge_for(url)
    with pytest.raises(JudgeUnusable) as info:
        diagnose(judge)
    assert "connection refused" in str(info.value) and url in str(info.value)
    assert judge.requests_sent == 0


def test_without_the_start_check_identical_connection_errors_stop_the_run() -> None:
    judge = judge_for(f"http://127.0.0.1:{closed_port()}/v1", check_on_start=False, stop_after_identical_errors=3)
    with pytest.raises(JudgeUnusable, match=r"connection refused \(3 requests in a row\)"):
        diagnose(judge)
    assert judge.requests_sent <= CONCURRENCY + 3  # not 40 failures x 5 attempts


def test_a_failed_row_keeps_the_root_cause_of_a_connection_error() -> None:
    judge = judge_for(f"http://127.0.0.1:{closed_port()}/v1", check_on_start=False, stop_after_identical_errors=1000,
                      max_retries=0)
    frame, stats = diagnose(judge, count=3)
    assert stats.failed == 3 and frame["error"].str.contains("connection refused").all()


def test_a_refused_key_stops_at_the_start_check() -> None:
    """A 401 used to be tried once for every failure."""
    refused = Answer(401, json.dumps(error_body("Incorrect API key provided", code="invalid_api_key")))
    with StubServer(lambda method, path: refused) as stub:
        with pytest.raises(JudgeUnusable) as info:
            diagnose(judge_for(stub.base_url))
    assert "HTTP 401" in str(info.value) and "Incorrect API key" in str(info.value) and stub.base_url in str(info.value)
    assert stub.posts() == 0


def test_a_401_on_completions_only_stops_after_a_short_run() -> None:
    refused = Answer(401, json.dumps(error_body("Incorrect API key provided")))
    with StubServer(lambda method, path: MODELS if path.endswith("/models") else refused) as stub:
        with pytest.raises(JudgeUnusable, match=r"HTTP 401.*\(5 requests in a row\)"):
            diagnose(judge_for(stub.base_url))
    assert 5 <= stub.posts() <= CONCURRENCY + 5


@pytest.mark.parametrize("path_status", [("all", 200), ("chat", 502)])
def test_an_html_page_is_not_retried_for_every_failure(path_status: tuple[str, int]) -> None:
    """A 200 or 502 HTML page used to give 5 attempts per failure."""
    where, status = path_status
    page = Answer(status, HTML, "text/html")

    def handler(method: str, path: str) -> Answer:
        return MODELS if where == "chat" and path.endswith("/models") else page

    with StubServer(handler) as stub:
        with pytest.raises(JudgeUnusable) as info:
            diagnose(judge_for(stub.base_url))
    message = str(info.value)
    assert "not JSON" in message or "text/html" in message
    assert stub.posts() <= CONCURRENCY + 5


def test_a_server_that_never_answers_stops_at_the_start_check() -> None:
    """Accepting connections and never answering would have taken timeout x attempts x failures."""
    with StubServer(lambda method, path: Answer(hang=True)) as stub:
        with pytest.raises(JudgeUnusable, match=r"accepted the connection but did not answer GET /models within 0.5 s"):
            diagnose(judge_for(stub.base_url, timeout=0.5))


def test_no_valid_answer_within_the_stall_limit_stops_the_run() -> None:
    def handler(method: str, path: str) -> Answer:
        return MODELS if path.endswith("/models") else Answer(hang=True)

    with StubServer(handler) as stub:
        judge = judge_for(stub.base_url, timeout=120.0, stall_timeout=1.0)
        with pytest.raises(JudgeUnusable, match=r"no valid answer in 1 s \(judge.stall_timeout\)"):
            diagnose(judge)


def test_answers_that_keep_coming_are_not_a_stall() -> None:
    """Each answer moves the stall deadline: a run longer than stall_timeout finishes."""
    with ScriptedServer([json_reply(DIAGNOSIS, delay=0.2)] * 20) as server:
        frame, stats = diagnose(judge_for(server.base_url, max_concurrency=1, stall_timeout=3.0), count=20)
    assert stats.failed == 0 and len(frame) == 20


def test_failed_rows_count_the_requests_and_tokens_really_spent() -> None:
    """Case e0 never gets valid JSON (3 attempts, all billed); e1 gets it on its second attempt."""
    attempts: dict[str, int] = {}

    def responder(body: dict) -> Reply:
        case = "e0" if "12 * 3 = 30." in body["messages"][-1]["content"] else "e1"
        attempts[case] = attempts.get(case, 0) + 1
        if case == "e1" and attempts[case] == 2:
            return json_reply(DIAGNOSIS, prompt_tokens=100, completion_tokens=20)
        if case == "e0" and attempts[case] == 2:
            return server_error()
        return Reply(content="no json here", prompt_tokens=11, completion_tokens=3)

    with ScriptedServer(responder) as server:
        frame, stats = diagnose(judge_for(server.base_url, max_retries=2), count=2)
        sent = server.request_count
    assert sent == 5 == stats.requests == int(frame["requests"].sum())
    assert stats.usage.prompt_tokens == 11 * 3 + 100 and stats.usage.completion_tokens == 3 * 3 + 20
    failed = frame[frame["status"] == "failed"].iloc[0]
    assert (failed["requests"], failed["prompt_tokens"], failed["completion_tokens"]) == (3, 22, 6)


# --- item 7: which 400 switches structured output off ------------------------------------------------------------

CONTEXT_ERROR = error_body(
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens.",
    code="context_length_exceeded",
)


def test_a_context_length_error_fails_that_row_and_keeps_structured_output(caplog: pytest.LogCaptureFixture) -> None:
    """Any 400 used to switch the judge to plain JSON for the rest of the process, with a misleading warning."""
    replies = [Reply(status=400, error=CONTEXT_ERROR), json_reply(DIAGNOSIS)]
    with ScriptedServer(replies) as server, caplog.at_level(logging.WARNING):
        judge = judge_for(server.base_url, structured_output="auto", max_concurrency=1, max_text_chars=5000)
        frame, stats = diagnose(judge, count=2)
    assert [body.get("response_format", {}).get("type") for body in server.requests] == ["json_schema", "json_schema"]
    assert judge.client.mode == "auto" and "plain JSON" not in caplog.text
    failed = frame[frame["status"] == "failed"].iloc[0]
    assert "prompt too long" in failed["error"] and "judge.max_text_chars (now 5000)" in failed["error"]
    assert failed["requests"] == 1 and stats.failed == 1


def test_another_bad_request_is_the_row_s_failure_not_a_mode_switch() -> None:
    replies = [Reply(status=400, error=error_body("Invalid value for 'temperature'.")), json_reply(DIAGNOSIS)]
    with ScriptedServer(replies) as server:
        judge = judge_for(server.base_url, structured_output="auto", max_concurrency=1)
        frame, _ = diagnose(judge, count=2)
    assert "response_format" in server.requests[1] and judge.client.mode == "auto"
    assert frame["status"].tolist().count("failed") == 1


def test_a_server_without_structured_output_still_gets_plain_json() -> None:
    unsupported = Reply(status=400, error=error_body("response_format json_schema is not supported by this model",
                                                     code="unsupported_parameter"))
    with ScriptedServer([unsupported, json_reply(DIAGNOSIS)]) as server:
        judge = judge_for(server.base_url, structured_output="auto")
        frame, _ = diagnose(judge, count=1)
    assert "response_format" not in server.requests[1] and judge.client.mode == "none"
    assert frame["status"].tolist() == ["ok"]


def test_a_judge_error_is_still_a_row_not_a_stop() -> None:
    """500s are retried and recorded; they never stop the run."""
    with ScriptedServer([server_error()] * 10) as server:
        frame, stats = diagnose(judge_for(server.base_url, max_retries=1, max_concurrency=1), count=5)
    assert stats.failed == 5 and frame["error"].str.contains("HTTP 500").all()
    assert isinstance(JudgeError("x"), Exception)


def test_the_analyze_stage_stops_with_one_line_naming_the_cause_and_url(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy
    import shutil

    from errormap import stage as stage_module
    from errormap.config import compose, write_params
    from errormap.tracking import MemoryTracker
    from tests.conftest import REPO

    url = f"http://127.0.0.1:{closed_port()}/v1"
    shutil.copytree(REPO / "data" / "demo", tmp_path / "data" / "demo")
    write_params(compose(REPO / "conf", ["judge=openai", f"judge.base_url={url}", "judge.api_key_env=null"]),
                 tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(stage_module, "default_tracker", lambda *args, **kwargs: MemoryTracker())
    runpy.run_path(str(REPO / "stages" / "prepare.py"), run_name="__main__")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(REPO / "stages" / "analyze.py"), run_name="__main__")
    err = " ".join(capsys.readouterr().err.split())
    assert stopped.value.code == 1 and "Traceback" not in err
    assert f"errormap analyze failed: the judge at {url} is unusable: connection refused" in err
    assert "max_failed_share" not in err
