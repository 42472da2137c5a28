"""Imported rows as errormap's results table (the columns `errormap.data` reads), and writing it to a directory."""

from __future__ import annotations

import json
import numbers
from pathlib import Path
from typing import Any

import pandas as pd

from errormap.importers.base import Row

TABLE_COLUMNS = ("dataset", "example_id", "model", "input_text", "output_text", "score", "correct_answer")
PROVENANCE_COLUMNS = ("harness", "harness_file", "harness_record")


def _column(values: list[Any]) -> list[Any]:
    """One type per extra column: numbers as float, booleans as they are, anything else as text (JSON for nesting)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return values
    if present and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present):
        return [None if v is None else float(v) for v in values]
    return [None if v is None else v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
            for v in values]


def to_frame(rows: list[Row], root: Path | None = None) -> pd.DataFrame:
    """The rows as a results table; `harness_file` is relative to `root` when given."""
    extras: list[str] = []
    for row in rows:
        extras.extend(k for k in row.extra if k not in extras and k not in TABLE_COLUMNS + PROVENANCE_COLUMNS)

    def where(path: Path) -> str:
        if root is not None and path.resolve().is_relative_to(root.resolve()):
            return path.resolve().relative_to(root.resolve()).as_posix()
        return path.as_posix()

    data: dict[str, list[Any]] = {
        "dataset": [r.dataset for r in rows],
        "example_id": [r.example_id for r in rows],
        "model": [r.model for r in rows],
        "input_text": [r.input_text for r in rows],
        "output_text": [r.output_text for r in rows],
        "score": [float(r.score) for r in rows],
        "correct_answer": [r.correct_answer for r in rows],
        "harness": [r.harness for r in rows],
        "harness_file": [where(r.file) for r in rows],
        "harness_record": [r.record_label for r in rows],
    }
    for name in extras:
        data[name] = _column([r.extra.get(name) for r in rows])
    frame = pd.DataFrame(data)
    frame["score"] = frame["score"].astype(float)
    frame["correct_answer"] = frame["correct_answer"].astype(object)
    return frame


def write_tables(rows: list[Row], out_dir: Path) -> list[Path]:
    """One Parquet file per harness in `out_dir` (`lm-eval.parquet`, `helm.parquet`, `inspect.parquet`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for harness in dict.fromkeys(r.harness for r in rows):
        path = out_dir / f"{harness}.parquet"
        to_frame([r for r in rows if r.harness == harness]).to_parquet(path, index=False)
        written.append(path)
    return written
