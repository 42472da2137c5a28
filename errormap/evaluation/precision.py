"""Precision, recall and support per title of a judge's diagnoses on the labelled failures.

Precision of a title: of the failures the judge gives that title, the share where it is true
(the label, or one of the titles listed as equally true). Recall: of the failures labelled with
it, the share the judge names it. "Not explainable offline" is an abstention: it is counted, not
scored as a title.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from errormap.evaluation.labelled import NONE, LabelledCase
from errormap.judge.schemas import Diagnosis, FailureCase


@dataclass(frozen=True)
class TitleScore:
    title: str
    emitted: int
    correct: int
    support: int
    recalled: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.emitted if self.emitted else None

    @property
    def recall(self) -> float | None:
        return self.recalled / self.support if self.support else None

    def as_dict(self) -> dict[str, float | int | None]:
        rounded = {k: (round(v, 4) if v is not None else None) for k, v in (("precision", self.precision), ("recall", self.recall))}
        return {**rounded, "emitted": self.emitted, "correct": self.correct, "support": self.support}


@dataclass(frozen=True)
class PartScore:
    """The scores of one part (tuning or held out)."""

    cases: int
    titles: list[TitleScore]
    abstained: int  # "not explainable offline"
    abstained_correctly: int  # ... on failures labelled none
    labelled_none: int

    def as_dict(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "not_explainable": self.abstained,
            "not_explainable_share": round(self.abstained / self.cases, 4) if self.cases else None,
            "labelled_none": self.labelled_none,
            "none_left_unexplained": self.abstained_correctly,
            "titles": {t.title: t.as_dict() for t in self.titles},
        }


def score(labelled: Iterable[LabelledCase], titles: dict[str, str], unexplained: str) -> PartScore:
    """Scores of the titles the judge gave (`titles`: case id -> title) on these labelled cases."""
    cases = list(labelled)
    emitted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    support: Counter[str] = Counter(c.label for c in cases if c.label != NONE)
    recalled: Counter[str] = Counter()
    abstained = abstained_correctly = 0
    for case in cases:
        title = titles[case.id]
        if title == unexplained:
            abstained += 1
            abstained_correctly += case.label == NONE
            continue
        emitted[title] += 1
        correct[title] += title in case.acceptable
        recalled[title] += title == case.label
    names = sorted(set(emitted) | set(support))
    scores = [TitleScore(t, emitted[t], correct[t], support[t], recalled[t]) for t in names]
    return PartScore(len(cases), scores, abstained, abstained_correctly, sum(c.label == NONE for c in cases))


def diagnose_labelled(labelled: Iterable[LabelledCase], diagnose: Callable[[FailureCase], Diagnosis]) -> dict[str, Diagnosis]:
    return {case.id: diagnose(case.case) for case in labelled}
