"""Loading per-instance benchmark results, validating them and selecting failures."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from errormap.errors import UserError, listing
from errormap.seeding import rng_for
from errormap.thresholds import threshold_rules

REQUIRED_COLUMNS = ("example_id", "model", "input_text", "output_text", "score")
OPTIONAL_COLUMNS = ("correct_answer", "dataset")
KEY_COLUMNS = ("dataset", "example_id", "model")
RAW_COLUMNS = KEY_COLUMNS + ("score",)  # read as the file's own values, before pandas converts column types
SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".parquet")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One defect in an input file, located by file, row and column."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class InputValidationError(UserError, ValueError):
    """Raised when benchmark results cannot be used; lists every problem found (up to a limit)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(listing(f"invalid benchmark results ({len(problems)} problem(s)):", problems))


def failure_id(dataset: str, example_id: str, model: str) -> str:
    """A stable id for one (dataset, example, model) row."""
    return hashlib.sha1(f"{dataset}\x1f{example_id}\x1f{model}".encode()).hexdigest()[:16]


def _decode_utf8(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputValidationError(
            [Problem(str(path), None, None, f"not UTF-8 text (byte {exc.start}, line {line}): {exc.reason}")]
        ) from None


def _read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """Read one file as strings; return the frame and the offset from frame index to a human row number."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = _decode_utf8(path)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:  # nothing but whitespace: no header, no rows
            return pd.DataFrame(), 2
        except pd.errors.ParserError as exc:
            raise InputValidationError([Problem(str(path), None, None, f"cannot parse CSV: {exc}")]) from None
        return frame, 2  # header is line 1, first data row is row 2
    if suffix == ".jsonl":
        text = _decode_utf8(path)
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputValidationError([Problem(str(path), number, None, f"invalid JSON: {exc.msg}")]) from None
            if not isinstance(record, dict):
                raise InputValidationError([Problem(str(path), number, None, "each line must be a JSON object")])
            records.append(record)
        frame = pd.DataFrame.from_records(records)
        for column in RAW_COLUMNS:
            if column in frame.columns:  # ints with a gap would become floats ("2.0"), booleans 1.0/0.0
                frame[column] = pd.Series([r.get(column) for r in records], index=frame.index, dtype=object)
        return frame, 1
    if suffix == ".parquet":
        try:  # read once: the frame, plus the raw key and score columns from the same table
            table = pq.read_table(path)
            frame = table.to_pandas()
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputValidationError([Problem(str(path), None, None, f"cannot read Parquet: {exc}")]) from None
        for column in RAW_COLUMNS:  # exact ints and null kept apart from NaN, which pandas would merge
            if column in table.column_names:
                frame[column] = pd.Series(table.column(column).to_pylist(), index=frame.index, dtype=object)
        return frame, 1
    raise InputValidationError([Problem(str(path), None, None, f"unsupported file type '{suffix}'")])


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _as_text(value: object) -> str:
    return "" if _is_missing(value) else str(value)


def _id_text(value: object) -> str:
    """An id as text; a number becomes its canonical text (2 and 2.0 give "2", 2.5 gives "2.5")."""
    if _is_missing(value) or isinstance(value, (str, bool, np.bool_)):
        return _as_text(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite():
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return str(value)


def _score_value(value: object) -> object:
    """A score as to_numeric should see it; booleans (pass/fail) deliberately count as 1 and 0."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        return {"true": 1.0, "false": 0.0}.get(text.lower(), text)
    if isinstance(value, (numbers.Integral, Decimal)):
        try:
            return float(value)
        except OverflowError:  # a JSON integer beyond float range
            return math.inf if value > 0 else -math.inf
        except ValueError:  # a signalling Decimal NaN
            return math.nan
    return value


def _score_problem(value: object) -> str:
    """Why a score that did not give a finite number is unusable; NaN here was written as NaN, not left out."""
    text = "" if value is None or value is pd.NA else str(value).strip()
    if not text:
        return "score is empty"
    try:
        finite = math.isfinite(float(text))
    except (ValueError, OverflowError):
        finite = True
    return f"score {text!r} is not a number" if finite else f"score {text!r} is not a finite number"


def _scalar_or_json(value: object) -> object:
    """Extra columns are kept; nested values become JSON text so every file writes to Parquet."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else str(value)


def load_table(path: Path, source_name: str | None = None) -> pd.DataFrame:
    """Load and validate one results file; the dataset defaults to the file stem.

    `source_name` (default: the file name) is stored as `source_file` and names the file in cross-file messages.
    """
    frame, row_offset = _read_table(path)
    problems: list[Problem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    for column in missing:
        problems.append(Problem(str(path), None, column, "required column is missing"))
    if problems:
        raise InputValidationError(problems)
    frame = frame.reset_index(drop=True)
    row_numbers = frame.index.to_numpy() + row_offset
    if "dataset" not in frame.columns:
        frame["dataset"] = path.stem
    for column in KEY_COLUMNS:
        frame[column] = frame[column].astype(object).map(_id_text)
    for column in ("input_text", "output_text"):
        frame[column] = frame[column].map(_as_text)
    if "correct_answer" in frame.columns:
        frame["correct_answer"] = frame["correct_answer"].map(
            lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        )
    else:
        frame["correct_answer"] = None

    for column in ("example_id", "model", "dataset"):
        for index in np.flatnonzero(frame[column].str.strip().eq("").to_numpy()):
            problems.append(Problem(str(path), int(row_numbers[index]), column, "must not be empty"))

    raw_scores = frame["score"].astype(object)
    scores = pd.to_numeric(raw_scores.map(_score_value), errors="coerce").astype(float)
    for index in np.flatnonzero(~np.isfinite(scores.to_numpy())):
        problems.append(Problem(str(path), int(row_numbers[index]), "score", _score_problem(raw_scores.iloc[index])))
    frame["score"] = scores

    duplicated = frame.duplicated(list(KEY_COLUMNS), keep=False)
    if duplicated.any():
        for _, group in frame[duplicated].groupby(list(KEY_COLUMNS), sort=False):
            rows = [int(row_numbers[i]) for i in group.index]
            key = ", ".join(f"{c}={group.iloc[0][c]!r}" for c in KEY_COLUMNS)
            problems.append(
                Problem(str(path), rows[1], "example_id", f"duplicate key ({key}) also at row(s) {rows[0]}")
            )
    if problems:
        raise InputValidationError(problems)
    for column in frame.columns:
        if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS and frame[column].dtype == object:
            frame[column] = frame[column].map(_scalar_or_json)
    frame["source_file"] = source_name or path.name
    frame["source_row"] = row_numbers
    return frame


def find_result_files(input_dir: Path) -> list[Path]:
    """Every supported results file below a directory, in a stable order."""
    if not input_dir.exists():
        raise InputValidationError([Problem(str(input_dir), None, None, "input directory does not exist")])
    files = sorted(p for p in input_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise InputValidationError(
            [Problem(str(input_dir), None, None, f"no {', '.join(SUPPORTED_SUFFIXES)} files found")]
        )
    return files


def empty_reason(path: Path) -> str | None:
    """Why a results file holds no rows ('0 bytes', 'header only'), or None when it may hold some."""
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    if path.suffix.lower() in (".csv", ".jsonl") and path.stat().st_size < 1_000_000:
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        if not lines:
            return "no rows (only blank lines)"
        if path.suffix.lower() == ".csv" and len(lines) == 1:
            return "no rows (header only)"
    return None


def load_results(input_dir: Path | str) -> pd.DataFrame:
    """Load every results table under a directory into one validated frame.

    A file without rows (0 bytes, header only) is skipped with a warning naming it; when no file
    has a row, that is one error listing them.
    """
    input_dir = Path(input_dir)
    files = find_result_files(input_dir)
    problems: list[Problem] = []
    empty: list[Problem] = []
    frames = []
    for path in files:
        reason = empty_reason(path)
        if reason is None:
            try:  # the path below the input directory tells x/t.csv from y/t.csv
                frame = load_table(path, path.relative_to(input_dir).as_posix())
            except InputValidationError as exc:
                problems.extend(exc.problems)
                continue
            if len(frame):
                frames.append(frame)
                continue
            reason = "no rows"
        empty.append(Problem(str(path), None, None, f"{reason}; skipped"))
    if problems:
        raise InputValidationError(problems)
    if not frames:
        listed = "; ".join(f"{p.file}: {p.message.removesuffix('; skipped')}" for p in empty)
        raise InputValidationError([Problem(str(input_dir), None, None, f"no result rows in any file ({listed})")])
    for problem in empty:
        log.warning("%s", problem)
    results = pd.concat(frames, ignore_index=True, sort=False)
    duplicated = results.duplicated(list(KEY_COLUMNS), keep=False)
    if duplicated.any():
        for _, group in results[duplicated].groupby(list(KEY_COLUMNS), sort=False):
            places = [f"{r.source_file} row {r.source_row}" for r in group.itertuples()]
            first = group.iloc[-1]
            problems.append(
                Problem(
                    str(input_dir / first.source_file),
                    int(first.source_row),
                    "example_id",
                    f"duplicate key across files: {'; '.join(places)}",
                )
            )
        raise InputValidationError(problems)
    return results


def success_thresholds(
    results: pd.DataFrame, per_dataset: Mapping[str, float] | None, default: float | None, mean_ratio: float
) -> dict[str, float]:
    """The score a row needs to count as a success, per dataset."""
    return {d: rule.threshold for d, rule in threshold_rules(results, per_dataset, default, mean_ratio).items()}


def mark_failures(results: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """Add the threshold and the failure flag to every row."""
    marked = results.copy()
    marked["success_threshold"] = marked["dataset"].map(thresholds).astype(float)
    marked["is_failure"] = marked["score"] < marked["success_threshold"]
    marked["failure_id"] = [
        failure_id(d, e, m) for d, e, m in zip(marked["dataset"], marked["example_id"], marked["model"])
    ]
    return marked


def sample_failures(
    marked: pd.DataFrame,
    *,
    ratio: float = 1.0,
    max_per_group: int | None = None,
    seed: int = 0,
    models: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Sample failures per (model, dataset); each group has its own seed, so adding a model changes no other group."""
    if not 0 < ratio <= 1:
        raise ValueError(f"sampling ratio must be in (0, 1], got {ratio}")
    failures = marked[marked["is_failure"]]
    if models is not None:
        wanted = set(models)
        unknown = wanted - set(marked["model"])
        if unknown:
            raise ValueError(f"configured models not found in the results: {sorted(unknown)}")
        failures = failures[failures["model"].isin(wanted)]
    picked = []
    for (model, dataset), group in failures.groupby(["model", "dataset"], sort=True):
        group = group.sort_values("example_id", kind="stable")
        size = math.ceil(ratio * len(group))
        if max_per_group is not None:
            size = min(size, int(max_per_group))
        rng = rng_for(seed, model, dataset)
        chosen = np.sort(rng.choice(len(group), size=size, replace=False))
        picked.append(group.iloc[chosen])
    if not picked:
        return failures.iloc[0:0]
    return pd.concat(picked).sort_values(["dataset", "example_id", "model"]).reset_index(drop=True)


def accuracy_table(marked: pd.DataFrame) -> pd.DataFrame:
    """Share of successful rows per (model, dataset)."""
    table = (
        marked.assign(success=~marked["is_failure"])
        .groupby(["model", "dataset"])
        .agg(rows=("success", "size"), accuracy=("success", "mean"), failures=("is_failure", "sum"))
        .reset_index()
    )
    table["failures"] = table["failures"].astype(int)
    return table
