"""Outputs that fail before any answer is judged: empty, refused, looping, in the wrong language, cut off."""

from __future__ import annotations

import re
from collections import Counter

from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis, quote
from errormap.schemas import Criterion, Diagnosis, Verdict

_REFUSAL = re.compile(
    r"(?i)\b(?:i\s*(?:'m|am)\s+(?:sorry|afraid)[^.\n]{0,60}\b(?:can(?:'|no)t|cannot|unable|not able)"
    r"|i\s+(?:can(?:'|no)t|cannot|won't|will not|am unable to|must decline to)\s+"
    r"(?:help(?!\s+(?:but\b|\w+ing\b))|assist|provide|answer|comply|do that|give)"
    r"|as an ai(?: language model)?,? i (?:can(?:'|no)t|cannot|don't|do not)"
    r"|i'm not able to (?:help|assist|provide|answer))"
)
_STOPWORDS = {
    "en": "the and is of to in that it for with as was on are this be by an which have from".split(),
    "es": "el la los las de que y en un una es por con para del se lo como pero más".split(),
    "fr": "le la les des est et un une que qui pour dans pas sur avec du au ce sont".split(),
    "de": "der die das und ist nicht ein eine mit für auf den dem sich auch als wird".split(),
    "pt": "os uma não são pelo pela também muito isso essa".split(),
    "it": "il gli di che una è non della sono nel alla questo".split(),
}
_LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian"}
_SENTENCE_END = re.compile(r"[.!?)\]\"'`*]\s*$|\d\s*$|(?:^|\s)\(?[A-J]\)?\s*$")


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
    match = _REFUSAL.search(view.output)
    if match is None or (view.final is not None and len(view.output) > 600):
        return None
    sentence = view.output[match.start() : match.start() + 160].split("\n")[0]
    harmful = re.search(r"(?i)\b(safe|harm|danger|polic|ethic|appropriate|medical advice|legal advice)", view.output)
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
    units = [u.strip() for u in re.split(r"(?<=[.!?])\s+|\n+", view.output) if len(u.strip()) >= 12]
    if len(units) < 4:
        return None
    counts = Counter(units)
    unit, repeats = counts.most_common(1)[0]
    if repeats < 3 or repeats * len(unit) < 0.3 * len(view.output):
        return None
    return make_diagnosis(
        "Repetition loop",
        f"The model repeats the same sentence {repeats} times instead of progressing towards an answer.",
        [
            Criterion(criterion="Makes progress towards an answer", verdict=Verdict.not_met, evidence=quote(unit)),
            view.answer_criterion(),
        ],
    )


@emits({"Response in wrong language": Family.INSTRUCTION})
def wrong_language(view: CaseView) -> Diagnosis | None:
    asked, asked_hits = detect_language(view.case.input_text)
    answered, answered_hits = detect_language(view.output)
    if asked is None or answered is None or asked == answered or answered_hits < 4:
        return None
    sentence = next(
        (s for s in re.split(r"(?<=[.!?])\s+|\n+", view.output) if detect_language(s)[0] == answered),
        view.output,
    )
    return make_diagnosis(
        "Response in wrong language",
        f"The task is written in {_LANGUAGE_NAMES[asked]} but the model answered in {_LANGUAGE_NAMES[answered]}.",
        [
            Criterion(
                criterion=f"Answers in {_LANGUAGE_NAMES[asked]}", verdict=Verdict.not_met, evidence=quote(sentence)
            ),
            view.match_criterion(),
        ],
    )


@emits({"Truncated response": Family.INCOMPLETE})
def truncated(view: CaseView) -> Diagnosis | None:
    if view.final is not None:
        return None
    text = view.output.rstrip()
    if _SENTENCE_END.search(text):
        return None
    tail = text[-80:]
    return make_diagnosis(
        "Truncated response",
        "The output stops mid-sentence before any final answer is given, as if generation was cut off.",
        [
            Criterion(criterion="Completes the response", verdict=Verdict.not_met, evidence=quote(tail)),
            view.answer_criterion(),
        ],
    )
