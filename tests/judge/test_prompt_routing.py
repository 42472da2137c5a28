"""Production prompts carry nothing test-only; the test server tells requests apart by what a judge sends anyway."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest

from errormap.judge import OpenAIJudge, TitleCount
from errormap.judge.schemas import CategoryDraft, CategoryList, Classification, Diagnosis, FailureCase
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import MODEL_IDS, AutoResponder, Reply, ScriptedServer, detect_task

PROMPTS = Path(__file__).resolve().parents[2] / "errormap" / "prompts"
TEMPLATES = sorted(PROMPTS.rglob("*.jinja"))

# Text that only a test harness could want in a prompt: routing tags such as "[task:diagnosis]",
# mentions of a test server or test-only routing, the test server's model id.
TEST_ONLY = [
    re.compile(r"\[\s*task\s*:", re.IGNORECASE),
    re.compile(r"\[\s*[a-z_-]+\s*:\s*[a-z_-]+\s*\]", re.IGNORECASE),
    re.compile(r"\btest[ _-]?(server|only|routing|harness)\b", re.IGNORECASE),
    re.compile(re.escape(MODEL_IDS[0])),
]

CATEGORIES = [
    CategoryDraft(name="Arithmetic errors", description="Numbers computed wrongly."),
    CategoryDraft(name="Wrong choices", description="A wrong option picked."),
]
TITLES = [TitleCount("Arithmetic slip", 3), TitleCount("Wrong option selected", 2)]
EXPECTED_KINDS = ["diagnosis", "category_list", "category_list", "category_list", "classification"]


def test_the_prompt_set_is_found() -> None:
    assert any(t.name.endswith("_system.jinja") for t in TEMPLATES), f"no system templates under {PROMPTS}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PROMPTS)))
def test_production_prompts_carry_no_test_routing_text(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    found = [m.group(0) for pattern in TEST_ONLY for m in pattern.finditer(text)]
    assert not found, f"{template.name} holds test-only routing text {found}: route in the test server instead"


@pytest.mark.parametrize(
    "template", [t for t in TEMPLATES if t.name.endswith("_system.jinja")], ids=lambda p: str(p.relative_to(PROMPTS))
)
def test_a_system_prompt_without_its_schema_does_not_name_its_task(template: Path) -> None:
    """The server may only learn the task from the schema (by name or in the prompt), never from prompt wording."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template.parent), trim_blocks=True, lstrip_blocks=True)
    system = env.get_template(template.name).render(schema_in_prompt=False, schema_json="").strip()
    assert detect_task({"messages": [{"role": "system", "content": system}, {"role": "user", "content": "x"}]}) is None


def test_detect_task_reads_the_schema_name_then_the_schema_in_the_prompt() -> None:
    def body(system: str, response_format: dict[str, Any] | None = None) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": "```json\n{\"titles\": []}\n```"}]
        return {"messages": messages, **({"response_format": response_format} if response_format else {})}

    named = {"type": "json_schema", "json_schema": {"name": "classification", "schema": {}}}
    assert detect_task(body("anything", named)) == "classification"
    for model, kind in ((Diagnosis, "diagnosis"), (CategoryList, "category_list"), (Classification, "classification")):
        schema = json.dumps(model.model_json_schema())
        assert detect_task(body(f"Reply matching this JSON schema:\n{schema}\nThanks.")) == kind
        assert detect_task(body(f"Schema: {schema}", {"type": "json_object"})) == kind
    # a JSON object that merely has a matching "title" but is not a schema does not count
    assert detect_task(body('Example: {"title": "Diagnosis"} and {broken')) is None


def _case() -> FailureCase:
    return FailureCase(
        failure_id="e1-m1", dataset="arith", example_id="e1", model="m1",
        input_text="What is 12 * 3?", output_text="12 * 3 = 38. The answer is 38.", correct_answer="36",
        other_correct_outputs=["12 * 3 = 36. The answer is 36."], other_models=["m2"],
    )


class Routing:
    """The automatic responder, noting the kind it routed each request to."""

    def __init__(self, reject_structured_output: bool = False) -> None:
        self.auto = AutoResponder()
        self.kinds: list[str | None] = []
        self.reject_structured_output = reject_structured_output

    def __call__(self, body: dict[str, Any]) -> Reply:
        if self.reject_structured_output and "response_format" in body:
            return Reply(status=400, error={"error": {"message": "response_format is not supported"}})
        self.kinds.append(detect_task(body))
        return self.auto(body)


def _ask_every_kind(server: ScriptedServer, mode: str) -> list[Any]:
    judge = OpenAIJudge(openai_judge_config(  # type: ignore[arg-type]
        model="judge-model", base_url=server.base_url, api_key_env=None, timeout=5.0,
        max_retries=1, retry_base_delay=0.01, structured_output=mode,
    ))

    async def go() -> list[Any]:
        try:
            return [
                await judge.diagnose(_case()),
                await judge.propose_categories(TITLES, parent=None, max_categories=3),
                await judge.refine_categories(CATEGORIES, TITLES, parent=None, max_categories=3),
                await judge.review_categories(CATEGORIES, parent=CATEGORIES[0], max_categories=3),
                await judge.classify([t.title for t in TITLES], CATEGORIES, parent=None),
            ]
        finally:
            await judge.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("mode", ["auto", "json_schema", "json_object", "none"])
def test_the_test_server_routes_every_request_kind_in_every_structured_output_mode(mode: str) -> None:
    routing = Routing()
    with ScriptedServer(routing) as server:
        answers = _ask_every_kind(server, mode)
    assert routing.kinds == EXPECTED_KINDS
    assert server.request_count == len(EXPECTED_KINDS)  # every request answered first time: none rejected
    assert answers[0].value.error_title in AutoResponder.ERROR_TITLES
    assert {a.title for a in answers[-1].value.assignments} == {t.title for t in TITLES}
    for body in server.requests:
        sent = body.get("response_format")
        if mode in ("auto", "json_schema"):
            assert sent["type"] == "json_schema"
        elif mode == "json_object":
            assert sent == {"type": "json_object"}
        else:
            assert sent is None
        # without a schema name, the schema is in the prompt; nothing else says what is asked
        system = body["messages"][0]["content"]
        assert ('"properties"' in system) == (mode in ("json_object", "none"))
        assert not any(p.search(m["content"]) for p in TEST_ONLY for m in body["messages"])


def test_the_test_server_routes_the_plain_json_fallback_by_the_schema_in_the_prompt() -> None:
    routing = Routing(reject_structured_output=True)
    with ScriptedServer(routing) as server:
        answers = _ask_every_kind(server, "auto")
    assert routing.kinds == EXPECTED_KINDS  # the first request was rejected, then re-sent without a schema name
    assert server.request_count == len(EXPECTED_KINDS) + 1
    assert all("response_format" not in body for body in server.requests[1:])
    assert answers[0].value.error_title in AutoResponder.ERROR_TITLES
