"""What the report is drawn from, as the stages wrote it, and the run's provenance and quality warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from errormap.report.sections import ReportCharts
from errormap.taxonomy.model import Taxonomy, coverage


@dataclass
class ReportInputs:
    """Everything the report shows. `params` is the composed configuration; `provenance` the run's identity."""

    taxonomy: Taxonomy
    assignments: pd.DataFrame
    diagnoses: pd.DataFrame
    failures: pd.DataFrame
    comparisons: pd.DataFrame
    signatures: dict[str, Any]
    prepare_metrics: dict[str, Any]
    examples_per_category: int = 3
    params: dict[str, Any] = field(default_factory=dict)
    pairwise: pd.DataFrame | None = None
    taxonomy_metrics: dict[str, Any] = field(default_factory=dict)
    stability_metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    rule_precision: dict[str, Any] | None = None
    """The offline judge's labelled-set figures (`errormap.report.trust.PRECISION_FILE`), when present."""
    charts: ReportCharts | None = None
    """The charts, when already started (`errormap.report.sections.start_charts`); else the report starts them."""


def _param(params: dict[str, Any], dotted: str, default: Any = None) -> Any:
    value: Any = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def failed_share(diagnoses: pd.DataFrame) -> tuple[int, float]:
    """How many diagnoses failed, and their share of all."""
    failed = int((diagnoses["status"] != "ok").sum()) if len(diagnoses) else 0
    return failed, failed / len(diagnoses) if len(diagnoses) else 0.0


def quality_warnings(inputs: ReportInputs) -> list[str]:
    """One sentence per quality figure past its configured threshold (empty when the run looks sound)."""
    params, warnings = inputs.params, []
    shares = coverage(inputs.taxonomy)
    cover = inputs.taxonomy_metrics.get("diagnosed_coverage", shares["diagnosed_coverage"])
    min_coverage = _param(params, "taxonomy.min_coverage")
    if min_coverage is not None and cover < min_coverage:
        warnings.append(
            f"Taxonomy coverage is {cover:.0%} of the diagnosed failures, below taxonomy.min_coverage "
            f"({min_coverage:.0%}): many failures are in Other, so the categories describe only part of them."
        )
    if shares["hard_share"] >= 0.5:
        warnings.append(
            f"{shares['hard_share']:.0%} of the failures are Hard to analyze: the judge failed on them or, with the "
            "offline judge, no rule could explain them. An LLM judge (judge=openai) is needed to diagnose them."
        )
    fallback, max_fallback = inputs.taxonomy_metrics.get("fallback_share"), _param(params, "taxonomy.max_fallback_share")
    if fallback is not None and max_fallback is not None and fallback > max_fallback:
        warnings.append(
            f"{fallback:.0%} of error titles fell back to Other because their classification failed "
            f"(taxonomy.max_fallback_share is {max_fallback:.0%}): check the judge."
        )
    failed, share = failed_share(inputs.diagnoses)
    max_failed = _param(params, "analysis.max_failed_share")
    if max_failed is not None and share > max_failed:
        warnings.append(
            f"{failed} diagnoses ({share:.1%}) failed after every retry, above analysis.max_failed_share "
            f"({max_failed:.1%}): they are listed under Failed diagnoses and missing from the signatures."
        )
    ari, min_ari = inputs.stability_metrics.get("adjusted_rand_index"), _param(params, "stability.min_adjusted_rand")
    if ari is not None and min_ari is not None and ari < min_ari:
        warnings.append(
            f"The taxonomy is unstable: rebuilt with other seeds it agrees with itself only at adjusted Rand "
            f"index {ari:.2f} (stability.min_adjusted_rand is {min_ari:.2f}); read category names with care."
        )
    return warnings


def stability_text(metrics: dict[str, Any]) -> str:
    """The stability figure for the header: the mean adjusted Rand index, or why it was not measured."""
    if "adjusted_rand_index" in metrics:
        return f"ARI {metrics['adjusted_rand_index']:.2f} over seeds {', '.join(map(str, metrics.get('seeds', [])))}"
    if metrics.get("skipped"):
        return f"not measured ({metrics['skipped']})"
    return "not measured"


def header_facts(inputs: ReportInputs) -> list[tuple[str, str]]:
    """(label, value) pairs for the report header: when, on what, with which judge and settings."""
    params, prov = inputs.params, inputs.provenance
    judge = _param(params, "judge", {}) or {}
    judge_text = judge.get("kind", inputs.taxonomy.judge_id)
    if judge.get("model"):
        judge_text += f" · {judge['model']}"
    sampling = _param(params, "sampling", {}) or {}
    cap = sampling.get("max_per_group")
    facts = [
        ("created", prov.get("created", "")),
        ("input", str(_param(params, "data.input_dir", ""))),
        ("judge", judge_text),
        ("prompts", inputs.taxonomy.prompt_version),
        ("sampling", f"{sampling.get('ratio', 1.0):.0%} of each model × dataset's failures" + (f", at most {cap}" if cap else "")),
        ("seed", str(_param(params, "seed", ""))),
        ("git revision", prov.get("git_revision", "")),
        ("DVC experiment", prov.get("dvc_experiment", "") or "(workspace)"),
        ("taxonomy coverage", f"{coverage(inputs.taxonomy)['coverage']:.0%} in named categories"),
        ("stability", stability_text(inputs.stability_metrics)),
    ]
    return [(label, value) for label, value in facts if value]


def threshold_facts(prepare: dict[str, Any], params: dict[str, Any]) -> list[tuple[str, str]]:
    """Per dataset, when a result counts as a failure: the prepare stage's rule, else its threshold."""
    rules = prepare.get("threshold_rules") or {}
    thresholds = prepare.get("thresholds") or {}
    rule = _param(params, "data.success_threshold", {}) or {}
    facts = []
    for dataset in sorted(set(rules) | set(thresholds)):
        if isinstance(rules.get(dataset), dict) and rules[dataset].get("description"):
            facts.append((dataset, str(rules[dataset]["description"])))
        elif dataset in thresholds:
            ratio = f" ({rule['mean_ratio']} × the dataset's mean score)" if rule.get("default") is None and "mean_ratio" in rule else ""
            facts.append((dataset, f"score below {thresholds[dataset]:.3g}{ratio}"))
    return facts
