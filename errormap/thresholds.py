"""Which rows are failures: each dataset's threshold rule, and a check that the rules mark something to analyse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from errormap.errors import UserError

BINARY_SCORES = frozenset({0.0, 1.0})


@dataclass(frozen=True)
class ThresholdRule:
    """How one dataset's success threshold was set: `kind` is per_dataset, default, binary or mean_ratio."""

    kind: str
    threshold: float
    description: str


def threshold_rules(
    results: pd.DataFrame, per_dataset: Mapping[str, float] | None, default: float | None, mean_ratio: float
) -> dict[str, ThresholdRule]:
    """The rule that sets each dataset's threshold: configured values first, then 0/1 scores as correctness, then the mean."""
    per_dataset = dict(per_dataset or {})
    rules = {}
    for dataset, scores in results.groupby("dataset")["score"]:
        if dataset in per_dataset:
            value = float(per_dataset[dataset])
            rules[dataset] = ThresholdRule(
                "per_dataset", value, f"score < {value:g} (data.success_threshold.per_dataset)"
            )
        elif default is not None:
            rules[dataset] = ThresholdRule("default", float(default), f"score < {float(default):g} (data.success_threshold.default)")
        elif set(scores.unique()) <= BINARY_SCORES:
            rules[dataset] = ThresholdRule("binary", 1.0, "binary scores: a score of 0 is a failure")
        else:
            mean = float(scores.mean())
            rules[dataset] = ThresholdRule(
                "mean_ratio", mean_ratio * mean, f"score < {mean_ratio:g} x mean score {mean:.4g} = {mean_ratio * mean:.4g}"
            )
    return rules


class FailureRuleError(UserError, ValueError):
    """The threshold rules mark no failure to analyse, or mark every row of a dataset whose scores vary."""


def check_failure_marks(marked: pd.DataFrame, rules: Mapping[str, ThresholdRule]) -> None:
    """FailureRuleError naming the dataset and its rule when a rule marks none or all of varied scores, or nothing fails."""
    problems = []
    for dataset, group in marked.groupby("dataset"):
        low, high = float(group["score"].min()), float(group["score"].max())
        failures = int(group["is_failure"].sum())
        if low == high or 0 < failures < len(group):
            continue
        marks = "no row" if failures == 0 else f"every row ({failures})"
        problems.append(
            f"dataset '{dataset}': the rule '{rules[dataset].description}' marks {marks} as a failure although "
            f"scores vary from {low:g} to {high:g}; set data.success_threshold.per_dataset.{dataset}"
        )
    if problems:
        raise FailureRuleError("; ".join(problems))
    if not marked["is_failure"].any():
        described = "; ".join(f"{d}: {r.description}" for d, r in rules.items())
        raise FailureRuleError(
            f"no failures to analyse: all {len(marked)} rows meet their dataset's threshold ({described})"
        )
