"""Rule-based diagnoses: what can be decided about a failure from its texts alone.

Each detector looks at one failure and either returns a diagnosis (criteria checked with verbatim
evidence, then the first major error) or None. Detectors run in order; the first that fires names
the first major error. Each detector declares, next to its code (``@emits``), the titles it can give
and their families; ``TITLE_FAMILIES`` is built from those declarations.
"""

from __future__ import annotations

from errormap.judge.detectors.base import (
    UNEXPLAINED_TITLE,
    CaseView,
    Detector,
    Family,
    emits,
    last_line,
    make_diagnosis,
    quote,
    title_families,
)
from errormap.judge.detectors.choice_text import choice_error, text_error
from errormap.judge.detectors.degenerate import (
    detect_language,
    empty_output,
    language_scores,
    refusal,
    repetition_loop,
    truncated,
    wrong_language,
)
from errormap.judge.detectors.numeric import numeric_error
from errormap.judge.detectors.reference import answer_matches_reference, reference_noise
from errormap.judge.detectors.statement import (
    conflicting_answers,
    ignored_format_instruction,
    missing_final_answer,
    number_in_words,
    words_to_number,
)
from errormap.schemas import Diagnosis, FailureCase

# --- detectors, in the order they are tried ----------------------------------------------------

DETECTORS: list[Detector] = [
    empty_output,
    refusal,
    repetition_loop,
    wrong_language,
    truncated,
    conflicting_answers,
    missing_final_answer,
    ignored_format_instruction,
    answer_matches_reference,
    reference_noise,
    number_in_words,
    numeric_error,
    choice_error,
    text_error,
]

# The family of failure each rule's title belongs to; the offline judge clusters and names by it.
TITLE_FAMILIES: dict[str, str] = title_families(DETECTORS)


def unexplained(view: CaseView) -> Diagnosis:
    return make_diagnosis(
        UNEXPLAINED_TITLE,
        "No rule explains this failure from the texts alone; an LLM judge is needed to find the error.",
        [view.answer_criterion(), view.match_criterion()],
    )


def diagnose_offline(case: FailureCase) -> Diagnosis:
    """The first detector that fires names the error; otherwise the failure is unexplained."""
    view = CaseView(case)
    for detector in DETECTORS:
        diagnosis = detector(view)
        if diagnosis is not None:
            return diagnosis
    return unexplained(view)


__all__ = [
    "DETECTORS",
    "TITLE_FAMILIES",
    "UNEXPLAINED_TITLE",
    "CaseView",
    "Detector",
    "Family",
    "detect_language",
    "diagnose_offline",
    "emits",
    "language_scores",
    "last_line",
    "make_diagnosis",
    "quote",
    "unexplained",
    "words_to_number",
]
