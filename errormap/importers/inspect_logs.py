"""inspect-ai logs (`.eval` zip and `.json`), read with inspect_ai's own reader (the optional `inspect` extra).

One row per sample id. Model and task come from the log header; input is the sample's text (chat messages
rendered as `role: text`), with its choices listed as lettered options; output is the completion; the
reference is the target (with the option's text for a letter target). The score is the chosen scorer's value:
C/I/P/N through the configured mapping, numbers and booleans as they are. With several epochs the reduced
score (`reductions`) counts and the first epoch's output is shown. `attachment://` references in the fields
a row uses are resolved from the sample's attachments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from errormap.importers.base import ImportOptions, Policy, RecordError, Row, fail, text_of

KNOWN_VERSIONS = (1, 2)
INSTALL_HINT = "reading inspect logs needs inspect_ai: pip install 'errormap[inspect]'"
_WORDS = {"true": 1.0, "yes": 1.0, "false": 0.0, "no": 0.0}
_VERSION_ERROR = re.compile(r"read version (\S+) of log format")
ATTACHMENT = "attachment://"
Resolve = Callable[[str], str]


def resolver(attachments: Mapping[str, str] | None) -> Resolve:
    """Text with `attachment://<hash>` swapped for the attachment it names (inspect stores long strings once)."""
    attachments = attachments or {}

    def resolve(text: str) -> str:
        if isinstance(text, str) and text.startswith(ATTACHMENT):
            return attachments.get(text[len(ATTACHMENT):], text)
        return text

    return resolve


def read_log(path: Path) -> Any:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        fail(path, None, None, INSTALL_HINT)
    try:
        return read_eval_log(str(path))  # attachments are resolved below, in the fields a row uses
    except Exception as exc:  # the reader raises zip, JSON and validation errors alike
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        version = _VERSION_ERROR.search(message)
        if version:
            fail(path, None, "version", f"unknown inspect log version {version.group(1)} "
                 f"(errormap reads inspect log versions {', '.join(map(str, KNOWN_VERSIONS))})")
        fail(path, None, None, f"not a readable inspect log ({type(exc).__name__}: {message[:300]})")


def score_value(value: Any, mapping: Mapping[str, float], path: Path, label: str, field: str) -> float:
    """An inspect score value as a float: mapped letters (C/I/P/N), numbers, booleans, yes/no."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            fail(path, label, field, f"score {value!r} is not a finite number")
        return float(value)
    if isinstance(value, str):
        if value in mapping:
            return float(mapping[value])
        if value.strip().lower() in _WORDS:
            return _WORDS[value.strip().lower()]
        try:
            number = float(value)
        except ValueError:
            fail(path, label, field, f"score value {value!r} is not in the score mapping "
                 f"({', '.join(f'{k}={v:g}' for k, v in mapping.items())}) and not a number")
        if math.isfinite(number):
            return number
    if value is None:
        fail(path, label, field, "missing (null)")
    fail(path, label, field, f"score value {value!r} ({type(value).__name__}) cannot be a single score; "
         "multi-part scorers are not supported: choose another scorer")


def _content_text(content: Any, resolve: Resolve) -> str:
    if isinstance(content, str):
        return resolve(content)
    if isinstance(content, list):
        parts = []
        for part in content:
            text = getattr(part, "text", None) if not isinstance(part, dict) else part.get("text")
            parts.append(resolve(text) if isinstance(text, str) else f"[{getattr(part, 'type', 'content')}]")
        return "\n".join(parts)
    return text_of(content)


def render_input(value: Any, choices: list[str] | None, resolve: Resolve = str) -> str:
    """A string input as it is; chat messages as `role: text` (a lone user message as its text); then the choices."""
    if isinstance(value, str):
        text = resolve(value)
    else:
        messages = list(value or [])
        if len(messages) == 1 and getattr(messages[0], "role", "") == "user":
            text = _content_text(messages[0].content, resolve)
        else:
            text = "\n\n".join(f"{getattr(m, 'role', '?')}: {_content_text(m.content, resolve)}" for m in messages)
    if choices:
        text += "\n\nOptions:\n" + "\n".join(f"{chr(65 + i)}) {c}" for i, c in enumerate(choices))
    return text


def render_target(target: Any, choices: list[str] | None) -> str | None:
    letters = target if isinstance(target, list) else [target]
    if choices:
        named = []
        for letter in letters:
            index = ord(letter.strip()) - 65 if isinstance(letter, str) and len(letter.strip()) == 1 else -1
            named.append(f"{letter.strip()}) {choices[index]}" if 0 <= index < len(choices) else text_of(letter))
        return " | ".join(named) or None
    return text_of(target).strip() or None


def _output(sample: Any, resolve: Resolve) -> str:
    output = getattr(sample, "output", None)
    completion = getattr(output, "completion", "") if output is not None else ""
    if completion:
        return resolve(completion)
    for message in reversed(getattr(sample, "messages", None) or []):
        if getattr(message, "role", "") == "assistant":
            return _content_text(message.content, resolve)
    return ""


def _scorer(log: Any, path: Path, wanted: str | None) -> str:
    names: list[str] = [s.name for s in (getattr(log.results, "scores", None) or [])]
    for sample in log.samples or []:
        names.extend(n for n in (sample.scores or {}) if n not in names)
    if not names:
        fail(path, None, "results.scores", "the log is unscored (no scorer results): score it first with "
             "`inspect score LOG`", records=len(log.samples or []))
    if wanted and wanted not in names:
        fail(path, None, "scores", f"scorer {wanted!r} is not in this log (it has {', '.join(names)})")
    return wanted or names[0]


def import_log(path: Path, options: ImportOptions, policy: Policy) -> list[Row]:
    log = read_log(path)
    version = getattr(log, "version", None)
    if version not in KNOWN_VERSIONS:
        fail(path, None, "version", f"unknown inspect log version {version!r} (this errormap reads {KNOWN_VERSIONS})",
             records=len(log.samples or []))
    if not log.samples:
        fail(path, None, "samples", "the log holds no samples (was it written with --no-log-samples?)", records=0)
    if log.status != "success":
        policy.warn(f"{path}: log status is '{log.status}': it may hold only part of the run")
    scorer = _scorer(log, path, options.inspect_scorer)
    reduced = _reduced(log, scorer)
    epochs = {}
    for sample in log.samples:
        epochs.setdefault(str(sample.id), []).append(sample)
    rows: list[Row] = []
    for number, (sample_id, samples) in enumerate(epochs.items(), start=1):
        label = f"sample {sample_id}"
        try:
            rows.append(_row(log, path, number, label, sample_id, samples, scorer, reduced, options))
        except RecordError as error:
            policy.bad(error)
    return rows


def _reduced(log: Any, scorer: str) -> dict[str, Any]:
    for reduction in getattr(log, "reductions", None) or []:
        if reduction.scorer == scorer:
            return {str(s.sample_id): s.value for s in reduction.samples}
    return {}


def _row(log: Any, path: Path, number: int, label: str, sample_id: str, samples: list[Any], scorer: str,
         reduced: dict[str, Any], options: ImportOptions) -> Row:
    first = min(samples, key=lambda s: s.epoch)
    if first.error is not None:
        fail(path, label, "error", f"the sample failed: {text_of(getattr(first.error, 'message', first.error))[:200]}")
    if len(samples) > 1 and sample_id in reduced:
        value, field = reduced[sample_id], f"reductions.{scorer}"
    else:
        score = (first.scores or {}).get(scorer)
        if score is None:
            fail(path, label, f"scores.{scorer}", "missing: this sample was not scored")
        value, field = score.value, f"scores.{scorer}.value"
    numeric = score_value(value, options.inspect_score_map, path, label, field)
    score = (first.scores or {}).get(scorer)
    resolve = resolver(first.attachments)
    answer, explanation = getattr(score, "answer", None), getattr(score, "explanation", None)
    return Row(
        "inspect", str(log.eval.task), sample_id, str(log.eval.model),
        render_input(first.input, first.choices, resolve), _output(first, resolve), numeric,
        render_target(first.target, first.choices), path, number, label,
        {
            "scorer": scorer, "score_value": text_of(value), "answer": resolve(answer) if answer else answer,
            "explanation": resolve(explanation) if explanation else explanation, "epochs": len(samples),
            "model_snapshot": getattr(getattr(first, "output", None), "model", None),
            "log_status": log.status, "inspect_version": (log.eval.packages or {}).get("inspect_ai"),
            "run_id": getattr(log.eval, "run_id", None),
        },
    )
