"""What every detector shares: the case view, the title families, the declaration of a detector's titles."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Protocol

from errormap.answers import (
    AnswerKind,
    FinalAnswer,
    bare_answer,
    canonical_answer,
    final_answers,
    is_number,
    normalise_choice,
    normalise_text,
    same_answer,
    says_none_of_options,
    words_to_number,
)
from errormap.judge.detectors.task import ALL_TASKS, TaskInfo, TaskType, detect_task, run_on_start
from errormap.judge.schemas import Criterion, Diagnosis, FailureCase, Verdict

UNEXPLAINED_TITLE = "Not explainable offline"


class Family:
    """The families of failure the titles belong to; the offline judge clusters and names by them."""

    INCOMPLETE = "Incomplete output"
    REFUSAL = "Refusal to answer"
    INSTRUCTION = "Instruction violation"
    REASONING = "Reasoning or knowledge error"
    CALCULATION = "Calculation error"
    EVALUATION = "Evaluation issue"


@dataclass(frozen=True)
class ReferenceErrorRule:
    """When the offline judge may say the reference itself is wrong (judge.reference_error in conf/judge/offline.yaml)."""

    min_models: int
    min_agreement: float
    max_reference_share: float

    @classmethod
    def configured(cls) -> ReferenceErrorRule:
        """The thresholds conf/ sets (its defaults, without overrides)."""
        from errormap.settings import OfflineJudgeConfig, default_settings

        judge = default_settings().judge
        config = judge.reference_error if isinstance(judge, OfflineJudgeConfig) else None
        if config is None:
            raise ValueError("conf/ does not default to the offline judge: pass the reference-error thresholds")
        return cls(**config.model_dump())


class Detector(Protocol):
    """A rule: a diagnosis of the failure, or None when the rule does not apply."""

    __name__: str
    titles: Mapping[str, str]  # every title the rule can give, with its family
    tasks: frozenset[TaskType]  # the task types the rule applies to

    def __call__(self, view: CaseView, /) -> Diagnosis | None: ...


def emits(
    titles: Mapping[str, str], tasks: Collection[TaskType] = ALL_TASKS
) -> Callable[[Callable[[CaseView], Diagnosis | None]], Detector]:
    """Declare the titles a detector can give (with their families) and the task types it fits."""

    def declare(detect: Callable[[CaseView], Diagnosis | None]) -> Detector:
        detect.titles = MappingProxyType(dict(titles))  # type: ignore[attr-defined]
        detect.tasks = frozenset(tasks)  # type: ignore[attr-defined]
        return detect  # type: ignore[return-value]

    return declare


def title_families(detectors: list[Detector]) -> dict[str, str]:
    """Every declared title with its family; a title declared by two detectors must name the same family."""
    families: dict[str, str] = {}
    for detect in detectors:
        for title, family in detect.titles.items():
            if title == UNEXPLAINED_TITLE or families.setdefault(title, family) != family:
                raise ValueError(f"{detect.__name__} declares {title!r} in family {family!r}")
    return families


def quote(text: str, limit: int = 160) -> str:
    """A verbatim excerpt of at most `limit` characters (cut at the start, never altered)."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit]


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


_KINDS = {TaskType.choice: AnswerKind.choice, TaskType.preference: AnswerKind.choice, TaskType.numeric: AnswerKind.number}


@dataclass
class CaseView:
    """A failure with the derived facts the detectors share."""

    case: FailureCase
    reference_rule: ReferenceErrorRule = field(default_factory=ReferenceErrorRule.configured)
    task: TaskInfo = field(init=False)
    kind: AnswerKind = field(init=False)

    def __post_init__(self) -> None:
        self.task = detect_task(self.case.input_text, self.case.correct_answer)
        self.kind = _KINDS.get(self.task.type, AnswerKind.text)

    @property
    def output(self) -> str:
        return self.case.output_text

    @cached_property
    def own_output(self) -> str:
        """The output up to where a completion runs on into a new question of the prompt's pattern."""
        cut = run_on_start(self.output, self.case.input_text)
        return self.output if cut is None else self.output[:cut]

    @property
    def reference(self) -> str | None:
        return self.case.correct_answer

    def fits(self, answer: FinalAnswer) -> bool:
        """Whether a stated answer is an answer to this task (an option letter for multiple choice, ...)."""
        if self.task.type in (TaskType.choice, TaskType.preference):
            return normalise_choice(answer.text) is not None or says_none_of_options(answer.text) or self.option_named(answer.text) is not None
        if self.task.type is TaskType.numeric:
            return re.search(r"\d", answer.text) is not None or says_none_of_options(answer.text) or _spelled(answer.text)
        return True

    @cached_property
    def stated_answers(self) -> list[FinalAnswer]:
        """The answers the output states explicitly ('Answer: B', 'The answer is 42', ...) that fit the task."""
        every = final_answers(self.own_output)
        if every and every[-1].firm and not self.fits(every[-1]):
            return []  # the last word is not an answer this task takes ('cannot be determined'): no answer is read
        return [a for a in every if self.fits(a)]

    @cached_property
    def answers(self) -> list[FinalAnswer]:
        """The final answers the model's own output states, in order.

        Without an explicit statement, a task that needs an answer takes it from the end of the
        output: the whole output or its last line when that is only an answer ('(B)', '250'), a
        closing 'none of the options', or the one bold span of the last line.
        """
        stated = self.stated_answers
        if stated or not self.task.expects_answer:
            return stated
        text = self.own_output.rstrip()
        last = text[text.rfind("\n") + 1 :]
        several_lines = last != text and self.task.type is not TaskType.list  # a list answer may span lines
        candidates = [bare_answer(text), bare_answer(last) if several_lines else None]
        for candidate in candidates:
            if candidate is not None and self._bare_fits(candidate):
                return [FinalAnswer(candidate.text, candidate.quote, text.find(candidate.quote))]
        start = len(text) - len(last)
        if self.task.type in (TaskType.choice, TaskType.preference) and says_none_of_options(last):
            sentence = next(s for s in re.split(r"(?<=[.!?])\s+", last.strip()) [::-1] if says_none_of_options(s))
            return [FinalAnswer(sentence.strip(), last.strip(), start + last.find(sentence))]
        bold = re.findall(r"\*\*([^*\n]+)\*\*", last)
        if len(bold) == 1 and self.task.type in (TaskType.numeric, TaskType.short):
            answer = FinalAnswer(bold[0].strip(), last.strip(), start + last.find(bold[0]))
            return [answer] if self.fits(answer) else []
        return []

    def _bare_fits(self, answer: FinalAnswer) -> bool:
        text = answer.text
        if self.task.type in (TaskType.choice, TaskType.preference):
            return normalise_choice(text) is not None or self.option_named(text) is not None
        if self.task.type is TaskType.numeric:
            return is_number(text) or _spelled(text)
        if self.task.type is TaskType.list:
            return len(text.split()) <= 40
        return len(text.split()) <= 5

    @property
    def final(self) -> FinalAnswer | None:
        return self.answers[-1] if self.answers else None

    def option_named(self, text: str) -> str | None:
        """The letter of the option whose text the answer repeats, if any."""
        wanted = normalise_text(text)
        for letter, option in self.task.options.items():
            if wanted and normalise_text(option) == wanted:
                return letter
        return None

    def canonical(self, text: str) -> str:
        """A comparable form of an answer: an option's text counts as its letter, 'none of the options' as one answer."""
        if self.task.type in (TaskType.choice, TaskType.preference):
            if says_none_of_options(text):
                return "none of the options"
            return normalise_choice(text) or self.option_named(text) or normalise_text(text)
        return canonical_answer(text, self.kind)

    @cached_property
    def distinct_answers(self) -> list[FinalAnswer]:
        seen: dict[str, FinalAnswer] = {}
        for answer in self.answers:
            if answer.firm:
                seen.setdefault(self.canonical(answer.text), answer)
        return list(seen.values())

    def is_right(self, answer: FinalAnswer | None) -> bool:
        return answer is not None and bool(self.reference) and same_answer(answer.text, self.reference or "", self.kind)

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
        return Criterion(criterion=name, verdict=Verdict.met if self.is_right(final) else Verdict.not_met, evidence=final.quote)


def _spelled(text: str) -> bool:
    return words_to_number(text) is not None


def make_diagnosis(title: str, summary: str, criteria: list[Criterion]) -> Diagnosis:
    return Diagnosis(criteria=criteria, error_title=title, error_summary=summary)
