"""errormap estimate and the judge.max_cost guard, against runs counted by the local protocol server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from errormap.config import compose
from errormap.cost import estimate_run, render
from errormap.cost.tokens import token_counter
from errormap.errors import StageError
from errormap.judge import judge_from_settings
from errormap.settings import Settings, validate
from errormap.steps.analyze import analyze
from errormap.steps.prepare import prepare
from errormap.testing.openai_server import ScriptedServer

REPO = Path(__file__).resolve().parents[2]


def settings_for(server: ScriptedServer, *overrides: str) -> Settings:
    return validate(compose(REPO / "conf", [
        "judge=openai", f"judge.base_url={server.base_url}", "judge.api_key_env=null", "judge.model=m",
        "cost.tokenizer=chars/4", "sampling.max_per_group=2", "stability.seeds=[]", *overrides,
    ]))


def test_the_bundled_tokenizer_works_offline() -> None:
    counter = token_counter("auto", "gpt-4.1-mini")
    assert "cl100k_base" in counter.name and "o200k_base" in counter.name  # says what it counts with
    assert counter.text("hello world") == 2
    assert counter.messages([{"role": "user", "content": "hello world"}]) == 2 + 3 + 3  # chat wrapping counted


def test_the_estimate_counts_what_the_analyze_step_sends_and_subtracts_the_store(tmp_path: Path) -> None:
    store = tmp_path / "cache.sqlite"
    with ScriptedServer() as server:
        settings = settings_for(server, "cost.latency=2.0")
        prepared = prepare(settings, REPO / "data" / "demo")
        before = estimate_run(settings, prepared.results, prepared.failures, store_path=store)
        analysis = asyncio.run(analyze(prepared.results, prepared.failures, settings, judge_from_settings(settings, store)))
        sent = server.request_count
        after = estimate_run(settings, prepared.results, prepared.failures, store_path=store, steps=["analyze"])
    step = before.step("analyze")
    assert step is not None and step.requests == sent == len(prepared.failures)
    assert step.prompt_tokens == analysis.stats.usage.prompt_tokens  # chars/4, as this server counts
    assert step.completion_tokens == len(prepared.failures) * settings.cost.default_completion_tokens
    assert step.seconds == pytest.approx(2.0 * -(-len(prepared.failures) // settings.judge.max_concurrency))
    assert 0 < step.prefix_tokens < step.prompt_tokens
    again = after.step("analyze")
    assert again is not None and again.requests == 0 and again.tally.in_store == len(prepared.failures)
    assert "measured" in " ".join(after.assumptions)  # completion tokens now averaged from the stored answers


def test_the_table_names_each_step_and_the_unknown_price(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        settings = settings_for(server)
        prepared = prepare(settings, REPO / "data" / "demo")
        text = render(estimate_run(settings, prepared.results, prepared.failures, store_path=None))
        assert server.request_count == 0
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[2:6]] == ["analyze", "taxonomy", "stability", "total"]
    assert "cost unknown: cost.prices has no entry for 'm'" in text


def test_max_cost_stops_the_run_before_its_first_request(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        settings = settings_for(server, "+cost.prices.m={input:2.0,output:8.0}", "judge.max_cost=0.0001")
        prepared = prepare(settings, REPO / "data" / "demo")
        judge = judge_from_settings(settings, tmp_path / "cache.sqlite")
        with pytest.raises(StageError, match=r"estimated judge bill .* exceeds judge.max_cost 0.0001 \(analyze \d+ requests"):
            asyncio.run(analyze(prepared.results, prepared.failures, settings, judge))
        assert server.request_count == 0


def test_max_cost_without_a_price_stops_too(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        settings = settings_for(server, "judge.max_cost=5")
        prepared = prepare(settings, REPO / "data" / "demo")
        with pytest.raises(StageError, match="the cost is unknown: give the price"):
            asyncio.run(analyze(prepared.results, prepared.failures, settings, judge_from_settings(settings, None)))
        assert server.request_count == 0


def test_max_cost_lets_an_affordable_run_through(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        settings = settings_for(server, "+cost.prices.m={input:2.0,output:8.0}", "judge.max_cost=100")
        prepared = prepare(settings, REPO / "data" / "demo")
        result = asyncio.run(analyze(prepared.results, prepared.failures, settings, judge_from_settings(settings, None)))
        assert server.request_count == len(prepared.failures) == result.stats.done
