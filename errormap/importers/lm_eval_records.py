"""One lm-eval samples record as text a judge can read, by output type.

- generate_until: the prompt, the raw generation (`resps`), the extracted answer (`filtered_resps`), the target.
- multiple_choice: one log-likelihood request per option; the chosen option is the argmax (divided by the
  option's length in characters when the metric is acc_norm). The model wrote no text, so the output is
  written as "Answer: <chosen option>" with the log-likelihoods, and the options are listed after the prompt.
- loglikelihood: one request; whether the reference continuation was the model's greedy decode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errormap.importers.base import as_score, fail, text_of

if TYPE_CHECKING:
    from errormap.importers.lm_eval import TaskSpec

LIKELIHOOD_TYPES = {"multiple_choice", "loglikelihood", "loglikelihood_rolling"}
_GEN_ARG = re.compile(r"^gen_args_(\d+)$")


@dataclass
class Rendered:
    input_text: str
    output_text: str
    correct_answer: str | None
    score: float
    extra: dict[str, Any] = field(default_factory=dict)
    disagrees: int = 0


def requests(arguments: Any) -> list[tuple[Any, Any]]:
    """(arg_0, arg_1) per request, from every layout: {gen_args_i: {arg_0, arg_1}}, [[a0, a1], ...], flat [a0, a1]."""
    if isinstance(arguments, dict):
        keyed = sorted(
            ((int(m.group(1)), v) for k, v in arguments.items() if (m := _GEN_ARG.match(str(k)))), key=lambda kv: kv[0]
        )
        return [(v.get("arg_0"), v.get("arg_1")) if isinstance(v, dict) else (v, None) for _, v in keyed]
    if isinstance(arguments, list) and arguments:
        if all(isinstance(a, (list, tuple)) for a in arguments):
            return [(a[0] if a else None, a[1] if len(a) > 1 else None) for a in arguments]
        return [(arguments[0], arguments[1] if len(arguments) > 1 else None)]  # 2023 dev files: one request shown
    return []


def _loglikelihood(pair: Any, path: Path, label: str, where: str) -> tuple[float, bool | None]:
    """[logprob, is_greedy] (strings in 2024+ files, numbers and booleans in 2023 ones) as (float, bool)."""
    while isinstance(pair, list) and len(pair) == 1 and isinstance(pair[0], list):
        pair = pair[0]
    if not isinstance(pair, list) or not pair:
        fail(path, label, where, f"expected [logprob, is_greedy], got {pair!r}")
    try:
        logprob = float(pair[0])
    except (TypeError, ValueError):
        fail(path, label, where, f"log-likelihood {pair[0]!r} is not a number")
    greedy = pair[1] if len(pair) > 1 else None
    if isinstance(greedy, str):
        greedy = greedy.strip().lower() == "true"
    return logprob, greedy if greedy is None else bool(greedy)


def _output_type(record: dict[str, Any], spec: TaskSpec) -> str:
    if spec.output_type:
        return spec.output_type
    responses = record.get("filtered_resps") or record.get("resps") or []
    first = responses[0] if responses else None
    while isinstance(first, list) and first and isinstance(first[0], list):
        first = first[0]
    if isinstance(first, list) and first and not isinstance(first[0], str):
        return "multiple_choice" if len(responses) > 1 else "loglikelihood"
    return "generate_until"


def render(record: dict[str, Any], spec: TaskSpec, path: Path, label: str) -> Rendered:
    if spec.metric not in record:
        fail(path, label, spec.metric, "missing (the per-sample metric)")
    score = as_score(record[spec.metric], path, label, spec.metric)
    kind = _output_type(record, spec)
    if "arguments" not in record:
        fail(path, label, "arguments", "missing")
    if kind == "multiple_choice":
        return _multiple_choice(record, spec, score, path, label)
    if kind in ("loglikelihood", "loglikelihood_rolling"):
        return _loglikelihood_row(record, score, path, label, kind)
    return _generation(record, score, path, label)


def _generation(record: dict[str, Any], score: float, path: Path, label: str) -> Rendered:
    shown = requests(record["arguments"])
    if not shown or shown[0][0] is None:
        fail(path, label, "arguments", "no prompt (arg_0) in the first request")
    if "resps" not in record:
        fail(path, label, "resps", "missing")
    raw = record["resps"]
    while isinstance(raw, list) and raw:
        raw = raw[0]
    if isinstance(raw, list):
        raw = ""
    answer = record.get("filtered_resps")
    while isinstance(answer, list) and len(answer) == 1:
        answer = answer[0]
    target = record.get("target")
    return Rendered(
        text_of(shown[0][0]), text_of(raw), text_of(target).strip() or None, score,
        {"output_type": "generate_until", "extracted_answer": text_of(answer), "repeats": _repeats(record)},
    )


def _repeats(record: dict[str, Any]) -> int:
    first = (record.get("resps") or [[]])[0]
    return len(first) if isinstance(first, list) else 1


def _options(record: dict[str, Any], shown: list[tuple[Any, Any]], count: int, delimiter: str) -> tuple[list[str], str]:
    """Option texts and where they came from: the continuations, the doc's choices, or option1..n keys."""
    if len(shown) == count:
        continuations = [text_of(c) for _, c in shown]
        if len(set(continuations)) == count:
            return [c[len(delimiter):] if delimiter and c.startswith(delimiter) else c.strip() for c in continuations], "arguments"
        contexts = [text_of(c) for c, _ in shown]
        if len(set(contexts)) == count:  # winogrande-style: the option sits in the context
            return contexts, "arguments (contexts)"
    doc = record.get("doc") if isinstance(record.get("doc"), dict) else {}
    choices = doc.get("choices")
    if isinstance(choices, list) and len(choices) == count:
        return [text_of(c) for c in choices], "doc.choices"
    numbered = [doc.get(f"option{i}") for i in range(1, count + 1)]
    if all(isinstance(o, str) for o in numbered):
        return [str(o) for o in numbered], "doc.option1..n"
    return [f"option {i + 1}" for i in range(count)], "none"


def _gold(target: Any, options: list[str], path: Path, label: str) -> int | None:
    if isinstance(target, bool):
        return None
    if isinstance(target, int):
        index = target
    elif isinstance(target, str) and target.strip().lstrip("-").isdigit():
        index = int(target.strip())
    elif isinstance(target, str) and target.strip() in [o.strip() for o in options]:
        return [o.strip() for o in options].index(target.strip())
    else:
        return None
    if not 0 <= index < len(options):
        fail(path, label, "target", f"gold option index {index} is outside the {len(options)} options")
    return index


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))


def _multiple_choice(record: dict[str, Any], spec: TaskSpec, score: float, path: Path, label: str) -> Rendered:
    responses = record.get("filtered_resps") if "filtered_resps" in record else record.get("resps")
    if not isinstance(responses, list) or not responses:
        fail(path, label, "filtered_resps", "missing or empty (one [logprob, is_greedy] per option)")
    logprobs = [_loglikelihood(r, path, label, f"filtered_resps[{i}]")[0] for i, r in enumerate(responses)]
    shown = requests(record["arguments"])
    options, source = _options(record, shown, len(logprobs), spec.target_delimiter)
    normalised = spec.metric.startswith("acc_norm")
    ranked = [lp / max(len(o), 1) for lp, o in zip(logprobs, options)] if normalised else logprobs
    chosen = _argmax(ranked)
    gold = _gold(record.get("target"), options, path, label)
    gold_source = "target"
    if gold is None and spec.metric in ("acc", "acc_norm") and score in (0.0, 1.0):
        if score == 1.0:
            gold, gold_source = chosen, "score"  # the harness says the choice was right
        elif len(options) == 2:
            gold, gold_source = 1 - chosen, "score"
    context = text_of(shown[0][0]) if shown else ""
    listing = "\n".join(f"{i + 1}. {o}" for i, o in enumerate(options))
    margins = "; ".join(f"{i + 1}. {lp:.4g}" for i, lp in enumerate(logprobs))
    how = "log-likelihood per character" if normalised else "log-likelihood"
    output = f"Answer: {options[chosen]}\n(option {chosen + 1} of {len(options)}, chosen by highest {how}; log-likelihoods: {margins})"
    disagrees = int(gold is not None and spec.metric in ("acc", "acc_norm") and (chosen == gold) != (score == 1.0))
    return Rendered(
        f"{context}\n\nOptions (scored by log-likelihood):\n{listing}",
        output,
        options[gold] if gold is not None else (text_of(record.get("target")).strip() or None),
        score,
        {
            "output_type": "multiple_choice", "options": json.dumps(options, ensure_ascii=False),
            "options_from": source, "chosen_index": chosen, "chosen_option": options[chosen],
            "gold_index": gold, "gold_from": gold_source if gold is not None else None,
            "logprobs": json.dumps(logprobs),
        },
        disagrees,
    )


def _loglikelihood_row(record: dict[str, Any], score: float, path: Path, label: str, kind: str) -> Rendered:
    shown = requests(record["arguments"])
    responses = record.get("filtered_resps") if "filtered_resps" in record else record.get("resps")
    if not isinstance(responses, list) or not responses:
        fail(path, label, "filtered_resps", "missing or empty")
    logprob, greedy = _loglikelihood(responses[0], path, label, "filtered_resps[0]")
    context, continuation = (text_of(shown[0][0]), text_of(shown[0][1])) if shown else ("", "")
    if kind == "loglikelihood_rolling":
        output = f"(log-likelihood of the whole text: {logprob:.4g})"
    elif greedy:
        output = f"{continuation.strip()}\n(the reference continuation is the model's greedy decode; log-likelihood {logprob:.4g})"
    else:
        output = (f"(the model's greedy decode is not the reference continuation {continuation.strip()!r}; "
                  f"its log-likelihood is {logprob:.4g})")
    return Rendered(
        context, output, text_of(record.get("target")).strip() or continuation.strip() or None, score,
        {"output_type": kind, "logprob": logprob, "is_greedy": greedy},
    )
