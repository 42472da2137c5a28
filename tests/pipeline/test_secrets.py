"""Secrets never go through config: refused with how to pass them instead; headers and URL credentials
come from the environment, work with both HTTP transports, and are never logged (issue 11, item 8)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import pytest

from errormap.cli import main as cli_main
from errormap.judge.endpoint import EndpointError
from errormap.judge.schemas import FailureCase
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge
from tests.conftest import REPO
from tests.stub_server import MODELS, Answer, StubServer

SECRET = "sk-live-0123456789abcdefSECRET"
PASSWORD = "hunter2-p@ss"
DIAGNOSIS = {"criteria": [], "error_title": "Arithmetic calculation error", "error_summary": "Wrong product."}
COMPLETION = json.dumps({
    "id": "c1", "object": "chat.completion", "created": 0, "model": "judge-model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(DIAGNOSIS)}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
})


@pytest.mark.parametrize(
    ("override", "where"),
    [
        (f"judge.base_url=https://bob:{PASSWORD}@llm.example.com/v1", "judge.base_url holds a password"),
        (f"+judge.extra_body.api_key={SECRET}", "judge.extra_body.api_key is named like a secret"),
        (f"+judge.extra_body.user={SECRET}", "judge.extra_body.user looks like a secret"),
        (f"+judge.default_headers.Authorization=Bearer_{SECRET}", "judge.default_headers.Authorization carries a credential"),
        (f"judge.api_key_env={SECRET}", "judge.api_key_env must name an environment variable"),
        (f"+judge.default_headers_env.X-Api-Key={SECRET}", "judge.default_headers_env.X-Api-Key must name an environment variable"),
    ],
)
def test_compose_refuses_a_secret_and_says_how_to_pass_it(
    override: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A password in base_url or a key in extra_body used to be written to params.yaml, dvc.lock and git."""
    output = tmp_path / "params.yaml"
    code = cli_main(["config", "compose", "judge=openai", override, "--conf-dir", str(REPO / "conf"), "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 1 and not output.exists()
    assert where in err and "environment" in err
    assert SECRET not in err and PASSWORD not in err


def test_a_stage_refuses_a_secret_planted_in_params_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dvc exp run -S` writes params.yaml itself: the stage still refuses to run with a secret in it."""
    import runpy

    from errormap import stage as stage_module
    from errormap.config import compose, write_params
    from errormap.tracking import MemoryTracker

    params = compose(REPO / "conf", ["judge=openai"])
    params["judge"]["extra_body"] = {"metadata": {"session_token": SECRET}}
    write_params(params, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(stage_module, "default_tracker", lambda *args, **kwargs: MemoryTracker())
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(REPO / "stages" / "prepare.py"), run_name="__main__")
    err = " ".join(capsys.readouterr().err.split())
    assert stopped.value.code == 1
    assert "judge.extra_body.metadata.session_token is named like a secret" in err and SECRET not in err


def _case() -> FailureCase:
    return FailureCase(failure_id="f", dataset="d", example_id="e", model="m", input_text="What is 12 * 3?",
                       output_text="38", correct_answer="36", other_correct_outputs=[], other_models=[])


def _diagnose(judge) -> object:
    async def go():
        try:
            return await diagnose_all([_case()], judge)
        finally:
            await judge.aclose()

    return asyncio.run(go())


def _answer(method: str, path: str) -> Answer:
    return MODELS if path.endswith("/models") else Answer(body=COMPLETION)


def test_headers_come_from_named_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_KEY", SECRET)
    with StubServer(_answer) as stub:
        judge = openai_judge(None, model="judge-model", base_url=stub.base_url, api_key_env=None,
                             default_headers={"OpenAI-Organization": "org-test"},
                             default_headers_env={"X-Api-Key": "GATEWAY_KEY"})
        frame, _ = _diagnose(judge)
    post = next(r for r in stub.received if r.method == "POST")
    assert post.headers["x-api-key"] == SECRET and post.headers["openai-organization"] == "org-test"
    assert frame["status"].tolist() == ["ok"]


def test_a_header_whose_variable_is_unset_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_KEY", raising=False)
    with pytest.raises(EndpointError, match=r"X-Api-Key \(from \$GATEWAY_KEY\) is not set"):
        openai_judge(None, model="judge-model", base_url="http://127.0.0.1:9/v1", api_key_env=None,
                     default_headers_env={"X-Api-Key": "GATEWAY_KEY"})


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_url_credentials_work_with_both_transports_and_are_never_logged(
    backend: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With aiohttp a user:pass@ URL failed every request; with httpx it was printed on every request log line."""
    from urllib.parse import quote

    with StubServer(_answer) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://bob:{quote(PASSWORD)}@127.0.0.1:{stub.port}/v1")
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="errormap"):  # whatever an earlier stage set
            judge = openai_judge(None, model="judge-model", base_url=None, api_key_env=None, http_backend=backend)
            frame, _ = _diagnose(judge)
    post = next(r for r in stub.received if r.method == "POST")
    assert post.headers["authorization"] == "Basic " + base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert frame["status"].tolist() == ["ok"]
    assert any("127.0.0.1" in r.getMessage() for r in caplog.records)  # the endpoint was logged...
    assert PASSWORD not in caplog.text and quote(PASSWORD) not in caplog.text  # ...without its credentials


def test_an_error_message_never_carries_url_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import quote

    def broken(method: str, path: str) -> Answer:
        return MODELS if path.endswith("/models") else Answer(500, json.dumps({"error": {"message": "upstream down"}}))

    with StubServer(broken) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://bob:{quote(PASSWORD)}@127.0.0.1:{stub.port}/v1")
        frame, _ = _diagnose(openai_judge(None, model="judge-model", base_url=None, api_key_env=None, max_retries=0))
    assert frame["status"].tolist() == ["failed"] and "upstream down" in frame["error"].iloc[0]
    assert PASSWORD not in frame["error"].iloc[0] and quote(PASSWORD) not in frame["error"].iloc[0]
