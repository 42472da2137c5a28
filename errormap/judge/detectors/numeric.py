"""Wrong numbers: rounding, arithmetic slips, the right value left unreported, a step short, the wrong quantity."""

from __future__ import annotations

import re

from errormap.answers import AnswerKind, parse_number
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis, quote
from errormap.schemas import Criterion, Diagnosis, Verdict

_ARITHMETIC = re.compile(
    r"(?P<expr>(?<![\w.])\$?\d[\d,]*(?:\.\d+)?(?:\s*[-+*/×x÷]\s*\$?\d[\d,]*(?:\.\d+)?)+)\s*=\s*"
    r"(?P<result>\$?-?\d[\d,]*(?:\.\d+)?)(?![\d.]*\s*[-+*/×÷]\s*\d)"
)


def _arithmetic_slip(output: str) -> tuple[str, float] | None:
    for match in _ARITHMETIC.finditer(output):
        expression = match.group("expr").replace(",", "").replace("$", "").replace("×", "*").replace("÷", "/")
        expression = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", expression)
        if not re.fullmatch(r"[\d.\s+\-*/]+", expression) or "**" in expression:
            continue
        try:
            expected = float(eval(expression, {"__builtins__": {}}, {}))  # noqa: S307 - digits and operators only
        except (SyntaxError, ZeroDivisionError, ValueError):
            continue
        stated = float(match.group("result").replace(",", "").replace("$", ""))
        if abs(expected - stated) > max(0.01, 0.005 * abs(expected)):
            return match.group(0), expected
    return None


_PLAIN_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?(?!\.?\d)")


def _numbers_matching(pattern: re.Pattern[str], text: str) -> list[float]:
    """The numbers the pattern finds in the text (its last group, or the whole match)."""
    found = (parse_number(match.group(match.lastindex or 0)) for match in pattern.finditer(text))
    return [value for value in found if value is not None]


def _numbers_in(text: str) -> list[float]:
    """Every plain number standing in the text (not part of a longer number)."""
    return _numbers_matching(_PLAIN_NUMBER, text)


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _mentions_number(text: str, value: float) -> bool:
    """Whether a number equal to value stands in the text (not as part of a longer number)."""
    return any(_same_value(number, value) for number in _numbers_in(text))


_COMPUTED = re.compile(r"=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)")


def _computed_in(text: str, value: float) -> bool:
    """Whether the text computes the value (it stands right after an equals sign)."""
    return any(_same_value(number, value) for number in _numbers_matching(_COMPUTED, text))


def _one_step_short(stated: float, expected: float, operands: list[float]) -> bool:
    """Whether one more operation with one of the operands turns `stated` into `expected`.

    This is what separates a result that stopped one step early from a final answer that merely
    repeats a number of the work: the missing step uses a number of the question or of the work.
    """
    for q in {q for q in operands if q not in (0.0, 1.0) and not _same_value(q, stated)}:
        candidates = (stated + q, stated - q, q - stated, stated * q, stated / q)
        if any(_same_value(candidate, expected) for candidate in candidates):
            return True
        if stated and _same_value(q / stated, expected):
            return True
    return False


@emits({
    "Rounding or precision error": Family.CALCULATION,
    "Arithmetic calculation error": Family.CALCULATION,
    "Correct value not reported": Family.CALCULATION,
    "Intermediate value reported as final": Family.REASONING,
    "Answered a different quantity": Family.REASONING,
    "Unit or magnitude error": Family.CALCULATION,
    "Flawed solution strategy": Family.REASONING,
})
def numeric_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.number or view.final is None or not view.reference:
        return None
    stated, expected = parse_number(view.final.text), parse_number(view.reference)
    if stated is None or expected is None:
        return None
    match_criterion = view.match_criterion()
    if abs(stated - expected) <= max(0.5, 0.01 * abs(expected)) and stated != expected:
        return make_diagnosis(
            "Rounding or precision error",
            f"The final answer {view.final.text} is close to the reference {view.reference} but not equal: the "
            "value was rounded or truncated at the wrong precision.",
            [match_criterion, Criterion(criterion="Reports the exact value", verdict=Verdict.partially, evidence=view.final.quote)],
        )
    slip = _arithmetic_slip(view.output)
    if slip is not None:
        step, correct_value = slip
        return make_diagnosis(
            "Arithmetic calculation error",
            f"The step '{step}' is computed wrongly (it should give {correct_value:g}); the error carries through "
            "to the final answer.",
            [Criterion(criterion="Performs each calculation correctly", verdict=Verdict.not_met, evidence=step), match_criterion],
        )
    work = view.output[: view.final.start]
    question = view.case.input_text
    # The reference value counts as reached when the work computes it, or names it without the
    # question having given it (a number copied from the question reaches nothing).
    if _mentions_number(work, expected) and (_computed_in(work, expected) or not _mentions_number(question, expected)):
        return make_diagnosis(
            "Correct value not reported",
            f"The work reaches the reference value {view.reference}, but the final answer reports "
            f"{view.final.text} instead.",
            [Criterion(criterion="Reaches the reference value", verdict=Verdict.met, evidence=quote(work[-160:])), match_criterion],
        )
    operands = _numbers_in(question) + _numbers_in(work)
    if _mentions_number(work, stated) and _one_step_short(stated, expected, operands):
        return make_diagnosis(
            "Intermediate value reported as final",
            f"The output stops at an intermediate result: {view.final.text} is computed along the way, but the "
            f"task asks for a further step that gives {view.reference}.",
            [Criterion(criterion="Completes every step the task asks for", verdict=Verdict.not_met, evidence=view.final.quote), match_criterion],
        )
    if any(_computed_in(p, stated) for p in view.case.other_correct_outputs) and not _mentions_number(question, stated):
        return make_diagnosis(
            "Answered a different quantity",
            f"The final answer {view.final.text} is a quantity that correct solutions also compute along the way, "
            f"but the task asks for another one ({view.reference}): the question was misread.",
            [Criterion(criterion="Answers the quantity the task asks for", verdict=Verdict.not_met, evidence=view.final.quote), match_criterion],
        )
    magnitude = abs(stated / expected) if expected else 0.0
    if expected and (9 <= magnitude <= 11 or 0.09 <= magnitude <= 0.11 or 99 <= magnitude <= 101
                     or 0.0099 <= magnitude <= 0.0101):
        title, summary = "Unit or magnitude error", "The final answer is off by a power of ten from the reference."
    else:
        title = "Flawed solution strategy"
        summary = (
            f"The calculations are internally consistent but the approach is wrong: the output arrives at "
            f"{view.final.text} where {view.reference} is expected."
        )
    work_tail = quote(work.strip()[-160:]) if len(work.strip()) >= 10 else view.final.quote
    return make_diagnosis(
        title,
        summary,
        [Criterion(criterion="Sets up the problem correctly", verdict=Verdict.not_met, evidence=work_tail), match_criterion],
    )
