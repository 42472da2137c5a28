"""First-error agreement of a judge with human annotations, for any judge.

Each labelled solution is diagnosed as the pipeline diagnoses a failure. The diagnosis's quoted
evidence (criteria judged "not met" or "partially", except a quote of the final-answer line) is
mapped to the step of the solution it stands in; the earliest such step is the judge's first error.
A judge that quotes no step makes no step-level claim and abstains; so does the offline judge
whenever its title does not locate an error in the work (only a re-evaluated computation does).
A diagnosis claims the solution correct when every criterion is met.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from errormap.answers import final_answers
from errormap.evaluation.annotations import locate, split_steps, step_at
from errormap.judge import Judge
from errormap.judge.detectors import STEP_LEVEL_TITLES
from errormap.settings import Settings
from errormap.steps.analyze import RunStats, build_cases, diagnose_all

FAILING = ("not met", "partially")
ROW_CHOICES = ("all", "failures")


def claimed_step(criteria: list[dict], title: str | None, output: str, judge_id: str) -> int | None:
    """The step the diagnosis puts the first error in, or None when it makes no step-level claim."""
    if judge_id == "offline" and title not in STEP_LEVEL_TITLES:
        return None
    steps = split_steps(output)
    answer_lines = {a.quote.strip() for a in final_answers(output)}
    found = []
    for criterion in criteria:
        evidence = str(criterion.get("evidence", "")).strip()
        if criterion.get("verdict") not in FAILING or not evidence or evidence in answer_lines:
            continue
        position = locate(evidence, output)
        number = step_at(position, steps) if position is not None else None
        if number is not None:
            found.append(number)
    return min(found) if found else None


def claimed_correct(criteria: list[dict]) -> bool | None:
    """True when the diagnosis finds every criterion met, False when one is not, None without criteria."""
    if not criteria:
        return None
    return all(c.get("verdict") == "met" for c in criteria)


@dataclass
class FirstErrorRun:
    rows: pd.DataFrame  # one row per solution: human and judge labels
    metrics: dict[str, object]
    stats: RunStats


def _sample(frame: pd.DataFrame, per_dataset: int | None, seed: int) -> pd.DataFrame:
    if per_dataset is None:
        return frame
    parts = [group.sample(min(per_dataset, len(group)), random_state=seed) for _, group in frame.groupby("dataset")]
    return pd.concat(parts) if parts else frame


async def run_first_error(
    annotated: pd.DataFrame,
    judge: Judge,
    settings: Settings,
    *,
    rows: str = "all",
    per_dataset: int | None = None,
    on_progress: Callable[[RunStats], None] | None = None,
) -> FirstErrorRun:
    """Diagnose the labelled solutions (all, or those scored as failures) and score the judge's first errors.

    Cases are built as the analyze step builds them (failure threshold, peers, text budget from `settings`).
    """
    if rows not in ROW_CHOICES:
        raise ValueError(f"rows must be one of {ROW_CHOICES}, not {rows!r}")
    from errormap.steps.prepare import mark

    marked, _ = mark(annotated, settings)
    chosen = marked if rows == "all" else marked[marked["is_failure"]]
    chosen = _sample(chosen, per_dataset, settings.seed)
    cases = build_cases(marked, chosen, k_correct=settings.analysis.k_correct, seed=settings.seed,
                        max_text_chars=settings.judge.max_text_chars)
    diagnoses, stats = await diagnose_all(cases, judge, on_progress=on_progress)
    by_id = chosen.set_index("failure_id")
    records = []
    for row in diagnoses.itertuples(index=False):
        source = by_id.loc[row.failure_id]
        criteria = json.loads(row.criteria) if row.status == "ok" else []
        records.append({
            "failure_id": row.failure_id,
            "dataset": row.dataset,
            "example_id": row.example_id,
            "model": row.model,
            "scored_failure": bool(source["is_failure"]),
            "human_step": source["human_step"],
            "human_correct": source["human_correct"],
            "status": row.status,
            "error_title": row.error_title,
            "judge_step": claimed_step(criteria, row.error_title, str(source["output_text"]), judge.judge_id)
            if row.status == "ok" else None,
            "judge_correct": claimed_correct(criteria) if row.status == "ok" else None,
        })
    frame = pd.DataFrame(records)
    metrics = {"judge": judge.judge_id, "rows": rows, **agreement(frame)}
    metrics["per_dataset"] = {name: agreement(group) for name, group in frame.groupby("dataset")}
    return FirstErrorRun(frame, metrics, stats)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def agreement(frame: pd.DataFrame) -> dict[str, object]:
    """Step agreement (exact and within one, over the steps the judge claims and over all labelled steps) and correctness."""
    labelled = frame[frame["human_step"].notna()]
    claimed = labelled[labelled["judge_step"].notna()]
    difference = (claimed["judge_step"].astype(float) - claimed["human_step"].astype(float)).abs()
    exact, near = int((difference == 0).sum()), int((difference <= 1).sum())
    no_error = frame[frame["human_correct"].eq(True) & frame["human_step"].isna()]
    judged = frame[frame["judge_correct"].notna() & frame["human_correct"].notna()]
    agree = int((judged["judge_correct"].astype(bool) == judged["human_correct"].astype(bool)).sum())
    return {
        "solutions": len(frame),
        "diagnoses_failed": int((frame["status"] != "ok").sum()),
        "with_human_step": len(labelled),
        "step_claims": len(claimed),
        "step_claim_share": _ratio(len(claimed), len(labelled)),
        "step_exact": _ratio(exact, len(claimed)),
        "step_within_one": _ratio(near, len(claimed)),
        "step_exact_of_labelled": _ratio(exact, len(labelled)),
        "step_within_one_of_labelled": _ratio(near, len(labelled)),
        "steps_claimed_in_correct_solutions": int(no_error["judge_step"].notna().sum()),
        "correctness_judged": len(judged),
        "correctness_agreement": _ratio(agree, len(judged)),
    }
