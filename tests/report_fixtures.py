"""Small report inputs built with the offline judge: three models, three datasets, a two-level taxonomy."""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd

from errormap.comparisons import compare_groups, pairwise_comparisons
from errormap.judge import OfflineJudge
from errormap.report import ReportInputs
from errormap.signatures import attempt_counts, signatures_document
from errormap.taxonomy import TaxonomyBuilder
from errormap.testing.defaults import taxonomy_config

TITLES = ["Empty response", "Truncated response", "Refusal to answer", "Wrong option selected",
          "Arithmetic calculation error", "Rounding or precision error", "Conflicting final answers",
          "Answer not clearly stated", "Option text instead of letter", "Number written in words"]
MODELS = ["m1", "m2", "m3"]
DATASETS = ["alpha", "beta", "gamma"]
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
PARAMS: dict[str, Any] = {
    "seed": 13,
    "data": {"input_dir": "data/demo", "success_threshold": {"default": None, "mean_ratio": 0.7, "per_dataset": {}}},
    "judge": {"kind": "offline"},
    "sampling": {"ratio": 1.0, "max_per_group": None},
    "taxonomy": {"min_coverage": 0.8, "max_fallback_share": 0.1},
    "analysis": {"max_failed_share": 0.01},
    "stability": {"min_adjusted_rand": 0.5},
}


def diagnoses(
    count: int = 90, hostile: bool = False, models: list[str] = MODELS, datasets: list[str] = DATASETS
) -> pd.DataFrame:
    """`count` diagnosed failures spread over models, datasets and titles (model output hostile if asked)."""
    frame = pd.DataFrame({
        "failure_id": [f"f{i:03d}" for i in range(count)],
        "dataset": [datasets[(i // len(models)) % len(datasets)] for i in range(count)],
        "example_id": [f"ex{i:03d}" for i in range(count)],
        "model": [models[i % len(models)] for i in range(count)],
        "status": ["ok"] * count,
        "error": [None] * count,
        "error_title": [TITLES[i % len(TITLES)] for i in range(count)],
        "error_summary": [f"summary {i}" for i in range(count)],
        "criteria": ['[{"criterion": "c", "verdict": "not met", "evidence": "<script>alert(1)</script>"}]'] * count,
    })
    frame.attrs["hostile"] = hostile
    return frame


def build(
    errors: pd.DataFrame | None = None, level: int = 1, **overrides: Any
) -> ReportInputs:
    """Report inputs from diagnoses, through the real taxonomy builder, signatures and comparisons."""
    errors = diagnoses() if errors is None else errors
    params = taxonomy_config(min_categories=4, min_titles_to_split=3, rare_share=0.0)
    taxonomy, table = asyncio.run(TaxonomyBuilder(OfflineJudge(), params, 0).build(errors))
    output = HOSTILE if errors.attrs.get("hostile") else "an answer"
    failures = errors[["failure_id", "model", "dataset"]].assign(
        input_text="What is <b>bold</b>?", output_text=output, correct_answer="A"
    )
    models, datasets = sorted(set(errors["model"])), sorted(set(errors["dataset"]))
    results = pd.concat([
        failures[["model", "dataset"]].assign(is_failure=True),
        pd.DataFrame([{"model": m, "dataset": d, "is_failure": False} for m in models for d in datasets for _ in range(20)]),
    ])
    attempts = attempt_counts(results)
    prepare = {"rows": len(results), "failures": len(errors), "sampled_failures": len(errors),
               "thresholds": {d: 0.5 for d in datasets},
               "accuracy": {m: {d: 0.6 for d in datasets} for m in models}}
    values: dict[str, Any] = dict(
        taxonomy=taxonomy, assignments=table, diagnoses=errors, failures=failures,
        comparisons=compare_groups(table, "model", level), pairwise=pairwise_comparisons(table, attempts, level),
        signatures=signatures_document(table, level, attempts, capability_groups={"format": ["*format*", "*letter*"]}),
        prepare_metrics=prepare, params=PARAMS, taxonomy_metrics={"coverage": 1.0, "fallback_share": 0.0},
        stability_metrics={"adjusted_rand_index": 0.9, "seeds": [1, 2]},
        provenance={"created": "2026-01-01 00:00 UTC", "git_revision": "abc1234", "dvc_experiment": "exp-one"},
    )
    values.update(overrides)
    return ReportInputs(**values)
