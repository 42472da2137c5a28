"""The judge protocol: one method per task the method needs from a judge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from errormap.errors import UserError
from errormap.judge.schemas import CategoryDraft, CategoryList, Classification, Diagnosis, FailureCase, Usage

if TYPE_CHECKING:
    from errormap.judge.tasks import Task

T = TypeVar("T")


@dataclass
class JudgeAnswer(Generic[T]):
    """A judge's answer with what it cost."""

    value: T
    usage: Usage = field(default_factory=Usage)
    """What the answer cost when it was asked (all attempts)."""
    cached: bool = False
    requests: int = 0
    """Requests this call sent (0 for an answer from the store)."""
    context: dict[str, Any] = field(default_factory=dict)
    """What the answer was given besides the task (a diagnosis: the models whose correct outputs it saw)."""
    asked_requests: int = 0
    """Requests it took when it was asked (the same for a stored answer as for a fresh one)."""
    replaces_answer: bool = False
    """Asked although the store held an answer for the same subject under another request (peers or prompt changed)."""


@dataclass(frozen=True)
class TitleCount:
    """A distinct error title, how often it occurs and one example summary."""

    title: str
    count: int
    summary: str = ""


class JudgeError(UserError):
    """A judge request that failed after every retry; `usage` and `requests`: what the attempts cost."""

    def __init__(self, message: str, usage: Usage | None = None, requests: int = 0):
        super().__init__(message)
        self.usage = usage or Usage()
        self.requests = requests


class Judge(Protocol):
    """What errormap asks of a judge. Both the LLM judge and the offline judge implement it."""

    judge_id: str
    prompt_version: str

    def fingerprint(self) -> dict[str, object]:
        """The configuration that determines the judge's answers (no secrets)."""
        ...

    def request_identity(self, task: "Task", request: dict[str, Any]) -> object:
        """Everything that determines the answer to one request (for an LLM judge: what is sent)."""
        ...

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        """Find the first major error of one failure."""
        ...

    async def propose_categories(
        self, titles: list[TitleCount], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        """Propose categories from a first batch of error titles."""
        ...

    async def refine_categories(
        self,
        categories: list[CategoryDraft],
        titles: list[TitleCount],
        *,
        parent: CategoryDraft | None,
        max_categories: int,
    ) -> JudgeAnswer[CategoryList]:
        """Update the categories against a further batch of titles."""
        ...

    async def review_categories(
        self, categories: list[CategoryDraft], *, parent: CategoryDraft | None, max_categories: int
    ) -> JudgeAnswer[CategoryList]:
        """A final pass that returns a cleaned category list."""
        ...

    async def classify(
        self, titles: list[str], categories: list[CategoryDraft], *, parent: CategoryDraft | None
    ) -> JudgeAnswer[Classification]:
        """Place each title in one category, Other, or Hard to analyze."""
        ...

    async def aclose(self) -> None:
        """Release connections and files."""
        ...
