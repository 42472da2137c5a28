"""The form of a multiple-choice or preference answer: option text, a label not offered, several options, none."""

from __future__ import annotations

import re

from errormap.answers import normalise_choice, says_none_of_options
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis
from errormap.judge.detectors.task import TaskType
from errormap.judge.schemas import Criterion, Diagnosis, Verdict


@emits({
    "Chose none of the options": Family.INSTRUCTION,
    "Option text instead of letter": Family.INSTRUCTION,
    "Invalid option label": Family.INSTRUCTION,
    "Wrong number of options selected": Family.INSTRUCTION,
}, tasks=(TaskType.choice, TaskType.preference))
def option_form(view: CaseView) -> Diagnosis | None:
    """What is wrong with the form of the chosen option; None when a valid single option was simply the wrong one."""
    final, reference = view.final, view.reference
    if final is None or not reference:
        return None
    labels = "responses" if view.task.type is TaskType.preference else "options"
    if says_none_of_options(final.text):
        return make_diagnosis(
            "Chose none of the options",
            f"The model rejects all the {labels} instead of choosing one; the task has an answer among them ({reference}).",
            [Criterion(criterion=f"Chooses one of the {labels}", verdict=Verdict.not_met, evidence=final.quote)],
        )
    letters = normalise_choice(final.text)
    if letters is None:
        named = view.option_named(final.text)
        if named is None:
            return None
        return make_diagnosis(
            "Option text instead of letter",
            f"The final answer repeats the text of option {named} ({final.text!r}) instead of giving the option letter "
            "the task asks for.",
            [Criterion(criterion="Answers with an option letter", verdict=Verdict.not_met, evidence=final.quote),
             view.match_criterion()],
        )
    offered = view.task.options
    unknown = [letter for letter in letters if letter not in offered]
    prompt = view.case.input_text
    if offered and unknown and not any(re.search(rf"\({u}\)|(?<![\w'])\b{u}[.):]\s", prompt) for u in unknown):
        return make_diagnosis(
            "Invalid option label",
            f"The final answer {final.text!r} names a label that is not offered: the {labels} are "
            f"{', '.join(offered)}.",
            [Criterion(criterion=f"Answers with one of the labels {', '.join(offered)}", verdict=Verdict.not_met,
                       evidence=final.quote), view.match_criterion()],
        )
    wanted = normalise_choice(reference) or reference
    chosen, required = set(letters), set(wanted)
    hedged = len(required) == 1 and len(chosen) > 1  # several options on a single-answer question
    partial = len(required) > 1 and chosen != required and (chosen < required or chosen > required)
    if hedged or partial:
        return make_diagnosis(
            "Wrong number of options selected",
            f"The model selected {len(letters)} {labels} ({letters}) where the task wants {len(wanted)} ({wanted}).",
            [Criterion(criterion=f"Selects exactly {len(wanted)} of the {labels}", verdict=Verdict.not_met,
                       evidence=final.quote), view.match_criterion()],
        )
    return None
