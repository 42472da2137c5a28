"""Reading final answers out of free-form model outputs and comparing them with references."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import Enum

_NUMBER = r"[-+]?\$?(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?"
_FRACTION = re.compile(r"(?<![\d.])([-+]?\d+)\s*/\s*(\d+)(?![\d.])")
_NUMBER_RE = re.compile(_NUMBER)
_MARKUP = "*_`\"' \t"

# "Answer: C", "**Final answer:** 42", "The answer: B", "Solution: Choice_A", "A: 42" (GSM8K), "Final verdict: [[A]]"
_LABEL_LINE = re.compile(
    r"(?im)^[ \t>#*_-]*(?:\*\*|__)?[ \t]*(?P<label>(?:the[ \t]+)?(?:final|correct)[ \t]+(?:answer|verdict)|(?:the[ \t]+)?answer"
    r"|solution|verdict|a)[ \t]*(?:\*\*|__)?[ \t]*[:：][ \t]*(?P<ans>[^\n]*?)[ \t]*$"
)
# "The answer is (B).", "so the correct option is C", "the right choice is option B"
_ANSWER_IS = re.compile(
    r"(?i)\b(?:the|my|our)[ \t]+(?:(?:final|correct|right|best)[ \t]+)?answer[ \t]+(?:is|would be|must be|should be|will be)"
    r"|\b(?:correct|right|best|final)[ \t]+(?:choice|option|statement|solution)[ \t]+(?:is|would be|must be)"
    r"|\bthe[ \t]+solution[ \t]+is"
)
# An "answer is" statement that concludes: it starts a sentence or follows "so", "thus", "therefore"...
_FIRM = re.compile(
    r"(?i)(?:^|[.!?:]\s+|\n|\b(?:so|thus|therefore|hence|then|overall|finally),?\s+)(?:the|my|our)\s+(?:\w+\s+)?"
    r"(?:answer|choice|option|statement|solution)\s+(?:is|must be|will be)\s*$"
)
_ANSWER_TAIL = re.compile(r"[ \t]*(?:therefore|thus|then|clearly)?[ \t]*[:：]?[ \t]*(?P<ans>[^\n]*?)[ \t]*(?=[.!;](?:\s|$)|,\s|\n|$)")
_HEADING = re.compile(r"(?im)^[ \t]*#{1,6}[ \t]*(?:final[ \t]+)?answer[ \t]*:?[ \t]*\n+[ \t]*(?P<ans>[^\n]+?)[ \t]*$")
_VERDICT = re.compile(r"\[\[(?P<ans>[A-Za-z]|tie)\]\]")
_BOXED = re.compile(r"\\boxed\{(?P<ans>(?:[^{}]|\{[^{}]*\})+)\}")
_HASHES = re.compile(r"(?m)^[ \t]*####[ \t]*(?P<ans>.+?)[ \t]*$")
# "Choice_C is the correct answer", "option B is the best choice"
_CHOICE_IS = re.compile(
    r"(?i)\b(?P<ans>(?:choice|option)[ \t_\\]*\(?[A-J]\)?)[ \t]+is[ \t]+the[ \t]+(?:correct|right|best|most[ \t]+"
    r"(?:likely|appropriate|accurate|plausible|probable|suitable|reasonable|correct))"
    r"(?:[ \t]+(?:answer|choice|option|solution))?"
)
_LETTER = r"(?:choice[ \t_\\]*|option[ \t]*)?\(?[A-J]\)?"
_LETTER_LIST = re.compile(rf"(?i)^{_LETTER}(?:\s*(?:,\s*(?:and|or)?|and|or|/|&)\s*{_LETTER})+(?![\w(])")
_CHOICE_TOKEN = re.compile(r"(?i)(?<![a-z])(?:choice|option)[ \t_\\]*\(?([A-J])\)?(?![a-z])")
_HEDGE = re.compile(
    r"(?i)^[ \t*_]*(?:(?:most[ \t]+)?(?:probably|likely)|clearly|definitely|certainly|therefore|thus|hence|so|"
    r"i[ \t]+(?:think|believe)(?:[ \t]+(?:it's|it[ \t]+is))?)[ \t,:]+"
)
_NEGATIVE_START = re.compile(r"(?i)^(?:not|never|no\s+longer|unclear|unknown|undetermined)\b")
_LEADING_CHOICE = re.compile(
    r"(?i)^\W*?(?:(?:choice|option)[ \t_\\]*\(?(?P<a>[A-J])\)?(?![a-z])|\((?P<b>[A-J])\)|(?P<c>[A-J])(?=[.):](?:\s|$)|$))"
)
_PROSE_START = re.compile(
    r"(?i)^(?:let'?s|let\s+us|we\b|i\b|first\b|to\b|okay|ok\b|sure|well\b|here\b|this\b|that\b|it\b|there\b|in\b|"
    r"the\s+(?:question|problem|task)|not\b|because\b|if\b|whether\b|unclear|unknown|below|above|as\s+follows)"
)
_NONE_OF = re.compile(
    r"(?i)\b(?:none\s+of\s+(?:the\s+)?(?:above|(?:given\s+|provided\s+|listed\s+|answer\s+|available\s+)?"
    r"(?:choices|options|answers|candidates|statements))"
    r"|no\s+(?:correct|suitable|valid|right)\s+(?:answer|option|choice|solution)s?\b"
    r"|(?:answer|choice|option|solution)\s+(?:cannot|can't|could\s+not)\s+be\s+(?:determined|chosen|selected)"
    r"|(?:is|are)\s+not\s+(?:given\s+|listed\s+|present\s+)?(?:among|in|one\s+of)\s+the\s+(?:given\s+|provided\s+|listed\s+)?"
    r"(?:choices|options|answers)"
    r"|(?:both|the\s+two)\s+(?:\w+\s+){0,2}are\s+(?:equally|about\s+as|both)"
    r"|no\s+solution\s+can\s+be\s+(?:provided|given|chosen)"
    r"|(?:unable|impossible|not\s+possible)\s+to\s+(?:determine|select|choose|answer)|insufficient\s+information"
    r"|cannot\s+be\s+answered|not\s+found\s+(?:in|among)\s+the\s+(?:given\s+|provided\s+)?(?:choices|options)"
    r"|(?:choices|options)\s+(?:provided\s+)?contain\s+an\s+error)"
)


class AnswerKind(str, Enum):
    choice = "choice"
    number = "number"
    text = "text"


@dataclass(frozen=True)
class FinalAnswer:
    """One final answer stated in an output, with the verbatim line it came from."""

    text: str
    quote: str
    start: int
    firm: bool = True
    """Stated as the answer (a labelled line, a box, 'So the answer is'), not weighed in passing ('would be')."""


def reference_kind(reference: str | None) -> AnswerKind:
    """Guess what kind of answer the reference is."""
    if reference is None:
        return AnswerKind.text
    ref = reference.strip()
    if re.fullmatch(r"\(?[A-Ja-j]\)?", ref) or re.fullmatch(r"[A-J]{2,4}", ref):
        return AnswerKind.choice
    if is_number(ref):
        return AnswerKind.number
    return AnswerKind.text


def is_number(text: str) -> bool:
    """Whether the whole text is one number (with $, %, thousands separators, a short unit, or a fraction)."""
    text = text.strip()
    if _FRACTION.fullmatch(text):
        return True
    return parse_number(text) is not None and re.fullmatch(r"[\s$]*" + _NUMBER + r"\s*[a-zA-Z%]{0,6}\.?\s*", text) is not None


def parse_number(text: str) -> float | None:
    """The first number in a text (a fraction counts as its value), ignoring thousands separators, $ and %."""
    fraction = _FRACTION.search(text)
    match = _NUMBER_RE.search(text)
    if fraction is not None and (match is None or fraction.start() <= match.start()) and int(fraction.group(2)):
        return int(fraction.group(1)) / int(fraction.group(2))
    if match is None:
        return None
    raw = match.group(0).replace(",", "").replace("$", "").rstrip("%")
    try:
        return float(raw)
    except ValueError:
        return None


def _strip_markup(text: str) -> str:
    text = text.strip().strip(_MARKUP).strip()
    text = re.sub(r"^\$+|\$+$", "", text).strip() if re.fullmatch(r"\$[^$]*\$", text) else text
    return re.sub(r"[.,;:!]+$", "", text).strip(_MARKUP).strip()


def _clean(content: str, label: str = "") -> str | None:
    """The answer a statement's content gives, or None when the content is not an answer (prose, dots)."""
    content = re.sub(r"\[\[(\w+)\]\]", r"\1", content.replace("\\_", "_"))
    content = _HEDGE.sub("", content, count=1)
    head = content.strip().strip(_MARKUP)
    if _NEGATIVE_START.match(head) and not _NONE_OF.search(head):
        return None
    letters = _LETTER_LIST.match(head)
    if letters is not None:
        return letters.group(0)
    leading = _LEADING_CHOICE.match(head)
    if leading is not None and label.lower() != "a":
        return leading.group("a") or leading.group("b") or leading.group("c")
    inner = _ANSWER_IS.search(content)
    if inner is not None:
        tail = _ANSWER_TAIL.match(content, inner.end())
        nested = _clean(tail.group("ans")) if tail else None
        if nested:
            return nested
    tokens = {m.group(1).upper(): m.group(1) for m in _CHOICE_TOKEN.finditer(content)}
    if len(tokens) == 1 and not _NONE_OF.search(content):
        return next(iter(tokens.values()))
    text = _strip_markup(content)
    if "=" in text and is_number(text.rsplit("=", 1)[1]):
        text = _strip_markup(text.rsplit("=", 1)[1])  # "5 + 3 = 8": the result
    if re.fullmatch(r"[\[\](){}<>]+(?:\s+[\[\](){}<>]+)*", text):
        return text  # a bracket sequence (Dyck-language tasks)
    if _NONE_OF.search(text):
        return text
    if not re.search(r"\w", text) or _NEGATIVE_START.match(text):
        return None
    if label.lower() == "a" and not is_number(text):
        return None  # "A: Let's think step by step", an option line "A: Golgi apparatus"
    if _PROSE_START.match(text) and len(text.split()) > 3:
        return None
    if len(text.split()) > 12 and not re.fullmatch(r"[\w'-]+(?:[ ,;]+[\w'-]+)*", text):
        return None  # a sentence, not a list of words
    return text


def bare_answer(output: str) -> FinalAnswer | None:
    """A whole output that is only a short answer ('(B)', '250', 'Vitamin D', 'apple banana fig'), if it is one.

    Whether such a line answers the task depends on the task (see the offline judge's task view).
    """
    text = output.strip()
    if not text or "\n" in text or text.endswith(("?", ":")) or len(text.split()) > 20:
        return None
    words = text.split()
    if len(words) > 6 and not re.fullmatch(r"[\w'-]+(?:[ ,;]+[\w'-]+)*\.?", text):
        return None
    if _PROSE_START.match(text) and len(words) > 3:
        return None
    answer = _strip_markup(text)
    if not answer or not re.search(r"\w", answer):
        return None
    return FinalAnswer(answer, text, output.find(text))


QUOTE_CONTEXT = 200  # characters of the answer's line kept on each side in a quote: memory stays linear


def _quote_line(output: str, start: int, end: int) -> str:
    line_start = max(output.rfind("\n", max(0, start - QUOTE_CONTEXT), start) + 1, start - QUOTE_CONTEXT)
    line_end = output.find("\n", end, end + QUOTE_CONTEXT)
    return output[line_start : line_end if line_end != -1 else min(len(output), end + QUOTE_CONTEXT)].strip()


def final_answers(output: str) -> list[FinalAnswer]:
    """Every explicit final-answer statement in an output, in order of appearance.

    Linear in the output's size: quotes are cut around the answer, and overlaps are found by bisection.
    """
    found: list[tuple[int, int, FinalAnswer]] = []
    starts: list[int] = []  # the spans taken so far, sorted by start (they do not overlap)
    ends: list[int] = []

    def add(text: str | None, start: int, end: int, firm: bool = True) -> None:
        if not text:
            return
        at_or_after = bisect.bisect_left(starts, start)
        if at_or_after < len(starts) and starts[at_or_after] < end:
            return
        if at_or_after and ends[at_or_after - 1] > start:
            return
        at = output.find(text, start, max(end, start + len(text)))
        start = at if at != -1 else start
        found.append((start, end, FinalAnswer(text, _quote_line(output, start, end), start, firm)))
        index = bisect.bisect_left(starts, start)
        starts.insert(index, start)
        ends.insert(index, end)

    for match in _LABEL_LINE.finditer(output):
        add(_clean(match.group("ans"), match.group("label")), match.start("ans"), max(match.end("ans"), match.start("ans") + 1))
    for match in _HEADING.finditer(output):
        add(_clean(match.group("ans")), match.start("ans"), match.end("ans"))
    for pattern in (_VERDICT, _BOXED, _HASHES):
        for match in pattern.finditer(output):
            add(_clean(match.group("ans")), match.start("ans"), match.end("ans"))
    for match in _CHOICE_IS.finditer(output):
        add(_clean(match.group("ans")), match.start("ans"), match.end("ans"), firm=False)
    for match in _ANSWER_IS.finditer(output):
        tail = _ANSWER_TAIL.match(output, match.end())
        if tail is not None and tail.group("ans"):
            firm = _FIRM.search(output, max(0, match.start() - 40), match.end()) is not None
            add(_clean(tail.group("ans")), tail.start("ans"), tail.end("ans"), firm)
    return [answer for _, _, answer in sorted(found, key=lambda item: item[0])]


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


def says_none_of_options(text: str) -> bool:
    """Whether an answer rejects every option ('None of the choices are correct', 'Both responses are equally good')."""
    return _NONE_OF.search(text) is not None


def normalise_choice(answer: str) -> str | None:
    """'(b)', 'Choice_B', 'B) text', 'Choice_A: Fructose intolerance' -> 'B'/'A'; several letters ('A and C') -> 'AC'."""
    text = _strip_markup(answer.replace("\\_", "_"))
    multi = re.fullmatch(
        r"(?i)\(?(?:choice[_ ]?|option\s*)?([a-j])\)?"
        r"(?:\s*(?:,\s*(?:and|or)?|and|or|/|&)\s*\(?(?:choice[_ ]?|option\s*)?([a-j])\)?)+",
        text,
    )
    if multi:
        return "".join(sorted(set(re.findall(r"(?i)(?<![a-z])([a-j])(?![a-z])", text.replace("_", " "))))).upper()
    if re.fullmatch(r"[A-J]{2,4}", text):  # 'AC', the multi-letter form reference_kind accepts
        return "".join(sorted(set(text)))
    single = re.fullmatch(r"(?i)\(?(?:option\s*|choice[_ ]?)?\(?([a-j])\)?[.):]?", text)
    if single:
        return single.group(1).upper()
    labelled = re.fullmatch(r"(?i)(?:\(([a-z])\)|(?:option\s*|choice[_ ]?)\(?([a-z])\)?)[.):]?", text)
    if labelled:  # '(K)', 'Option Z': a label, even one past J (then not among the options)
        return (labelled.group(1) or labelled.group(2)).upper()
    with_text = re.match(r"\(?(?:option\s*|choice[_ ]?)?\(?([A-J])\s*[).:\-–]\s", text) or re.match(
        r"(?i)(?:option\s*|choice[_ ]?)\(?([a-j])\)?\b", text
    )
    if with_text:
        return with_text.group(1).upper()
    tokens = {m.group(1).upper() for m in _CHOICE_TOKEN.finditer(text)}
    if len(tokens) == 1:
        return tokens.pop()
    return None


def normalise_text(text: str) -> str:
    text = text.lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def same_answer(answer: str, reference: str, kind: AnswerKind) -> bool:
    """Whether a stated answer equals the reference, judged by the reference's kind."""
    if kind is AnswerKind.choice:
        letters = normalise_choice(answer)
        return letters is not None and letters == normalise_choice(reference)
    if kind is AnswerKind.number:
        a, r = parse_number(answer), parse_number(reference)
        return a is not None and r is not None and abs(a - r) <= 1e-9 * max(1.0, abs(r))
    a, r = normalise_text(answer), normalise_text(reference)
    return bool(a) and (a == r or (len(r) > 2 and re.search(rf"(?<!\w){re.escape(r)}(?!\w)", a) is not None))


def canonical_answer(answer: str, kind: AnswerKind) -> str:
    """A comparable form of an answer, used to find answers shared by several models."""
    if kind is AnswerKind.choice:
        return normalise_choice(answer) or normalise_text(answer)
    if kind is AnswerKind.number:
        value = parse_number(answer)
        return f"{value:g}" if value is not None else normalise_text(answer)
    return normalise_text(answer)


def last_answer(output: str) -> FinalAnswer | None:
    answers = final_answers(output)
    return answers[-1] if answers else None
