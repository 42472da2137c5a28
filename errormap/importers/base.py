"""What every harness importer shares: an imported row, a located problem, the options, and the problem policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from errormap.errors import UserError, listing

FORMATS = ("lm-eval", "helm", "inspect")
DEFAULT_SCORE_MAP: Mapping[str, float] = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}


@dataclass(frozen=True)
class ImportOptions:
    """Which metric, filter or scorer counts; `None` means the harness's own choice (see each importer)."""

    lm_eval_metric: str | None = None
    lm_eval_filter: str | None = None
    helm_metric: str | None = None
    inspect_scorer: str | None = None
    inspect_score_map: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SCORE_MAP))


@dataclass(frozen=True)
class ImportProblem:
    """One defect, located by file, record and field."""

    file: str
    record: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.record is not None:
            where.append(self.record)
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class HarnessImportError(UserError, ValueError):
    """Harness output that cannot be imported; names the file, the record and the field."""

    def __init__(self, problems: list[ImportProblem], hint: str = ""):
        self.problems = problems
        if len(problems) == 1:
            text = f"cannot import {problems[0]}"
        else:
            text = listing(f"cannot import harness output ({len(problems)} problems):", problems)
        super().__init__(text + (f"\n{hint}" if hint else ""))


class RecordError(Exception):
    """Raised inside an importer for one unreadable record (or file); the caller decides to fail or skip."""

    def __init__(self, problem: ImportProblem, records: int = 1):
        super().__init__(str(problem))
        self.problem = problem
        self.records = records


def fail(file: Path | str, record: str | None, field_name: str | None, message: str, records: int = 1) -> NoReturn:
    raise RecordError(ImportProblem(str(file), record, field_name, message), records)


@dataclass
class Row:
    """One (model, task, example) result as errormap's results table wants it, plus where it came from."""

    harness: str
    dataset: str
    example_id: str
    model: str
    input_text: str
    output_text: str
    score: float
    correct_answer: str | None
    file: Path
    record: int
    record_label: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What an import produced: rows, skipped problems (with --skip-bad), warnings and the files read."""

    rows: list[Row] = field(default_factory=list)
    skipped: list[ImportProblem] = field(default_factory=list)
    skipped_records: int = 0
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


class Policy:
    """Fail on the first bad record, or (skip_bad) list and count each one."""

    def __init__(self, outcome: Outcome, skip_bad: bool):
        self.outcome = outcome
        self.skip_bad = skip_bad

    def bad(self, error: RecordError) -> None:
        if not self.skip_bad:
            raise HarnessImportError([error.problem])
        self.outcome.skipped.append(error.problem)
        self.outcome.skipped_records += error.records

    def warn(self, message: str) -> None:
        self.outcome.warnings.append(message)


def as_score(value: Any, file: Path | str, record: str, field_name: str) -> float:
    """A per-example score as a finite float; booleans count 1/0, numeric strings are read."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lower() in ("true", "false"):
            return float(text.lower() == "true")
        try:
            number = float(text)
        except ValueError:
            fail(file, record, field_name, f"score {value!r} is not a number")
    elif value is None:
        fail(file, record, field_name, "score is missing (null)")
    else:
        fail(file, record, field_name, f"score is a {type(value).__name__} ({_short(value)}), not a number")
    if not math.isfinite(number):
        fail(file, record, field_name, f"score {value!r} is not a finite number")
    return number


def text_of(value: Any) -> str:
    """Text for a table cell: strings as they are, lists joined with ' | ', None as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " | ".join(text_of(v) for v in value)
    return str(value)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require(record: Mapping[str, Any], key: str, file: Path | str, label: str, prefix: str = "") -> Any:
    """record[key], or a RecordError naming the missing field."""
    if not isinstance(record, Mapping) or key not in record:
        fail(file, label, f"{prefix}{key}", "missing")
    return record[key]
