"""Rule-based diagnoses: what can be decided about a failure from its texts alone.

Each detector looks at one failure and either returns a diagnosis (criteria checked with verbatim
evidence, then the first major error) or None. Detectors run in order; the first that fires names
the first major error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from errormap.answers import (
    AnswerKind,
    FinalAnswer,
    canonical_answer,
    final_answers,
    normalise_choice,
    normalise_text,
    parse_number,
    reference_kind,
    same_answer,
)
from errormap.schemas import Criterion, Diagnosis, FailureCase, Verdict

UNEXPLAINED_TITLE = "Unexplained failure"

# The family of failure each rule's title belongs to; the offline judge clusters and names by it.
TITLE_FAMILIES = {
    "Empty response": "Incomplete output",
    "Truncated response": "Incomplete output",
    "Repetition loop": "Incomplete output",
    "Missing final answer": "Incomplete output",
    "Refusal to answer": "Refusal to answer",
    "Unwarranted safety refusal": "Refusal to answer",
    "Response in wrong language": "Instruction violation",
    "Option text instead of letter": "Instruction violation",
    "Answer not clearly stated": "Instruction violation",
    "Invalid option label": "Instruction violation",
    "Wrong number of options selected": "Instruction violation",
    "Conflicting final answers": "Instruction violation",
    "Number written in words": "Instruction violation",
    "Ignored answer format instruction": "Instruction violation",
    "Intermediate value reported as final": "Reasoning or knowledge error",
    "Answered a different quantity": "Reasoning or knowledge error",
    "Arithmetic calculation error": "Calculation error",
    "Rounding or precision error": "Calculation error",
    "Unit or magnitude error": "Calculation error",
    "Correct value not reported": "Calculation error",
    "Flawed solution strategy": "Reasoning or knowledge error",
    "Wrong option selected": "Reasoning or knowledge error",
    "Factual recall error": "Reasoning or knowledge error",
    "Missing required element": "Reasoning or knowledge error",
    "Possible reference error": "Evaluation issue",
    "Correct answer graded wrong": "Evaluation issue",
}

_REFUSAL = re.compile(
    r"(?i)\b(?:i\s*(?:'m|am)\s+(?:sorry|afraid)[^.\n]{0,60}\b(?:can(?:'|no)t|cannot|unable|not able)"
    r"|i\s+(?:can(?:'|no)t|cannot|won't|will not|am unable to|must decline to)\s+"
    r"(?:help(?!\s+(?:but\b|\w+ing\b))|assist|provide|answer|comply|do that|give)"
    r"|as an ai(?: language model)?,? i (?:can(?:'|no)t|cannot|don't|do not)"
    r"|i'm not able to (?:help|assist|provide|answer))"
)
_ARITHMETIC = re.compile(
    r"(?P<expr>(?<![\w.])\$?\d[\d,]*(?:\.\d+)?(?:\s*[-+*/×x÷]\s*\$?\d[\d,]*(?:\.\d+)?)+)\s*=\s*"
    r"(?P<result>\$?-?\d[\d,]*(?:\.\d+)?)(?![\d.]*\s*[-+*/×÷]\s*\d)"
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


def quote(text: str, limit: int = 160) -> str:
    """A verbatim excerpt of at most `limit` characters (cut at the start, never altered)."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit]


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


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


@dataclass
class CaseView:
    """A failure with the derived facts the detectors share."""

    case: FailureCase
    answers: list[FinalAnswer] = field(init=False)
    kind: AnswerKind = field(init=False)

    def __post_init__(self) -> None:
        self.answers = final_answers(self.case.output_text)
        self.kind = reference_kind(self.case.correct_answer)

    @property
    def output(self) -> str:
        return self.case.output_text

    @property
    def reference(self) -> str | None:
        return self.case.correct_answer

    @property
    def final(self) -> FinalAnswer | None:
        return self.answers[-1] if self.answers else None

    @cached_property
    def distinct_answers(self) -> list[FinalAnswer]:
        seen: dict[str, FinalAnswer] = {}
        answers = self.answers
        if self.kind is AnswerKind.choice:
            answers = [a for a in answers if normalise_choice(a.text) is not None]
        for answer in answers:
            seen.setdefault(canonical_answer(answer.text, self.kind), answer)
        return list(seen.values())

    def answer_criterion(self) -> Criterion:
        final = self.final
        if final is None:
            return Criterion(criterion="States a final answer explicitly", verdict=Verdict.absent, evidence="")
        return Criterion(criterion="States a final answer explicitly", verdict=Verdict.met, evidence=final.quote)

    def match_criterion(self) -> Criterion:
        reference = self.reference
        name = f"Final answer matches the reference ({reference})" if reference else "Final answer is correct"
        final = self.final
        if final is None:
            return Criterion(criterion=name, verdict=Verdict.absent, evidence="")
        correct = reference is not None and same_answer(final.text, reference, self.kind)
        return Criterion(criterion=name, verdict=Verdict.met if correct else Verdict.not_met, evidence=final.quote)


def _diagnosis(title: str, summary: str, criteria: list[Criterion]) -> Diagnosis:
    return Diagnosis(criteria=criteria, error_title=title, error_summary=summary)


# --- detectors, in the order they are tried ----------------------------------------------------


def empty_output(view: CaseView) -> Diagnosis | None:
    if view.output.strip():
        return None
    return _diagnosis(
        "Empty response",
        "The model returned no text at all, so no part of the task was attempted.",
        [Criterion(criterion="Responds to the task", verdict=Verdict.absent, evidence="")],
    )


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
    return _diagnosis(
        title,
        summary,
        [
            Criterion(criterion="Attempts the task", verdict=Verdict.not_met, evidence=quote(sentence)),
            view.answer_criterion(),
        ],
    )


def repetition_loop(view: CaseView) -> Diagnosis | None:
    units = [u.strip() for u in re.split(r"(?<=[.!?])\s+|\n+", view.output) if len(u.strip()) >= 12]
    if len(units) < 4:
        return None
    counts = Counter(units)
    unit, repeats = counts.most_common(1)[0]
    if repeats < 3 or repeats * len(unit) < 0.3 * len(view.output):
        return None
    return _diagnosis(
        "Repetition loop",
        f"The model repeats the same sentence {repeats} times instead of progressing towards an answer.",
        [
            Criterion(criterion="Makes progress towards an answer", verdict=Verdict.not_met, evidence=quote(unit)),
            view.answer_criterion(),
        ],
    )


def wrong_language(view: CaseView) -> Diagnosis | None:
    asked, asked_hits = detect_language(view.case.input_text)
    answered, answered_hits = detect_language(view.output)
    if asked is None or answered is None or asked == answered or answered_hits < 4:
        return None
    sentence = next(
        (s for s in re.split(r"(?<=[.!?])\s+|\n+", view.output) if detect_language(s)[0] == answered),
        view.output,
    )
    return _diagnosis(
        "Response in wrong language",
        f"The task is written in {_LANGUAGE_NAMES[asked]} but the model answered in {_LANGUAGE_NAMES[answered]}.",
        [
            Criterion(
                criterion=f"Answers in {_LANGUAGE_NAMES[asked]}", verdict=Verdict.not_met, evidence=quote(sentence)
            ),
            view.match_criterion(),
        ],
    )


def truncated(view: CaseView) -> Diagnosis | None:
    if view.final is not None:
        return None
    text = view.output.rstrip()
    if _SENTENCE_END.search(text):
        return None
    tail = text[-80:]
    return _diagnosis(
        "Truncated response",
        "The output stops mid-sentence before any final answer is given, as if generation was cut off.",
        [
            Criterion(criterion="Completes the response", verdict=Verdict.not_met, evidence=quote(tail)),
            view.answer_criterion(),
        ],
    )


def conflicting_answers(view: CaseView) -> Diagnosis | None:
    distinct = view.distinct_answers
    if len(distinct) < 2:
        return None
    first, last = distinct[0], distinct[-1]
    return _diagnosis(
        "Conflicting final answers",
        f"The output commits to {len(distinct)} different final answers ({first.text!r} and later {last.text!r}), "
        "so it gives no single answer.",
        [
            Criterion(criterion="Commits to one final answer", verdict=Verdict.not_met, evidence=quote(last.quote)),
            view.match_criterion(),
        ],
    )


def _option_texts(input_text: str) -> dict[str, str]:
    options = {}
    for match in re.finditer(r"(?m)^\s*\(?([A-J])[).:]\s+(.+?)\s*$", input_text):
        options[match.group(1)] = match.group(2)
    return options


def missing_final_answer(view: CaseView) -> Diagnosis | None:
    if view.final is not None:
        return None
    tail = last_line(view.output)
    if view.kind is AnswerKind.choice:
        options = _option_texts(view.case.input_text)
        mentioned = [letter for letter, text in options.items() if len(text) > 2 and text.lower() in view.output.lower()]
        if mentioned:
            return _diagnosis(
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
        return _diagnosis(
            "Answer not clearly stated",
            "The correct value appears in the output, but the model never states it as its final answer in the "
            "requested format.",
            [
                Criterion(criterion="States the final answer in the requested format", verdict=Verdict.absent, evidence=""),
                Criterion(criterion="Reaches the reference value", verdict=Verdict.partially, evidence=quote(tail)),
            ],
        )
    return _diagnosis(
        "Missing final answer",
        "The output discusses the task but ends without an explicit final answer.",
        [view.answer_criterion(), Criterion(criterion="Concludes the reasoning", verdict=Verdict.not_met, evidence=quote(tail))],
    )


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
    return _diagnosis(
        "Possible reference error",
        f"{agreeing} of {len(peers)} other models give the same answer {final.text!r}, which disagrees with the "
        f"reference {reference!r}; the reference itself may be wrong.",
        [view.match_criterion(), Criterion(criterion="Agrees with other models", verdict=Verdict.met, evidence=final.quote)],
    )


def _arithmetic_slip(output: str) -> tuple[str, float] | None:
    for match in _ARITHMETIC.finditer(output):
        expression = match.group("expr").replace(",", "").replace("$", "").replace("×", "*").replace("÷", "/")
        expression = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", expression)
        if not re.fullmatch(r"[\d.\s+\-*/]+", expression) or "**" in expression:
            continue
        try:
            expected = float(eval(expression, {"__builtins__": {}}, {}))  # noqa: S307 - digits and operators only
        except (SyntaxError, ZeroDivisionError, ValueError):
            continue
        stated = float(match.group("result").replace(",", "").replace("$", ""))
        if abs(expected - stated) > max(0.01, 0.005 * abs(expected)):
            return match.group(0), expected
    return None


_PLAIN_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?(?!\.?\d)")


def _numbers_matching(pattern: re.Pattern[str], text: str) -> list[float]:
    """The numbers the pattern finds in the text (its last group, or the whole match)."""
    found = (parse_number(match.group(match.lastindex or 0)) for match in pattern.finditer(text))
    return [value for value in found if value is not None]


def _numbers_in(text: str) -> list[float]:
    """Every plain number standing in the text (not part of a longer number)."""
    return _numbers_matching(_PLAIN_NUMBER, text)


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _mentions_number(text: str, value: float) -> bool:
    """Whether a number equal to value stands in the text (not as part of a longer number)."""
    return any(_same_value(number, value) for number in _numbers_in(text))


_COMPUTED = re.compile(r"=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)")


def _computed_in(text: str, value: float) -> bool:
    """Whether the text computes the value (it stands right after an equals sign)."""
    return any(_same_value(number, value) for number in _numbers_matching(_COMPUTED, text))


def _one_step_short(stated: float, expected: float, operands: list[float]) -> bool:
    """Whether one more operation with one of the operands turns `stated` into `expected`.

    This is what separates a result that stopped one step early from a final answer that merely
    repeats a number of the work: the missing step uses a number of the question or of the work.
    """
    for q in {q for q in operands if q not in (0.0, 1.0) and not _same_value(q, stated)}:
        candidates = (stated + q, stated - q, q - stated, stated * q, stated / q)
        if any(_same_value(candidate, expected) for candidate in candidates):
            return True
        if stated and _same_value(q / stated, expected):
            return True
    return False


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


def number_in_words(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.number or view.final is None or parse_number(view.final.text) is not None:
        return None
    value = words_to_number(view.final.text)
    if value is None:
        return None
    expected = parse_number(view.reference or "")
    right = expected is not None and abs(value - expected) < 1e-9
    return _diagnosis(
        "Number written in words",
        f"The final answer is spelled out ({view.final.text!r} = {value})"
        + (", which is the right value" if right else "")
        + " instead of being given as a number, so it cannot be graded as one.",
        [Criterion(criterion="Gives the answer as a number", verdict=Verdict.not_met, evidence=view.final.quote),
         Criterion(criterion="Reaches the reference value", verdict=Verdict.met if right else Verdict.not_met, evidence=view.final.quote)],
    )


def numeric_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.number or view.final is None or not view.reference:
        return None
    stated, expected = parse_number(view.final.text), parse_number(view.reference)
    if stated is None or expected is None:
        return None
    match_criterion = view.match_criterion()
    if abs(stated - expected) <= max(0.5, 0.01 * abs(expected)) and stated != expected:
        return _diagnosis(
            "Rounding or precision error",
            f"The final answer {view.final.text} is close to the reference {view.reference} but not equal: the "
            "value was rounded or truncated at the wrong precision.",
            [match_criterion, Criterion(criterion="Reports the exact value", verdict=Verdict.partially, evidence=view.final.quote)],
        )
    slip = _arithmetic_slip(view.output)
    if slip is not None:
        step, correct_value = slip
        return _diagnosis(
            "Arithmetic calculation error",
            f"The step '{step}' is computed wrongly (it should give {correct_value:g}); the error carries through "
            "to the final answer.",
            [Criterion(criterion="Performs each calculation correctly", verdict=Verdict.not_met, evidence=step), match_criterion],
        )
    work = view.output[: view.final.start]
    question = view.case.input_text
    # The reference value counts as reached when the work computes it, or names it without the
    # question having given it (a number copied from the question reaches nothing).
    if _mentions_number(work, expected) and (_computed_in(work, expected) or not _mentions_number(question, expected)):
        return _diagnosis(
            "Correct value not reported",
            f"The work reaches the reference value {view.reference}, but the final answer reports "
            f"{view.final.text} instead.",
            [Criterion(criterion="Reaches the reference value", verdict=Verdict.met, evidence=quote(work[-160:])), match_criterion],
        )
    operands = _numbers_in(question) + _numbers_in(work)
    if _mentions_number(work, stated) and _one_step_short(stated, expected, operands):
        return _diagnosis(
            "Intermediate value reported as final",
            f"The output stops at an intermediate result: {view.final.text} is computed along the way, but the "
            f"task asks for a further step that gives {view.reference}.",
            [Criterion(criterion="Completes every step the task asks for", verdict=Verdict.not_met, evidence=view.final.quote), match_criterion],
        )
    if any(_computed_in(p, stated) for p in view.case.other_correct_outputs) and not _mentions_number(question, stated):
        return _diagnosis(
            "Answered a different quantity",
            f"The final answer {view.final.text} is a quantity that correct solutions also compute along the way, "
            f"but the task asks for another one ({view.reference}): the question was misread.",
            [Criterion(criterion="Answers the quantity the task asks for", verdict=Verdict.not_met, evidence=view.final.quote), match_criterion],
        )
    magnitude = abs(stated / expected) if expected else 0.0
    if expected and (9 <= magnitude <= 11 or 0.09 <= magnitude <= 0.11 or 99 <= magnitude <= 101
                     or 0.0099 <= magnitude <= 0.0101):
        title, summary = "Unit or magnitude error", "The final answer is off by a power of ten from the reference."
    else:
        title = "Flawed solution strategy"
        summary = (
            f"The calculations are internally consistent but the approach is wrong: the output arrives at "
            f"{view.final.text} where {view.reference} is expected."
        )
    work_tail = quote(work.strip()[-160:]) if len(work.strip()) >= 10 else view.final.quote
    return _diagnosis(
        title,
        summary,
        [Criterion(criterion="Sets up the problem correctly", verdict=Verdict.not_met, evidence=work_tail), match_criterion],
    )


def choice_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.choice or view.final is None or not view.reference:
        return None
    letter = normalise_choice(view.final.text)
    options = _option_texts(view.case.input_text)
    named = [k for k, text in options.items() if normalise_text(text) == normalise_text(view.final.text)]
    if letter is None and named:
        return _diagnosis(
            "Option text instead of letter",
            f"The final answer repeats the text of option {named[0]} ({view.final.text!r}) instead of giving the "
            "option letter the task asks for.",
            [Criterion(criterion="Answers with an option letter", verdict=Verdict.not_met, evidence=view.final.quote), view.match_criterion()],
        )
    if letter is None or (options and any(ch not in options for ch in letter)):
        return _diagnosis(
            "Invalid option label",
            f"The final answer {view.final.text!r} is not one of the option letters offered by the task.",
            [Criterion(criterion="Answers with a valid option letter", verdict=Verdict.not_met, evidence=view.final.quote), view.match_criterion()],
        )
    reference = normalise_choice(view.reference) or view.reference
    if len(letter) != len(reference):
        return _diagnosis(
            "Wrong number of options selected",
            f"The model selected {letter} where the reference requires {reference}.",
            [view.match_criterion()],
        )
    return _diagnosis(
        "Wrong option selected",
        f"The model chose option {letter} but the correct option is {reference}; its reasoning supports a "
        "wrong alternative.",
        [Criterion(criterion="Identifies the correct option", verdict=Verdict.not_met, evidence=view.final.quote)],
    )


def _required_elements(reference: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", reference)
    return [p for p in (part.strip() for part in parts) if len(p) >= 2]


def text_error(view: CaseView) -> Diagnosis | None:
    if view.kind is not AnswerKind.text or not view.reference:
        return None
    elements = _required_elements(view.reference)
    output_norm = normalise_text(view.output)
    present = [e for e in elements if normalise_text(e) and normalise_text(e) in output_norm]
    evidence = view.final.quote if view.final else quote(last_line(view.output))
    if len(elements) >= 2 and 0 < len(present) < len(elements):
        missing = [e for e in elements if e not in present]
        return _diagnosis(
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
        return _diagnosis(
            "Factual recall error",
            f"The model states {view.final.text if view.final else 'an answer'} where the reference is "
            f"{view.reference!r}; the recalled fact is wrong.",
            [Criterion(criterion=f"States {view.reference}", verdict=Verdict.not_met, evidence=evidence)],
        )
    return None


_FORMAT_INSTRUCTION = re.compile(r'(?i)(?:finish|end|conclude)[^"\n]{0,40}"(?P<prefix>[^"<\n]{2,30})<')


def ignored_format_instruction(view: CaseView) -> Diagnosis | None:
    instruction = _FORMAT_INSTRUCTION.search(view.case.input_text)
    if instruction is None or view.final is None:
        return None
    prefix = instruction.group("prefix").strip().lower()
    if any(prefix in answer.quote.lower() for answer in view.answers):
        return None
    right = bool(view.reference) and same_answer(view.final.text, view.reference or "", view.kind)
    return _diagnosis(
        "Ignored answer format instruction",
        f"The task asks to finish with \"{instruction.group('prefix').strip()} ...\", but the output never does; "
        f"its answer ({view.final.text!r}{', which is right' if right else ''}) is buried in free text.",
        [
            Criterion(criterion=f"Ends with \"{instruction.group('prefix').strip()} ...\"", verdict=Verdict.not_met,
                      evidence=quote(last_line(view.output))),
            view.match_criterion(),
        ],
    )


def answer_matches_reference(view: CaseView) -> Diagnosis | None:
    if view.final is None or not view.reference or not same_answer(view.final.text, view.reference, view.kind):
        return None
    return _diagnosis(
        "Correct answer graded wrong",
        f"The final answer {view.final.text!r} matches the reference {view.reference!r}; the failure is likely a "
        "grading or extraction problem rather than a model error.",
        [view.match_criterion()],
    )


def unexplained(view: CaseView) -> Diagnosis:
    return _diagnosis(
        UNEXPLAINED_TITLE,
        "No rule explains this failure from the texts alone; an LLM judge is needed to find the error.",
        [view.answer_criterion(), view.match_criterion()],
    )


DETECTORS: list[Callable[[CaseView], Diagnosis | None]] = [
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


def diagnose_offline(case: FailureCase) -> Diagnosis:
    """The first detector that fires names the error; otherwise the failure is unexplained."""
    view = CaseView(case)
    for detector in DETECTORS:
        diagnosis = detector(view)
        if diagnosis is not None:
            return diagnosis
    return unexplained(view)
