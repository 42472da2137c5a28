"""What a run would cost before it runs: requests, tokens, money and time per judge step.

The judge steps (analyze, taxonomy, stability) run as they would, against a `DryRunJudge` on a
simulated clock, so what the answer store holds is subtracted request by request. Money comes only
from `cost.prices` (the user's figures): without a price for the judge model the cost is unknown.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from errormap.cost.dryrun import DryRunJudge, Tally, renderer
from errormap.cost.tokens import token_counter
from errormap.cost.virtual_time import run_simulated
from errormap.judge.client import KEY_MODE
from errormap.judge.offline import OfflineJudge
from errormap.judge.store import AnswerStore
from errormap.settings import CostConfig, ModelPrice, OpenAIJudgeConfig, Settings

STEPS = ("analyze", "taxonomy", "stability")
KINDS = ("diagnosis", "category_list", "classification")


@dataclass
class StepEstimate:
    """One judge step: what it would send, what that costs, how long it takes."""

    step: str
    tally: Tally
    completion_tokens: int
    cost: float | None
    seconds: float | None
    batch: bool = False

    @property
    def requests(self) -> int:
        return self.tally.total_requests

    @property
    def prompt_tokens(self) -> int:
        return sum(self.tally.prompt_tokens.values())

    @property
    def prefix_tokens(self) -> int:
        return sum(self.tally.prefix_tokens.values())

    @property
    def cacheable_tokens(self) -> int:
        return sum(self.tally.cacheable_tokens.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "requests": self.requests, "in_store": self.tally.in_store,
            "requests_by_kind": dict(self.tally.requests), "prompt_tokens": self.prompt_tokens,
            "static_prefix_tokens": self.prefix_tokens, "cacheable_prompt_tokens": self.cacheable_tokens,
            "completion_tokens": self.completion_tokens, "cost": self.cost, "seconds": self.seconds, "batch": self.batch,
        }


@dataclass
class Estimate:
    """The whole estimate, with the assumptions it rests on."""

    judge: str
    steps: list[StepEstimate] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    currency_known: bool = False

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.steps)

    @property
    def cost(self) -> float | None:
        costs = [s.cost for s in self.steps]
        return None if any(c is None for c in costs) else float(sum(c for c in costs if c is not None))

    def step(self, name: str) -> StepEstimate | None:
        return next((s for s in self.steps if s.step == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"judge": self.judge, "requests": self.requests, "cost": self.cost,
                "steps": [s.as_dict() for s in self.steps], "assumptions": self.assumptions}


def completion_averages(config: CostConfig, store_path: Path | None) -> dict[str, tuple[int, str]]:
    """Average completion tokens per answer kind, and where the figure comes from."""
    measured: dict[str, tuple[float, int]] = {}
    if store_path is not None and Path(store_path).exists():
        uri = f"{Path(store_path).resolve().as_uri()}?mode=ro"
        try:
            with closing(sqlite3.connect(uri, uri=True)) as db:
                rows = db.execute(
                    "SELECT kind, AVG(completion_tokens), COUNT(*) FROM answers WHERE completion_tokens > 0 GROUP BY kind"
                )
                measured = {kind: (float(avg), int(n)) for kind, avg, n in rows}
        except sqlite3.Error:
            measured = {}
    averages = {}
    for kind in KINDS:
        configured = config.completion_tokens.get(kind)
        if configured is not None:
            averages[kind] = (int(configured), "cost.completion_tokens")
        elif kind in measured:
            avg, n = measured[kind]
            averages[kind] = (round(avg), f"measured: mean of {n} stored answers")
        else:
            averages[kind] = (config.default_completion_tokens, "cost.default_completion_tokens")
    return averages


def _cost(tally: Tally, completion: dict[str, int], price: ModelPrice | None, batch: bool) -> float | None:
    if price is None:
        return None
    input_price = price.batch_input if batch and price.batch_input is not None else price.input
    output_price = price.batch_output if batch and price.batch_output is not None else price.output
    cached_price = price.cached_input if price.cached_input is not None else price.input
    total = 0.0
    for kind, prompt in tally.prompt_tokens.items():
        cached = 0 if batch else tally.cacheable_tokens.get(kind, 0)
        total += (prompt - cached) * input_price + cached * cached_price
        total += completion.get(kind, 0) * output_price
    return total / 1_000_000


async def _simulate(dry: DryRunJudge, settings: Settings, results: pd.DataFrame, failures: pd.DataFrame) -> dict[str, tuple[Tally, float]]:
    from errormap.steps.analyze import build_cases, diagnose_all
    from errormap.steps.stability import skipped
    from errormap.taxonomy.builder import TaxonomyBuilder

    loop = asyncio.get_running_loop()
    tallies: dict[str, tuple[Tally, float]] = {}

    def begin() -> float:
        dry.tally = Tally()
        return loop.time()

    start = begin()
    cases = build_cases(results, failures, k_correct=settings.analysis.k_correct, seed=settings.seed)
    diagnoses, _ = await diagnose_all(cases, dry)
    tallies["analyze"] = (dry.tally, loop.time() - start)
    start = begin()
    config = settings.taxonomy
    if config.mode == "atlas":
        from errormap.atlas import classify_into_release, resolve_release

        await classify_into_release(resolve_release(config.atlas), diagnoses, dry, config, settings.seed)
    else:
        await TaxonomyBuilder(dry, config, settings.seed).build(diagnoses)
    tallies["taxonomy"] = (dry.tally, loop.time() - start)
    start = begin()
    if skipped(settings) is None:
        for seed in settings.stability.seeds:
            await TaxonomyBuilder(dry, config, int(seed)).build(diagnoses)
    tallies["stability"] = (dry.tally, loop.time() - start)
    return tallies


def estimate_run(
    settings: Settings,
    results: pd.DataFrame,
    failures: pd.DataFrame,
    *,
    store_path: Path | None,
    steps: Sequence[str] = STEPS,
    latency: float | None = None,
) -> Estimate:
    """Requests, tokens, cost and time of the judge steps, less what the answer store at `store_path` holds."""
    judge = settings.judge
    if not isinstance(judge, OpenAIJudgeConfig):
        return Estimate("offline", [StepEstimate(s, Tally(), 0, 0.0, 0.0) for s in steps],
                        ["the offline judge sends no request and costs nothing"], True)
    cost = settings.cost
    latency = cost.latency if latency is None else latency
    tokens = token_counter(cost.tokenizer, judge.model)
    mode = KEY_MODE if judge.structured_output == "auto" else judge.structured_output
    store = AnswerStore(store_path) if store_path is not None and Path(store_path).exists() else AnswerStore(":memory:")
    dry = DryRunJudge(
        renderer(judge, settings.prompts.version), store, OfflineJudge(prompt_version=settings.prompts.version), tokens,
        mode=mode, latency=latency, concurrency=judge.serving, cache_min_prefix_tokens=cost.cache_min_prefix_tokens,
    )
    try:
        tallies, _ = run_simulated(_simulate(dry, settings, results, failures))
    finally:
        store.close()
    averages = completion_averages(cost, store_path)
    price = cost.prices.get(judge.model)
    estimate = Estimate(f"openai:{judge.model}", currency_known=price is not None)
    for name in steps:
        tally, seconds = tallies[name]
        batch = judge.mode == "batch" and tally.total_requests >= judge.batch.min_requests
        completion = {kind: n * averages[kind][0] for kind, n in tally.requests.items()}
        estimate.steps.append(StepEstimate(
            name, tally, sum(completion.values()), _cost(tally, completion, price, batch), None if batch else seconds, batch,
        ))
    estimate.assumptions = _assumptions(settings, judge, tokens.name, averages, latency, price)
    return estimate


def _assumptions(
    settings: Settings, judge: OpenAIJudgeConfig, tokenizer: str, averages: dict[str, tuple[int, str]],
    latency: float, price: ModelPrice | None,
) -> list[str]:
    cost = settings.cost
    notes = [
        f"prompt tokens: {tokenizer}",
        "completion tokens per answer: " + ", ".join(f"{k} {v} ({src})" for k, (v, src) in averages.items()),
        "requests that depend on earlier answers (taxonomy, stability) are counted for stand-in answers where the store"
        " has none (the offline judge's diagnoses and categories); a real judge's titles may need more of them",
        f"time: {latency:g} s per request at concurrency {judge.serving}, retries not counted",
        f"static prefix: the system message; counted as cached input from the second request with the same prefix when it has"
        f" at least {cost.cache_min_prefix_tokens} tokens (cost.cache_min_prefix_tokens)",
    ]
    if price is None:
        notes.append(f"cost unknown: cost.prices has no entry for {judge.model!r} (errormap ships no prices)")
    elif price.cached_input is None:
        notes.append("no cached_input price given: cached prompt tokens are priced as input")
    if judge.mode == "batch":
        notes.append(
            f"judge.mode=batch: rounds of at least {judge.batch.min_requests} requests go in a batch (batch prices when given,"
            f" no prompt-cache discount), finished within the provider's {judge.batch.completion_window} window"
        )
    return notes
