"""The judge's tasks: for each, the answer schema (its name routes structured output) and its templates.

A new judge task (a meta-judge that checks a diagnosis, say) is a new entry here, an answer model
and two templates in the prompt set; the LLM judge renders and asks any task the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from errormap.judge.schemas import CategoryList, Classification, Diagnosis


@dataclass(frozen=True)
class Task:
    """One kind of judge request."""

    name: str
    answer: type[BaseModel]
    system_template: str
    user_template: str

    @property
    def schema_name(self) -> str:
        """The structured-output schema name: one per answer model."""
        return SCHEMA_NAMES[self.answer]


SCHEMA_NAMES: dict[type[BaseModel], str] = {
    Diagnosis: "diagnosis",
    CategoryList: "category_list",
    Classification: "classification",
}

DIAGNOSE = Task("diagnose", Diagnosis, "diagnose_system", "diagnose_user")
PROPOSE = Task("propose", CategoryList, "taxonomy_system", "propose_user")
REFINE = Task("refine", CategoryList, "taxonomy_system", "refine_user")
REVIEW = Task("review", CategoryList, "taxonomy_system", "review_user")
CLASSIFY = Task("classify", Classification, "classify_system", "classify_user")
