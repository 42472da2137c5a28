"""How the answer is stated: several answers, none, one hidden in prose, the wrong format, a number in words."""

from __future__ import annotations

import re

from errormap.answers import is_number, normalise_choice, normalise_text, parse_number, same_answer, words_to_number
from errormap.judge.detectors.base import CaseView, Family, emits, last_line, make_diagnosis, quote
from errormap.judge.detectors.task import TaskType
from errormap.judge.schemas import Criterion, Diagnosis, Verdict

_FORMAT_INSTRUCTION = re.compile(r'(?i)(?:finish|end|conclude)[^"\n]{0,40}"(?P<prefix>[^"<\n]{2,30})<')
_OPTION_TOKEN = re.compile(r"(?i)\b(?:option|choice)[ _]*\(?([A-J])\b|\(([A-J])\)")
_SHORT_ANSWERS = (TaskType.choice, TaskType.preference, TaskType.numeric, TaskType.short)

__all__ = ["conflicting_answers", "ignored_format_instruction", "missing_final_answer", "number_in_words", "words_to_number"]


@emits({"Conflicting final answers": Family.INSTRUCTION}, tasks=_SHORT_ANSWERS)
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


def _reference_stated_near_end(view: CaseView) -> str | None:
    """The line near the end of the output that names the reference value, when the question does not give it."""
    reference = view.reference or ""
    tail = [line for line in view.own_output.strip().splitlines() if line.strip()][-3:]
    for line in reversed(tail):
        if view.task.type is TaskType.numeric:
            value = parse_number(reference)
            numbers = [parse_number(n) for n in re.findall(r"(?<![\w.])-?\$?\d[\d,]*(?:\.\d+)?", line)]
            given = [parse_number(n) for n in re.findall(r"(?<![\w.])-?\$?\d[\d,]*(?:\.\d+)?", view.case.input_text)]
            if value is not None and value in numbers and value not in given:
                return line.strip()
        elif view.task.type is TaskType.choice:
            named = {(m.group(1) or m.group(2)).upper() for m in _OPTION_TOKEN.finditer(line)}
            if named == {(normalise_choice(reference) or "")}:
                return line.strip()
        elif view.task.type is TaskType.short:
            wanted = normalise_text(reference)
            if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", normalise_text(line)):
                return line.strip()
    return None


def _could_be_a_reply(text: str) -> bool:
    """One short declarative sentence ('Both summaries are equally faithful.'): not a start, a label or a question."""
    text = text.strip()
    if len(re.split(r"(?<=[.!?])\s+", text)) > 1 or len(text.split()) > 12 or text.endswith("?"):
        return False
    return re.match(r"(?i)\W*(?:let'?s|let us|i|we|first|answer|final answer|solution)\b", text) is None


def _may_hold_answer(view: CaseView, line: str) -> bool:
    """Whether the last line may state an answer in a form the rules do not read (then no claim is made)."""
    if view.task.type in (TaskType.choice, TaskType.preference):
        return re.search(r"(?i:\([A-J]\)|\b(?:choice|option|response)[ _]*\(?[A-J]\b)|(?<![\w'])[A-J](?![\w'])", line) is not None
    if view.task.type is TaskType.numeric:
        return re.search(r"\d", line) is not None
    return len(line.split()) <= 8


@emits({
    "Option text instead of letter": Family.INSTRUCTION,
    "Answer not clearly stated": Family.INSTRUCTION,
    "Missing final answer": Family.INCOMPLETE,
}, tasks=_SHORT_ANSWERS)
def missing_final_answer(view: CaseView) -> Diagnosis | None:
    if view.final is not None or not view.own_output.strip():
        return None
    tail = last_line(view.own_output)
    stated = _reference_stated_near_end(view)
    if stated is not None:
        return make_diagnosis(
            "Answer not clearly stated",
            "The correct value appears at the end of the output, but the model never states it as its final answer "
            "in the requested format.",
            [
                Criterion(criterion="States the final answer in the requested format", verdict=Verdict.absent, evidence=""),
                Criterion(criterion="Reaches the reference value", verdict=Verdict.partially, evidence=quote(stated)),
            ],
        )
    closing = [line for line in view.own_output.strip().splitlines() if line.strip()][-3:]
    if any(_may_hold_answer(view, line) for line in closing):
        return None  # the end may state an answer in a form no rule reads: no claim
    if view.task.type is TaskType.choice:
        named = [letter for letter, text in view.task.options.items()
                 if len(text) > 2 and re.search(rf"(?<!\w){re.escape(text.lower())}(?!\w)", tail.lower())]
        if len(named) == 1:
            return make_diagnosis(
                "Option text instead of letter",
                f"The model names option {named[0]} by its text but never states the option letter the task asks for.",
                [
                    Criterion(criterion="Answers with an option letter", verdict=Verdict.not_met, evidence=quote(tail)),
                    view.answer_criterion(),
                ],
            )
    if _could_be_a_reply(view.own_output):
        return None  # one short statement is a reply of some kind, not a discussion that never concludes
    return make_diagnosis(
        "Missing final answer",
        "The output discusses the task but ends without an explicit final answer.",
        [view.answer_criterion(), Criterion(criterion="Concludes the reasoning", verdict=Verdict.not_met, evidence=quote(tail))],
    )


@emits({"Ignored answer format instruction": Family.INSTRUCTION}, tasks=_SHORT_ANSWERS)
def ignored_format_instruction(view: CaseView) -> Diagnosis | None:
    instruction = _FORMAT_INSTRUCTION.search(view.case.input_text)
    if instruction is None or view.final is None:
        return None
    prefix = instruction.group("prefix").strip().lower()
    if any(prefix in answer.quote.lower() for answer in view.answers):
        return None
    right = view.is_right(view.final)
    return make_diagnosis(
        "Ignored answer format instruction",
        f"The task asks to finish with \"{instruction.group('prefix').strip()} ...\", but the output never does; "
        f"its answer ({view.final.text!r}{', which is right' if right else ''}) is buried in free text.",
        [
            Criterion(criterion=f"Ends with \"{instruction.group('prefix').strip()} ...\"", verdict=Verdict.not_met,
                      evidence=quote(last_line(view.own_output))),
            view.match_criterion(),
        ],
    )


@emits({"Number written in words": Family.INSTRUCTION}, tasks=(TaskType.numeric,))
def number_in_words(view: CaseView) -> Diagnosis | None:
    if view.final is None or is_number(view.final.text) or parse_number(view.final.text) is not None:
        return None
    value = words_to_number(view.final.text)
    if value is None:
        return None
    right = bool(view.reference) and same_answer(str(value), view.reference or "", view.kind)
    return make_diagnosis(
        "Number written in words",
        f"The final answer is spelled out ({view.final.text!r} = {value})"
        + (", which is the right value" if right else "")
        + " instead of being given as a number, so it cannot be graded as one.",
        [Criterion(criterion="Gives the answer as a number", verdict=Verdict.not_met, evidence=view.final.quote),
         Criterion(criterion="Reaches the reference value", verdict=Verdict.met if right else Verdict.not_met, evidence=view.final.quote)],
    )
