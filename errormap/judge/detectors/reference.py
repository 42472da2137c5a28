"""The reference or the grading is at fault: the answer matches it, or the models agree against it."""

from __future__ import annotations

from errormap.answers import same_answer
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis
from errormap.judge.detectors.lists import list_matches
from errormap.judge.detectors.task import ANSWER_TASKS, TaskType
from errormap.judge.schemas import Criterion, Diagnosis, Verdict


@emits({"Correct answer graded wrong": Family.EVALUATION}, tasks=ANSWER_TASKS)
def answer_matches_reference(view: CaseView) -> Diagnosis | None:
    if not view.reference:
        return None
    if view.task.type is TaskType.list:
        if not list_matches(view):
            return None
        evidence = view.final.quote if view.final else view.own_output.strip()[-160:]
        return make_diagnosis(
            "Correct answer graded wrong",
            f"The answer lists every item of the reference {view.reference!r}"
            + (" in the required order" if view.task.ordered else "")
            + "; the failure is likely a grading or extraction problem rather than a model error.",
            [Criterion(criterion=f"Lists the items of the reference ({view.reference})", verdict=Verdict.met,
                       evidence=evidence.strip())],
        )
    final = view.final
    if final is None or not view.is_right(final):
        return None
    return make_diagnosis(
        "Correct answer graded wrong",
        f"The final answer {final.text!r} matches the reference {view.reference!r}; the failure is likely a "
        "grading or extraction problem rather than a model error.",
        [view.match_criterion()],
    )


def _peer_answer(view: CaseView, output: str) -> str | None:
    peer = CaseView(view.case.model_copy(update={"output_text": output}), view.reference_rule)
    final = peer.final
    return view.canonical(final.text) if final is not None else None


@emits({"Possible reference error": Family.EVALUATION}, tasks=(TaskType.choice, TaskType.numeric, TaskType.short))
def reference_noise(view: CaseView) -> Diagnosis | None:
    """Strong agreement against the reference: enough models, a large enough share, hardly anyone for the reference."""
    final, reference, rule = view.final, view.reference, view.reference_rule
    if final is None or not reference or same_answer(final.text, reference, view.kind):
        return None
    mine = view.canonical(final.text)
    stated = [a for a in (_peer_answer(view, p) for p in view.case.peer_outputs) if a is not None]
    answering = len(stated) + 1
    agreeing = 1 + sum(a == mine for a in stated)
    for_reference = sum(a == view.canonical(reference) for a in stated)
    if (
        agreeing < rule.min_models
        or agreeing / answering < rule.min_agreement
        or for_reference / answering > rule.max_reference_share
    ):
        return None
    return make_diagnosis(
        "Possible reference error",
        f"{agreeing} of the {answering} models that state an answer (this one included) give {final.text!r} and "
        f"{for_reference} give the reference {reference!r}; with agreement this strong (at least {rule.min_models} "
        f"models and {rule.min_agreement:.0%} of those answering), the reference itself may be wrong.",
        [view.match_criterion(),
         Criterion(criterion="Agrees with the other models", verdict=Verdict.met, evidence=final.quote)],
    )
