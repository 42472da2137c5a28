"""Wrong numbers that can be checked: an arithmetic slip, rounding, a power of ten, the right result not reported."""

from __future__ import annotations

import math
import re

from errormap.answers import parse_number
from errormap.judge.detectors.arithmetic import arithmetic_slips
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis, quote
from errormap.judge.detectors.task import TaskType
from errormap.judge.schemas import Criterion, Diagnosis, Verdict

_UNITS = re.compile(
    r"(?i)\b(?:convert\w*|conversion|cents?|centi\w+|milli\w+|kilo\w+|mm|cm|km|kg|mg|ml|grams?|litres?|liters?|"
    r"metres?|meters?|percent(?:age)?|thousands?|millions?|billions?)\b|%"
)
_COMPUTED = re.compile(r"=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)(?![\d.,]*\s*[-+*/×÷])")


def _decimals(text: str) -> int:
    match = re.search(r"\d\.(\d+)", text)
    return len(match.group(1)) if match else 0


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _coarser(value: float, precise: float, places: int) -> bool:
    """Whether `value` is `precise` rounded or truncated to fewer than `places` decimals."""
    for k in range(places):
        scale = 10**k
        if any(_same(value, f(precise * scale) / scale) for f in (math.floor, math.ceil, round)):
            return True
    return False


def _rounding(stated_text: str, reference: str, stated: float, expected: float) -> bool:
    """The stated value is the reference at another precision: coarser, finer, or one unit off in the last place."""
    if _same(stated, expected):
        return False
    d_stated, d_expected = _decimals(stated_text), _decimals(reference)
    if "/" in reference:  # an exact fraction given as a rounded decimal
        return d_stated > 0 and abs(stated - expected) <= 0.5 * 10**-d_stated + 1e-12
    if d_expected and _coarser(stated, expected, d_expected):
        return True
    if d_stated and _coarser(expected, stated, d_stated):
        return True
    return d_stated == d_expected > 0 and abs(stated - expected) <= 10**-d_stated * (1 + 1e-9)


def _power_of_ten(stated: float, expected: float, reference: str) -> int | None:
    """k when the stated value is the reference times 10^k (up to the reference's own rounding), else None."""
    if not stated or not expected or (stated > 0) != (expected > 0):
        return None
    exponent = round(math.log10(abs(stated / expected)))
    places = _decimals(reference)
    slack = 0.5 * 10**-places * 10**exponent if places else 0.0  # a whole reference is exact
    if exponent and abs(exponent) <= 3 and abs(stated - expected * 10**exponent) <= max(slack, 1e-9 * abs(stated)):
        return exponent
    return None


@emits({
    "Arithmetic calculation error": Family.CALCULATION,
}, tasks=(TaskType.numeric,))
def arithmetic_error(view: CaseView) -> Diagnosis | None:
    """The first computation the work states wrongly (the work before the final answer).

    Numeric answers only: in multiple-choice reasoning a wrong computation is mostly not the first error
    (on MR-Ben it was the human-labelled first error step in 39% of 132 cases), so there it is not claimed.
    """
    final = view.final
    work = view.own_output[: final.start] if final is not None else view.own_output
    slips = arithmetic_slips(work)
    if not slips:
        return None
    slip = slips[0]
    return make_diagnosis(
        "Arithmetic calculation error",
        f"The step '{slip.text}' is computed wrongly (it gives {slip.correct:g}, not {slip.stated:g}); the error "
        "carries through to the final answer.",
        [Criterion(criterion="Performs each calculation correctly", verdict=Verdict.not_met, evidence=slip.text),
         view.match_criterion()],
    )


@emits({
    "Rounding or precision error": Family.CALCULATION,
    "Unit or magnitude error": Family.CALCULATION,
    "Correct value not reported": Family.CALCULATION,
}, tasks=(TaskType.numeric,))
def numeric_error(view: CaseView) -> Diagnosis | None:
    final, reference = view.final, view.reference
    if final is None or not reference:
        return None
    stated, expected = parse_number(final.text), parse_number(reference)
    if stated is None or expected is None:
        return None
    match_criterion = view.match_criterion()
    if _rounding(final.text, reference, stated, expected):
        return make_diagnosis(
            "Rounding or precision error",
            f"The final answer {final.text} is the reference {reference} at another precision: the value was rounded "
            "or truncated differently.",
            [match_criterion, Criterion(criterion="Reports the value at the required precision", verdict=Verdict.partially,
                                        evidence=final.quote)],
        )
    exponent = _power_of_ten(stated, expected, reference)
    if exponent is not None and _UNITS.search(view.case.input_text):
        return make_diagnosis(
            "Unit or magnitude error",
            f"The final answer {final.text} is the reference {reference} times 10^{exponent}: a unit conversion or a "
            "decimal point went wrong.",
            [Criterion(criterion="Uses the right unit and magnitude", verdict=Verdict.not_met, evidence=final.quote),
             match_criterion],
        )
    work = view.own_output[: final.start]
    computed = list(_COMPUTED.finditer(work))
    last = parse_number(computed[-1].group(1)) if computed else None
    between = [parse_number(n) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", work[computed[-1].end() :])] if computed else []
    if last is not None and _same(last, expected) and all(n is not None and _same(n, expected) for n in between):
        work = work.rstrip()
        return make_diagnosis(
            "Correct value not reported",
            f"The last result of the work is the reference value {reference}, but the final answer reports "
            f"{final.text} instead.",
            [Criterion(criterion="Reports the result it computed", verdict=Verdict.not_met, evidence=final.quote),
             Criterion(criterion="Reaches the reference value", verdict=Verdict.met, evidence=quote(work[-160:]))],
        )
    return None
