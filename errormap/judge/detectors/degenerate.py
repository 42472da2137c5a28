"""Outputs that fail before any answer is judged: empty, refused, looping, in the wrong language, cut off."""

from __future__ import annotations

import re
from collections import Counter

from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis, quote
from errormap.judge.detectors.task import ANSWER_TASKS
from errormap.judge.schemas import Criterion, Diagnosis, Verdict

_REFUSAL = re.compile(
    r"(?i)\b(?:i\s*(?:'m|am)\s+(?:sorry|afraid)[^.\n]{0,60}\b(?:can(?:'|no)t|cannot|unable|not able)"
    r"|i\s+(?:can(?:'|no)t|cannot|won't|will not|am unable to|must decline to)\s+"
    r"(?:help(?!\s+(?:but\b|\w+ing\b))|assist|provide|answer|comply|do that|give|write|determine)"
    r"|as an ai(?: language model)?,? i (?:can(?:'|no)t|cannot|don't|do not)"
    r"|i'm not able to (?:help|assist|provide|answer|browse))"
)
_HARM = re.compile(r"(?i)\b(safe|harm|danger|polic|ethic|appropriate|medical advice|legal advice|deceive)")
_STOPWORDS = {
    "en": "the and is of to in that it for with as was on are this be by an which have from".split(),
    "es": "el la los las de que y en un una es por con para del se lo como pero más".split(),
    "fr": "le la les des est et un une que qui pour dans pas sur avec du au ce sont".split(),
    "de": "der die das und ist nicht ein eine mit für auf den dem sich auch als wird".split(),
    "pt": "os uma não são pelo pela também muito isso essa".split(),
    "it": "il gli di che una è non della sono nel alla questo".split(),
}
_LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian"}
# A last word no sentence ends on: the output was cut off mid-sentence.
_DANGLING = re.compile(
    r"(?i)(?:\b(?:the|a|an|and|or|of|to|in|is|are|was|were|be|by|with|for|that|which|as|at|from|on|than|so|because|but|if|"
    r"into|their|its|his|her|these|this|then|we|it|will|would|can|must|should|has|have|had)|[,(\[=+\-*/×:])\s*$"
)
_TERMINAL = re.compile(r"[.!?)\]\"'`*]\s*$|\d\s*$|(?:^|\s)\(?[A-J]\)?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def language_scores(text: str) -> Counter[str]:
    """Stop-word hits per language."""
    counts = Counter(re.findall(r"[^\W\d_]+", text.lower()))
    return Counter({lang: sum(counts[w] for w in stop) for lang, stop in _STOPWORDS.items()})


def detect_language(text: str) -> tuple[str | None, int]:
    """The most likely language by stop-word hits (None unless clearly ahead of the others), and its hits."""
    scores = language_scores(text)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0] != "en"))
    (best, hits), (_, runner_up) = ranked[0], ranked[1]
    if hits < 3 or hits < 2 * runner_up:
        return None, hits
    return best, hits


@emits({"Empty response": Family.INCOMPLETE})
def empty_output(view: CaseView) -> Diagnosis | None:
    if view.output.strip():
        return None
    return make_diagnosis(
        "Empty response",
        "The model returned no text at all, so no part of the task was attempted.",
        [Criterion(criterion="Responds to the task", verdict=Verdict.absent, evidence="")],
    )


@emits({
    "Refusal to answer": Family.REFUSAL,
    "Unwarranted safety refusal": Family.REFUSAL,
})
def refusal(view: CaseView) -> Diagnosis | None:
    match = _REFUSAL.search(view.own_output)
    if match is None or view.final is not None or len(view.own_output) > 600:
        return None
    sentence = view.output[match.start() : match.start() + 160].split("\n")[0]
    harmful = _HARM.search(view.own_output)
    title = "Unwarranted safety refusal" if harmful else "Refusal to answer"
    summary = (
        "The model declined to answer a benign benchmark question"
        + (", citing safety or policy concerns." if harmful else ".")
        + " No answer was given."
    )
    return make_diagnosis(
        title,
        summary,
        [
            Criterion(criterion="Attempts the task", verdict=Verdict.not_met, evidence=quote(sentence)),
            view.answer_criterion(),
        ],
    )


@emits({"Repetition loop": Family.INCOMPLETE})
def repetition_loop(view: CaseView) -> Diagnosis | None:
    if view.final is not None or view.task.code:
        return None
    text = view.own_output
    units = [u.strip() for u in re.split(r"(?<=[.!?])\s+|\n+", text) if len(u.strip()) >= 12]
    if len(units) < 4:
        return None
    unit, repeats = Counter(units).most_common(1)[0]
    if repeats < 3 or repeats * len(unit) < 0.3 * len(text) or units[-1] != unit:
        return None
    return make_diagnosis(
        "Repetition loop",
        f"The model repeats the same sentence {repeats} times and stops there, without reaching an answer.",
        [
            Criterion(criterion="Makes progress towards an answer", verdict=Verdict.not_met, evidence=quote(unit)),
            view.answer_criterion(),
        ],
    )


@emits({"Response in wrong language": Family.INSTRUCTION})
def wrong_language(view: CaseView) -> Diagnosis | None:
    asked = view.task.language
    if asked is None:
        asked, _ = detect_language(view.case.input_text)
    answered, answered_hits = detect_language(view.own_output)
    if asked is None or answered is None or asked == answered or answered_hits < 4:
        return None
    sentence = next(
        (s for s in re.split(r"(?<=[.!?])\s+|\n+", view.own_output) if detect_language(s)[0] == answered),
        view.own_output,
    )
    return make_diagnosis(
        "Response in wrong language",
        f"The task asks for an answer in {_LANGUAGE_NAMES[asked]} but the model answered in {_LANGUAGE_NAMES[answered]}.",
        [
            Criterion(
                criterion=f"Answers in {_LANGUAGE_NAMES[asked]}", verdict=Verdict.not_met, evidence=quote(sentence)
            ),
            view.match_criterion(),
        ],
    )


@emits({"Truncated response": Family.INCOMPLETE})
def truncated(view: CaseView) -> Diagnosis | None:
    """Cut off: the last word cannot end a sentence; for tasks that need an answer, also a bare unfinished sentence."""
    if view.answers or view.task.code:
        return None  # an output that ends in an answer (stated, or a bare one) is finished
    text = view.own_output.rstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    last = lines[-1]
    if re.search(r"(?i)\banswer\s+is\s*:?\s*$", last):
        return None  # a finished statement with an empty answer, not a cut
    dangling = (_DANGLING.search(last) is not None and len(last.split()) >= 3) or last.count("(") > last.count(")")
    unfinished = (
        view.task.type in ANSWER_TASKS
        and not _TERMINAL.search(last)
        and not _LIST_ITEM.match(last)
        and len(re.findall(r"[^\W\d_]{2,}", last)) >= 3
    )
    if not (dangling or unfinished):
        return None
    return make_diagnosis(
        "Truncated response",
        "The output stops mid-sentence before any final answer is given, as if generation was cut off.",
        [
            Criterion(criterion="Completes the response", verdict=Verdict.not_met, evidence=quote(text[-80:])),
            view.answer_criterion(),
        ],
    )
