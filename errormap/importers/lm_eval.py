"""lm-evaluation-harness `--log_samples` output: samples_<task>_<time>.jsonl paired with results_<time>.json.

Also reads the older layouts found in the wild: mid-2024 samples without `filter`/`metrics` keys (sometimes
named .json), 0.4.2 JSON-array files (`model__<name>_<task>.jsonl`, `arguments` as [[prompt, kwargs]]) and
the 2023 development files (`pretrained=<model>_<task>.jsonl`, flat `arguments`, no results file).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from errormap.importers.base import ImportOptions, ImportProblem, Policy, RecordError, Row, fail
from errormap.importers.detect import is_lm_eval_results
from errormap.importers.lm_eval_records import render

TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_SAMPLES = re.compile(rf"^samples_(?P<task>.+)_(?P<ts>{TIMESTAMP})$")
_LEGACY = re.compile(r"^(?:pretrained|model)(?:=|__)(?P<model>(?:[^_]|__)+)_(?P<task>.+)$")
_TS = re.compile(TIMESTAMP)
_NOT_METRICS = {"alias", "name", "sample_len", "sample_count", " ", ""}
_RECORD_KEYS = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
                "doc_hash", "prompt_hash", "target_hash"}


def results_for(samples: Path) -> Path | None:
    """The results file of the same run: same timestamp in the name, or the directory's only results file."""
    stamp = _TS.search(samples.name)
    candidates = [p for p in sorted(samples.parent.glob("*.json")) if p != samples and is_lm_eval_results(p)]
    if stamp:
        same = [p for p in candidates if stamp.group(0) in p.name]
        if same:
            return same[0]
    undated = [p for p in candidates if not _TS.search(p.name)]
    if len(candidates) == 1 and (not stamp or undated):
        return candidates[0]
    return None


@lru_cache(maxsize=64)
def _load_json(path: Path, mtime: float) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(path, None, None, f"not valid JSON: {exc}")


def load_results(path: Path) -> dict[str, Any]:
    data = _load_json(path, path.stat().st_mtime)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        fail(path, None, "results", "missing: this is not an lm-eval results file")
    return data


def _model_from_args(model_args: Any) -> str | None:
    if isinstance(model_args, dict):
        args = {str(k): v for k, v in model_args.items()}
    elif isinstance(model_args, str):
        args = dict(part.split("=", 1) for part in model_args.split(",") if "=" in part)
    else:
        return None
    for key in ("pretrained", "model", "model_name", "engine", "path"):
        if args.get(key):
            return str(args[key])
    return None


def model_name(results: dict[str, Any] | None, samples: Path) -> str:
    """`model_name` of the results file, else `pretrained=`/`model=` in its model_args, else the file or directory name."""
    if results:
        if results.get("model_name"):
            return str(results["model_name"])
        name = _model_from_args((results.get("config") or {}).get("model_args"))
        if name:
            return name
    legacy = _LEGACY.match(samples.stem)
    if legacy:
        return legacy.group("model").replace("__", "/")
    return samples.parent.name


def task_name(samples: Path, results: dict[str, Any] | None) -> str:
    known = sorted(set((results or {}).get("configs", {})) | set((results or {}).get("results", {})), key=len, reverse=True)
    match = _SAMPLES.match(samples.stem)
    if match:
        return match.group("task")
    for task in known:  # legacy names end with the task: model__gpt-3.5-turbo-0125_wmdp_bio
        if samples.stem.endswith("_" + task):
            return task
    legacy = _LEGACY.match(samples.stem)
    return legacy.group("task") if legacy else samples.stem


def read_records(path: Path) -> list[tuple[int, str, dict[str, Any] | RecordError]]:
    """(record number, label, record or its error) for a JSONL file or a JSON array file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        fail(path, None, None, f"not UTF-8 text (byte {exc.start})")
    records: list[tuple[int, str, dict[str, Any] | RecordError]] = []
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            fail(path, None, None, f"JSON array is not valid JSON ({exc}); is the file truncated?")
        for number, item in enumerate(items, start=1):
            records.append((number, f"element {number}", _as_record(item, path, f"element {number}")))
        return records
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        label = f"line {number}"
        try:
            item = json.loads(line)
        except ValueError as exc:
            last = number == len(lines) and not text.endswith("\n")
            reason = "record cut off (the run stopped while writing it)" if last else f"invalid JSON: {exc}"
            records.append((number, label, RecordError(_problem(path, label, reason))))
            continue
        records.append((number, label, _as_record(item, path, label)))
    return records


def _problem(path: Path, label: str, message: str, field: str | None = None) -> ImportProblem:
    return ImportProblem(str(path), label, field, message)


def _as_record(item: Any, path: Path, label: str) -> dict[str, Any] | RecordError:
    if not isinstance(item, dict):
        return RecordError(_problem(path, label, f"a record must be a JSON object, got {type(item).__name__}"))
    for key in ("doc_id", "doc"):
        if key not in item:
            return RecordError(_problem(path, label, "missing", key))
    return item


@dataclass(frozen=True)
class TaskSpec:
    task: str
    model: str
    output_type: str | None
    metric: str
    filter: str | None
    target_delimiter: str


def _reported(results: dict[str, Any] | None, task: str) -> list[tuple[str, str | None]]:
    """(metric, filter) pairs in the order the results file reports them for this task."""
    pairs: list[tuple[str, str | None]] = []
    for key in ((results or {}).get("results", {}).get(task) or {}):
        metric, _, filt = key.partition(",")
        if metric in _NOT_METRICS or metric.endswith("_stderr"):
            continue
        pairs.append((metric, filt or None))
    return pairs


def _sample_metrics(record: dict[str, Any]) -> list[str]:
    if isinstance(record.get("metrics"), list):
        return [str(m) for m in record["metrics"]]
    return [k for k, v in record.items() if k not in _RECORD_KEYS and isinstance(v, (int, float, list))]


def _is_score(value: Any) -> bool:
    if isinstance(value, (bool, int, float)):
        return True
    try:
        float(value)
        return isinstance(value, str)
    except (TypeError, ValueError):
        return False


def choose_metric(
    records: list[dict[str, Any]], results: dict[str, Any] | None, task: str, options: ImportOptions, path: Path
) -> tuple[str, str | None]:
    """The metric and filter that count: the options', else the first the results file reports with per-sample scores.

    Corpus-level metrics (f1, bleu in some tasks) store lists per sample, not scores: they are passed over.
    """
    filters = [f for f in dict.fromkeys(r.get("filter") for r in records)]
    candidates = _reported(results, task) or [(m, filters[0]) for m in _sample_metrics(records[0])]
    if options.lm_eval_metric:
        candidates = [c for c in candidates if c[0] == options.lm_eval_metric] or [(options.lm_eval_metric, None)]
    if options.lm_eval_filter:
        if options.lm_eval_filter not in filters:
            fail(path, None, "filter", f"filter {options.lm_eval_filter!r} is not in this file (it has {_names(filters)})")
        candidates = [(m, options.lm_eval_filter) for m, _ in candidates]
    corpus: list[str] = []
    for metric, wanted in candidates:
        if filters == [None]:
            use = None  # older files name no filter: every record counts
        elif wanted in filters:
            use = wanted
        elif wanted is None:
            use = filters[0]
        else:
            continue  # reported for a filter this file does not hold
        sample = next(r for r in records if use is None or r.get("filter") == use)
        if metric not in sample:
            continue
        if _is_score(sample[metric]):
            return metric, use
        corpus.append(metric)
    available = [m for m in _sample_metrics(records[0]) if _is_score(records[0].get(m))]
    if options.lm_eval_metric and options.lm_eval_metric in corpus:
        fail(path, None, options.lm_eval_metric,
             f"{options.lm_eval_metric} is a corpus-level metric (per-sample values are lists, not scores); "
             f"per-sample metrics here: {', '.join(available) or 'none'}")
    wanted_text = options.lm_eval_metric or "any metric the results file reports"
    fail(path, None, options.lm_eval_metric or "metrics",
         f"no per-sample score for {wanted_text} in task {task} (filters: {_names(filters)}); "
         f"per-sample metrics here: {', '.join(available) or 'none'}")


def _names(filters: list[str | None]) -> str:
    return ", ".join(str(f) for f in filters if f is not None) or "no filter names"


def import_samples(path: Path, options: ImportOptions, policy: Policy) -> list[Row]:
    """Rows of one samples file: one per doc for the chosen filter."""
    results_file = results_for(path)
    results = load_results(results_file) if results_file else None
    task = task_name(path, results)
    if results is None:
        policy.warn(f"{path}: no lm-eval results file beside it; model '{model_name(None, path)}' and task '{task}' "
                    "come from the file name, the metric from the records")
    good: list[tuple[int, str, dict[str, Any]]] = []
    for number, label, record in read_records(path):
        if isinstance(record, RecordError):
            policy.bad(record)
        else:
            good.append((number, label, record))
    if not good:
        fail(path, None, None, "no records", records=0)
    metric, filt = choose_metric([r for _, _, r in good], results, task, options, path)
    config = ((results or {}).get("configs") or {}).get(task) or {}
    spec = TaskSpec(task, model_name(results, path), config.get("output_type"), metric, filt,
                    str(config.get("target_delimiter", " ")))
    rows = _rows(path, good, spec, policy)
    _check_counts(path, results, task, len(rows), policy)
    return rows


def _rows(path: Path, good: list[tuple[int, str, dict[str, Any]]], spec: TaskSpec, policy: Policy) -> list[Row]:
    rows: list[Row] = []
    seen: dict[str, str] = {}
    disagree = list_targets = 0
    for number, label, record in good:
        if spec.filter is not None and record.get("filter") != spec.filter:
            continue
        try:
            doc_id = str(record["doc_id"])
            if doc_id in seen:
                fail(path, label, "doc_id", f"doc_id {doc_id} appears twice (also at {seen[doc_id]})")
            seen[doc_id] = label
            rendered = render(record, spec, path, label)
        except RecordError as error:
            policy.bad(error)
            continue
        known = _RECORD_KEYS | set(_sample_metrics(record)) | {spec.metric}
        extra = {"task": spec.task, "metric": spec.metric, "filter": spec.filter, **rendered.extra}
        extra.update({f"sample_{k}": v for k, v in record.items() if k not in known})  # fork-specific keys
        disagree += rendered.disagrees
        list_targets += isinstance(record.get("target"), list)
        rows.append(Row("lm-eval", spec.task, doc_id, spec.model, rendered.input_text, rendered.output_text,
                        rendered.score, rendered.correct_answer, path, number, label, extra))
    if disagree:
        policy.warn(f"{path}: for {disagree} record(s) the option chosen by log-likelihood disagrees with "
                    f"the per-sample {spec.metric}")
    if list_targets:
        policy.warn(f"{path}: task {spec.task}: 'target' is a list in {list_targets} record(s) (doc_to_target "
                    "returns a list), so the harness's scores may be meaningless; check the task config")
    return rows


def _check_counts(path: Path, results: dict[str, Any] | None, task: str, rows: int, policy: Policy) -> None:
    counts = ((results or {}).get("n-samples") or {}).get(task) or {}
    expected = counts.get("effective")
    if isinstance(expected, int) and expected != rows:
        policy.warn(f"{path}: the results file reports {expected} samples for {task}, this file gives {rows} "
                    "(a run cut short, or a trimmed file)")
