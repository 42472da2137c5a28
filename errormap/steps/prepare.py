"""Step 1: load results, mark failures against each dataset's threshold, sample failures per (model, dataset)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from errormap.data import accuracy_table, load_results, mark_failures, sample_failures
from errormap.settings import Settings
from errormap.thresholds import FailureRuleError, ThresholdRule, check_failure_marks, threshold_rules


@dataclass
class Prepared:
    results: pd.DataFrame
    failures: pd.DataFrame
    accuracy: pd.DataFrame
    metrics: dict[str, Any]


def mark(results: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict[str, ThresholdRule]]:
    """Every row with its dataset's success threshold and failure flag, and each dataset's rule."""
    rule = settings.data.success_threshold
    rules = threshold_rules(results, rule.per_dataset, rule.default, rule.mean_ratio)
    return mark_failures(results, {dataset: r.threshold for dataset, r in rules.items()}), rules


def mark_checked(results: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict[str, ThresholdRule]]:
    """`mark`, then FailureRuleError when the rules leave nothing sensible to analyse."""
    marked, rules = mark(results, settings)
    check_failure_marks(marked, rules)
    return marked, rules


def load_input(settings: Settings, input_dir: Path | str) -> pd.DataFrame:
    """Results tables (data.format: table), or harness output read by its importer (lm-eval, helm, inspect, auto)."""
    if settings.data.format == "table":
        return load_results(input_dir)
    from errormap.importers import ImportOptions, load_harness_results

    options = ImportOptions(**settings.data.harness.model_dump())
    return load_harness_results(settings.data.format, input_dir, options)


def prepare(settings: Settings, input_dir: Path | str | None = None) -> Prepared:
    """The prepare stage's outputs from the results under `input_dir` (default: data.input_dir)."""
    results = load_input(settings, input_dir if input_dir is not None else settings.data.input_dir)
    marked, rules = mark_checked(results, settings)
    thresholds = {dataset: r.threshold for dataset, r in rules.items()}
    sampled = sample_failures(
        marked,
        ratio=settings.sampling.ratio,
        max_per_group=settings.sampling.max_per_group,
        seed=settings.seed,
        models=settings.models.include,
    )
    if sampled.empty:
        raise FailureRuleError(
            f"no failures to analyse: the models in models.include {settings.models.include} have none "
            f"({int(marked['is_failure'].sum())} failures are of other models)"
        )
    accuracy = accuracy_table(marked)
    metrics = {
        "rows": len(marked),
        "datasets": int(marked["dataset"].nunique()),
        "models": int(marked["model"].nunique()),
        "failures": int(marked["is_failure"].sum()),
        "sampled_failures": len(sampled),
        "thresholds": thresholds,
        "threshold_rules": {dataset: {"rule": r.kind, "description": r.description} for dataset, r in rules.items()},
        "accuracy": {
            model: {r.dataset: round(float(r.accuracy), 4) for r in rows.itertuples()}
            for model, rows in accuracy.groupby("model")
        },
    }
    return Prepared(marked, sampled, accuracy, metrics)
