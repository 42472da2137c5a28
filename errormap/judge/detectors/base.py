"""What every detector shares: the case view, the title families, the declaration of a detector's titles."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Protocol

from errormap.answers import (
    AnswerKind,
    FinalAnswer,
    canonical_answer,
    final_answers,
    normalise_choice,
    reference_kind,
    same_answer,
)
from errormap.schemas import Criterion, Diagnosis, FailureCase, Verdict

UNEXPLAINED_TITLE = "Unexplained failure"


class Family:
    """The families of failure the titles belong to; the offline judge clusters and names by them."""

    INCOMPLETE = "Incomplete output"
    REFUSAL = "Refusal to answer"
    INSTRUCTION = "Instruction violation"
    REASONING = "Reasoning or knowledge error"
    CALCULATION = "Calculation error"
    EVALUATION = "Evaluation issue"


class Detector(Protocol):
    """A rule: a diagnosis of the failure, or None when the rule does not apply."""

    __name__: str
    titles: Mapping[str, str]  # every title the rule can give, with its family

    def __call__(self, view: CaseView, /) -> Diagnosis | None: ...


def emits(titles: Mapping[str, str]) -> Callable[[Callable[[CaseView], Diagnosis | None]], Detector]:
    """Declare the titles a detector can give and the family of each; the detector itself is unchanged."""

    def declare(detect: Callable[[CaseView], Diagnosis | None]) -> Detector:
        detect.titles = MappingProxyType(dict(titles))  # type: ignore[attr-defined]
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


def option_texts(input_text: str) -> dict[str, str]:
    options = {}
    for match in re.finditer(r"(?m)^\s*\(?([A-J])[).:]\s+(.+?)\s*$", input_text):
        options[match.group(1)] = match.group(2)
    return options


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


def make_diagnosis(title: str, summary: str, criteria: list[Criterion]) -> Diagnosis:
    return Diagnosis(criteria=criteria, error_title=title, error_summary=summary)
