"""The judge's request and answer models: what a judge is given (FailureCase, TitleCount lists) and what it returns."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

GENERIC_CATEGORY_NAMES = {"other", "misc", "miscellaneous", "general", "various", "hard to analyze"}
MAX_NAME_WORDS = 5  # a category name names one skill or failure mode in a few words


class Verdict(str, Enum):
    """How far the wrong output meets one criterion."""

    met = "met"
    partially = "partially"
    not_met = "not met"
    absent = "absent"


class Criterion(BaseModel):
    """One thing a correct answer must do, checked against the wrong output."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(description="What a correct answer must contain or do.")
    verdict: Verdict = Field(description="Whether the wrong output meets it.")
    evidence: str = Field(description="Verbatim quote from the wrong output ('' when absent).")


class Diagnosis(BaseModel):
    """The judge's analysis of one failure: criteria checked, then the first major error."""

    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] = Field(description="Criteria a correct answer must meet, each checked.")
    error_title: str = Field(description="A few words naming the failed skill, not the topic.")
    error_summary: str = Field(description="One to three sentences on the first major error.")

    @field_validator("error_title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("error_title must not be empty")
        return value


class CategoryDraft(BaseModel):
    """A category as the judge proposes it, before members are assigned."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="At most five words naming one skill or failure mode.")
    description: str = Field(description="What belongs here and how it differs from its siblings.")


class CategoryList(BaseModel):
    """The judge's answer to propose, refine and review requests."""

    model_config = ConfigDict(extra="forbid")

    categories: list[CategoryDraft]


class TitleAssignment(BaseModel):
    """One error title placed in one category."""

    model_config = ConfigDict(extra="forbid")

    title: str
    category: str


class Classification(BaseModel):
    """The judge's answer to a classify request."""

    model_config = ConfigDict(extra="forbid")

    assignments: list[TitleAssignment]


class Usage(BaseModel):
    """Tokens spent on one judge answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    """Prompt tokens the server read from its prefix cache (`prompt_tokens_details.cached_tokens`), when it says."""

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_prompt_tokens=self.cached_prompt_tokens + other.cached_prompt_tokens,
        )


class FailureCase(BaseModel):
    """Everything the judge sees about one failure."""

    failure_id: str
    dataset: str
    example_id: str
    model: str
    input_text: str
    output_text: str
    correct_answer: str | None = None
    other_correct_outputs: list[str] = Field(default_factory=list)
    other_models: list[str] = Field(default_factory=list)
    peer_outputs: list[str] = Field(
        default_factory=list,
        description="Outputs of every other model on the same example (used by the offline reference-noise check).",
    )
    truncated_chars: int = Field(
        default=0, description="Characters left out of the texts above to keep within the judge's budget (judge.max_text_chars)."
    )
