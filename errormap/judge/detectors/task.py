"""What kind of task a failure comes from, read from its prompt and reference, so only fitting rules apply.

Multiple choice (options on their own lines, on the ``Options:`` line, or all on one line),
pairwise preference, numeric, list, short answer, or free text (a free-text reference, code).
Also: where the model's own answer ends when a completion runs on into the next few-shot question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from errormap.answers import AnswerKind, normalise_choice, reference_kind

LETTERS = "ABCDEFGHIJ"
_MARKER = re.compile(r"(?:(?<=\s)|^|(?<=Options:)|(?<=Choices:))(?:\((?P<paren>[A-J])\)|(?P<bare>[A-J])[.):])(?=[ \t])", re.M)
_PREFERENCE = re.compile(
    r"(?i)\b(?:response|output|assistant|answer|completion|summary|model)[ \t]*[\[(]?[ \t]*(?P<label>a|b|1|2)[ \t]*[\])]?(?=\W)"
)
_PREFERENCE_REFERENCE = re.compile(r"(?i)^\W*(?:(?:response|output|assistant|model)\s*)?\(?([ab12])\)?\W*$|^\W*tie\W*$")
_ORDERED = re.compile(r"(?i)\b(?:sort|sorted|order|arrange|rank|ascending|descending|alphabetical(?:ly)?|sequence|reverse)\b")
_RUN_ON = re.compile(r"(?m)^[ \t]*(?P<marker>Question|Q|Problem|Input|Instruction|Human|User)[ \t]*\d*[ \t]*[:.]")
_TARGET_LANGUAGE = re.compile(
    r"(?i)\b(?:translate|translation|answer|respond|reply|write)\b[^.\n]{0,60}?\b(?:into|in)[ \t]+"
    r"(?P<language>English|Spanish|French|German|Portuguese|Italian)\b"
)
_LANGUAGE_CODES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "portuguese": "pt", "italian": "it"}
_CODE_TASK = re.compile(r"(?i)\bdef\s+\w+\(|\bpython\b|\bfunction\b|```")


class TaskType(str, Enum):
    choice = "multiple choice"
    preference = "preference"
    numeric = "numeric"
    list = "list"
    short = "short answer"
    free = "free text"


ANSWER_TASKS = frozenset({TaskType.choice, TaskType.preference, TaskType.numeric, TaskType.list, TaskType.short})
ALL_TASKS = frozenset(TaskType)


@dataclass(frozen=True)
class TaskInfo:
    """The task type and what the rules need to know about it."""

    type: TaskType
    options: dict[str, str] = field(default_factory=dict)  # option letter (or preference label) -> its text
    ordered: bool = False  # list tasks: whether the order of the items is part of the answer
    code: bool = False  # free-text tasks that ask for code
    language: str | None = None  # the language the task asks the answer in, when it names one

    @property
    def expects_answer(self) -> bool:
        """Whether a correct output states a short final answer (an option, a number, a list, a few words)."""
        return self.type in ANSWER_TASKS


def parse_options(input_text: str) -> dict[str, str]:
    """The options of the last question in the prompt: letter -> text, in order from A; {} when there are none.

    Options may stand on their own lines ('A) x', '(A) x', 'A. x', 'A: x'), start on the 'Options:'
    line, or all stand on one line ('(A) x (B) y'). Only a run of consecutive letters from A counts.
    """
    markers = [
        (m.start(), m.end(), m.group("paren") or m.group("bare"), bool(m.group("paren")))
        for m in _MARKER.finditer(input_text)
        if m.group("paren") or _bare_marker_place(input_text, m.start())
    ]
    best: list[tuple[int, int, str, bool]] = []
    run: list[tuple[int, int, str, bool]] = []
    for marker in markers:
        letter, paren = marker[2], marker[3]
        if run and paren == run[-1][3] and LETTERS.index(letter) == LETTERS.index(run[-1][2]) + 1:
            run.append(marker)
        elif letter == "A":
            run = [marker]
        else:
            continue
        if len(run) >= 2:
            best = list(run)
    options: dict[str, str] = {}
    for index, (_, end, letter, _) in enumerate(best):
        stop = best[index + 1][0] if index + 1 < len(best) else len(input_text)
        text = input_text[end:stop].split("\n", 1)[0].strip()
        options[letter] = text
    return options


def _bare_marker_place(text: str, start: int) -> bool:
    """A bare 'A.' / 'A)' / 'A:' marks an option at the start of a line or on a line that starts with 'Options:'."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    return not before.strip() or re.match(r"\s*(?:Options|Choices|Answer choices)\s*:", before, re.I) is not None


def _is_list(reference: str, input_text: str) -> bool:
    if _CODE_TASK.search(input_text):
        return False
    items = [i.strip() for i in re.split(r"[,;\n]", reference) if i.strip()]
    if len(items) >= 3 and all(len(i.split()) <= 4 and re.fullmatch(r"[\w\s'./-]+", i) for i in items):
        return True
    words = reference.split()
    if len(words) >= 3 and all(re.fullmatch(r"[\w'-]+", w) for w in words):
        present = set(re.findall(r"[\w'-]+", input_text.lower()))
        return all(w.lower() in present for w in words)
    return False


def _is_preference(input_text: str, reference: str) -> bool:
    labels = {m.group("label").lower() for m in _PREFERENCE.finditer(input_text)}
    paired = {"a", "b"} <= labels or {"1", "2"} <= labels
    return paired and _PREFERENCE_REFERENCE.match(reference) is not None


def detect_task(input_text: str, reference: str | None) -> TaskInfo:
    """The task type of a failure, from its prompt and its reference."""
    ref = (reference or "").strip()
    language_match = _TARGET_LANGUAGE.search(input_text)
    language = _LANGUAGE_CODES[language_match.group("language").lower()] if language_match else None
    if ref and _is_preference(input_text, ref):
        return TaskInfo(TaskType.preference, {"A": "", "B": ""}, language=language)
    options = parse_options(input_text)
    kind = reference_kind(ref)
    letters = normalise_choice(ref) if kind is AnswerKind.choice else None
    if letters and (not options or set(letters) <= set(options)):
        return TaskInfo(TaskType.choice, options, language=language)
    if kind is AnswerKind.number:
        return TaskInfo(TaskType.numeric, language=language)
    code = _CODE_TASK.search(input_text) is not None
    if code and re.search(r"\bdef |\breturn\b|[{};]|\n", ref):
        return TaskInfo(TaskType.free, code=True, language=language)
    if ref and _is_list(ref, input_text):
        return TaskInfo(TaskType.list, ordered=_ORDERED.search(input_text) is not None, language=language)
    if ref and len(ref.split()) <= 8 and not re.search(r"[.!?]\s+\S", ref) and "\n" not in ref:
        return TaskInfo(TaskType.short, language=language)
    return TaskInfo(TaskType.free, code=code, language=language)


def run_on_start(output: str, input_text: str) -> int | None:
    """Where a completion starts writing the prompt's next question ('Question: ...'), or None.

    Base models given a few-shot prompt often answer and then go on with a new question of the
    same pattern; what follows is not part of their answer. Only markers the prompt itself uses count.
    """
    used = {m.group("marker") for m in _RUN_ON.finditer(input_text)}
    for match in _RUN_ON.finditer(output):
        if match.group("marker") in used and output[: match.start()].strip():
            return match.start()
    return None
