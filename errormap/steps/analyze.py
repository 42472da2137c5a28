"""Step 2 (analyze): build what the judge sees for each failure, ask it concurrently, keep every outcome.

A failure's case holds up to k correct outputs of other models (peers); a call that fails after
its retries is kept as a row with status 'failed' and what it cost, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from errormap.errors import StageError
from errormap.judge import Judge, JudgeError
from errormap.judge.schemas import FailureCase, Usage
from errormap.seeding import derived_seed
from errormap.settings import Settings
from errormap.truncation import clip

DIAGNOSIS_COLUMNS = [
    "failure_id",
    "dataset",
    "example_id",
    "model",
    "status",
    "error",
    "error_title",
    "error_summary",
    "criteria",
    "reference_models",
    "judge_id",
    "prompt_version",
    "prompt_tokens",
    "completion_tokens",
    "requests",
    "truncated_chars",
]
REASONING_MIN_CHARS = 40
IN_FLIGHT_OFFLINE = 64  # the offline judge answers on the CPU: a small window is as fast as all at once


def _has_reasoning(text: str) -> bool:
    return len(text.strip()) >= REASONING_MIN_CHARS or "\n" in text.strip()


def peer_rank(seed: int, dataset: str, example_id: str, model: str) -> int:
    """A candidate peer's rank key on one example: fixed by its own name, whoever else answered."""
    return derived_seed(seed, "peer", dataset, example_id, model)


def build_cases(
    marked: pd.DataFrame, failures: pd.DataFrame, *, k_correct: int = 3, seed: int = 0, max_text_chars: int | None = None
) -> list[FailureCase]:
    """`iter_cases` as a list."""
    return list(iter_cases(marked, failures, k_correct=k_correct, seed=seed, max_text_chars=max_text_chars))


def iter_cases(
    marked: pd.DataFrame, failures: pd.DataFrame, *, k_correct: int = 3, seed: int = 0, max_text_chars: int | None = None
) -> Iterator[FailureCase]:
    """One case per sampled failure, in order, with up to k correct outputs of other models on the same example.

    Peers with reasoning come first, then by a hash of (seed, example, peer model): adding a model
    changes a failure's peers only where the new model ranks into its top k. Every text is cut to
    `max_text_chars` (the judge's budget); `truncated_chars` says how much of what the judge reads was left out.
    """
    def cut(text: str) -> tuple[str, int]:
        return clip(text, max_text_chars) if max_text_chars else (text, 0)

    by_example: dict[tuple[str, str], list[tuple[str, str, bool]]] = defaultdict(list)
    for dataset, example_id, model, output, is_failure in zip(
        marked["dataset"], marked["example_id"], marked["model"], marked["output_text"], marked["is_failure"]
    ):
        by_example[(dataset, example_id)].append((model, output, bool(is_failure)))
    for row in failures.itertuples(index=False):
        peers = sorted(p for p in by_example[(row.dataset, row.example_id)] if p[0] != row.model)
        correct = [p for p in peers if not p[2]]
        correct.sort(key=lambda p: (not _has_reasoning(p[1]), peer_rank(seed, row.dataset, row.example_id, p[0])))
        chosen = correct[: max(0, int(k_correct))]
        reference = row.correct_answer if isinstance(row.correct_answer, str) else None
        shown = [cut(text) for text in (row.input_text, row.output_text, reference or "", *(p[1] for p in chosen))]
        yield FailureCase(
            failure_id=row.failure_id,
            dataset=row.dataset,
            example_id=row.example_id,
            model=row.model,
            input_text=shown[0][0],
            output_text=shown[1][0],
            correct_answer=shown[2][0] if reference is not None else None,
            other_correct_outputs=[text for text, _ in shown[3:]],
            other_models=[p[0] for p in chosen],
            peer_outputs=[cut(p[1])[0] for p in peers],
            truncated_chars=sum(omitted for _, omitted in shown),
        )


@dataclass
class RunStats:
    """Live counters of a judge run, shown in the progress bar and written as metrics."""

    total: int
    done: int = 0
    failed: int = 0
    cached: int = 0
    asked: int = 0
    asked_again: int = 0
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def retries(self) -> int:
        """Requests beyond the first for each answer asked (failed ones included)."""
        return max(0, self.requests - self.asked - self.failed)

    def as_metrics(self) -> dict[str, float | int]:
        return {
            "failures_analysed": self.done,
            "diagnoses_ok": self.done - self.failed,
            "diagnoses_failed": self.failed,
            "judge_requests": self.requests,
            "retries": self.retries,
            "cached_answers": self.cached,
            "asked_new": self.asked - self.asked_again,
            "asked_again_changed_request": self.asked_again,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "cached_prompt_tokens": self.usage.cached_prompt_tokens,
            "cached_prompt_share": round(self.usage.cached_prompt_tokens / self.usage.prompt_tokens, 6)
            if self.usage.prompt_tokens else 0.0,
        }


def _row(case: FailureCase, judge: Judge) -> dict[str, object]:
    """The identity columns of a diagnosis row (reference_models: the peers of this run, until answered)."""
    return {
        "failure_id": case.failure_id,
        "dataset": case.dataset,
        "example_id": case.example_id,
        "model": case.model,
        "reference_models": json.dumps(case.other_models),
        "judge_id": judge.judge_id,
        "prompt_version": judge.prompt_version,
        "truncated_chars": case.truncated_chars,
    }


@contextlib.contextmanager
def _gc_spares_existing_objects() -> Iterator[None]:
    """Keep the cyclic GC off the objects that exist before the run, and hand them back after.

    The replies in flight make the collector run a full collection about once per thousand
    requests; over every imported module (pandas, pydantic, openai...) that pass stalls the event
    loop for 0.1-0.3 s while every reply waits. Freezing only skips rescanning the long-lived
    heap: reference counting frees objects as usual, and nothing is kept once the run ends.
    Left alone when the GC is disabled or someone else froze objects.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def diagnose_all(
    cases: Iterable[FailureCase],
    judge: Judge,
    *,
    on_progress: Callable[[RunStats], None] | None = None,
    in_flight: int | None = None,
    total: int | None = None,
) -> tuple[pd.DataFrame, RunStats]:
    """Diagnose every case; a case whose judge call fails is kept with status 'failed' and the reason.

    `in_flight` bounds how many cases are being asked at once (None: all at once, as a batch judge
    needs), so memory holds that many cases and rendered requests instead of one per failure; `cases`
    may then be an iterator (`iter_cases`) with their number in `total`.
    """
    if total is None:
        cases = list(cases)
        total = len(cases)
    stats = RunStats(total=total)

    async def one(case: FailureCase) -> dict[str, object]:
        row = _row(case, judge)
        try:
            answer = await judge.diagnose(case)
        except JudgeError as exc:  # kept as a row, with what its attempts cost
            stats.failed += 1
            stats.requests += exc.requests
            stats.usage = stats.usage + exc.usage
            row.update(status="failed", error=str(exc), error_title=None, error_summary=None, criteria="[]",
                       prompt_tokens=exc.usage.prompt_tokens, completion_tokens=exc.usage.completion_tokens,
                       requests=exc.requests)
        else:
            if not answer.cached:  # tokens of stored answers were spent by an earlier run
                stats.usage = stats.usage + answer.usage
            stats.requests += answer.requests
            stats.cached += int(answer.cached)
            stats.asked += int(not answer.cached and answer.requests > 0)
            stats.asked_again += int(answer.replaces_answer)
            if "reference_models" in answer.context:  # the peers the judge actually saw, even if cached
                row["reference_models"] = json.dumps(answer.context["reference_models"])
            row.update(
                status="ok",
                error=None,
                error_title=answer.value.error_title,
                error_summary=answer.value.error_summary,
                criteria=json.dumps([c.model_dump(mode="json") for c in answer.value.criteria], ensure_ascii=False),
                prompt_tokens=answer.usage.prompt_tokens,
                completion_tokens=answer.usage.completion_tokens,
                requests=answer.asked_requests,
            )
        stats.done += 1
        if on_progress is not None:
            on_progress(stats)
        return row

    rows: list[dict[str, object]] = [{} for _ in range(total)]
    pending = enumerate(cases)

    async def worker() -> None:
        for index, case in pending:  # workers share the iterator: each takes the next case
            rows[index] = await one(case)

    workers = total if in_flight is None else min(in_flight, total)
    with _gc_spares_existing_objects():
        await asyncio.gather(*(worker() for _ in range(workers)))
    frame = pd.DataFrame(rows, columns=DIAGNOSIS_COLUMNS)
    return frame.astype({"prompt_tokens": "int64", "completion_tokens": "int64", "requests": "int64",
                         "truncated_chars": "int64"}), stats


@dataclass
class Analysis:
    diagnoses: pd.DataFrame
    stats: RunStats
    metrics: dict[str, Any]


async def analyze(
    results: pd.DataFrame,
    failures: pd.DataFrame,
    settings: Settings,
    judge: Judge,
    on_progress: Callable[[RunStats], None] | None = None,
) -> Analysis:
    """Diagnose every sampled failure (the judge is closed afterwards)."""
    cases = iter_cases(results, failures, k_correct=settings.analysis.k_correct, seed=settings.seed,
                       max_text_chars=settings.judge.max_text_chars)  # made as the window reaches them
    try:
        from errormap.cost.guard import check_budget

        await check_budget(results, failures, settings, judge)  # judge.max_cost: before the first request
        diagnoses, stats = await diagnose_all(
            cases, judge, on_progress=on_progress, in_flight=in_flight_limit(settings), total=len(failures)
        )
    finally:
        await judge.aclose()
    metrics = {
        **stats.as_metrics(),
        "judge": judge.judge_id,
        "distinct_titles": int(diagnoses["error_title"].nunique()),
    }
    return Analysis(diagnoses, stats, metrics)


def in_flight_limit(settings: Settings) -> int | None:
    """Cases asked at once: twice what the judge serves at once (so it never waits on the next key), all for a batch."""
    judge = settings.judge
    if judge.kind != "openai":
        return IN_FLIGHT_OFFLINE
    if judge.mode == "batch":
        return None
    return 2 * judge.serving


def check_failed_share(stats: RunStats, allowed: float, where: str) -> None:
    """StageError when more diagnoses failed than allowed, so DVC does not record the stage as done."""
    if stats.total and stats.failed / stats.total > allowed:
        raise StageError(
            f"{stats.failed} of {stats.total} diagnoses failed (rows with status 'failed' in {where}); "
            "answered ones are kept in the store, so `dvc repro` retries only the failed ones. "
            f"Raise analysis.max_failed_share (now {allowed}) to accept them."
        )
