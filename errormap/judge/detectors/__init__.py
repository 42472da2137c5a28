"""Rule-based diagnoses: what can be decided about a failure from its texts alone.

Each detector looks at one failure and either returns a diagnosis (criteria checked with verbatim
evidence, then the first major error) or None. The task type is read from the prompt and the
reference first; only detectors declared for that type run, in order, and the first that fires
names the first major error. When none fires, the failure is "Not explainable offline" (the
taxonomy counts it under Hard to analyze): an LLM judge is needed. Each detector declares, next to
its code (``@emits``), the titles it can give, their families and the task types it fits;
``TITLE_FAMILIES`` is built from those declarations.
"""

from __future__ import annotations

from errormap.answers import words_to_number
from errormap.judge.detectors.base import (
    UNEXPLAINED_TITLE,
    CaseView,
    Detector,
    Family,
    ReferenceErrorRule,
    emits,
    last_line,
    make_diagnosis,
    quote,
    title_families,
)
from errormap.judge.detectors.choice import option_form
from errormap.judge.detectors.degenerate import (
    detect_language,
    empty_output,
    language_scores,
    refusal,
    repetition_loop,
    truncated,
    wrong_language,
)
from errormap.judge.detectors.lists import list_error
from errormap.judge.detectors.numeric import arithmetic_error, numeric_error
from errormap.judge.detectors.reference import answer_matches_reference, reference_noise
from errormap.judge.detectors.statement import (
    conflicting_answers,
    ignored_format_instruction,
    missing_final_answer,
    number_in_words,
)
from errormap.judge.detectors.task import TaskInfo, TaskType, detect_task
from errormap.judge.schemas import Diagnosis, FailureCase

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
    arithmetic_error,
    option_form,
    numeric_error,
    list_error,
]

# The family of failure each rule's title belongs to; the offline judge clusters and names by it.
TITLE_FAMILIES: dict[str, str] = title_families(DETECTORS)

# Titles whose failing evidence points at the step of the work where the error is (not just at the answer).
STEP_LEVEL_TITLES: frozenset[str] = frozenset({"Arithmetic calculation error"})


def unexplained(view: CaseView) -> Diagnosis:
    return make_diagnosis(
        UNEXPLAINED_TITLE,
        f"No rule for {view.task.type.value} tasks explains this failure from the texts alone; an LLM judge is "
        "needed to find the error.",
        [view.answer_criterion(), view.match_criterion()],
    )


def diagnose_offline(case: FailureCase, reference_rule: ReferenceErrorRule | None = None) -> Diagnosis:
    """The first detector (among those fitting the task type) that fires names the error; otherwise none does."""
    view = CaseView(case, reference_rule or ReferenceErrorRule.configured())
    for detector in DETECTORS:
        if view.task.type not in detector.tasks:
            continue
        diagnosis = detector(view)
        if diagnosis is not None:
            return diagnosis
    return unexplained(view)


__all__ = [
    "DETECTORS",
    "STEP_LEVEL_TITLES",
    "TITLE_FAMILIES",
    "UNEXPLAINED_TITLE",
    "CaseView",
    "Detector",
    "Family",
    "ReferenceErrorRule",
    "TaskInfo",
    "TaskType",
    "detect_language",
    "detect_task",
    "diagnose_offline",
    "emits",
    "language_scores",
    "last_line",
    "make_diagnosis",
    "quote",
    "unexplained",
    "words_to_number",
]
