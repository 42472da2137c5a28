"""Reading final answers out of free-form model outputs and comparing them with references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

_NUMBER = r"[-+]?\$?\d[\d,]*(?:\.\d+)?%?"
_ANSWER_PATTERNS = [
    # "Answer: C", "**Final answer:** 42", "A: 42" (GSM8K style), "#### 42"
    re.compile(r"(?im)^\s*(?:\*\*|__)?\s*(?:final\s+answer|answer|a)\s*(?:\*\*|__)?\s*[:：]\s*(?P<ans>.+?)\s*$"),
    re.compile(r"(?i)\b(?:the\s+)?(?:final\s+)?answer\s+is\s*[:：]?\s*(?P<ans>[^\n]+?)\s*(?:[.!]\s|[.!]?$|\n)"),
    re.compile(r"(?im)^\s*solution\s*:\s*(?:choice[_ ]?)?(?P<ans>[A-Za-z](?:\s*(?:,|and|or|/)\s*(?:choice[_ ]?)?[A-Za-z])*)\s*$"),
    re.compile(r"(?m)^\s*####\s*(?P<ans>.+?)\s*$"),
    re.compile(r"\\boxed\{(?P<ans>[^{}]+)\}"),
]
_CHOICE = re.compile(r"(?i)\(?(?:option\s*|choice[_ ]?)?\(?([A-Ja-j])\)?[.):]?")
_CHOICE_WITH_TEXT = re.compile(r"\(?(?:option\s*|choice[_ ]?)?\(?([A-J])[).:]\s")
_NUMBER_RE = re.compile(_NUMBER)
QUOTE_CONTEXT = 200  # characters of the answer's line kept on each side in a quote


class AnswerKind(str, Enum):
    choice = "choice"
    number = "number"
    text = "text"


@dataclass(frozen=True)
class FinalAnswer:
    """One final answer stated in an output, with the verbatim line it came from."""

    text: str
    quote: str
    start: int


def reference_kind(reference: str | None) -> AnswerKind:
    """Guess what kind of answer the reference is."""
    if reference is None:
        return AnswerKind.text
    ref = reference.strip()
    if re.fullmatch(r"\(?[A-Ja-j]\)?", ref) or re.fullmatch(r"[A-J]{2,4}", ref):
        return AnswerKind.choice
    if parse_number(ref) is not None and re.fullmatch(r"[\s$]*" + _NUMBER + r"\s*[a-zA-Z%]{0,6}\s*", ref):
        return AnswerKind.number
    return AnswerKind.text


def parse_number(text: str) -> float | None:
    """The first number in a text, ignoring thousands separators, $ and %."""
    match = _NUMBER_RE.search(text)
    if match is None:
        return None
    raw = match.group(0).replace(",", "").replace("$", "").rstrip("%")
    try:
        return float(raw)
    except ValueError:
        return None


def final_answers(output: str) -> list[FinalAnswer]:
    """Every explicit final-answer statement in an output, in order of appearance.

    Time and memory are linear in the output: each quote is its line cut to QUOTE_CONTEXT
    characters either side of the answer, and duplicates are found by position, not by a scan.
    """
    found: dict[int, FinalAnswer] = {}
    for pattern in _ANSWER_PATTERNS:
        for match in pattern.finditer(output):
            answer = match.group("ans").strip().strip("*").strip()
            if not answer:
                continue
            start, end = match.span("ans")
            line_start = max(output.rfind("\n", max(0, start - QUOTE_CONTEXT), start) + 1, start - QUOTE_CONTEXT)
            line_end = output.find("\n", end, end + QUOTE_CONTEXT)
            quote = output[line_start : line_end if line_end != -1 else min(len(output), end + QUOTE_CONTEXT)].strip()
            if not any(s in found for s in range(start - 2, start + 3)):
                found[start] = FinalAnswer(answer, quote, start)
    return [found[k] for k in sorted(found)]


def normalise_choice(answer: str) -> str | None:
    """'(b)', 'Choice_B', 'B) text' -> 'B'; several letters ('A and C') -> 'AC'."""
    text = answer.strip()
    multi = re.fullmatch(
        r"(?i)\(?(?:choice[_ ]?)?([a-j])\)?(?:\s*(?:,|and|or|/|&)\s*\(?(?:choice[_ ]?)?([a-j])\)?)+", text
    )
    if multi:
        return "".join(sorted(set(re.findall(r"(?i)(?<![a-z])([a-j])(?![a-z])", text.replace("_", " "))))).upper()
    if re.fullmatch(r"[A-J]{2,4}", text):  # 'AC', the multi-letter form reference_kind accepts
        return "".join(sorted(set(text)))
    match = _CHOICE.fullmatch(text) or _CHOICE_WITH_TEXT.match(text)
    if match:
        return match.group(1).upper()
    return None


def normalise_text(text: str) -> str:
    text = text.lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def same_answer(answer: str, reference: str, kind: AnswerKind) -> bool:
    """Whether a stated answer equals the reference, judged by the reference's kind."""
    if kind is AnswerKind.choice:
        letters = normalise_choice(answer)
        return letters is not None and letters == normalise_choice(reference)
    if kind is AnswerKind.number:
        a, r = parse_number(answer), parse_number(reference)
        return a is not None and r is not None and abs(a - r) <= 1e-9 * max(1.0, abs(r))
    a, r = normalise_text(answer), normalise_text(reference)
    return bool(a) and (a == r or (len(r) > 2 and r in a))


def canonical_answer(answer: str, kind: AnswerKind) -> str:
    """A comparable form of an answer, used to find answers shared by several models."""
    if kind is AnswerKind.choice:
        return normalise_choice(answer) or normalise_text(answer)
    if kind is AnswerKind.number:
        value = parse_number(answer)
        return f"{value:g}" if value is not None else normalise_text(answer)
    return normalise_text(answer)


def last_answer(output: str) -> FinalAnswer | None:
    answers = final_answers(output)
    return answers[-1] if answers else None
