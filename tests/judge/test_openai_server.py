"""The local OpenAI-compatible server, exercised with the real ``openai`` client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from errormap.judge.schemas import CategoryList, Classification, Diagnosis
from errormap.testing.openai_server import (
    AutoResponder,
    Reply,
    ScriptedResponder,
    ScriptedServer,
    json_reply,
    rate_limited,
    server_error,
    slow_reply,
)

ROOT = Path(__file__).resolve().parents[2]
MODEL = "judge-model"


def client_for(server: ScriptedServer, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=timeout)


def fenced(obj: Any) -> str:
    return f"```json\n{json.dumps(obj, indent=2)}\n```"


def ask(client: openai.OpenAI, system: str, user: str, schema_name: str | None = None) -> str:
    """Send one judge-style request and return the message content."""
    kwargs: dict[str, Any] = {}
    if schema_name is not None:
        kwargs["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": {"type": "object"}},
        }
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        **kwargs,
    )
    content = completion.choices[0].message.content
    assert content is not None
    return content


def http(method: str, url: str, data: bytes | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def auto_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(AutoResponder()) as server:
        yield server


# --------------------------------------------------------------------------- scripted replies


def test_scripted_json_reply_comes_back_with_usage() -> None:
    answer = {"error_title": "Wrong option selected"}
    with ScriptedServer(ScriptedResponder([json_reply(answer, prompt_tokens=11, completion_tokens=7)])) as server:
        completion = client_for(server).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hello"}]
        )
    assert json.loads(completion.choices[0].message.content or "") == answer
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.id.startswith("chatcmpl-")
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 7)
    assert completion.usage.total_tokens == 18


def test_default_usage_is_chars_over_four() -> None:
    content = "x" * 40
    with ScriptedServer([Reply(content=content)]) as server:
        completion = client_for(server).chat.completions.create(
            model=MODEL,
            messages=[{"role": "system", "content": "s" * 20}, {"role": "user", "content": "u" * 23}],
        )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 43 // 4
    assert completion.usage.completion_tokens == 10
    assert completion.usage.total_tokens == 43 // 4 + 10


def test_rate_limit_raises_with_retry_after_header() -> None:
    with ScriptedServer([rate_limited(2.5)]) as server:
        with pytest.raises(openai.RateLimitError) as caught:
            client_for(server).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "2.5"
    assert caught.value.body is not None and "Rate limit" in json.dumps(caught.value.body)


def test_server_error_raises_internal_server_error() -> None:
    with ScriptedServer([server_error("boom")]) as server:
        with pytest.raises(openai.InternalServerError) as caught:
            client_for(server).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 500
    assert "boom" in str(caught.value)


def test_slow_reply_times_out_the_client() -> None:
    with ScriptedServer([slow_reply(3.0, json_reply({"late": True})), json_reply({"ok": True})]) as server:
        client = client_for(server, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "slow"}])
        assert time.monotonic() - started < 2.0
        # The server keeps working after a client gave up.
        completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "fast"}])
        assert json.loads(completion.choices[0].message.content or "") == {"ok": True}
        started = time.monotonic()
    assert time.monotonic() - started < 3.0  # shutting down does not wait out the slow handler


def test_script_exhausted_and_callable_entries() -> None:
    def echo_model(body: dict[str, Any]) -> Reply:
        return Reply(content=f"model={body['model']}")

    with ScriptedServer([echo_model]) as server:
        client = client_for(server)
        first = client.chat.completions.create(model="m-1", messages=[{"role": "user", "content": "a"}])
        assert first.choices[0].message.content == "model=m-1"
        with pytest.raises(openai.InternalServerError, match="script exhausted"):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "b"}])
        assert server.request_count == 2


def test_requests_are_recorded() -> None:
    with ScriptedServer([Reply(content="one"), Reply(content="two")]) as server:
        client = client_for(server)
        for text in ("first", "second"):
            client.chat.completions.create(model=MODEL, temperature=0, messages=[{"role": "user", "content": text}])
        assert server.request_count == 2
        assert [r["messages"][0]["content"] for r in server.requests] == ["first", "second"]
        assert all(r["model"] == MODEL and r["temperature"] == 0 for r in server.requests)


def test_models_unknown_paths_and_malformed_json() -> None:
    with ScriptedServer([]) as server:
        models = client_for(server).models.list()
        assert [m.id for m in models.data]
        status, body = http("GET", server.base_url + "/nope")
        assert status == 404 and "message" in body["error"]
        status, body = http("POST", server.base_url + "/chat/completions", data=b"{not json")
        assert status == 400 and "not valid JSON" in body["error"]["message"]
        status, body = http("POST", server.base_url + "/chat/completions", data=b'{"model": "m"}')
        assert status == 400 and "messages" in body["error"]["message"]
        assert server.request_count == 0


# --------------------------------------------------------------------------- auto responder

TITLES = [
    "Arithmetic calculation error",
    "Arithmetic sign error",
    "Wrong option selected",
    "Missing final answer",
    "Wrong unit reported",
    "Refusal to answer",
]


def test_auto_diagnosis_is_valid_and_deterministic(auto_server: ScriptedServer) -> None:
    client = client_for(auto_server)
    user = "Question: 2+2?\nModel output: 5\n" + fenced({"output_text": "The answer is 5."})
    first = Diagnosis.model_validate_json(ask(client, "You are a judge. Be brief.", user, "diagnosis"))
    again = Diagnosis.model_validate_json(ask(client, "You are a judge.", user, "diagnosis"))
    assert first == again
    assert first.error_title in AutoResponder.ERROR_TITLES
    assert first.criteria and first.criteria[0].verdict.value == "not met"
    assert first.criteria[0].evidence == "The answer is 5."
    titles = {
        Diagnosis.model_validate_json(ask(client, "judge", f"failure {i}", "diagnosis")).error_title
        for i in range(30)
    }
    assert len(titles) > 3


def test_auto_category_list_groups_by_first_word(auto_server: ScriptedServer) -> None:
    client = client_for(auto_server)
    user = "Propose categories for these titles.\n" + fenced({"titles": TITLES, "max_categories": 3})
    answer = CategoryList.model_validate_json(ask(client, "Group these titles.", user, "category_list"))
    names = [c.name for c in answer.categories]
    assert 2 <= len(names) <= 3
    assert names[:2] == ["Arithmetic errors", "Wrong errors"]
    assert all(n.split()[0].lower() not in {"other", "misc", "miscellaneous", "general"} for n in names)
    assert all(c.description for c in answer.categories)

    uncapped = CategoryList.model_validate_json(
        ask(client, "judge", fenced({"titles": TITLES, "max_categories": 10}), "category_list")
    )
    assert len(uncapped.categories) == 4  # Arithmetic, Wrong, Missing, Refusal


def test_auto_category_list_returns_existing_categories(auto_server: ScriptedServer) -> None:
    existing = [
        {"name": "Calculation slips", "description": "Arithmetic mistakes."},
        {"name": "Option choice", "description": "Picked the wrong option."},
    ]
    user = "Review these categories.\n" + fenced({"titles": TITLES, "max_categories": 5, "categories": existing})
    # No response_format: the kind is read from the JSON schema written into the prompt.
    system = "Reviewer. Reply matching this JSON schema:\n" + json.dumps(CategoryList.model_json_schema())
    answer = CategoryList.model_validate_json(ask(client_for(auto_server), system, user))
    assert [c.model_dump() for c in answer.categories] == existing


def test_auto_classification_assigns_every_title(auto_server: ScriptedServer) -> None:
    categories = [
        {"name": "Missing answer", "description": "No final answer."},
        {"name": "Arithmetic errors", "description": "Calculation mistakes."},
        {"name": "Wrong choice", "description": "Selected a wrong option."},
    ]
    user = "Old example:\n" + fenced({"titles": ["ignored"]}) + "\nNow:\n" + fenced(
        {"titles": TITLES, "categories": categories}
    )
    answer = Classification.model_validate_json(
        ask(client_for(auto_server), "judge", user, "classification")
    )
    placed = {a.title: a.category for a in answer.assignments}
    assert list(placed) == TITLES
    assert placed["Arithmetic sign error"] == "Arithmetic errors"
    assert placed["Wrong option selected"] == "Wrong choice"
    assert placed["Missing final answer"] == "Missing answer"
    assert placed["Refusal to answer"] == "Missing answer"  # no match: first category

    names_only = fenced({"titles": ["Wrong pick"], "categories": ["A", "Wrong"]})
    by_name = Classification.model_validate_json(ask(client_for(auto_server), "judge", names_only, "classification"))
    assert by_name.assignments[0].category == "Wrong"


def test_auto_rejects_unparseable_requests(auto_server: ScriptedServer) -> None:
    client = client_for(auto_server)
    with pytest.raises(openai.BadRequestError, match="json"):
        ask(client, "judge", "no fenced block here", "classification")
    with pytest.raises(openai.BadRequestError, match="not valid JSON"):
        ask(client, "judge", "```json\n{broken\n```", "category_list")
    with pytest.raises(openai.BadRequestError, match="task"):
        ask(client, "judge without marker", "hello")


# --------------------------------------------------------------------------- subprocess mode


def test_subprocess_mode_serves_until_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "errormap.testing.openai_server", "--port", "0", "--delay", "0.05"]
    with subprocess.Popen(
        [*command, "--mode", "auto"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    ) as proc:
        watchdog = threading.Timer(10.0, proc.kill)  # bounds the blocking readline below
        watchdog.start()
        try:
            assert proc.stdout is not None and proc.stderr is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("READY http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
            base_url = line.split()[1]
            assert base_url.endswith("/v1")
            client = openai.OpenAI(base_url=base_url, api_key="test", max_retries=0, timeout=5)
            content = ask(client, "judge", "Model output: 5", "diagnosis")
            assert Diagnosis.model_validate_json(content).error_title in AutoResponder.ERROR_TITLES
            client.close()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
