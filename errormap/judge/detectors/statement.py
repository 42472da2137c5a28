"""How the answer is stated: several answers, none, one hidden in prose, the wrong format, a number in words."""

from __future__ import annotations

import re

from errormap.answers import AnswerKind, normalise_text, parse_number, same_answer
from errormap.judge.detectors.base import CaseView, Family, emits, last_line, make_diagnosis, option_texts, quote
from errormap.schemas import Criterion, Diagnosis, Verdict

_FORMAT_INSTRUCTION = re.compile(r'(?i)(?:finish|end|conclude)[^"\n]{0,40}"(?P<prefix>[^"<\n]{2,30})<')

_NUMBER_WORDS = {
    **{w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split())},
    **{w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)},
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def words_to_number(text: str) -> int | None:
    """'one thousand one hundred and twenty-two' -> 1122; None if the text is not a number in words."""
    words = [w for w in re.split(r"[\s-]+", text.lower().strip(" .!")) if w and w != "and"]
    if not words:
        return None
    total = current = 0
    for word in words:
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            return None
    return total + current


@emits({"Conflicting final answers": Family.INSTRUCTION})
def conflicting_answers(view: CaseView) -> Diagnosis | None:
    distinct = view.distinct_answers
    if len(distinct) < 2:
        return None
    first, last = distinct[0], distinct[-1]
    return make_diagnosis(
        "Conflicting final answers",
        f"The output commits to {len(distinct)} different final answers ({first.text!r} and later {last.text!r}), "
        "so it gives no single answer.",
        [
            Criterion(criterion="Commits to one final answer", verdict=Verdict.not_met, evidence=quote(last.quote)),
            view.match_criterion(),
        ],
    )


@emits({
    "Option text instead of letter": Family.INSTRUCTION,
    "Answer not clearly stated": Family.INSTRUCTION,
    "Missing final answer": Family.INCOMPLETE,
})
def missing_final_answer(view: CaseView) -> Diagnosis | None:
    if view.final is not None:
        return None
    tail = last_line(view.output)
    if view.kind is AnswerKind.choice:
        options = option_texts(view.case.input_text)
        mentioned = [letter for letter, text in options.items() if len(text) > 2 and text.lower() in view.output.lower()]
        if mentioned:
            return make_diagnosis(
                "Option text instead of letter",
                "The model names an option by its text but never states the option letter the task asks for.",
                [
                    Criterion(criterion="Answers with an option letter", verdict=Verdict.not_met, evidence=quote(tail)),
                    view.answer_criterion(),
                ],
            )
    reference = view.reference or ""
    wanted = normalise_text(reference)
    found_reference = bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", normalise_text(view.output)) is not None
    if found_reference:
        return make_diagnosis(
            "Answer not clearly stated",
            "The correct value appears in the output, but the model never states it as its final answer in the "
            "requested format.",
            [
                Criterion(criterion="States the final answer in the requested format", verdict=Verdict.absent, evidence=""),
                Criterion(criterion="Reaches the reference value", verdict=Verdict.partially, evidence=quote(tail)),
            ],
        )
    return make_diagnosis(
        "Missing final answer",
        "The output discusses the task but ends without an explicit final answer.",
        [view.answer_criterion(), Criterion(criterion="Concludes the reasoning", verdict=Verdict.not_met, evidence=quote(tail))],
    )


@emits({"Ignored answer format instruction": Family.INSTRUCTION})
def ignored_format_instruction(view: CaseView) -> Diagnosis | None:
    instruction = _FORMAT_INSTRUCTION.search(view.case.input_text)
    if instruction is None or view.final is None:
        return None
    prefix = instruction.group("prefix").strip().lower()
    if any(prefix in answer.quote.lower() for answer in view.answers):
        return None
    right = bool(view.reference) and same_answer(view.final.text, view.reference or "", view.kind)
    return make_diagnosis(
        "Ignored answer format instruction",
        f"The task asks to finish with \"{instruction.group('prefix').strip()} ...\", but the output never does; "
        f"its answer ({view.final.text!r}{', which is right' if right else ''}) is buried in free text.",
        [
            Criterion(criterion=f"Ends with \"{instruction.group('prefix').strip()} ...\"", verdict=Verdict.not_met,
                      evidence=quote(last_line(view.output))),
            view.match_criterion(),
        ],
    )


@emits({"Number written in words": Family.INSTRUCTION})
def number_in_words(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.number or view.final is None or parse_number(view.final.text) is not None:
        return None
    value = words_to_number(view.final.text)
    if value is None:
        return None
    expected = parse_number(view.reference or "")
    right = expected is not None and abs(value - expected) < 1e-9
    return make_diagnosis(
        "Number written in words",
        f"The final answer is spelled out ({view.final.text!r} = {value})"
        + (", which is the right value" if right else "")
        + " instead of being given as a number, so it cannot be graded as one.",
        [Criterion(criterion="Gives the answer as a number", verdict=Verdict.not_met, evidence=view.final.quote),
         Criterion(criterion="Reaches the reference value", verdict=Verdict.met if right else Verdict.not_met, evidence=view.final.quote)],
    )
