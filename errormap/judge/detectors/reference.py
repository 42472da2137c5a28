"""The reference or the grading is at fault: the answer matches it, or the other models agree against it."""

from __future__ import annotations

from errormap.answers import canonical_answer, final_answers, same_answer
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis
from errormap.schemas import Criterion, Diagnosis, Verdict


@emits({"Correct answer graded wrong": Family.EVALUATION})
def answer_matches_reference(view: CaseView) -> Diagnosis | None:
    if view.final is None or not view.reference or not same_answer(view.final.text, view.reference, view.kind):
        return None
    return make_diagnosis(
        "Correct answer graded wrong",
        f"The final answer {view.final.text!r} matches the reference {view.reference!r}; the failure is likely a "
        "grading or extraction problem rather than a model error.",
        [view.match_criterion()],
    )


@emits({"Possible reference error": Family.EVALUATION})
def reference_noise(view: CaseView) -> Diagnosis | None:
    final, reference = view.final, view.reference
    peers = view.case.peer_outputs
    if final is None or not reference or len(peers) < 2:
        return None
    mine = canonical_answer(final.text, view.kind)
    peer_answers = []
    for output in peers:
        answers = final_answers(output)
        if answers:
            peer_answers.append(canonical_answer(answers[-1].text, view.kind))
    agreeing = sum(1 for a in peer_answers if a == mine)
    if agreeing < 2 or agreeing <= len(peers) / 2 or same_answer(final.text, reference, view.kind):
        return None
    return make_diagnosis(
        "Possible reference error",
        f"{agreeing} of {len(peers)} other models give the same answer {final.text!r}, which disagrees with the "
        f"reference {reference!r}; the reference itself may be wrong.",
        [view.match_criterion(), Criterion(criterion="Agrees with other models", verdict=Verdict.met, evidence=final.quote)],
    )
