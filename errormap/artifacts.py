"""The contract between stages: every file passed on, with its path, its schema and format version, and I/O.

Tables are Parquet with declared columns; the schema name and version are stored in the file's
metadata and checked on read, so a file written under another schema is one clear error. JSON
documents are validated by their pydantic model where they have one. `dvc.yaml` declares the same
paths; `tests/pipeline/test_dvc_yaml.py` checks that the two agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from errormap.errors import UserError

if TYPE_CHECKING:  # pandas loads with the first table read: a stage that starts on JSON inputs does not wait for it
    import pandas as pd

ColumnType = Literal["str", "str?", "float", "int", "bool"]
SCHEMA_KEY = b"errormap.schema"
M = TypeVar("M", bound=BaseModel)


class ArtifactError(UserError):
    """A stage input that is missing, or does not match its declared schema."""


def _matches(series: pd.Series, kind: ColumnType) -> bool:
    from pandas.api import types

    dtype = series.dtype
    if kind in ("str", "str?"):
        if not (types.is_object_dtype(dtype) or types.is_string_dtype(dtype)):
            return series.isna().all() and kind == "str?"
        return True
    if kind == "float":
        return types.is_numeric_dtype(dtype) and not types.is_bool_dtype(dtype)
    if kind == "int":
        return types.is_integer_dtype(dtype)
    return types.is_bool_dtype(dtype)


@dataclass(frozen=True)
class Table:
    """A Parquet table between stages: its columns must be present with these types; others may follow."""

    name: str
    version: int
    path: str
    stage: str
    columns: dict[str, ColumnType]
    description: str = ""

    @property
    def schema_id(self) -> str:
        return f"{self.name}/{self.version}"

    def check(self, frame: pd.DataFrame, where: str) -> None:
        for column, kind in self.columns.items():
            if column not in frame.columns:
                raise ArtifactError(f"{where}: column '{column}' is missing (schema {self.schema_id})")
            if len(frame) and not _matches(frame[column], kind):
                raise ArtifactError(
                    f"{where}: column '{column}' has type {frame[column].dtype}, schema {self.schema_id} wants {kind}"
                )

    def write(self, frame: pd.DataFrame, root: Path | str = ".") -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(root) / self.path
        self.check(frame, f"{self.path} (being written)")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), SCHEMA_KEY: self.schema_id.encode()})
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        return path

    def read(self, root: Path | str = ".", path: Path | str | None = None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        path = Path(path) if path is not None else Path(root) / self.path
        if not path.exists():
            raise ArtifactError(f"{path} not found: run the `{self.stage}` stage first (`dvc repro {self.stage}`)")
        table = pq.read_table(path)
        written = (table.schema.metadata or {}).get(SCHEMA_KEY, b"").decode()
        if written and written != self.schema_id:
            raise ArtifactError(f"{path} has schema {written}, this errormap reads {self.schema_id}: run `dvc repro`")
        frame = table.to_pandas()
        self.check(frame, str(path))
        return frame


@dataclass(frozen=True)
class Document(Generic[M]):
    """A JSON file between stages or for DVC (metrics); validated by `model` when it has one."""

    path: str
    stage: str
    model: type[M] | None = None
    description: str = ""

    def write(self, document: M | dict[str, Any], root: Path | str = ".") -> Path:
        path = Path(root) / self.path
        if isinstance(document, BaseModel):
            data: Any = document.model_dump(mode="json")
        else:
            data = self.model.model_validate(document).model_dump(mode="json") if self.model else document
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def read_json(self, root: Path | str = ".", path: Path | str | None = None) -> Any:
        path = Path(path) if path is not None else Path(root) / self.path
        if not path.exists():
            raise ArtifactError(f"{path} not found: run the `{self.stage}` stage first (`dvc repro {self.stage}`)")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ArtifactError(f"{path} is not valid JSON: {exc}") from None

    def read(self, root: Path | str = ".", path: Path | str | None = None) -> M:
        if self.model is None:
            raise TypeError(f"{self.path} has no model: use read_json")
        data = self.read_json(root, path)
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ArtifactError(f"{path or self.path}: field '{where}': {first['msg']}") from None


@dataclass(frozen=True)
class Csv:
    """A CSV file for `dvc plots`."""

    path: str
    stage: str
    columns: tuple[str, ...] = field(default_factory=tuple)

    def write(self, frame: pd.DataFrame, root: Path | str = ".") -> Path:
        path = Path(root) / self.path
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ArtifactError(f"{self.path} (being written): columns {missing} are missing")
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        return path


_RESULT_COLUMNS: dict[str, ColumnType] = {
    "dataset": "str",
    "example_id": "str",
    "model": "str",
    "input_text": "str",
    "output_text": "str",
    "score": "float",
    "correct_answer": "str?",
    "source_file": "str",
    "source_row": "int",
    "success_threshold": "float",
    "is_failure": "bool",
    "failure_id": "str",
}

RESULTS = Table(
    "results", 1, "data/prepared/results.parquet", "prepare", _RESULT_COLUMNS,
    "every input row, with its threshold and failure flag; extra input columns follow",
)
FAILURES = Table(
    "failures", 1, "data/prepared/failures.parquet", "prepare", _RESULT_COLUMNS,
    "the sampled failures, same columns as results",
)
DIAGNOSES = Table(
    "diagnoses", 2, "data/analysis/diagnoses.parquet", "analyze",
    {
        "failure_id": "str", "dataset": "str", "example_id": "str", "model": "str",
        "status": "str", "error": "str?", "error_title": "str?", "error_summary": "str?",
        "criteria": "str", "reference_models": "str", "judge_id": "str", "prompt_version": "str",
        "prompt_tokens": "int", "completion_tokens": "int", "requests": "int",
    },
    "one diagnosis per sampled failure (status ok or failed)",
)
ASSIGNMENTS = Table(
    "assignments", 1, "data/taxonomy/assignments.parquet", "taxonomy",
    {"failure_id": "str", "dataset": "str", "example_id": "str", "model": "str", "error_title": "str?",
     "level_1": "str", "level_1_name": "str", "leaf": "str"},
    "each failure's category id and name at every depth (level_k, level_k_name), and its leaf",
)
COMPARISONS = Table(
    "comparisons", 1, "data/signatures/comparisons.parquet", "signatures",
    {"group": "str", "category_id": "str", "category": "str", "count": "int", "share": "float",
     "rest_share": "float", "odds_ratio": "float", "p_value": "float", "q_value": "float",
     "significant": "bool", "direction": "str"},
    "model against the rest per category: Fisher's exact test, BH-adjusted",
)
PAIRWISE = Table(
    "pairwise", 1, "data/signatures/pairwise.parquet", "signatures",
    {"model_a": "str", "model_b": "str", "datasets": "str", "category_id": "str", "category": "str",
     "count_a": "int", "count_b": "int", "share_a": "float", "share_b": "float", "rate_a": "float",
     "rate_b": "float", "rate_diff": "float", "p_value": "float", "q_value": "float", "significant": "bool",
     "fails_more": "str", "distance": "float"},
    "model against model per category on shared datasets: Fisher's exact test per attempt, BH within the pair",
)


def _taxonomy_model() -> type[BaseModel]:
    from errormap.taxonomy.model import Taxonomy

    return Taxonomy


TAXONOMY = Document("data/taxonomy/taxonomy.json", "taxonomy", _taxonomy_model(), "the taxonomy tree")
SIGNATURES = Document("data/signatures/signatures.json", "signatures", None, "signatures and profiles")

PREPARE_METRICS = Document("metrics/prepare.json", "prepare")
ANALYZE_METRICS = Document("metrics/analyze.json", "analyze")
TAXONOMY_METRICS = Document("metrics/taxonomy.json", "taxonomy")
STABILITY_METRICS = Document("metrics/stability.json", "stability")
SIGNATURES_METRICS = Document("metrics/signatures.json", "signatures")

ACCURACY_PLOT = Csv("plots/accuracy.csv", "prepare", ("model", "dataset", "accuracy"))
SIGNATURE_PLOT = Csv("plots/signatures.csv", "signatures", ("model", "category_id", "category", "count", "share"))
PROFILE_PLOT = Csv("plots/profiles.csv", "signatures", ("dataset", "category_id", "category", "count", "share"))
DISTANCE_PLOT = Csv("plots/distances.csv", "signatures", ("model_a", "model_b", "distance"))

REPORT = "reports/report.html"

ALL: tuple[Table | Document | Csv, ...] = (
    RESULTS, FAILURES, DIAGNOSES, ASSIGNMENTS, COMPARISONS, PAIRWISE, TAXONOMY, SIGNATURES,
    PREPARE_METRICS, ANALYZE_METRICS, TAXONOMY_METRICS, STABILITY_METRICS, SIGNATURES_METRICS,
    ACCURACY_PLOT, SIGNATURE_PLOT, PROFILE_PLOT, DISTANCE_PLOT,
)


def produced_by(stage: str) -> list[str]:
    """The paths a stage writes."""
    paths = [a.path for a in ALL if a.stage == stage]
    return paths + ([REPORT] if stage == "report" else [])
