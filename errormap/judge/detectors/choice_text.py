"""Wrong choices and wrong facts: option labels, the wrong option, missing elements, a wrong recalled fact."""

from __future__ import annotations

import re

from errormap.answers import AnswerKind, normalise_choice, normalise_text, same_answer
from errormap.judge.detectors.base import CaseView, Family, emits, last_line, make_diagnosis, option_texts, quote
from errormap.schemas import Criterion, Diagnosis, Verdict


@emits({
    "Option text instead of letter": Family.INSTRUCTION,
    "Invalid option label": Family.INSTRUCTION,
    "Wrong number of options selected": Family.INSTRUCTION,
    "Wrong option selected": Family.REASONING,
})
def choice_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.choice or view.final is None or not view.reference:
        return None
    letter = normalise_choice(view.final.text)
    options = option_texts(view.case.input_text)
    named = [k for k, text in options.items() if normalise_text(text) == normalise_text(view.final.text)]
    if letter is None and named:
        return make_diagnosis(
            "Option text instead of letter",
            f"The final answer repeats the text of option {named[0]} ({view.final.text!r}) instead of giving the "
            "option letter the task asks for.",
            [Criterion(criterion="Answers with an option letter", verdict=Verdict.not_met, evidence=view.final.quote), view.match_criterion()],
        )
    if letter is None or (options and any(ch not in options for ch in letter)):
        return make_diagnosis(
            "Invalid option label",
            f"The final answer {view.final.text!r} is not one of the option letters offered by the task.",
            [Criterion(criterion="Answers with a valid option letter", verdict=Verdict.not_met, evidence=view.final.quote), view.match_criterion()],
        )
    reference = normalise_choice(view.reference) or view.reference
    if len(letter) != len(reference):
        return make_diagnosis(
            "Wrong number of options selected",
            f"The model selected {letter} where the reference requires {reference}.",
            [view.match_criterion()],
        )
    return make_diagnosis(
        "Wrong option selected",
        f"The model chose option {letter} but the correct option is {reference}; its reasoning supports a "
        "wrong alternative.",
        [Criterion(criterion="Identifies the correct option", verdict=Verdict.not_met, evidence=view.final.quote)],
    )


def _required_elements(reference: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", reference)
    return [p for p in (part.strip() for part in parts) if len(p) >= 2]


@emits({
    "Missing required element": Family.REASONING,
    "Factual recall error": Family.REASONING,
})
def text_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.text or not view.reference:
        return None
    elements = _required_elements(view.reference)
    output_norm = normalise_text(view.output)
    present = [e for e in elements if normalise_text(e) and normalise_text(e) in output_norm]
    evidence = view.final.quote if view.final else quote(last_line(view.output))
    if len(elements) >= 2 and 0 < len(present) < len(elements):
        missing = [e for e in elements if e not in present]
        return make_diagnosis(
            "Missing required element",
            f"The answer gives {', '.join(present)} but leaves out {', '.join(missing)}, which the reference requires.",
            [
                Criterion(criterion=f"Mentions {element}", verdict=Verdict.met if element in present else Verdict.absent,
                          evidence=evidence if element in present else "")
                for element in elements
            ],
        )
    if view.final is not None and same_answer(view.final.text, view.reference, view.kind):
        return None
    if not present:
        return make_diagnosis(
            "Factual recall error",
            f"The model states {view.final.text if view.final else 'an answer'} where the reference is "
            f"{view.reference!r}; the recalled fact is wrong.",
            [Criterion(criterion=f"States {view.reference}", verdict=Verdict.not_met, evidence=evidence)],
        )
    return None
