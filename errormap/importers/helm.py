"""HELM run directories: run_spec.json, scenario_state.json and per_instance_stats.json.

One row per (instance, train trial, perturbation). The model comes from the run spec's adapter_spec, the input
from the instance, the output from the first completion (for multiple_choice_joint preceded by the prompt's
last line, e.g. "Answer: B", which the completion continues), the gold from the references tagged `correct`
(with the letter of `output_mapping` for multiple_choice_joint), and the score from the per-instance stats
of the run's main metric; an instance listed in several stats entries (harm_bench: judge stats and basic
stats) is merged. Trial 0 of an unperturbed instance keeps the instance id; other trials and perturbations
get a suffix so that every row has its own example id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from errormap.importers.base import ImportOptions, Policy, RecordError, Row, as_score, fail, require, text_of

PREFERRED = ("exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match", "f1_score",
             "math_equiv", "math_equiv_chain_of_thought", "final_number_exact_match")
BOOKKEEPING = {
    "num_references", "num_train_trials", "num_prompt_tokens", "num_completion_tokens", "num_output_tokens",
    "training_co2_cost", "training_energy_cost", "inference_runtime", "inference_denoised_runtime",
    "inference_idealized_runtime", "batch_size", "num_train_instances", "prompt_truncated", "max_prob", "logprob",
    "num_perplexity_tokens", "num_bytes", "perplexity", "bits_per_byte", "logprob_per_byte", "num_instances",
}
SUPPORTED_METHODS = {"generation", "multiple_choice_joint", "multiple_choice_joint_chain_of_thought", None}


def _load(path: Path) -> Any:
    if not path.is_file():
        fail(path, None, None, "missing: a HELM run directory holds run_spec.json, scenario_state.json "
             "and per_instance_stats.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(path, None, None, f"not valid JSON: {exc}")


def _dataset(run_name: str) -> str:
    """The run spec name without its model arguments: bbq:subject=all,method=...,model=x -> bbq:subject=all,method=..."""
    scenario, _, args = run_name.partition(":")
    kept = [a for a in args.split(",") if a and not a.startswith(("model=", "model_deployment="))]
    return scenario + (":" + ",".join(kept) if kept else "")


def _perturbation(value: Any) -> str | None:
    if not value:
        return None
    return str(value.get("name") or json.dumps(value, sort_keys=True)) if isinstance(value, dict) else str(value)


def _key(entry: dict[str, Any], instance: dict[str, Any] | None = None) -> tuple[str, int, str | None]:
    perturbation = entry.get("perturbation") or (instance or {}).get("perturbation")
    return str(entry.get("instance_id", (instance or {}).get("id"))), int(entry.get("train_trial_index") or 0), \
        _perturbation(perturbation)


def _stats(path: Path, entries: Any) -> dict[tuple[str, int, str | None], dict[str, float | None]]:
    """Per (instance, trial, perturbation): stat name -> mean, merged over every entry of that key."""
    if not isinstance(entries, list):
        fail(path, None, None, "expected a list of per-instance stats entries")
    merged: dict[tuple[str, int, str | None], dict[str, float | None]] = {}
    for number, entry in enumerate(entries, start=1):
        label = f"entry {number}"
        require(entry, "instance_id", path, label)
        stats = merged.setdefault(_key(entry), {})
        for stat in require(entry, "stats", path, label):
            name = stat.get("name", {})
            if name.get("split") not in (None, "test", "valid"):
                continue
            mean = stat.get("mean")
            if mean is None and stat.get("count"):
                mean = stat.get("sum", 0) / stat["count"]
            stats.setdefault(str(name.get("name")), mean)
    return merged


def main_metric(stats: Iterable[dict[str, float | None]], wanted: str | None) -> str | None:
    """The option's metric, else the first of PREFERRED present, else the first scenario-specific stat."""
    names: list[str] = []
    for entry in stats:
        names.extend(n for n in entry if n not in names)
    if wanted:
        return wanted if wanted in names else None
    for name in PREFERRED:
        if name in names:
            return name
    specific = [n for n in names if n not in BOOKKEEPING and not n.startswith("finish_reason") and "@" not in n]
    return specific[0] if specific else None


def import_run(run_dir: Path, options: ImportOptions, policy: Policy) -> list[Row]:
    spec = _load(run_dir / "run_spec.json")
    adapter = require(spec, "adapter_spec", run_dir / "run_spec.json", "run spec")
    model = adapter.get("model") or adapter.get("model_deployment")
    if not model:
        fail(run_dir / "run_spec.json", "run spec", "adapter_spec.model", "missing")
    method = adapter.get("method")
    if method not in SUPPORTED_METHODS:
        fail(run_dir / "run_spec.json", "run spec", "adapter_spec.method",
             f"adapter method {method!r} is not supported (supported: generation, multiple_choice_joint)")
    state_file = run_dir / "scenario_state.json"
    states = require(_load(state_file), "request_states", state_file, "scenario state")
    stats_file = run_dir / "per_instance_stats.json"
    stats = _stats(stats_file, _load(stats_file))
    metric = main_metric(stats.values(), options.helm_metric)
    if metric is None:
        wanted = options.helm_metric or "a score"
        fail(stats_file, None, options.helm_metric or "stats", f"no per-instance stat gives {wanted}")
    dataset = _dataset(str(spec.get("name") or run_dir.name))
    rows: list[Row] = []
    seen: dict[tuple[str, int, str | None], str] = {}
    for number, state in enumerate(states, start=1):
        label = f"request_states[{number - 1}]"
        try:
            rows.append(_row(state, run_dir, number, label, str(model), dataset, metric, stats, seen, method))
        except RecordError as error:
            policy.bad(error)
    return rows


def _row(state: Any, run_dir: Path, number: int, label: str, model: str, dataset: str, metric: str,
         stats: dict[tuple[str, int, str | None], dict[str, float | None]], seen: dict, method: str | None) -> Row:
    state_file = run_dir / "scenario_state.json"
    instance = require(state, "instance", state_file, label)
    instance_id = require(instance, "id", state_file, label, "instance.")
    key = _key({"instance_id": instance_id, "train_trial_index": state.get("train_trial_index")}, instance)
    if key in seen:
        fail(state_file, label, "instance.id", f"instance {instance_id} (trial {key[1]}) appears twice "
             f"(also {seen[key]}); the separate multiple-choice methods are not supported")
    seen[key] = label
    text = require(require(instance, "input", state_file, label, "instance."), "text", state_file, label, "instance.input.")
    completions = (require(state, "result", state_file, label).get("completions") or [])
    output = text_of(completions[0].get("text")) if completions else ""
    mapping = state.get("output_mapping") or {}
    correct = [r for r in instance.get("references", []) if "correct" in (r.get("tags") or [])]
    letters = {v: k for k, v in mapping.items()}
    gold = [f"{letters[t]}. {t}" if t in letters else t for t in (text_of(r.get("output", {}).get("text")) for r in correct)]
    if mapping:
        text = text + "\n" + "\n".join(f"{k}. {v}" for k, v in mapping.items())
    if key not in stats:
        fail(run_dir / "per_instance_stats.json", f"instance {instance_id}", "instance_id",
             f"no per-instance stats for this instance (trial {key[1]}, perturbation {key[2]})")
    if stats[key].get(metric) is None:
        fail(run_dir / "per_instance_stats.json", f"instance {instance_id}", metric, "missing for this instance")
    score = as_score(stats[key][metric], run_dir / "per_instance_stats.json", f"instance {instance_id}", metric)
    example = str(instance_id) + (f"/trial{key[1]}" if key[1] else "") + (f"/{key[2]}" if key[2] else "")
    mapped = mapping.get(output.strip())
    extra = {
        "metric": metric, "adapter_method": method, "train_trial_index": key[1], "perturbation": key[2],
        "mapped_output": mapped, "split": instance.get("split"), "prompt": state.get("request", {}).get("prompt"),
        "request_error": None if state["result"].get("success", True) else text_of(state["result"].get("error")),
    }
    extra.update({f"stat_{k}": v for k, v in stats[key].items() if k != metric and k not in BOOKKEEPING
                  and not k.startswith("finish_reason") and "@" not in k and v is not None})
    extra.update({f"annotation_{a}_{k}": v for a, body in (state.get("annotations") or {}).items()
                  if isinstance(body, dict) for k, v in body.items() if k.endswith(("score", "reasoning"))})
    prefix = str(state.get("request", {}).get("prompt", "")).rstrip().rsplit("\n", 1)[-1]
    shown = f"{prefix} {output.strip()}" if method and method.startswith("multiple_choice") and prefix else output.strip()
    extra["completion"] = output
    return Row("helm", dataset, example, model, text, shown, score, " | ".join(gold) or None,
               state_file, number, label, extra)
